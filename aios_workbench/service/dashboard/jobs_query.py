"""Read-only queries over the jobs tables for the dashboard: jobs with their health, run history,
and the upcoming schedule.

Straight ORM reads of `jobs` and `job_runs` (no control actions: those belong to the jobs API).
History pages by id (keyset), newest first; health figures cover a recent window only, so a
job with years of runs costs the same as a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from aios_workbench.jobs.wording import trigger_words
from aios_workbench.store.database import MetadataStore
from aios_workbench.store.models import Job, JobRun

if TYPE_CHECKING:
    from aios_workbench.schemas.schedule import Schedule

HEALTH_WINDOW = timedelta(days=30)
FINISHED = ("succeeded", "failed", "timed_out", "cancelled")
FAILED = ("failed", "timed_out")


def _iso(moment: datetime | None) -> str | None:
    """A stored moment (aware UTC, see `store.types.UTCDateTime`) as ISO 8601 to the second; None stays None."""
    return moment.isoformat(timespec="seconds") if moment else None


def schedule_of(job: Job) -> Schedule | None:
    """The job's `Schedule`, or None when its spec holds none that parses."""
    # lazy: schemas.schedule loads pydantic and zoneinfo; only jobs with a schedule need it
    from aios_workbench.schemas.schedule import Schedule

    raw = (job.spec or {}).get("schedule")
    try:
        return Schedule(**raw) if isinstance(raw, dict) else None
    except Exception:  # noqa: BLE001 - a spec written by a newer version: show the job, not an error page
        return None


def list_jobs(store: MetadataStore, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every job with its schedule in words, next run, last run and its recent failure rate."""
    now = now or datetime.now(UTC)
    since = now - HEALTH_WINDOW
    with store.session() as session:
        jobs = list(session.scalars(select(Job).order_by(Job.name)))
        stats = {row.job_id: row for row in session.execute(
            select(JobRun.job_id, func.count().label("finished"),
                   func.sum(case((JobRun.status.in_(FAILED), 1), else_=0)).label("failed"))
            .where(JobRun.status.in_(FINISHED), JobRun.created_at >= since).group_by(JobRun.job_id))}
        newest = select(func.max(JobRun.id)).group_by(JobRun.job_id)
        last = {run.job_id: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(newest)))}
        out = []
        for job in jobs:
            schedule = schedule_of(job)
            row, run = stats.get(job.id), last.get(job.id)
            finished, failed = (row.finished, int(row.failed or 0)) if row else (0, 0)
            out.append({
                "name": job.name, "notebook": job.notebook, "version": job.version, "identity": job.identity,
                "created_by": job.created_by, "paused": job.paused,
                "schedule": schedule.describe() if schedule else "unknown",
                "next_run": None if job.paused else _iso(job.next_due_at),
                "last_status": run.status if run else None, "last_run_id": run.id if run else None,
                "last_run_at": _iso(run.created_at) if run else None,
                "runs_30d": finished, "failed_30d": failed,
                "failure_rate": failed / finished if finished else None,
            })
        return out


def upcoming(store: MetadataStore, *, per_job: int = 5, horizon: timedelta = timedelta(days=7),
             now: datetime | None = None) -> list[dict[str, Any]]:
    """The next scheduled occurrences of unpaused jobs within `horizon`, soonest first."""
    now = now or datetime.now(UTC)
    out = []
    with store.session() as session:
        for job in session.scalars(select(Job).where(Job.paused.is_(False))):
            schedule = schedule_of(job)
            if schedule is None:
                continue
            for at in schedule.upcoming(per_job, after=now):
                if at - now <= horizon:
                    out.append({"job": job.name, "at": at.isoformat(timespec="seconds")})
    return sorted(out, key=lambda r: r["at"])


def runs(store: MetadataStore, *, job: str | None = None, limit: int = 200,
         before_id: int | None = None) -> list[dict[str, Any]]:
    """Job runs newest first, with the job's owner fields (for output visibility) and durations."""
    query = select(JobRun, Job.name, Job.identity, Job.created_by).join(Job, Job.id == JobRun.job_id)
    if job is not None:
        query = query.where(Job.name == job)
    if before_id is not None:
        query = query.where(JobRun.id < before_id)
    with store.session() as session:
        rows = session.execute(query.order_by(JobRun.id.desc()).limit(limit)).all()
    out = []
    for run, name, identity, created_by in rows:
        started, finished = run.started_at, run.finished_at
        out.append({
            "id": run.id, "job": name, "identity": identity, "created_by": created_by, "version": run.version,
            "status": run.status, "trigger": run.trigger, "attempt": run.attempt,
            "trigger_words": trigger_words(run.trigger, attempt=run.attempt or 1),
            "created_at": _iso(run.created_at), "started_at": _iso(started), "finished_at": _iso(finished),
            "duration_s": (finished - started).total_seconds() if started and finished else None,
            "cells": f"{run.cells_done}/{run.cells_total}" if run.cells_total else "",
            "error": (run.error or "")[:300], "has_output": bool(run.html_path or run.output_path),
        })
    return out


def output_file(store: MetadataStore, run_id: int) -> tuple[dict[str, Any], str | None]:
    """The run (with its job's owner fields) and the path of its HTML output, else its notebook."""
    with store.session() as session:
        row = session.execute(select(JobRun, Job.name, Job.identity, Job.created_by)
                              .join(Job, Job.id == JobRun.job_id).where(JobRun.id == run_id)).first()
    if row is None:
        return {}, None
    run, name, identity, created_by = row
    return ({"id": run.id, "job": name, "identity": identity, "created_by": created_by},
            run.html_path or run.output_path)


def daily_health(store: MetadataStore, *, days: int = 14, now: datetime | None = None) -> list[dict[str, Any]]:
    """Finished runs per day for the last `days` days: [{"day", "finished", "failed"}], oldest first."""
    now = now or datetime.now(UTC)
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with store.session() as session:
        rows = session.execute(select(JobRun.created_at, JobRun.status)
                               .where(JobRun.status.in_(FINISHED), JobRun.created_at >= since)).all()
    per_day = {(since + timedelta(days=i)).date().isoformat(): [0, 0] for i in range(days)}
    for created, status in rows:
        key = created.date().isoformat()
        if key in per_day:
            per_day[key][0] += 1
            per_day[key][1] += status in FAILED
    return [{"day": d, "finished": f, "failed": x} for d, (f, x) in per_day.items()]
