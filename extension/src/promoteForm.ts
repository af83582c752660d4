import { Widget } from '@lumino/widgets';

import { PromoteRequest, PromotionReport } from './api';
import { JOB_NAME_PATTERN, defaultJobName } from './cronPresets';
import { el, errorBox, loadingNote, messageOf } from './dom';
import { ParametersForm } from './parametersForm';
import { fetchNotebookParameters } from './promoteApi';
import { reportView } from './promoteResult';
import { ScheduleBuilder, field } from './scheduleBuilder';
import { isTimeZone, userTimeZone } from './time';

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
}

let formCount = 0;

function splitList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * The Promote dialog's body: job name, schedule builder with a live
 * preview, typed parameters, timeout and retries, notifications, approver;
 * after submission, the report with every gate.
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

    this._formNode = el(
      'form',
      { class: 'aios-promote-form', 'aria-label': 'Promote notebook' },
      el(
        'p',
        { class: 'aios-promote-notebook' },
        'Notebook ',
        el('code', {}, options.path)
      ),
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
    this.node.append(this._formNode, this._result);
    void this._loadParameters();
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
    const { cron, timezone: zone } = this._schedule.read();
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
    return body;
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
    this._schedule.dispose();
    super.dispose();
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
  private _form: ParametersForm | null = null;
  private _busy = false;
}
