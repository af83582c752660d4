import { RunComparison, RunSummary, RunsPage } from './api';
import { requestAPI, withQuery } from './request';

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
}): Promise<RunsPage> {
  return requestAPI<RunsPage>(
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
): Promise<RunComparison> {
  return requestAPI<RunComparison>(
    withQuery('runs/compare', {
      ids: ids.join(','),
      metrics: metrics && metrics.length ? metrics.join(',') : undefined
    })
  );
}

/** Runs a poll asks for: enough to see a new run or a change of the newest ones. */
export const POLL_SIZE = 10;

/** Seconds between two polls of a visible runs list. */
export const POLL_MS = 2000;

/**
 * What a poll compares: the runs' ids, statuses, end times and latest
 * metrics. A run logged, finished or given a metric changes it.
 */
export function runsSignature(runs: readonly RunSummary[]): string {
  return JSON.stringify(
    runs.map(r => [r.id, r.status, r.end_time, r.metrics, r.checks.status])
  );
}

/**
 * Whether the newest {@link POLL_SIZE} runs differ from the first ones
 * shown (throws when the service does not answer: try next round).
 */
export async function runsChanged(
  shown: readonly RunSummary[],
  notebook: string | null
): Promise<boolean> {
  const page = await fetchRuns({ notebook, limit: POLL_SIZE });
  return runsSignature(page.runs) !== runsSignature(shown.slice(0, POLL_SIZE));
}

/**
 * A short label for a run: its name, else the first characters of its id.
 */
export function runLabel(run: Pick<RunSummary, 'id' | 'name'>): string {
  return run.name || run.id.slice(0, 8);
}
