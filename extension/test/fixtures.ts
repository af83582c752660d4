/**
 * Realistic service answers, shaped as the Python side builds them
 * (`alerts.py` alert_dict, `jobs/runs.py` run_dict, `jobs/manage.py`
 * job_dict, `jobs/gates.py` PromotionGate, `runs_query.py`); each builder
 * takes the fields a test cares about.
 */
import {
  Alert,
  JobDetail,
  JobRun,
  JobSpec,
  JobVersion,
  LedgerRun,
  LineageGraph,
  LineageNode,
  NotebookParameter,
  PromotionGate,
  PromotionReport,
  RunSummary
} from '../src/api';

export function alert(fields: Partial<Alert> & Pick<Alert, 'id'>): Alert {
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
export function approvalAlert(id: number, job: string, version: number): Alert {
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

export function jobRun(fields: Partial<JobRun> & Pick<JobRun, 'id'>): JobRun {
  return {
    job: 'nightly_sales',
    job_id: 1,
    version: 3,
    occurrence: '2026-11-26T05:00:00+00:00',
    trigger: 'schedule',
    trigger_words: 'on schedule',
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
    waited_seconds: 1,
    lease_owner: null,
    cancel_requested: false,
    progress: { cells_done: 12, cells_total: 12 },
    output_path: '.aios/jobs/nightly_sales/runs/1/output.ipynb',
    html_path: null,
    log_path: '.aios/jobs/nightly_sales/runs/1/run.log',
    error: null,
    failing_cell: null,
    mlflow_run_id: null,
    ...fields,
    verdict: fields.verdict ?? fields.status ?? 'succeeded',
    checks: fields.checks ?? { total: 0, failed: 0, failed_kinds: [] }
  };
}

/** The spec of a job version as `jobs/spec.py` stores it. */
export function jobSpec(fields: Partial<JobSpec> = {}): JobSpec {
  return {
    name: 'nightly_sales',
    parameters: { region: 'EU' },
    schedule: {
      kind: 'cron',
      cron: '0 6 * * 1-5',
      timezone: 'Europe/Berlin',
      at: null
    },
    timeout_seconds: 3600,
    cell_timeout_seconds: null,
    retries: {
      max: 0,
      backoff_seconds: 60,
      backoff_factor: 2,
      max_backoff_seconds: 3600
    },
    max_concurrent: 1,
    catch_up: { policy: 'skip', max_runs: 1 },
    triggers: { after_success: [], on_monitor_failure: [] },
    notifications: { on: ['failure'], webhooks: [], emails: [] },
    secrets: {},
    retention: { keep_last: null, keep_days: null },
    executor: 'local',
    kernel: 'python3',
    identity: 'svc-reporting',
    approver: null,
    ...fields
  };
}

export function jobDetail(fields: Partial<JobDetail> = {}): JobDetail {
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
    spec: jobSpec(),
    upcoming: [],
    version_status: 'active',
    parameter_schema: null,
    recent_runs: [],
    settings: [
      { section: 'Retries', label: 'Retries', value: 'up to 2 more attempts' },
      {
        section: 'Retries',
        label: 'Wait between attempts',
        value: '60 s, ×2 each time, at most 1 h'
      },
      { section: 'Time limits', label: 'Whole notebook', value: '1 h' },
      {
        section: 'Notifications',
        label: 'On failure',
        value: 'the alert feed and a webhook to hooks.example.com'
      },
      { section: 'Triggers', label: 'Also runs after', value: 'none' }
    ],
    triggered_by_this: [],
    ...fields
  };
}

/** A version of job nightly_sales as `GET jobs/versions` lists it. */
export function jobVersion(
  fields: Partial<JobVersion> & Pick<JobVersion, 'version'>
): JobVersion {
  return {
    job: 'nightly_sales',
    status: 'active',
    digest: 'a'.repeat(64),
    notebook: 'notebooks/nightly_sales.ipynb',
    snapshot_path: '<state>/jobs/snapshots/a.ipynb',
    promoted_by: 'alice',
    promoted_at: '2026-11-20T09:00:00+00:00',
    approved_by: null,
    approved_at: null,
    parameter_schema: null,
    spec: jobSpec(),
    gates: [],
    datasets_read: [],
    current: false,
    changes: [],
    ...fields
  };
}

export function runSummary(
  fields: Partial<RunSummary> & Pick<RunSummary, 'id'>
): RunSummary {
  return {
    name: null,
    label: fields.name ?? fields.id.slice(0, 8),
    withheld: null,
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
  fields: Partial<NotebookParameter> & Pick<NotebookParameter, 'name' | 'type'>
): NotebookParameter {
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
  fields: Partial<PromotionGate> & Pick<PromotionGate, 'name'>
): PromotionGate {
  return {
    title: fields.name,
    passed: true,
    pending: false,
    reason: '',
    detail: {},
    ...fields,
    // the service's verdict (`jobs/gates.py`); given, or the one these fields mean
    verdict:
      fields.verdict ??
      (fields.pending
        ? 'waiting'
        : fields.passed === false
          ? 'failed'
          : 'passed')
  };
}

/** The six gates of a promotion that passed them all. */
export function passingGates(): PromotionGate[] {
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

export function report(fields: Partial<PromotionReport> = {}): PromotionReport {
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
    parameter_schema: null,
    notes: [],
    summary: '6 passed',
    cause: null,
    previous_version: null,
    changes: [],
    ...fields
  };
}

/** A check run as the ledger (`GET checks/history`) returns it. */
export function ledgerRun(
  fields: Partial<LedgerRun> & Pick<LedgerRun, 'id' | 'name'>
): LedgerRun {
  return {
    withheld: null,
    at: '2026-11-26T10:00:00+00:00',
    kind: 'quality',
    status: 'pass',
    passed: true,
    required: false,
    severity: 'fail',
    user: 'alice',
    datasets: [],
    inputs: null,
    params: null,
    items: [],
    error: null,
    duration_s: 0.4,
    notebook: null,
    job_run_id: null,
    mlflow_run_id: null,
    label: fields.name,
    verdict: 'Passed.',
    ...fields
  };
}

/** One direction of `GET lineage`: `dataset` itself and `nodes` around it. */
export function lineageGraph(
  dataset: string,
  direction: LineageGraph['direction'],
  ...nodes: LineageNode[]
): LineageGraph {
  const counts = { by_user: {}, by_job: {}, failed: 0 };
  return {
    dataset,
    direction,
    depth: 2,
    nodes: [
      { id: `dataset:${dataset}`, kind: 'dataset', name: dataset },
      ...nodes
    ],
    edges: nodes.map(node =>
      direction === 'upstream'
        ? { from: node.id, to: `dataset:${dataset}` }
        : { from: `dataset:${dataset}`, to: node.id }
    ),
    truncated: false,
    summary: nodes.length
      ? `${nodes.length} recorded ${direction}.`
      : `Nothing recorded ${direction}.`,
    counts:
      direction === 'upstream'
        ? { ...counts, writes: nodes.length, last_write: null }
        : { ...counts, reads: nodes.length, last_read: null, columns: {} }
  };
}
