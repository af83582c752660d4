/**
 * The order of the runs table: the column it sorts by and the direction;
 * a first click on a column sorts it its natural way, a second flips it.
 */
import { RunSummary } from './api';
import { IRunColumn, cellText, runSeconds } from './runsTableModel';

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

type SortKey = number | string | null;

/** What a column orders by: numbers where they are numbers, else text; null (no value) sorts last. */
export function sortKey(
  run: RunSummary,
  column: IRunColumn,
  labels: Map<string, string>
): SortKey {
  if (column.kind === 'metric') {
    const value = run.metrics[column.title];
    return typeof value === 'number' && isFinite(value) ? value : null;
  }
  if (column.kind === 'param') {
    const value = run.params[column.title];
    if (value === undefined) {
      return null;
    }
    const number = Number(value);
    return value.trim() !== '' && isFinite(number) ? number : value;
  }
  switch (column.key) {
    case 'started':
      return run.start_time ? Date.parse(run.start_time) : null;
    case 'duration':
      return runSeconds(run);
    case 'checks':
      return run.checks.status === 'none' ? null : run.checks.failed;
    default: {
      const text = cellText(run, column, labels);
      return text === '—' ? null : text;
    }
  }
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'number') {
    return -1; // numbers before text in a mixed column
  }
  if (typeof b === 'number') {
    return 1;
  }
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/**
 * `runs` ordered by `column`; runs without a value last in either
 * direction, ties kept in the service's order (newest first).
 */
export function sortRuns(
  runs: readonly RunSummary[],
  column: IRunColumn,
  direction: 'asc' | 'desc',
  labels: Map<string, string>
): RunSummary[] {
  const sign = direction === 'asc' ? 1 : -1;
  return runs
    .map((run, index) => ({ run, index, key: sortKey(run, column, labels) }))
    .sort((a, b) => {
      if (a.key === null || b.key === null) {
        return a.key === b.key ? a.index - b.index : a.key === null ? 1 : -1;
      }
      return sign * compareKeys(a.key, b.key) || a.index - b.index;
    })
    .map(entry => entry.run);
}

/** The direction a first click on a column orders by: newest and largest first for times, ascending else. */
export function firstDirection(column: IRunColumn): 'asc' | 'desc' {
  return column.key === 'started' ? 'desc' : 'asc';
}
