/**
 * The Status section: the service's health on attach, refreshed on an
 * interval while it is on screen; a refresh due while it is hidden waits
 * until it is shown again.
 */
import { Widget } from '@lumino/widgets';

import { Status } from '../src/api';
import { StatusPanel } from '../src/status';

function status(overrides: Partial<Status> = {}): Status {
  return {
    service: 'aios-workbench',
    version: '0.1.0',
    mode: 'jupyter',
    user: 'alice',
    workspace: { name: 'demo', path: '/work/demo' },
    store: { ok: true, backend: 'sqlite', revision: '0007', error: null },
    connectors: [{ name: 'warehouse', type: 'duckdb', ok: true, error: null }],
    checked_at: '2026-11-26T09:00:00+00:00',
    state_private: true,
    state_exposed: [],
    components: [
      { name: 'Python', version: '3.12.3' },
      { name: 'DuckDB', version: '1.5.5' }
    ],
    ...overrides
  };
}

/** Let the answered fetch and the panel's rendering run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

describe('StatusPanel', () => {
  let fetchStatus: jest.Mock<Promise<Status>, []>;
  let panel: StatusPanel;

  beforeEach(() => {
    jest.useFakeTimers();
    fetchStatus = jest.fn(async () => status());
    panel = new StatusPanel({ refreshInterval: 1000, fetchStatus });
  });

  afterEach(() => {
    panel.dispose();
    jest.useRealTimers();
  });

  const badge = () =>
    panel.node.querySelector<HTMLElement>('.aios-status-badge')!;

  it('shows the health when attached, then refreshes on the interval', async () => {
    Widget.attach(panel, document.body);
    await settle();
    expect(badge().dataset.health).toBe('ok');
    expect(fetchStatus).toHaveBeenCalledTimes(1);

    fetchStatus.mockImplementation(async () =>
      status({
        connectors: [
          { name: 'warehouse', type: 'duckdb', ok: false, error: 'refused' }
        ]
      })
    );
    jest.advanceTimersByTime(1000);
    await settle();
    expect(fetchStatus).toHaveBeenCalledTimes(2);
    expect(badge().dataset.health).toBe('degraded');
  });

  it('says why when the service does not answer', async () => {
    fetchStatus.mockImplementation(() =>
      Promise.reject(new Error('Cannot reach the AI OS service'))
    );
    Widget.attach(panel, document.body);
    await settle();
    expect(badge().dataset.health).toBe('error');
    expect(panel.node.querySelector('[role="alert"]')!.textContent).toContain(
      'Cannot reach the AI OS service'
    );
    expect(panel.node.hasAttribute('aria-busy')).toBe(false);
  });

  it('skips refreshes while hidden and catches up when shown', async () => {
    Widget.attach(panel, document.body);
    await settle();
    panel.hide();

    jest.advanceTimersByTime(5000);
    await settle();
    expect(fetchStatus).toHaveBeenCalledTimes(1);

    panel.show();
    await settle();
    expect(fetchStatus).toHaveBeenCalledTimes(2);
  });

  it('stops refreshing when detached', async () => {
    Widget.attach(panel, document.body);
    await settle();
    Widget.detach(panel);

    jest.advanceTimersByTime(5000);
    await settle();
    expect(fetchStatus).toHaveBeenCalledTimes(1);
  });

  it('says the versions, the workspace, the store and the sources in words, no migration ids', async () => {
    fetchStatus.mockResolvedValue(
      status({
        connectors: [
          { name: 'warehouse', type: 'duckdb', ok: true, error: null },
          {
            name: 'orders',
            type: 'postgres',
            ok: false,
            error: 'connection refused'
          }
        ]
      })
    );
    Widget.attach(panel, document.body);
    await settle();

    const text = (testid: string) =>
      panel.node.querySelector(`[data-testid="${testid}"]`)!.textContent;
    expect(text('aios-version')).toBe('AI OS workbench 0.1.0');
    expect(text('aios-mode')).toBe('Inside this Jupyter server');
    expect(text('aios-store')).toContain('SQLite, reachable');
    expect(panel.node.textContent).not.toContain('0007');
    expect(panel.node.textContent).toContain('Data sources (1 of 2 reachable)');
    const orders = panel.node.querySelector('[data-name="orders"]')!;
    expect(orders.textContent).toContain('PostgreSQL, not reachable');
    expect(orders.textContent).toContain('connection refused');
    expect(text('aios-components')).toBe('Python 3.12.3 · DuckDB 1.5.5');
    expect(text('aios-state')).toBe('Private to the service’s account');
    Widget.detach(panel);
  });
});
