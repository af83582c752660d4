/**
 * One job in the Jobs section: its schedule and controls (run now, pause,
 * resume) for those who may control it, and its run history with live
 * progress, cancel, re-run, the log and the output notebook.
 */
import { getByRole, queryByRole, waitFor, within } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { JobDetail, JobRun, JobVersion, RunLog } from '../src/api';
import { JobView } from '../src/jobView';
import { FakeService, failure, ok } from './fakeService';
import { jobDetail, jobRun, jobVersion } from './fixtures';

const RUNNING = jobRun({
  id: 43,
  status: 'running',
  trigger: 'manual',
  trigger_words: 'run now',
  requested_by: 'alice',
  finished_at: null,
  duration_seconds: 12.5,
  progress: { cells_done: 2, cells_total: 10 },
  output_path: null,
  log_path: null
});
const FAILED = jobRun({
  id: 42,
  status: 'failed',
  attempt: 2,
  trigger_words: 'on schedule, attempt 2',
  retry_of: 41,
  duration_seconds: 185,
  error: 'the notebook raised ZeroDivisionError in cell 7',
  failing_cell: {
    index: 7,
    output_index: 7,
    execution_count: 7,
    ename: 'ZeroDivisionError',
    evalue: 'division by zero',
    source: 'rate = sales / days',
    traceback: 'ZeroDivisionError: division by zero'
  },
  output_path: '.aios/jobs/nightly_sales/runs/42/output.ipynb'
});
const SUCCEEDED = jobRun({ id: 41, status: 'succeeded', duration_seconds: 42 });

describe('JobView', () => {
  let service: FakeService;
  let view: JobView;
  let job: JobDetail;
  let history: JobRun[];
  let outputs: { open: jest.Mock };
  let onBack: jest.Mock;
  let edit: jest.Mock;
  let onDeleted: jest.Mock;
  let changed: jest.Mock;
  let versions: JobVersion[];

  beforeEach(() => {
    job = jobDetail();
    history = [RUNNING, FAILED, SUCCEEDED];
    versions = [
      jobVersion({ version: 1 }),
      jobVersion({
        version: 2,
        changes: ['retries: 0 → 2', 'parameter region: “EU” → “US”']
      }),
      jobVersion({
        version: 3,
        current: true,
        approved_by: 'bob',
        changes: ["the notebook's code changed since version 2"]
      })
    ];
    service = new FakeService()
      .on('GET', 'jobs/job', () => ok(job))
      .on('GET', 'jobs/history', () =>
        ok({ runs: history, next_before_id: null })
      )
      .on('GET', 'jobs/versions', () =>
        ok({
          job: 'nightly_sales',
          current_version: versions.find(v => v.current)!.version,
          versions
        })
      )
      .install();
    outputs = { open: jest.fn(async () => undefined) };
    onBack = jest.fn();
    edit = jest.fn();
    onDeleted = jest.fn();
    changed = jest.fn();
    // visible: false keeps the view from polling between assertions
    view = new JobView({
      outputs,
      onBack,
      pollSeconds: () => 5,
      visible: () => false,
      edit,
      onDeleted,
      changed
    });
    Widget.attach(view, document.body);
  });

  afterEach(() => {
    view.dispose();
    service.uninstall();
  });

  const controls = () =>
    within(getByRole(view.node, 'group', { name: 'Job controls' }));
  const run = (id: number) =>
    view.node.querySelector<HTMLElement>(
      `[data-testid="aios-job-run"][data-id="${id}"]`
    )!;

  it('shows the job’s state, schedule, next run and who it runs as', async () => {
    await view.open('nightly_sales');
    expect(service.sent('GET', 'jobs/job').map(r => r.query)).toEqual([
      { name: 'nightly_sales' }
    ]);
    expect(service.sent('GET', 'jobs/history').map(r => r.query)).toEqual([
      { name: 'nightly_sales', limit: '20' }
    ]);

    expect(getByRole(view.node, 'heading', { level: 3 }).textContent).toBe(
      'active nightly_sales'
    );
    const field = (name: string) =>
      view.node.querySelector(`dd[data-field="${name}"]`)!.textContent;
    expect(field('schedule')).toBe(
      'At 06:00 AM, Monday through Friday (Europe/Berlin)'
    );
    expect(field('notebook')).toBe('notebooks/nightly_sales.ipynb');
    expect(field('runs-as')).toBe('svc-reporting');
    expect(field('next-run')).toMatch(/Fri 27 Nov 2026, 05:00 UTC/);
    expect(
      view.node
        .querySelector('dd[data-field="next-run"] time')!
        .getAttribute('datetime')
    ).toBe('2026-11-27T05:00:00+00:00');
  });

  it('lists the runs with status, trigger, duration, progress and the failing cell', async () => {
    await view.open('nightly_sales');
    const items = getByRole(view.node, 'list', {
      name: 'Runs of this job'
    }).querySelectorAll('[data-testid="aios-job-run"]');
    expect([...items].map(i => i.getAttribute('data-status'))).toEqual([
      'running',
      'failed',
      'succeeded'
    ]);

    expect(run(43).textContent).toContain('#43run now');
    expect(
      run(43).querySelector('[data-testid="aios-run-progress"]')!.textContent
    ).toBe(' cell 3 of 10');
    expect(
      getByRole(run(43), 'progressbar', { name: 'Progress: cell 3 of 10' })
    ).toBeTruthy();
    expect(run(42).textContent).toContain('on schedule, attempt 2');
    expect(run(42).querySelector('.aios-job-run-duration')!.textContent).toBe(
      '3 min 5 s'
    );
    expect(
      run(42).querySelector('[data-testid="aios-run-error"]')!.textContent
    ).toBe(
      'Cell 7: ZeroDivisionError: division by zerothe notebook raised ZeroDivisionError in cell 7'
    );
  });

  it('offers Cancel on an active run and Re-run and Open output on finished ones', async () => {
    await view.open('nightly_sales');
    expect(
      within(run(43))
        .getAllByRole('button')
        .map(b => b.getAttribute('aria-label'))
    ).toEqual(['Cancel: run 43']);
    expect(
      within(run(42))
        .getAllByRole('button')
        .map(b => b.getAttribute('aria-label'))
    ).toEqual(['Re-run: run 42', 'Open output: run 42']);
  });

  it('runs the job now, then shows the queued run', async () => {
    service.on('POST', 'jobs/run', () => {
      history = [
        jobRun({
          id: 44,
          status: 'queued',
          trigger: 'manual',
          started_at: null,
          duration_seconds: null
        }),
        ...history
      ];
      return ok(history[0]);
    });
    await view.open('nightly_sales');
    await userEvent
      .setup()
      .click(controls().getByRole('button', { name: 'Run now' }));

    await waitFor(() => expect(run(44)).toBeTruthy());
    expect(service.sent('POST', 'jobs/run').map(r => r.body)).toEqual([
      { name: 'nightly_sales' }
    ]);
    expect(run(44).textContent).toContain('queued, waiting for a scheduler');
  });

  it('pauses a scheduled job and resumes a paused one', async () => {
    service
      .on('POST', 'jobs/pause', () => {
        job = { ...job, paused: true };
        return ok(job);
      })
      .on('POST', 'jobs/resume', () => {
        job = { ...job, paused: false };
        return ok(job);
      });
    await view.open('nightly_sales');
    const user = userEvent.setup();
    await user.click(controls().getByRole('button', { name: 'Pause' }));

    await waitFor(() =>
      expect(controls().getByRole('button', { name: 'Resume' })).toBeTruthy()
    );
    expect(getByRole(view.node, 'heading', { level: 3 }).textContent).toBe(
      'paused nightly_sales'
    );
    expect(
      view.node.querySelector('dd[data-field="next-run"]')!.textContent
    ).toBe('paused');
    await user.click(controls().getByRole('button', { name: 'Resume' }));
    await waitFor(() =>
      expect(controls().getByRole('button', { name: 'Pause' })).toBeTruthy()
    );
    expect(
      service.requests
        .filter(r => r.method === 'POST')
        .map(r => [r.endpoint, r.body])
    ).toEqual([
      ['jobs/pause', { name: 'nightly_sales' }],
      ['jobs/resume', { name: 'nightly_sales' }]
    ]);
  });

  it('cancels a run and re-runs a finished one by id', async () => {
    service
      .on('POST', 'jobs/runs/cancel', request =>
        ok({
          ...RUNNING,
          cancel_requested: true,
          id: (request.body as { id: number }).id
        })
      )
      .on('POST', 'jobs/runs/rerun', ok(jobRun({ id: 45, status: 'queued' })));
    await view.open('nightly_sales');
    const user = userEvent.setup();
    await user.click(getByRole(run(43), 'button', { name: 'Cancel: run 43' }));
    await waitFor(() =>
      expect(service.sent('POST', 'jobs/runs/cancel')).toHaveLength(1)
    );
    await waitFor(() =>
      expect(view.node.hasAttribute('aria-busy')).toBe(false)
    );
    await user.click(getByRole(run(42), 'button', { name: 'Re-run: run 42' }));
    await waitFor(() =>
      expect(service.sent('POST', 'jobs/runs/rerun')).toHaveLength(1)
    );

    expect(service.sent('POST', 'jobs/runs/cancel')[0].body).toEqual({
      id: 43
    });
    expect(service.sent('POST', 'jobs/runs/rerun')[0].body).toEqual({ id: 42 });
  });

  it('opens a run’s output notebook and its log', async () => {
    const runLog: RunLog = {
      id: 42,
      status: 'failed',
      progress: { cells_done: 7, cells_total: 12 },
      lines: [
        '[papermill] Executing cell 7',
        'ZeroDivisionError: division by zero'
      ]
    };
    service.on('GET', 'jobs/runs/log', ok(runLog));
    await view.open('nightly_sales');
    const user = userEvent.setup();
    await user.click(
      getByRole(run(42), 'button', { name: 'Open output: run 42' })
    );
    expect(outputs.open).toHaveBeenCalledWith(
      expect.objectContaining({ id: 42, job: 'nightly_sales' })
    );

    const log = run(42).querySelector('details')!;
    await user.click(within(log).getByText('Log'));
    const text = await waitFor(() =>
      getByRole(log, 'generic', { name: 'Log of run 42' })
    );
    expect(text.textContent).toBe(
      '[papermill] Executing cell 7\nZeroDivisionError: division by zero'
    );
    expect(text.tabIndex).toBe(0); // scrollable with the keyboard
    expect(service.sent('GET', 'jobs/runs/log').map(r => r.query)).toEqual([
      { id: '42', tail: '200' }
    ]);
  });

  it('disables the controls, and hides run actions and logs, for a user who may not control the job', async () => {
    job = jobDetail({ can_control: false });
    await view.open('nightly_sales');
    const runNow = controls().getByRole('button', {
      name: 'Run now'
    }) as HTMLButtonElement;
    expect(runNow.disabled).toBe(true);
    expect(runNow.title).toBe(
      'Only alice, svc-reporting or an auditor may control this job'
    );
    expect(
      (controls().getByRole('button', { name: 'Pause' }) as HTMLButtonElement)
        .disabled
    ).toBe(true);
    expect(queryByRole(run(43), 'button', { name: /Cancel/ })).toBeNull();
    expect(queryByRole(run(42), 'button', { name: /Re-run/ })).toBeNull();
    expect(run(42).querySelector('details')).toBeNull();
  });

  it('says why an action failed next to the controls', async () => {
    service.on(
      'POST',
      'jobs/run',
      failure(
        403,
        'forbidden',
        'job nightly_sales v4 waits for approval',
        'ask bob to approve it in the Alerts section'
      )
    );
    await view.open('nightly_sales');
    await userEvent
      .setup()
      .click(controls().getByRole('button', { name: 'Run now' }));

    const error = await waitFor(() => getByRole(view.node, 'alert'));
    expect(error.textContent).toBe(
      'Run now failedjob nightly_sales v4 waits for approval — Fix: ask bob to approve it in the Alerts section'
    );
  });

  it('says why a job cannot be shown, and goes back with Escape', async () => {
    service.on(
      'GET',
      'jobs/job',
      failure(
        404,
        'not_found',
        'there is no job nightly_sale',
        'list the jobs with `aios jobs list`'
      )
    );
    await view.open('nightly_sale');
    expect(getByRole(view.node, 'alert').textContent).toBe(
      'Cannot load job nightly_salethere is no job nightly_sale — Fix: list the jobs with `aios jobs list`'
    );
    const user = userEvent.setup();
    view.node.focus();
    await user.keyboard('{Escape}');
    expect(onBack).toHaveBeenCalledTimes(1);
  });

  it('shows the parameters with their types and values, and the settings in words', async () => {
    job = jobDetail({
      spec: { ...job.spec, parameters: { region: 'EU', verbose: false } },
      parameter_schema: {
        language: 'python',
        kernel: 'python3',
        cell_index: 0,
        inspected: true,
        problems: [],
        parameters: [
          {
            name: 'region',
            type: 'str',
            nullable: false,
            default: 'DE',
            default_source: '"DE"',
            literal: true,
            annotation: null,
            help: 'Sales region'
          },
          {
            name: 'months',
            type: 'int',
            nullable: false,
            default: 3,
            default_source: '3',
            literal: true,
            annotation: null,
            help: ''
          },
          {
            name: 'verbose',
            type: 'bool',
            nullable: false,
            default: true,
            default_source: 'True',
            literal: true,
            annotation: null,
            help: ''
          }
        ]
      }
    });
    await view.open('nightly_sales');
    const rows = [
      ...view.node.querySelectorAll<HTMLElement>(
        '[data-testid="aios-job-parameters"] tbody tr'
      )
    ].map(r => [...r.children].map(c => c.textContent));
    expect(rows).toEqual([
      ['region', 'str', '“EU”', 'Sales region'],
      ['months', 'int', '3 (notebook default)', ''],
      ['verbose', 'bool', 'no', '']
    ]);
    const setting = (name: string) =>
      view.node.querySelector(`dd[data-setting="${name}"]`)!.textContent;
    expect(setting('Retries: Wait between attempts')).toBe(
      '60 s, ×2 each time, at most 1 h'
    );
    expect(setting('Notifications: On failure')).toBe(
      'the alert feed and a webhook to hooks.example.com'
    );
    expect(setting('Triggers: Starts when it succeeds')).toBe('none');
    expect(view.node.textContent).not.toMatch(/\bfalse\b|\btrue\b/);
  });

  it('lists the versions newest first with what each changed, and rolls back to one', async () => {
    service.on('POST', 'jobs/rollback', request => {
      const wanted = (request.body as { version: number }).version;
      versions = versions.map(v => ({ ...v, current: v.version === wanted }));
      job = { ...job, version: wanted };
      return ok({
        job: 'nightly_sales',
        version: wanted,
        previous_version: 3,
        digest: 'a'.repeat(64),
        next_due_at: null
      });
    });
    await view.open('nightly_sales');
    const items = () => [
      ...view.node.querySelectorAll<HTMLElement>(
        '[data-testid="aios-job-version"]'
      )
    ];
    expect(items().map(i => i.dataset.version)).toEqual(['3', '2', '1']);
    expect(items()[0].textContent).toContain('current');
    expect(items()[0].textContent).toContain('approved by bob');
    expect(items()[1].textContent).toContain('retries: 0 → 2');
    expect(items()[2].textContent).toContain('The first version.');
    // the current version has no Rollback; the others do
    expect(
      items().map(i => i.querySelector('[data-testid="aios-job-rollback"]'))
    ).toEqual([null, expect.anything(), expect.anything()]);

    await userEvent
      .setup()
      .click(
        getByRole(view.node, 'button', { name: 'Roll back to version 2' })
      );
    await waitFor(() =>
      expect(
        view.node.querySelector('dd[data-field="version"]')!.textContent
      ).toBe('2')
    );
    expect(service.sent('POST', 'jobs/rollback').map(r => r.body)).toEqual([
      { name: 'nightly_sales', version: 2 }
    ]);
    expect(changed).toHaveBeenCalled(); // the sidebar's list reloads
    expect(
      view.node
        .querySelector('[data-current="true"]')!
        .getAttribute('data-version')
    ).toBe('2');
  });

  it('deletes the job only once its name is confirmed, saying what goes', async () => {
    service.on(
      'DELETE',
      'jobs/job',
      ok({ job: 'nightly_sales', deleted: true, runs_deleted: 3, cancelled: 1 })
    );
    await view.open('nightly_sales');
    const user = userEvent.setup();
    await user.click(
      controls().getByRole('button', { name: 'Delete job nightly_sales…' })
    );
    const box = getByRole(view.node, 'alertdialog', {
      name: 'Delete job nightly_sales?'
    });
    expect(box.textContent).toContain(
      'every run of it with its output notebooks and logs'
    );
    expect(box.textContent).toContain('Its versions');
    await user.click(within(box).getByRole('button', { name: 'Keep it' }));
    expect(service.sent('DELETE', 'jobs/job')).toHaveLength(0);

    await user.click(
      controls().getByRole('button', { name: 'Delete job nightly_sales…' })
    );
    await user.click(
      getByRole(view.node, 'button', { name: 'Delete job nightly_sales' })
    );
    await waitFor(() =>
      expect(onDeleted).toHaveBeenCalledWith('nightly_sales')
    );
    expect(service.sent('DELETE', 'jobs/job').map(r => r.query)).toEqual([
      { name: 'nightly_sales' }
    ]);
    expect(
      view.node.querySelector('[data-testid="aios-job-deleted"]')!.textContent
    ).toBe('Job nightly_sales was deleted with its 3 runs.');
  });

  it('opens the Promote dialog from the job’s current definition on Edit', async () => {
    await view.open('nightly_sales');
    await userEvent.setup().click(
      controls().getByRole('button', {
        name: 'Edit job nightly_sales: the Promote dialog with its current settings'
      })
    );
    expect(edit).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'nightly_sales', version: 3 })
    );
  });
});
