"""The run ledger: job runs in the metadata store, from queued to a final status.

Every step that two scheduler replicas could race on is a single conditional write:
- an occurrence is enqueued under the unique (job_id, occurrence, attempt) key, so a second insert of
  the same slot fails with an IntegrityError, which `insert_unique` swallows (and nothing else);
- a queued run is claimed by `UPDATE ... WHERE status='queued'` checking the row count (PostgreSQL also
  picks candidates with `FOR UPDATE SKIP LOCKED`; SQLite's `BEGIN IMMEDIATE` serialises writers);
- a result is written only while the row is still 'running', so whoever declares a run lost first wins.

A finished run keeps its `lease_until` until its follow-ups (retry, triggers, alert, notifications) are
taken by `take_followups`, which clears it: follow-ups of a scheduler that died after the run finished
are picked up by another (`orphaned_followups`), and never done twice.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from aios_workbench.core.errors import ConfigError, NotFound, UsageError
from aios_workbench.jobs.wording import trigger_words
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.store.models import Job, JobRun, JobVersion

TERMINAL = ("succeeded", "failed", "timed_out", "cancelled")
FAILED = ("failed", "timed_out")
STATUSES = ("queued", "running", *TERMINAL)
MAX_LIMIT = 500
CLAIM_LOCK = 7_400_001  # PostgreSQL advisory lock id serialising claims (exact concurrency caps)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """A stored moment (aware UTC, see `store.types.UTCDateTime`) as ISO 8601; None stays None."""
    return moment.isoformat() if moment else None


def positive_id(value, what: str = "run") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise UsageError(f"a {what} id is a positive whole number, got {value!r}", input=str(value),
                         fix="use an id from `aios jobs history NAME`" if what == "run" else "use a listed id")
    return number


def check_limit(limit) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}",
                         fix="pass e.g. limit=50 and page with before_id", input=str(limit))
    return limit


def spec_of(job: Job) -> JobSpec:
    """The job's spec; a stored spec that no longer validates is a config error naming the job."""
    try:
        return JobSpec.model_validate(job.spec or {"name": job.name})
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError, or a UsageError from Schedule
        raise ConfigError(f"the stored spec of job {job.name!r} is invalid: {str(exc).splitlines()[0]}",
                          fix=f"promote the job again (`aios promote {job.notebook} --name {job.name}`)",
                          input=job.name) from None


# -- reading ------------------------------------------------------------------------------------------
def run_dict(run: JobRun, job_name: str | None) -> dict:
    """A run as the CLI, REST API and UIs show it (absolute paths; the REST layer relativises them)."""
    started, finished = run.started_at, run.finished_at
    end = finished or (now() if run.status == "running" else None)
    return {
        "id": run.id, "job": job_name, "job_id": run.job_id, "version": run.version,
        "occurrence": iso(run.occurrence), "trigger": run.trigger,
        "trigger_words": trigger_words(run.trigger, attempt=run.attempt or 1), "attempt": run.attempt,
        "retry_of": run.retry_of, "status": run.status, "parameters": run.parameters or {},
        "requested_by": run.requested_by, "executor": run.executor, "created_at": iso(run.created_at),
        "not_before": iso(run.not_before), "started_at": iso(started), "finished_at": iso(finished),
        "duration_seconds": round((end - started).total_seconds(), 3) if started and end else None,
        "waited_seconds": round((started - run.not_before).total_seconds(), 3) if started else None,
        "lease_owner": run.lease_owner, "cancel_requested": bool(run.cancel_requested),
        "progress": {"cells_done": run.cells_done or 0, "cells_total": run.cells_total or 0},
        "output_path": run.output_path, "html_path": run.html_path, "log_path": run.log_path,
        "error": run.error, "failing_cell": run.failing_cell, "mlflow_run_id": run.mlflow_run_id,
    }


def get_run(session, run_id) -> JobRun:
    run = session.get(JobRun, positive_id(run_id))
    if run is None:
        raise NotFound(f"there is no job run {run_id}", input=str(run_id),
                       fix="list a job's runs with `aios jobs history NAME` (or GET jobs/history?name=)")
    return run


def show(store, run_id) -> dict:
    """One run with its progress, timings, paths and failing cell."""
    with store.session() as session:
        run = get_run(session, run_id)
        return run_dict(run, session.get(Job, run.job_id).name)


def history(store, *, job_id: int | None = None, status: str | None = None, limit: int = 50,
            before_id: int | None = None) -> list[dict]:
    """Runs newest first (of one job, or across jobs); keyset paging: pass the last id as `before_id`."""
    check_limit(limit)
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown run status {status!r}", fix=f"use one of {', '.join(STATUSES)}", input=status)
    query = select(JobRun, Job.name).join(Job, Job.id == JobRun.job_id).order_by(JobRun.id.desc()).limit(limit)
    if job_id is not None:
        query = query.where(JobRun.job_id == job_id)
    if status is not None:
        query = query.where(JobRun.status == status)
    if before_id is not None:
        query = query.where(JobRun.id < positive_id(before_id))
    with store.session() as session:
        return [run_dict(run, name) for run, name in session.execute(query)]


# -- writing ------------------------------------------------------------------------------------------
def new_run(job: Job, *, trigger: str, parameters: dict, requested_by: str, executor: str,
            occurrence: datetime | None = None, attempt: int = 1, retry_of: int | None = None,
            not_before: datetime | None = None, version: int | None = None) -> JobRun:
    moment = now()
    return JobRun(job_id=job.id, version=version or job.version, occurrence=occurrence, trigger=trigger,
                  attempt=attempt, retry_of=retry_of, status="queued", parameters=dict(parameters),
                  requested_by=requested_by, executor=executor, created_at=moment,
                  not_before=not_before or moment, cancel_requested=False, cells_done=0, cells_total=0)


def insert_unique(session, run: JobRun) -> bool:
    """Add `run` inside a savepoint; False when its (job, occurrence, attempt) slot is already taken
    (another scheduler replica enqueued it). Any other integrity error propagates."""
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
        return True
    except IntegrityError:
        if run.occurrence is not None and session.scalar(
                select(func.count()).select_from(JobRun).where(
                    JobRun.job_id == run.job_id, JobRun.occurrence == run.occurrence,
                    JobRun.attempt == run.attempt)):
            return False
        raise


def enqueue(store, job_id: int, **run_fields) -> int | None:
    """Insert one queued run for job `job_id`; its id, or None when its occurrence slot was taken."""
    with store.session() as session, session.begin():
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"there is no job with id {job_id}", input=str(job_id), fix="list jobs with `aios jobs ls`")
        run = new_run(job, **run_fields)
        return run.id if insert_unique(session, run) else None


@dataclass(frozen=True)
class ClaimedRun:
    run_id: int
    job_id: int
    executor: str
    late_seconds: float  # started_at - not_before: how long after it was due the run started


def claim(store, owner: str, *, lease_seconds: float, max_running: int, free_slots, caps: dict[int, int],
          moment: datetime | None = None) -> list[ClaimedRun]:
    """Claim queued runs whose `not_before` has passed, oldest first, setting them running under a lease.

    At most `max_running` runs are running across the whole store afterwards, at most `caps[job_id]`
    per job (default 1), and at most `free_slots(executor_name)` per executor of this scheduler."""
    moment = moment or now()
    postgres = store.backend == "postgresql"
    with store.session() as session, session.begin():
        if postgres:  # serialise claimers so the global and per-job caps are exact across replicas
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
        running = dict(session.execute(select(JobRun.job_id, func.count()).where(JobRun.status == "running")
                                       .group_by(JobRun.job_id)).all())
        room = max_running - sum(running.values())
        if room <= 0:
            return []
        query = (select(JobRun.id, JobRun.job_id, JobRun.executor, JobRun.not_before)
                 .where(JobRun.status == "queued", JobRun.not_before <= moment)
                 .order_by(JobRun.not_before, JobRun.id).limit(room * 4 + 16))
        if postgres:
            query = query.with_for_update(skip_locked=True)
        slots: dict[str, int] = {}
        claimed: list[ClaimedRun] = []
        for run_id, job_id, executor, not_before in session.execute(query).all():
            if len(claimed) >= room:
                break
            if running.get(job_id, 0) >= caps.get(job_id, 1):
                continue
            if executor not in slots:
                slots[executor] = free_slots(executor)
            if slots[executor] <= 0:
                continue
            started = now()
            won = session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "queued").values(
                status="running", started_at=started, lease_owner=owner,
                lease_until=started + timedelta(seconds=lease_seconds))).rowcount
            if won == 1:
                claimed.append(ClaimedRun(run_id, job_id, executor, (started - not_before).total_seconds()))
                running[job_id] = running.get(job_id, 0) + 1
                slots[executor] -= 1
        return claimed


def renew(store, owner: str, run_ids, lease_seconds: float) -> set[int]:
    """Extend the leases of `owner`'s running runs; the ids it still holds (a run declared lost by
    another scheduler, cancelled or deleted is no longer among them)."""
    ids = list(run_ids)
    if not ids:
        return set()
    with store.session() as session, session.begin():
        session.execute(update(JobRun).where(JobRun.id.in_(ids), JobRun.lease_owner == owner,
                                             JobRun.status == "running")
                        .values(lease_until=now() + timedelta(seconds=lease_seconds)))
        held = session.scalars(select(JobRun.id).where(JobRun.id.in_(ids), JobRun.lease_owner == owner,
                                                       JobRun.status == "running"))
        return set(held)


def finish(store, run_id: int, status: str, *, error: str | None = None) -> bool:
    """Record a final status for a run that is still 'running'; False if something else finished it."""
    if status not in TERMINAL:
        raise ValueError(f"not a final status: {status}")
    with store.session() as session, session.begin():
        return session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
                               .values(status=status, finished_at=now(), error=error)).rowcount == 1


def take_followups(session, run_id: int) -> JobRun | None:
    """Take the follow-ups of a finished run (exactly one caller gets the run back)."""
    won = session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status.in_(TERMINAL),
                                               JobRun.lease_until.is_not(None)).values(lease_until=None)).rowcount
    return session.get(JobRun, run_id) if won == 1 else None


def expired_leases(store, moment: datetime, *, owner: str | None = None) -> list[tuple[int, str]]:
    """Running runs whose lease expired (their scheduler stopped renewing it), plus, with `owner`,
    every running run of that owner (this scheduler's previous life): (run id, lease owner)."""
    condition = JobRun.lease_until < moment
    if owner is not None:
        condition = condition | (JobRun.lease_owner == owner)
    with store.session() as session:
        return [(i, o or "?") for i, o in session.execute(
            select(JobRun.id, JobRun.lease_owner).where(JobRun.status == "running", condition))]


def orphaned_followups(store, moment: datetime, *, owner: str | None = None, window_days: float = 2) -> list[int]:
    """Finished runs whose follow-ups were never taken and whose scheduler is gone (lease expired,
    or `owner`'s previous life). Runs older than `window_days` are not looked at (the scan stays cheap)."""
    condition = JobRun.lease_until < moment
    if owner is not None:
        condition = condition | (JobRun.lease_owner == owner)
    with store.session() as session:
        return list(session.scalars(select(JobRun.id).where(
            JobRun.status.in_(TERMINAL), JobRun.not_before > moment - timedelta(days=window_days),
            JobRun.lease_until.is_not(None), condition)))


def request_cancel(store, run_id) -> dict:
    """Cancel a run: a queued one is cancelled at once, a running one is asked to stop (its scheduler
    stops the worker and records 'cancelled'). A finished run cannot be cancelled."""
    with store.session() as session, session.begin():
        run = get_run(session, run_id)
        if run.status == "queued":
            session.execute(update(JobRun).where(JobRun.id == run.id, JobRun.status == "queued").values(
                status="cancelled", finished_at=now(), error="cancelled before it started"))
            session.refresh(run)  # it may have been claimed meanwhile: then it is running
            if run.status == "cancelled":
                return run_dict(run, session.get(Job, run.job_id).name)
        if run.status != "running":
            raise UsageError(f"run {run.id} already {run.status.replace('_', ' ')}", input=str(run.id),
                             fix="only queued or running runs can be cancelled")
        run.cancel_requested = True
        return run_dict(run, session.get(Job, run.job_id).name)


def rerun(store, run_id, *, requested_by: str) -> int:
    """Queue a new manual run of the same job version with the same parameters; its id."""
    with store.session() as session, session.begin():
        old = get_run(session, run_id)
        job = session.get(Job, old.job_id)
        run = new_run(job, trigger=f"rerun:{old.id}", parameters=old.parameters or {}, requested_by=requested_by,
                      executor=old.executor, version=old.version)
        session.add(run)
        session.flush()
        return run.id


# -- triggers -------------------------------------------------------------------------------------------
def enqueue_triggered(session, job: Job, trigger: str) -> int | None:
    """Queue a run of `job` with its default parameters because of an event; None when the job's
    version is not active or its spec is invalid."""
    version = session.scalars(select(JobVersion.status).where(JobVersion.job_name == job.name,
                                                              JobVersion.version == job.version)).first()
    if version != "active":
        return None
    try:
        spec = spec_of(job)
    except ConfigError:
        return None
    run = new_run(job, trigger=trigger, parameters=spec.parameters, requested_by="scheduler",
                  executor=spec.executor)
    session.add(run)
    session.flush()
    return run.id


def _triggers(job: Job, kind: str) -> list[str]:
    return list(((job.spec or {}).get("triggers") or {}).get(kind) or [])


def trigger_after_success(session, name: str) -> list[tuple[str, int]]:
    """Queue every unpaused job whose `triggers.after_success` names job `name`."""
    out = []
    for job in session.scalars(select(Job).where(Job.paused.is_(False)).order_by(Job.name)).all():
        if name in _triggers(job, "after_success"):
            run_id = enqueue_triggered(session, job, f"after:{name}")
            if run_id is not None:
                out.append((job.name, run_id))
    return out


def trigger_monitor_failure(store, suite_name: str) -> list[int]:
    """Queue every unpaused job whose `triggers.on_monitor_failure` names the failed monitor suite
    (e.g. drift starts a retraining job). A job that already has a queued or running run for this
    suite gets no second one: a monitor failing every five minutes starts one retraining."""
    trigger = f"monitor:{suite_name}"
    queued = []
    with store.session() as session, session.begin():
        for job in session.scalars(select(Job).where(Job.paused.is_(False)).order_by(Job.name)).all():
            if suite_name not in _triggers(job, "on_monitor_failure"):
                continue
            pending = session.scalar(select(func.count()).select_from(JobRun).where(
                JobRun.job_id == job.id, JobRun.trigger == trigger, JobRun.status.in_(("queued", "running"))))
            if not pending:
                run_id = enqueue_triggered(session, job, trigger)
                if run_id is not None:
                    queued.append(run_id)
    return queued


# -- retention ------------------------------------------------------------------------------------------
def prune_outputs(store, jobs_dir: Path, job_id: int, job_name: str, retention, moment: datetime | None = None
                  ) -> list[int]:
    """Delete the output files of a job's finished runs beyond `keep_last` or older than `keep_days`
    and clear their paths (the rows stay). Only files under `jobs_dir` are ever deleted."""
    moment = moment or now()
    has_files = JobRun.output_path.is_not(None) | JobRun.html_path.is_not(None) | JobRun.log_path.is_not(None)
    finished = (JobRun.job_id == job_id) & JobRun.status.in_(TERMINAL)
    with store.session() as session, session.begin():
        stale: set[int] = set()
        if retention.keep_last:
            cutoff = session.scalar(select(JobRun.id).where(finished).order_by(JobRun.id.desc())
                                    .offset(retention.keep_last - 1).limit(1))
            if cutoff is not None:
                stale |= set(session.scalars(select(JobRun.id).where(finished, has_files, JobRun.id < cutoff)))
        if retention.keep_days:
            old = moment - timedelta(days=retention.keep_days)
            stale |= set(session.scalars(select(JobRun.id).where(finished, has_files, JobRun.finished_at < old)))
        for run in session.scalars(select(JobRun).where(JobRun.id.in_(stale))):
            _delete_outputs(jobs_dir.resolve(), job_name, run)
            run.output_path = run.html_path = run.log_path = None
    return sorted(stale)


def _delete_outputs(jobs_dir: Path, job_name: str, run: JobRun) -> None:
    for recorded in (run.output_path, run.html_path, run.log_path):
        path = Path(recorded).resolve() if recorded else None
        if path is not None and path.is_relative_to(jobs_dir):
            path.unlink(missing_ok=True)
    folder = (jobs_dir / job_name / "runs" / str(run.id)).resolve()
    if folder.is_relative_to(jobs_dir):
        shutil.rmtree(folder, ignore_errors=True)
