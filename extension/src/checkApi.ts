/**
 * The Checks tab's reads: checks grouped by check (`GET checks/overview`),
 * one run in words (`GET checks/report`) and the newest run's id, the cheap
 * "anything new?" question the tab polls.
 */
import type { components } from './generated/api';
import { LedgerRun, LedgerRuns } from './api';
import { requestAPI } from './request';

type Schemas = components['schemas'];

/** `GET checks/overview`: checks grouped by check, a summary, headings and words. */
export type CheckOverview = Schemas['CheckOverview'];
/** One check with its latest verdict and history. */
export type CheckGroup = Schemas['CheckGroup'];
/** One run of a check in its history strip. */
export type CheckHistoryPoint = Schemas['CheckHistoryPoint'];
/** `GET checks/report`: one run as a person reads it. */
export type CheckReport = Schemas['CheckReport'];
/** A drift run's summary and columns. */
export type DriftReport = Schemas['DriftReport'];
/** One drift column: test, statistic, threshold, verdict, distributions. */
export type DriftColumn = Schemas['DriftColumn'];
/** One item of a quality, fairness or explanation run, in words. */
export type CheckItemRow = Schemas['CheckItemRow'];

/** Filters of the Checks tab, applied by the service. */
export interface ICheckFilters {
  dataset?: string;
  kind?: string;
  /** Only runs the notebook at this path (relative to Jupyter's root) recorded. */
  notebook?: string;
}

function params(filters: ICheckFilters): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['dataset', 'kind', 'notebook'] as const) {
    const value = filters[key];
    if (value) {
      query.set(key, value);
    }
  }
  return query;
}

/** The caller's checks grouped by check (the newest 200 runs). */
export function fetchCheckOverview(
  filters: ICheckFilters
): Promise<CheckOverview> {
  return requestAPI<CheckOverview>(`checks/overview?${params(filters)}`);
}

/** One ledger run in words. */
export function fetchCheckReport(id: number): Promise<CheckReport> {
  return requestAPI<CheckReport>(`checks/report?id=${id}`);
}

/**
 * The id of the newest run matching `filters` (null when none): one small
 * request, so polling it every few seconds costs nearly nothing.
 */
export async function fetchNewestCheckId(
  filters: ICheckFilters
): Promise<number | null> {
  const query = params({ dataset: filters.dataset, kind: filters.kind });
  query.set('limit', '1');
  const body = await requestAPI<LedgerRuns>(`checks/history?${query}`);
  return body.runs[0]?.id ?? null;
}

/** Runs asked for per page of `checks/history`. */
export const CHECKS_PAGE_SIZE = 50;

/**
 * Server-side filters of `GET checks/history`.
 */
export interface ICheckHistoryQuery {
  dataset?: string;
  kind?: string;
  limit?: number;
  beforeId?: number;
}

/**
 * Ledger runs matching `query`, newest first.
 */
export async function fetchCheckHistory(
  query: ICheckHistoryQuery
): Promise<LedgerRun[]> {
  const params = new URLSearchParams();
  if (query.dataset) {
    params.set('dataset', query.dataset);
  }
  if (query.kind) {
    params.set('kind', query.kind);
  }
  params.set('limit', String(query.limit ?? CHECKS_PAGE_SIZE));
  if (query.beforeId !== undefined) {
    params.set('before_id', String(query.beforeId));
  }
  const body = await requestAPI<LedgerRuns>(`checks/history?${params}`);
  return body.runs;
}
