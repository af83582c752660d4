/**
 * An alert says what caused it and opens it: the failed run's output, the
 * check result a failed run recorded (in the Checks section), the monitor's
 * check result, the decision app; a cause the user may not open is its
 * label with the reason; a failure to open says why on the alert.
 */
import { getByRole, waitFor, within } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { AlertsPanel } from '../src/alerts';
import { fetchCheckResult } from '../src/alertsApi';
import { Alert } from '../src/api';
import { FakeService, ok } from './fakeService';
import { alert } from './fixtures';

const FAILED_RUN = alert({
  id: 12,
  cause: {
    kind: 'job_run',
    id: '41',
    label: 'Run 41 of job nightly_sales failed',
    target: {
      opens: 'job_run_output',
      job: 'nightly_sales',
      run_id: 41,
      href: 'jobs/runs/output?id=41&format=html'
    }
  },
  related: [
    {
      kind: 'check_result',
      id: '17',
      label: 'orders_basics failed (result #17)',
      target: {
        opens: 'check_result',
        ledger_id: 17,
        check: 'orders_basics',
        kind: 'quality'
      }
    }
  ]
});
const HIDDEN_RUN = alert({
  id: 13,
  key: 'job:other',
  title: 'job other failed (run 7, attempt 1)',
  detail: { job: 'other', run_id: 7, error: '(hidden)' },
  cause: {
    kind: 'job_run',
    id: '7',
    label: 'Run 7 of job other failed',
    target: { opens: 'job', job: 'other', run_id: 7 },
    note: "its output is shown only to the job's creator, its identity and auditors"
  },
  related: []
});
const THRESHOLD = alert({
  id: 9,
  key: 'monitor:supply_risk',
  kind: 'monitor_failed',
  severity: 'warning',
  title: '12 orders at risk from 3 suppliers in Southeast Asia',
  detail: { monitor: 'supply_risk', ledger_id: 30 },
  cause: {
    kind: 'monitor',
    id: 'supply_risk',
    label: 'Monitor supply_risk failed (result #30)',
    target: {
      opens: 'check_result',
      ledger_id: 30,
      check: 'monitor:supply_risk',
      kind: 'drift'
    }
  },
  related: [
    {
      kind: 'app',
      id: 'switch_suppliers',
      label: 'Open the Switch suppliers app for this',
      target: {
        opens: 'app',
        app: 'switch_suppliers',
        params: { region: 'Southeast Asia' }
      }
    }
  ]
});

describe('an alert’s cause', () => {
  let service: FakeService;
  let panel: AlertsPanel;
  const openers = {
    openJob: jest.fn(),
    openOutput: jest.fn(async () => undefined),
    openCheckResult: jest.fn(async () => undefined),
    openApp: jest.fn()
  };

  beforeEach(() => {
    const feed: Alert[] = [FAILED_RUN, HIDDEN_RUN, THRESHOLD];
    service = new FakeService()
      .on('GET', 'alerts', () =>
        ok({
          alerts: feed,
          counts: { open: 3, acknowledged: 0 },
          next_before_id: null
        })
      )
      .install();
    Object.values(openers).forEach(f => f.mockClear());
    panel = new AlertsPanel(openers);
    Widget.attach(panel, document.body);
  });

  afterEach(() => {
    panel.dispose();
    service.uninstall();
  });

  async function item(id: number): Promise<HTMLElement> {
    panel.hide();
    panel.show();
    return waitFor(() => {
      const found = panel.node.querySelector<HTMLElement>(
        `[data-testid="aios-alert"][data-id="${id}"]`
      );
      expect(found).toBeTruthy();
      return found!;
    });
  }

  it('names the failed run and opens its output', async () => {
    const failed = await item(12);
    expect(failed.textContent).toContain(
      'Cause: Run 41 of job nightly_sales failed'
    );
    await userEvent.setup().click(
      getByRole(failed, 'button', {
        name: 'Run 41 of job nightly_sales failed'
      })
    );
    expect(openers.openOutput).toHaveBeenCalledWith({
      id: 41,
      job: 'nightly_sales'
    });
  });

  it('links the check the run failed to its result in the Checks section', async () => {
    const failed = await item(12);
    expect(failed.textContent).toContain(
      'Evidence: orders_basics failed (result #17)'
    );
    await userEvent.setup().click(
      getByRole(failed, 'button', {
        name: 'orders_basics failed (result #17)'
      })
    );
    expect(openers.openCheckResult).toHaveBeenCalledWith(17);
  });

  it('opens the job when the user may not open the output, and says why', async () => {
    const hidden = await item(13);
    expect(hidden.textContent).toContain(
      "Cause: Run 7 of job other failed (its output is shown only to the job's creator, its identity and auditors)"
    );
    await userEvent
      .setup()
      .click(
        getByRole(hidden, 'button', { name: 'Run 7 of job other failed' })
      );
    expect(openers.openJob).toHaveBeenCalledWith('other');
    expect(openers.openOutput).not.toHaveBeenCalled();
  });

  it('opens a monitor’s check result and the app it points to', async () => {
    const monitor = await item(9);
    const user = userEvent.setup();
    await user.click(
      getByRole(monitor, 'button', {
        name: 'Monitor supply_risk failed (result #30)'
      })
    );
    expect(openers.openCheckResult).toHaveBeenCalledWith(30);
    expect(monitor.textContent).toContain(
      'Next step: Open the Switch suppliers app for this'
    );
    await user.click(
      getByRole(monitor, 'button', {
        name: 'Open the Switch suppliers app for this'
      })
    );
    expect(openers.openApp).toHaveBeenCalledWith('switch_suppliers');
  });

  it('says on the alert when its cause cannot be opened', async () => {
    openers.openOutput.mockImplementationOnce(async () => {
      throw new Error('Run 41 has no output notebook yet.');
    });
    const failed = await item(12);
    await userEvent.setup().click(
      getByRole(failed, 'button', {
        name: 'Run 41 of job nightly_sales failed'
      })
    );
    const refusal = await waitFor(() => within(failed).getByRole('alert'));
    expect(refusal.textContent).toContain('Run 41 has no output notebook yet.');
  });

  it('shows a cause without an opener as its label', async () => {
    panel.dispose();
    panel = new AlertsPanel({ openJob: jest.fn() });
    Widget.attach(panel, document.body);
    const failed = await item(12);
    const cause = within(failed).getByTestId('aios-alert-cause');
    expect(cause.tagName).toBe('SPAN');
    expect(cause.textContent).toBe('Run 41 of job nightly_sales failed');
  });
});

describe('fetchCheckResult', () => {
  it('asks for the one ledger entry and refuses another one in its place', async () => {
    const run = { id: 17, name: 'orders_basics' };
    const service = new FakeService()
      .on('GET', 'checks/history', request =>
        ok({ runs: request.query.before_id === '18' ? [run] : [{ id: 3 }] })
      )
      .install();
    try {
      expect((await fetchCheckResult(17)).id).toBe(17);
      expect(service.sent('GET', 'checks/history')[0].query).toEqual({
        limit: '1',
        before_id: '18'
      });
      await expect(fetchCheckResult(5)).rejects.toThrow(
        'Check result #5 is not among the results you may see'
      );
    } finally {
      service.uninstall();
    }
  });
});
