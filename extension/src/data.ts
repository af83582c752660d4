import { INotebookTracker } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { Dataset } from './api';
import {
  IDataClient,
  filterDatasets,
  isMissingEndpoint,
  restDataClient
} from './catalog';
import { DatasetView } from './datasetView';
import { el, emptyNote, errorBox, formatCount, loadingNote } from './dom';
import { Loader } from './loader';
import { DatasetTree } from './tree';

/** Delay between the last keystroke and the search, in milliseconds. */
const SEARCH_DELAY = 200;

/**
 * Options of {@link DataPanel}.
 */
export interface IDataPanelOptions {
  client?: IDataClient;
  notebooks?: INotebookTracker | null;
  activate?: (id: string) => void;
}

/**
 * The Data section: search, the catalog tree and a dataset view.
 *
 * Search asks `GET catalog/search` when the service offers it and filters
 * the loaded catalog in the browser when it does not (a 404 without a
 * workbench error code), or when it fails.
 */
export class DataPanel extends Panel {
  constructor(options: IDataPanelOptions = {}) {
    super();
    this.addClass('aios-data-panel');
    this._client = options.client ?? restDataClient;

    this._search = el('input', {
      type: 'search',
      class: 'aios-search jp-mod-styled',
      placeholder: 'Search datasets, columns, tags…',
      'aria-label': 'Search datasets',
      'data-testid': 'aios-data-search'
    });
    this._search.addEventListener('input', () => this._scheduleSearch());
    this._search.addEventListener('keydown', event => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        this._tree.node.focus();
      }
    });
    const refresh = reloadButton('the catalog', () => void this.reload());
    this._count = el('p', {
      class: 'aios-data-count',
      role: 'status',
      'aria-live': 'polite'
    });
    this._message = el('div', { class: 'aios-data-message' });

    this._toolbar = new Widget({
      node: el('div', { class: 'aios-data-toolbar' }, this._search, refresh)
    });
    this._info = new Widget({
      node: el('div', {}, this._count, this._message)
    });
    this._tree = new DatasetTree({ onOpen: d => void this.openDataset(d) });
    this._view = new DatasetView({
      client: this._client,
      notebooks: options.notebooks ?? null,
      activate: options.activate ?? (() => undefined),
      onBack: () => this.showList()
    });
    this._view.node.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.showList();
      }
    });
    this.addWidget(this._toolbar);
    this.addWidget(this._info);
    this.addWidget(this._tree);
    this.addWidget(this._view);
    this._view.hide();
    this._message.replaceChildren(loadingNote('Loading the catalog…'));
  }

  /** Every dataset the user may read, as last loaded. */
  get datasets(): readonly Dataset[] {
    return this._datasets;
  }

  /**
   * Load the catalog again (and re-run the current search).
   */
  async reload(): Promise<void> {
    if (this._datasets.length === 0) {
      this._message.replaceChildren(loadingNote('Loading the catalog…'));
    }
    const outcome = await this._catalog.load(() => this._client.catalog());
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      this._datasets = outcome.value;
      await this._runSearch();
      return;
    }
    this._datasets = [];
    this._tree.setDatasets([]);
    this._count.textContent = '';
    this._message.replaceChildren(
      errorBox('Cannot load the catalog', outcome.message)
    );
  }

  /**
   * Show one dataset in place of the list.
   */
  async openDataset(dataset: Dataset): Promise<void> {
    this._toolbar.hide();
    this._info.hide();
    this._tree.hide();
    this._view.show();
    this._view.node.focus();
    await this._view.open(dataset);
  }

  /**
   * Back to the search and the tree, focus on the tree.
   */
  showList(): void {
    this._view.hide();
    this._toolbar.show();
    this._info.show();
    this._tree.show();
    this._tree.node.focus();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._catalog.stale) {
      void this.reload();
    }
  }

  private _scheduleSearch(): void {
    if (this._searchTimer !== null) {
      window.clearTimeout(this._searchTimer);
    }
    this._searchTimer = window.setTimeout(() => {
      this._searchTimer = null;
      void this._runSearch();
    }, SEARCH_DELAY);
  }

  private async _runSearch(): Promise<void> {
    if (this._catalog.error !== null) {
      return;
    }
    const text = this._search.value.trim();
    if (!text || this._serverSearch === false) {
      this._searches.cancel(); // an older server search must not overwrite this
      this._show(
        text ? filterDatasets(this._datasets, text) : this._datasets,
        !!text,
        null
      );
      return;
    }
    const outcome = await this._searches.load(() => this._client.search(text));
    if (!outcome) {
      return;
    }
    let note: string | null = null;
    let found: Dataset[];
    if (outcome.ok) {
      this._serverSearch = true;
      const byName = new Map(this._datasets.map(d => [d.name, d]));
      found = outcome.value
        .map(hit => byName.get(hit.name))
        .filter((d): d is Dataset => !!d);
    } else {
      if (isMissingEndpoint(outcome.error)) {
        this._serverSearch = false;
      } else {
        note = `Search failed (${outcome.message}); showing text matches instead.`;
      }
      found = filterDatasets(this._datasets, text);
    }
    this._show(found, true, note);
  }

  private _show(
    datasets: Dataset[],
    searching: boolean,
    note: string | null
  ): void {
    this._tree.setDatasets(datasets, searching);
    const total = this._datasets.length;
    this._count.textContent = searching
      ? `${formatCount(datasets.length)} of ${formatCount(total)} datasets match`
      : `${formatCount(total)} dataset${total === 1 ? '' : 's'} you may read`;
    const messages: Node[] = [];
    if (note) {
      messages.push(el('p', { class: 'aios-note', role: 'note' }, note));
    }
    if (total === 0) {
      messages.push(
        emptyNote(
          'No datasets are readable for you. Ask a data steward for a grant.'
        )
      );
    } else if (datasets.length === 0) {
      messages.push(emptyNote('No dataset matches the search.'));
    }
    this._message.replaceChildren(...messages);
  }

  private readonly _client: IDataClient;
  private readonly _search: HTMLInputElement;
  private readonly _count: HTMLParagraphElement;
  private readonly _message: HTMLDivElement;
  private readonly _toolbar: Widget;
  private readonly _info: Widget;
  private readonly _tree: DatasetTree;
  private readonly _view: DatasetView;
  private readonly _catalog = new Loader({ busy: this.node });
  /** The server searches; text filtering needs no loader. */
  private readonly _searches = new Loader();
  private _datasets: Dataset[] = [];
  private _searchTimer: number | null = null;
  /** null: not tried yet; true: the service searches; false: filter here. */
  private _serverSearch: boolean | null = null;
}
