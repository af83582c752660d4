import { smallButton } from './buttons';
import { JobRun } from './api';
import { toneBadge } from './badges';
import { el, emptyNote, errorBox, loadingNote, messageOf } from './dom';
import { ACTIVE_RUN_STATES, cancelRun, fetchLog, rerunRun } from './jobsApi';
import { formatDuration, formatInZone } from './time';

/**
 * What a run's buttons do; `act` runs an action and refreshes the job.
 */
export interface IRunActions {
  canControl: boolean;
  act: (label: string, action: () => Promise<unknown>) => void;
  openOutput: (run: JobRun) => void;
}

function progressOf(run: JobRun): HTMLElement | null {
  const { cells_done: done, cells_total: total } = run.progress;
  if (run.status === 'queued') {
    return el(
      'span',
      { class: 'aios-job-progress', 'data-testid': 'aios-run-progress' },
      'queued, waiting for a scheduler'
    );
  }
  if (run.status !== 'running') {
    return null;
  }
  const text = total
    ? `cell ${Math.min(done + 1, total)} of ${total}`
    : 'starting a kernel…';
  const bar = el('progress', {
    max: String(total || 1),
    'aria-label': `Progress: ${text}`
  });
  bar.value = done;
  return el(
    'span',
    { class: 'aios-job-progress', 'data-testid': 'aios-run-progress' },
    bar,
    ' ',
    text
  );
}

/**
 * What a run's verdict (decided by the service: its status, or
 * `checks_failed` when the notebook succeeded while checks it recorded
 * failed) says beyond its badge; null when the badge says it all.
 */
export function checksNote(run: JobRun): string | null {
  const { failed, total, failed_kinds: kinds } = run.checks;
  if (run.verdict === 'checks_failed') {
    const which = kinds.length ? ` (${kinds.join(', ')})` : '';
    return `The notebook succeeded, but ${failed} of ${total} checks it recorded failed${which}.`;
  }
  if (failed > 0) {
    return `${failed} of ${total} checks it recorded failed.`;
  }
  return null;
}

/**
 * One run of a job's history: status, trigger, timing, live progress,
 * its error, its controls (cancel, re-run, open output) and its log.
 */
export function jobRunItem(run: JobRun, actions: IRunActions): HTMLElement {
  const { canControl, act, openOutput } = actions;
  const buttons: HTMLElement[] = [];
  const button = (
    label: string,
    action: string,
    onClick: () => void,
    primary = false
  ) => {
    const attrs = {
      'data-action': action,
      'data-testid': `aios-run-${action}`,
      'aria-label': `${label}: run ${run.id}`
    };
    buttons.push(smallButton(label, attrs, onClick, primary));
  };
  const active = ACTIVE_RUN_STATES.has(run.status);
  if (canControl && active && !run.cancel_requested) {
    button('Cancel', 'cancel', () =>
      act(`Cancel run ${run.id}`, () => cancelRun(run.id))
    );
  }
  if (canControl && !active) {
    button('Re-run', 'rerun', () =>
      act(`Re-run run ${run.id}`, () => rerunRun(run.id))
    );
  }
  const hasOutput = !active && (run.output_path || run.html_path);
  if (hasOutput) {
    button('Open output', 'open-output', () => openOutput(run), true);
  }
  const failure =
    run.error || run.failing_cell
      ? el(
          'div',
          { class: 'aios-job-run-error', 'data-testid': 'aios-run-error' },
          run.failing_cell && run.failing_cell.ename
            ? el(
                'p',
                {},
                `Cell ${run.failing_cell.index}: ${run.failing_cell.ename}: ${run.failing_cell.evalue ?? ''}`
              )
            : null,
          run.error ? el('p', {}, run.error) : null
        )
      : null;
  const log = el(
    'details',
    { class: 'aios-job-log' },
    el('summary', { 'data-action': 'log' }, 'Log')
  );
  let loaded = false;
  log.addEventListener('toggle', () => {
    if (log.open && !loaded) {
      loaded = true;
      void fillLog(log, run.id);
    }
  });
  const started = run.started_at ?? run.created_at;
  const note = checksNote(run);
  return el(
    'li',
    {
      class: 'aios-job-run',
      'data-testid': 'aios-job-run',
      'data-id': String(run.id),
      'data-status': run.status,
      'data-verdict': run.verdict
    },
    el(
      'div',
      { class: 'aios-check-run-line' },
      toneBadge(run.verdict),
      el('span', { class: 'aios-run-name' }, `#${run.id}`),
      el('span', { class: 'aios-muted' }, run.trigger_words),
      el(
        'span',
        { class: 'aios-job-run-duration', title: 'Duration' },
        formatDuration(run.duration_seconds)
      )
    ),
    el(
      'div',
      { class: 'aios-check-run-meta' },
      el('span', {}, run.requested_by),
      started
        ? el(
            'time',
            { datetime: started, title: formatInZone(started, 'UTC') },
            formatInZone(started)
          )
        : null,
      run.version ? el('span', {}, `version ${run.version}`) : null
    ),
    progressOf(run),
    note
      ? el(
          'p',
          {
            class: 'aios-job-run-checks',
            'data-testid': 'aios-run-checks'
          },
          note
        )
      : null,
    run.cancel_requested && active
      ? el('p', { class: 'aios-muted' }, 'Cancelling…')
      : null,
    failure,
    buttons.length
      ? el('div', { class: 'aios-job-run-actions' }, ...buttons)
      : null,
    canControl ? log : null
  );
}

/** Load a run's log into its expanded <details>. */
async function fillLog(log: HTMLDetailsElement, id: number): Promise<void> {
  log.appendChild(loadingNote('Loading the log…'));
  try {
    const text = await fetchLog(id);
    log.lastElementChild?.remove();
    log.appendChild(
      text.trim()
        ? el(
            'pre',
            {
              class: 'aios-log',
              tabindex: '0',
              'aria-label': `Log of run ${id}`
            },
            text
          )
        : emptyNote('The log is empty.')
    );
  } catch (error) {
    log.lastElementChild?.remove();
    log.appendChild(errorBox('Cannot load the log', messageOf(error)));
  }
}
