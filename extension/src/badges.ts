import { el } from './dom';

/**
 * How a status reads at a glance; each tone has a theme colour in CSS
 * (`aios-check-status-<tone>`), shared with the Checks section's badges.
 */
export type Tone =
  'pass' | 'warn' | 'fail' | 'error' | 'running' | 'info' | 'other';

const TONES: Record<string, Tone> = {
  // check outcomes
  pass: 'pass',
  warn: 'warn',
  fail: 'fail',
  // MLflow run states
  finished: 'pass',
  failed: 'fail',
  killed: 'error',
  running: 'running',
  scheduled: 'other',
  // job run states
  succeeded: 'pass',
  checks_failed: 'warn', // the notebook succeeded, checks it recorded failed
  queued: 'other',
  timed_out: 'fail',
  cancelled: 'error',
  // job states and promotion outcomes
  active: 'pass',
  paused: 'warn',
  pending_approval: 'info',
  refused: 'fail',
  // alert severities and states
  info: 'info',
  warning: 'warn',
  error: 'fail',
  critical: 'fail',
  open: 'warn',
  acknowledged: 'other',
  resolved: 'pass'
};

/**
 * The tone of a status word (case-insensitive); unknown words are neutral.
 */
export function toneOf(status: string | null | undefined): Tone {
  return TONES[(status ?? '').toLowerCase()] ?? 'other';
}

/**
 * A badge showing `text` (underscores as spaces) in the colour of `tone`
 * (by default the tone of `text` itself).
 */
export function toneBadge(
  text: string,
  tone: Tone = toneOf(text)
): HTMLElement {
  return el(
    'span',
    {
      class: `aios-check-status aios-check-status-${tone}`,
      'data-status': text
    },
    text.replace(/_/g, ' ') || '?'
  );
}
