/**
 * The Alerts section: the attention feed and its actions (acknowledge,
 * approve, reject, open the job), shown only where they apply; a refused
 * action says why on the alert itself; the open count for the tab badge.
 */
import {
  getByRole,
  queryAllByTestId,
  queryByRole,
  waitFor,
  within
} from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { AlertWatcher, AlertsPanel } from '../src/alerts';
import { Alert } from '../src/api';
import { AiosSidebar } from '../src/sidebar';
import { FakeService, failure, ok } from './fakeService';
import { alert, approvalAlert } from './fixtures';

const FAILED_RUN = alert({ id: 12, count: 3 });
const APPROVAL = approvalAlert(11, 'nightly_sales', 4);
const MONITOR = alert({
  id: 9,
  key: 'monitor:sales_drift',
  kind: 'monitor_failed',
  severity: 'warning',
  state: 'acknowledged',
  title: 'Monitor sales_drift: 3 of 25 columns drifted',
  detail: { monitor: 'sales_drift' },
  acknowledged_by: 'bob',
  acknowledged_at: '2026-11-26T07:00:00+00:00'
});

describe('AlertsPanel', () => {
  let service: FakeService;
  let panel: AlertsPanel;
  let openJob: jest.Mock;
  let changed: jest.Mock;
  let feed: Alert[];

  beforeEach(() => {
    feed = [FAILED_RUN, APPROVAL, MONITOR];
    service = new FakeService()
      .on('GET', 'alerts', request =>
        ok({
          alerts: feed.filter(
            a => !request.query.state || a.state === request.query.state
          ),
          counts: {
            open: feed.filter(a => a.state === 'open').length,
            acknowledged: feed.filter(a => a.state === 'acknowledged').length
          },
          next_before_id: null
        })
      )
      .install();
    openJob = jest.fn();
    changed = jest.fn();
    panel = new AlertsPanel({ openJob, changed });
    Widget.attach(panel, document.body);
  });

  afterEach(() => {
    panel.dispose();
    service.uninstall();
  });

  /** Show the section as the sidebar does; it loads the open alerts. */
  async function show(): Promise<HTMLElement[]> {
    panel.hide();
    panel.show();
    await waitFor(() => {
      expect(service.requests.length).toBeGreaterThan(0);
      expect(panel.node.hasAttribute('aria-busy')).toBe(false);
      expect(panel.node.querySelector('.aios-loading')).toBeNull();
    });
    return queryAllByTestId(panel.node, 'aios-alert');
  }

  const item = (id: number) =>
    panel.node.querySelector<HTMLElement>(
      `[data-testid="aios-alert"][data-id="${id}"]`
    )!;

  it('loads the open alerts when shown, newest first, with their counts', async () => {
    const items = await show();
    expect(service.sent('GET', 'alerts').map(r => r.query)).toEqual([
      { state: 'open', limit: '50' }
    ]);
    expect(items.map(i => i.dataset.id)).toEqual(['12', '11']);
    expect(getByRole(panel.node, 'status').textContent).toBe(
      '2 open · 1 acknowledged'
    );

    const failed = within(item(12));
    expect(
      failed.getByText('Job nightly_sales failed: ZeroDivisionError')
    ).toBeTruthy();
    expect(item(12).textContent).toContain(
      'failed run · job nightly_sales · run 41'
    );
    expect(item(12).querySelector('.aios-alert-error')!.textContent).toBe(
      'ZeroDivisionError: division by zero'
    );
    expect(item(12).querySelector('.aios-check-status')!.textContent).toBe(
      'error'
    );
    // a repeated alert counts its repeats
    expect(failed.getByTitle('3 times').textContent).toBe('×3');
    expect(within(item(11)).queryByTitle(/times/)).toBeNull();
  });

  it('offers Acknowledge on open alerts and Approve/Reject only on approvals', async () => {
    await show();
    const failed = within(item(12));
    expect(
      failed.getByRole('button', {
        name: 'Acknowledge: Job nightly_sales failed: ZeroDivisionError'
      })
    ).toBeTruthy();
    expect(failed.queryByRole('button', { name: /^Approve/ })).toBeNull();
    expect(failed.queryByRole('textbox')).toBeNull();

    const approval = within(item(11));
    expect(approval.getAllByRole('button').map(b => b.textContent)).toEqual([
      'Acknowledge',
      'Approve',
      'Reject',
      'Open job'
    ]);
    expect(
      approval.getByRole('textbox', {
        name: 'Comment on job nightly_sales version 4'
      })
    ).toBeTruthy();
    expect(item(11).textContent).toContain(
      'approval · job nightly_sales v4 · promoted by alice'
    );
  });

  it('shows acknowledged alerts without Acknowledge, naming who saw them', async () => {
    await show();
    await userEvent
      .setup()
      .selectOptions(
        getByRole(panel.node, 'combobox', { name: 'Which alerts' }),
        'Acknowledged'
      );
    await waitFor(() => expect(item(9)).toBeTruthy());
    expect(service.sent('GET', 'alerts').map(r => r.query.state)).toEqual([
      'open',
      'acknowledged'
    ]);
    expect(item(9).textContent).toContain('Acknowledged by bob');
    expect(queryByRole(item(9), 'button', { name: /^Acknowledge/ })).toBeNull();
  });

  it('acknowledges an alert, then reloads the feed and the badge', async () => {
    service.on('POST', 'alerts/ack', request => {
      feed = feed.map(a =>
        a.id === (request.body as { id: number }).id
          ? { ...a, state: 'acknowledged', acknowledged_by: 'alice' }
          : a
      );
      return ok(feed[0]);
    });
    await show();
    const user = userEvent.setup();
    await user.click(getByRole(item(12), 'button', { name: /^Acknowledge/ }));

    await waitFor(() => expect(item(12)).toBeNull());
    expect(service.sent('POST', 'alerts/ack').map(r => r.body)).toEqual([
      { id: 12 }
    ]);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(getByRole(panel.node, 'status').textContent).toBe(
      '1 open · 2 acknowledged'
    );
  });

  it('approves a pending version with the comment typed, from the keyboard', async () => {
    service.on(
      'POST',
      'jobs/approval',
      ok({
        job: 'nightly_sales',
        version: 4,
        decision: 'approve',
        status: 'active'
      })
    );
    await show();
    const user = userEvent.setup();
    await user.click(getByRole(item(11), 'textbox'));
    await user.keyboard('checked the diff');
    await user.tab(); // → Acknowledge
    await user.tab(); // → Approve
    expect(document.activeElement).toBe(
      getByRole(item(11), 'button', { name: /^Approve/ })
    );
    await user.keyboard('{Enter}');

    await waitFor(() =>
      expect(service.sent('POST', 'jobs/approval')).toHaveLength(1)
    );
    expect(service.sent('POST', 'jobs/approval')[0].body).toEqual({
      name: 'nightly_sales',
      version: 4,
      decision: 'approve',
      comment: 'checked the diff'
    });
  });

  it('shows why a rejection was refused on the alert itself', async () => {
    service.on(
      'POST',
      'jobs/approval',
      failure(
        403,
        'forbidden',
        'alice promoted nightly_sales v4 and cannot approve or reject it',
        'ask bob, the named approver'
      )
    );
    await show();
    await userEvent
      .setup()
      .click(getByRole(item(11), 'button', { name: /^Reject/ }));

    const refusal = await waitFor(() => getByRole(item(11), 'alert'));
    expect(refusal.textContent).toBe(
      'Rejection was refusedalice promoted nightly_sales v4 and cannot approve or reject it — Fix: ask bob, the named approver'
    );
    expect(service.sent('POST', 'jobs/approval')[0].body).toEqual({
      name: 'nightly_sales',
      version: 4,
      decision: 'reject'
    });
    expect(changed).not.toHaveBeenCalled();
  });

  it('opens the alert’s job', async () => {
    await show();
    await userEvent
      .setup()
      .click(getByRole(item(12), 'button', { name: /^Open job/ }));
    expect(openJob).toHaveBeenCalledWith('nightly_sales');
  });

  it('says so when nothing needs attention, and when the feed cannot be loaded', async () => {
    feed = [MONITOR];
    await show();
    expect(panel.node.textContent).toContain('Nothing needs your attention.');

    service.on(
      'GET',
      'alerts',
      failure(
        403,
        'forbidden',
        'alice may not read the alert feed',
        'ask an admin for the auditor role'
      )
    );
    await userEvent
      .setup()
      .click(getByRole(panel.node, 'button', { name: 'Reload the alerts' }));
    const error = await waitFor(() => getByRole(panel.node, 'alert'));
    expect(error.textContent).toBe(
      'Cannot load the alertsalice may not read the alert feed — Fix: ask an admin for the auditor role'
    );
    expect(panel.node.querySelector('[data-testid="aios-alert"]')).toBeNull();
  });
});

describe('AlertWatcher', () => {
  it('puts the number of open alerts on the sidebar tab, and only reports changes', async () => {
    let open = 2;
    const service = new FakeService()
      .on('GET', 'alerts', () =>
        ok({ alerts: [], counts: { open, acknowledged: 0 } })
      )
      .install();
    const sidebar = new AiosSidebar([
      { id: 'alerts', label: 'Alerts', widget: new Widget() }
    ]);
    const onCount = jest.fn((count: number) =>
      sidebar.setBadge('alerts', count, 'open alerts')
    );
    const watcher = new AlertWatcher(() => 0, onCount);
    try {
      await watcher.check();
      expect(service.sent('GET', 'alerts').map(r => r.query)).toEqual([
        { state: 'open', limit: '1' }
      ]);
      expect(
        sidebar.node.querySelector('[data-testid="aios-tab-alerts-badge"]')!
          .textContent
      ).toBe('2');
      expect(
        sidebar.node.querySelector('[role="tab"]')!.getAttribute('aria-label')
      ).toBe('Alerts, 2 open alerts');

      await watcher.check();
      expect(onCount).toHaveBeenCalledTimes(1);
      open = 0;
      await watcher.check();
      expect(onCount).toHaveBeenLastCalledWith(0);
      expect(watcher.count).toBe(0);
    } finally {
      watcher.stop();
      sidebar.dispose();
      service.uninstall();
    }
  });

  it('keeps the last count when the service does not answer', async () => {
    const service = new FakeService()
      .on(
        'GET',
        'alerts',
        ok({ alerts: [], counts: { open: 4, acknowledged: 0 } })
      )
      .install();
    const onCount = jest.fn();
    const watcher = new AlertWatcher(() => 0, onCount);
    try {
      await watcher.check();
      service.on(
        'GET',
        'alerts',
        failure(500, 'internal', 'the metadata store is locked')
      );
      await watcher.check();
      expect(onCount.mock.calls).toEqual([[4]]);
      expect(watcher.count).toBe(4);
    } finally {
      service.uninstall();
    }
  });
});
