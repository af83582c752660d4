import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { Job } from './api';
import { toneBadge } from './badges';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { ACTIVE_RUN_STATES, fetchJobs } from './jobsApi';
import { Loader } from './loader';
import { timeElement } from './time';

/**
 * Options of {@link JobsPanel}.
 */
export interface IJobsPanelOptions {
  /** Open job `name`'s page (in the main area). */
  openJob: (name: string) => void;
  /** Open the runs of every job (in the main area). */
  openRuns: () => void;
  /** Seconds between refreshes while a run is queued or running (settings). */
  pollSeconds?: () => number;
}

/** Seconds after which a list shown again is reloaded. */
const STALE_SECONDS = 30;

/** A job's state at a glance: paused, else its last run's verdict (its status, or checks_failed). */
export function jobState(job: Job): string {
  if (job.paused) {
    return 'paused';
  }
  return job.last_run?.verdict ?? 'never run';
}

/**
 * The Jobs section: every promoted notebook with its status, schedule in
 * words and next run (a compact list); a job opens its page in the main
 * area, "All runs" the runs of every job. The list refreshes itself while
 * a run is queued or running and the section is visible.
 */
export class JobsPanel extends Panel {
  constructor(options: IJobsPanelOptions) {
    super();
    this.addClass('aios-jobs-panel');
    this.node.dataset.testid = 'aios-jobs-tab';
    this._pollSeconds = options.pollSeconds ?? (() => 2);

    const refresh = reloadButton(
      'the jobs',
      () => void this.reload(),
      'aios-jobs-refresh'
    );
    this._count = el('span', {
      class: 'aios-jobs-count',
      role: 'status',
      'aria-live': 'polite'
    });
    const allRuns = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-small',
        'data-testid': 'aios-jobs-all-runs',
        title: 'The runs of every job, newest first, in the main area'
      },
      'All runs'
    );
    allRuns.addEventListener('click', () => options.openRuns());
    this._message = el('div', { class: 'aios-runs-message' });
    this._list = el('ul', { class: 'aios-jobs', 'aria-label': 'Jobs' });
    this._header = new Widget({
      node: el(
        'div',
        { class: 'aios-data-toolbar aios-jobs-toolbar' },
        this._count,
        allRuns,
        refresh
      )
    });
    this._body = new Widget({
      node: el('div', { class: 'aios-jobs-body' }, this._message, this._list)
    });
    this._openJob = options.openJob;
    this.addWidget(this._header);
    this.addWidget(this._body);
    this._message.replaceChildren(loadingNote('Loading jobs…'));
  }

  /** Jobs as last loaded. */
  get jobs(): readonly Job[] {
    return this._jobs;
  }

  /**
   * Load the jobs again.
   */
  async reload(): Promise<void> {
    this._loadedAt = Date.now();
    const outcome = await this._loader.load(fetchJobs);
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      this._jobs = outcome.value;
    }
    this._render();
    this._schedulePoll();
  }

  /**
   * Open job `name`'s page (from the list, the Promote dialog's link or an
   * alert) and mark it in the list.
   */
  openJob(name: string): void {
    this._selected = name;
    for (const item of this._list.querySelectorAll<HTMLElement>('li')) {
      item.classList.toggle('aios-selected', item.dataset.name === name);
    }
    this._openJob(name);
  }

  dispose(): void {
    this._loader.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (
      this._loader.stale ||
      Date.now() - this._loadedAt > STALE_SECONDS * 1000 ||
      this._jobs.some(j => ACTIVE_RUN_STATES.has(j.last_run?.status ?? ''))
    ) {
      void this.reload();
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._loader.stopPolling();
  }

  /** Reload soon while a run may still change and the list is on screen. */
  private _schedulePoll(): void {
    const listShown = () => this.isVisible;
    const active = this._jobs.some(j =>
      ACTIVE_RUN_STATES.has(j.last_run?.status ?? '')
    );
    this._loader.schedulePoll(
      active && listShown() ? Math.max(1, this._pollSeconds()) * 1000 : 0,
      () => {
        if (listShown()) {
          void this.reload();
        }
      }
    );
  }

  private _render(): void {
    const error = this._loader.error;
    if (error !== null) {
      this._list.replaceChildren();
      this._count.textContent = '';
      this._message.replaceChildren(errorBox('Cannot load the jobs', error));
      return;
    }
    const n = this._jobs.length;
    this._count.textContent = n === 1 ? '1 job' : `${n} jobs`;
    this._message.replaceChildren(
      ...(n
        ? []
        : [
            emptyNote(
              'No job yet. Open a notebook and press "Promote" in its toolbar (or run "Promote notebook…").'
            )
          ])
    );
    this._list.replaceChildren(...this._jobs.map(job => this._renderJob(job)));
  }

  private _renderJob(job: Job): HTMLElement {
    const state = jobState(job);
    const next = job.paused ? null : job.next_run;
    const button = el(
      'button',
      {
        type: 'button',
        class: 'aios-check-run-button',
        'aria-label': `${job.name}: ${state.replace(/_/g, ' ')}. ${job.schedule}. Open its page`
      },
      el(
        'span',
        { class: 'aios-check-run-line' },
        toneBadge(state),
        el('span', { class: 'aios-check-run-name' }, job.name),
        el('span', { class: 'aios-check-run-kind' }, `v${job.version}`)
      ),
      el('span', { class: 'aios-job-schedule' }, job.schedule),
      el(
        'span',
        { class: 'aios-check-run-meta' },
        el('span', { class: 'aios-check-run-datasets' }, job.notebook),
        next
          ? el('span', {}, 'next ', timeElement(next))
          : el('span', {}, job.paused ? 'paused' : 'not scheduled')
      )
    );
    button.addEventListener('click', () => this.openJob(job.name));
    return el(
      'li',
      {
        class: `aios-job${job.name === this._selected ? ' aios-selected' : ''}`,
        'data-testid': 'aios-job',
        'data-name': job.name,
        'data-state': state
      },
      button
    );
  }

  private readonly _pollSeconds: () => number;
  private readonly _count: HTMLElement;
  private readonly _message: HTMLElement;
  private readonly _list: HTMLUListElement;
  private readonly _header: Widget;
  private readonly _body: Widget;
  private readonly _openJob: (name: string) => void;
  private _selected = '';
  private readonly _loader = new Loader({ busy: this.node });
  private _jobs: Job[] = [];
  private _loadedAt = 0;
}
