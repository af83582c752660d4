/**
 * The runs of every job: newest first, filtered by status (as every surface
 * words it) and job, paged further back; each run links to its job's page.
 * And the header an output opens under.
 */
import { getByRole, waitFor } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { JobRun } from '../src/api';
import { JobRunsPage, RUNS_PAGE_SIZE } from '../src/jobRunsPage';
import { outputHeader } from '../src/output';
import { FakeService, ok } from './fakeService';
import { jobDetail, jobRun } from './fixtures';

const RUNS: JobRun[] = [
  jobRun({ id: 9, job: 'etl', status: 'running', duration_seconds: 6.315095 }),
  jobRun({
    id: 8,
    status: 'succeeded',
    verdict: 'checks_failed',
    checks: { total: 3, failed: 1, failed_kinds: ['drift'] },
    duration_seconds: 125
  }),
  jobRun({
    id: 7,
    job: 'etl',
    status: 'failed',
    trigger: 'rerun:5',
    trigger_words: 're-run of run 5'
  })
];

describe('JobRunsPage', () => {
  let service: FakeService;
  let page: JobRunsPage;
  let openJob: jest.Mock;

  beforeEach(() => {
    service = new FakeService()
      .on(
        'GET',
        'jobs',
        ok({ jobs: [jobDetail(), jobDetail({ name: 'etl' })] })
      )
      .on('GET', 'jobs/runs', request => {
        const { status, job, before_id: before } = request.query;
        const runs = RUNS.filter(
          r =>
            (!status || r.verdict === status) &&
            (!job || r.job === job) &&
            (!before || r.id < Number(before))
        );
        return ok({
          runs: before ? runs : runs.slice(0, 2),
          next_before_id: before || status || job ? null : 8
        });
      })
      .install();
    openJob = jest.fn();
    page = new JobRunsPage({ outputs: { open: jest.fn() }, openJob });
    Widget.attach(page, document.body);
  });

  afterEach(() => {
    page.dispose();
    service.uninstall();
  });

  const rows = () =>
    [
      ...page.node.querySelectorAll<HTMLElement>(
        '[data-testid="aios-runs-row"]'
      )
    ].map(r => [...r.children].map(c => c.textContent));

  it('lists every job’s runs newest first in words, and pages further back', async () => {
    await page.show();
    expect(service.sent('GET', 'jobs/runs')[0].query).toEqual({
      limit: String(RUNS_PAGE_SIZE)
    });
    const [running, checked] = rows();
    expect(running.slice(0, 3)).toEqual(['#9', 'etl v3', 'running']);
    expect(running[4]).toBe('6.3 s');
    expect(checked.slice(2, 6)).toEqual([
      'checks failed',
      expect.stringMatching(/^26 Nov 2026, 05:00 \(/),
      '2 min 5 s',
      'on schedule'
    ]);

    await userEvent
      .setup()
      .click(getByRole(page.node, 'button', { name: 'Load more' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[2][5]).toBe('re-run of run 5');
    expect(service.sent('GET', 'jobs/runs')[1].query.before_id).toBe('8');
  });

  it('filters by status words and by job, and opens a run’s job', async () => {
    await page.show();
    const status = page.node.querySelector<HTMLSelectElement>(
      '[data-testid="aios-runs-filter-status"]'
    )!;
    expect([...status.options].map(o => o.textContent)).toContain(
      'checks failed'
    );
    const user = userEvent.setup();
    await user.selectOptions(status, 'checks_failed');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0][0]).toBe('#8');

    await user.selectOptions(status, '');
    await user.selectOptions(
      page.node.querySelector<HTMLSelectElement>(
        '[data-testid="aios-runs-filter-job"]'
      )!,
      'etl'
    );
    await waitFor(() => expect(rows().map(r => r[0])).toEqual(['#9', '#7']));
    await user.click(
      page.node.querySelector<HTMLElement>(
        '[data-testid="aios-runs-open-job"]'
      )!
    );
    expect(openJob).toHaveBeenCalledWith('etl');
  });
});

describe('outputHeader', () => {
  it('says job, version, run, status, times, duration and parameters, and leads back to the job', () => {
    const openJob = jest.fn();
    const header = outputHeader(
      jobRun({
        id: 42,
        duration_seconds: 6.315095,
        parameters: { region: 'EU', verbose: false, carriers: ['DHL', 'UPS'] }
      }),
      { openJob }
    );
    document.body.replaceChildren(header);
    const field = (name: string) =>
      header.querySelector(`dd[data-field="${name}"]`)!.textContent;
    expect(header.querySelector('h3')!.textContent).toBe(
      'nightly_sales · run 42'
    );
    expect(field('version')).toBe('3');
    expect(field('status')).toBe('succeeded');
    expect(field('started')).toBe('Thu 26 Nov 2026, 05:00 UTC');
    expect(field('ended')).toBe('Thu 26 Nov 2026, 05:00 UTC');
    expect(field('duration')).toBe('6.3 s');
    expect(field('parameters')).toBe(
      'region = “EU”verbose = nocarriers = “DHL”, “UPS”'
    );
    getByRole(header, 'button', { name: '‹ Job nightly_sales' }).click();
    expect(openJob).toHaveBeenCalledWith('nightly_sales');
  });
});
