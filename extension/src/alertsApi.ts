import {
  AcknowledgeRequest,
  Alert,
  AlertPage,
  LedgerRun,
  LedgerRuns
} from './api';
import { postAPI, requestAPI, withQuery } from './request';

/** Alerts asked for per page. */
export const ALERTS_PAGE_SIZE = 50;

/** A page of alerts in `state` (all states when empty), newest first. */
export function fetchAlerts(query: {
  state?: string;
  limit?: number;
  beforeId?: number;
}): Promise<AlertPage> {
  return requestAPI<AlertPage>(
    withQuery('alerts', {
      state: query.state,
      limit: query.limit ?? ALERTS_PAGE_SIZE,
      before_id: query.beforeId
    })
  );
}

/** How many alerts are open (for the badge). */
export async function fetchOpenCount(): Promise<number> {
  const page = await fetchAlerts({ state: 'open', limit: 1 });
  return page.counts.open;
}

/** Mark an alert as seen. */
export function acknowledgeAlert(id: number): Promise<Alert> {
  const body: AcknowledgeRequest = { id };
  return postAPI<Alert>('alerts/ack', body);
}

/**
 * One check result (ledger entry) by its id, as the caller may see it; an
 * error naming the id when it is not among the results they may see.
 */
export async function fetchCheckResult(id: number): Promise<LedgerRun> {
  const body = await requestAPI<LedgerRuns>(
    withQuery('checks/history', { limit: 1, before_id: id + 1 })
  );
  const run = body.runs[0];
  if (!run || run.id !== id) {
    throw new Error(
      `Check result #${id} is not among the results you may see (it may be about data you may not read).`
    );
  }
  return run;
}
