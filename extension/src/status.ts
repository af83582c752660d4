import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ConnectorStatus, Status, StoreStatus } from './api';
import { el, messageOf } from './dom';
import { Loader } from './loader';
import { requestAPI } from './request';

/**
 * Value of the badge's `data-health` attribute.
 */
export type Health = 'ok' | 'degraded' | 'error' | 'loading';

/**
 * Overall health of a status payload: `ok` when the store and every
 * connector are healthy, `degraded` otherwise.
 */
export function overallHealth(status: Status): 'ok' | 'degraded' {
  const storeOk = !!status.store && status.store.ok === true;
  const connectors = Array.isArray(status.connectors) ? status.connectors : [];
  return storeOk && connectors.every(c => c.ok === true) ? 'ok' : 'degraded';
}

/**
 * Default auto-refresh period, in milliseconds.
 */
export const DEFAULT_REFRESH_INTERVAL = 30_000;

const BADGE_TEXT: Record<Health, string> = {
  ok: 'OK',
  degraded: 'Degraded',
  error: 'Error',
  loading: 'Loading'
};

/**
 * Format an ISO timestamp in the user's locale, or return it unchanged
 * if it cannot be parsed.
 */
function formatTime(iso: string): string {
  const date = new Date(iso);
  return isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * Options for {@link StatusPanel}.
 */
export interface IStatusPanelOptions {
  /**
   * Auto-refresh period in milliseconds (default 30 s). Zero or a
   * negative value turns auto refresh off.
   */
  refreshInterval?: number;
  /**
   * Function fetching the status payload; defaults to `GET status`.
   */
  fetchStatus?: () => Promise<Status>;
}

/**
 * Side panel showing the health of the AI OS workbench service.
 */
export class StatusPanel extends Widget {
  constructor(options: IStatusPanelOptions = {}) {
    super();
    this.addClass('aios-status-panel');
    this.title.caption = 'AI OS';

    this._interval = options.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
    this._fetchStatus =
      options.fetchStatus ?? (() => requestAPI<Status>('status'));

    this._badge = el('span', {
      class: 'aios-status-badge',
      role: 'status',
      'aria-live': 'polite'
    });
    this._refreshButton = el(
      'button',
      {
        class: 'aios-status-refresh',
        type: 'button',
        'aria-label': 'Refresh status',
        title: 'Refresh status'
      },
      refreshIcon.element({
        tag: 'span',
        className: 'aios-status-refresh-icon'
      })
    );
    this._refreshButton.addEventListener('click', () => {
      void this.refresh();
    });

    const header = el(
      'div',
      { class: 'aios-status-header' },
      el('h2', { class: 'aios-status-title' }, 'AI OS'),
      this._badge,
      this._refreshButton
    );
    this._body = el('div', { class: 'aios-status-body' });
    this.node.appendChild(header);
    this.node.appendChild(this._body);

    this._renderLoading();
  }

  /**
   * The last status successfully fetched, if any.
   */
  get status(): Status | null {
    return this._status;
  }

  /**
   * Fetch the status now and re-render. Overlapping calls are allowed;
   * only the answer of the most recent call is rendered.
   */
  async refresh(): Promise<void> {
    if (!this._status) {
      this._renderLoading();
    }
    const outcome = await this._loader.load(async () => {
      const status = await this._fetchStatus();
      if (!status || typeof status !== 'object') {
        throw new Error('The AI OS service returned an empty status.');
      }
      return status;
    });
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      this._status = outcome.value;
      this._renderStatus(outcome.value);
    } else {
      this._status = null;
      this._renderError(
        messageOf(outcome.error, 'Unknown error while fetching the status.')
      );
    }
    this._schedulePoll();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._loader.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.refresh();
  }

  protected onBeforeDetach(msg: Message): void {
    this._loader.stopPolling();
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // The sidebar may have been collapsed when a poll was due.
    if (this.isAttached && this._loader.stale) {
      void this.refresh();
    }
  }

  /**
   * Refresh `refreshInterval` after each refresh while attached; a refresh
   * due while the panel is hidden waits until it is shown.
   */
  private _schedulePoll(): void {
    this._loader.schedulePoll(this.isAttached ? this._interval : 0, () => {
      if (this.isVisible) {
        void this.refresh();
      } else {
        this._loader.markStale();
      }
    });
  }

  private _setBadge(health: Health): void {
    this._badge.dataset.health = health;
    this._badge.textContent = BADGE_TEXT[health];
    this._badge.title =
      health === 'degraded'
        ? 'The metadata store or a connector reports a problem'
        : `Status: ${BADGE_TEXT[health]}`;
    this.node.dataset.health = health;
  }

  private _renderLoading(): void {
    this._setBadge('loading');
    this._body.replaceChildren(
      el('p', { class: 'aios-status-loading' }, 'Loading status…')
    );
  }

  private _renderError(message: string): void {
    this._setBadge('error');
    this._body.replaceChildren(
      el(
        'div',
        { class: 'aios-status-error', role: 'alert' },
        el('p', { class: 'aios-status-error-title' }, 'Cannot load the status'),
        el('p', { class: 'aios-status-error-message' }, message)
      )
    );
  }

  private _renderStatus(status: Status): void {
    this._setBadge(overallHealth(status));

    const rows = el('dl', { class: 'aios-status-rows' });
    const addRow = (label: string, value: Node | string, testid?: string) => {
      rows.appendChild(el('dt', {}, label));
      rows.appendChild(el('dd', { 'data-testid': testid }, value));
    };

    addRow('Version', status.version ?? '—', 'aios-version');
    addRow('Mode', status.mode ?? '—', 'aios-mode');
    addRow('User', status.user ?? '—', 'aios-user');

    const workspace = status.workspace;
    addRow(
      'Workspace',
      el(
        'span',
        {
          class: 'aios-status-workspace',
          'data-testid': 'aios-workspace-name',
          title: workspace?.path ?? undefined
        },
        workspace?.name ?? '—'
      )
    );

    addRow('Metadata store', this._renderStore(status.store), 'aios-store');

    const checked = status.checked_at;
    addRow(
      'Checked at',
      checked
        ? el('time', { datetime: checked, title: checked }, formatTime(checked))
        : '—',
      'aios-checked-at'
    );

    const connectors = Array.isArray(status.connectors)
      ? status.connectors
      : [];
    const list = el('ul', { class: 'aios-status-connectors' });
    if (connectors.length === 0) {
      list.appendChild(
        el('li', { class: 'aios-status-empty' }, 'No connectors configured')
      );
    }
    for (const connector of connectors) {
      list.appendChild(this._renderConnector(connector));
    }

    this._body.replaceChildren(
      rows,
      el('h3', { class: 'aios-status-subtitle' }, 'Connectors'),
      list
    );
  }

  private _renderStore(store: StoreStatus | undefined): Node {
    if (!store) {
      return el('span', { class: 'aios-mark-error' }, 'unknown');
    }
    const box = el('span', {
      class: 'aios-status-store',
      'data-ok': String(store.ok === true)
    });
    box.appendChild(this._mark(store.ok === true));
    const description = store.revision
      ? `${store.backend} (${store.revision})`
      : store.backend;
    box.appendChild(el('span', {}, description || 'unknown backend'));
    if (!store.ok) {
      box.appendChild(
        el(
          'span',
          { class: 'aios-status-item-error' },
          store.error || 'The metadata store is not available'
        )
      );
    }
    return box;
  }

  private _renderConnector(connector: ConnectorStatus): HTMLLIElement {
    const ok = connector.ok === true;
    return el(
      'li',
      {
        class: 'aios-status-connector',
        'data-testid': 'aios-connector',
        'data-name': connector.name,
        'data-ok': String(ok)
      },
      this._mark(ok),
      el('span', { class: 'aios-status-connector-name' }, connector.name),
      connector.type
        ? el('span', { class: 'aios-status-connector-type' }, connector.type)
        : null,
      !ok
        ? el(
            'span',
            { class: 'aios-status-item-error' },
            connector.error || 'Connector check failed'
          )
        : null
    );
  }

  private _mark(ok: boolean): HTMLSpanElement {
    return el(
      'span',
      {
        class: ok ? 'aios-mark aios-mark-ok' : 'aios-mark aios-mark-error',
        role: 'img',
        'aria-label': ok ? 'OK' : 'Error'
      },
      ok ? '✓' : '✗'
    );
  }

  private readonly _interval: number;
  private readonly _fetchStatus: () => Promise<Status>;
  private readonly _badge: HTMLSpanElement;
  private readonly _refreshButton: HTMLButtonElement;
  private readonly _body: HTMLDivElement;
  private readonly _loader = new Loader({ busy: this.node });
  private _status: Status | null = null;
}
