import { PromotionGate, PromotionReport } from './api';
import { toneBadge } from './badges';
import { el } from './dom';
import { formatInZone, userTimeZone } from './time';

/** The mark and the word for a gate's verdict. */
function verdict(gate: PromotionGate): {
  mark: string;
  word: string;
  state: string;
} {
  if (gate.pending) {
    return { mark: '⏳', word: 'waiting', state: 'pending' };
  }
  return gate.passed
    ? { mark: '✓', word: 'passed', state: 'pass' }
    : { mark: '✗', word: 'failed', state: 'fail' };
}

/** A fix the service attached to a gate, when there is one. */
function fixOf(gate: PromotionGate): string | null {
  const fix = gate.detail.fix;
  return typeof fix === 'string' && fix.trim() ? fix.trim() : null;
}

/**
 * Every gate, in order, with its verdict and reason (and fix when failed).
 */
export function gateList(gates: PromotionGate[]): HTMLElement {
  return el(
    'ol',
    {
      class: 'aios-gates',
      'aria-label': 'Promotion gates',
      'data-testid': 'aios-promote-gates'
    },
    ...gates.map(gate => {
      const { mark, word, state } = verdict(gate);
      const fix = gate.passed ? null : fixOf(gate);
      return el(
        'li',
        {
          class: `aios-gate aios-gate-${state}`,
          'data-testid': 'aios-promote-gate',
          'data-name': gate.name,
          'data-state': state
        },
        el('span', { class: 'aios-gate-mark', 'aria-hidden': 'true' }, mark),
        el(
          'div',
          { class: 'aios-gate-text' },
          el(
            'span',
            { class: 'aios-gate-title' },
            gate.title || gate.name,
            el('span', { class: 'aios-visually-hidden' }, `: ${word}`)
          ),
          el('span', { class: 'aios-gate-reason' }, gate.reason),
          fix ? el('span', { class: 'aios-gate-fix' }, `Fix: ${fix}`) : null
        )
      );
    })
  );
}

/**
 * The headline of a report: promoted, waiting for approval, or refused.
 */
function headline(report: PromotionReport): HTMLElement {
  const failed = report.gates.filter(g => !g.passed).length;
  const text =
    report.status === 'active'
      ? `Promoted ${report.notebook} as job ${report.job}, version ${report.version}.`
      : report.status === 'pending_approval'
        ? `Job ${report.job} version ${report.version} is stored and waits for approval; it runs once approved.`
        : `Promotion refused: ${failed} of ${report.gates.length} gates failed. Nothing was stored.`;
  return el(
    'p',
    {
      class: 'aios-promote-headline',
      'data-testid': 'aios-promote-headline',
      'data-status': report.status
    },
    toneBadge(report.status),
    ' ',
    text
  );
}

/**
 * A promotion's report: the headline, every gate, the next runs and (when
 * a job exists) a link that opens it in the Jobs section.
 */
export function reportView(
  report: PromotionReport,
  openJob: ((name: string) => void) | null
): HTMLElement {
  const zone = userTimeZone();
  const next =
    report.passed && report.next_runs.length
      ? el(
          'div',
          { class: 'aios-promote-next' },
          el('span', {}, `Next runs (your time, ${zone}):`),
          el(
            'ul',
            {},
            ...report.next_runs.map(r =>
              el(
                'li',
                {},
                el('time', { datetime: r.utc }, formatInZone(r.utc, zone))
              )
            )
          )
        )
      : null;
  let link: HTMLElement | null = null;
  if (report.passed && openJob) {
    link = el(
      'button',
      {
        type: 'button',
        class: 'aios-link',
        'data-testid': 'aios-promote-open-job'
      },
      `Open job ${report.job} in the Jobs section`
    );
    link.addEventListener('click', () => openJob(report.job));
  }
  return el(
    'div',
    {
      class: 'aios-promote-report',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'aios-promote-report'
    },
    headline(report),
    report.schedule
      ? el(
          'p',
          { class: 'aios-muted' },
          `Schedule: ${report.schedule.description}`
        )
      : null,
    gateList(report.gates),
    next,
    link
  );
}
