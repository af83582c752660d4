import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { JobDetail, JobRun, JobVersions } from './api';
import { el, emptyNote, errorBox, loadingNote, messageOf } from './dom';
import { jobControls } from './jobControls';
import { jobSummary, parametersTable, settingsView } from './jobDetails';
import { jobRunItem } from './jobRunItem';
import { versionsView } from './jobVersions';
import {
  ACTIVE_RUN_STATES,
  HISTORY_PAGE_SIZE,
  deleteJob,
  fetchHistory,
  fetchJob,
  fetchVersions,
  rollbackJob,
  runJobNow,
  setPaused
} from './jobsApi';
import { Loader } from './loader';
import { IOutputOpener } from './output';

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
  /** Open the Promote dialog from the job's current definition (absent: no Edit button). */
  edit?: (job: JobDetail) => void;
  /** The job was deleted (close its page, reload the list). */
  onDeleted?: (name: string) => void;
  /** Show the runs of every job (absent: no such link). */
  openRuns?: () => void;
  /** The job changed here (an action, or a run that finished): the list may say it. */
  changed?: () => void;
}

function section(title: string, ...body: Node[]): HTMLElement {
  return el(
    'section',
    { class: 'aios-job-section', 'aria-label': title },
    el('h4', { class: 'aios-subtitle' }, title),
    ...body
  );
}

/**
 * The job page (in the main area): its schedule in words and next run in
 * the user's zone, controls (run now, pause, resume, edit, delete), its
 * run history with live progress, cancel, re-run, the log and the output
 * notebook; its parameters, settings in words and version history with
 * rollback. While a run is queued or running the view polls, and stops
 * when it is hidden.
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
    this._parameters = el('div', {});
    this._settings = el('div', {});
    this._versions = el('div', {});
    this.node.append(
      this._bar(),
      this._head,
      this._actionsMessage,
      el(
        'div',
        { class: 'aios-job-columns' },
        section('Runs', this._runsMessage, this._runsList, this._more),
        el(
          'div',
          { class: 'aios-job-side' },
          section('Parameters', this._parameters),
          section('Settings', this._settings),
          section('Versions', this._versions)
        )
      )
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
    this._versionList = null;
    this._versions.replaceChildren(loadingNote('Loading the versions…'));
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
    const versions = fetchVersions(name).then(
      found => found,
      (error: unknown) => new Error(messageOf(error))
    );
    const outcome = await this._loader.load(() =>
      Promise.all([fetchJob(name), fetchHistory(name), versions])
    );
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      const [job, runs, found] = outcome.value;
      const wasActive = this._hasActiveRuns();
      this._job = job;
      this._versionList = found;
      // Keep older pages already loaded; replace the newest page.
      const oldest = runs.length ? runs[runs.length - 1].id : Infinity;
      const older = this._runs.filter(r => r.id < oldest);
      this._runs = runs.concat(runs.length < HISTORY_PAGE_SIZE ? [] : older);
      if (this._runs.length === runs.length) {
        this._exhausted = runs.length < HISTORY_PAGE_SIZE;
      }
      if (wasActive && !this._hasActiveRuns()) {
        this._options.changed?.(); // a run finished: the job's state changed
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

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.resume();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.pause();
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
    const bar = el('div', { class: 'aios-dataset-bar' }, back);
    const openRuns = this._options.openRuns;
    if (openRuns) {
      const all = el(
        'button',
        {
          type: 'button',
          class: 'aios-button',
          'data-testid': 'aios-job-all-runs'
        },
        'Runs of every job'
      );
      all.addEventListener('click', () => openRuns());
      bar.append(all);
    }
    bar.append(refresh);
    return bar;
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
      this._options.changed?.();
    } catch (error) {
      this._actionsMessage.replaceChildren(
        errorBox(`${label} failed`, messageOf(error))
      );
    }
    await this.refresh();
  }

  private async _delete(name: string): Promise<void> {
    this._actionsMessage.replaceChildren(loadingNote(`Deleting job ${name}…`));
    try {
      const done = await deleteJob(name);
      this._loader.stopPolling();
      const runs =
        done.runs_deleted === 1 ? '1 run' : `${done.runs_deleted} runs`;
      this._actionsMessage.replaceChildren(
        el(
          'p',
          { role: 'status', 'data-testid': 'aios-job-deleted' },
          `Job ${name} was deleted with its ${runs}.`
        )
      );
      this._options.onDeleted?.(name);
    } catch (error) {
      this._actionsMessage.replaceChildren(
        errorBox(`Delete job ${name} failed`, messageOf(error))
      );
    }
  }

  private _renderSide(job: JobDetail): void {
    this._parameters.replaceChildren(parametersTable(job));
    this._settings.replaceChildren(
      settingsView(job.settings, job.triggered_by_this)
    );
    const found = this._versionList;
    if (found instanceof Error) {
      this._versions.replaceChildren(
        errorBox('Cannot load the versions', found.message)
      );
    } else if (found) {
      this._versions.replaceChildren(
        versionsView(found.versions, {
          canControl: job.can_control !== false,
          rollback: version =>
            void this._act(`Roll back to version ${version}`, () =>
              rollbackJob(job.name, version)
            )
        })
      );
    }
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
    this._renderSide(job);
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
    const edit = this._options.edit;
    const controls = jobControls(job, {
      runNow: () => void this._act('Run now', () => runJobNow(job.name)),
      setPaused: paused =>
        void this._act(paused ? 'Pause' : 'Resume', () =>
          setPaused(job.name, paused)
        ),
      edit: edit ? () => edit(job) : undefined,
      remove: () => void this._delete(job.name)
    });
    return el('div', {}, jobSummary(job), controls);
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
  private readonly _parameters: HTMLElement;
  private readonly _settings: HTMLElement;
  private readonly _versions: HTMLElement;
  private _versionList: JobVersions | Error | null = null;
}
