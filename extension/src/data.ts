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
import {
  IFoundDataset,
  SearchResults,
  localReasons,
  whyText
} from './catalogSearchResults';
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
  /** Open a dataset's full-page view in the main area (absent: no such view). */
  openPage?: (dataset: Dataset) => void;
}

/**
 * The Data section: search, the catalog tree (or, while searching, the
 * ranked hits with why each matched) and a compact dataset view; a dataset
 * opens full page in the main area from the view's "Open full page" button,
 * a double-click or Shift+Enter.
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
        (this._searching ? this._results : this._tree).node.focus();
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
    this._tree = new DatasetTree({
      onOpen: d => void this.openDataset(d),
      onOpenPage: options.openPage
    });
    this._results = new SearchResults({
      onOpen: d => void this.openDataset(d),
      onOpenPage: options.openPage
    });
    this._view = new DatasetView({
      client: this._client,
      notebooks: options.notebooks ?? null,
      activate: options.activate ?? (() => undefined),
      onBack: () => this.showList(),
      openPage: options.openPage
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
    this.addWidget(this._results);
    this.addWidget(this._view);
    this._view.hide();
    this._results.hide();
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
    this._results.setResults([]);
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
    this._results.hide();
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
    const list = this._searching ? this._results : this._tree;
    list.show();
    list.node.focus();
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
    if (!text) {
      this._searches.cancel(); // an older server search must not overwrite this
      this._showTree();
      return;
    }
    if (this._serverSearch === false) {
      this._searches.cancel();
      this._showFound(this._localMatches(text), null);
      return;
    }
    const outcome = await this._searches.load(() => this._client.search(text));
    if (!outcome) {
      return;
    }
    let note: string | null = null;
    let found: IFoundDataset[];
    if (outcome.ok) {
      this._serverSearch = true;
      const byName = new Map(this._datasets.map(d => [d.name, d]));
      found = [];
      for (const hit of outcome.value) {
        const dataset = byName.get(hit.name);
        if (dataset) {
          found.push({
            dataset,
            reasons: hit.reasons ?? [],
            why: hit.why ?? ''
          });
        }
      }
    } else {
      if (isMissingEndpoint(outcome.error)) {
        this._serverSearch = false;
      } else {
        note = `Search failed (${outcome.message}); showing text matches instead.`;
      }
      found = this._localMatches(text);
    }
    this._showFound(found, note);
  }

  private _localMatches(text: string): IFoundDataset[] {
    return filterDatasets(this._datasets, text).map(dataset => {
      const reasons = localReasons(dataset, text);
      return { dataset, reasons, why: whyText(reasons) };
    });
  }

  private _showTree(): void {
    this._searching = false;
    this._results.hide();
    this._results.setResults([]); // one list of datasets in the DOM at a time
    if (this._view.isHidden) {
      this._tree.show();
    }
    this._tree.setDatasets(this._datasets);
    this._report(this._datasets.length, false, null);
  }

  private _showFound(found: IFoundDataset[], note: string | null): void {
    this._searching = true;
    this._tree.hide();
    this._tree.setDatasets([]);
    if (this._view.isHidden) {
      this._results.show();
    }
    this._results.setResults(found);
    this._report(found.length, true, note);
  }

  private _report(
    shown: number,
    searching: boolean,
    note: string | null
  ): void {
    const total = this._datasets.length;
    this._count.textContent = searching
      ? `${formatCount(shown)} of ${formatCount(total)} datasets match, best first`
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
    } else if (shown === 0) {
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
  private readonly _results: SearchResults;
  /** Whether the hits of a search are shown instead of the tree. */
  private _searching = false;
  private readonly _view: DatasetView;
  private readonly _catalog = new Loader({ busy: this.node });
  /** The server searches; text filtering needs no loader. */
  private readonly _searches = new Loader();
  private _datasets: Dataset[] = [];
  private _searchTimer: number | null = null;
  /** null: not tried yet; true: the service searches; false: filter here. */
  private _serverSearch: boolean | null = null;
}
