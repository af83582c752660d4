import {
  JobDecision,
  JobDecisionRequest,
  NotebookParameters,
  PromoteRequest,
  PromotionRefusal,
  PromotionReport,
  SchedulePreview
} from './api';
import { IRequestError, postAPI, requestAPI, withQuery } from './request';

/** The parameters cell of a workspace notebook, typed. */
export function fetchNotebookParameters(
  path: string
): Promise<NotebookParameters> {
  return requestAPI<NotebookParameters>(
    withQuery('notebooks/parameters', { path })
  );
}

/**
 * A schedule's words and next `count` runs (a cron expression, or the ISO
 * time `at` of a one-off run); a 400 names what is wrong with it.
 */
export function previewSchedule(
  cron: string | null,
  timezone: string,
  count = 5,
  at: string | null = null
): Promise<SchedulePreview> {
  return requestAPI<SchedulePreview>(
    withQuery('schedule/preview', {
      cron: cron ?? '',
      timezone,
      count,
      ...(at ? { at } : {})
    })
  );
}

/** Whether a 422's body is a refused promotion's report (not another error). */
function isRefusal(body: unknown): body is PromotionRefusal {
  return (
    !!body &&
    typeof body === 'object' &&
    'gates' in body &&
    Array.isArray(body.gates) &&
    'error' in body &&
    body.error === 'promotion_refused'
  );
}

/**
 * Promote a notebook. A refusal (422) resolves with its report, since every
 * gate's reason is the answer the user needs; other failures throw.
 */
export async function promoteNotebook(
  request: PromoteRequest
): Promise<PromotionReport> {
  try {
    return await postAPI<PromotionReport>('jobs/promote', request);
  } catch (error) {
    const body = (error as IRequestError).body;
    if ((error as IRequestError).status === 422 && isRefusal(body)) {
      return body;
    }
    throw error;
  }
}

/**
 * What promoting `request` would do, without running a gate or storing
 * anything: the version it would make and, for an existing job, what it
 * changes against the version the job runs (status `planned`), or that it
 * changes nothing (status `unchanged`).
 */
export function planPromotion(
  request: PromoteRequest
): Promise<PromotionReport> {
  return postAPI<PromotionReport>('jobs/promote', {
    ...request,
    dry_run: true
  });
}

/** Approve or reject a version waiting for approval. */
export function decideApproval(
  name: string,
  version: number,
  decision: JobDecisionRequest['decision'],
  comment?: string
): Promise<JobDecision> {
  const body: JobDecisionRequest = {
    name,
    version,
    decision,
    ...(comment ? { comment } : {})
  };
  return postAPI<JobDecision>('jobs/approval', body);
}
