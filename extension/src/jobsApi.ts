import { postAPI, requestAPI, requestText, withQuery } from './request';

/**
 * A job's latest run, as `GET jobs` shows it.
 */
export interface IJobLastRun {
  id: number;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  trigger: string;
}

/**
 * One job of `GET jobs` (`jobs/manage.py` job_dict).
 */
export interface IJob {
  name: string;
  notebook: string;
  version: number;
  identity: string;
  created_by: string;
  created_at: string | null;
  updated_at: string | null;
  paused: boolean;
  schedule: string;
  schedule_kind: string | null;
  executor: string | null;
  next_run: string | null;
  last_run: IJobLastRun | null;
  can_control?: boolean;
}

/**
 * `GET jobs/job`: a job with its spec, next occurrences and recent runs.
 */
export interface IJobDetail extends IJob {
  spec: Record<string, unknown>;
  upcoming: string[];
  version_status: string | null;
  parameter_schema: Record<string, unknown>;
  recent_runs: IJobRun[];
}

/**
 * A failing cell of a run: where and what went wrong.
 */
export interface IFailingCell {
  index?: number;
  source?: string;
  ename?: string;
  evalue?: string;
}

/**
 * One run of a job (`jobs/runs.py` run_dict; paths workspace-relative).
 */
export interface IJobRun {
  id: number;
  job: string | null;
  version: number;
  occurrence: string | null;
  trigger: string;
  attempt: number;
  retry_of: number | null;
  status: string;
  parameters: Record<string, unknown>;
  requested_by: string;
  executor: string;
  created_at: string | null;
  not_before: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  cancel_requested: boolean;
  progress: { cells_done: number; cells_total: number };
  output_path: string | null;
  html_path: string | null;
  log_path: string | null;
  error: string | null;
  failing_cell: IFailingCell | null;
  mlflow_run_id: string | null;
}

/** Run states that may still change. */
export const ACTIVE_RUN_STATES = new Set(['queued', 'running']);

/** Runs asked for per page of a job's history. */
export const HISTORY_PAGE_SIZE = 20;

/** A list out of a body that is either the list or `{key: list}`. */
function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) {
    return body as T[];
  }
  const value = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(value) ? (value as T[]) : [];
}

/** Every job, with the caller's right to control each. */
export async function fetchJobs(): Promise<IJob[]> {
  return listOf<IJob>(await requestAPI<unknown>('jobs'), 'jobs');
}

/** One job. */
export function fetchJob(name: string): Promise<IJobDetail> {
  return requestAPI<IJobDetail>(withQuery('jobs/job', { name }));
}

/** A job's runs, newest first; `beforeId` pages further back. */
export async function fetchHistory(
  name: string,
  beforeId?: number
): Promise<IJobRun[]> {
  const body = await requestAPI<unknown>(
    withQuery('jobs/history', {
      name,
      limit: HISTORY_PAGE_SIZE,
      before_id: beforeId
    })
  );
  return listOf<IJobRun>(body, 'runs');
}

/** One run with its progress, error and paths. */
export function fetchRun(id: number): Promise<IJobRun> {
  return requestAPI<IJobRun>(withQuery('jobs/runs/run', { id }));
}

/** The last `tail` lines of a run's log as text. */
export async function fetchLog(id: number, tail = 200): Promise<string> {
  const body = await requestAPI<unknown>(
    withQuery('jobs/runs/log', { id, tail })
  );
  if (typeof body === 'string') {
    return body;
  }
  const record = (body ?? {}) as Record<string, unknown>;
  if (typeof record.text === 'string') {
    return record.text;
  }
  if (typeof record.log === 'string') {
    return record.log;
  }
  if (Array.isArray(record.lines)) {
    return record.lines.join('\n');
  }
  return '';
}

/** A run's output notebook rendered as HTML. */
export function fetchOutputHtml(id: number): Promise<string> {
  return requestText(withQuery('jobs/runs/output', { id, format: 'html' }));
}

/** Queue a manual run now; the queued run. */
export function runJobNow(
  name: string,
  parameters?: Record<string, unknown>
): Promise<IJobRun> {
  return postAPI<IJobRun>(
    'jobs/run',
    parameters ? { name, parameters } : { name }
  );
}

/** Pause or resume a job's schedule. */
export function setPaused(name: string, paused: boolean): Promise<IJob> {
  return postAPI<IJob>(paused ? 'jobs/pause' : 'jobs/resume', { name });
}

/** Ask a queued or running run to stop. */
export function cancelRun(id: number): Promise<IJobRun> {
  return postAPI<IJobRun>('jobs/runs/cancel', { id });
}

/** Run a finished run again with the same parameters; the new run. */
export function rerunRun(id: number): Promise<IJobRun> {
  return postAPI<IJobRun>('jobs/runs/rerun', { id });
}
