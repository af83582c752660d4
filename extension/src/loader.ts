/**
 * How every section of the sidebar loads what it shows.
 *
 * A section fetches, marks itself busy, and shows the answer or the error;
 * meanwhile the user may start another load (a filter, Refresh, a poll), and
 * answers can arrive out of order. Only the newest load may show its answer:
 * an older one arriving late is dropped, so it never overwrites a newer one.
 */
import { IMessageHandler, Message, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { messageOf } from './dom';

/** How a load ended: its value, or the error it threw (and its message). */
export type LoadOutcome<T> =
  { ok: true; value: T } | { ok: false; error: unknown; message: string };

/**
 * Options of {@link Loader}.
 */
export interface ILoaderOptions {
  /** Marked `aria-busy` while the newest load runs. */
  busy?: HTMLElement;
}

/**
 * Owns one section's loads: which load is the newest, the busy mark, the
 * newest failure, whether the data is stale, and the poll timer.
 *
 * ```ts
 * const outcome = await this._loader.load(() => fetchJobs());
 * if (!outcome) {
 *   return; // a newer load (or dispose) overtook this one
 * }
 * if (outcome.ok) {
 *   this._jobs = outcome.value;
 * }
 * this._render(); // this._loader.error says why, after a failure
 * ```
 */
export class Loader {
  constructor(options: ILoaderOptions = {}) {
    this._busy = options.busy ?? null;
  }

  /** The newest load's failure as a message; null after a success. */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether the section should load when next shown: nothing loaded yet,
   * or {@link markStale} since the last load started.
   */
  get stale(): boolean {
    return this._stale;
  }

  /**
   * Run `fetch` as the newest load. A pending poll is cancelled (this load
   * replaces it) and the busy mark stays until the newest load settles.
   *
   * @returns the outcome, or null when a newer load or {@link dispose}
   * overtook this one: the caller then shows nothing.
   */
  async load<T>(fetch: () => Promise<T>): Promise<LoadOutcome<T> | null> {
    if (this._disposed) {
      return null;
    }
    const generation = ++this._generation;
    this._stale = false;
    this.stopPolling();
    this._busy?.setAttribute('aria-busy', 'true');
    const outcome = await settle(fetch);
    if (generation !== this._generation) {
      return null;
    }
    this._error = outcome.ok ? null : outcome.message;
    this._busy?.removeAttribute('aria-busy');
    return outcome;
  }

  /**
   * Run `fetch` as a follow-up of the current load (the next page of it);
   * touches neither the busy mark nor the error.
   *
   * @returns the outcome, or null when a load started meanwhile (its first
   * page replaced the one this would extend).
   */
  async follow<T>(fetch: () => Promise<T>): Promise<LoadOutcome<T> | null> {
    const generation = this._generation;
    const outcome = await settle(fetch);
    return generation === this._generation && !this._disposed ? outcome : null;
  }

  /**
   * Drop the answer of the load in flight: the section showed something
   * newer without loading.
   */
  cancel(): void {
    this._generation++;
    this._busy?.removeAttribute('aria-busy');
  }

  /** Load when next shown: the data changed while the section was hidden. */
  markStale(): void {
    this._stale = true;
  }

  /**
   * Call `poll` once, `delay` milliseconds from now, replacing a pending
   * poll; a delay of 0 or less only cancels. The next load cancels it too,
   * so sections schedule the next poll after each load.
   */
  schedulePoll(delay: number, poll: () => void): void {
    this.stopPolling();
    if (delay > 0 && !this._disposed) {
      this._timer = window.setTimeout(() => {
        this._timer = null;
        poll();
      }, delay);
    }
  }

  stopPolling(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  /** Stop polling and drop every answer still in flight. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this.cancel();
    this.stopPolling();
    this._disposed = true;
  }

  private readonly _busy: HTMLElement | null;
  private _generation = 0;
  private _error: string | null = null;
  private _stale = true;
  private _disposed = false;
  private _timer: number | null = null;
}

/** The outcome of `fetch`, which may throw synchronously or reject. */
async function settle<T>(fetch: () => Promise<T>): Promise<LoadOutcome<T>> {
  try {
    return { ok: true, value: await fetch() };
  } catch (error) {
    return { ok: false, error, message: messageOf(error) };
  }
}

/**
 * A running {@link pollWhileVisible}: stop it, or refresh at once.
 */
export interface IVisiblePoll {
  /** Refresh now (unless one is running) and restart the interval. */
  refreshNow(): Promise<void>;
  /** Stop polling; also happens when the widget is disposed. */
  dispose(): void;
  readonly isDisposed: boolean;
}

/**
 * Call `refresh` every `intervalMs` while `widget` is visible and the
 * browser tab is not hidden, never two at once; when the widget is shown
 * again after a pause longer than the interval, refresh at once.
 *
 * `refresh` should be cheap when nothing changed (ask "anything newer than
 * what I show?") and re-render without flicker; its errors are its own to
 * show, a throw only skips that round. Polling stops when the widget is
 * disposed or the returned handle is.
 */
export function pollWhileVisible(
  widget: Widget,
  intervalMs: number,
  refresh: () => Promise<unknown> | unknown
): IVisiblePoll {
  let timer: number | null = null;
  let running: Promise<void> | null = null;
  let lastRun = Date.now();
  let disposed = false;

  const visible = () =>
    !widget.isDisposed &&
    widget.isVisible &&
    (typeof document === 'undefined' || document.visibilityState !== 'hidden');

  const schedule = () => {
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = disposed
      ? null
      : window.setTimeout(() => {
          timer = null;
          void (visible() ? run() : Promise.resolve()).then(schedule);
        }, intervalMs);
  };

  const run = (): Promise<void> => {
    if (running) {
      return running;
    }
    lastRun = Date.now();
    running = (async () => {
      try {
        await refresh();
      } catch {
        // The section shows its own errors; the next round tries again.
      } finally {
        running = null;
      }
    })();
    return running;
  };

  const overdue = () => Date.now() - lastRun >= intervalMs;
  const hook: IMessageHandler = widget;
  const onMessage = (_handler: IMessageHandler, msg: Message): boolean => {
    if (msg.type === 'after-show' && overdue() && !disposed) {
      // After the widget's own handler ran, so it sees itself visible.
      window.setTimeout(() => {
        if (visible() && overdue()) {
          void run().then(schedule);
        }
      }, 0);
    }
    return true;
  };
  const onVisibility = () => {
    if (visible() && overdue()) {
      void run().then(schedule);
    }
  };

  const stop = () => {
    if (disposed) {
      return;
    }
    disposed = true;
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    MessageLoop.removeMessageHook(hook, onMessage);
    document.removeEventListener('visibilitychange', onVisibility);
    widget.disposed.disconnect(stop);
  };

  MessageLoop.installMessageHook(hook, onMessage);
  document.addEventListener('visibilitychange', onVisibility);
  widget.disposed.connect(stop);
  schedule();

  return {
    refreshNow: async () => {
      if (!disposed) {
        await run();
        schedule();
      }
    },
    dispose: stop,
    get isDisposed() {
      return disposed;
    }
  };
}
