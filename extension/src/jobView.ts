import { Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { JobDetail, JobRun } from './api';
import { toneBadge } from './badges';
import { el, emptyNote, errorBox, loadingNote, messageOf } from './dom';
import { jobRunItem } from './jobRunItem';
import {
  ACTIVE_RUN_STATES,
  HISTORY_PAGE_SIZE,
  fetchHistory,
  fetchJob,
  runJobNow,
  setPaused
} from './jobsApi';
import { Loader } from './loader';
import { IOutputOpener } from './output';
import { formatInZone, relativeTime } from './time';

/**
 * Options of {@link JobView}.
 */
export interface IJobViewOptions {
  outputs: IOutputOpener;
  onBack: () => void;
  /** Seconds between refreshes while a run is queued or running. */
  pollSeconds: () => number;
  /** Whether the view is on screen (polling pauses while it is not). */
  visible: () => boolean;
}

function when(iso: string | null): HTMLElement | string {
  if (!iso) {
    return '—';
  }
  const relative = relativeTime(iso);
  return el(
    'time',
    { datetime: iso, title: iso },
    formatInZone(iso),
    relative ? ` (${relative})` : ''
  );
}

/**
 * One job: its schedule and next run, controls (run now, pause, resume)
 * and its run history with live progress, cancel, re-run, the log and
 * the output notebook. While a run is queued or running the view polls,
 * and stops when it is hidden.
 */
export class JobView extends Widget {
  constructor(options: IJobViewOptions) {
    super();
    this._options = options;
    this.addClass('aios-job-view');
    this.node.dataset.testid = 'aios-job-view';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Job');
    this.node.tabIndex = -1;
    this.node.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this._options.onBack();
      }
    });
    this._head = el('div', { class: 'aios-job-head' });
    this._actionsMessage = el('div', { class: 'aios-job-actions-message' });
    this._runsList = el('ul', {
      class: 'aios-job-runs',
      'aria-label': 'Runs of this job'
    });
    this._runsMessage = el('div', {});
    this._more = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-more',
        'data-testid': 'aios-job-runs-more'
      },
      'Load more'
    );
    this._more.hidden = true;
    this._more.addEventListener('click', () => void this._loadMore());
    this.node.append(
      this._bar(),
      this._head,
      this._actionsMessage,
      el('h4', { class: 'aios-subtitle' }, 'Runs'),
      this._runsMessage,
      this._runsList,
      this._more
    );
  }

  /** Name of the job shown. */
  get name(): string {
    return this._name;
  }

  /**
   * Show job `name`.
   */
  async open(name: string): Promise<void> {
    this._name = name;
    this._job = null;
    this._runs = [];
    this.node.dataset.name = name;
    this._head.replaceChildren(loadingNote(`Loading job ${name}…`));
    this._actionsMessage.replaceChildren();
    this._runsList.replaceChildren();
    this._runsMessage.replaceChildren();
    this._more.hidden = true;
    await this.refresh();
  }

  /**
   * Load the job and the newest page of its runs again; keeps polling while
   * a run may still change.
   */
  async refresh(): Promise<void> {
    const name = this._name;
    if (!name) {
      return;
    }
    const outcome = await this._loader.load(() =>
      Promise.all([fetchJob(name), fetchHistory(name)])
    );
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      const [job, runs] = outcome.value;
      this._job = job;
      // Keep older pages already loaded; replace the newest page.
      const oldest = runs.length ? runs[runs.length - 1].id : Infinity;
      const older = this._runs.filter(r => r.id < oldest);
      this._runs = runs.concat(runs.length < HISTORY_PAGE_SIZE ? [] : older);
      if (this._runs.length === runs.length) {
        this._exhausted = runs.length < HISTORY_PAGE_SIZE;
      }
    }
    this._render();
    this._schedulePoll();
  }

  /** Resume polling when shown again (the panel calls this from onAfterShow). */
  resume(): void {
    if (this._name && this._hasActiveRuns()) {
      void this.refresh();
    }
  }

  /** Stop polling (the panel calls this when hidden). */
  pause(): void {
    this._loader.stopPolling();
  }

  dispose(): void {
    this._loader.dispose();
    super.dispose();
  }

  private _bar(): HTMLElement {
    const back = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-back',
        'data-testid': 'aios-job-back',
        title: 'Back to the jobs (Escape)'
      },
      '‹ Jobs'
    );
    back.addEventListener('click', () => this._options.onBack());
    const refresh = reloadButton(
      'this job',
      () => void this.refresh(),
      'aios-job-refresh'
    );
    return el('div', { class: 'aios-dataset-bar' }, back, refresh);
  }

  private _hasActiveRuns(): boolean {
    return this._runs.some(r => ACTIVE_RUN_STATES.has(r.status));
  }

  /** Refresh soon while a run may still change and the view is on screen. */
  private _schedulePoll(): void {
    const poll = this._hasActiveRuns() && this._options.visible();
    this._loader.schedulePoll(
      poll ? Math.max(1, this._options.pollSeconds()) * 1000 : 0,
      () => {
        if (this._options.visible()) {
          void this.refresh();
        }
      }
    );
  }

  private async _loadMore(): Promise<void> {
    const last = this._runs[this._runs.length - 1];
    if (!last) {
      return;
    }
    this._more.disabled = true;
    try {
      const runs = await fetchHistory(this._name, last.id);
      this._runs = this._runs.concat(runs);
      this._exhausted = runs.length < HISTORY_PAGE_SIZE;
      this._render();
    } catch (error) {
      this._runsMessage.replaceChildren(
        errorBox('Cannot load more runs', messageOf(error))
      );
    } finally {
      this._more.disabled = false;
    }
  }

  /** Run `action`; on success refresh, on failure say why next to the controls. */
  private async _act(
    label: string,
    action: () => Promise<unknown>
  ): Promise<void> {
    this._actionsMessage.replaceChildren(loadingNote(`${label}…`));
    try {
      await action();
      this._actionsMessage.replaceChildren();
    } catch (error) {
      this._actionsMessage.replaceChildren(
        errorBox(`${label} failed`, messageOf(error))
      );
    }
    await this.refresh();
  }

  private _render(): void {
    const job = this._job;
    if (!job) {
      this._head.replaceChildren(
        errorBox(
          `Cannot load job ${this._name}`,
          this._loader.error ?? 'No answer'
        )
      );
      return;
    }
    this._head.replaceChildren(this._renderHead(job));
    const error = this._loader.error;
    if (error) {
      this._runsMessage.replaceChildren(
        errorBox('Cannot refresh this job', error)
      );
    } else {
      this._runsMessage.replaceChildren(
        ...(this._runs.length
          ? []
          : [
              emptyNote(
                'No run yet: "Run now" starts one, the schedule the next.'
              )
            ])
      );
    }
    const focused = (document.activeElement as HTMLElement | null)?.dataset
      ?.action;
    const focusedRun = (
      document.activeElement as HTMLElement | null
    )?.closest<HTMLElement>('li')?.dataset.id;
    const actions = {
      canControl: job.can_control !== false,
      act: (label: string, action: () => Promise<unknown>) =>
        void this._act(label, action),
      openOutput: (run: JobRun) => void this._openOutput(run)
    };
    this._runsList.replaceChildren(
      ...this._runs.map(run => jobRunItem(run, actions))
    );
    this._more.hidden = this._exhausted;
    if (focused && focusedRun) {
      // keep the keyboard where it was across a refresh
      this._runsList
        .querySelector<HTMLElement>(
          `li[data-id="${focusedRun}"] [data-action="${focused}"]`
        )
        ?.focus();
    }
  }

  private _renderHead(job: JobDetail): HTMLElement {
    const state = job.paused
      ? 'paused'
      : job.version_status === 'active' || !job.version_status
        ? 'active'
        : job.version_status;
    const meta = el('dl', { class: 'aios-meta' });
    const add = (label: string, value: Node | string | null | undefined) => {
      if (value !== null && value !== undefined && value !== '') {
        const field = label.toLowerCase().replace(/\s+/g, '-');
        meta.append(
          el('dt', {}, label),
          el('dd', { 'data-field': field }, value)
        );
      }
    };
    add('Notebook', el('code', {}, job.notebook));
    add(
      'Version',
      `${job.version}${job.version_status && job.version_status !== 'active' ? ` (${job.version_status.replace(/_/g, ' ')})` : ''}`
    );
    add(
      'Schedule',
      el('span', { 'data-testid': 'aios-job-schedule' }, job.schedule)
    );
    add(
      'Next run',
      job.paused
        ? 'paused'
        : job.next_run
          ? when(job.next_run)
          : 'not scheduled'
    );
    add('Runs as', job.identity);
    add('Created by', job.created_by);
    add('Executor', job.executor);

    const canControl = job.can_control !== false;
    const why = canControl
      ? undefined
      : `Only ${job.created_by}, ${job.identity} or an auditor may control this job`;
    const runNow = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-primary',
        'data-testid': 'aios-job-run-now',
        title: why
      },
      'Run now'
    );
    runNow.disabled = !canControl;
    runNow.addEventListener(
      'click',
      () => void this._act('Run now', () => runJobNow(job.name))
    );
    const pause = el(
      'button',
      {
        type: 'button',
        class: 'aios-button',
        'data-testid': job.paused ? 'aios-job-resume' : 'aios-job-pause',
        title: why
      },
      job.paused ? 'Resume' : 'Pause'
    );
    pause.disabled = !canControl;
    pause.addEventListener(
      'click',
      () =>
        void this._act(job.paused ? 'Resume' : 'Pause', () =>
          setPaused(job.name, !job.paused)
        )
    );
    return el(
      'div',
      {},
      el(
        'h3',
        { class: 'aios-compare-title aios-job-title' },
        toneBadge(state),
        ' ',
        job.name
      ),
      meta,
      el(
        'div',
        {
          class: 'aios-job-actions',
          role: 'group',
          'aria-label': 'Job controls'
        },
        runNow,
        pause
      )
    );
  }

  private async _openOutput(run: JobRun): Promise<void> {
    this._actionsMessage.replaceChildren(
      loadingNote(`Opening the output of run ${run.id}…`)
    );
    try {
      await this._options.outputs.open(run);
      this._actionsMessage.replaceChildren();
    } catch (error) {
      this._actionsMessage.replaceChildren(
        errorBox(`Cannot open the output of run ${run.id}`, messageOf(error))
      );
    }
  }

  private readonly _options: IJobViewOptions;
  private readonly _head: HTMLElement;
  private readonly _actionsMessage: HTMLElement;
  private readonly _runsList: HTMLUListElement;
  private readonly _runsMessage: HTMLElement;
  private readonly _more: HTMLButtonElement;
  private readonly _loader = new Loader({ busy: this.node });
  private _name = '';
  private _job: JobDetail | null = null;
  private _runs: JobRun[] = [];
  private _exhausted = true;
}
