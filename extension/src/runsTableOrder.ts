/**
 * The order of the runs table: the column it sorts by and the direction;
 * a first click on a column sorts it its natural way, a second flips it.
 */
import { RunSummary } from './api';
import { IRunColumn, firstDirection, sortRuns } from './runsTableModel';

/** Ascending or descending. */
export type SortDirection = 'asc' | 'desc';

/**
 * Which column orders the table; newest first until the user chooses.
 */
export class RunsTableOrder {
  /** The key of the column the table is sorted by. */
  get key(): string {
    return this._key;
  }

  get direction(): SortDirection {
    return this._direction;
  }

  /** Sort by `column`; when it already sorts the table, flip the direction. */
  toggle(column: IRunColumn): void {
    this._direction =
      this._key === column.key
        ? this._direction === 'asc'
          ? 'desc'
          : 'asc'
        : firstDirection(column);
    this._key = column.key;
  }

  /** `runs` in this order, among `columns` (unordered when the sorting column is not shown). */
  apply(
    runs: readonly RunSummary[],
    columns: readonly IRunColumn[],
    labels: Map<string, string>
  ): RunSummary[] {
    const column = columns.find(c => c.key === this._key);
    return column ? sortRuns(runs, column, this._direction, labels) : [...runs];
  }

  /** The marker after a column's title: ▲ or ▼ on the sorting column. */
  marker(column: IRunColumn): string {
    if (column.key !== this._key) {
      return '';
    }
    return this._direction === 'asc' ? ' ▲' : ' ▼';
  }

  /** The column's `aria-sort`: only the sorting column has one. */
  ariaSort(column: IRunColumn): 'ascending' | 'descending' | undefined {
    if (column.key !== this._key) {
      return undefined;
    }
    return this._direction === 'asc' ? 'ascending' : 'descending';
  }

  private _key = 'started';
  private _direction: SortDirection = 'desc';
}
