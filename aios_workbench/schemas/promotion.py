"""Promotion of a notebook to a job: the request, the six gates' report, parameter schemas, schedule
previews, the job's versions, rollback and approval."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, JsonValue

from aios_workbench.schemas.base import Body, Integer, Moment, NonEmpty, Query, Reply
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.schemas.schedule import Schedule

GateName = Literal["parameters_cell", "parameters", "validation_run", "required_checks", "grants", "approval"]
GateVerdict = Literal["passed", "failed", "not_run", "waiting", "not_required"]


NOTEBOOK_CONTENT = ("The notebook's .ipynb JSON, for a notebook the service cannot read (team mode: it lives in the "
                    "user's own folder; the user's Jupyter server fills it in). Snapshotted as sent; `notebook` then "
                    "only names it (a relative .ipynb path). Omitted: the workspace file at `notebook` is read.")


class PromoteRequest(Body):
    """A notebook to promote (a workspace file, or sent with its content), with its job's options (checked
    again, in full, by the job spec)."""

    example: ClassVar[str] = '{"notebook": "notebooks/NAME.ipynb"}'

    notebook: NonEmpty = Field(description="Workspace-relative path, e.g. notebooks/x.ipynb (with `content`: the "
                                           "notebook's path relative to the user's Jupyter folder).")
    content: dict[str, JsonValue] | None = Field(None, description=NOTEBOOK_CONTENT)
    name: str | None = Field(None, description="The job's name (default: the file stem without leading digits).")
    parameters: dict[str, JsonValue] | None = Field(None, description="Values checked against the parameter schema.")
    cron: str | None = Field(None, description="5-field cron or a preset (@daily); omit for manual runs only.")
    timezone: str | None = Field(None, description="The cron's time zone (default UTC).")
    at: str | None = Field(None, description="ISO time of a one-off run (instead of cron).")
    timeout_seconds: float | None = Field(None, description="Whole-notebook limit (default 3600).")
    cell_timeout_seconds: float | None = None
    retries: Integer | dict[str, Any] | None = Field(
        None, description="A count, or {max, backoff_seconds, backoff_factor, max_backoff_seconds}.")
    notifications: dict[str, Any] | None = Field(None, description="{on: [failure, success, recovery], webhooks, emails}")
    approver: str | None = Field(None, description="A second user who must approve the version.")
    identity: str | None = Field(None, description="A service identity of jobs.service_identities to run as.")
    kernel: str | None = None
    executor: str | None = None
    max_concurrent: Integer | None = None
    catch_up: dict[str, Any] | None = Field(None, description="{policy: skip|once|all, max_runs}")
    triggers: dict[str, Any] | None = Field(None, description="{after_success: [JOB], on_monitor_failure: [MONITOR]}")
    retention: dict[str, Any] | None = Field(None, description="{keep_last, keep_days}")
    secrets: dict[str, str] | None = Field(None, description="Kernel env var -> secret reference (never a value).")
    dry_run: bool = Field(False, description="Only say which version this would make and what it changes against "
                                             "the version the job runs (status planned or unchanged); no gate runs, "
                                             "nothing is stored.")


class NotebookParameter(Reply):
    """One variable of the notebook's `parameters` cell, typed from its annotation or default."""

    name: str
    type: str = Field(description="int, float, str, bool, list, dict or any.")
    nullable: bool
    default: JsonValue
    default_source: str = Field(description="The default as written in the cell.")
    literal: bool = Field(description="False when the default is an expression the notebook computes.")
    annotation: str | None
    help: str


class ParameterSchema(Reply):
    language: str
    kernel: str
    cell_index: int
    inspected: bool = Field(description="False when Papermill cannot read this kernel's defaults back.")
    parameters: list[NotebookParameter]
    problems: list[str]


class Empty(Reply):
    """An empty object (no schema recorded)."""


class PromotionGate(Reply):
    name: GateName
    title: str
    passed: bool
    verdict: GateVerdict = Field(description="passed; failed; not_run (an earlier gate failed: `reason` names it); "
                                             "waiting (for approval); not_required (approval nobody must give).")
    pending: bool = Field(description="approval: passed, but the version waits for a second user.")
    reason: str
    detail: dict[str, Any]


class ScheduleSummary(Schedule):
    description: str = Field(description='In words, e.g. "At 06:00 AM, Monday through Friday (Europe/Berlin)".')


class NextRun(Reply):
    utc: Moment
    local: Moment = Field(description="The same moment in the schedule's time zone.")


class PromotionReport(Reply):
    """Every gate's verdict and, when promoted, the version and its next runs."""

    job: str
    notebook: str
    version: int | None = Field(description="The version stored; unchanged: the one the job runs; planned: the one "
                                            "a promotion would make.")
    status: Literal["active", "pending_approval", "refused", "unchanged", "planned"] = Field(
        description="unchanged: the job's current version has this notebook and these settings (nothing ran or was "
                    "stored); planned: a dry run.")
    passed: bool
    identity: str
    promoted_by: str
    digest: str | None = Field(description="sha256 of the notebook without outputs.")
    gates: list[PromotionGate] = Field(description="Every gate in order; empty when none ran (unchanged, planned).")
    summary: str = Field(description='The verdicts counted, worst first: "1 failed, 3 not run, 2 passed".')
    cause: str | None = Field(description="The first failed gate and its reason (gates not run are not causes).")
    previous_version: int | None = Field(description="The version the job ran before (None: a new job).")
    changes: list[str] = Field(description="What this version changes against `previous_version`, in words.")
    parameter_schema: ParameterSchema | None
    parameters: dict[str, JsonValue]
    schedule: ScheduleSummary | None
    next_runs: list[NextRun]
    notes: list[str] = Field(description="Not gates: things to know (e.g. a trigger naming a job not there yet).")


class PromotionRefusal(PromotionReport):
    """A refused promotion: the report (every gate) and the error's code, message and fix."""

    error: Literal["promotion_refused"]
    message: str
    fix: str


class NotebookQuery(Query):
    path: str = Field(description="Workspace-relative notebook path.")


class NotebookParametersRequest(Body):
    """A notebook whose parameters to read: a workspace file, or sent with its content."""

    example: ClassVar[str] = '{"path": "projects/NAME.ipynb", "content": {"cells": [], "nbformat": 4}}'

    path: NonEmpty = Field(description="Workspace-relative path (with `content`: relative to the user's Jupyter "
                                       "folder; only a name).")
    content: dict[str, JsonValue] | None = Field(None, description=NOTEBOOK_CONTENT)


class CurrentJob(Reply):
    """A job's current definition: what promoting it again starts from."""

    job: str
    version: int = Field(description="The version the job runs.")
    notebook: str
    digest: str | None
    promoted_by: str
    promoted_at: Moment | None
    paused: bool
    schedule: str = Field(description="The schedule in words.")
    spec: JobSpec
    waiting_versions: list[int] = Field(description="Newer versions waiting for approval.")


class NotebookParameters(Reply):
    notebook: str
    digest: str
    kernel: str
    language: str
    required_checks: list[str]
    schema_: ParameterSchema = Field(alias="schema")
    jobs: list[CurrentJob] = Field(description="The jobs this notebook runs as, most recently promoted first.")


class SchedulePreviewQuery(Query):
    cron: str | None = None
    timezone: str = "UTC"
    at: str | None = Field(None, description="ISO time of a one-off run.")
    count: int = Field(5, ge=1, le=50)


class SchedulePreview(Reply):
    schedule: ScheduleSummary
    next_runs: list[NextRun]


class JobNameQuery(Query):
    name: str = Field(description="The job's name.")


class JobVersion(Reply):
    job: str
    version: int
    status: Literal["active", "pending_approval", "rejected", "refused"]
    digest: str
    notebook: str
    snapshot_path: str
    promoted_by: str
    promoted_at: Moment | None
    approved_by: str | None
    approved_at: Moment | None
    parameter_schema: ParameterSchema | Empty | None
    spec: JobSpec
    gates: list[PromotionGate]
    datasets_read: list[str]
    current: bool = Field(description="Whether the job runs this version.")
    changes: list[str] = Field(description="What it changed against the version before it, one sentence each "
                                           "(empty for the first version).")


class JobVersions(Reply):
    job: str
    current_version: int | None
    versions: list[JobVersion] = Field(description="Oldest first.")


class RollbackRequest(Body):
    example: ClassVar[str] = '{"name": "JOB", "version": 1}'

    name: NonEmpty
    version: Integer


class Rollback(Reply):
    job: str
    version: int
    previous_version: int | None
    digest: str
    next_due_at: Moment | None


class JobDecisionRequest(Body):
    example: ClassVar[str] = '{"name": "JOB", "version": 1, "decision": "approve"}'

    name: NonEmpty
    version: Integer
    decision: Literal["approve", "reject"]
    comment: str | None = None


class JobDecision(Reply):
    job: str
    version: int
    decision: Literal["approve", "reject"]
    status: Literal["active", "rejected"]
    user: str
    comment: str
    job_version: int | None = Field(description="The version the job runs now.")
    approved_at: Moment | None
    next_due_at: Moment | None
