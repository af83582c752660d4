/**
 * The Promote dialog's schedule builder as plain data (no DOM).
 */
import {
  PRESETS,
  ScheduleChoiceError,
  buildCron,
  defaultJobName,
  parseCron,
  parseTime
} from '../src/cronPresets';

/** The field a ScheduleChoiceError names, or fail when nothing is thrown. */
function fieldOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ScheduleChoiceError);
    return (error as ScheduleChoiceError).field;
  }
  throw new Error('expected a ScheduleChoiceError, nothing was thrown');
}

describe('buildCron', () => {
  it('writes each preset as 5-field cron', () => {
    expect(buildCron({ kind: 'manual' })).toBeNull();
    expect(buildCron({ kind: 'hourly', minute: 15 })).toBe('15 * * * *');
    expect(buildCron({ kind: 'daily', time: '06:05' })).toBe('5 6 * * *');
    expect(buildCron({ kind: 'weekdays', time: '07:30' })).toBe('30 7 * * 1-5');
    expect(buildCron({ kind: 'weekly', time: '23:59', weekday: 0 })).toBe(
      '59 23 * * 0'
    );
    expect(buildCron({ kind: 'cron', cron: '  */15   9-17 * * 1-5 ' })).toBe(
      '*/15 9-17 * * 1-5'
    );
  });

  it('names the field that is wrong', () => {
    expect(fieldOf(() => buildCron({ kind: 'daily', time: '24:00' }))).toBe(
      'time'
    );
    expect(fieldOf(() => buildCron({ kind: 'daily', time: '6h' }))).toBe(
      'time'
    );
    expect(fieldOf(() => buildCron({ kind: 'hourly', minute: 60 }))).toBe(
      'minute'
    );
    expect(fieldOf(() => buildCron({ kind: 'hourly', minute: 1.5 }))).toBe(
      'minute'
    );
    expect(
      fieldOf(() => buildCron({ kind: 'weekly', time: '06:00', weekday: 7 }))
    ).toBe('weekday');
    expect(fieldOf(() => buildCron({ kind: 'cron', cron: '   ' }))).toBe(
      'cron'
    );
  });

  it('parses times as HH:MM', () => {
    expect(parseTime('6:00')).toEqual([6, 0]);
    expect(parseTime(' 23:59 ')).toEqual([23, 59]);
    expect(() => parseTime('12:60')).toThrow(/not a time/);
    expect(() => parseTime(undefined)).toThrow(/not a time/);
  });
});

describe('parseCron', () => {
  it('opens a schedule on the preset that wrote it', () => {
    const choices = [
      { kind: 'manual' },
      { kind: 'hourly', minute: 15 },
      { kind: 'daily', time: '06:05' },
      { kind: 'weekdays', time: '07:30' },
      { kind: 'weekly', time: '23:59', weekday: 0 }
    ] as const;
    for (const choice of choices) {
      expect(parseCron(buildCron({ ...choice }))).toEqual(choice);
    }
  });

  it('keeps anything else as raw cron', () => {
    for (const cron of [
      '*/15 9-17 * * 1-5',
      '0 6 1 * *',
      '0 6 * * 1,3',
      '0 24 * * *',
      '@daily'
    ]) {
      expect(parseCron(cron)).toEqual({ kind: 'cron', cron });
    }
    expect(parseCron('0  6 * *  *')).toEqual({ kind: 'daily', time: '06:00' });
  });

  it('lists every preset once', () => {
    const kinds = PRESETS.map(p => p.kind);
    expect([...new Set(kinds)]).toEqual(kinds);
    expect(kinds).toEqual([
      'manual',
      'hourly',
      'daily',
      'weekdays',
      'weekly',
      'cron'
    ]);
  });
});

describe('defaultJobName', () => {
  // The same cases are checked against the Python function in tests/test_extension_unit.py.
  it.each([
    ['notebooks/02_governance_checks.ipynb', 'governance_checks'],
    ['daily summary.ipynb', 'daily_summary'],
    ['notebooks/sub/report-v2.ipynb', 'report-v2'],
    ['3.ipynb', '']
  ])(
    'derives the name the service derives from %s (jobs/promote.py default_job_name)',
    (path, name) => {
      expect(defaultJobName(path)).toBe(name);
    }
  );
});
