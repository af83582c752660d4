/**
 * Unit tests of the Promote dialog's schedule builder (pure logic, no DOM),
 * run with Node's built-in test runner: `jlpm test`.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  PRESETS,
  ScheduleChoiceError,
  buildCron,
  defaultJobName,
  parseCron,
  parseTime
} from '../src/cronPresets';

describe('buildCron', () => {
  it('writes each preset as 5-field cron', () => {
    assert.equal(buildCron({ kind: 'manual' }), null);
    assert.equal(buildCron({ kind: 'hourly', minute: 15 }), '15 * * * *');
    assert.equal(buildCron({ kind: 'daily', time: '06:05' }), '5 6 * * *');
    assert.equal(buildCron({ kind: 'weekdays', time: '07:30' }), '30 7 * * 1-5');
    assert.equal(buildCron({ kind: 'weekly', time: '23:59', weekday: 0 }), '59 23 * * 0');
    assert.equal(buildCron({ kind: 'cron', cron: '  */15   9-17 * * 1-5 ' }), '*/15 9-17 * * 1-5');
  });

  it('names the field that is wrong', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        assert.ok(error instanceof ScheduleChoiceError);
        return (error as ScheduleChoiceError).field;
      }
      assert.fail('no error');
    };
    assert.equal(field(() => buildCron({ kind: 'daily', time: '24:00' })), 'time');
    assert.equal(field(() => buildCron({ kind: 'daily', time: '6h' })), 'time');
    assert.equal(field(() => buildCron({ kind: 'hourly', minute: 60 })), 'minute');
    assert.equal(field(() => buildCron({ kind: 'hourly', minute: 1.5 })), 'minute');
    assert.equal(field(() => buildCron({ kind: 'weekly', time: '06:00', weekday: 7 })), 'weekday');
    assert.equal(field(() => buildCron({ kind: 'cron', cron: '   ' })), 'cron');
  });

  it('parses times as HH:MM', () => {
    assert.deepEqual(parseTime('6:00'), [6, 0]);
    assert.deepEqual(parseTime(' 23:59 '), [23, 59]);
    assert.throws(() => parseTime('12:60'), /not a time/);
    assert.throws(() => parseTime(undefined), /not a time/);
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
      assert.deepEqual(parseCron(buildCron({ ...choice })), choice);
    }
  });

  it('keeps anything else as raw cron', () => {
    for (const cron of ['*/15 9-17 * * 1-5', '0 6 1 * *', '0 6 * * 1,3', '0 24 * * *', '@daily']) {
      assert.deepEqual(parseCron(cron), { kind: 'cron', cron });
    }
    assert.deepEqual(parseCron('0  6 * *  *'), { kind: 'daily', time: '06:00' });
  });

  it('lists every preset once', () => {
    const kinds = PRESETS.map(p => p.kind);
    assert.deepEqual([...new Set(kinds)], kinds);
    assert.deepEqual(kinds, ['manual', 'hourly', 'daily', 'weekdays', 'weekly', 'cron']);
  });
});

describe('defaultJobName', () => {
  it('derives the name the service derives (jobs/promote.py default_job_name)', () => {
    // The same cases are checked against the Python function in tests/test_extension_unit.py.
    const cases: [string, string][] = [
      ['notebooks/02_governance_checks.ipynb', 'governance_checks'],
      ['daily summary.ipynb', 'daily_summary'],
      ['notebooks/sub/report-v2.ipynb', 'report-v2'],
      ['3.ipynb', '']
    ];
    for (const [path, name] of cases) {
      assert.equal(defaultJobName(path), name, path);
    }
  });
});
