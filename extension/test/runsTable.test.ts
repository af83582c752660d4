/**
 * The runs table in the main area: unique labels, chosen columns, order by
 * any column, links to MLflow and registered versions; and the comparison's
 * parallel coordinates, scatter and histories (only for multi-step metrics).
 */
import { waitFor, within } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { RunComparison, RunSummary } from '../src/api';
import { RunCompareView, historyMetrics } from '../src/runCompare';
import { parallelAxes } from '../src/runCharts';
import { RunsPanel } from '../src/runs';
import { RunsTableView } from '../src/runsTableView';
import {
  cellText,
  columnsFor,
  defaultChoice,
  uniqueLabels
} from '../src/runsTableModel';
import { sortRuns } from '../src/runsTableOrder';
import { FakeService, ok } from './fakeService';
import { runSummary } from './fixtures';

const DEPTH3 = runSummary({
  id: '3333333aaaaaaaaaaaaaaaaaaaaaaaaa',
  name: 'train',
  params: { max_depth: '3', seed: '42' },
  metrics: { auc: 0.71, rmse: 2.5 },
  start_time: '2026-11-25T10:00:00+00:00',
  end_time: '2026-11-25T10:00:42+00:00',
  datasets: [
    { name: 'sales.orders', digest: 'abcdef0123456789', context: 'training' }
  ]
});
const DEPTH10 = runSummary({
  id: '1010101bbbbbbbbbbbbbbbbbbbbbbbbb',
  name: 'train',
  params: { max_depth: '10', seed: '42' },
  metrics: { auc: 0.78, rmse: 1.9 },
  start_time: '2026-11-25T11:00:00+00:00',
  end_time: '2026-11-25T11:03:05+00:00'
});
const UNNAMED = runSummary({
  id: 'fedcba9876543210fedcba9876543210',
  name: null,
  status: 'RUNNING',
  end_time: null,
  params: { seed: '7' },
  metrics: {},
  start_time: '2026-11-25T12:00:00+00:00'
});

describe('unique run labels', () => {
  it('keeps unique names, tells repeats apart by a parameter, else by a short id', () => {
    const labels = uniqueLabels([DEPTH3, DEPTH10, UNNAMED]);
    expect(labels.get(DEPTH3.id)).toBe('train (max_depth=3)');
    expect(labels.get(DEPTH10.id)).toBe('train (max_depth=10)');
    expect(labels.get(UNNAMED.id)).toBe('fedcba98');
    const twins = uniqueLabels([
      runSummary({ id: 'aaaaaaa1', name: 'fit', params: { seed: '1' } }),
      runSummary({ id: 'bbbbbbb2', name: 'fit', params: { seed: '1' } })
    ]);
    expect([...twins.values()]).toEqual(['fit · aaaaaaa1', 'fit · bbbbbbb2']);
  });
});

describe('runs table model', () => {
  const columns = columnsFor(['auc'], ['max_depth']);
  const column = (key: string) => columns.find(c => c.key === key)!;
  const labels = uniqueLabels([DEPTH3, DEPTH10, UNNAMED]);

  it('orders numbers as numbers, runs without a value last either way', () => {
    const runs = [DEPTH3, DEPTH10, UNNAMED];
    const ids = (list: RunSummary[]) => list.map(r => labels.get(r.id));
    expect(
      ids(sortRuns(runs, column('param:max_depth'), 'asc', labels))
    ).toEqual(['train (max_depth=3)', 'train (max_depth=10)', 'fedcba98']);
    expect(ids(sortRuns(runs, column('metric:auc'), 'desc', labels))).toEqual([
      'train (max_depth=10)',
      'train (max_depth=3)',
      'fedcba98'
    ]);
    expect(ids(sortRuns(runs, column('duration'), 'desc', labels))).toEqual([
      'train (max_depth=10)',
      'train (max_depth=3)',
      'fedcba98'
    ]);
  });

  it('says durations, data versions and status in words', () => {
    expect(cellText(DEPTH3, column('duration'), labels)).toBe('42 s');
    expect(cellText(DEPTH10, column('duration'), labels)).toBe('3 min 5 s');
    expect(cellText(UNNAMED, column('duration'), labels)).toBe('running');
    expect(cellText(DEPTH3, column('data'), labels)).toBe(
      'sales.orders @abcdef01'
    );
    expect(cellText(DEPTH3, column('status'), labels)).toBe('finished');
    expect(cellText(DEPTH3, column('started'), labels)).not.toMatch(/T\d\d:/);
  });

  it('chooses the parameters that differ before those that do not', () => {
    expect(defaultChoice([DEPTH3, DEPTH10]).params).toEqual([
      'max_depth',
      'seed'
    ]);
    expect(defaultChoice([DEPTH3, DEPTH10]).metrics).toEqual(['auc', 'rmse']);
  });
});

describe('RunsTableView', () => {
  let service: FakeService;
  let view: RunsTableView;

  beforeEach(() => {
    service = new FakeService()
      .on(
        'GET',
        'runs',
        ok({
          runs: [UNNAMED, DEPTH10, DEPTH3],
          next_page_token: null,
          mlflow_ui: 'http://127.0.0.1:5000'
        })
      )
      .on(
        'GET',
        'models',
        ok({
          versions: [
            {
              name: 'late-delivery',
              version: '2',
              status: 'champion',
              aliases: ['champion'],
              author: 'alice',
              registered_by: 'alice',
              run_id: DEPTH10.id,
              source: `runs:/${DEPTH10.id}/model`,
              created_at: null,
              checks: { passed: 0, failed: 0, latest: [] },
              approvals: [],
              promotable: false,
              gates: []
            }
          ]
        })
      )
      .install();
    view = new RunsTableView('notebooks/03_train.ipynb');
    Widget.attach(view, document.body);
  });

  afterEach(() => {
    view.dispose();
    service.uninstall();
  });

  const rowLabels = () =>
    Array.from(
      view.node.querySelectorAll<HTMLElement>(
        '[data-testid="aios-runs-table-row"] th'
      )
    ).map(th => th.textContent);

  it('shows chosen columns, sorts by a clicked header and flips on a second click', async () => {
    await waitFor(() => expect(rowLabels()).toHaveLength(3));
    expect(rowLabels()).toEqual([
      'fedcba98',
      'train (max_depth=10)',
      'train (max_depth=3)'
    ]);
    const headers = Array.from(view.node.querySelectorAll('thead th')).map(
      th => th.textContent
    );
    expect(headers).toEqual(
      expect.arrayContaining([
        'Run',
        'Status',
        'Started ▼',
        'Duration',
        'Data versions',
        'auc',
        'rmse',
        'max_depth'
      ])
    );
    expect(headers).not.toContain('Notebook'); // one notebook's runs: its column says nothing
    const sort = view.node.querySelector<HTMLButtonElement>(
      '[data-column="metric:auc"]'
    )!;
    await userEvent.click(sort);
    expect(rowLabels()).toEqual([
      'train (max_depth=3)',
      'train (max_depth=10)',
      'fedcba98'
    ]);
    await userEvent.click(
      view.node.querySelector<HTMLButtonElement>('[data-column="metric:auc"]')!
    );
    expect(rowLabels()).toEqual([
      'train (max_depth=10)',
      'train (max_depth=3)',
      'fedcba98'
    ]);
    expect(
      view.node.querySelector('th[aria-sort="descending"]')?.textContent
    ).toBe('auc ▼');
  });

  it('adds and removes columns with the column picker', async () => {
    await waitFor(() => expect(rowLabels()).toHaveLength(3));
    const seed = view.node.querySelector<HTMLInputElement>(
      'input[data-column="params:seed"]'
    )!;
    await userEvent.click(seed); // seed was chosen: now removed
    const headers = () =>
      Array.from(view.node.querySelectorAll('thead th')).map(
        th => th.textContent
      );
    expect(headers()).not.toContain('seed');
    await userEvent.click(seed);
    expect(headers()).toContain('seed');
  });

  it('links each run to MLflow, its artifacts and its registered versions', async () => {
    await waitFor(() => expect(rowLabels()).toHaveLength(3));
    const row = view.node.querySelector<HTMLElement>(
      `tr[data-id="${DEPTH10.id}"]`
    )!;
    const mlflow = within(row).getByRole('link', {
      name: 'Open train (max_depth=10) in MLflow'
    });
    expect(mlflow.getAttribute('href')).toBe(
      `http://127.0.0.1:5000/#/experiments/1/runs/${DEPTH10.id}`
    );
    expect(
      within(row).getByTestId('aios-run-artifacts').getAttribute('href')
    ).toBe(
      `http://127.0.0.1:5000/#/experiments/1/runs/${DEPTH10.id}/artifacts`
    );
    const model = within(row).getByTestId('aios-run-model');
    expect(model.textContent).toBe('late-delivery v2 · champion');
    expect(model.getAttribute('href')).toMatch(/artifactPath\/model$/);
    const other = view.node.querySelector<HTMLElement>(
      `tr[data-id="${DEPTH3.id}"]`
    )!;
    expect(within(other).queryByTestId('aios-run-model')).toBeNull();
  });
});

describe('RunCompareView', () => {
  const comparison: RunComparison = {
    runs: [DEPTH3, DEPTH10],
    params_diff: { max_depth: { [DEPTH3.id]: '3', [DEPTH10.id]: '10' } },
    params_same: 1,
    metrics: ['auc', 'rmse'],
    histories: {
      auc: {
        [DEPTH3.id]: [
          [0, 0.6],
          [1, 0.71]
        ],
        [DEPTH10.id]: [
          [0, 0.65],
          [1, 0.78]
        ]
      },
      rmse: { [DEPTH3.id]: [[0, 2.5]], [DEPTH10.id]: [[0, 1.9]] }
    },
    truncated: false
  };
  let service: FakeService;
  let view: RunCompareView;

  beforeEach(() => {
    service = new FakeService()
      .on('GET', 'runs/compare', ok(comparison))
      .install();
    view = new RunCompareView(() => undefined, {
      mlflowUi: () => 'http://mlflow.example',
      versions: () => new Map()
    });
    Widget.attach(view, document.body);
  });

  afterEach(() => {
    view.dispose();
    service.uninstall();
  });

  it('plots histories only of metrics with more than one step', () => {
    expect(historyMetrics(comparison)).toEqual({
      plotted: ['auc'],
      single: ['rmse']
    });
  });

  it('shows differing params, parallel coordinates, a scatter and multi-step histories', async () => {
    await view.open([DEPTH3.id, DEPTH10.id]);
    const node = view.node;
    const params = within(node).getByTestId('aios-compare-params');
    expect(params.querySelector('thead')!.textContent).toContain(
      'train (max_depth=3)'
    );
    const axes = Array.from(node.querySelectorAll('.aios-parallel-axis')).map(
      a => a.textContent
    );
    expect(axes).toEqual(['max_depth', 'auc', 'rmse']);
    expect(node.querySelectorAll('.aios-parallel polyline')).toHaveLength(2);
    const scatter = within(node).getByTestId('aios-compare-scatter');
    expect(scatter.querySelectorAll('circle')).toHaveLength(2);
    expect(scatter.querySelector('svg')!.getAttribute('aria-label')).toBe(
      'rmse against auc for 2 runs'
    );
    const charts = node.querySelectorAll('[data-testid="aios-compare-chart"]');
    expect(Array.from(charts).map(c => c.getAttribute('data-metric'))).toEqual([
      'auc'
    ]);
    expect(
      within(node).getByTestId('aios-compare-histories').textContent
    ).toContain('rmse has one value per run (no history)');
    expect(
      within(node).getAllByTestId('aios-run-mlflow')[0].getAttribute('href')
    ).toBe(`http://mlflow.example/#/experiments/1/runs/${DEPTH3.id}`);
  });

  it('names parallel axes after the params that differ, then the metrics', () => {
    expect(
      parallelAxes([DEPTH3, DEPTH10], comparison.params_diff).map(a => a.name)
    ).toEqual(['max_depth', 'auc', 'rmse']);
  });
});

describe('RunsPanel refreshes itself', () => {
  let service: FakeService;
  let panel: RunsPanel;
  let runs: RunSummary[];

  beforeEach(() => {
    runs = [DEPTH3];
    service = new FakeService()
      .on('GET', 'runs', () =>
        ok({ runs, next_page_token: null, mlflow_ui: null })
      )
      .on('GET', 'models', ok({ versions: [] }))
      .install();
    panel = new RunsPanel(null);
    Widget.attach(panel, document.body);
  });

  afterEach(() => {
    panel.dispose();
    service.uninstall();
  });

  const names = () =>
    Array.from(
      panel.node.querySelectorAll<HTMLElement>('li.aios-run .aios-run-name')
    ).map(n => n.textContent);

  it('shows a run logged elsewhere without a click, keeping what is open and selected', async () => {
    void panel.reload();
    await waitFor(() => expect(names()).toEqual(['train']));
    const item = panel.node.querySelector<HTMLElement>('li.aios-run')!;
    await userEvent.click(item.querySelector('summary')!);
    await userEvent.click(
      item.querySelector<HTMLInputElement>('.aios-run-select')!
    );
    runs = [DEPTH10, DEPTH3]; // a notebook logs a second run named "train"
    await waitFor(
      () =>
        expect(names()).toEqual([
          'train (max_depth=10)',
          'train (max_depth=3)'
        ]),
      {
        timeout: 5000
      }
    );
    const kept = panel.node.querySelector<HTMLElement>(
      `li[data-id="${DEPTH3.id}"]`
    )!;
    expect(kept.querySelector('details')!.open).toBe(true);
    expect(
      kept.querySelector<HTMLInputElement>('.aios-run-select')!.checked
    ).toBe(true);
    expect(panel.node.querySelector('.aios-loading')).toBeNull(); // no "Loading…" flash
    const polls = service.requests.filter(
      r => r.endpoint === 'runs' && r.query.limit === '10'
    );
    expect(polls.length).toBeGreaterThan(0); // polls ask for the newest few only
  });
});
