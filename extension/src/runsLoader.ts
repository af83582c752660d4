/**
 * How both runs views (the sidebar's list and the main-area table) load
 * MLflow runs: the first page for the chosen notebook, further pages by
 * token, the registered versions alongside, and a poll that reloads in
 * place when the newest runs changed. Stale answers are dropped by
 * {@link Loader}; the view only shows what is loaded.
 */
import { Widget } from '@lumino/widgets';

import { RunSummary } from './api';
import { el, errorBox } from './dom';
import { IVisiblePoll, Loader, pollWhileVisible } from './loader';
import { VersionsByRun, fetchVersionsByRun } from './runLinks';
import { POLL_MS, RUNS_PAGE_SIZE, fetchRuns, runsChanged } from './runsApi';

/** Most runs a quiet reload asks for to keep every page shown so far. */
const QUIET_RELOAD_MAX = 500;

/**
 * Options of {@link RunsLoader}.
 */
export interface IRunsLoaderOptions {
  /** The view: marked busy while loading, polled only while visible. */
  widget: Widget;
  /** The notebook whose runs to load; null for every notebook's. */
  notebook: () => string | null;
  /** Show what is loaded: called when a reload, poll or page lands. */
  show: () => void;
  /** Whether a poll should skip its round (e.g. a comparison covers the runs). */
  paused?: () => boolean;
}

/**
 * The runs a view shows, loaded a page at a time, newest first. After a
 * failed reload the runs loaded before stay and {@link error} says why.
 */
export class RunsLoader {
  constructor(options: IRunsLoaderOptions) {
    this._options = options;
    this._loader = new Loader({ busy: options.widget.node });
    this._poll = pollWhileVisible(options.widget, POLL_MS, () =>
      this._refreshIfChanged()
    );
  }

  /** Runs loaded so far, newest first. */
  get runs(): RunSummary[] {
    return this._runs;
  }

  /** The token of the next page; null when every run is loaded. */
  get next(): string | null {
    return this._next;
  }

  /** The address of MLflow's UI, when the service names one. */
  get mlflowUi(): string | null {
    return this._mlflowUi;
  }

  /** Registered model versions by the run they came from. */
  get versions(): VersionsByRun {
    return this._versions;
  }

  /** Why the newest reload failed; null after a success. */
  get error(): string | null {
    return this._loader.error;
  }

  /** Whether to reload when next shown. */
  get stale(): boolean {
    return this._loader.stale;
  }

  /** Reload when next shown: what to load changed while hidden. */
  markStale(): void {
    this._loader.markStale();
  }

  /**
   * Load the first page again; a quiet reload (a poll saw a change) keeps
   * as many runs as are shown. Calls `show` unless a newer load overtook it.
   */
  async reload(quiet = false): Promise<void> {
    const notebook = this._options.notebook();
    const limit = quiet
      ? Math.min(QUIET_RELOAD_MAX, Math.max(RUNS_PAGE_SIZE, this._runs.length))
      : RUNS_PAGE_SIZE;
    const [outcome, versions] = await Promise.all([
      this._loader.load(() => fetchRuns({ notebook, limit })),
      fetchVersionsByRun()
    ]);
    if (!outcome) {
      return;
    }
    this._versions = versions;
    if (outcome.ok) {
      this._runs = outcome.value.runs;
      this._next = outcome.value.next_page_token;
      this._mlflowUi = outcome.value.mlflow_ui ?? null;
    }
    this._options.show();
  }

  /**
   * Append the next page and call `show`.
   *
   * @returns why the page could not load; null when it loaded, or when
   * there is none or a reload replaced the runs it would extend.
   */
  async loadMore(): Promise<string | null> {
    const pageToken = this._next;
    if (!pageToken) {
      return null;
    }
    const notebook = this._options.notebook();
    const outcome = await this._loader.follow(() =>
      fetchRuns({ notebook, pageToken })
    );
    if (!outcome) {
      return null;
    }
    if (!outcome.ok) {
      return outcome.message;
    }
    this._runs = this._runs.concat(outcome.value.runs);
    this._next = outcome.value.next_page_token;
    this._options.show();
    return null;
  }

  dispose(): void {
    this._poll.dispose();
    this._loader.dispose();
  }

  /**
   * A poll: reload in place when the newest runs differ from those loaded,
   * or when the service answers again after a failed reload.
   */
  private async _refreshIfChanged(): Promise<void> {
    if (this._options.paused?.()) {
      return;
    }
    const changed = await runsChanged(this._runs, this._options.notebook());
    if (changed || this.error !== null) {
      await this.reload(true);
    }
  }

  private readonly _options: IRunsLoaderOptions;
  private readonly _loader: Loader;
  private readonly _poll: IVisiblePoll;
  private _runs: RunSummary[] = [];
  private _next: string | null = null;
  private _mlflowUi: string | null = null;
  private _versions: VersionsByRun = new Map();
}

/**
 * The "Load more" button of a runs view: asks `loader` for the next page,
 * reads "Loading…" meanwhile, and shows a failure in `message`.
 */
export function loadMoreButton(
  loader: RunsLoader,
  message: HTMLElement,
  testid?: string
): HTMLButtonElement {
  const button = el(
    'button',
    { type: 'button', class: 'aios-button aios-more', 'data-testid': testid },
    'Load more'
  );
  button.hidden = true;
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Loading…';
    const failure = await loader.loadMore();
    button.disabled = false;
    button.textContent = 'Load more';
    if (failure !== null) {
      message.replaceChildren(errorBox('Cannot load more runs', failure));
    }
  });
  return button;
}
