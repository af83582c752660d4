/**
 * The dataset view's Lineage and Checks sections: what a user reads about who
 * wrote and read a dataset and which checks ran on it.
 */
import { DatasetChecksSection, LineageSection } from '../src/datasetActivity';
import { FakeService, failure, ok } from './fakeService';
import { ledgerRun, lineageGraph } from './fixtures';

const DATASET = 'supplier_master.main.suppliers';
let service: FakeService;

beforeEach(() => {
  service = new FakeService().install();
});

afterEach(() => {
  service.uninstall();
  document.body.replaceChildren();
});

describe('LineageSection', () => {
  it('lists what read the dataset, hides the names of datasets the user may not read', async () => {
    service.on(
      'GET',
      'lineage',
      ok({
        dataset: DATASET,
        recorded: true,
        upstream: lineageGraph(DATASET, 'upstream', {
          id: 'dataset:restricted-1',
          kind: 'dataset',
          name: '(restricted)',
          restricted: true
        }),
        downstream: lineageGraph(DATASET, 'downstream', {
          id: 'job:monitor_shipments',
          kind: 'job',
          name: 'job:monitor_shipments',
          type: 'job',
          runs: 3,
          failed_runs: 1,
          last_run: '2026-11-26T07:00:01+00:00',
          last_status: 'failed',
          users: { carol: 3 }
        })
      })
    );
    const section = new LineageSection(DATASET);
    document.body.appendChild(section.node);

    await section.load();

    // the service's default depth, as wb.catalog() asks for it: the same counts on both
    expect(service.sent('GET', 'lineage')[0].query).toEqual({ name: DATASET });
    const downstream = section.node.querySelector(
      '[data-testid="aios-lineage-downstream"]'
    )!;
    expect(downstream.textContent).toContain('job:monitor_shipments');
    expect(
      downstream.querySelector('[data-testid="aios-lineage-summary"]')!
        .textContent
    ).toBe('1 recorded downstream.'); // the service's words, shown as sent
    expect(downstream.textContent).toContain('3 runs, 1 failed');
    expect(downstream.textContent).not.toContain(DATASET); // the dataset itself is not its own neighbour
    const upstream = section.node.querySelector(
      '[data-testid="aios-lineage-upstream"]'
    )!;
    expect(upstream.textContent).toContain('a dataset you may not read');
    expect(upstream.textContent).not.toContain('(restricted)');
  });

  it('says when nothing is recorded and shows a service error in words', async () => {
    service.on(
      'GET',
      'lineage',
      ok({
        dataset: DATASET,
        recorded: false,
        upstream: lineageGraph(DATASET, 'upstream'),
        downstream: lineageGraph(DATASET, 'downstream')
      })
    );
    const empty = new LineageSection(DATASET);
    await empty.load();
    expect(empty.node.textContent).toContain('Nothing recorded upstream.');

    service.on(
      'GET',
      'lineage',
      failure(
        403,
        'permission_denied',
        'bob may not read suppliers',
        'ask a steward'
      )
    );
    const refused = new LineageSection(DATASET);
    await refused.load();
    expect(refused.node.textContent).toContain('Cannot load the lineage');
    expect(refused.node.textContent).toContain('bob may not read suppliers');
  });
});

describe('DatasetChecksSection', () => {
  it('lists the latest checks on the dataset with their status, newest first', async () => {
    service.on(
      'GET',
      'checks/history',
      ok({
        runs: [
          ledgerRun({
            id: 9,
            at: '2026-11-26T10:00:00+00:00',
            kind: 'quality',
            name: 'suppliers_basics',
            status: 'fail',
            passed: false,
            required: true,
            user: 'carol',
            datasets: [DATASET]
          }),
          ledgerRun({
            id: 4,
            at: '2026-11-25T10:00:00+00:00',
            kind: 'drift',
            name: 'monitor:suppliers',
            status: 'pass',
            passed: true,
            required: false,
            user: 'alice',
            datasets: [DATASET]
          })
        ]
      })
    );
    const section = new DatasetChecksSection(DATASET);
    await section.load();

    expect(service.sent('GET', 'checks/history')[0].query).toMatchObject({
      dataset: DATASET,
      limit: '10'
    });
    const rows = section.node.querySelectorAll(
      '[data-testid="aios-dataset-check"]'
    );
    expect([...rows].map(r => r.getAttribute('data-id'))).toEqual(['9', '4']);
    expect(
      rows[0].querySelector('[data-status]')!.getAttribute('data-status')
    ).toBe('fail');
    expect(rows[0].textContent).toContain('suppliers_basics');
    expect(rows[0].textContent).toContain('carol');
  });

  it('says when no check ran on the dataset', async () => {
    service.on('GET', 'checks/history', ok({ runs: [] }));
    const section = new DatasetChecksSection(DATASET);
    await section.load();
    expect(section.node.textContent).toBe(
      'No checks recorded on this dataset.'
    );
  });
});
