import { PromotionGate, PromotionReport } from './api';
import { toneBadge } from './badges';
import { el } from './dom';
import { formatInZone, userTimeZone } from './time';

/**
 * How each verdict of the service (`jobs/gates.py`) looks: a mark, the
 * word screen readers hear, and the state that picks the colour. A gate
 * that did not run, or an approval nobody must give, is neutral: only a
 * failed gate is red.
 */
const VERDICTS: Record<
  PromotionGate['verdict'],
  { mark: string; word: string; state: string }
> = {
  passed: { mark: '✓', word: 'passed', state: 'pass' },
  failed: { mark: '✗', word: 'failed', state: 'fail' },
  not_run: { mark: '–', word: 'not run', state: 'not-run' },
  waiting: { mark: '⏳', word: 'waiting', state: 'pending' },
  not_required: { mark: '–', word: 'not required', state: 'not-required' }
};

/** The look of a gate's verdict. */
function verdict(gate: PromotionGate): {
  mark: string;
  word: string;
  state: string;
} {
  return VERDICTS[gate.verdict] ?? VERDICTS.failed;
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
      const fix = gate.verdict === 'failed' ? fixOf(gate) : null;
      return el(
        'li',
        {
          class: `aios-gate aios-gate-${state}`,
          'data-testid': 'aios-promote-gate',
          'data-name': gate.name,
          'data-state': state,
          'data-verdict': gate.verdict
        },
        el('span', { class: 'aios-gate-mark', 'aria-hidden': 'true' }, mark),
        el(
          'div',
          { class: 'aios-gate-text' },
          el(
            'span',
            { class: 'aios-gate-title' },
            gate.title || gate.name,
            // neutral verdicts say their word on screen; the marks of the others are read as words
            gate.verdict === 'not_run' || gate.verdict === 'not_required'
              ? el('span', { class: 'aios-gate-word' }, ` — ${word}`)
              : el('span', { class: 'aios-visually-hidden' }, `: ${word}`)
          ),
          el('span', { class: 'aios-gate-reason' }, gate.reason),
          fix ? el('span', { class: 'aios-gate-fix' }, `Fix: ${fix}`) : null
        )
      );
    })
  );
}

/** The headline's sentence for each outcome of a promotion. */
function headlineText(report: PromotionReport): string {
  switch (report.status) {
    case 'active':
      return `Promoted ${report.notebook} as job ${report.job}, version ${report.version}.`;
    case 'pending_approval':
      return `Job ${report.job} version ${report.version} is stored and waits for approval; it runs once approved.`;
    case 'unchanged':
      return `Nothing to promote: job ${report.job} version ${report.version} already runs this notebook with these settings. Nothing was stored.`;
    case 'planned':
      return `Would create version ${report.version} of job ${report.job}.`;
    default:
      return `Promotion refused: ${report.summary}. Nothing was stored.`;
  }
}

/**
 * The headline of a report: promoted, waiting for approval, unchanged or
 * refused (with the one cause the service names).
 */
function headline(report: PromotionReport): HTMLElement {
  return el(
    'div',
    {},
    el(
      'p',
      {
        class: 'aios-promote-headline',
        'data-testid': 'aios-promote-headline',
        'data-status': report.status
      },
      toneBadge(report.status),
      ' ',
      headlineText(report)
    ),
    report.cause
      ? el(
          'p',
          { class: 'aios-promote-cause', 'data-testid': 'aios-promote-cause' },
          `Cause: ${report.cause}`
        )
      : null
  );
}

/**
 * What a version changes against the one the job runs, in the service's
 * words; `null` for a new job.
 */
export function changesView(report: PromotionReport): HTMLElement | null {
  const previous = report.previous_version;
  if (previous === null || previous === undefined) {
    return null;
  }
  if (!report.changes.length) {
    return el(
      'p',
      { class: 'aios-promote-changes', 'data-testid': 'aios-promote-changes' },
      `No change against version ${previous}: same notebook, same settings.`
    );
  }
  return el(
    'div',
    { class: 'aios-promote-changes', 'data-testid': 'aios-promote-changes' },
    el('span', {}, `Changes against version ${previous}:`),
    el('ul', {}, ...report.changes.map(change => el('li', {}, change)))
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
    report.status === 'unchanged' ? null : changesView(report),
    report.schedule && report.status !== 'refused'
      ? el(
          'p',
          { class: 'aios-muted' },
          `Schedule: ${report.schedule.description}`
        )
      : null,
    report.gates.length ? gateList(report.gates) : null,
    next,
    link
  );
}
