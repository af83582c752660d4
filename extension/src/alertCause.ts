/**
 * An alert's cause and evidence as links: the service says what caused
 * the alert (`cause`: the failed run, the monitor's check result, the job
 * version or action waiting for a decision) and where it opens (`target`);
 * this opens it in the section that can (a run's output, the Checks
 * section, the Jobs section, an app), or shows its label when nothing here
 * opens it.
 */
import { Alert } from './api';
import { el, errorBox, messageOf } from './dom';

/** One cause of an alert, as the service describes it. */
export type AlertCause = NonNullable<Alert['cause']>;
/** Where a cause opens. */
export type AlertTarget = NonNullable<AlertCause['target']>;

/**
 * What the sidebar can open; each is optional (a target without an opener
 * is shown as its label).
 */
export interface IAlertOpeners {
  /** Open a job run's output notebook. */
  openOutput?: (run: { id: number; job: string | null }) => Promise<void>;
  /** Show a job in the Jobs section. */
  openJob?: (name: string) => void;
  /** Show one check result (a ledger entry) in the Checks section. */
  openCheckResult?: (ledgerId: number) => Promise<void>;
  /** Open a decision app. */
  openApp?: (name: string) => void;
  /** Show a proposed action for review. */
  reviewAction?: (actionId: number) => void;
}

/**
 * The function that opens `target` with `openers`, or null when none does.
 */
export function opener(
  target: AlertTarget | null | undefined,
  openers: IAlertOpeners
): (() => Promise<void> | void) | null {
  if (!target) {
    return null;
  }
  const { openOutput, openJob, openCheckResult, openApp, reviewAction } =
    openers;
  switch (target.opens) {
    case 'job_run_output':
      return typeof target.run_id === 'number' && openOutput
        ? () => openOutput({ id: target.run_id!, job: target.job ?? null })
        : null;
    case 'job':
      return target.job && openJob ? () => openJob(target.job!) : null;
    case 'check_result':
      return typeof target.ledger_id === 'number' && openCheckResult
        ? () => openCheckResult(target.ledger_id!)
        : null;
    case 'app':
      return target.app && openApp ? () => openApp(target.app!) : null;
    case 'action':
      return typeof target.action_id === 'number' && reviewAction
        ? () => reviewAction(target.action_id!)
        : null;
    default:
      return null;
  }
}

/**
 * A cause as a link-styled button (or plain text when nothing opens it),
 * its note after it; a failure to open it is shown in `slot`.
 */
export function causeLink(
  cause: AlertCause,
  openers: IAlertOpeners,
  slot: HTMLElement,
  testid: string
): HTMLElement {
  const open = opener(cause.target, openers);
  const note = cause.note
    ? el('span', { class: 'aios-muted' }, ` (${cause.note})`)
    : null;
  if (!open) {
    return el(
      'span',
      {},
      el(
        'span',
        { 'data-testid': testid, 'data-kind': cause.kind },
        cause.label
      ),
      note
    );
  }
  const link = el(
    'button',
    {
      type: 'button',
      class: 'aios-link',
      'data-testid': testid,
      'data-kind': cause.kind
    },
    cause.label
  );
  link.addEventListener('click', async () => {
    slot.replaceChildren();
    try {
      await open();
    } catch (error) {
      slot.replaceChildren(errorBox('Cannot open it', messageOf(error)));
    }
  });
  return el('span', {}, link, note);
}

/**
 * "Cause: …" and "Evidence: …" lines of an alert (nothing when the service
 * named neither).
 */
export function causeLines(
  alert: Alert,
  openers: IAlertOpeners,
  slot: HTMLElement
): HTMLElement[] {
  const lines: HTMLElement[] = [];
  if (alert.cause) {
    lines.push(
      el(
        'p',
        { class: 'aios-alert-cause' },
        'Cause: ',
        causeLink(alert.cause, openers, slot, 'aios-alert-cause')
      )
    );
  }
  const related = alert.related ?? [];
  const evidence = related.filter(c => c.kind !== 'app');
  const next = related.filter(c => c.kind === 'app');
  for (const [label, causes] of [
    ['Evidence: ', evidence],
    ['Next step: ', next]
  ] as [string, AlertCause[]][]) {
    if (!causes.length) {
      continue;
    }
    const links: (HTMLElement | string)[] = [];
    causes.forEach((cause, index) => {
      if (index) {
        links.push(' · ');
      }
      links.push(causeLink(cause, openers, slot, 'aios-alert-related'));
    });
    lines.push(el('p', { class: 'aios-alert-cause' }, label, ...links));
  }
  return lines;
}
