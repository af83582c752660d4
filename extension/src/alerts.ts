import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { ActionReview } from './actionReview';
import { IAlertOpeners, causeLines } from './alertCause';
import { reloadButton, smallButton } from './buttons';
import {
  acknowledgeAlert,
  fetchAlerts,
  fetchOpenCount,
  ALERTS_PAGE_SIZE
} from './alertsApi';
import { Alert } from './api';
import { toneBadge } from './badges';
import { el, emptyNote, errorBox, loadingNote, messageOf } from './dom';
import { Loader } from './loader';
import { decideApproval } from './promoteApi';
import { formatInZone, relativeTime } from './time';

/** Feed filters, in menu order (value = `state` of `GET alerts`). */
const STATES: [string, string][] = [
  ['open', 'Open'],
  ['acknowledged', 'Acknowledged'],
  ['resolved', 'Resolved'],
  ['', 'All']
];

/** Words for alert kinds. */
const KIND_LABELS: Record<string, string> = {
  run_failed: 'failed run',
  checks_failed: 'failed checks',
  monitor_failed: 'failed monitor',
  approval: 'approval'
};

/**
 * Options of {@link AlertsPanel}: the openers of an alert's cause (a run's
 * output, a check result, an app; see {@link IAlertOpeners}).
 */
export interface IAlertsPanelOptions extends IAlertOpeners {
  /** Show a job in the Jobs section. */
  openJob: (name: string) => void;
  /** Called after an action may have changed the open count. */
  changed?: () => void;
}

function text(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : null;
}

/**
 * The Alerts section: the attention feed (failed runs, failed monitors,
 * pending approvals), newest first; acknowledge an alert, open its job,
 * approve or reject a pending promotion (a 403 shows the reason).
 */
export class AlertsPanel extends Panel {
  constructor(options: IAlertsPanelOptions) {
    super();
    this.addClass('aios-alerts-panel');
    this.node.dataset.testid = 'aios-alerts-tab';
    this._options = options;

    this._state = el(
      'select',
      {
        class: 'aios-select',
        'aria-label': 'Which alerts',
        'data-testid': 'aios-alerts-state'
      },
      ...STATES.map(([value, label]) => el('option', { value }, label))
    );
    this._state.addEventListener('change', () => void this.reload());
    const refresh = reloadButton(
      'the alerts',
      () => void this.reload(),
      'aios-alerts-refresh'
    );
    this._counts = el('p', {
      class: 'aios-runs-scope-note',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'aios-alerts-counts'
    });
    this._message = el('div', { class: 'aios-runs-message' });
    this._list = el('ul', { class: 'aios-alerts', 'aria-label': 'Alerts' });
    this._more = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-more',
        'data-testid': 'aios-alerts-more'
      },
      'Load more'
    );
    this._more.hidden = true;
    this._more.addEventListener('click', () => void this._loadMore());
    this.addWidget(
      new Widget({
        node: el(
          'div',
          {
            class: 'aios-runs-filters',
            role: 'group',
            'aria-label': 'Alert filters'
          },
          el('div', { class: 'aios-data-toolbar' }, this._state, refresh),
          this._counts
        )
      })
    );
    this.addWidget(
      new Widget({
        node: el(
          'div',
          { class: 'aios-alerts-body' },
          this._message,
          this._list,
          this._more
        )
      })
    );
    this._message.replaceChildren(loadingNote('Loading alerts…'));
  }

  /** Alerts as last loaded. */
  get alerts(): readonly Alert[] {
    return this._alerts;
  }

  /**
   * Load the newest page again.
   */
  async reload(): Promise<void> {
    const outcome = await this._loader.load(() =>
      fetchAlerts({ state: this._state.value || undefined })
    );
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      const page = outcome.value;
      this._alerts = page.alerts;
      this._exhausted = page.alerts.length < ALERTS_PAGE_SIZE;
      this._counts.textContent = `${page.counts.open} open · ${page.counts.acknowledged} acknowledged`;
    }
    this._render();
  }

  /** Reload when visible (the badge watcher calls this when the count changes). */
  refreshIfVisible(): void {
    if (this.isVisible) {
      void this.reload();
    } else {
      this._loader.markStale();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._loader.stale) {
      void this.reload();
    }
  }

  private async _loadMore(): Promise<void> {
    const last = this._alerts[this._alerts.length - 1];
    if (!last) {
      return;
    }
    this._more.disabled = true;
    try {
      const page = await fetchAlerts({
        state: this._state.value || undefined,
        beforeId: last.id
      });
      this._alerts = this._alerts.concat(page.alerts);
      this._exhausted = page.alerts.length < ALERTS_PAGE_SIZE;
      this._render();
    } catch (error) {
      this._message.replaceChildren(
        errorBox('Cannot load more alerts', messageOf(error))
      );
    } finally {
      this._more.disabled = false;
    }
  }

  private _render(): void {
    const error = this._loader.error;
    if (error !== null) {
      this._list.replaceChildren();
      this._more.hidden = true;
      this._message.replaceChildren(errorBox('Cannot load the alerts', error));
      return;
    }
    const state = this._state.value;
    this._message.replaceChildren(
      ...(this._alerts.length
        ? []
        : [
            emptyNote(
              state === 'open'
                ? 'Nothing needs your attention.'
                : `No ${state || ''} alert.`.replace('  ', ' ')
            )
          ])
    );
    const listed = new Set(this._alerts.map(alert => alert.id));
    // an action decided here stays with its outcome after its alert is resolved
    const decided = [...this._decided]
      .filter(([id]) => !listed.has(id))
      .map(([, node]) => node);
    this._list.replaceChildren(
      ...decided,
      ...this._alerts.map(alert => this._renderAlert(alert))
    );
    this._more.hidden = this._exhausted;
  }

  /** Run an action on an alert; a failure (e.g. 403) is shown on the alert itself. */
  private async _act(
    alert: Alert,
    slot: HTMLElement,
    label: string,
    action: () => Promise<unknown>
  ): Promise<void> {
    slot.replaceChildren(loadingNote(`${label}…`));
    try {
      await action();
    } catch (error) {
      slot.replaceChildren(errorBox(`${label} was refused`, messageOf(error)));
      return;
    }
    slot.replaceChildren();
    this._options.changed?.();
    await this.reload();
  }

  private _renderAlert(alert: Alert): HTMLElement {
    const detail = alert.detail;
    const job = text(detail.job);
    const run = text(detail.run_id ?? detail.run);
    const version =
      typeof detail.version === 'number'
        ? detail.version
        : Number(detail.version);
    const slot = el('div', { class: 'aios-alert-message' });
    const actions: HTMLElement[] = [];
    const button = (
      label: string,
      action: string,
      onClick: () => void,
      primary = false
    ) => {
      const attrs = {
        'data-testid': `aios-alert-${action}`,
        'aria-label': `${label}: ${alert.title}`
      };
      actions.push(smallButton(label, attrs, onClick, primary));
    };
    if (alert.state === 'open') {
      button(
        'Acknowledge',
        'ack',
        () =>
          void this._act(alert, slot, 'Acknowledge', () =>
            acknowledgeAlert(alert.id)
          )
      );
    }
    let comment: HTMLInputElement | null = null;
    if (
      alert.kind === 'approval' &&
      alert.state !== 'resolved' &&
      job &&
      isFinite(version)
    ) {
      comment = el('input', {
        type: 'text',
        class: 'aios-search jp-mod-styled aios-alert-comment',
        placeholder: 'Comment (optional)',
        'aria-label': `Comment on job ${job} version ${version}`,
        'data-testid': 'aios-alert-comment'
      });
      const said = () => comment?.value.trim() || undefined;
      button(
        'Approve',
        'approve',
        () =>
          void this._act(alert, slot, 'Approval', () =>
            decideApproval(job, version, 'approve', said())
          ),
        true
      );
      button(
        'Reject',
        'reject',
        () =>
          void this._act(alert, slot, 'Rejection', () =>
            decideApproval(job, version, 'reject', said())
          )
      );
    }
    if (job) {
      button('Open job', 'open-job', () => this._options.openJob(job));
    }
    const actionId =
      alert.kind === 'approval' && typeof detail.action === 'number'
        ? detail.action
        : null;
    let review: HTMLElement | null = null;
    let openReview: (() => void) | undefined;
    if (actionId !== null) {
      review = el('div', { class: 'aios-alert-review' });
      const holder = review;
      openReview = () => {
        if (!holder.childElementCount) {
          reviewButton?.click();
        }
      };
      button(
        'Review',
        'review',
        () => {
          if (holder.childElementCount) {
            holder.replaceChildren(); // a second click closes it
            return;
          }
          const card = new ActionReview(actionId, () => {
            // decided: the alert is resolved; its buttons go, the review stays to show the outcome
            buttons?.remove();
            this._decided.set(alert.id, item);
            this._options.changed?.();
          });
          holder.replaceChildren(card.node);
          void card.load();
        },
        alert.state !== 'resolved'
      );
    }
    const reviewButton = actions.find(
      b => b.dataset.testid === 'aios-alert-review'
    );
    const buttons = actions.length
      ? el('div', { class: 'aios-job-run-actions' }, ...actions)
      : null;
    const causes = causeLines(
      alert,
      { ...this._options, reviewAction: openReview },
      slot
    );
    const facts: string[] = [];
    if (job) {
      facts.push(
        `job ${job}${isFinite(version) && alert.kind === 'approval' ? ` v${version}` : ''}`
      );
    }
    if (run) {
      facts.push(`run ${run}`);
    }
    const promotedBy = text(detail.promoted_by);
    if (promotedBy) {
      facts.push(`promoted by ${promotedBy}`);
    }
    const error = text(detail.error);
    const item = el(
      'li',
      {
        class: `aios-alert aios-alert-${alert.state}`,
        'data-testid': 'aios-alert',
        'data-id': String(alert.id),
        'data-kind': alert.kind,
        'data-state': alert.state,
        'data-key': alert.key
      },
      el(
        'div',
        { class: 'aios-check-run-line' },
        toneBadge(alert.severity),
        el(
          'span',
          { class: 'aios-check-run-name aios-alert-title', title: alert.title },
          alert.title
        ),
        alert.count > 1
          ? el(
              'span',
              { class: 'aios-badge', title: `${alert.count} times` },
              `×${alert.count}`
            )
          : null
      ),
      el(
        'div',
        { class: 'aios-check-run-meta' },
        el(
          'span',
          {},
          [KIND_LABELS[alert.kind] ?? alert.kind, ...facts].join(' · ')
        ),
        el(
          'time',
          { datetime: alert.last_at, title: formatInZone(alert.last_at) },
          relativeTime(alert.last_at) || formatInZone(alert.last_at)
        )
      ),
      error ? el('p', { class: 'aios-alert-error' }, error) : null,
      ...causes,
      alert.state === 'acknowledged' && alert.acknowledged_by
        ? el(
            'p',
            { class: 'aios-muted' },
            `Acknowledged by ${alert.acknowledged_by}`
          )
        : null,
      comment,
      buttons,
      review,
      slot
    );
    return item;
  }

  private readonly _options: IAlertsPanelOptions;
  private readonly _state: HTMLSelectElement;
  private readonly _counts: HTMLElement;
  private readonly _message: HTMLElement;
  private readonly _list: HTMLUListElement;
  private readonly _more: HTMLButtonElement;
  private readonly _loader = new Loader({ busy: this.node });
  private _alerts: Alert[] = [];
  private readonly _decided = new Map<number, HTMLElement>();
  private _exhausted = true;
}

/**
 * Polls the number of open alerts every `seconds()` (0 = off) and reports
 * changes, for the count badge. Skips polls while the browser tab is hidden.
 */
export class AlertWatcher {
  constructor(seconds: () => number, onCount: (count: number) => void) {
    this._seconds = seconds;
    this._onCount = onCount;
  }

  /** The last count seen (-1 before the first answer). */
  get count(): number {
    return this._count;
  }

  /** Poll now and then on the interval (again after a settings change). */
  start(): void {
    this.stop();
    void this.check();
  }

  stop(): void {
    this._loader.stopPolling();
  }

  /** Ask for the count now. Failures keep the last badge (the section shows errors). */
  async check(): Promise<void> {
    this.stop();
    if (!document.hidden || this._count < 0) {
      const outcome = await this._loader.load(fetchOpenCount);
      if (!outcome) {
        return; // a newer check reports and schedules the next poll
      }
      // After a failure (the service may be starting) the next poll tries again.
      if (outcome.ok && outcome.value !== this._count) {
        this._count = outcome.value;
        this._onCount(outcome.value);
      }
    }
    this._loader.schedulePoll(this._seconds() * 1000, () => void this.check());
  }

  private readonly _seconds: () => number;
  private readonly _onCount: (count: number) => void;
  private readonly _loader = new Loader();
  private _count = -1;
}
