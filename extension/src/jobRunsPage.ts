import { Widget } from '@lumino/widgets';

import { JobRun } from './api';
import { toneBadge } from './badges';
import { reloadButton, smallButton } from './buttons';
import { el, emptyNote, errorBox, loadingNote, messageOf } from './dom';
import { checksNote } from './jobRunItem';
import { IRunsFilter, RUN_VERDICTS, fetchAllRuns, fetchJobs } from './jobsApi';
import { IOutputOpener } from './output';
import { formatDate, formatDuration, timeElement } from './time';

/** Runs asked for per page of the list. */
export const RUNS_PAGE_SIZE = 25;

/**
 * Options of {@link JobRunsPage}.
 */
export interface IJobRunsPageOptions {
  outputs: IOutputOpener;
  /** Open a job's page. */
  openJob: (name: string) => void;
}

/**
 * The runs of every job (next to jupyter-scheduler's job list), newest
 * first, filtered by status (as every surface says it: "checks failed") and
 * by job, paged further back with "Load more". Each run links to its job's
 * page and opens its output.
 */
export class JobRunsPage extends Widget {
  constructor(options: IJobRunsPageOptions) {
    super();
    this._options = options;
    this.addClass('aios-job-runs-page');
    this.node.dataset.testid = 'aios-job-runs-page';
    this._status = el(
      'select',
      { 'data-testid': 'aios-runs-filter-status', class: 'jp-mod-styled' },
      el('option', { value: '' }, 'any status'),
      ...RUN_VERDICTS.map(([value, words]) => el('option', { value }, words))
    );
    this._job = el(
      'select',
      { 'data-testid': 'aios-runs-filter-job', class: 'jp-mod-styled' },
      el('option', { value: '' }, 'every job')
    );
    for (const select of [this._status, this._job]) {
      select.addEventListener('change', () => void this.reload());
    }
    this._message = el('div', { role: 'status', 'aria-live': 'polite' });
    this._body = el('tbody', {});
    this._more = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-more',
        'data-testid': 'aios-runs-more'
      },
      'Load more'
    );
    this._more.hidden = true;
    this._more.addEventListener('click', () => void this._load(true));
    const label = (text: string, control: HTMLElement) =>
      el('label', { class: 'aios-job-runs-filter' }, `${text} `, control);
    this.node.append(
      el('h3', { class: 'aios-compare-title' }, 'Runs of every job'),
      el(
        'div',
        { class: 'aios-data-toolbar', role: 'group', 'aria-label': 'Filters' },
        label('Status', this._status),
        label('Job', this._job),
        reloadButton('the runs', () => void this.reload(), 'aios-runs-reload')
      ),
      this._message,
      el(
        'table',
        {
          class: 'aios-table aios-job-runs-table',
          'data-testid': 'aios-runs-table',
          'aria-label': 'Runs, newest first'
        },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...[
              'Run',
              'Job',
              'Status',
              'Started',
              'Duration',
              'Trigger',
              'Output'
            ].map(h => el('th', { scope: 'col' }, h))
          )
        ),
        this._body
      ),
      this._more
    );
  }

  /** The filters as set now. */
  get filter(): IRunsFilter {
    return {
      job: this._job.value || undefined,
      status: (this._status.value || undefined) as IRunsFilter['status']
    };
  }

  /** Set the filters (e.g. "this job's failed runs") and load. */
  async show(filter: IRunsFilter = {}): Promise<void> {
    await this._loadJobs();
    this._job.value = filter.job ?? '';
    this._status.value = filter.status ?? '';
    await this.reload();
  }

  /** Load the newest page again. */
  async reload(): Promise<void> {
    await this._load(false);
  }

  private async _loadJobs(): Promise<void> {
    try {
      const jobs = await fetchJobs();
      const chosen = this._job.value;
      this._job.replaceChildren(
        el('option', { value: '' }, 'every job'),
        ...jobs.map(j => el('option', { value: j.name }, j.name))
      );
      this._job.value = chosen;
    } catch {
      // the list still works unfiltered; the runs request says what is wrong
    }
  }

  private async _load(more: boolean): Promise<void> {
    const ticket = ++this._ticket;
    if (!more) {
      this._next = null;
      this._message.replaceChildren(loadingNote('Loading runs…'));
    }
    this._more.disabled = true;
    try {
      const page = await fetchAllRuns(
        this.filter,
        RUNS_PAGE_SIZE,
        more ? this._next : null
      );
      if (ticket !== this._ticket) {
        return; // a newer filter won
      }
      const rows = page.runs.map(run => this._row(run));
      if (more) {
        this._body.append(...rows);
      } else {
        this._body.replaceChildren(...rows);
      }
      this._next = page.next_before_id;
      this._more.hidden = page.next_before_id === null;
      const shown = this._body.children.length;
      this._message.replaceChildren(
        shown
          ? el(
              'span',
              { class: 'aios-muted', 'data-testid': 'aios-runs-count' },
              `${shown} run${shown === 1 ? '' : 's'} shown${page.next_before_id === null ? '' : ', more further back'}`
            )
          : emptyNote('No run matches these filters.')
      );
    } catch (error) {
      if (ticket === this._ticket) {
        this._message.replaceChildren(
          errorBox('Cannot load the runs', messageOf(error))
        );
      }
    } finally {
      this._more.disabled = false;
    }
  }

  private _row(run: JobRun): HTMLElement {
    const job = run.job ?? '';
    const jobLink = el(
      'button',
      {
        type: 'button',
        class: 'aios-link-button',
        'data-testid': 'aios-runs-open-job',
        title: `Open the page of job ${job}`
      },
      job
    );
    jobLink.addEventListener('click', () => this._options.openJob(job));
    const started = run.started_at ?? run.created_at;
    const note = checksNote(run);
    const output =
      run.output_path || run.html_path
        ? smallButton(
            'Open output',
            {
              'data-testid': 'aios-run-open-output',
              'aria-label': `Open output: run ${run.id} of ${job}`
            },
            () => void this._openOutput(run)
          )
        : null;
    return el(
      'tr',
      {
        'data-testid': 'aios-runs-row',
        'data-id': String(run.id),
        'data-job': job,
        'data-verdict': run.verdict
      },
      el('td', {}, `#${run.id}`),
      el(
        'td',
        {},
        jobLink,
        el('span', { class: 'aios-muted' }, ` v${run.version}`)
      ),
      el('td', { title: note ?? '' }, toneBadge(run.verdict)),
      el(
        'td',
        {},
        started
          ? el('span', {}, formatDate(started), ' (', timeElement(started), ')')
          : '—'
      ),
      el('td', {}, formatDuration(run.duration_seconds)),
      el('td', {}, run.trigger_words),
      el('td', {}, output ?? '')
    );
  }

  private async _openOutput(run: JobRun): Promise<void> {
    try {
      await this._options.outputs.open(run);
    } catch (error) {
      this._message.replaceChildren(
        errorBox(`Cannot open the output of run ${run.id}`, messageOf(error))
      );
    }
  }

  private readonly _options: IJobRunsPageOptions;
  private readonly _status: HTMLSelectElement;
  private readonly _job: HTMLSelectElement;
  private readonly _message: HTMLElement;
  private readonly _body: HTMLTableSectionElement;
  private readonly _more: HTMLButtonElement;
  private _next: number | null = null;
  private _ticket = 0;
}
