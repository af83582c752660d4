import { Widget } from '@lumino/widgets';

import { NotebookParameters, PromoteRequest, PromotionReport } from './api';
import { JOB_NAME_PATTERN, defaultJobName } from './cronPresets';
import { el, errorBox, loadingNote, messageOf } from './dom';
import { Loader } from './loader';
import { ParametersForm } from './parametersForm';
import { fetchNotebookParameters, planPromotion } from './promoteApi';
import { changesView, reportView } from './promoteResult';
import { ScheduleBuilder, field } from './scheduleBuilder';
import { formatInZone, isTimeZone, userTimeZone } from './time';

/** A job's current definition, as `GET notebooks/parameters` lists the notebook's jobs. */
export type CurrentJob = NotebookParameters['jobs'][number];

/** Delay between the last edit and the new comparison with the job, in milliseconds. */
const PLAN_DELAY = 400;

/**
 * Options of {@link PromoteForm}.
 */
export interface IPromoteFormOptions {
  /** The notebook's path (workspace-relative: the Jupyter root of `aios lab`). */
  path: string;
  /** The zone a new schedule is written in (settings; default the browser's). */
  timeZone?: string;
  /** Whether the notebook has unsaved changes (they are saved before promoting). */
  dirty?: boolean;
  /** Called when a field's validity changed outside an input event (e.g. the preview failed). */
  onValidityChange?: () => void;
  /** Called with what Promote would do now (null: unknown, e.g. a field to fix). */
  onPlan?: (plan: PromotionReport | null) => void;
  /** Start from this job's definition (Edit on a job page), not the notebook's newest job. */
  job?: string;
}

let formCount = 0;

function splitList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * `body` with the settings of `base` the form has no field for, so a new
 * version keeps them (retry backoff, which outcomes notify, triggers,
 * secrets, retention, executor...). The identity is kept when the job runs
 * as a service identity; a personal one becomes the promoter's (the
 * comparison says so when that changes it).
 */
function keptSettings(
  body: PromoteRequest,
  base: CurrentJob,
  form: { retries: number; webhooks: string[]; emails: string[] }
): PromoteRequest {
  const spec = base.spec;
  const kept: PromoteRequest = {
    ...body,
    retries: { ...spec.retries, max: form.retries },
    notifications: {
      on: spec.notifications.on,
      webhooks: form.webhooks,
      emails: form.emails
    },
    executor: spec.executor,
    max_concurrent: spec.max_concurrent,
    catch_up: { ...spec.catch_up },
    triggers: { ...spec.triggers },
    retention: { ...spec.retention },
    secrets: { ...spec.secrets }
  };
  if (spec.cell_timeout_seconds) {
    kept.cell_timeout_seconds = spec.cell_timeout_seconds;
  }
  if (spec.identity && spec.identity !== base.promoted_by) {
    kept.identity = spec.identity;
  }
  return kept;
}

/**
 * The Promote dialog's body: job name, schedule builder with a live
 * preview, typed parameters, timeout and retries, notifications, approver;
 * after submission, the report with every gate.
 *
 * On a notebook that already runs as a job the form starts from the job's
 * current definition (every setting, also those it has no field for), and
 * says, before anyone confirms, which version Promote makes and what it
 * changes against the version the job runs, as the service words it (a
 * dry run of the promotion).
 */
export class PromoteForm extends Widget {
  constructor(options: IPromoteFormOptions) {
    super();
    this.addClass('aios-promote');
    this.node.dataset.testid = 'aios-promote-dialog';
    this._options = options;
    const p = `aios-promote-${++formCount}`;
    const zone =
      options.timeZone && isTimeZone(options.timeZone)
        ? options.timeZone
        : userTimeZone();

    this._name = el('input', {
      id: `${p}-name`,
      class: 'jp-mod-styled',
      type: 'text',
      required: '',
      pattern: JOB_NAME_PATTERN,
      title: 'A letter, then letters, digits, "_", "-" or "." (at most 128)',
      'data-testid': 'aios-promote-name',
      'aria-describedby': `${p}-name-help`
    });
    this._name.value = defaultJobName(options.path);

    this._schedule = new ScheduleBuilder(p, zone, () =>
      this._options.onValidityChange?.()
    );

    this._params = el(
      'div',
      { class: 'aios-params-host' },
      loadingNote('Reading the notebook’s parameters…')
    );
    this._timeout = el('input', {
      id: `${p}-timeout`,
      class: 'jp-mod-styled',
      type: 'number',
      min: '1',
      step: '1',
      value: '60',
      'data-testid': 'aios-promote-timeout'
    });
    this._retries = el('input', {
      id: `${p}-retries`,
      class: 'jp-mod-styled',
      type: 'number',
      min: '0',
      max: '20',
      step: '1',
      value: '0',
      'data-testid': 'aios-promote-retries'
    });
    this._webhooks = el('textarea', {
      id: `${p}-webhooks`,
      class: 'jp-mod-styled',
      rows: '2',
      placeholder: 'https://hooks.example.com/… (one per line)',
      spellcheck: 'false',
      'data-testid': 'aios-promote-webhooks'
    });
    this._emails = el('input', {
      id: `${p}-emails`,
      class: 'jp-mod-styled',
      type: 'text',
      placeholder: 'ops@example.com, me@example.com',
      'data-testid': 'aios-promote-emails'
    });
    this._approver = el('input', {
      id: `${p}-approver`,
      class: 'jp-mod-styled',
      type: 'text',
      placeholder: 'a second user, e.g. bob (optional)',
      'data-testid': 'aios-promote-approver'
    });
    this._result = el('div', { class: 'aios-promote-result' });
    this._current = el('div', {
      class: 'aios-promote-current',
      'data-testid': 'aios-promote-current'
    });
    this._plan = el('div', {
      class: 'aios-promote-plan',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'aios-promote-plan'
    });
    this._plans = new Loader({ busy: this._plan });

    this._formNode = el(
      'form',
      { class: 'aios-promote-form', 'aria-label': 'Promote notebook' },
      el(
        'p',
        { class: 'aios-promote-notebook' },
        'Notebook ',
        el('code', {}, options.path)
      ),
      this._current,
      this._plan,
      options.dirty
        ? el(
            'p',
            { class: 'aios-note' },
            'The notebook has unsaved changes: it is saved before promoting.'
          )
        : null,
      field(
        'Job name',
        this._name.id,
        this._name,
        'Letters, digits, "_", "-", "."; promoting the same name again makes a new version.'
      ),
      this._schedule.node,
      el(
        'fieldset',
        { class: 'aios-fieldset' },
        el('legend', {}, 'Parameters'),
        this._params
      ),
      el(
        'fieldset',
        { class: 'aios-fieldset aios-fieldset-row' },
        el('legend', {}, 'Limits'),
        field('Timeout (minutes)', this._timeout.id, this._timeout),
        field('Retries', this._retries.id, this._retries)
      ),
      el(
        'fieldset',
        { class: 'aios-fieldset' },
        el('legend', {}, 'Notify on failure'),
        field('Webhook URLs', this._webhooks.id, this._webhooks),
        field('E-mails', this._emails.id, this._emails)
      ),
      field(
        'Approver',
        this._approver.id,
        this._approver,
        'When named, the job runs only after this user approves it.'
      )
    );
    this._formNode.addEventListener('submit', event => event.preventDefault());
    this._formNode.addEventListener('input', () => this._planLater());
    // naming another job of this notebook starts from that job's definition
    this._name.addEventListener('change', () => {
      const other = this._jobs.find(j => j.job === this._name.value.trim());
      if (other && other !== this._base) {
        this.startFrom(other);
      }
    });
    this._formNode.addEventListener('change', () => this._planLater());
    this.node.append(this._formNode, this._result);
    void this._loadParameters();
  }

  /** The job whose current definition the form started from (null: a new job). */
  get base(): CurrentJob | null {
    return this._base;
  }

  /** Whether a promotion is running. */
  get busy(): boolean {
    return this._busy;
  }

  /**
   * The `POST jobs/promote` body; throws an Error naming the field to fix.
   */
  request(): PromoteRequest {
    if (!this._name.checkValidity()) {
      this._name.focus();
      throw new Error(
        `"${this._name.value}" is not a job name: ${this._name.title}.`
      );
    }
    const { cron, timezone: zone, at } = this._schedule.read();
    const timeout = Number(this._timeout.value);
    const retries = Number(this._retries.value);
    if (!(timeout > 0)) {
      throw new Error('Timeout must be a positive number of minutes.');
    }
    if (!Number.isInteger(retries) || retries < 0 || retries > 20) {
      throw new Error('Retries must be a whole number from 0 to 20.');
    }
    const body: PromoteRequest = {
      notebook: this._options.path,
      name: this._name.value.trim(),
      timezone: zone,
      timeout_seconds: Math.round(timeout * 60),
      retries
    };
    if (cron) {
      body.cron = cron;
    } else if (at) {
      body.at = at;
    }
    const parameters = this._form ? this._form.values() : {};
    if (Object.keys(parameters).length) {
      body.parameters = parameters;
    }
    const webhooks = splitList(this._webhooks.value);
    const emails = splitList(this._emails.value);
    if (webhooks.length || emails.length) {
      body.notifications = { webhooks, emails };
    }
    const approver = this._approver.value.trim();
    if (approver) {
      body.approver = approver;
    }
    return this._base
      ? keptSettings(body, this._base, { retries, webhooks, emails })
      : body;
  }

  /** Show that the gates are running. */
  showBusy(): void {
    this._busy = true;
    this._formNode.setAttribute('aria-busy', 'true');
    this._result.replaceChildren(
      loadingNote(
        'Running the promotion gates: a validation run in a fresh kernel, then the required checks…'
      )
    );
    this._result.scrollIntoView?.({ block: 'nearest' });
  }

  /** Show a promotion's report (gates, next runs, the job link). */
  showReport(
    report: PromotionReport,
    openJob: ((name: string) => void) | null
  ): void {
    this._done();
    this._plans.cancel(); // the report says what the promotion did
    this._plan.replaceChildren();
    this._options.onPlan?.(null);
    this._result.replaceChildren(reportView(report, openJob));
    this._result.scrollIntoView?.({ block: 'nearest' });
  }

  /** Show why the promotion could not be asked for or answered. */
  showError(title: string, message: string): void {
    this._done();
    this._result.replaceChildren(errorBox(title, message));
    this._result.scrollIntoView?.({ block: 'nearest' });
  }

  dispose(): void {
    if (this._planTimer !== null) {
      window.clearTimeout(this._planTimer);
      this._planTimer = null;
    }
    this._plans.dispose();
    this._schedule.dispose();
    super.dispose();
  }

  /**
   * Start from `job`'s current definition: its name, schedule, parameters,
   * limits, notifications and approver, and every other setting (kept).
   */
  startFrom(job: CurrentJob): void {
    const spec = job.spec;
    const others = this._jobs.filter(j => j !== job);
    this._base = job;
    this._name.value = job.job;
    this._schedule.setSchedule(spec.schedule);
    this._timeout.value = String(
      spec.timeout_seconds
        ? Math.round((spec.timeout_seconds / 60) * 100) / 100
        : 60
    );
    this._retries.value = String(spec.retries.max);
    this._webhooks.value = spec.notifications.webhooks.join('\n');
    this._emails.value = spec.notifications.emails.join(', ');
    this._approver.value = spec.approver ?? '';
    this._form?.setValues(spec.parameters);
    const when = job.promoted_at ? `, ${formatInZone(job.promoted_at)}` : '';
    const notes = [
      `This notebook runs as job ${job.job}, version ${job.version} (promoted by ${job.promoted_by}${when}). ` +
        'The form starts from that version’s settings; Promote makes a new version.'
    ];
    if (job.paused) {
      notes.push(`Job ${job.job} is paused; a new version stays paused.`);
    }
    if (job.waiting_versions.length) {
      const list = job.waiting_versions.join(', ');
      notes.push(
        `Version${job.waiting_versions.length > 1 ? 's' : ''} ${list} of job ${job.job} ` +
          `${job.waiting_versions.length > 1 ? 'wait' : 'waits'} for approval.`
      );
    }
    if (others.length) {
      notes.push(
        `It also runs as ${others.map(o => `job ${o.job}`).join(', ')}: type that job name to start from its settings.`
      );
    }
    this._current.replaceChildren(
      ...notes.map(note => el('p', { class: 'aios-note' }, note))
    );
  }

  /** Compare with the job again soon (the user is editing). */
  private _planLater(): void {
    if (this._planTimer !== null) {
      window.clearTimeout(this._planTimer);
    }
    this._planTimer = window.setTimeout(() => {
      this._planTimer = null;
      void this._refreshPlan();
    }, PLAN_DELAY);
  }

  /**
   * Ask the service what Promote would do with the form as it is: which
   * version of which job, and what changes against the version it runs.
   */
  private async _refreshPlan(): Promise<void> {
    let request: PromoteRequest | null = null;
    // checked first: request() moves the focus to a field to fix, while the user may be typing elsewhere
    if (
      this._name.checkValidity() &&
      this._schedule.valid &&
      (this._form?.valid ?? true)
    ) {
      try {
        request = this.request();
      } catch {
        request = null;
      }
    }
    if (!request) {
      this._plans.cancel();
      this._plan.replaceChildren(); // the field shows what to fix
      this._options.onPlan?.(null);
      return;
    }
    const body = request;
    const outcome = await this._plans.load(() => planPromotion(body));
    if (!outcome) {
      return;
    }
    if (!outcome.ok) {
      this._plan.replaceChildren(
        el('p', { class: 'aios-field-error' }, outcome.message)
      );
      this._options.onPlan?.(null);
      return;
    }
    const plan = outcome.value;
    this._options.onPlan?.(plan);
    const words =
      plan.status === 'unchanged'
        ? `Nothing changed against version ${plan.version} of job ${plan.job}: same notebook, same settings. Promote would store nothing.`
        : plan.previous_version === null
          ? `Promote creates job ${plan.job} (version ${plan.version}).`
          : `Promote creates version ${plan.version} of job ${plan.job}.`;
    this._plan.replaceChildren(
      el(
        'p',
        {
          class: 'aios-promote-plan-words',
          'data-testid': 'aios-promote-plan-words',
          'data-status': plan.status
        },
        words
      ),
      plan.status === 'unchanged' ? '' : (changesView(plan) ?? ''),
      this._options.dirty
        ? el(
            'p',
            { class: 'aios-muted' },
            'Compared with the saved notebook: its unsaved changes are saved, and compared, when you promote.'
          )
        : ''
    );
  }

  private _done(): void {
    this._busy = false;
    this._formNode.removeAttribute('aria-busy');
  }

  private async _loadParameters(): Promise<void> {
    try {
      const info = await fetchNotebookParameters(this._options.path);
      const specs = info.schema.parameters;
      const parts: Node[] = [];
      if (specs.length) {
        this._form = new ParametersForm(specs, this._options.onValidityChange);
        parts.push(this._form.node);
      } else {
        parts.push(
          el(
            'p',
            { class: 'aios-muted' },
            'The parameters cell declares no parameters.'
          )
        );
      }
      for (const problem of info.schema.problems) {
        parts.push(el('p', { class: 'aios-unavailable' }, problem));
      }
      if (info.required_checks.length) {
        parts.push(
          el(
            'p',
            { class: 'aios-muted' },
            `Required checks (run as a gate): ${info.required_checks.join(', ')}`
          )
        );
      }
      this._params.replaceChildren(...parts);
      this._jobs = info.jobs;
      if (this._jobs.length) {
        // the job being edited, else the most recently promoted
        const chosen = this._jobs.find(j => j.job === this._options.job);
        this.startFrom(chosen ?? this._jobs[0]);
      }
    } catch (error) {
      // Promotion still runs and reports this as its first gate; say so here too.
      this._params.replaceChildren(
        errorBox('Cannot read the notebook’s parameters', messageOf(error)),
        el(
          'p',
          { class: 'aios-muted' },
          'Promote still runs every gate and lists what to fix.'
        )
      );
    }
    this._options.onValidityChange?.();
    void this._refreshPlan();
  }

  private readonly _options: IPromoteFormOptions;
  private readonly _formNode: HTMLFormElement;
  private readonly _name: HTMLInputElement;
  private readonly _schedule: ScheduleBuilder;
  private readonly _params: HTMLElement;
  private readonly _timeout: HTMLInputElement;
  private readonly _retries: HTMLInputElement;
  private readonly _webhooks: HTMLTextAreaElement;
  private readonly _emails: HTMLInputElement;
  private readonly _approver: HTMLInputElement;
  private readonly _result: HTMLElement;
  private readonly _current: HTMLElement;
  private readonly _plan: HTMLElement;
  private readonly _plans: Loader;
  private _planTimer: number | null = null;
  private _base: CurrentJob | null = null;
  private _jobs: CurrentJob[] = [];
  private _form: ParametersForm | null = null;
  private _busy = false;
}
