/**
 * The Promote dialog's schedule builder as plain data: a preset (manual,
 * hourly, daily, weekdays, weekly, or raw cron) and its fields turn into a
 * 5-field cron expression, and a cron expression turns back into the preset
 * that wrote it. No DOM here, so it is unit-tested on its own.
 */

export type PresetKind =
  'manual' | 'hourly' | 'daily' | 'weekdays' | 'weekly' | 'cron';

/**
 * What the user picked. `time` is "HH:MM" (daily, weekdays, weekly),
 * `minute` 0-59 (hourly), `weekday` 0-6 with Sunday = 0 (weekly), `cron`
 * the raw expression (cron).
 */
export interface IScheduleChoice {
  kind: PresetKind;
  time?: string;
  minute?: number;
  weekday?: number;
  cron?: string;
}

/** Labels of the presets, in menu order. */
export const PRESETS: { kind: PresetKind; label: string }[] = [
  { kind: 'manual', label: 'Manual only (run now, or by a trigger)' },
  { kind: 'hourly', label: 'Hourly' },
  { kind: 'daily', label: 'Daily at…' },
  { kind: 'weekdays', label: 'Weekdays (Mon–Fri) at…' },
  { kind: 'weekly', label: 'Weekly on…' },
  { kind: 'cron', label: 'Custom cron expression' }
];

/** Day names for cron's day-of-week field (0 = Sunday). */
export const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday'
];

/**
 * An error naming the field of the schedule builder that is wrong.
 */
export class ScheduleChoiceError extends Error {
  constructor(
    message: string,
    readonly field: 'time' | 'minute' | 'weekday' | 'cron'
  ) {
    super(message);
  }
}

/**
 * `[hour, minute]` of an "HH:MM" time; throws a {@link ScheduleChoiceError}.
 */
export function parseTime(text: string | undefined): [number, number] {
  const match = /^(\d{1,2}):(\d{2})$/.exec((text ?? '').trim());
  const hour = match ? Number(match[1]) : NaN;
  const minute = match ? Number(match[2]) : NaN;
  if (!match || hour > 23 || minute > 59) {
    throw new ScheduleChoiceError(
      `"${text ?? ''}" is not a time: write HH:MM, e.g. 06:30`,
      'time'
    );
  }
  return [hour, minute];
}

function checkMinute(value: number | undefined): number {
  const minute = value ?? 0;
  if (!Number.isInteger(minute) || minute < 0 || minute > 59) {
    throw new ScheduleChoiceError(
      `minute must be a whole number from 0 to 59, got ${value}`,
      'minute'
    );
  }
  return minute;
}

function checkWeekday(value: number | undefined): number {
  const day = value ?? 1;
  if (!Number.isInteger(day) || day < 0 || day > 6) {
    throw new ScheduleChoiceError(
      `weekday must be 0 (Sunday) to 6 (Saturday), got ${value}`,
      'weekday'
    );
  }
  return day;
}

/**
 * The cron expression of `choice`, or `null` for a manual job.
 * Raw cron is only trimmed and whitespace-normalised: the service checks it.
 */
export function buildCron(choice: IScheduleChoice): string | null {
  switch (choice.kind) {
    case 'manual':
      return null;
    case 'hourly':
      return `${checkMinute(choice.minute)} * * * *`;
    case 'daily': {
      const [hour, minute] = parseTime(choice.time);
      return `${minute} ${hour} * * *`;
    }
    case 'weekdays': {
      const [hour, minute] = parseTime(choice.time);
      return `${minute} ${hour} * * 1-5`;
    }
    case 'weekly': {
      const [hour, minute] = parseTime(choice.time);
      return `${minute} ${hour} * * ${checkWeekday(choice.weekday)}`;
    }
    case 'cron': {
      const text = (choice.cron ?? '').trim().replace(/\s+/g, ' ');
      if (!text) {
        throw new ScheduleChoiceError(
          'write a cron expression: MINUTE HOUR DAY MONTH WEEKDAY, e.g. 0 6 * * 1-5',
          'cron'
        );
      }
      return text;
    }
  }
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

const NUMBER = /^\d{1,2}$/;

/**
 * The preset that produces `cron`, so an existing schedule opens on its
 * preset; anything else is `{kind: 'cron'}` with the expression as is.
 */
export function parseCron(cron: string | null | undefined): IScheduleChoice {
  const text = (cron ?? '').trim().replace(/\s+/g, ' ');
  if (!text) {
    return { kind: 'manual' };
  }
  const fields = text.split(' ');
  if (fields.length === 5 && fields[2] === '*' && fields[3] === '*') {
    const [minute, hour, , , weekday] = fields;
    const m = NUMBER.test(minute) ? Number(minute) : -1;
    const h = NUMBER.test(hour) ? Number(hour) : -1;
    if (m >= 0 && m <= 59 && hour === '*' && weekday === '*') {
      return { kind: 'hourly', minute: m };
    }
    if (m >= 0 && m <= 59 && h >= 0 && h <= 23) {
      const time = `${pad(h)}:${pad(m)}`;
      if (weekday === '*') {
        return { kind: 'daily', time };
      }
      if (weekday === '1-5') {
        return { kind: 'weekdays', time };
      }
      if (/^[0-6]$/.test(weekday)) {
        return { kind: 'weekly', time, weekday: Number(weekday) };
      }
    }
  }
  return { kind: 'cron', cron: text };
}

/**
 * A default job name from a notebook path, as the service derives it:
 * the file stem, other characters as `_`, leading non-letters dropped.
 */
export function defaultJobName(path: string): string {
  const file = path.split('/').pop() ?? path;
  const stem = file.replace(/\.ipynb$/i, '');
  return stem
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, 128);
}

/** What a job name must look like (`schemas/job_spec.py` JOB_NAME). */
export const JOB_NAME_PATTERN = '[A-Za-z][A-Za-z0-9_.\\-]{0,127}';
