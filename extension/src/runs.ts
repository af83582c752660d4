import { INotebookTracker } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { RunSummary } from './api';
import { toneBadge } from './badges';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { IVisiblePoll, Loader, pollWhileVisible } from './loader';
import { RunCompareView, checksBadge } from './runCompare';
import { runDetails, summaryOf } from './runDetails';
import { VersionsByRun, fetchVersionsByRun, runLinks } from './runLinks';
import {
  MAX_COMPARE_RUNS,
  POLL_MS,
  RUNS_PAGE_SIZE,
  fetchRuns,
  runsScopeSelect,
  runsChanged
} from './runsApi';
import { uniqueLabels } from './runsTableModel';
import { timeElement } from './time';

/**
 * The Runs section: the MLflow runs of the active notebook (or of every
 * notebook), newest first and paged; each opens on its parameters,
 * metrics, datasets and checks; two or more selected are compared.
 * While visible it polls for new or changed runs and shows them in place;
 * `openTable` opens the full runs table in the main area.
 */
export class RunsPanel extends Panel {
  constructor(
    notebooks: INotebookTracker | null = null,
    openTable?: (notebook: string | null) => void
  ) {
    super();
    this.addClass('aios-runs-panel');
    this.node.dataset.testid = 'aios-runs-tab';
    this._notebooks = notebooks;

    this._scope = runsScopeSelect('aios-runs-scope');
    this._scope.addEventListener('change', () => void this.reload());
    const refresh = reloadButton(
      'the runs',
      () => void this.reload(),
      'aios-runs-refresh'
    );
    this._scopeNote = el('p', {
      class: 'aios-runs-scope-note',
      'data-testid': 'aios-runs-notebook'
    });
    const table = el(
      'button',
      {
        type: 'button',
        class: 'aios-button',
        title: 'Open the runs as a table in the main area',
        'data-testid': 'aios-runs-open-table'
      },
      'Open table'
    );
    table.addEventListener('click', () => openTable?.(this._notebookFilter()));
    table.hidden = !openTable;

    this._message = el('div', { class: 'aios-runs-message' });
    this._list = el('ul', { class: 'aios-runs', 'aria-label': 'Runs' });
    this._more = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-more',
        'data-testid': 'aios-runs-more'
      },
      'Load more'
    );
    this._more.addEventListener('click', () => void this._loadMore());
    this._more.hidden = true;

    this._selection = el('span', {
      class: 'aios-runs-selection',
      role: 'status',
      'aria-live': 'polite'
    });
    this._compare = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-primary',
        'data-testid': 'aios-runs-compare'
      },
      'Compare'
    );
    this._compare.addEventListener('click', () => this.compareSelected());
    const clear = el(
      'button',
      { type: 'button', class: 'aios-button' },
      'Clear'
    );
    clear.addEventListener('click', () => {
      this._selected.clear();
      this._syncSelection();
    });

    this._header = new Widget({
      node: el(
        'div',
        {
          class: 'aios-runs-filters',
          role: 'group',
          'aria-label': 'Run filters'
        },
        el('div', { class: 'aios-data-toolbar' }, this._scope, refresh, table),
        this._scopeNote
      )
    });
    this._body = new Widget({
      node: el(
        'div',
        { class: 'aios-runs-body' },
        this._message,
        this._list,
        this._more
      )
    });
    this._footer = new Widget({
      node: el(
        'div',
        { class: 'aios-runs-actions' },
        this._selection,
        clear,
        this._compare
      )
    });
    this._view = new RunCompareView(() => this.showList(), {
      mlflowUi: () => this._mlflowUi,
      versions: () => this._versions
    });
    this.addWidget(this._header);
    this.addWidget(this._body);
    this.addWidget(this._footer);
    this.addWidget(this._view);
    this._view.hide();
    this._message.replaceChildren(loadingNote('Loading runs…'));
    this._syncSelection();

    notebooks?.currentChanged.connect(this._onNotebookChanged, this);
    this._poll = pollWhileVisible(this, POLL_MS, () =>
      this._refreshIfChanged()
    );
  }

  /** Runs loaded so far, newest first. */
  get runs(): readonly RunSummary[] {
    return this._runs;
  }

  /**
   * Load the first page again for the current scope.
   */
  async reload(quiet = false): Promise<void> {
    if (!quiet) {
      this._more.hidden = true;
      this._message.replaceChildren(loadingNote('Loading runs…'));
    }
    this._updateScopeNote();
    // A quiet reload (a poll saw a change) keeps every page shown so far.
    const limit = quiet
      ? Math.min(500, Math.max(RUNS_PAGE_SIZE, this._runs.length))
      : RUNS_PAGE_SIZE;
    const [outcome, versions] = await Promise.all([
      this._loader.load(() =>
        fetchRuns({ notebook: this._notebookFilter(), limit })
      ),
      fetchVersionsByRun()
    ]);
    if (!outcome) {
      return;
    }
    this._versions = versions;
    this._runs = outcome.ok ? outcome.value.runs : [];
    this._next = outcome.ok ? outcome.value.next_page_token : null;
    this._mlflowUi = outcome.ok ? (outcome.value.mlflow_ui ?? null) : null;
    const known = new Set(this._runs.map(r => r.id));
    for (const id of [...this._selected]) {
      if (!known.has(id)) {
        this._selected.delete(id);
      }
    }
    this._render();
  }

  /**
   * Compare the selected runs (2 to 10) in place of the list.
   */
  compareSelected(): void {
    const ids = this._runs.filter(r => this._selected.has(r.id)).map(r => r.id);
    if (ids.length < 2) {
      return;
    }
    this._header.hide();
    this._body.hide();
    this._footer.hide();
    this._view.show();
    this._view.node.focus();
    void this._view.open(ids, uniqueLabels(this._runs));
  }

  /**
   * Back to the list.
   */
  showList(): void {
    this._view.hide();
    this._header.show();
    this._body.show();
    this._footer.show();
    this._compare.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._notebooks?.currentChanged.disconnect(this._onNotebookChanged, this);
    this._poll.dispose();
    this._loader.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._loader.stale) {
      void this.reload();
    }
  }

  /** A poll: reload in place when the newest runs differ from those shown. */
  private async _refreshIfChanged(): Promise<void> {
    if (this._view.isVisible) {
      return;
    }
    if (await runsChanged(this._runs, this._notebookFilter())) {
      await this.reload(true);
    }
  }

  private _notebookPath(): string {
    return this._notebooks?.currentWidget?.context.path ?? '';
  }

  /** The notebook filter sent to the service: none when showing every notebook. */
  private _notebookFilter(): string | null {
    return this._scope.value === 'notebook'
      ? this._notebookPath() || null
      : null;
  }

  private _updateScopeNote(): void {
    const path = this._notebookPath();
    if (this._scope.value === 'all') {
      this._scopeNote.textContent = 'Runs of every notebook and script.';
    } else if (path) {
      this._scopeNote.textContent = `Runs of ${path}`;
    } else {
      this._scopeNote.textContent =
        'No notebook is open: showing the runs of every notebook.';
    }
  }

  private _onNotebookChanged(): void {
    if (this._scope.value !== 'notebook') {
      return;
    }
    if (this.isVisible) {
      void this.reload();
    } else {
      this._loader.markStale();
    }
  }

  private async _loadMore(): Promise<void> {
    if (!this._next) {
      return;
    }
    const pageToken = this._next;
    this._more.disabled = true;
    this._more.textContent = 'Loading…';
    const outcome = await this._loader.follow(() =>
      fetchRuns({ notebook: this._notebookFilter(), pageToken })
    );
    this._more.disabled = false;
    this._more.textContent = 'Load more';
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      this._runs = this._runs.concat(outcome.value.runs);
      this._next = outcome.value.next_page_token;
      this._render();
    } else {
      this._message.replaceChildren(
        errorBox('Cannot load more runs', outcome.message)
      );
    }
  }

  private _render(): void {
    const error = this._loader.error;
    if (error !== null) {
      this._list.replaceChildren();
      this._more.hidden = true;
      this._message.replaceChildren(errorBox('Cannot load the runs', error));
      this._syncSelection();
      return;
    }
    // Re-rendering keeps the scroll position and which runs are open.
    const scroll = this._body.node.scrollTop;
    const open = new Set(
      [...this._list.querySelectorAll<HTMLElement>('li.aios-run')]
        .filter(li => li.querySelector('details')?.open)
        .map(li => li.dataset.id ?? '')
    );
    const labels = uniqueLabels(this._runs);
    this._list.replaceChildren(
      ...this._runs.map(run =>
        this._renderRun(run, labels.get(run.id) ?? run.id, open.has(run.id))
      )
    );
    this._body.node.scrollTop = scroll;
    this._more.hidden = !this._next;
    const filter = this._notebookFilter();
    this._message.replaceChildren(
      ...(this._runs.length === 0
        ? [
            emptyNote(
              filter
                ? `No run was tracked from ${filter}. Wrap training code in \`with wb.run("name"):\` and run it.`
                : 'No run was tracked yet. Use `with wb.run("name"):` in a notebook.'
            )
          ]
        : [])
    );
    this._syncSelection();
  }

  private _renderRun(
    run: RunSummary,
    label: string,
    opened: boolean
  ): HTMLElement {
    const select = el('input', {
      type: 'checkbox',
      class: 'aios-run-select',
      'aria-label': `Select ${label} for comparison`,
      'data-testid': 'aios-run-select'
    });
    select.checked = this._selected.has(run.id);
    select.addEventListener('change', () => {
      if (select.checked) {
        this._selected.add(run.id);
      } else {
        this._selected.delete(run.id);
      }
      this._syncSelection();
    });
    const when = run.start_time ? timeElement(run.start_time) : null;
    const details = el(
      'details',
      { class: 'aios-run-more' },
      el(
        'summary',
        {
          class: 'aios-run-summary',
          'aria-label': `${label}: ${run.status}. Show details`
        },
        el(
          'span',
          { class: 'aios-check-run-line' },
          toneBadge(run.status.toLowerCase()),
          el('span', { class: 'aios-check-run-name aios-run-name' }, label),
          checksBadge(run)
        ),
        el(
          'span',
          { class: 'aios-check-run-meta' },
          el('span', {}, run.user ?? ''),
          when
        ),
        Object.keys(run.metrics).length
          ? el(
              'span',
              { class: 'aios-run-line aios-run-metrics' },
              summaryOf(run.metrics)
            )
          : null,
        Object.keys(run.params).length
          ? el(
              'span',
              { class: 'aios-run-line aios-muted' },
              summaryOf(run.params)
            )
          : null
      )
    );
    let filled = false;
    const fill = () => {
      if (details.open && !filled) {
        filled = true;
        details.appendChild(
          runDetails(
            run,
            runLinks(run, label, this._mlflowUi, this._versions.get(run.id))
          )
        );
      }
    };
    details.addEventListener('toggle', fill);
    if (opened) {
      details.open = true;
      fill();
    }
    return el(
      'li',
      {
        class: 'aios-run',
        'data-testid': 'aios-run',
        'data-id': run.id,
        'data-name': run.name ?? '',
        'data-status': run.status
      },
      select,
      details
    );
  }

  private _syncSelection(): void {
    const n = this._selected.size;
    this._compare.disabled = n < 2 || n > MAX_COMPARE_RUNS;
    this._compare.textContent = n >= 2 ? `Compare ${n}` : 'Compare';
    this._selection.textContent =
      n === 0
        ? 'Select 2 or more runs to compare'
        : n > MAX_COMPARE_RUNS
          ? `${n} selected: compare at most ${MAX_COMPARE_RUNS}`
          : `${n} selected`;
    for (const box of this._list.querySelectorAll<HTMLInputElement>(
      '.aios-run-select'
    )) {
      const id = box.closest<HTMLElement>('li')?.dataset.id ?? '';
      box.checked = this._selected.has(id);
    }
  }

  private readonly _notebooks: INotebookTracker | null;
  private readonly _scope: HTMLSelectElement;
  private readonly _scopeNote: HTMLParagraphElement;
  private readonly _message: HTMLDivElement;
  private readonly _list: HTMLUListElement;
  private readonly _more: HTMLButtonElement;
  private readonly _selection: HTMLSpanElement;
  private readonly _compare: HTMLButtonElement;
  private readonly _header: Widget;
  private readonly _body: Widget;
  private readonly _footer: Widget;
  private readonly _view: RunCompareView;
  private readonly _loader = new Loader({ busy: this.node });
  private readonly _poll: IVisiblePoll;
  private readonly _selected = new Set<string>();
  private _runs: RunSummary[] = [];
  private _next: string | null = null;
  private _mlflowUi: string | null = null;
  private _versions: VersionsByRun = new Map();
}
