/**
 * The workbench service, faked at the HTTP boundary only: tests answer the
 * `fetch` calls that `request.ts` makes (through JupyterLab's
 * ServerConnection), so every component, `*Api.ts` module and the error
 * formatting of `request.ts` run as in the browser.
 */

/** One request the sidebar sent, as the service would read it. */
export interface ISentRequest {
  method: string;
  /** The path under `aios/api/`, e.g. `jobs/run`. */
  endpoint: string;
  /** Query parameters (JupyterLab's cache-busting timestamp left out). */
  query: Record<string, string>;
  /** The JSON body, if any. */
  body: unknown;
}

/** What a route answers: a status and a JSON (or text) body. */
export interface IReply {
  status: number;
  body?: unknown;
}

type Handler = (request: ISentRequest) => IReply | Promise<IReply>;

/** A 200 answer with `body` as JSON. */
export function ok(body: unknown): IReply {
  return { status: 200, body };
}

/** An error answer with the workbench's JSON error body (`errors.py`). */
export function failure(
  status: number,
  error: string,
  message: string,
  fix?: string
): IReply {
  return { status, body: { error, message, ...(fix ? { fix } : {}) } };
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error'
};

/**
 * A fake service: `on('GET', 'alerts', handler)` routes a request; every
 * request is recorded in `requests`; unrouted requests answer 404.
 */
export class FakeService {
  /** Every request received, in order. */
  readonly requests: ISentRequest[] = [];

  /** Answer `method endpoint` with `reply` (a fixed reply, or a function of the request). */
  on(method: string, endpoint: string, reply: IReply | Handler): this {
    this._routes.set(
      `${method} ${endpoint}`,
      typeof reply === 'function' ? reply : () => reply
    );
    return this;
  }

  /** The requests sent to `method endpoint`. */
  sent(method: string, endpoint: string): ISentRequest[] {
    return this.requests.filter(
      r => r.method === method && r.endpoint === endpoint
    );
  }

  /** Replace the page's `fetch` with this service (undo with {@link uninstall}). */
  install(): this {
    this._original = globalThis.fetch;
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      this._fetch(
        input instanceof Request ? input : new Request(String(input), init)
      )) as typeof fetch;
    return this;
  }

  uninstall(): void {
    if (this._original) {
      globalThis.fetch = this._original;
    }
  }

  private async _fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const prefix = '/aios/api/';
    const endpoint = url.pathname.startsWith(prefix)
      ? url.pathname.slice(prefix.length)
      : url.pathname;
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => {
      if (!(/^\d+$/.test(key) && value === '')) {
        query[key] = value;
      }
    });
    const text = await request.text();
    const sent: ISentRequest = {
      method: request.method,
      endpoint,
      query,
      body: text ? JSON.parse(text) : undefined
    };
    this.requests.push(sent);
    const handler = this._routes.get(`${sent.method} ${endpoint}`);
    const reply = handler
      ? await handler(sent)
      : failure(
          404,
          'not_found',
          `the fake service has no route for ${sent.method} ${endpoint}`
        );
    const body =
      reply.body === undefined
        ? ''
        : typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
    return new Response(body, {
      status: reply.status,
      statusText: STATUS_TEXT[reply.status] ?? '',
      headers: {
        'Content-Type':
          typeof reply.body === 'string' ? 'text/plain' : 'application/json'
      }
    });
  }

  private readonly _routes = new Map<string, Handler>();
  private _original: typeof fetch | null = null;
}

/** A promise with its resolve function, to hold an answer back. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
} {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => (resolve = r));
  return { promise, resolve };
}
