import { AcknowledgeRequest, Alert, AlertPage } from './api';
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
