/**
 * The rows and header of the runs table: a checkbox to compare each run,
 * a header button per column that sorts by it, and the links cell right
 * after the run's label (in view without scrolling).
 */
import { RunSummary } from './api';
import { el } from './dom';
import { VersionsByRun, runLinks } from './runLinks';
import { RunSelection } from './runsSelection';
import { RunsTableOrder } from './runsTableOrder';
import { IRunColumn, cellText, cellTitle } from './runsTableModel';

/** What the table shows and how. */
export interface IRunsGrid {
  /** The runs, in the order shown. */
  runs: readonly RunSummary[];
  columns: IRunColumn[];
  /** A unique label per run id. */
  labels: Map<string, string>;
  order: RunsTableOrder;
  selection: RunSelection;
  mlflowUi: string | null;
  versions: VersionsByRun;
  /** Called when the header of `column` is clicked. */
  sortBy: (column: IRunColumn) => void;
}

/** Fill `table` with `grid`, keeping its horizontal scroll position. */
export function renderRunsGrid(table: HTMLTableElement, grid: IRunsGrid): void {
  const scroll = table.parentElement?.scrollLeft ?? 0;
  table.replaceChildren(
    el('thead', {}, headRow(grid)),
    el('tbody', {}, ...grid.runs.map(run => runRow(run, grid)))
  );
  if (table.parentElement) {
    table.parentElement.scrollLeft = scroll;
  }
}

function headRow(grid: IRunsGrid): HTMLTableRowElement {
  const { order } = grid;
  return el(
    'tr',
    {},
    el(
      'th',
      { scope: 'col', class: 'aios-runs-select-col' },
      el('span', { class: 'aios-visually-hidden' }, 'Select')
    ),
    ...withLinks(
      grid.columns,
      () => el('th', { scope: 'col' }, 'Links'),
      column => {
        const button = el(
          'button',
          { type: 'button', class: 'aios-sort', 'data-column': column.key },
          column.title,
          order.marker(column)
        );
        button.addEventListener('click', () => grid.sortBy(column));
        return el(
          'th',
          {
            scope: 'col',
            class: `aios-runs-col-${column.kind}`,
            'aria-sort': order.ariaSort(column)
          },
          button
        );
      }
    )
  );
}

function runRow(run: RunSummary, grid: IRunsGrid): HTMLTableRowElement {
  const label = grid.labels.get(run.id) ?? run.id;
  const box = grid.selection.checkbox(run.id, label, {
    testid: 'aios-runs-table-select'
  });
  return el(
    'tr',
    { 'data-id': run.id, 'data-testid': 'aios-runs-table-row' },
    el('td', {}, box),
    ...withLinks(
      grid.columns,
      () =>
        el(
          'td',
          {},
          runLinks(run, label, grid.mlflowUi, grid.versions.get(run.id))
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
          cellText(run, column, grid.labels)
        )
    )
  );
}

/** The cells of `columns`, with the links cell second. */
function withLinks(
  columns: IRunColumn[],
  links: () => HTMLElement,
  cell: (column: IRunColumn) => HTMLElement
): HTMLElement[] {
  const cells = columns.map(cell);
  cells.splice(1, 0, links());
  return cells;
}
