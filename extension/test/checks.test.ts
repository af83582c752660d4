/**
 * The Checks tab next to Evidently's report: checks grouped by kind with
 * their latest verdict and history, a drift run's summary and columns in
 * words with distributions, and a tab that never goes stale.
 */
import { Widget } from '@lumino/widgets';

import { CheckGroup, CheckOverview, CheckReport } from '../src/checkApi';
import { ChecksPanel } from '../src/checks';
import { FakeService, ok } from './fakeService';
import { ledgerRun } from './fixtures';

const WORDS = {
  pass: 'passed',
  warn: 'passed with warnings',
  fail: 'failed',
  error: 'could not run',
  never: 'not run yet'
};
const TITLES = {
  quality: 'Quality suites',
  drift: 'Drift checks',
  monitor: 'Monitors',
  fairness: 'Fairness checks',
  explain: 'Model explanations'
};

function group(
  fields: Partial<CheckGroup> & Pick<CheckGroup, 'name'>
): CheckGroup {
  const id = fields.latest?.id ?? 1;
  const status = fields.status ?? 'pass';
  return {
    key: `${fields.category === 'quality' || !fields.category ? 'quality' : 'drift'}:${fields.name}`,
    category: 'quality',
    label: fields.name,
    datasets: ['shipment_files.main.shipments'],
    latest: {
      id,
      at: new Date(Date.now() - 20_000).toISOString(),
      status: status === 'never' ? 'pass' : status,
      user: 'alice',
      verdict: 'Passed: all 2 rules passed.',
      notebook: null,
      kind: 'quality',
      required: false
    },
    status,
    history: [{ id, at: '2026-12-06T10:00:00+00:00', status: 'pass' }],
    runs: 1,
    failed_runs: 0,
    description: '',
    ...fields
  };
}

function overview(checks: CheckGroup[], newest: number): CheckOverview {
  return {
    checks,
    summary: {
      checks: checks.length,
      runs: checks.length,
      passed: checks.length,
      passed_with_warnings: 0,
      failed: 0,
      could_not_run: 0,
      not_run_yet: 0,
      failing: 0,
      by_category: {
        quality: { checks: checks.length, failed: 0 },
        drift: { checks: 0, failed: 0 }
      },
      sentence: `${checks.length} checks: ${checks.length} passed.`
    },
    newest_id: newest,
    titles: TITLES,
    words: WORDS
  };
}

let service: FakeService;
let panel: ChecksPanel;

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

beforeEach(() => {
  service = new FakeService().install();
});

afterEach(() => {
  panel?.dispose();
  service.uninstall();
  document.body.replaceChildren();
});

function show(pollInterval = 0): ChecksPanel {
  panel = new ChecksPanel(null, { pollInterval });
  Widget.attach(panel, document.body);
  return panel;
}

describe('ChecksPanel', () => {
  it('groups checks by kind with their latest verdict in words and a history strip', async () => {
    const newest = 3;
    service
      .on('GET', 'checks/history', () =>
        ok({ runs: [ledgerRun({ id: newest, name: 'x' })] })
      )
      .on('GET', 'checks/overview', () =>
        ok(
          overview(
            [
              group({
                name: 'shipments_basics',
                latest: { ...group({ name: 'a' }).latest!, id: 3 },
                history: [
                  { id: 3, at: '2026-12-06T10:00:00+00:00', status: 'pass' },
                  { id: 1, at: '2026-12-05T10:00:00+00:00', status: 'fail' }
                ],
                runs: 2,
                failed_runs: 1
              })
            ],
            newest
          )
        )
      );
    show();

    await panel.reload();

    const row = panel.node.querySelector<HTMLElement>(
      '[data-testid="aios-check-group"]'
    )!;
    expect(row.dataset.name).toBe('shipments_basics');
    expect(
      panel.node.querySelector('.aios-check-category-title')!.textContent
    ).toBe('Quality suites (1)');
    expect(
      panel.node.querySelector('[data-testid="aios-checks-summary"]')!
        .textContent
    ).toBe('1 checks: 1 passed.');
    const strip = row.querySelector('[data-testid="aios-check-history"]')!;
    expect(strip.getAttribute('aria-label')).toBe(
      'Last 2 runs, oldest first: failed, passed'
    );
    expect(row.textContent).toContain('2 runs, 1 failed');
    expect(row.querySelector('time')!.textContent).toBe('just now');
    expect(row.querySelector('time')!.title).toMatch(/\d{4}, \d\d:\d\d/);
  });

  it('shows a newly recorded run without a click, keeping the focused check', async () => {
    let newest = 1;
    const checks = [group({ name: 'shipments_basics' })];
    service
      .on('GET', 'checks/history', () =>
        ok({ runs: [ledgerRun({ id: newest, name: 'x' })] })
      )
      .on('GET', 'checks/overview', () => ok(overview([...checks], newest)));
    show(50);
    await panel.reload();
    panel.node
      .querySelector<HTMLElement>('[data-testid="aios-check-group"] button')!
      .focus();

    newest = 2; // a job records a new check
    checks.push(
      group({
        name: 'orders_basics',
        latest: { ...group({ name: 'a' }).latest!, id: 2 }
      })
    );
    await new Promise(resolve => setTimeout(resolve, 120));
    await settle();

    const names = [
      ...panel.node.querySelectorAll<HTMLElement>(
        '[data-testid="aios-check-group"]'
      )
    ].map(row => row.dataset.name);
    expect(names).toEqual(['shipments_basics', 'orders_basics']);
    expect(
      (document.activeElement?.closest('.aios-check-group') as HTMLElement)
        .dataset.name
    ).toBe('shipments_basics');
    // between changes only the cheap question is asked
    const overviews = service.sent('GET', 'checks/overview').length;
    await new Promise(resolve => setTimeout(resolve, 120));
    await settle();
    expect(service.sent('GET', 'checks/overview').length).toBe(overviews);
    expect(service.sent('GET', 'checks/history')[0].query.limit).toBe('1');
  });

  it('opens a drift check on its summary and columns in words, with distributions', async () => {
    const drift = group({
      name: 'drift a -> b',
      category: 'drift',
      label: 'Drift: shipments before 2025 → shipments from 2026',
      latest: { ...group({ name: 'a' }).latest!, id: 7, kind: 'drift' }
    });
    const report: CheckReport = {
      run: ledgerRun({
        id: 7,
        name: 'drift a -> b',
        kind: 'drift',
        status: 'fail',
        verdict: 'Failed: 1 of 2 columns drifted (lead_time_days).'
      }),
      rows: null,
      drift: {
        tested: 2,
        drifted: ['lead_time_days'],
        share: 0.5,
        share_needed: 0.5,
        dataset_drifted: true,
        status: 'fail',
        why: 'Failed: 1 of 2 columns drifted (lead_time_days).',
        skipped: {},
        windows: null,
        withheld: null,
        columns: [
          {
            column: 'lead_time_days',
            status: 'fail',
            verdict: 'drifted',
            test: 'Wasserstein distance (normed)',
            statistic: '0.186',
            threshold: 0.1,
            why: 'drifted: 0.186 ≥ threshold 0.1',
            kind: 'numeric',
            distribution: {
              kind: 'histogram',
              lo: 0,
              hi: 16,
              ref: [0.5, 0.5],
              cur: [0.2, 0.8]
            }
          }
        ]
      }
    };
    service
      .on('GET', 'checks/history', ok({ runs: [] }))
      .on('GET', 'checks/overview', ok(overview([drift], 7)))
      .on('GET', 'checks/report', ok(report));
    show();
    await panel.reload();

    panel.openCheck(drift);
    await settle();

    const view = panel.node.querySelector(
      '[data-testid="aios-check-run-view"]'
    )!;
    expect(service.sent('GET', 'checks/report')[0].query.id).toBe('7');
    expect(
      view.querySelector('[data-testid="aios-check-verdict"]')!.textContent
    ).toContain('Failed: 1 of 2 columns drifted (lead_time_days).');
    const summary = view.querySelector('[data-testid="aios-drift-summary"]')!;
    expect(summary.textContent).toContain('Drifted columns1 of 2 (50%)');
    expect(summary.textContent).toContain('Dataset drifts at50%');
    const column = view.querySelector<HTMLElement>(
      '[data-testid="aios-drift-column"]'
    )!;
    expect(column.dataset.column).toBe('lead_time_days');
    expect(column.textContent).toContain('TestWasserstein distance (normed)');
    expect(column.textContent).toContain('Statistic0.186');
    expect(column.textContent).toContain('Threshold0.1');
    expect(column.textContent).toContain('Drifted: 0.186 ≥ threshold 0.1');
    const plot = column.querySelector('svg')!;
    expect(plot.querySelectorAll('.aios-drift-ref')).toHaveLength(2);
    expect(plot.getAttribute('aria-label')).toContain('0–8 50% → 20%');
    expect(view.textContent).not.toContain('wasserstein_error_bound');
  });

  it('offers a newer run of the open check without replacing the one being read', async () => {
    let newest = 4;
    const latest = (id: number) => ({ ...group({ name: 'a' }).latest!, id });
    service
      .on('GET', 'checks/history', () =>
        ok({ runs: [ledgerRun({ id: newest, name: 'x' })] })
      )
      .on('GET', 'checks/overview', () =>
        ok(
          overview(
            [group({ name: 'shipments_basics', latest: latest(newest) })],
            newest
          )
        )
      )
      .on('GET', 'checks/report', request =>
        ok({
          run: ledgerRun({
            id: Number(request.query.id),
            name: 'shipments_basics'
          }),
          drift: null,
          rows: []
        })
      );
    show(50);
    await panel.reload();
    panel.openCheck(panel.overview!.checks[0]);
    await settle();

    newest = 5;
    await new Promise(resolve => setTimeout(resolve, 150));
    await settle();

    const view = panel.node.querySelector(
      '[data-testid="aios-check-run-view"]'
    )!;
    expect(
      view.querySelector<HTMLElement>('[data-testid="aios-check-report"]')!
        .dataset.id
    ).toBe('4');
    const offer = view.querySelector<HTMLButtonElement>(
      '[data-testid="aios-check-newer"]'
    )!;
    expect(offer.parentElement!.textContent).toContain(
      'A newer run was recorded (passed).'
    );
    offer.click();
    await settle();
    expect(
      view.querySelector<HTMLElement>('[data-testid="aios-check-report"]')!
        .dataset.id
    ).toBe('5');
  });
});
