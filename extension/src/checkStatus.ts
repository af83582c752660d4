/**
 * Small pieces every check view shares: the status badge and how a value
 * is shown.
 */
import { el } from './dom';

/** Statuses with their own badge colour; anything else is shown neutral. */
const KNOWN_STATUSES = new Set(['pass', 'warn', 'fail', 'error', 'skip']);

/** Badge text of statuses that are not a verdict's short code. */
const BADGE_TEXT: Record<string, string> = { never: 'not run' };

/**
 * A status badge coloured by the JupyterLab theme (success, warn, error);
 * `words` (the service's, e.g. "passed with warnings") become its tooltip
 * and accessible name.
 */
export function statusBadge(status: string, words?: string): HTMLElement {
  const known = KNOWN_STATUSES.has(status) ? status : 'other';
  return el(
    'span',
    {
      class: `aios-check-status aios-check-status-${known}`,
      'data-status': status,
      title: words,
      'aria-label': words
    },
    BADGE_TEXT[status] ?? (status || '?')
  );
}

/**
 * A value for display: numbers in the user's locale, fractions with four
 * significant digits, anything else as compact text.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? value.toLocaleString()
      : value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
  }
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  return JSON.stringify(value);
}
