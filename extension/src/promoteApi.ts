import { IRequestError, postAPI, requestAPI, withQuery } from './request';

/**
 * One typed parameter of a notebook's `parameters` cell (`jobs/parameters.py`).
 * `type` is int, float, str, bool, list, dict or any.
 */
export interface IParameterSpec {
  name: string;
  type: string;
  nullable: boolean;
  default: unknown;
  default_source: string;
  literal: boolean;
  annotation: string | null;
  help: string;
}

/**
 * `GET notebooks/parameters?path=`: what the Promote dialog's form is built from.
 */
export interface INotebookParameters {
  notebook: string;
  digest: string;
  kernel: string;
  language: string;
  required_checks: string[];
  schema: {
    parameters: IParameterSpec[];
    problems: string[];
    inspected: boolean;
    cell_index?: number;
  };
}

/**
 * One occurrence: UTC and the job's zone, both ISO 8601.
 */
export interface IOccurrence {
  utc: string;
  local: string;
}

/**
 * `GET schedule/preview`: the normalised schedule, in words, and its next runs.
 */
export interface ISchedulePreview {
  schedule: {
    kind: string;
    cron: string | null;
    timezone: string;
    at: string | null;
    description: string;
  };
  next_runs: IOccurrence[];
}

/**
 * One promotion gate's verdict (`jobs/gates.py` PromotionGate).
 */
export interface IPromotionGate {
  name: string;
  title: string;
  passed: boolean;
  pending: boolean;
  reason: string;
  detail: Record<string, unknown>;
}

/**
 * `POST jobs/promote`'s report: 200 when promoted (status `active`) or
 * waiting for approval (`pending_approval`), 422 when refused.
 */
export interface IPromotionReport {
  job: string;
  notebook: string;
  version: number | null;
  status: 'active' | 'pending_approval' | 'refused' | string;
  passed: boolean;
  identity: string;
  promoted_by: string;
  digest: string | null;
  gates: IPromotionGate[];
  parameters: Record<string, unknown>;
  schedule: ISchedulePreview['schedule'] | null;
  next_runs: IOccurrence[];
  message?: string;
  fix?: string;
}

/**
 * The body of `POST jobs/promote`.
 */
export interface IPromoteRequest {
  notebook: string;
  name?: string;
  parameters?: Record<string, unknown>;
  cron?: string | null;
  timezone?: string;
  timeout_seconds?: number;
  retries?: number;
  notifications?: { webhooks?: string[]; emails?: string[] };
  approver?: string;
}

/** The parameters cell of a workspace notebook, typed. */
export function fetchNotebookParameters(
  path: string
): Promise<INotebookParameters> {
  return requestAPI<INotebookParameters>(
    withQuery('notebooks/parameters', { path })
  );
}

/** A schedule's words and next `count` runs; a 400 names what is wrong with it. */
export function previewSchedule(
  cron: string | null,
  timezone: string,
  count = 5
): Promise<ISchedulePreview> {
  return requestAPI<ISchedulePreview>(
    withQuery('schedule/preview', { cron: cron ?? '', timezone, count })
  );
}

function isReport(body: unknown): body is IPromotionReport {
  return (
    !!body &&
    typeof body === 'object' &&
    Array.isArray((body as IPromotionReport).gates)
  );
}

/**
 * Promote a notebook. A refusal (422) resolves with its report, since every
 * gate's reason is the answer the user needs; other failures throw.
 */
export async function promoteNotebook(
  request: IPromoteRequest
): Promise<IPromotionReport> {
  try {
    return await postAPI<IPromotionReport>('jobs/promote', request);
  } catch (error) {
    const body = (error as IRequestError).body;
    if ((error as IRequestError).status === 422 && isReport(body)) {
      return body;
    }
    throw error;
  }
}

/** Approve or reject a version waiting for approval. */
export function decideApproval(
  name: string,
  version: number,
  decision: 'approve' | 'reject',
  comment?: string
): Promise<Record<string, unknown>> {
  return postAPI<Record<string, unknown>>('jobs/approval', {
    name,
    version,
    decision,
    ...(comment ? { comment } : {})
  });
}
