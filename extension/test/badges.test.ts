/**
 * Status pills: the word a user reads and the colour (tone) it gets.
 */
import { toneBadge, toneOf } from '../src/badges';

describe('toneOf', () => {
  it.each([
    ['succeeded', 'pass'],
    ['FINISHED', 'pass'],
    ['timed_out', 'fail'],
    ['cancelled', 'error'],
    ['running', 'running'],
    ['pending_approval', 'info'],
    ['paused', 'warn'],
    ['critical', 'fail']
  ])('colours %s as %s', (status, tone) => {
    expect(toneOf(status)).toBe(tone);
  });

  it('leaves unknown and missing words neutral', () => {
    expect(toneOf('exploded')).toBe('other');
    expect(toneOf(null)).toBe('other');
    expect(toneOf(undefined)).toBe('other');
  });
});

describe('toneBadge', () => {
  it('shows the status in words, underscores as spaces, in its tone', () => {
    const badge = toneBadge('pending_approval');
    expect(badge.textContent).toBe('pending approval');
    expect(badge.classList).toContain('aios-check-status-info');
    expect(badge.dataset.status).toBe('pending_approval');
  });

  it('takes an explicit tone over the word’s own', () => {
    const badge = toneBadge('no checks', 'other');
    expect(badge.textContent).toBe('no checks');
    expect(badge.className).toBe('aios-check-status aios-check-status-other');
  });

  it('never renders an empty pill', () => {
    expect(toneBadge('').textContent).toBe('?');
  });
});
