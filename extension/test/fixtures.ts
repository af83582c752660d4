/**
 * Realistic service answers, shaped as the Python side builds them
 * (`alerts.py` alert_dict, `jobs/runs.py` run_dict, `jobs/manage.py`
 * job_dict, `jobs/gates.py` PromotionGate, `runs_query.py`); each builder
 * takes the fields a test cares about.
 */
import { IAlert } from '../src/alertsApi';
import { IJobDetail, IJobRun } from '../src/jobsApi';
import {
  IParameterSpec,
  IPromotionGate,
  IPromotionReport
} from '../src/promoteApi';
import { IRunSummary } from '../src/runsApi';

export function alert(fields: Partial<IAlert> & Pick<IAlert, 'id'>): IAlert {
  return {
    at: '2026-11-26T05:00:03+00:00',
    last_at: '2026-11-26T06:00:04+00:00',
    key: `job:nightly_sales`,
    kind: 'run_failed',
    severity: 'error',
    state: 'open',
    title: 'Job nightly_sales failed: ZeroDivisionError',
    detail: {
      job: 'nightly_sales',
      run_id: 41,
      status: 'failed',
      error: 'ZeroDivisionError: division by zero'
    },
    count: 1,
    acknowledged_by: null,
    acknowledged_at: null,
    resolved_at: null,
    ...fields
  };
}

/** An approval alert as `jobs/promote.py` raises it. */
export function approvalAlert(
  id: number,
  job: string,
  version: number
): IAlert {
  return alert({
    id,
    key: `approval:${job}:v${version}`,
    kind: 'approval',
    severity: 'info',
    title: `Job ${job} v${version} waits for approval by bob`,
    detail: {
      job,
      version,
      notebook: `notebooks/${job}.ipynb`,
      promoted_by: 'alice',
      approver: 'bob',
      digest: 'sha256:9f2c'
    }
  });
}

export function jobRun(
  fields: Partial<IJobRun> & Pick<IJobRun, 'id'>
): IJobRun {
  return {
    job: 'nightly_sales',
    version: 3,
    occurrence: '2026-11-26T05:00:00+00:00',
    trigger: 'schedule',
    attempt: 1,
    retry_of: null,
    status: 'succeeded',
    parameters: { region: 'EU' },
    requested_by: 'scheduler',
    executor: 'local',
    created_at: '2026-11-26T05:00:00+00:00',
    not_before: '2026-11-26T05:00:00+00:00',
    started_at: '2026-11-26T05:00:01+00:00',
    finished_at: '2026-11-26T05:00:43+00:00',
    duration_seconds: 42,
    cancel_requested: false,
    progress: { cells_done: 12, cells_total: 12 },
    output_path: '.aios/jobs/nightly_sales/runs/1/output.ipynb',
    html_path: null,
    log_path: '.aios/jobs/nightly_sales/runs/1/run.log',
    error: null,
    failing_cell: null,
    mlflow_run_id: null,
    ...fields
  };
}

export function jobDetail(fields: Partial<IJobDetail> = {}): IJobDetail {
  return {
    name: 'nightly_sales',
    notebook: 'notebooks/nightly_sales.ipynb',
    version: 3,
    identity: 'svc-reporting',
    created_by: 'alice',
    created_at: '2026-11-20T09:00:00+00:00',
    updated_at: '2026-11-25T09:00:00+00:00',
    paused: false,
    schedule: 'At 06:00 AM, Monday through Friday (Europe/Berlin)',
    schedule_kind: 'cron',
    executor: 'local',
    next_run: '2026-11-27T05:00:00+00:00',
    last_run: null,
    can_control: true,
    spec: {},
    upcoming: [],
    version_status: 'active',
    parameter_schema: {},
    recent_runs: [],
    ...fields
  };
}

export function runSummary(
  fields: Partial<IRunSummary> & Pick<IRunSummary, 'id'>
): IRunSummary {
  return {
    name: null,
    experiment_id: '1',
    experiment: 'churn',
    status: 'FINISHED',
    start_time: '2026-11-25T10:00:00+00:00',
    end_time: '2026-11-25T10:02:00+00:00',
    user: 'alice',
    notebook: 'notebooks/03_train.ipynb',
    params: {},
    metrics: {},
    datasets: [],
    checks: { status: 'none', passed: 0, failed: 0, items: [] },
    ...fields
  };
}

export function parameter(
  fields: Partial<IParameterSpec> & Pick<IParameterSpec, 'name' | 'type'>
): IParameterSpec {
  return {
    nullable: false,
    default: null,
    default_source: 'None',
    literal: true,
    annotation: null,
    help: '',
    ...fields
  };
}

export function gate(
  fields: Partial<IPromotionGate> & Pick<IPromotionGate, 'name'>
): IPromotionGate {
  return {
    title: fields.name,
    passed: true,
    pending: false,
    reason: '',
    detail: {},
    ...fields
  };
}

/** The six gates of a promotion that passed them all. */
export function passingGates(): IPromotionGate[] {
  return [
    gate({
      name: 'parameters_cell',
      title: 'a cell tagged `parameters` exists',
      reason: 'cell 1 is tagged `parameters`'
    }),
    gate({
      name: 'parameters',
      title: 'typed parameters and supplied values are valid',
      reason: '2 parameters (region: str, limit: int); values valid'
    }),
    gate({
      name: 'validation_run',
      title: 'a validation run in a fresh kernel succeeds',
      reason: 'ran 12 of 12 cells in 3.1 s'
    }),
    gate({
      name: 'required_checks',
      title: "the notebook's required check suites pass",
      reason: '1 required suite passed: sales_quality'
    }),
    gate({
      name: 'grants',
      title: "the job's identity may read every dataset the run read",
      reason: 'svc-reporting may read warehouse.public.sales'
    }),
    gate({
      name: 'approval',
      title: 'approval by a second user',
      reason: 'no approval required'
    })
  ];
}

export function report(
  fields: Partial<IPromotionReport> = {}
): IPromotionReport {
  return {
    job: 'nightly_sales',
    notebook: 'notebooks/nightly_sales.ipynb',
    version: 3,
    status: 'active',
    passed: true,
    identity: 'svc-reporting',
    promoted_by: 'alice',
    digest: 'sha256:9f2c',
    gates: passingGates(),
    parameters: {},
    schedule: {
      kind: 'cron',
      cron: '0 6 * * 1-5',
      timezone: 'Europe/Berlin',
      at: null,
      description: 'At 06:00 AM, Monday through Friday (Europe/Berlin)'
    },
    next_runs: [
      { utc: '2026-11-27T05:00:00+00:00', local: '2026-11-27T06:00:00+01:00' },
      { utc: '2026-11-30T05:00:00+00:00', local: '2026-11-30T06:00:00+01:00' }
    ],
    ...fields
  };
}
