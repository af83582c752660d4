"""What promoting a job again changes: its current definition, and the differences in words.

A promotion of an existing job makes version N+1 of it. The Promote dialog starts from the job's current
definition (`current_definition`, `jobs_of_notebook`) and, before anything runs, says what the new version
would change (`describe_changes`: "retries: 2 → 3", "schedule: manual only → At 06:00 AM (UTC)"). A promotion
that changes nothing (same notebook content, same settings) stores nothing: the job already runs it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from aios_workbench.jobs.wording import backoff_words as _backoff
from aios_workbench.jobs.wording import catch_up_words as _catch_up
from aios_workbench.jobs.wording import limit_words as _duration
from aios_workbench.jobs.wording import retention_words as _retention
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.store.models import Job, JobVersion

NONE = "none"


def current_definition(session, name: str) -> dict[str, Any] | None:
    """The version job `name` runs, as the Promote dialog starts from it (None: no such job)."""
    job = session.scalar(select(Job).where(Job.name == name))
    if job is None:
        return None
    row = session.scalar(select(JobVersion).where(JobVersion.job_name == name, JobVersion.version == job.version))
    waiting = session.scalars(select(JobVersion.version).where(
        JobVersion.job_name == name, JobVersion.status == "pending_approval",
        JobVersion.version > job.version).order_by(JobVersion.version)).all()
    spec = JobSpec.model_validate(job.spec)
    return {"job": name, "version": job.version, "notebook": job.notebook, "digest": row.digest if row else None,
            "promoted_by": row.promoted_by if row else job.created_by,
            "promoted_at": row.promoted_at.isoformat(timespec="seconds") if row and row.promoted_at else None,
            "paused": job.paused, "schedule": spec.schedule.describe(), "spec": spec.to_json(),
            "waiting_versions": list(waiting)}


def jobs_of_notebook(session, relative: str) -> list[dict[str, Any]]:
    """The current definitions of the jobs that run notebook `relative`, most recently promoted first."""
    names = session.scalars(select(Job.name).where(Job.notebook == relative)).all()
    found = [d for d in (current_definition(session, n) for n in names) if d is not None]
    return sorted(found, key=lambda d: d["promoted_at"] or "", reverse=True)


def describe_changes(current: dict[str, Any], spec: JobSpec, *, notebook: str, digest: str | None) -> list[str]:
    """What a version with `spec` of `notebook` (content `digest`) changes against `current`
    (`current_definition`), one short sentence each; empty when nothing changes."""
    old = JobSpec.model_validate(current["spec"])
    changes = []
    if notebook != current["notebook"]:
        changes.append(f"notebook: {current['notebook']} → {notebook}")
    if digest is not None and digest != current["digest"]:
        changes.append(f"the notebook's code changed since version {current['version']}")
    if old.schedule != spec.schedule:
        changes.append(f"schedule: {old.schedule.describe()} → {spec.schedule.describe()}")
    changes += _parameter_changes(old.parameters, spec.parameters)
    changes += [f"{label}: {before} → {after}" for label, before, after in _settings(old, spec) if before != after]
    return changes


def _parameter_changes(old: dict, new: dict) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        if (name in old) == (name in new) and old.get(name) == new.get(name):
            continue
        before = repr(old[name]) if name in old else "the notebook's default"
        after = repr(new[name]) if name in new else "the notebook's default"
        out.append(f"parameter {name}: {before} → {after}")
    return out


def _settings(old: JobSpec, new: JobSpec) -> list[tuple[str, str, str]]:
    """(label, before, after) of every setting besides schedule and parameters, each in words."""
    pairs = [("timeout", _duration(old.timeout_seconds), _duration(new.timeout_seconds)),
             ("cell timeout", _duration(old.cell_timeout_seconds), _duration(new.cell_timeout_seconds)),
             ("retries", str(old.retries.max), str(new.retries.max)),
             ("retry backoff", _backoff(old), _backoff(new)),
             ("notify on", _words(sorted(old.notifications.on)), _words(sorted(new.notifications.on))),
             ("webhooks", _words(old.notifications.webhooks), _words(new.notifications.webhooks)),
             ("e-mails", _words(old.notifications.emails), _words(new.notifications.emails)),
             ("runs as", old.identity or "the promoter", new.identity or "the promoter"),
             ("approver", old.approver or NONE, new.approver or NONE),
             ("executor", old.executor, new.executor),
             ("kernel", old.kernel, new.kernel),
             ("runs at once", str(old.max_concurrent), str(new.max_concurrent)),
             ("missed runs", _catch_up(old), _catch_up(new)),
             ("runs after", _words(old.triggers.after_success), _words(new.triggers.after_success)),
             ("runs when monitor fails", _words(old.triggers.on_monitor_failure),
              _words(new.triggers.on_monitor_failure)),
             ("secrets", _words(f"{k}={v}" for k, v in sorted(old.secrets.items())),
              _words(f"{k}={v}" for k, v in sorted(new.secrets.items()))),
             ("keeps outputs of", _retention(old), _retention(new))]
    return pairs


def _words(items) -> str:
    return ", ".join(items) or NONE
