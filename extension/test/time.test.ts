/**
 * The time formatting the sidebar and the Promote dialog use.
 */
import {
  formatDuration,
  formatInZone,
  isTimeZone,
  relativeTime
} from '../src/time';

describe('formatDuration', () => {
  it('picks a unit people read at a glance', () => {
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(4.26)).toBe('4.3 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(7800)).toBe('2 h 10 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('says how far away a time is', () => {
    expect(relativeTime('2026-11-26T12:00:10Z', now)).toBe('in a moment');
    expect(relativeTime('2026-11-26T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-11-26T12:05:00Z', now)).toMatch(/5 min/);
    expect(relativeTime('2026-11-26T09:00:00Z', now)).toMatch(/3 hr/);
    expect(relativeTime('not a time', now)).toBe('');
  });
});

describe('formatInZone', () => {
  it('shows a time in the zone asked for', () => {
    expect(formatInZone('2026-12-01T05:30:00+00:00', 'Europe/Berlin')).toMatch(
      /06:30/
    );
    expect(formatInZone(null)).toBe('—');
  });

  it('knows IANA zones and refuses made-up ones', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
