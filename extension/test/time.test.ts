/**
 * Unit tests of the time formatting the sidebar and the Promote dialog use.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { formatDuration, formatInZone, isTimeZone, relativeTime } from '../src/time';

describe('formatDuration', () => {
  it('picks a unit people read at a glance', () => {
    assert.equal(formatDuration(0.25), '250 ms');
    assert.equal(formatDuration(4.26), '4.3 s');
    assert.equal(formatDuration(42), '42 s');
    assert.equal(formatDuration(185), '3 min 5 s');
    assert.equal(formatDuration(7800), '2 h 10 min');
    assert.equal(formatDuration(null), '—');
    assert.equal(formatDuration(-1), '—');
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('says how far away a time is', () => {
    assert.equal(relativeTime('2026-11-26T12:00:10Z', now), 'in a moment');
    assert.equal(relativeTime('2026-11-26T11:59:50Z', now), 'just now');
    assert.match(relativeTime('2026-11-26T12:05:00Z', now), /5 min/);
    assert.match(relativeTime('2026-11-26T09:00:00Z', now), /3 hr/);
    assert.equal(relativeTime('not a time', now), '');
  });
});

describe('formatInZone', () => {
  it('shows a time in the zone asked for', () => {
    const text = formatInZone('2026-12-01T05:30:00+00:00', 'Europe/Berlin');
    assert.match(text, /06:30/);
    assert.equal(formatInZone(null), '—');
    assert.ok(isTimeZone('America/New_York'));
    assert.ok(!isTimeZone('Mars/Olympus'));
  });
});
