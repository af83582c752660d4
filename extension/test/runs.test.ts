/**
 * The Runs section: tracked MLflow runs, newest first and paged; a run
 * opens on its details; two or more selected are compared side by side.
 */
import {
  getByRole,
  queryAllByTestId,
  waitFor,
  within
} from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { RunsPanel } from '../src/runs';
import { runDetails } from '../src/runDetails';
import { RunSummary } from '../src/api';
import { FakeService, failure, ok } from './fakeService';
import { runSummary } from './fixtures';

const BASELINE = runSummary({
  id: 'a1b2c3d4e5f60718',
  name: 'baseline',
  params: { model: 'logreg', C: '1.0', features: 'v1' },
  metrics: { auc: 0.8123, accuracy: 0.9, f1: 0.71, loss: 0.35 },
  datasets: [
    {
      name: 'warehouse.public.customers',
      digest: 'd41d8cd98f00b204e980',
      context: 'training'
    }
  ],
  checks: {
    status: 'pass',
    passed: 2,
    failed: 0,
    items: [
      { name: 'customers_quality', passed: true, status: 'pass' },
      { name: 'customers_drift', passed: true, status: 'pass' }
    ]
  }
});
const TUNED = runSummary({
  id: 'f0e1d2c3b4a59687',
  name: null,
  status: 'FAILED',
  params: { model: 'xgboost', C: '1.0' },
  metrics: { auc: 0.8555 },
  checks: {
    status: 'fail',
    passed: 1,
    failed: 1,
    items: [{ name: 'fairness', passed: false, status: 'fail' }]
  }
});
const RUNNING = runSummary({
  id: '99887766554433ab',
  name: 'sweep-3',
  status: 'RUNNING',
  end_time: null
});

describe('RunsPanel', () => {
  let service: FakeService;
  let panel: RunsPanel;
  let runs: RunSummary[];

  beforeEach(() => {
    runs = [BASELINE, TUNED, RUNNING];
    service = new FakeService()
      .on('GET', 'runs', ok({ runs, next_page_token: null }))
      .install();
    panel = new RunsPanel(null);
    Widget.attach(panel, document.body);
  });

  afterEach(() => {
    panel.dispose();
    service.uninstall();
  });

  async function load(): Promise<HTMLElement[]> {
    await panel.reload();
    return queryAllByTestId(panel.node, 'aios-run');
  }

  const row = (id: string) =>
    panel.node.querySelector<HTMLElement>(
      `[data-testid="aios-run"][data-id="${id}"]`
    )!;
  const compareButton = () =>
    getByRole(panel.node, 'button', { name: /^Compare/ }) as HTMLButtonElement;

  it('lists every run with its status, checks and key metrics', async () => {
    const rows = await load();
    expect(service.sent('GET', 'runs').map(r => r.query)).toEqual([
      { limit: '50' }
    ]);
    expect(panel.node.textContent).toContain(
      'No notebook is open: showing the runs of every notebook.'
    );
    expect(rows.map(r => r.dataset.id)).toEqual([
      BASELINE.id,
      TUNED.id,
      RUNNING.id
    ]);

    const baseline = row(BASELINE.id);
    expect(baseline.querySelector('summary')!.getAttribute('aria-label')).toBe(
      'baseline: FINISHED. Show details'
    );
    expect(baseline.querySelector('.aios-check-status')!.textContent).toBe(
      'finished'
    );
    expect(baseline.querySelector('.aios-run-checks-badge')!.textContent).toBe(
      'checks pass'
    );
    expect(
      baseline.querySelector<HTMLElement>('.aios-run-checks-badge')!.title
    ).toBe('customers_quality: pass\ncustomers_drift: pass');
    expect(baseline.querySelector('.aios-run-metrics')!.textContent).toBe(
      'accuracy=0.9 · auc=0.8123 · f1=0.71 · …'
    );
    // an unnamed run is labelled by the start of its id; a failed one reads as failed
    expect(row(TUNED.id).querySelector('.aios-run-name')!.textContent).toBe(
      'f0e1d2c3'
    );
    expect(
      row(TUNED.id).querySelector('.aios-check-status')!.className
    ).toContain('aios-check-status-fail');
    expect(
      row(RUNNING.id).querySelector('.aios-run-checks-badge')!.textContent
    ).toBe('no checks');
  });

  it('shows a run’s parameters, metrics, datasets and checks when opened', async () => {
    await load();
    const details = row(BASELINE.id).querySelector('details')!;
    details.open = true;
    details.dispatchEvent(new Event('toggle'));

    const params = getByRole(details, 'table', { name: 'Parameters' });
    expect(
      [...params.querySelectorAll('tbody tr')].map(r => r.textContent)
    ).toEqual(['C1.0', 'featuresv1', 'modellogreg']);
    expect(
      getByRole(details, 'table', { name: 'Metrics' }).textContent
    ).toContain('auc0.8123');
    expect(details.textContent).toContain(
      'warehouse.public.customers (training) · d41d8cd98f'
    );
    expect(details.textContent).toContain('Run ida1b2c3d4e5f60718');
  });

  it('enables Compare for 2 to 10 selected runs', async () => {
    await load();
    const user = userEvent.setup();
    expect(compareButton().disabled).toBe(true);
    expect(panel.node.textContent).toContain(
      'Select 2 or more runs to compare'
    );

    await user.click(
      getByRole(row(BASELINE.id), 'checkbox', {
        name: 'Select baseline for comparison'
      })
    );
    expect(compareButton().disabled).toBe(true);
    await user.click(
      getByRole(row(TUNED.id), 'checkbox', {
        name: 'Select f0e1d2c3 for comparison'
      })
    );
    expect(compareButton().disabled).toBe(false);
    expect(compareButton().textContent).toBe('Compare 2');
    expect(panel.node.textContent).toContain('2 selected');

    await user.click(getByRole(panel.node, 'button', { name: 'Clear' }));
    expect(compareButton().disabled).toBe(true);
    expect(getByRole(row(BASELINE.id), 'checkbox').matches(':checked')).toBe(
      false
    );
  });

  it('refuses to compare more runs than the service compares at once', async () => {
    runs = Array.from({ length: 11 }, (_, i) =>
      runSummary({
        id: `run${String(i).padStart(13, '0')}`,
        name: `trial-${i}`
      })
    );
    service.on('GET', 'runs', ok({ runs, next_page_token: null }));
    await load();
    const user = userEvent.setup();
    for (const box of panel.node.querySelectorAll<HTMLElement>(
      '[data-testid="aios-run-select"]'
    )) {
      await user.click(box);
    }
    expect(compareButton().disabled).toBe(true);
    expect(panel.node.textContent).toContain('11 selected: compare at most 10');
  });

  it('compares the selected runs: parameters that differ, latest metrics, one chart per metric', async () => {
    service.on(
      'GET',
      'runs/compare',
      ok({
        runs: [BASELINE, TUNED],
        params_diff: {
          model: { [BASELINE.id]: 'logreg', [TUNED.id]: 'xgboost' },
          features: { [BASELINE.id]: 'v1', [TUNED.id]: null }
        },
        params_same: 1,
        metrics: ['auc'],
        histories: {
          auc: {
            [BASELINE.id]: [
              [0, 0.7],
              [1, 0.8123]
            ],
            [TUNED.id]: [
              [0, 0.75],
              [1, 0.8555]
            ]
          }
        },
        truncated: false
      })
    );
    await load();
    const user = userEvent.setup();
    await user.click(getByRole(row(BASELINE.id), 'checkbox'));
    await user.click(getByRole(row(TUNED.id), 'checkbox'));
    await user.click(compareButton());

    const view = getByRole(panel.node, 'region', { name: 'Run comparison' });
    await waitFor(() => expect(view.textContent).toContain('Comparing 2 runs'));
    expect(service.sent('GET', 'runs/compare').map(r => r.query)).toEqual([
      { ids: `${BASELINE.id},${TUNED.id}` }
    ]);
    const params = within(view).getByRole('table', {
      name: 'Parameters that differ'
    });
    expect(
      [...params.querySelectorAll('tbody tr')].map(r => r.textContent)
    ).toEqual(['featuresv1—', 'modellogregxgboost']);
    expect(view.textContent).toContain('1 parameter is the same in every run.');
    const metrics = within(view).getByRole('table', {
      name: 'Latest metric values'
    });
    expect(metrics.querySelector('tr[data-name="auc"]')!.textContent).toBe(
      'auc0.81230.8555'
    );
    expect(metrics.querySelector('tr[data-name="loss"]')!.textContent).toBe(
      'loss0.35—'
    );
    expect(
      view.querySelectorAll('[data-testid="aios-compare-chart"]')
    ).toHaveLength(1);
    expect(
      view.querySelector('[data-testid="aios-compare-chart"] figcaption')!
        .textContent
    ).toBe('auc');
    // the list is hidden while comparing
    expect(
      getByRole(panel.node, 'list', { hidden: true, name: 'Runs' }).closest(
        '.lm-mod-hidden'
      )
    ).not.toBeNull();
  });

  it('goes back to the list with Escape and returns the keyboard to Compare', async () => {
    service.on(
      'GET',
      'runs/compare',
      failure(
        404,
        'not_found',
        `there is no run ${TUNED.id}`,
        'reload the runs'
      )
    );
    await load();
    const user = userEvent.setup();
    await user.click(getByRole(row(BASELINE.id), 'checkbox'));
    await user.click(getByRole(row(TUNED.id), 'checkbox'));
    await user.click(compareButton());
    const view = getByRole(panel.node, 'region', { name: 'Run comparison' });

    const error = await waitFor(() => within(view).getByRole('alert'));
    expect(error.textContent).toBe(
      `Cannot compare these runsthere is no run ${TUNED.id} — Fix: reload the runs`
    );
    expect(document.activeElement).toBe(view);
    await user.keyboard('{Escape}');
    expect(view.classList).toContain('lm-mod-hidden');
    expect(document.activeElement).toBe(compareButton());
  });

  it('pages through older runs with Load more', async () => {
    service.on('GET', 'runs', request =>
      request.query.page_token === 'page-2'
        ? ok({ runs: [RUNNING], next_page_token: null })
        : ok({ runs: [BASELINE, TUNED], next_page_token: 'page-2' })
    );
    await load();
    const more = getByRole(panel.node, 'button', { name: 'Load more' });
    expect(more.hidden).toBe(false);
    await userEvent.setup().click(more);

    await waitFor(() =>
      expect(queryAllByTestId(panel.node, 'aios-run')).toHaveLength(3)
    );
    expect(service.sent('GET', 'runs').map(r => r.query)).toEqual([
      { limit: '50' },
      { limit: '50', page_token: 'page-2' }
    ]);
    expect(more.hidden).toBe(true);
  });

  it('says how to track a run when there is none, and why the list cannot load', async () => {
    runs = [];
    service.on('GET', 'runs', ok({ runs, next_page_token: null }));
    await load();
    expect(panel.node.textContent).toContain(
      'No run was tracked yet. Use `with wb.run("name"):` in a notebook.'
    );

    service.on(
      'GET',
      'runs',
      failure(
        400,
        'usage_error',
        'MLflow tracking is not configured',
        'run `aios init` to create the tracking store'
      )
    );
    await load();
    expect(getByRole(panel.node, 'alert').textContent).toBe(
      'Cannot load the runsMLflow tracking is not configured — Fix: run `aios init` to create the tracking store'
    );
  });
});

describe('a run seen by someone whose view differs from its owner', () => {
  it('says why only its verdicts are shown', () => {
    const node = runDetails(
      runSummary({
        id: 'r1',
        params: {},
        metrics: {},
        withheld:
          'values withheld: alice read sales.main.orders with other masks than yours'
      })
    );
    expect(node.textContent).toContain(
      'Values withheld: alice read sales.main.orders with other masks than yours'
    );
  });
});
