import { requestAPI, withQuery } from './request';

/**
 * A dataset a run read, as MLflow logged it (governed reads inside `wb.run`).
 */
export interface IRunDataset {
  name: string;
  digest: string | null;
  context: string | null;
}

/**
 * A run's check outcomes, from its `check.<name>.passed` metrics.
 */
export interface IRunChecks {
  status: 'none' | 'pass' | 'fail' | string;
  passed: number;
  failed: number;
  items: { name: string; passed: boolean; status: string }[];
}

/**
 * One MLflow run as `GET runs` summarises it.
 */
export interface IRunSummary {
  id: string;
  name: string | null;
  experiment_id: string;
  experiment: string;
  status: string;
  start_time: string | null;
  end_time: string | null;
  user: string | null;
  notebook: string | null;
  params: Record<string, string>;
  metrics: Record<string, number>;
  datasets: IRunDataset[];
  checks: IRunChecks;
}

/**
 * `GET runs`: one page, and the token of the next one.
 */
export interface IRunsPage {
  runs: IRunSummary[];
  next_page_token: string | null;
}

/**
 * `GET runs/compare`: parameters that differ and metric histories.
 * `histories[metric][runId]` is a list of `[step, value]`.
 */
export interface IRunComparison {
  runs: IRunSummary[];
  params_diff: Record<string, Record<string, string | null>>;
  params_same: number;
  metrics: string[];
  histories: Record<string, Record<string, [number, number][]>>;
  truncated: boolean;
}

/** Runs asked for per page. */
export const RUNS_PAGE_SIZE = 50;

/** Runs the service compares at once (`runs_query.MAX_COMPARE_RUNS`). */
export const MAX_COMPARE_RUNS = 10;

/**
 * One page of runs, newest first; `notebook` keeps the runs tagged with
 * that workspace-relative notebook path.
 */
export function fetchRuns(query: {
  notebook?: string | null;
  pageToken?: string | null;
  limit?: number;
}): Promise<IRunsPage> {
  return requestAPI<IRunsPage>(
    withQuery('runs', {
      notebook: query.notebook,
      limit: query.limit ?? RUNS_PAGE_SIZE,
      page_token: query.pageToken
    })
  );
}

/**
 * Compare 2 to {@link MAX_COMPARE_RUNS} runs.
 */
export function compareRuns(
  ids: string[],
  metrics?: string[]
): Promise<IRunComparison> {
  return requestAPI<IRunComparison>(
    withQuery('runs/compare', {
      ids: ids.join(','),
      metrics: metrics && metrics.length ? metrics.join(',') : undefined
    })
  );
}

/**
 * A short label for a run: its name, else the first characters of its id.
 */
export function runLabel(run: Pick<IRunSummary, 'id' | 'name'>): string {
  return run.name || run.id.slice(0, 8);
}
