"""What the workbench persists: catalog, audit index, jobs and their runs, alerts, the check ledger.

Tables are added by migrations (store/migrations/versions); this module is the
current shape, used by the code and checked against the migrations by a test.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aios_workbench.store.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Dataset(Base):
    """A dataset found by a catalog scan: source > schema > dataset."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("source", "schema_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(128), index=True)
    schema_name: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32), default="table")
    description: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DatasetColumn(Base):
    __tablename__ = "dataset_columns"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    data_type: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer)
    classifications: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")   # the source's comment


class AuditEvent(Base):
    """Index of the tamper-evident audit log: each event chains the previous hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(128), index=True)
    surface: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512), default="")
    allowed: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditCheckpoint(Base):
    """A signed checkpoint of the audit chain (`audit/witness.py`): record `last_id` had `last_hash` and the
    log held `count` records at `at`. The same checkpoint is appended to the witness file outside the state
    folder; `signature` is an HMAC-SHA256 with a key kept beside that file, never here."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128))
    last_id: Mapped[int] = mapped_column(Integer, index=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))


class Job(Base):
    """A promoted notebook: its current version and how it is scheduled.

    `spec` is a `schemas.job_spec.JobSpec` as JSON (parameters, schedule, timeouts, retries, ...).
    `next_due_at` is the next schedule occurrence not yet enqueued (NULL: nothing scheduled)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    notebook: Mapped[str] = mapped_column(String(1024))
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    identity: Mapped[str] = mapped_column(String(128))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobVersion(Base):
    """One promotion: a content-addressed notebook snapshot, its parameter schema and its gate verdicts.

    `status`: active (promoted, the job may run it), pending_approval, refused (a gate failed)."""

    __tablename__ = "job_versions"
    __table_args__ = (UniqueConstraint("job_name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    notebook: Mapped[str] = mapped_column(String(1024))
    snapshot_path: Mapped[str] = mapped_column(String(1024))
    parameter_schema: Mapped[dict] = mapped_column(JSON, default=dict)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    gates: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(24))
    datasets_read: Mapped[list] = mapped_column(JSON, default=list)
    promoted_by: Mapped[str] = mapped_column(String(128))
    promoted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobRun(Base):
    """One execution attempt of a job.

    `occurrence` is the schedule slot it fills (NULL for manual and triggered runs); the unique
    (job_id, occurrence, attempt) key is what stops two schedulers enqueuing one slot twice, and
    `lease_owner`/`lease_until` what stops two of them executing one run twice.
    status: queued, running, succeeded, failed, timed_out, cancelled."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job_id", "occurrence", "attempt"),
        Index("ix_job_runs_job_id_id", "job_id", "id"),
        Index("ix_job_runs_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    occurrence: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    trigger: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    retry_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(128))
    executor: Mapped[str] = mapped_column(String(32), default="local")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    cells_done: Mapped[int] = mapped_column(Integer, default=0)
    cells_total: Mapped[int] = mapped_column(Integer, default=0)
    output_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    html_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    log_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failing_cell: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Alert(Base):
    """An item of the attention feed (failed run, failed monitor, pending approval).

    `key` groups repeats of one problem (e.g. "job:nightly"): a new failure while an alert with the
    same key is open bumps `count` instead of adding a row; a recovery resolves it.
    state: open, acknowledged, resolved."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    key: Mapped[str] = mapped_column(String(256), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    title: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CheckRun(Base):
    """One governance check run in the ledger: what ran, on which inputs, as whom, and its per-item results.

    Append-only: rows are never updated. `job_run_id` is a plain column, not a foreign key, so the
    ledger keeps its history when old job runs are pruned."""

    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    severity: Mapped[str] = mapped_column(String(16), default="fail")
    user: Mapped[str] = mapped_column(String(128), index=True)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    items: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    notebook: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    job_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    __table_args__ = (Index("ix_check_runs_name_id", "name", "id"), Index("ix_check_runs_kind_id", "kind", "id"))


class CheckRunDataset(Base):
    """Which datasets a check run read: one row each, keyed for "history of this dataset, newest first"."""

    __tablename__ = "check_run_datasets"
    __table_args__ = (Index("ix_check_run_datasets_dataset_run", "dataset", "check_run_id"),)

    check_run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id", ondelete="CASCADE"), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(512), primary_key=True)


class ColumnTag(Base):
    """A classification a dataset's column has earned: found by a scan, inherited through column lineage by a
    write, or assumed for a written column whose lineage is unknown. Tags only grow: a rescan or a later write
    never drops one; only a steward removes it (`state` "removed", who, when and why).

    Keyed by names, not by `datasets.id`: a dataset that disappears and comes back keeps its tags."""

    __tablename__ = "column_tags"
    __table_args__ = (UniqueConstraint("source", "schema_name", "dataset", "column", "tag"),
                      Index("ix_column_tags_dataset", "source", "schema_name", "dataset"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(128))
    schema_name: Mapped[str] = mapped_column(String(128))
    dataset: Mapped[str] = mapped_column(String(256))
    column: Mapped[str] = mapped_column(String(256))
    tag: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="active")     # active | removed
    origin: Mapped[str] = mapped_column(String(16))                      # scan | lineage | unverified
    detail: Mapped[str] = mapped_column(Text, default="")                # where it came from, in words
    inputs: Mapped[list] = mapped_column(JSON, default=list)             # source.schema.dataset.column it came from
    earned_by: Mapped[str] = mapped_column(String(128), default="")
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class DatasetOwner(Base):
    """Who first created a dataset of a `datasets` source: the one user (besides stewards and explicit
    grants) who may replace or append to it."""

    __tablename__ = "dataset_owners"
    __table_args__ = (UniqueConstraint("source", "schema_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(128))
    schema_name: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    owner: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProposedAction(Base):
    """An action with a side effect (an e-mail, a webhook, a job run) proposed by a person, a job or an agent,
    waiting for a person with the approver role to approve or reject it; executed at most once, after approval.

    state: pending -> executing -> executed | failed; pending -> rejected | expired. `payload` is what was
    proposed, `approved_payload` what was approved (an approver may edit it first)."""

    __tablename__ = "proposed_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    sources: Mapped[dict] = mapped_column(JSON, default=dict)       # payload field -> source.schema.dataset.column
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    proposed_by: Mapped[str] = mapped_column(String(128), index=True)
    proposed_via: Mapped[str] = mapped_column(String(64), default="api")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    approved_payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class App(Base):
    """A promoted job published as a decision app: whoever opens it runs its current version as themselves."""

    __tablename__ = "apps"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)     # the job's name
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
