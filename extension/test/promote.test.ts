/**
 * The Promote dialog end to end against a fake service: the form built from
 * the notebook's parameters, the `POST jobs/promote` body it sends, and
 * what the user sees for a promotion, a refusal and an error.
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { getByLabelText, getByRole, waitFor } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';

import { NotebookParameters, PromotionReport } from '../src/api';
import { PromoteDialog } from '../src/promote';
import { FakeService, ISentRequest, IReply, failure, ok } from './fakeService';
import { gate, jobSpec, parameter, passingGates, report } from './fixtures';

const PATH = 'notebooks/02_governance_checks.ipynb';

/** What `GET notebooks/parameters` answers for the notebook. */
const PARAMETERS: NotebookParameters = {
  notebook: PATH,
  digest: 'sha256:9f2c',
  kernel: 'python3',
  language: 'python',
  required_checks: ['sales_quality'],
  schema: {
    language: 'python',
    kernel: 'python3',
    parameters: [
      parameter({
        name: 'region',
        type: 'str',
        default: 'EU',
        default_source: "'EU'"
      }),
      parameter({
        name: 'limit',
        type: 'int',
        default: 1000,
        default_source: '1000'
      })
    ],
    problems: [],
    inspected: true,
    cell_index: 1
  },
  jobs: []
};

/** Whether a `POST jobs/promote` is the dialog's comparison (a dry run), not a promotion. */
function isDryRun(request: ISentRequest): boolean {
  return (request.body as { dry_run?: boolean }).dry_run === true;
}

/** The promotions sent (not the dry runs that compare the form with the job). */
function promotions(service: FakeService): unknown[] {
  return service
    .sent('POST', 'jobs/promote')
    .filter(r => !isDryRun(r))
    .map(r => r.body);
}

/** What the service answers a dry run of a new job. */
function newJobPlan(request: ISentRequest): PromotionReport {
  return report({
    job: (request.body as { name: string }).name,
    notebook: PATH,
    status: 'planned',
    version: 1,
    gates: [],
    summary: ''
  });
}

/**
 * `POST jobs/promote`: dry runs answered by `plan`, promotions by `promote`.
 */
function promoteRoute(
  promote: (request: ISentRequest) => IReply,
  plan: (request: ISentRequest) => PromotionReport = newJobPlan
) {
  return (request: ISentRequest) =>
    isDryRun(request) ? ok(plan(request)) : promote(request);
}

/** The notebook the dialog promotes: only what the dialog reads of a NotebookPanel. */
function notebook(dirty: boolean) {
  const context = {
    path: PATH,
    model: { dirty },
    save: jest.fn(async () => {
      context.model.dirty = false;
    })
  };
  return { panel: { context } as unknown as NotebookPanel, save: context.save };
}

describe('PromoteDialog', () => {
  let service: FakeService;
  let dialog: PromoteDialog;
  let openJob: jest.Mock;
  let save: jest.Mock;

  async function open(dirty = false): Promise<void> {
    const nb = notebook(dirty);
    save = nb.save;
    dialog = new PromoteDialog({
      panel: nb.panel,
      timeZone: 'Europe/Berlin',
      openJob
    });
    void dialog.launch();
    await waitFor(() => expect(dialog.isAttached).toBe(true));
    // JupyterLab's CSS shows the <dialog>; jsdom's built-in style hides one without `open`.
    dialog.node.setAttribute('open', '');
  }

  // In a browser the button is named by its label's aria-label ("Promote the notebook: run every gate");
  // jsdom does not reflect the `ariaLabel` property JupyterLab sets, so it sees the text "Promote".
  const promoteButton = () =>
    getByRole(document.body, 'button', { name: /^Promote/ });
  const result = () =>
    dialog.node.querySelector<HTMLElement>('.aios-promote-result')!;

  beforeEach(() => {
    openJob = jest.fn();
    service = new FakeService()
      .on('GET', 'notebooks/parameters', ok(PARAMETERS))
      .on('GET', 'schedule/preview', request =>
        ok({
          schedule: {
            kind: 'cron',
            cron: request.query.cron,
            timezone: 'Europe/Berlin',
            at: null,
            description: 'At 06:00 AM (Europe/Berlin)'
          },
          next_runs: []
        })
      )
      .on(
        'POST',
        'jobs/promote',
        promoteRoute(() => failure(500, 'internal', 'unexpected promotion'))
      )
      .install();
  });

  afterEach(() => {
    if (!dialog.isDisposed) {
      dialog.reject();
    }
    service.uninstall();
  });

  it('proposes the job name the service would choose and builds the form from the notebook’s parameters', async () => {
    await open();
    const name = getByLabelText(dialog.node, 'Job name') as HTMLInputElement;
    expect(name.value).toBe('governance_checks');
    await waitFor(() => getByLabelText(dialog.node, /^limit/));
    expect(
      service.sent('GET', 'notebooks/parameters').map(r => r.query)
    ).toEqual([{ path: PATH }]);
    expect(dialog.node.textContent).toContain(
      'Required checks (run as a gate): sales_quality'
    );
    expect(
      (getByLabelText(dialog.node, /^limit/) as HTMLInputElement).value
    ).toBe('1000');
  });

  it('saves the notebook, then sends the schedule, limits and changed parameters, and shows every gate passed', async () => {
    service.on(
      'POST',
      'jobs/promote',
      promoteRoute(request => {
        expect(save).toHaveBeenCalled(); // the service promotes the file on disk
        return ok(
          report({
            job: 'governance_checks',
            notebook: PATH,
            version: 1,
            parameters: (
              request.body as { parameters: Record<string, unknown> }
            ).parameters
          })
        );
      })
    );
    await open(true);
    expect(dialog.node.textContent).toContain(
      'The notebook has unsaved changes: it is saved before promoting.'
    );
    const user = userEvent.setup();
    await waitFor(() => getByLabelText(dialog.node, /^limit/));
    await user.selectOptions(getByLabelText(dialog.node, 'Runs'), 'daily');
    await user.clear(getByLabelText(dialog.node, /^limit/));
    await user.type(getByLabelText(dialog.node, /^limit/), '50');
    await user.clear(getByLabelText(dialog.node, 'Retries'));
    await user.type(getByLabelText(dialog.node, 'Retries'), '2');
    await user.type(
      getByLabelText(dialog.node, 'E-mails'),
      'ops@example.com, me@example.com'
    );
    await user.type(getByLabelText(dialog.node, 'Approver'), 'bob');

    await user.click(promoteButton());

    await waitFor(() =>
      expect(result().textContent).toContain(
        'Promoted notebooks/02_governance_checks.ipynb as job governance_checks, version 1.'
      )
    );
    expect(promotions(service)).toEqual([
      {
        notebook: PATH,
        name: 'governance_checks',
        cron: '0 6 * * *',
        timezone: 'Europe/Berlin',
        timeout_seconds: 3600,
        retries: 2,
        parameters: { limit: 50 },
        notifications: {
          webhooks: [],
          emails: ['ops@example.com', 'me@example.com']
        },
        approver: 'bob'
      }
    ]);
    expect(
      result().querySelectorAll(
        '[data-testid="aios-promote-gate"][data-state="pass"]'
      )
    ).toHaveLength(6);
    // the accept button now closes the dialog
    expect(
      getByRole(document.body, 'button', { name: 'Close the dialog' })
        .textContent
    ).toBe('Done');

    await user.click(
      getByRole(result(), 'button', {
        name: 'Open job governance_checks in the Jobs section'
      })
    );
    expect(openJob).toHaveBeenCalledWith('governance_checks');
    expect(dialog.isDisposed).toBe(true);
  });

  it('keeps the dialog open on a refusal (422) and shows why each gate failed', async () => {
    service.on(
      'POST',
      'jobs/promote',
      promoteRoute(() => ({
        status: 422,
        body: {
          ...report({
            job: 'governance_checks',
            status: 'refused',
            passed: false,
            version: null,
            summary: '1 failed, 5 passed',
            cause:
              'gate 1 (a cell tagged `parameters` exists) failed: no cell is tagged `parameters`',
            gates: [
              gate({
                name: 'parameters_cell',
                title: 'a cell tagged `parameters` exists',
                passed: false,
                reason: 'no cell is tagged `parameters`',
                detail: { fix: 'tag the first cell `parameters`' }
              }),
              ...passingGates().slice(1)
            ]
          }),
          error: 'promotion_refused',
          message: 'promotion of governance_checks refused: 1 gate failed',
          fix: 'fix the failed gates and promote again'
        }
      }))
    );
    await open();
    const user = userEvent.setup();
    await user.click(promoteButton());

    await waitFor(() =>
      expect(result().textContent).toContain(
        'Promotion refused: 1 failed, 5 passed. Nothing was stored.'
      )
    );
    expect(result().textContent).toContain('no cell is tagged `parameters`');
    expect(result().textContent).toContain(
      'Fix: tag the first cell `parameters`'
    );
    expect(dialog.isDisposed).toBe(false);
    expect(promoteButton().textContent).toBe('Promote');
    expect(promoteButton().hasAttribute('disabled')).toBe(false);
  });

  it('shows the service’s message and fix when the promotion cannot run', async () => {
    service.on(
      'POST',
      'jobs/promote',
      promoteRoute(() =>
        failure(
          403,
          'forbidden',
          'alice may not run jobs as svc-reporting',
          'ask an admin to add alice to jobs.service_identities.svc-reporting.users'
        )
      )
    );
    await open();
    await userEvent.setup().click(promoteButton());

    const alert = await waitFor(() => getByRole(result(), 'alert'));
    expect(alert.textContent).toBe(
      'The promotion could not runalice may not run jobs as svc-reporting — Fix: ask an admin to add alice to jobs.service_identities.svc-reporting.users'
    );
  });

  it('keeps Promote disabled while the job name or a parameter is invalid', async () => {
    await open();
    const user = userEvent.setup();
    await waitFor(() => getByLabelText(dialog.node, /^limit/));
    const name = getByLabelText(dialog.node, 'Job name');
    await user.clear(name);
    await user.type(name, '2nd try');
    expect((promoteButton() as HTMLButtonElement).disabled).toBe(true);

    await user.clear(name);
    await user.type(name, 'second_try');
    expect((promoteButton() as HTMLButtonElement).disabled).toBe(false);

    const limit = getByLabelText(dialog.node, /^limit/);
    await user.clear(limit);
    expect(dialog.node.textContent).toContain('limit needs a int value');
    expect((promoteButton() as HTMLButtonElement).disabled).toBe(true);
    await user.click(promoteButton());
    expect(promotions(service)).toEqual([]);
  });

  it('says when the notebook’s parameters cannot be read, and that Promote still reports every gate', async () => {
    service.on(
      'GET',
      'notebooks/parameters',
      failure(
        400,
        'usage_error',
        'notebooks/02_governance_checks.ipynb has no cell tagged `parameters`',
        'tag the cell that holds the parameters with `parameters`'
      )
    );
    await open();
    const alert = await waitFor(() => getByRole(dialog.node, 'alert'));
    expect(alert.textContent).toContain(
      'Cannot read the notebook’s parameters'
    );
    expect(alert.textContent).toContain(
      'has no cell tagged `parameters` — Fix: tag the cell'
    );
    expect(dialog.node.textContent).toContain(
      'Promote still runs every gate and lists what to fix.'
    );
  });

  describe('on a notebook that already runs as a job', () => {
    /** The job the notebook was promoted as: version 3, with settings the form has no field for. */
    const CURRENT: NotebookParameters['jobs'][number] = {
      job: 'governance_nightly',
      version: 3,
      notebook: PATH,
      digest: 'sha256:9f2c',
      promoted_by: 'alice',
      promoted_at: '2026-12-01T09:00:00+00:00',
      paused: false,
      schedule: 'At 06:00 AM, Monday through Friday (America/New_York)',
      spec: jobSpec({
        name: 'governance_nightly',
        parameters: { limit: 50 },
        schedule: {
          kind: 'cron',
          cron: '0 6 * * 1-5',
          timezone: 'America/New_York',
          at: null
        },
        timeout_seconds: 1800,
        retries: {
          max: 2,
          backoff_seconds: 60,
          backoff_factor: 2,
          max_backoff_seconds: 3600
        },
        notifications: {
          on: ['failure', 'recovery'],
          webhooks: [],
          emails: ['ops@example.com']
        },
        triggers: { after_success: ['load_sales'], on_monitor_failure: [] },
        secrets: { API_KEY: 'ERP_KEY' },
        identity: 'svc-reporting'
      }),
      waiting_versions: []
    };

    /** The service's comparison: unchanged while retries stay 2, else version 4 with the change in words. */
    function plan(request: ISentRequest): PromotionReport {
      const retries = (request.body as { retries: { max: number } }).retries
        .max;
      const base = {
        job: 'governance_nightly',
        notebook: PATH,
        gates: [],
        summary: '',
        previous_version: 3
      };
      return retries === 2
        ? report({ ...base, status: 'unchanged', version: 3, changes: [] })
        : report({
            ...base,
            status: 'planned',
            version: 4,
            changes: [`retries: 2 → ${retries}`]
          });
    }

    const plans = () =>
      service.sent('POST', 'jobs/promote').filter(r => isDryRun(r));
    const planText = () =>
      dialog.node.querySelector<HTMLElement>(
        '[data-testid="aios-promote-plan"]'
      )!.textContent;

    beforeEach(() => {
      service
        .on(
          'GET',
          'notebooks/parameters',
          ok({ ...PARAMETERS, jobs: [CURRENT] })
        )
        .on(
          'POST',
          'jobs/promote',
          promoteRoute(() => failure(500, 'internal', 'not a dry run'), plan)
        );
    });

    it('starts from the job’s current definition and says that nothing changed', async () => {
      await open();
      const value = (label: string | RegExp) =>
        (getByLabelText(dialog.node, label) as HTMLInputElement).value;
      await waitFor(() => expect(value('Job name')).toBe('governance_nightly'));

      expect(value('Runs')).toBe('weekdays');
      expect(value('At')).toBe('06:00');
      expect(value('Time zone')).toBe('America/New_York');
      expect(value('Timeout (minutes)')).toBe('30');
      expect(value('Retries')).toBe('2');
      expect(value('E-mails')).toBe('ops@example.com');
      expect(value(/^limit/)).toBe('50');
      expect(value(/^region/)).toBe('EU');
      expect(
        dialog.node.querySelector('[data-testid="aios-promote-current"]')!
          .textContent
      ).toContain(
        'This notebook runs as job governance_nightly, version 3 (promoted by alice'
      );
      await waitFor(() =>
        expect(planText()).toBe(
          'Nothing changed against version 3 of job governance_nightly: same notebook, same settings. Promote would store nothing.'
        )
      );
      expect(promoteButton().textContent).toBe('Promote (nothing changed)');
      // the comparison sends every setting of version 3, also those the form has no field for
      expect(plans()[0].body).toEqual({
        notebook: PATH,
        name: 'governance_nightly',
        cron: '0 6 * * 1-5',
        timezone: 'America/New_York',
        timeout_seconds: 1800,
        retries: {
          max: 2,
          backoff_seconds: 60,
          backoff_factor: 2,
          max_backoff_seconds: 3600
        },
        parameters: { limit: 50 },
        notifications: {
          on: ['failure', 'recovery'],
          webhooks: [],
          emails: ['ops@example.com']
        },
        executor: 'local',
        max_concurrent: 1,
        catch_up: { policy: 'skip', max_runs: 1 },
        triggers: { after_success: ['load_sales'], on_monitor_failure: [] },
        retention: { keep_last: null, keep_days: null },
        secrets: { API_KEY: 'ERP_KEY' },
        identity: 'svc-reporting',
        dry_run: true
      });
    });

    it('says which version Promote makes and what it changes, as the user edits', async () => {
      await open();
      const user = userEvent.setup();
      await waitFor(() => expect(planText()).toContain('Nothing changed'));

      await user.clear(getByLabelText(dialog.node, 'Retries'));
      await user.type(getByLabelText(dialog.node, 'Retries'), '3');

      await waitFor(() =>
        expect(planText()).toBe(
          'Promote creates version 4 of job governance_nightly.Changes against version 3:retries: 2 → 3'
        )
      );
      expect(promoteButton().textContent).toBe('Promote as version 4');
      expect(promoteButton().getAttribute('aria-label')).toBe(
        'Promote as version 4 of job governance_nightly: run every gate'
      );
      expect(promotions(service)).toEqual([]); // only compared, nothing promoted
    });
    it('starts from another job of the notebook when its name is typed', async () => {
      const other = {
        ...CURRENT,
        job: 'governance_weekly',
        version: 1,
        spec: jobSpec({
          name: 'governance_weekly',
          parameters: {},
          schedule: { kind: 'manual', cron: null, timezone: 'UTC', at: null },
          retries: { ...CURRENT.spec.retries, max: 5 }
        })
      };
      service.on(
        'GET',
        'notebooks/parameters',
        ok({ ...PARAMETERS, jobs: [CURRENT, other] })
      );
      await open();
      const value = (label: string | RegExp) =>
        (getByLabelText(dialog.node, label) as HTMLInputElement).value;
      await waitFor(() => expect(value('Retries')).toBe('2'));
      expect(
        dialog.node.querySelector('[data-testid="aios-promote-current"]')!
          .textContent
      ).toContain(
        'It also runs as job governance_weekly: type that job name to start from its settings.'
      );

      const user = userEvent.setup();
      const name = getByLabelText(dialog.node, 'Job name');
      await user.clear(name);
      await user.type(name, 'governance_weekly');
      await user.tab(); // "change" fires when the field loses focus

      expect(value('Retries')).toBe('5');
      expect(value('Runs')).toBe('manual');
      expect(value('Time zone')).toBe('UTC');
      expect(value(/^limit/)).toBe('1000'); // the notebook's default: the job sets none
      expect(
        dialog.node.querySelector('[data-testid="aios-promote-current"]')!
          .textContent
      ).toContain('This notebook runs as job governance_weekly, version 1');
    });
  });
});
