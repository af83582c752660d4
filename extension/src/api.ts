/**
 * Friendly names for the REST contract's schemas. The types themselves are
 * generated from the OpenAPI document into src/generated/api.ts
 * (`jlpm generate:api`, run by every build); import them from here, and add
 * an alias here when the document gains a schema.
 */
import type { components } from './generated/api';

type Schemas = components['schemas'];

/** The JSON body of every error answer: a code, what went wrong, the fix. */
export type ApiError = Schemas['ErrorBody'];

/** A dataset of the catalog, with its columns. */
export type Dataset = Schemas['Dataset'];

/** A column of a {@link Dataset}. */
export type DatasetColumn = NonNullable<Dataset['columns']>[number];

/** `GET status`: version, workspace, metadata store and connector health. */
export type Status = Schemas['Status'];

/** Health of the metadata store (`Status.store`). */
export type StoreStatus = Status['store'];

/** Health of one data connector (`Status.connectors`). */
export type ConnectorStatus = Status['connectors'][number];

// -- catalog: search, preview, profile, lineage, explain, write (aios_workbench/schemas/catalog.py) --

/** `GET catalog/search`: one hit, best first. */
export type SearchHit = Schemas['SearchHit'];

/** `GET catalog/dataset`: grant, masks per column and row filter for the caller. */
export type DatasetView = Schemas['DatasetView'];

/** `GET catalog/preview`: one masked, filtered page (keyset paged by `next_cursor`). */
export type PreviewPage = Schemas['PreviewPage'];

/** `GET catalog/profile`: row count and per-column statistics as the caller sees them. */
export type DatasetProfile = Schemas['DatasetProfile'];

/** One column of a {@link DatasetProfile}: statistics, or `masked: true` and nothing else. */
export type ColumnProfile = DatasetProfile['columns'][number];

/** `GET lineage`: upstream and downstream graphs of a dataset. */
export type Lineage = Schemas['Lineage'];

/** One direction of a {@link Lineage}. */
export type LineageGraph = Schemas['LineageGraph'];

/** `POST datasets/write`: what was written. */
export type WriteResult = Schemas['WriteResult'];

/** `GET audit`: one record of the audit log. */
export type AuditRecord = Schemas['AuditRecord'];

// -- checks (aios_workbench/schemas/checks.py) --

/** `POST checks/run`: a check to run as the caller. */
export type RunCheckRequest = Schemas['RunCheckRequest'];

/** One check's outcome with its ledger id. */
export type CheckResult = Schemas['CheckResult'];

/** One assertion inside a {@link CheckResult} or {@link LedgerRun}. */
export type CheckItem = Schemas['CheckItem'];

/** `GET checks/history`: a check run as the ledger keeps it. */
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

/** `GET runs/compare`: parameters that differ, metric histories. */
export type RunComparison = Schemas['RunComparison'];

// -- promotion (schemas/promotion.py) --

/** `POST jobs/promote`: the notebook and the job's options. */
export type PromoteRequest = Schemas['PromoteRequest'];

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

/** `GET jobs/versions`: every version of a job. */
export type JobVersions = Schemas['JobVersions'];

/** `POST jobs/approval`: the decision on a pending version. */
export type JobDecision = Schemas['JobDecision'];

// -- jobs, job runs, alerts (schemas/jobs.py, schemas/alerts.py) --

/** `GET jobs`: one job with its schedule, next run and last run. */
export type Job = Schemas['Job'];

/** `GET jobs/job`: one job with its spec, upcoming runs and recent runs. */
export type JobDetail = Schemas['JobDetail'];

/** A job run: status, progress, timings, paths. */
export type JobRun = Schemas['JobRun'];

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
