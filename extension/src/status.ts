import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ConnectorStatus, Status, StoreStatus } from './api';
import { el, messageOf } from './dom';
import { Loader } from './loader';
import { requestAPI } from './request';
import { timeElement } from './time';

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

/** How the service runs (`Status.mode`), in words. */
const MODE_WORDS: Record<string, string> = {
  jupyter: 'Inside this Jupyter server',
  standalone: "The team's workbench service",
  local: 'In this process (a convenience, not a security boundary)',
  job: "A job's run",
  dashboard: "The dashboard's service"
};

/** Connector and store kinds as people name them. */
const KIND_WORDS: Record<string, string> = {
  sqlite: 'SQLite',
  postgresql: 'PostgreSQL',
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  duckdb: 'DuckDB',
  files: 'Files',
  file: 'Files',
  s3: 'S3',
  parquet: 'Parquet files',
  csv: 'CSV files'
};

/** A connector or store kind in words ("postgres" -> "PostgreSQL"). */
export function kindInWords(kind: string | null | undefined): string {
  if (!kind) {
    return 'unknown kind';
  }
  return KIND_WORDS[kind.toLowerCase()] ?? kind;
}

/** How the service runs, in words. */
export function modeInWords(mode: string | null | undefined): string {
  return (mode && MODE_WORDS[mode]) || mode || '—';
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

    addRow(
      'Version',
      status.version ? `AI OS workbench ${status.version}` : '—',
      'aios-version'
    );
    addRow('Runs', modeInWords(status.mode), 'aios-mode');
    addRow('Signed in as', status.user ?? '—', 'aios-user');

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
    if (workspace?.path) {
      addRow(
        'Folder',
        el('span', { class: 'aios-status-path' }, workspace.path),
        'aios-workspace-path'
      );
    }

    addRow('Metadata store', this._renderStore(status.store), 'aios-store');
    if (status.state_private === true) {
      addRow(
        'Workspace state',
        'Private to the service’s account',
        'aios-state'
      );
    } else if (status.state_private === false) {
      const exposed = status.state_exposed ?? [];
      addRow(
        'Workspace state',
        el(
          'span',
          { class: 'aios-status-item-error' },
          'Other accounts can reach it' +
            (exposed.length ? `: ${exposed.join('; ')}` : '')
        ),
        'aios-state'
      );
    }

    const checked = status.checked_at;
    addRow('Checked', checked ? timeElement(checked) : '—', 'aios-checked-at');

    const connectors = Array.isArray(status.connectors)
      ? status.connectors
      : [];
    const list = el('ul', { class: 'aios-status-connectors' });
    if (connectors.length === 0) {
      list.appendChild(
        el('li', { class: 'aios-status-empty' }, 'No data sources declared')
      );
    }
    for (const connector of connectors) {
      list.appendChild(this._renderConnector(connector));
    }
    const healthy = connectors.filter(c => c.ok === true).length;

    const components = Array.isArray(status.components)
      ? status.components
      : [];
    this._body.replaceChildren(
      rows,
      el(
        'h3',
        { class: 'aios-status-subtitle' },
        connectors.length
          ? `Data sources (${healthy} of ${connectors.length} reachable)`
          : 'Data sources'
      ),
      list,
      ...(components.length
        ? [
            el('h3', { class: 'aios-status-subtitle' }, 'Runs on'),
            el(
              'p',
              {
                class: 'aios-status-components',
                'data-testid': 'aios-components'
              },
              components.map(c => `${c.name} ${c.version}`).join(' · ')
            )
          ]
        : [])
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
    // the migration revision is for administrators (`aios doctor`), not this panel
    box.appendChild(
      el(
        'span',
        {},
        `${kindInWords(store.backend)}, ${store.ok ? 'reachable' : 'not reachable'}`
      )
    );
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
      el(
        'span',
        { class: 'aios-status-connector-type' },
        `${kindInWords(connector.type)}, ${ok ? 'reachable' : 'not reachable'}`
      ),
      !ok
        ? el(
            'span',
            { class: 'aios-status-item-error' },
            connector.error || 'The probe failed without saying why'
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
