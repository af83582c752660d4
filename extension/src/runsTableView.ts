/**
 * The runs table (opened from the sidebar's Runs section, which stays a
 * compact list): chosen metric and parameter columns, ordered by any
 * column, unique run labels, links to MLflow, and a comparison of the
 * selected runs. It refreshes itself while visible.
 */
import { Panel, Widget } from '@lumino/widgets';

import { RunSummary } from './api';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { RunCompareView } from './runCompare';
import { MAX_COMPARE_RUNS } from './runsApi';
import { RunsColumnPicker } from './runsColumnPicker';
import { RunsLoader, loadMoreButton } from './runsLoader';
import { RunsScope } from './runsScope';
import { RunSelection } from './runsSelection';
import { renderRunsGrid } from './runsTableGrid';
import { IRunColumn, columnsFor, uniqueLabels } from './runsTableModel';
import { RunsTableOrder } from './runsTableOrder';

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
    this._loader = new RunsLoader({
      widget: this,
      notebook: () => this._scope.filter(),
      show: () => this._render(),
      paused: () => this._view.isVisible
    });
    this._scope = new RunsScope(
      'aios-runs-table-scope',
      () => this._notebook,
      () => void this.reload()
    );
    this._scope.oneNotebook = Boolean(notebook);
    this._selection = new RunSelection('aios-runs-table-compare', () =>
      this.compareSelected()
    );
    this._picker = new RunsColumnPicker(() => this._renderTable());
    this._note = el('p', {
      class: 'aios-runs-scope-note',
      'data-testid': 'aios-runs-table-note'
    });
    this._message = el('div', { class: 'aios-runs-message' });
    this._table = el('table', {
      class: 'aios-table aios-runs-grid',
      'aria-label': 'Runs',
      'data-testid': 'aios-runs-grid'
    });
    this._more = loadMoreButton(this._loader, this._message);

    this._list = new Widget({
      node: el(
        'div',
        { class: 'aios-runs-table-body' },
        el(
          'div',
          { class: 'aios-data-toolbar' },
          ...this._scope.controls('aios-runs-table-refresh'),
          this._picker.node,
          this._selection.status,
          this._selection.compareButton
        ),
        this._note,
        this._message,
        el('div', { class: 'aios-runs-grid-scroll' }, this._table),
        this._more
      )
    });
    this._view = new RunCompareView(() => this.showList(), {
      mlflowUi: () => this._loader.mlflowUi,
      versions: () => this._loader.versions
    });
    this.addWidget(this._list);
    this.addWidget(this._view);
    this._view.hide();
    void this.reload();
  }

  /** Show the runs of `notebook` (null: of every notebook). */
  setNotebook(notebook: string | null): void {
    this._notebook = notebook;
    this._scope.oneNotebook = Boolean(notebook);
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
    await this._loader.reload(quiet);
  }

  /** Order by the column `key`; a second call on the same column flips the order. */
  sortBy(key: string): void {
    const column = this._columns().find(c => c.key === key);
    if (column) {
      this._order.toggle(column);
      this._renderTable();
    }
  }

  /** Compare the selected runs (2 to 10) in place of the table. */
  compareSelected(): void {
    const ids = this._ordered()
      .filter(r => this._selection.has(r.id))
      .map(r => r.id);
    if (ids.length < 2 || ids.length > MAX_COMPARE_RUNS) {
      return;
    }
    this._list.hide();
    this._view.show();
    this._view.node.focus();
    void this._view.open(ids, uniqueLabels(this._loader.runs));
  }

  /** Back to the table. */
  showList(): void {
    this._view.hide();
    this._list.show();
    this._selection.compareButton.focus();
  }

  dispose(): void {
    this._loader.dispose();
    super.dispose();
  }

  /** The chosen columns; not the notebook's when the table shows one notebook. */
  private _columns(): IRunColumn[] {
    const { metrics, params } = this._picker.chosen;
    return columnsFor(metrics, params).filter(
      c => !(c.key === 'notebook' && this._scope.filter())
    );
  }

  private _ordered(): RunSummary[] {
    const runs = this._loader.runs;
    return this._order.apply(runs, this._columns(), uniqueLabels(runs));
  }

  private _render(): void {
    const runs = this._loader.runs;
    this._selection.keepOnly(runs.map(r => r.id));
    if (this._loader.error === null) {
      this._picker.chooseFirst(runs);
    }
    const notebook = this._scope.filter();
    const next = this._loader.next;
    const count = `${runs.length}${next ? '+' : ''} run${runs.length === 1 ? '' : 's'}`;
    this._note.textContent = notebook
      ? `${count} of ${notebook}. Choose "All notebooks" for every run.`
      : `${count} of every notebook and script.`;
    const error = this._loader.error;
    if (error !== null) {
      this._message.replaceChildren(errorBox('Cannot load the runs', error));
    } else if (runs.length === 0) {
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
    this._more.hidden = !next;
    this._picker.render(runs);
    this._renderTable();
  }

  private _renderTable(): void {
    renderRunsGrid(this._table, {
      runs: this._ordered(),
      columns: this._columns(),
      labels: uniqueLabels(this._loader.runs),
      order: this._order,
      selection: this._selection,
      mlflowUi: this._loader.mlflowUi,
      versions: this._loader.versions,
      sortBy: column => this.sortBy(column.key)
    });
    this._selection.sync();
  }

  private _notebook: string | null;
  private readonly _loader: RunsLoader;
  private readonly _scope: RunsScope;
  private readonly _selection: RunSelection;
  private readonly _picker: RunsColumnPicker;
  private readonly _order = new RunsTableOrder();
  private readonly _note: HTMLParagraphElement;
  private readonly _message: HTMLDivElement;
  private readonly _table: HTMLTableElement;
  private readonly _more: HTMLButtonElement;
  private readonly _list: Widget;
  private readonly _view: RunCompareView;
}
