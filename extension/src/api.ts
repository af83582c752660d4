/**
 * Friendly names for the REST contract's schemas. The types themselves are
 * generated from the OpenAPI document into src/generated/api.ts
 * (`jlpm generate:api`, run by every build); import them from here, and add
 * an alias here when the document gains a schema.
 */
import type { components } from './generated/api';

type Schemas = components['schemas'];

/**
 * A request body as the extension writes it: the `required` fields of the
 * schema `T` (listed as `K`), and any of its other fields. openapi-typescript
 * generates a field that has a default as required (right for answers, which
 * always carry it, not for bodies, which may leave it out); naming the
 * required keys here still checks every field's name and type against the
 * contract, so a renamed or retyped field breaks the build.
 */
type RequestBody<T, K extends keyof T> = {
  [P in keyof T as P extends K ? P : never]: T[P];
} & { [P in keyof T as P extends K ? never : P]?: T[P] };

/** The JSON body of every error answer: a code, what went wrong, the fix. */
export type ApiError = Schemas['ErrorBody'];

/** A dataset of the catalog, with its columns. */
export type Dataset = Schemas['Dataset'];

/** `GET catalog`: the datasets the caller may read. */
export type DatasetList = Schemas['DatasetList'];

/** A column of a {@link Dataset}. */
export type DatasetColumn = Schemas['DatasetColumn'];

/** `GET status`: version, workspace, metadata store and connector health. */
export type Status = Schemas['Status'];

/** Health of the metadata store (`Status.store`). */
export type StoreStatus = Status['store'];

/** Health of one data connector (`Status.connectors`). */
export type ConnectorStatus = Status['connectors'][number];

// -- catalog: search, preview, profile, lineage, explain, write (aios_workbench/schemas/catalog.py) --

/** `GET catalog/search`: the hits, best first. */
export type SearchHits = Schemas['SearchHits'];

/** One hit of {@link SearchHits}. */
export type SearchHit = Schemas['SearchHit'];

/** `GET catalog/dataset`: grant, masks per column and row filter for the caller. */
export type DatasetView = Schemas['DatasetView'];

/** A column of a {@link DatasetView}: its mask for the caller and the rule that masks it. */
export type ExplainedColumn = Schemas['ExplainedColumn'];

/** `GET catalog/preview`: one masked, filtered page (keyset paged by `next_cursor`). */
export type PreviewPage = Schemas['PreviewPage'];

/** A column of a {@link PreviewPage}, typed as the caller sees it. */
export type PreviewColumn = Schemas['PreviewColumn'];

/** `GET catalog/profile`: row count and per-column statistics as the caller sees them. */
export type DatasetProfile = Schemas['DatasetProfile'];

/** One column of a {@link DatasetProfile}: statistics, or `masked: true` and nothing else. */
export type ColumnProfile = DatasetProfile['columns'][number];

/** One bin of a column's histogram (`low`, `high` as JSON values). */
export type HistogramBin = Schemas['HistogramBin'];

/** `GET lineage`: upstream and downstream graphs of a dataset. */
export type Lineage = Schemas['Lineage'];

/** One direction of a {@link Lineage}. */
export type LineageGraph = Schemas['LineageGraph'];

/** A node of a {@link LineageGraph}: a dataset, or a job (notebook, person) that read or wrote it. */
export type LineageNode = LineageGraph['nodes'][number];

/** `POST datasets/write`: what was written. */
export type WriteResult = Schemas['WriteResult'];

/** `GET audit`: one record of the audit log. */
export type AuditRecord = Schemas['AuditRecord'];

// -- checks (aios_workbench/schemas/checks.py) --

/** `POST checks/run`: a check to run as the caller. */
export type RunCheckRequest = RequestBody<Schemas['RunCheckRequest'], 'kind'>;

/** One check's outcome with its ledger id. */
export type CheckResult = Schemas['CheckResult'];

/** One assertion inside a {@link CheckResult} or {@link LedgerRun}. */
export type CheckItem = Schemas['CheckItem'];

/** `GET checks/history`: ledger runs, newest first. */
export type LedgerRuns = Schemas['LedgerRuns'];

/** A check run as the ledger keeps it. */
export type LedgerRun = Schemas['LedgerRun'];

/** `GET checks/suites`: the declared suites and monitors. */
export type CheckSuites = Schemas['CheckSuites'];

// -- models and experiment runs (schemas/models.py, schemas/runs.py) --

/** `GET models`, `GET models/version`: a registered version with its gates. */
export type ModelVersion = Schemas['ModelVersion'];

/** `GET runs`: one page of run summaries. */
export type RunsPage = Schemas['RunsPage'];

/** One MLflow run as a table row. */
export type RunSummary = Schemas['RunSummary'];

/** A dataset a {@link RunSummary} read, as MLflow logged it. */
export type RunDataset = Schemas['RunDataset'];

/** The checks logged on a {@link RunSummary}. */
export type RunChecks = Schemas['RunChecks'];

/** `GET runs/compare`: parameters that differ, metric histories. */
export type RunComparison = Schemas['RunComparison'];

// -- promotion (schemas/promotion.py) --

/** `POST jobs/promote`: the notebook and the job's options. */
export type PromoteRequest = RequestBody<Schemas['PromoteRequest'], 'notebook'>;

/** `POST jobs/promote`: every gate's verdict (the 422 answer adds error, message, fix). */
export type PromotionReport = Schemas['PromotionReport'];

/** A refused promotion: the report and the error. */
export type PromotionRefusal = Schemas['PromotionRefusal'];

/** One of the six promotion gates. */
export type PromotionGate = Schemas['PromotionGate'];

/** `GET notebooks/parameters`: the typed parameters of a notebook. */
export type NotebookParameters = Schemas['NotebookParameters'];

/** The parameter schema of a notebook or job version. */
export type ParameterSchema = Schemas['ParameterSchema'];

/** One typed parameter of a {@link ParameterSchema}. */
export type NotebookParameter = Schemas['NotebookParameter'];

/** `GET schedule/preview`: the schedule in words and its next runs. */
export type SchedulePreview = Schemas['SchedulePreview'];

/** A normalised schedule and its description in words. */
export type ScheduleSummary = Schemas['ScheduleSummary'];

/** One occurrence of a schedule: UTC and the schedule's zone, both ISO 8601. */
export type NextRun = Schemas['NextRun'];

/** `GET jobs/versions`: every version of a job. */
export type JobVersions = Schemas['JobVersions'];

/** One version of {@link JobVersions}, with what it changed against the one before. */
export type JobVersion = Schemas['JobVersion'];

/** `POST jobs/rollback`: the job back on an earlier version. */
export type RollbackRequest = RequestBody<
  Schemas['RollbackRequest'],
  'name' | 'version'
>;

/** `POST jobs/rollback`: the version the job runs now and the one before. */
export type Rollback = Schemas['Rollback'];

/** `POST jobs/approval`: approve or reject a version waiting for approval. */
export type JobDecisionRequest = RequestBody<
  Schemas['JobDecisionRequest'],
  'name' | 'version' | 'decision'
>;

/** `POST jobs/approval`: the decision on a pending version. */
export type JobDecision = Schemas['JobDecision'];

// -- jobs, job runs, alerts (schemas/jobs.py, schemas/alerts.py) --

/** `GET jobs`: every job. */
export type JobList = Schemas['JobList'];

/** One job with its schedule, next run and last run (also `POST jobs/pause`, `jobs/resume`). */
export type Job = Schemas['Job'];

/** A job's latest run, as {@link Job} shows it. */
export type LastRun = Schemas['LastRun'];

/** `GET jobs/job`: one job with its spec, upcoming runs and recent runs. */
export type JobDetail = Schemas['JobDetail'];

/** One of a job's settings in words (`JobDetail.settings`). */
export type JobSetting = Schemas['JobSetting'];

/** `DELETE jobs/job`: what deleting a job removed. */
export type JobDeleted = Schemas['JobDeleted'];

/** A job's spec as stored (`JobDetail.spec`). */
export type JobSpec = Schemas['JobSpec'];

/** A job run: status, progress, timings, paths. */
export type JobRun = Schemas['JobRun'];

/** Where a failed run's notebook raised (`JobRun.failing_cell`). */
export type FailingCell = Schemas['FailingCell'];

/** `POST jobs/pause`, `jobs/resume`: the job to act on. */
export type JobNameRequest = RequestBody<Schemas['JobNameRequest'], 'name'>;

/** `POST jobs/run`: a manual run now, with parameter overrides. */
export type RunJobRequest = RequestBody<Schemas['RunJobRequest'], 'name'>;

/** `POST jobs/runs/cancel`, `jobs/runs/rerun`: the run to act on. */
export type RunIdRequest = RequestBody<Schemas['RunIdRequest'], 'id'>;

/** `GET jobs/history`: a page of a job's runs. */
export type JobRunPage = Schemas['JobRunPage'];

/** `GET jobs/runs/log`: the last lines of a run's log. */
export type RunLog = Schemas['RunLog'];

/** `GET alerts`: a page of the alert feed with its counts. */
export type AlertPage = Schemas['AlertPage'];

/** One alert of the feed. */
export type Alert = Schemas['Alert'];

/** Open and acknowledged alerts (the sidebar's badge). */
export type AlertCounts = Schemas['AlertCounts'];

/** `POST alerts/ack`: the alert to acknowledge. */
export type AcknowledgeRequest = RequestBody<
  Schemas['AcknowledgeRequest'],
  'id'
>;

/** A proposed action (e-mail, webhook call, job run) as the caller may see it. */
export type ProposedAction = Schemas['Action'];

/** `POST actions/approve`: approve (optionally with an edited payload); executes it once. */
export type ApproveActionRequest = RequestBody<Schemas['ApproveRequest'], 'id'>;

/** `POST actions/reject`: reject with a reason. */
export type RejectActionRequest = RequestBody<
  Schemas['RejectRequest'],
  'id' | 'reason'
>;

/** A published decision app, as listed (`GET apps`). */
export type AppSummary = Schemas['AppSummary'];

/** One app with its form as the caller fills it (`GET apps/app?name=`). */
export type AppDetail = Schemas['AppDetail'];

/** One input of an app's form. */
export type AppField = Schemas['AppField'];

/** A run of an app as the caller: its page (HTML for a sandboxed frame), timing, cache. */
export type AppRunResult = Schemas['AppRunResult'];

/** `POST apps/run`. */
export type RunAppRequest = RequestBody<Schemas['RunAppRequest'], 'name'>;
