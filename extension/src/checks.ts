import { INotebookTracker } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { LedgerRun, LedgerRuns } from './api';
import { CheckRunView, formatTime, statusBadge } from './checkRunView';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { Loader } from './loader';
import { requestAPI } from './request';

/** Runs asked for per page of `checks/history`. */
export const CHECKS_PAGE_SIZE = 50;

/** Delay between the last keystroke in the dataset filter and the request, in milliseconds. */
const FILTER_DELAY = 300;

/** Check kinds the service runs (`POST checks/run`). */
const KINDS = ['quality', 'drift', 'fairness'];

/**
 * Server-side filters of `GET checks/history`.
 */
export interface ICheckHistoryQuery {
  dataset?: string;
  kind?: string;
  limit?: number;
  beforeId?: number;
}

/**
 * Ledger runs matching `query`, newest first.
 */
export async function fetchCheckHistory(
  query: ICheckHistoryQuery
): Promise<LedgerRun[]> {
  const params = new URLSearchParams();
  if (query.dataset) {
    params.set('dataset', query.dataset);
  }
  if (query.kind) {
    params.set('kind', query.kind);
  }
  params.set('limit', String(query.limit ?? CHECKS_PAGE_SIZE));
  if (query.beforeId !== undefined) {
    params.set('before_id', String(query.beforeId));
  }
  const body = await requestAPI<LedgerRuns>(`checks/history?${params}`);
  return body.runs;
}

function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^\/+/, '');
}

/**
 * Whether a run recorded for `recorded` (as the kernel or a job named it)
 * belongs to the notebook open at `current` (relative to the server root).
 * Absolute recorded paths match when they end with the open path.
 */
export function sameNotebook(
  recorded: string | null | undefined,
  current: string
): boolean {
  if (!recorded || !current) {
    return false;
  }
  const a = normalisePath(recorded);
  const b = normalisePath(current);
  return a === b || a.endsWith(`/${b}`);
}

/**
 * The Checks section: the governance ledger's runs, newest first, filtered
 * to the active notebook, a dataset or a kind; a run opens on its items.
 *
 * Dataset and kind are filtered by the service; "this notebook" filters
 * the loaded pages in the browser (the history API has no notebook filter),
 * so "Load more" reaches further back for it too.
 */
export class ChecksPanel extends Panel {
  constructor(notebooks: INotebookTracker | null = null) {
    super();
    this.addClass('aios-checks-panel');
    this.node.dataset.testid = 'aios-checks-tab';
    this._notebooks = notebooks;

    this._thisNotebook = el('input', {
      type: 'checkbox',
      'data-testid': 'aios-checks-this-notebook'
    });
    this._thisNotebook.addEventListener('change', () => this._render());
    this._notebookLabel = el('span', { class: 'aios-checks-notebook-path' });
    this._dataset = el('input', {
      type: 'search',
      class: 'aios-search jp-mod-styled',
      placeholder: 'Dataset (source.schema.table)',
      'aria-label': 'Filter by dataset',
      'data-testid': 'aios-checks-dataset'
    });
    this._dataset.addEventListener('input', () => this._scheduleReload());
    this._kind = el(
      'select',
      {
        class: 'aios-checks-kind',
        'aria-label': 'Filter by kind',
        'data-testid': 'aios-checks-kind'
      },
      el('option', { value: '' }, 'All kinds'),
      ...KINDS.map(kind => el('option', { value: kind }, kind))
    );
    this._kind.addEventListener('change', () => void this.reload());
    const refresh = reloadButton(
      'the check runs',
      () => void this.reload(),
      'aios-checks-refresh'
    );

    this._message = el('div', { class: 'aios-checks-message' });
    this._list = el('ul', {
      class: 'aios-check-runs',
      'aria-label': 'Check runs'
    });
    this._more = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-checks-more',
        'data-testid': 'aios-checks-more'
      },
      'Load more'
    );
    this._more.addEventListener('click', () => void this._loadMore());

    this._filters = new Widget({
      node: el(
        'div',
        {
          class: 'aios-checks-filters',
          role: 'group',
          'aria-label': 'Check run filters'
        },
        el(
          'div',
          { class: 'aios-data-toolbar' },
          this._dataset,
          this._kind,
          refresh
        ),
        el(
          'label',
          {
            class: 'aios-checks-notebook',
            title: 'Only runs recorded by the active notebook'
          },
          this._thisNotebook,
          ' This notebook ',
          this._notebookLabel
        )
      )
    });
    this._body = new Widget({
      node: el(
        'div',
        { class: 'aios-checks-body' },
        this._message,
        this._list,
        this._more
      )
    });
    this._view = new CheckRunView(() => this.showList());
    this.addWidget(this._filters);
    this.addWidget(this._body);
    this.addWidget(this._view);
    this._view.hide();
    this._more.hidden = true;
    this._message.replaceChildren(loadingNote('Loading check runs…'));

    notebooks?.currentChanged.connect(this._onNotebookChanged, this);
    this._onNotebookChanged();
  }

  /** Runs loaded so far (every page), newest first, before the notebook filter. */
  get runs(): readonly LedgerRun[] {
    return this._runs;
  }

  /**
   * Load the first page again with the current filters.
   */
  async reload(): Promise<void> {
    this._more.hidden = true;
    this._message.replaceChildren(loadingNote('Loading check runs…'));
    const outcome = await this._loader.load(() =>
      fetchCheckHistory(this._query())
    );
    if (!outcome) {
      return;
    }
    this._runs = outcome.ok ? outcome.value : [];
    this._exhausted = !outcome.ok || this._runs.length < CHECKS_PAGE_SIZE;
    this._render();
  }

  /**
   * Show a run's items in place of the list.
   */
  openRun(run: LedgerRun): void {
    this._filters.hide();
    this._body.hide();
    this._view.show();
    this._view.open(run);
    this._view.node.focus();
  }

  /**
   * Back to the filters and the list, focus on the run that was open.
   */
  showList(): void {
    const name = this._view.node.dataset.name;
    this._view.hide();
    this._filters.show();
    this._body.show();
    const row = [
      ...this._list.querySelectorAll<HTMLElement>('.aios-check-run-button')
    ].find(button => button.closest('li')?.dataset.name === name);
    row?.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._notebooks?.currentChanged.disconnect(this._onNotebookChanged, this);
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._loader.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._loader.stale) {
      void this.reload();
    }
  }

  private _query(beforeId?: number) {
    return {
      dataset: this._dataset.value.trim() || undefined,
      kind: this._kind.value || undefined,
      beforeId
    };
  }

  private async _loadMore(): Promise<void> {
    const last = this._runs[this._runs.length - 1];
    if (!last) {
      return;
    }
    this._more.disabled = true;
    this._more.textContent = 'Loading…';
    const outcome = await this._loader.follow(() =>
      fetchCheckHistory(this._query(last.id))
    );
    this._more.disabled = false;
    this._more.textContent = 'Load more';
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      this._runs = this._runs.concat(outcome.value);
      this._exhausted = outcome.value.length < CHECKS_PAGE_SIZE;
      this._render();
    } else {
      this._message.replaceChildren(
        errorBox('Cannot load more check runs', outcome.message)
      );
    }
  }

  private _scheduleReload(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = null;
      void this.reload();
    }, FILTER_DELAY);
  }

  private _notebookPath(): string {
    return this._notebooks?.currentWidget?.context.path ?? '';
  }

  private _onNotebookChanged(): void {
    const path = this._notebookPath();
    this._thisNotebook.disabled = !path;
    if (!path) {
      this._thisNotebook.checked = false;
    }
    this._notebookLabel.textContent = path ? `(${path})` : '(no notebook open)';
    if (!this._loader.stale) {
      this._render();
    }
  }

  private _render(): void {
    const error = this._loader.error;
    if (error !== null) {
      this._list.replaceChildren();
      this._more.hidden = true;
      this._message.replaceChildren(
        errorBox('Cannot load the check runs', error)
      );
      return;
    }
    const path = this._notebookPath();
    const onlyNotebook = this._thisNotebook.checked && !!path;
    const runs = onlyNotebook
      ? this._runs.filter(r => sameNotebook(r.notebook, path))
      : this._runs;
    this._list.replaceChildren(...runs.map(run => this._renderRun(run)));
    this._more.hidden = this._exhausted;
    const messages: Node[] = [];
    if (this._runs.length === 0) {
      const filtered = this._dataset.value.trim() || this._kind.value;
      messages.push(
        emptyNote(
          filtered
            ? 'No check run matches these filters. Dataset names are exact (source.schema.table).'
            : 'No checks have run yet. Run `aios check quality` or wb.quality(...) in a notebook.'
        )
      );
    } else if (runs.length === 0) {
      messages.push(
        emptyNote(
          this._exhausted
            ? `No check run was recorded by ${path}.`
            : `No loaded check run was recorded by ${path}; "Load more" looks further back.`
        )
      );
    }
    this._message.replaceChildren(...messages);
  }

  private _renderRun(run: LedgerRun): HTMLElement {
    const button = el(
      'button',
      {
        type: 'button',
        class: 'aios-check-run-button',
        'aria-label': `${run.label}: ${run.status}. Open its items`,
        title: `${run.verdict}\n${run.name}`
      },
      el(
        'span',
        { class: 'aios-check-run-line' },
        statusBadge(run.status),
        el('span', { class: 'aios-check-run-name' }, run.label),
        run.required
          ? el(
              'span',
              {
                class: 'aios-badge aios-check-required',
                title: 'Required: a failure blocks promotion'
              },
              'required'
            )
          : null,
        el('span', { class: 'aios-check-run-kind' }, run.kind)
      ),
      el(
        'span',
        { class: 'aios-check-run-meta' },
        el(
          'span',
          { class: 'aios-check-run-datasets' },
          run.datasets.join(', ') || 'no dataset'
        ),
        el(
          'span',
          {},
          `${run.user} · `,
          el('time', { datetime: run.at, title: run.at }, formatTime(run.at))
        )
      )
    );
    button.addEventListener('click', () => this.openRun(run));
    return el(
      'li',
      {
        class: 'aios-check-run',
        'data-testid': 'aios-check-run',
        'data-status': run.status,
        'data-name': run.name,
        'data-id': String(run.id)
      },
      button
    );
  }

  private readonly _notebooks: INotebookTracker | null;
  private readonly _thisNotebook: HTMLInputElement;
  private readonly _notebookLabel: HTMLSpanElement;
  private readonly _dataset: HTMLInputElement;
  private readonly _kind: HTMLSelectElement;
  private readonly _message: HTMLDivElement;
  private readonly _list: HTMLUListElement;
  private readonly _more: HTMLButtonElement;
  private readonly _filters: Widget;
  private readonly _body: Widget;
  private readonly _view: CheckRunView;
  private readonly _loader = new Loader({ busy: this.node });
  private _runs: LedgerRun[] = [];
  private _exhausted = true;
  private _timer: number | null = null;
}
