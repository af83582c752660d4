import {
  Job,
  JobDeleted,
  JobDetail,
  JobList,
  JobNameRequest,
  JobRun,
  JobRunPage,
  JobVersions,
  Rollback,
  RollbackRequest,
  RunIdRequest,
  RunJobRequest,
  RunLog
} from './api';
import { postAPI, requestAPI, requestText, withQuery } from './request';

/** Run states that may still change. */
export const ACTIVE_RUN_STATES: ReadonlySet<string> = new Set<JobRun['status']>(
  ['queued', 'running']
);

/** Runs asked for per page of a job's history. */
export const HISTORY_PAGE_SIZE = 20;

/** Every job, with the caller's right to control each. */
export async function fetchJobs(): Promise<Job[]> {
  return (await requestAPI<JobList>('jobs')).jobs;
}

/** One job. */
export function fetchJob(name: string): Promise<JobDetail> {
  return requestAPI<JobDetail>(withQuery('jobs/job', { name }));
}

/** A job's runs, newest first; `beforeId` pages further back. */
export async function fetchHistory(
  name: string,
  beforeId?: number
): Promise<JobRun[]> {
  const page = await requestAPI<JobRunPage>(
    withQuery('jobs/history', {
      name,
      limit: HISTORY_PAGE_SIZE,
      before_id: beforeId
    })
  );
  return page.runs;
}

/** Verdicts a run can have, as the runs list filters them; words as every surface says them. */
export const RUN_VERDICTS: ReadonlyArray<[JobRun['verdict'], string]> = [
  ['queued', 'queued'],
  ['running', 'running'],
  ['succeeded', 'succeeded'],
  ['checks_failed', 'checks failed'],
  ['failed', 'failed'],
  ['timed_out', 'timed out'],
  ['cancelled', 'cancelled']
];

/** Filters of the cross-job runs list (`GET jobs/runs`). */
export interface IRunsFilter {
  job?: string;
  status?: JobRun['verdict'];
}

/** A page of every job's runs, newest first; `beforeId` pages further back. */
export function fetchAllRuns(
  filter: IRunsFilter,
  limit: number,
  beforeId?: number | null
): Promise<JobRunPage> {
  return requestAPI<JobRunPage>(
    withQuery('jobs/runs', {
      job: filter.job || undefined,
      status: filter.status || undefined,
      limit,
      before_id: beforeId ?? undefined
    })
  );
}

/** Every version of a job, oldest first, each with what it changed. */
export function fetchVersions(name: string): Promise<JobVersions> {
  return requestAPI<JobVersions>(withQuery('jobs/versions', { name }));
}

/** Point a job back at an earlier active version. */
export function rollbackJob(name: string, version: number): Promise<Rollback> {
  const body: RollbackRequest = { name, version };
  return postAPI<Rollback>('jobs/rollback', body);
}

/** Delete a job with its runs and their outputs (its versions stay). */
export function deleteJob(name: string): Promise<JobDeleted> {
  return requestAPI<JobDeleted>(withQuery('jobs/job', { name }), {
    method: 'DELETE'
  });
}

/** One run with its progress, error and paths. */
export function fetchRun(id: number): Promise<JobRun> {
  return requestAPI<JobRun>(withQuery('jobs/runs/run', { id }));
}

/** The last `tail` lines of a run's log as text. */
export async function fetchLog(id: number, tail = 200): Promise<string> {
  const log = await requestAPI<RunLog>(
    withQuery('jobs/runs/log', { id, tail })
  );
  return log.lines.join('\n');
}

/** A run's output notebook rendered as HTML. */
export function fetchOutputHtml(id: number): Promise<string> {
  return requestText(withQuery('jobs/runs/output', { id, format: 'html' }));
}

/** Queue a manual run now; the queued run. */
export function runJobNow(
  name: string,
  parameters?: RunJobRequest['parameters']
): Promise<JobRun> {
  const body: RunJobRequest = parameters ? { name, parameters } : { name };
  return postAPI<JobRun>('jobs/run', body);
}

/** Pause or resume a job's schedule. */
export function setPaused(name: string, paused: boolean): Promise<Job> {
  const body: JobNameRequest = { name };
  return postAPI<Job>(paused ? 'jobs/pause' : 'jobs/resume', body);
}

/** Ask a queued or running run to stop. */
export function cancelRun(id: number): Promise<JobRun> {
  const body: RunIdRequest = { id };
  return postAPI<JobRun>('jobs/runs/cancel', body);
}

/** Run a finished run again with the same parameters; the new run. */
export function rerunRun(id: number): Promise<JobRun> {
  const body: RunIdRequest = { id };
  return postAPI<JobRun>('jobs/runs/rerun', body);
}
