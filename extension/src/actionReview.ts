import { approveAction, fetchAction, rejectAction } from './actionsApi';
import { ProposedAction } from './api';
import { smallButton } from './buttons';
import { el, errorBox, loadingNote, messageOf, statusOf } from './dom';
import { formatInZone } from './time';

/** What the approve button says, by kind: the approval does it at once. */
const APPROVE_LABELS: Record<string, string> = {
  email: 'Approve and send',
  webhook: 'Approve and call',
  job_run: 'Approve and run'
};

/** Payload fields a person edits as text before approving (long ones get a text area). */
const LONG_TEXT = 120;

/** An evidence value in words: yes/no, lists joined, a mapping as `name: value` pairs. */
export function shownValue(value: unknown): string {
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  if (Array.isArray(value)) {
    return value.map(shownValue).join(', ');
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${label(key)}: ${shownValue(inner)}`)
      .join('; ');
  }
  return value === null || value === undefined ? '' : String(value);
}

function label(field: string): string {
  return field.replace(/_/g, ' ');
}

/**
 * The review of one proposed action, opened from its approval alert: what it
 * does, why, its evidence and, for an approver who may decide, its text fields
 * to edit and Approve / Reject. Values the policy withholds from the viewer are
 * shown as the service replaced them, and the reason is said.
 */
export class ActionReview {
  constructor(id: number, onDecided: () => void) {
    this._id = id;
    this._onDecided = onDecided;
    this.node = el('div', {
      class: 'aios-action-review',
      'data-testid': 'aios-action-review',
      'data-action-id': String(id)
    });
  }

  readonly node: HTMLElement;

  async load(): Promise<void> {
    this.node.replaceChildren(loadingNote('Loading the proposed action…'));
    try {
      this._render(await fetchAction(this._id));
    } catch (error) {
      this.node.replaceChildren(
        statusOf(error) === 404
          ? errorBox(
              'Not yours to review',
              'Only its proposer, approvers of its kind and auditors see this action.'
            )
          : errorBox('Cannot load the action', messageOf(error))
      );
    }
  }

  private _render(action: ProposedAction): void {
    const editable = action.may_approve;
    const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
    // once approved, what was done (the approver's edit, if any) rather than the proposal
    const payload = action.approved_payload ?? action.payload;
    const given = Object.entries(payload).filter(
      ([, value]) =>
        typeof value === 'string' ||
        (value !== null &&
          value !== undefined &&
          !(Array.isArray(value) && value.length === 0))
    );
    const fields = given.map(([field, value]) => {
      const text = shownValue(value);
      const id = `aios-action-${action.id}-${field}`;
      let control: HTMLElement;
      if (editable && typeof value === 'string') {
        const input =
          text.length > LONG_TEXT || text.includes('\n')
            ? el('textarea', {
                id,
                class: 'aios-action-text jp-mod-styled',
                rows: '6',
                'data-testid': `aios-action-field-${field}`
              })
            : el('input', {
                id,
                type: 'text',
                class: 'aios-search jp-mod-styled',
                'data-testid': `aios-action-field-${field}`
              });
        input.value = text;
        inputs.set(field, input);
        control = input;
      } else {
        control = el(
          'span',
          { id, 'data-testid': `aios-action-field-${field}` },
          text
        );
      }
      return el(
        'div',
        { class: 'aios-action-field' },
        el('label', { for: id }, label(field)),
        control
      );
    });
    const evidence = Object.entries(action.evidence).map(([key, value]) =>
      el('li', {}, `${label(key)}: ${shownValue(value)}`)
    );
    const withheld = action.withheld.map(w =>
      el('li', {}, `${w.field}: ${w.shown} (${w.rule})`)
    );
    const changes = action.changes.map(c =>
      el(
        'li',
        {},
        `${label(c.field)}: “${shownValue(c.before)}” → “${shownValue(c.after)}”`
      )
    );
    const reason = el('input', {
      type: 'text',
      class: 'aios-search jp-mod-styled',
      placeholder: 'Reason (required to reject)',
      'aria-label': `Reason for your decision on action ${action.id}`,
      'data-testid': 'aios-action-reason'
    });
    const slot = el('div', {
      class: 'aios-action-message',
      role: 'status',
      'aria-live': 'polite'
    });
    const decide = async (verb: 'approve' | 'reject'): Promise<void> => {
      const said = reason.value.trim();
      if (verb === 'reject' && !said) {
        slot.replaceChildren(
          errorBox(
            'A rejection needs a reason',
            'Say why; the proposer reads it.'
          )
        );
        reason.focus();
        return;
      }
      slot.replaceChildren(
        loadingNote(verb === 'approve' ? 'Approving…' : 'Rejecting…')
      );
      try {
        const edited: Record<string, unknown> = { ...action.payload };
        inputs.forEach((input, field) => (edited[field] = input.value));
        const done =
          verb === 'approve'
            ? await approveAction(action.id, edited, said || undefined)
            : await rejectAction(action.id, said);
        this._render(done);
        this._onDecided();
      } catch (error) {
        slot.replaceChildren(
          errorBox(
            verb === 'approve'
              ? 'Approval was refused'
              : 'Rejection was refused',
            messageOf(error)
          )
        );
      }
    };
    const decided = action.decided_by
      ? `${action.state_text} by ${action.decided_by}` +
        (action.decided_at ? ` at ${formatInZone(action.decided_at)}` : '') +
        (action.decision_reason ? `: ${action.decision_reason}` : '')
      : action.state_text;
    const outcome = action.outcome
      ? Object.entries(action.outcome)
          .filter(([, v]) => v !== null && v !== undefined)
          .map(([k, v]) => `${label(k)} ${shownValue(v)}`)
          .join(' · ')
      : '';
    const parts: (HTMLElement | null)[] = [
      el('p', { class: 'aios-action-summary' }, action.summary),
      el(
        'p',
        { class: 'aios-muted', 'data-testid': 'aios-action-state' },
        `Proposed by ${action.proposed_by} (${action.proposed_via}) · ${decided}`
      ),
      action.reason
        ? el('p', { class: 'aios-action-reason' }, `Why: ${action.reason}`)
        : null,
      evidence.length
        ? el(
            'ul',
            { class: 'aios-action-evidence', 'aria-label': 'Evidence' },
            ...evidence
          )
        : null,
      el('div', { class: 'aios-action-fields' }, ...fields),
      withheld.length
        ? el(
            'ul',
            {
              class: 'aios-action-withheld',
              'aria-label': 'Withheld from you'
            },
            ...withheld
          )
        : null,
      changes.length
        ? el(
            'ul',
            {
              class: 'aios-action-changes',
              'aria-label': 'Edited by the approver'
            },
            ...changes
          )
        : null,
      outcome
        ? el(
            'p',
            { 'data-testid': 'aios-action-outcome' },
            `Outcome: ${outcome}`
          )
        : null,
      action.may_approve
        ? el(
            'div',
            { class: 'aios-action-decision' },
            reason,
            el(
              'div',
              { class: 'aios-job-run-actions' },
              smallButton(
                APPROVE_LABELS[action.kind] ?? 'Approve',
                { 'data-testid': 'aios-action-approve' },
                () => void decide('approve'),
                true
              ),
              smallButton(
                'Reject',
                { 'data-testid': 'aios-action-reject' },
                () => void decide('reject')
              )
            )
          )
        : action.state === 'pending' && action.why_not
          ? el(
              'p',
              { class: 'aios-muted', 'data-testid': 'aios-action-why-not' },
              `You may not decide on it: ${action.why_not}.`
            )
          : null,
      slot
    ];
    this.node.replaceChildren(
      ...parts.filter((part): part is HTMLElement => part !== null)
    );
  }

  private readonly _id: number;
  private readonly _onDecided: () => void;
}
