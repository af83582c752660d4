"""Jobs and their runs: list, show, run now, pause, resume, delete; history, status, log, output, cancel."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, JsonValue

from aios_workbench.schemas.base import Body, Id, Moment, NonEmpty, Query, Raw, Reply
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.schemas.promotion import Empty, ParameterSchema

RunStatus = Literal["queued", "running", "succeeded", "failed", "timed_out", "cancelled"]
RunVerdict = Literal["queued", "running", "succeeded", "checks_failed", "failed", "timed_out", "cancelled"]
VERDICT = Field(description="The run's outcome as surfaces show it: its status, except `checks_failed` when the "
                            "notebook succeeded while checks it recorded failed (jobs/verdicts.py decides it).")

RUN_OUTPUT = Raw(("text/html", "application/x-ipynb+json"),
                 "The executed notebook: sandboxed HTML (no scripts, its own origin) or the notebook file.")


class JobRunChecks(Reply):
    """The checks a job run recorded in the ledger: how many, how many failed (fail or error), of which kinds."""

    total: int
    failed: int
    failed_kinds: list[str] = Field(description="quality, drift, fairness, explain or monitor, each once.")


class LastRun(Reply):
    id: int
    status: RunStatus
    verdict: RunVerdict = VERDICT
    checks: JobRunChecks
    started_at: Moment | None
    finished_at: Moment | None
    trigger: str


class Job(Reply):
    """A job with its schedule in words, next run, paused flag and last run."""

    name: str
    notebook: str
    version: int
    identity: str
    created_by: str
    created_at: Moment | None
    updated_at: Moment | None
    paused: bool
    schedule: str = Field(description='In words, e.g. "At 07:30 AM (UTC)"; "invalid spec: ..." when broken.')
    schedule_kind: Literal["cron", "once", "manual"] | None
    executor: str | None
    next_run: Moment | None
    last_run: LastRun | None
    can_control: bool | None = Field(None, description="Whether the caller may run, pause or delete it.")


class JobList(Reply):
    jobs: list[Job]


class Progress(Reply):
    cells_done: int
    cells_total: int


class FailingCell(Reply):
    index: int = Field(description="The cell's index as the author wrote the notebook.")
    output_index: int
    execution_count: int | None
    source: str
    ename: str | None
    evalue: str | None
    traceback: str


class JobRun(Reply):
    """A run with its progress, timings and workspace-relative paths; errors, failing cell and paths only
    for those who may control the job."""

    id: int
    job: str | None
    job_id: int
    version: int
    occurrence: Moment | None = Field(description="The scheduled time it runs for (null for manual runs).")
    trigger: str = Field(description="schedule, manual, retry, rerun:RUN, after:JOB, monitor:NAME, ...")
    trigger_words: str = Field(description='How it started, in words: "on schedule", "re-run of run 12", '
                                           '"after job etl succeeded, attempt 2".')
    attempt: int
    retry_of: int | None
    status: RunStatus
    verdict: RunVerdict = VERDICT
    checks: JobRunChecks
    parameters: dict[str, JsonValue]
    requested_by: str | None
    executor: str
    created_at: Moment | None
    not_before: Moment | None
    started_at: Moment | None
    finished_at: Moment | None
    duration_seconds: float | None
    waited_seconds: float | None
    lease_owner: str | None
    cancel_requested: bool
    progress: Progress
    output_path: str | None
    html_path: str | None
    log_path: str | None
    error: str | None
    failing_cell: FailingCell | None
    mlflow_run_id: str | None


class JobSetting(Reply):
    """One of a job's settings in words, e.g. {section: Retries, label: Wait between attempts,
    value: "30 s, ×2 each time, at most 1 h"}. Webhooks are named by their host only."""

    section: Literal["Retries", "Time limits", "Notifications", "Triggers", "Running"]
    label: str
    value: str


class JobDetail(Job):
    """One job with its spec, next five occurrences, parameter schema, its settings in words and latest runs.
    Webhook URLs in `spec` keep their path (it may hold a token) only for those who may control the job."""

    recent_runs: list[JobRun]
    settings: list[JobSetting]
    triggered_by_this: list[str] = Field(description="Jobs that run after this one succeeds.")
    spec: JobSpec
    upcoming: list[Moment]
    version_status: Literal["active", "pending_approval", "rejected", "refused"] | None
    can_control: bool = Field(description="Whether the caller may run, pause or delete it.")
    parameter_schema: ParameterSchema | Empty | None


class JobDeleted(Reply):
    job: str
    deleted: Literal[True]
    runs_deleted: int
    cancelled: int = Field(description="Queued and running runs that were stopped.")


class JobNameRequest(Body):
    example: ClassVar[str] = '{"name": "JOB"}'

    name: NonEmpty = Field(description="The job's name.")


class RunJobRequest(JobNameRequest):
    parameters: dict[str, JsonValue] | None = Field(
        None, description="Overrides checked against the version's parameter schema.")
    parameters_as_text: bool = Field(
        False, description="The overrides are text typed on a command line (`aios jobs run -p n=5`): each is "
                           "converted by its parameter's declared type, as the local CLI does.")


class HistoryQuery(Query):
    name: str
    limit: int = Field(50, ge=1, le=500)
    before_id: int | None = Field(None, ge=1, description="Keyset paging: the last id seen.")


class RunsQuery(Query):
    job: str | None = Field(None, description="Only this job's runs.")
    status: RunVerdict | None = Field(None, description="Only runs with this verdict (checks_failed included).")
    limit: int = Field(50, ge=1, le=500)
    before_id: int | None = Field(None, ge=1, description="Keyset paging: the last id seen.")


class JobRunPage(Reply):
    runs: list[JobRun] = Field(description="Newest first.")
    next_before_id: int | None


class RunQuery(Query):
    id: int = Field(ge=1)


class RunLogQuery(RunQuery):
    tail: int = Field(200, ge=1, le=100_000)


class RunOutputQuery(RunQuery):
    format: Literal["html", "ipynb"] = "html"


class RunLog(Reply):
    id: int
    status: RunStatus
    progress: Progress
    lines: list[str]


class RunIdRequest(Body):
    example: ClassVar[str] = '{"id": RUN_ID}'

    id: Id = Field(description="The run's id.")
