import { AppDetail, AppRunResult, AppSummary, RunAppRequest } from './api';
import { postAPI, requestAPI, withQuery } from './request';

/** The decision apps published to the caller. */
export async function listApps(): Promise<AppSummary[]> {
  return (await requestAPI<{ apps: AppSummary[] }>('apps')).apps;
}

/** One app with its form, its choices as the caller may see them. */
export function fetchApp(name: string): Promise<AppDetail> {
  return requestAPI<AppDetail>(withQuery('apps/app', { name }));
}

/** Run an app as the caller (their grants, masks and row filters decide what it shows). */
export function runApp(
  name: string,
  parameters: Record<string, unknown>
): Promise<AppRunResult> {
  const body: RunAppRequest = { name, parameters };
  return postAPI<AppRunResult>('apps/run', body);
}
