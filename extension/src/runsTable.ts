/**
 * The runs table in JupyterLab's main area (opened from the sidebar's Runs
 * section, which stays a compact list): chosen metric and parameter
 * columns, ordered by any column, unique run labels, links to MLflow, and
 * a comparison of the selected runs. It refreshes itself while visible.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Panel, Widget } from '@lumino/widgets';

import { RunSummary } from './api';
import { reloadButton } from './buttons';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { IVisiblePoll, Loader, pollWhileVisible } from './loader';
import { RunCompareView } from './runCompare';
import { VersionsByRun, fetchVersionsByRun, runLinks } from './runLinks';
import {
  MAX_COMPARE_RUNS,
  POLL_MS,
  RUNS_PAGE_SIZE,
  fetchRuns,
  runsScopeSelect,
  runsChanged
} from './runsApi';
import {
  IRunColumn,
  availableColumns,
  cellText,
  cellTitle,
  columnsFor,
  defaultChoice,
  firstDirection,
  sortRuns,
  uniqueLabels
} from './runsTableModel';

/** DOM id of the runs table's main-area tab (one at a time). */
export const RUNS_TABLE_ID = 'aios-runs-table';

/**
 * The runs table: the runs of one notebook (or of all), loaded a page at a
 * time and ordered here among those loaded.
 */
export class RunsTableView extends Panel {
  constructor(notebook: string | null) {
    super();
    this.addClass('aios-runs-table-view');
    this.node.dataset.testid = 'aios-runs-table';
    this._notebook = notebook;
    this._scope = runsScopeSelect('aios-runs-table-scope');
    this._scope.value = notebook ? 'notebook' : 'all';
    this._scope.addEventListener('change', () => void this.reload());
    this._note = el('p', {
      class: 'aios-runs-scope-note',
      'data-testid': 'aios-runs-table-note'
    });
    this._picker = el('details', {
      class: 'aios-runs-columns',
      'data-testid': 'aios-runs-columns'
    });
    this._message = el('div', { class: 'aios-runs-message' });
    this._table = el('table', {
      class: 'aios-table aios-runs-grid',
      'aria-label': 'Runs',
      'data-testid': 'aios-runs-grid'
    });
    this._more = el(
      'button',
      { type: 'button', class: 'aios-button aios-more' },
      'Load more'
    );
    this._more.hidden = true;
    this._more.addEventListener('click', () => void this._loadMore());
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
        'data-testid': 'aios-runs-table-compare'
      },
      'Compare'
    );
    this._compare.addEventListener('click', () => this.compareSelected());

    this._list = new Widget({
      node: el(
        'div',
        { class: 'aios-runs-table-body' },
        el(
          'div',
          { class: 'aios-data-toolbar' },
          this._scope,
          reloadButton(
            'the runs',
            () => void this.reload(),
            'aios-runs-table-refresh'
          ),
          this._picker,
          this._selection,
          this._compare
        ),
        this._note,
        this._message,
        el('div', { class: 'aios-runs-grid-scroll' }, this._table),
        this._more
      )
    });
    this._view = new RunCompareView(() => this.showList(), {
      mlflowUi: () => this._mlflowUi,
      versions: () => this._versions
    });
    this.addWidget(this._list);
    this.addWidget(this._view);
    this._view.hide();
    this._poll = pollWhileVisible(this, POLL_MS, () =>
      this._refreshIfChanged()
    );
    void this.reload();
  }

  /** Show the runs of `notebook` (null: of every notebook). */
  setNotebook(notebook: string | null): void {
    this._notebook = notebook;
    this._scope.value = notebook ? 'notebook' : 'all';
    void this.reload();
  }

  /** The runs as ordered on screen. */
  get shownRuns(): RunSummary[] {
    return this._ordered();
  }

  /** Load the first page again (quietly: the table stays while it loads). */
  async reload(quiet = false): Promise<void> {
    if (!quiet) {
      this._message.replaceChildren(loadingNote('Loading runs…'));
    }
    const notebook = this._filter();
    const limit = quiet
      ? Math.min(500, Math.max(RUNS_PAGE_SIZE, this._runs.length))
      : RUNS_PAGE_SIZE;
    const [outcome, versions] = await Promise.all([
      this._loader.load(() => fetchRuns({ notebook, limit })),
      fetchVersionsByRun()
    ]);
    if (!outcome) {
      return;
    }
    this._versions = versions;
    if (outcome.ok) {
      this._runs = outcome.value.runs;
      this._next = outcome.value.next_page_token;
      this._mlflowUi = outcome.value.mlflow_ui ?? null;
      const known = new Set(this._runs.map(r => r.id));
      [...this._selected]
        .filter(id => !known.has(id))
        .forEach(id => this._selected.delete(id));
      if (!this._chosen) {
        this._chosen = defaultChoice(this._runs);
      }
    }
    this._render();
  }

  /** Order by the column `key`; a second call on the same column flips the order. */
  sortBy(key: string): void {
    const column = this._columns().find(c => c.key === key);
    if (!column) {
      return;
    }
    this._direction =
      this._sortKey === key
        ? this._direction === 'asc'
          ? 'desc'
          : 'asc'
        : firstDirection(column);
    this._sortKey = key;
    this._renderTable();
  }

  /** Compare the selected runs (2 to 10) in place of the table. */
  compareSelected(): void {
    const ids = this._ordered()
      .filter(r => this._selected.has(r.id))
      .map(r => r.id);
    if (ids.length < 2 || ids.length > MAX_COMPARE_RUNS) {
      return;
    }
    this._list.hide();
    this._view.show();
    this._view.node.focus();
    void this._view.open(ids, uniqueLabels(this._runs));
  }

  /** Back to the table. */
  showList(): void {
    this._view.hide();
    this._list.show();
    this._compare.focus();
  }

  dispose(): void {
    this._poll.dispose();
    this._loader.dispose();
    super.dispose();
  }

  private _filter(): string | null {
    return this._scope.value === 'notebook' ? this._notebook : null;
  }

  private async _refreshIfChanged(): Promise<void> {
    if (this._view.isVisible) {
      return;
    }
    if (await runsChanged(this._runs, this._filter())) {
      await this.reload(true);
    }
  }

  private async _loadMore(): Promise<void> {
    const pageToken = this._next;
    if (!pageToken) {
      return;
    }
    this._more.disabled = true;
    const outcome = await this._loader.follow(() =>
      fetchRuns({ notebook: this._filter(), pageToken })
    );
    this._more.disabled = false;
    if (outcome?.ok) {
      this._runs = this._runs.concat(outcome.value.runs);
      this._next = outcome.value.next_page_token;
      this._render();
    } else if (outcome) {
      this._message.replaceChildren(
        errorBox('Cannot load more runs', outcome.message)
      );
    }
  }

  private _columns(): IRunColumn[] {
    const chosen = this._chosen ?? { metrics: [], params: [] };
    return columnsFor(chosen.metrics, chosen.params).filter(
      c => !(c.key === 'notebook' && this._filter())
    );
  }

  private _ordered(): RunSummary[] {
    const column = this._columns().find(c => c.key === this._sortKey);
    return column
      ? sortRuns(this._runs, column, this._direction, uniqueLabels(this._runs))
      : [...this._runs];
  }

  private _render(): void {
    const notebook = this._filter();
    const count = `${this._runs.length}${this._next ? '+' : ''} run${this._runs.length === 1 ? '' : 's'}`;
    this._note.textContent = notebook
      ? `${count} of ${notebook}. Choose "All notebooks" for every run.`
      : `${count} of every notebook and script.`;
    const error = this._loader.error;
    if (error !== null) {
      this._message.replaceChildren(errorBox('Cannot load the runs', error));
    } else if (this._runs.length === 0) {
      this._message.replaceChildren(
        emptyNote(
          notebook
            ? `No run was tracked from ${notebook} yet. Choose "All notebooks", or wrap training code in \`with wb.run("name"):\`.`
            : 'No run was tracked yet. Use `with wb.run("name"):` in a notebook.'
        )
      );
    } else {
      this._message.replaceChildren();
    }
    this._more.hidden = !this._next;
    this._renderPicker();
    this._renderTable();
  }

  private _renderPicker(): void {
    const { metrics, params } = availableColumns(this._runs);
    const chosen = this._chosen ?? { metrics: [], params: [] };
    const group = (
      title: string,
      names: string[],
      picked: string[],
      kind: 'metrics' | 'params'
    ) =>
      el(
        'fieldset',
        { class: 'aios-runs-columns-group' },
        el('legend', {}, title),
        ...(names.length ? names : []).map(name => {
          const box = el('input', {
            type: 'checkbox',
            'data-column': `${kind}:${name}`
          });
          box.checked = picked.includes(name);
          box.addEventListener('change', () => {
            const current = this._chosen ?? { metrics: [], params: [] };
            const list = current[kind];
            this._chosen = {
              ...current,
              [kind]: box.checked
                ? [...list, name].sort()
                : list.filter(n => n !== name)
            };
            this._renderPickerSummary();
            this._renderTable();
          });
          return el(
            'label',
            { class: 'aios-runs-column-choice' },
            box,
            ` ${name}`
          );
        }),
        names.length ? null : emptyNote(`No ${title.toLowerCase()} logged.`)
      );
    const open = this._picker.open;
    this._picker.replaceChildren(
      el('summary', {
        class: 'aios-button',
        'data-testid': 'aios-runs-columns-toggle'
      }),
      el(
        'div',
        { class: 'aios-runs-columns-menu' },
        group('Metrics', metrics, chosen.metrics, 'metrics'),
        group('Parameters', params, chosen.params, 'params')
      )
    );
    this._picker.open = open;
    this._renderPickerSummary();
  }

  private _renderPickerSummary(): void {
    const chosen = this._chosen ?? { metrics: [], params: [] };
    const summary = this._picker.querySelector('summary');
    if (summary) {
      const count = (n: number, word: string) =>
        `${n} ${word}${n === 1 ? '' : 's'}`;
      summary.textContent = `Columns: ${count(chosen.metrics.length, 'metric')}, ${count(chosen.params.length, 'parameter')}`;
    }
  }

  private _renderTable(): void {
    const scroll = this._table.parentElement?.scrollLeft ?? 0;
    const columns = this._columns();
    const labels = uniqueLabels(this._runs);
    const head = el(
      'tr',
      {},
      el(
        'th',
        { scope: 'col', class: 'aios-runs-select-col' },
        el('span', { class: 'aios-visually-hidden' }, 'Select')
      ),
      ...withLinks(
        columns,
        () => el('th', { scope: 'col' }, 'Links'),
        column => {
          const sorted = column.key === this._sortKey;
          const button = el(
            'button',
            { type: 'button', class: 'aios-sort', 'data-column': column.key },
            column.title,
            sorted ? (this._direction === 'asc' ? ' ▲' : ' ▼') : ''
          );
          button.addEventListener('click', () => this.sortBy(column.key));
          return el(
            'th',
            {
              scope: 'col',
              class: `aios-runs-col-${column.kind}`,
              'aria-sort': sorted
                ? this._direction === 'asc'
                  ? 'ascending'
                  : 'descending'
                : undefined
            },
            button
          );
        }
      )
    );
    const rows = this._ordered().map(run => {
      const label = labels.get(run.id) ?? run.id;
      const box = el('input', {
        type: 'checkbox',
        'aria-label': `Select ${label} for comparison`,
        'data-testid': 'aios-runs-table-select'
      });
      box.checked = this._selected.has(run.id);
      box.addEventListener('change', () => {
        if (box.checked) {
          this._selected.add(run.id);
        } else {
          this._selected.delete(run.id);
        }
        this._syncSelection();
      });
      return el(
        'tr',
        { 'data-id': run.id, 'data-testid': 'aios-runs-table-row' },
        el('td', {}, box),
        ...withLinks(
          columns,
          () =>
            el(
              'td',
              {},
              runLinks(run, label, this._mlflowUi, this._versions.get(run.id))
            ),
          column =>
            el(
              column.key === 'run' ? 'th' : 'td',
              {
                scope: column.key === 'run' ? 'row' : undefined,
                class:
                  column.numeric && column.key !== 'started'
                    ? 'aios-num'
                    : undefined,
                title: cellTitle(run, column) || undefined,
                'data-column': column.key
              },
              cellText(run, column, labels)
            )
        )
      );
    });
    this._table.replaceChildren(
      el('thead', {}, head),
      el('tbody', {}, ...rows)
    );
    if (this._table.parentElement) {
      this._table.parentElement.scrollLeft = scroll;
    }
    this._syncSelection();
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
  }

  private _notebook: string | null;
  private readonly _scope: HTMLSelectElement;
  private readonly _note: HTMLParagraphElement;
  private readonly _picker: HTMLDetailsElement;
  private readonly _message: HTMLDivElement;
  private readonly _table: HTMLTableElement;
  private readonly _more: HTMLButtonElement;
  private readonly _selection: HTMLSpanElement;
  private readonly _compare: HTMLButtonElement;
  private readonly _list: Widget;
  private readonly _view: RunCompareView;
  private readonly _poll: IVisiblePoll;
  private readonly _loader = new Loader({ busy: this.node });
  private readonly _selected = new Set<string>();
  private _runs: RunSummary[] = [];
  private _next: string | null = null;
  private _mlflowUi: string | null = null;
  private _versions: VersionsByRun = new Map();
  private _chosen: { metrics: string[]; params: string[] } | null = null;
  private _sortKey = 'started';
  private _direction: 'asc' | 'desc' = 'desc';
}

/** The cells of `columns`, with the links cell right after the run's label (in view without scrolling). */
function withLinks(
  columns: IRunColumn[],
  links: () => HTMLElement,
  cell: (column: IRunColumn) => HTMLElement
): HTMLElement[] {
  const cells = columns.map(cell);
  cells.splice(1, 0, links());
  return cells;
}

/**
 * Open (or bring forward) the runs table in the main area, on the runs of
 * `notebook` (null: of every notebook).
 */
export function openRunsTable(
  app: JupyterFrontEnd,
  notebook: string | null
): void {
  const open = Array.from(app.shell.widgets('main')).find(
    w => w.id === RUNS_TABLE_ID
  ) as MainAreaWidget<RunsTableView> | undefined;
  if (open) {
    open.content.setNotebook(notebook);
    app.shell.activateById(RUNS_TABLE_ID);
    return;
  }
  const widget = new MainAreaWidget({ content: new RunsTableView(notebook) });
  widget.id = RUNS_TABLE_ID;
  widget.title.label = 'Runs';
  widget.title.caption = 'Tracked runs (MLflow)';
  widget.title.closable = true;
  app.shell.add(widget, 'main');
  app.shell.activateById(RUNS_TABLE_ID);
}
