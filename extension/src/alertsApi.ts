import { postAPI, requestAPI, withQuery } from './request';

/**
 * One item of the attention feed (`aios_workbench/alerts.py` alert_dict).
 * kind: run_failed, monitor_failed, approval; state: open, acknowledged, resolved.
 */
export interface IAlert {
  id: number;
  at: string;
  last_at: string;
  key: string;
  kind: string;
  severity: string;
  state: string;
  title: string;
  detail: Record<string, unknown>;
  count: number;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
}

/**
 * Unresolved alerts by state.
 */
export interface IAlertCounts {
  open: number;
  acknowledged: number;
}

/**
 * `GET alerts`: a page of alerts, newest first, and the counts.
 */
export interface IAlertPage {
  alerts: IAlert[];
  counts: IAlertCounts | null;
}

/** Alerts asked for per page. */
export const ALERTS_PAGE_SIZE = 50;

/** A page of alerts in `state` (all states when empty), newest first. */
export async function fetchAlerts(query: {
  state?: string;
  limit?: number;
  beforeId?: number;
}): Promise<IAlertPage> {
  const body = await requestAPI<unknown>(
    withQuery('alerts', {
      state: query.state,
      limit: query.limit ?? ALERTS_PAGE_SIZE,
      before_id: query.beforeId
    })
  );
  if (Array.isArray(body)) {
    return { alerts: body as IAlert[], counts: null };
  }
  const record = (body ?? {}) as Record<string, unknown>;
  const counts = record.counts as IAlertCounts | undefined;
  return {
    alerts: Array.isArray(record.alerts) ? (record.alerts as IAlert[]) : [],
    counts: counts && typeof counts.open === 'number' ? counts : null
  };
}

/** How many alerts are open (for the badge). */
export async function fetchOpenCount(): Promise<number> {
  const page = await fetchAlerts({ state: 'open', limit: 1 });
  if (page.counts) {
    return page.counts.open;
  }
  // Without counts in the answer, count a full page of open alerts.
  const all = await fetchAlerts({ state: 'open', limit: 500 });
  return all.alerts.length;
}

/** Mark an alert as seen. */
export function acknowledgeAlert(id: number): Promise<IAlert> {
  return postAPI<IAlert>('alerts/ack', { id });
}
