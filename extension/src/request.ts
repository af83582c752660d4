import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ApiError } from './api';

/**
 * URL path segment under which the workbench REST API is mounted.
 */
export const API_NAMESPACE = 'aios/api';

/**
 * An error thrown by {@link requestAPI}: the HTTP status and, when the
 * workbench answered with its JSON error body, its error code (e.g.
 * `not_found`). A missing route answers 404 without a code.
 */
export interface IRequestError extends Error {
  status?: number;
  code?: string;
  /** The parsed JSON body of the error response (e.g. a refused promotion's report). */
  body?: unknown;
}

/** An error body as received: the contract's fields, each still to be checked. */
type ErrorBody = { [K in keyof ApiError]?: unknown };

/**
 * Build a readable message out of an error response.
 *
 * The workbench API answers errors with a JSON body such as
 * `{"message": "...", "fix": "..."}`; both parts are shown when present.
 * Otherwise the HTTP status line is used.
 */
function describeFailure(response: Response, body: unknown): string {
  const parts: string[] = [];
  if (body && typeof body === 'object') {
    const record = body as ErrorBody;
    if (typeof record.message === 'string' && record.message.trim()) {
      parts.push(record.message.trim());
    }
    if (typeof record.fix === 'string' && record.fix.trim()) {
      parts.push(`Fix: ${record.fix.trim()}`);
    }
  } else if (typeof body === 'string' && body.trim() && body.length < 500) {
    parts.push(body.trim());
  }
  if (parts.length === 0) {
    const statusText = response.statusText || 'Request failed';
    parts.push(`${statusText} (HTTP ${response.status})`);
  }
  return parts.join(' — ');
}

/**
 * Call the workbench REST API at `<baseUrl>/aios/api/<endpoint>`.
 *
 * Requests go through `ServerConnection.makeRequest`, so the Jupyter
 * server's token / XSRF handling is applied.
 *
 * @param endpoint - API path relative to `aios/api/`, e.g. `status`.
 * @param init - Optional fetch options (method, body, headers...).
 * @returns The parsed JSON body (or `undefined` for an empty body).
 * @throws Error with a readable message on network failure or non-2xx.
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {}
): Promise<T> {
  const body = await send(endpoint, init);
  if (typeof body === 'string') {
    throw new Error(
      `The AI OS service returned a response that is not JSON (endpoint "${endpoint}").`
    );
  }
  return body as T;
}

/**
 * GET a text resource of the workbench REST API (e.g. a run's HTML output);
 * errors are thrown as by {@link requestAPI}.
 */
export async function requestText(endpoint: string): Promise<string> {
  const body = await send(endpoint, {});
  return typeof body === 'string' ? body : JSON.stringify(body ?? '');
}

/**
 * Send one request; the body parsed as JSON when it is JSON, else as text.
 */
async function send(endpoint: string, init: RequestInit): Promise<unknown> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot reach the AI OS service: ${reason}`, {
      cause: error
    });
  }

  const text = await response.text();
  let body: unknown = undefined;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }

  if (!response.ok) {
    const error: IRequestError = new Error(describeFailure(response, body));
    error.status = response.status;
    error.body = body;
    if (body && typeof body === 'object') {
      const code = (body as ErrorBody).error;
      if (typeof code === 'string') {
        error.code = code;
      }
    }
    throw error;
  }
  return body;
}

/**
 * POST `payload` as JSON to the workbench REST API; see {@link requestAPI}.
 */
export function postAPI<T>(endpoint: string, payload: unknown): Promise<T> {
  return requestAPI<T>(endpoint, {
    method: 'POST',
    body: JSON.stringify(payload),
    headers: { 'Content-Type': 'application/json' }
  });
}

/**
 * `endpoint?key=value&...` with the parameters whose value is not
 * `undefined`, `null` or `''`.
 */
export function withQuery(
  endpoint: string,
  query: Record<string, string | number | boolean | null | undefined>
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `${endpoint}?${text}` : endpoint;
}
