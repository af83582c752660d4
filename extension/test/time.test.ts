/**
 * The time formatting the sidebar and the Promote dialog use.
 */
import {
  formatDate,
  formatDuration,
  formatInZone,
  formatWhen,
  isTimeZone,
  refreshRelativeTimes,
  relativeTime,
  stopRelativeTimeTicker,
  timeElement
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

describe('one date format', () => {
  it('says a time as "6 Dec 2026, 14:05" in the zone asked for', () => {
    expect(formatDate('2026-12-06T14:05:33.123456+00:00')).toBe(
      '6 Dec 2026, 14:05'
    );
    expect(formatDate('2026-12-06T14:05:00Z', 'Europe/Berlin')).toBe(
      '6 Dec 2026, 15:05'
    );
    expect(formatDate(null)).toBe('—');
  });

  it('adds the weekday and the zone where a schedule needs them', () => {
    expect(formatInZone('2026-12-01T05:30:00+00:00', 'Europe/Berlin')).toBe(
      'Tue 1 Dec 2026, 06:30 CET'
    );
  });

  it('says recent times relatively and older ones as a date', () => {
    const now = Date.parse('2026-12-06T14:00:00Z');
    expect(formatWhen('2026-12-06T13:50:00Z', now)).toMatch(/10 min/);
    expect(formatWhen('2026-11-01T09:00:00Z', now)).toBe('1 Nov 2026, 09:00');
  });
});

describe('relative times never freeze', () => {
  afterEach(() => {
    stopRelativeTimeTicker();
    jest.useRealTimers();
    document.body.replaceChildren();
  });

  it('advances every rendered relative time on each tick, the date in its tooltip', () => {
    jest.useFakeTimers();
    jest.setSystemTime(Date.parse('2026-12-06T14:00:00Z'));
    const node = timeElement('2026-12-06T13:59:50Z');
    const absolute = timeElement('2026-12-06T13:59:50Z', { relative: false });
    document.body.append(node, absolute);
    expect(node.textContent).toBe('just now');
    expect(node.title).toBe('Sun 6 Dec 2026, 13:59 UTC');
    expect(absolute.textContent).toBe('6 Dec 2026, 13:59');

    jest.advanceTimersByTime(10 * 60_000);

    expect(node.textContent).toMatch(/10 min/);
    expect(absolute.textContent).toBe('6 Dec 2026, 13:59');
  });

  it('refreshes on demand and counts what changed', () => {
    const node = timeElement('2026-12-06T13:00:00Z');
    document.body.append(node);
    const now = Date.parse('2026-12-06T14:00:00Z');
    expect(refreshRelativeTimes(document, now)).toBe(1);
    expect(node.textContent).toMatch(/1 hr/);
    expect(refreshRelativeTimes(document, now)).toBe(0);
  });
});
