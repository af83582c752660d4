/**
 * What the runs table shows, without the DOM: unique run labels, the
 * columns (fixed ones, then the chosen metrics and parameters), each
 * cell's text and sort key, and the order of rows by any column.
 */
import { RunSummary } from './api';
import { formatValue } from './checkRunView';
import { formatDate, formatDuration, formatInZone } from './time';

/** A column of the runs table. */
export interface IRunColumn {
  /** Unique: `run`, `status`, ..., `metric:NAME`, `param:NAME`. */
  key: string;
  title: string;
  kind: 'fixed' | 'metric' | 'param';
  numeric: boolean;
}

/** Metric and parameter columns chosen when the table first opens. */
export const DEFAULT_METRIC_COLUMNS = 4;
export const DEFAULT_PARAM_COLUMNS = 4;

/** The columns every table shows, before the chosen metrics and params. */
export const FIXED_COLUMNS: IRunColumn[] = [
  { key: 'run', title: 'Run', kind: 'fixed', numeric: false },
  { key: 'status', title: 'Status', kind: 'fixed', numeric: false },
  { key: 'started', title: 'Started', kind: 'fixed', numeric: true },
  { key: 'duration', title: 'Duration', kind: 'fixed', numeric: true },
  { key: 'notebook', title: 'Notebook', kind: 'fixed', numeric: false },
  { key: 'data', title: 'Data versions', kind: 'fixed', numeric: false },
  { key: 'checks', title: 'Checks', kind: 'fixed', numeric: false }
];

/** The first characters of a run id that tell runs apart. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * A label per run id that no two runs share: the run's name; when names
 * repeat, the name with the one parameter whose values tell those runs
 * apart ("train (max_depth=5)"), else with a short id ("train · 1a2b3c4d").
 */
export function uniqueLabels(
  runs: readonly Pick<RunSummary, 'id' | 'name' | 'params'>[]
): Map<string, string> {
  const byName = new Map<
    string,
    Pick<RunSummary, 'id' | 'name' | 'params'>[]
  >();
  for (const run of runs) {
    const name = run.name || '';
    byName.set(name, [...(byName.get(name) ?? []), run]);
  }
  const labels = new Map<string, string>();
  for (const [name, group] of byName) {
    if (!name) {
      group.forEach(run => labels.set(run.id, shortId(run.id)));
      continue;
    }
    if (group.length === 1) {
      labels.set(group[0].id, name);
      continue;
    }
    const keySet = new Set<string>();
    group.forEach(r => Object.keys(r.params).forEach(k => keySet.add(k)));
    const keys = [...keySet].sort();
    const telling = keys.find(
      key =>
        group.every(r => r.params[key] !== undefined) &&
        new Set(group.map(r => r.params[key])).size === group.length
    );
    for (const run of group) {
      labels.set(
        run.id,
        telling
          ? `${name} (${telling}=${run.params[telling]})`
          : `${name} · ${shortId(run.id)}`
      );
    }
  }
  return labels;
}

/** Seconds a run took (null while it runs or when a time is missing). */
export function runSeconds(run: RunSummary): number | null {
  if (!run.start_time || !run.end_time) {
    return null;
  }
  const seconds =
    (Date.parse(run.end_time) - Date.parse(run.start_time)) / 1000;
  return isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** How long a run took ("42 s", "3 min 5 s"), "running" while it runs, "—" when unknown. */
export function durationText(run: RunSummary): string {
  if (run.status === 'RUNNING') {
    return 'running';
  }
  const seconds = runSeconds(run);
  // The service's times are whole seconds: "0 ms" would claim a precision it lacks.
  return seconds !== null && seconds < 1 ? '< 1 s' : formatDuration(seconds);
}

/** The datasets a run read with the first characters of each version's digest. */
export function dataVersions(run: RunSummary): string {
  if (run.datasets.length === 0) {
    return '—';
  }
  return run.datasets
    .map(d => (d.digest ? `${d.name} @${d.digest.slice(0, 8)}` : d.name))
    .join(', ');
}

/** Metric names, then param names, over `runs`, each sorted by name. */
export function availableColumns(runs: readonly RunSummary[]): {
  metrics: string[];
  params: string[];
} {
  const metrics = new Set<string>();
  const params = new Set<string>();
  for (const run of runs) {
    Object.keys(run.metrics).forEach(m => metrics.add(m));
    Object.keys(run.params).forEach(p => params.add(p));
  }
  return { metrics: [...metrics].sort(), params: [...params].sort() };
}

/**
 * Columns to show first: a few metrics, and the parameters whose values
 * differ between the runs (those that explain a difference) before the others.
 */
export function defaultChoice(runs: readonly RunSummary[]): {
  metrics: string[];
  params: string[];
} {
  const { metrics, params } = availableColumns(runs);
  const varies = (key: string) =>
    new Set(runs.map(r => r.params[key])).size > 1;
  const ranked = [...params.filter(varies), ...params.filter(p => !varies(p))];
  return {
    metrics: metrics.slice(0, DEFAULT_METRIC_COLUMNS),
    params: ranked.slice(0, DEFAULT_PARAM_COLUMNS)
  };
}

/** The table's columns for the chosen metrics and params. */
export function columnsFor(metrics: string[], params: string[]): IRunColumn[] {
  return [
    ...FIXED_COLUMNS,
    ...metrics.map((name): IRunColumn => ({
      key: `metric:${name}`,
      title: name,
      kind: 'metric',
      numeric: true
    })),
    ...params.map((name): IRunColumn => ({
      key: `param:${name}`,
      title: name,
      kind: 'param',
      numeric: false
    }))
  ];
}

/** A cell's text (what the table shows). */
export function cellText(
  run: RunSummary,
  column: IRunColumn,
  labels: Map<string, string>
): string {
  if (column.kind === 'metric') {
    return formatValue(run.metrics[column.title]);
  }
  if (column.kind === 'param') {
    return run.params[column.title] ?? '—';
  }
  switch (column.key) {
    case 'run':
      return labels.get(run.id) ?? shortId(run.id);
    case 'status':
      return run.status.toLowerCase();
    case 'started':
      return formatDate(run.start_time);
    case 'duration':
      return durationText(run);
    case 'notebook':
      return run.notebook ?? '—';
    case 'data':
      return dataVersions(run);
    case 'checks':
      return run.checks.status === 'none'
        ? '—'
        : `${run.checks.passed} passed, ${run.checks.failed} failed`;
    default:
      return '';
  }
}

/** A cell's title (its full value): the zone-qualified date, the full digest. */
export function cellTitle(run: RunSummary, column: IRunColumn): string {
  switch (column.key) {
    case 'run':
      return `${run.name ?? 'unnamed run'} (${run.id})`;
    case 'started':
      return formatInZone(run.start_time);
    case 'data':
      return run.datasets.map(d => `${d.name} ${d.digest}`).join('\n');
    default:
      return '';
  }
}
