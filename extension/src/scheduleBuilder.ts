import { JobSpec } from './api';
import {
  IScheduleChoice,
  PRESETS,
  PresetKind,
  ScheduleChoiceError,
  WEEKDAYS,
  buildCron,
  parseCron
} from './cronPresets';
import { el, messageOf } from './dom';
import { Loader } from './loader';
import { previewSchedule } from './promoteApi';
import { formatInZone, isTimeZone, knownTimeZones, userTimeZone } from './time';

/** Delay between the last schedule edit and its preview, in milliseconds. */
const PREVIEW_DELAY = 250;

/** A labelled control, with an optional help line. */
export function field(
  label: string,
  id: string,
  control: HTMLElement,
  help?: string
): HTMLElement {
  return el(
    'div',
    { class: 'aios-field' },
    el('label', { for: id }, label),
    control,
    help
      ? el('span', { class: 'aios-field-help', id: `${id}-help` }, help)
      : null
  );
}

/**
 * The Promote dialog's schedule builder: a preset (manual, hourly, daily,
 * weekdays, weekly, raw cron) with the fields it needs and a time zone,
 * previewed live by the service (`GET schedule/preview`): the schedule in
 * words and its next five runs in the user's time zone. A schedule the
 * service rejects marks its field `jp-mod-error` and shows the reason.
 */
export class ScheduleBuilder {
  /**
   * @param p - prefix of the controls' element ids.
   * @param zone - the time zone the schedule starts in.
   * @param onValidityChange - called when a field becomes valid or invalid.
   */
  constructor(p: string, zone: string, onValidityChange: () => void) {
    this._onValidityChange = onValidityChange;
    const zones = knownTimeZones();
    this._preset = el(
      'select',
      {
        id: `${p}-preset`,
        class: 'jp-mod-styled',
        'data-testid': 'aios-promote-preset'
      },
      ...PRESETS.map(preset =>
        el('option', { value: preset.kind }, preset.label)
      )
    );
    this._time = el('input', {
      id: `${p}-time`,
      class: 'jp-mod-styled',
      type: 'time',
      value: '06:00',
      'data-testid': 'aios-promote-time'
    });
    this._minute = el('input', {
      id: `${p}-minute`,
      class: 'jp-mod-styled',
      type: 'number',
      min: '0',
      max: '59',
      step: '1',
      value: '0',
      'data-testid': 'aios-promote-minute'
    });
    this._weekday = el(
      'select',
      {
        id: `${p}-weekday`,
        class: 'jp-mod-styled',
        'data-testid': 'aios-promote-weekday'
      },
      ...WEEKDAYS.map((day, i) => el('option', { value: String(i) }, day))
    );
    this._weekday.value = '1';
    this._cron = el('input', {
      id: `${p}-cron`,
      class: 'jp-mod-styled aios-code-input',
      type: 'text',
      placeholder: 'MIN HOUR DAY MONTH WEEKDAY, e.g. 0 6 * * 1-5',
      spellcheck: 'false',
      'data-testid': 'aios-promote-cron'
    });
    this._zone = el('input', {
      id: `${p}-zone`,
      class: 'jp-mod-styled',
      type: 'text',
      list: zones.length ? `${p}-zones` : undefined,
      spellcheck: 'false',
      'data-testid': 'aios-promote-timezone'
    });
    this._zone.value = zone;
    this._preview = el('div', {
      class: 'aios-schedule-preview',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'aios-schedule-preview'
    });
    this._previews = new Loader({ busy: this._preview });
    for (const control of [
      this._preset,
      this._time,
      this._minute,
      this._weekday,
      this._cron,
      this._zone
    ]) {
      control.addEventListener('input', () => this._scheduleChanged());
      control.addEventListener('change', () => this._scheduleChanged());
    }
    // a one-off time of the job's schedule stays until another preset is picked
    this._preset.addEventListener('change', () => {
      this._at = null;
    });
    // One labelled field per part of the schedule; the preset shows the ones it uses.
    this._weekdayField = field('On', this._weekday.id, this._weekday);
    this._timeField = field('At', this._time.id, this._time);
    this._minuteField = field(
      'Minute past the hour',
      this._minute.id,
      this._minute
    );
    this._cronField = field(
      'Cron expression',
      this._cron.id,
      this._cron,
      'MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK (Sunday = 0), in the time zone below'
    );
    this._whenRow = el(
      'div',
      { class: 'aios-schedule-when' },
      this._weekdayField,
      this._timeField,
      this._minuteField,
      this._cronField
    );

    this.node = el(
      'fieldset',
      { class: 'aios-fieldset' },
      el('legend', {}, 'Schedule'),
      field('Runs', this._preset.id, this._preset),
      this._whenRow,
      field('Time zone', this._zone.id, this._zone),
      zones.length
        ? el(
            'datalist',
            { id: `${p}-zones` },
            ...zones.map(z => el('option', { value: z }))
          )
        : null,
      this._preview
    );
    this._syncPreset();
    void this._refreshPreview();
  }

  /** The builder's fieldset. */
  readonly node: HTMLFieldSetElement;

  /** The schedule as the builder reads it now. */
  get choice(): IScheduleChoice {
    return {
      kind: this._preset.value as PresetKind,
      time: this._time.value,
      minute: Number(this._minute.value),
      weekday: Number(this._weekday.value),
      cron: this._cron.value
    };
  }

  /**
   * The cron expression (`null`: manual or one-off), the one-off time `at`
   * (kept from the job's schedule until the user picks another) and the
   * time zone; throws an Error naming what to fix.
   */
  read(): { cron: string | null; timezone: string; at: string | null } {
    let cron: string | null;
    try {
      cron = buildCron(this.choice);
    } catch (error) {
      throw new Error(messageOf(error), { cause: error });
    }
    const timezone = this._zone.value.trim() || 'UTC';
    if (!isTimeZone(timezone)) {
      this._zone.focus();
      throw new Error(
        `"${timezone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC.`
      );
    }
    return { cron, timezone, at: cron ? null : this._at };
  }

  /** Whether {@link read} would succeed (without moving the focus). */
  get valid(): boolean {
    try {
      buildCron(this.choice);
    } catch {
      return false;
    }
    return isTimeZone(this._zone.value.trim() || 'UTC');
  }

  /**
   * Show a job's schedule: its cron expression on the preset that writes it
   * (or as custom cron), its time zone; a one-off time is kept as it is
   * until the user picks a preset.
   */
  setSchedule(schedule: JobSpec['schedule']): void {
    const choice =
      schedule.kind === 'cron'
        ? parseCron(schedule.cron)
        : ({ kind: 'manual' } as IScheduleChoice);
    this._preset.value = choice.kind;
    if (choice.time) {
      this._time.value = choice.time;
    }
    if (choice.minute !== undefined) {
      this._minute.value = String(choice.minute);
    }
    if (choice.weekday !== undefined) {
      this._weekday.value = String(choice.weekday);
    }
    this._cron.value = choice.kind === 'cron' ? (choice.cron ?? '') : '';
    this._zone.value = schedule.timezone || 'UTC';
    this._lastCron = schedule.cron ?? '';
    this._scheduleChanged();
    this._at = schedule.kind === 'once' ? (schedule.at ?? null) : null;
  }

  dispose(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
    this._previews.dispose();
  }

  private _syncPreset(): void {
    const kind = this._preset.value as PresetKind;
    const timed = kind === 'daily' || kind === 'weekdays' || kind === 'weekly';
    this._weekdayField.hidden = kind !== 'weekly';
    this._timeField.hidden = !timed;
    this._minuteField.hidden = kind !== 'hourly';
    this._cronField.hidden = kind !== 'cron';
    this._whenRow.hidden = kind === 'manual';
    if (kind === 'cron' && !this._cron.value.trim() && this._lastCron) {
      this._cron.value = this._lastCron; // start raw cron from the preset it replaces
    }
  }

  private _scheduleChanged(): void {
    this._syncPreset();
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = null;
      void this._refreshPreview();
    }, PREVIEW_DELAY);
  }

  private _markInvalid(node: HTMLElement | null): void {
    for (const control of [
      this._time,
      this._minute,
      this._weekday,
      this._cron,
      this._zone
    ]) {
      control.classList.toggle('jp-mod-error', control === node);
      control.setAttribute('aria-invalid', String(control === node));
    }
    this._onValidityChange();
  }

  private async _refreshPreview(): Promise<void> {
    // Whatever this shows replaces the answer of a preview still in flight.
    this._previews.cancel();
    let cron: string | null;
    try {
      cron = buildCron(this.choice);
    } catch (error) {
      const target =
        error instanceof ScheduleChoiceError ? error.field : 'cron';
      this._markInvalid(
        {
          time: this._time,
          minute: this._minute,
          weekday: this._weekday,
          cron: this._cron
        }[target]
      );
      this._preview.replaceChildren(
        el('p', { class: 'aios-field-error' }, messageOf(error))
      );
      return;
    }
    if (cron) {
      this._lastCron = cron;
    }
    const zone = this._zone.value.trim() || 'UTC';
    if (!isTimeZone(zone)) {
      this._markInvalid(this._zone);
      this._preview.replaceChildren(
        el(
          'p',
          { class: 'aios-field-error' },
          `"${zone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC.`
        )
      );
      return;
    }
    const at = this._at;
    if (!cron && !at) {
      this._markInvalid(null);
      this._preview.replaceChildren(
        el(
          'p',
          { class: 'aios-schedule-words' },
          'Runs only when started by hand (Run now) or by a trigger.'
        )
      );
      return;
    }
    const expression = cron;
    const outcome = await this._previews.load(() =>
      previewSchedule(expression, zone, 5, expression ? null : at)
    );
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      const preview = outcome.value;
      this._markInvalid(null);
      const mine = userTimeZone();
      this._preview.replaceChildren(
        el(
          'p',
          {
            class: 'aios-schedule-words',
            'data-testid': 'aios-schedule-words'
          },
          preview.schedule.description
        ),
        el(
          'p',
          { class: 'aios-muted' },
          `Next runs, in your time zone (${mine}):`
        ),
        el(
          'ol',
          { class: 'aios-next-runs', 'data-testid': 'aios-next-runs' },
          ...preview.next_runs.map(run =>
            el(
              'li',
              {},
              el(
                'time',
                { datetime: run.utc, title: `${run.local} (${zone})` },
                formatInZone(run.utc, mine)
              )
            )
          )
        )
      );
    } else {
      this._markInvalid(
        this._preset.value === 'cron' ? this._cron : this._time
      );
      this._preview.replaceChildren(
        el(
          'p',
          { class: 'aios-field-error', 'data-testid': 'aios-schedule-error' },
          outcome.message
        )
      );
    }
  }

  private readonly _onValidityChange: () => void;
  private readonly _preset: HTMLSelectElement;
  private readonly _time: HTMLInputElement;
  private readonly _minute: HTMLInputElement;
  private readonly _weekday: HTMLSelectElement;
  private readonly _cron: HTMLInputElement;
  private readonly _zone: HTMLInputElement;
  private readonly _whenRow: HTMLElement;
  private readonly _weekdayField: HTMLElement;
  private readonly _timeField: HTMLElement;
  private readonly _minuteField: HTMLElement;
  private readonly _cronField: HTMLElement;
  private readonly _preview: HTMLElement;
  private _timer: number | null = null;
  private readonly _previews: Loader;
  private _lastCron = '';
  private _at: string | null = null;
}
