"""Job versions: content-addressed notebook snapshots and the numbered versions that point at them.

A snapshot is the cleaned notebook (no outputs) stored as `<state>/jobs/snapshots/<digest>.ipynb`:
the same content always lands in the same file, written once (temp file + atomic rename) and left
read-only, so editing the working copy never changes what a job runs. Versions are numbered
1, 2, 3... per job; `rollback` points the job at an earlier active one.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.store.models import Job, JobVersion


def snapshot_dir(workspace) -> Path:
    return workspace.state_dir / "jobs" / "snapshots"


def write_snapshot(workspace, cleaned: dict, digest: str) -> tuple[Path, bool]:
    """(path, created) of the snapshot of `cleaned`; an intact snapshot of that digest is reused as is
    (one whose content no longer matches its name is rewritten)."""
    import json

    import nbformat

    folder = snapshot_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.ipynb"
    if target.exists() and snapshot_digest(target) == digest:
        return target, False
    text = nbformat.writes(nbformat.from_dict(json.loads(json.dumps(cleaned))))
    fd, temp = tempfile.mkstemp(prefix=f".{digest[:12]}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o444)  # a reminder, not a guard: snapshots are never edited in place
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target, True


def snapshot_digest(path: Path) -> str | None:
    """The content digest of a stored snapshot (None when it cannot be read)."""
    # lazy: notebook reader only when a snapshot's digest is asked for
    from aios_workbench.jobs.notebook import InvalidNotebook, clean, digest, load_notebook

    try:
        return digest(clean(load_notebook(path).node))
    except (InvalidNotebook, OSError):
        return None


def remove_unreferenced_snapshot(store, path: Path) -> None:
    """Delete a snapshot written for a promotion whose database write failed, unless a version uses it."""
    from sqlalchemy import select

    with store.session() as session:
        used = session.scalar(select(JobVersion.id).where(JobVersion.snapshot_path == str(path)).limit(1))
    if used is None:
        path.unlink(missing_ok=True)


def version_dict(row: JobVersion, *, current: int | None = None) -> dict:
    """A version row as JSON-ready data."""
    return {
        "job": row.job_name, "version": row.version, "status": row.status, "digest": row.digest,
        "notebook": row.notebook, "snapshot_path": row.snapshot_path, "promoted_by": row.promoted_by,
        "promoted_at": _iso(row.promoted_at), "approved_by": row.approved_by, "approved_at": _iso(row.approved_at),
        "parameter_schema": row.parameter_schema, "spec": row.spec, "gates": row.gates,
        "datasets_read": row.datasets_read, "current": current == row.version,
    }


def _iso(moment: datetime | None) -> str | None:
    """A stored moment (aware UTC, see `store.types.UTCDateTime`) as ISO 8601 to the second; None stays None."""
    return moment.isoformat(timespec="seconds") if moment else None


def versions(store, name: str) -> dict:
    """Every version of job `name`, oldest first, and which one the job currently runs.

    `store` is a metadata store or anything with `.store` (a WorkbenchService)."""
    from sqlalchemy import select

    store = getattr(store, "store", store)
    with store.session() as session:
        rows = session.scalars(select(JobVersion).where(JobVersion.job_name == name)
                               .order_by(JobVersion.version)).all()
        job = session.scalar(select(Job).where(Job.name == name))
    if not rows:
        raise NotFound(f"job {name!r} has no versions", input=name,
                       fix="promote a notebook first: aios promote notebooks/NAME.ipynb --name " + name)
    current = job.version if job else None
    return {"job": name, "current_version": current, "versions": [version_dict(r, current=current) for r in rows]}


def next_version(session, name: str) -> int:
    from sqlalchemy import func, select

    return (session.scalar(select(func.max(JobVersion.version)).where(JobVersion.job_name == name)) or 0) + 1


def change_refusal(service, session, name: str, user: str) -> PermissionDenied | None:
    """Why `user` may not promote a new version of job `name` or roll it back (None when they may).

    Like the other job controls: the job's creator, its identity, or a user holding a role with
    `audit: true`; before the job exists, whoever promoted one of its versions. A new name is free."""
    from sqlalchemy import select

    # lazy: policy engine (sqlglot, PyYAML) only when a change is checked
    from aios_workbench.policy.enforce import PolicyEngine

    job = session.scalar(select(Job).where(Job.name == name))
    if job is not None:
        owners = {job.created_by, job.identity}
    else:
        owners = set(session.scalars(select(JobVersion.promoted_by).where(JobVersion.job_name == name)).all())
    if not owners or user in owners or PolicyEngine(service.queries.policy.current()).is_auditor(user):
        return None
    return PermissionDenied(f"job {name!r} belongs to {', '.join(sorted(owners))}: {user} may not change it",
                            input=name, fix="promote under another --name, or ask its creator, its identity, or a "
                                            "user with a role that has `audit: true` in governance/policy.yaml")


def point_job_at(session, row: JobVersion, *, user: str, now: datetime) -> Job:
    """Insert or update the Job row so it runs version `row` (schedule restarts from `now`)."""
    from sqlalchemy import select

    from aios_workbench.schemas.job_spec import JobSpec  # lazy: pydantic job spec only when a job is re-pointed

    spec = JobSpec.model_validate(row.spec)
    job = session.scalar(select(Job).where(Job.name == row.job_name))
    if job is None:
        job = Job(name=row.job_name, created_by=user, created_at=now, paused=False)
        session.add(job)
    job.notebook = row.notebook
    job.version = row.version
    job.spec = row.spec
    job.identity = spec.identity or row.promoted_by
    job.next_due_at = spec.schedule.next_after(now)
    job.updated_at = now
    return job


def rollback(service, name: str, version: int, user: str, *, surface: str = "api") -> dict:
    """Point job `name` at its earlier active `version` (its snapshot, spec and schedule); audited."""
    from sqlalchemy import select

    version = _version_number(version)
    now = datetime.now(UTC)
    with service.store.session() as session, session.begin():
        job = session.scalar(select(Job).where(Job.name == name))
        row = session.scalar(select(JobVersion).where(JobVersion.job_name == name, JobVersion.version == version))
        problem = _rollback_problem(name, version, job, row) or change_refusal(service, session, name, user)
        if problem is None:
            previous = job.version
            point_job_at(session, row, user=job.created_by, now=now)
    if problem is not None:
        service.audit.append(user=user, surface=surface, action="job_rollback", target=f"job:{name}",
                             allowed=False, detail={"version": version, "reason": problem.message})
        raise problem
    service.audit.append(user=user, surface=surface, action="job_rollback", target=f"job:{name}",
                         allowed=True, detail={"version": version, "previous_version": previous, "digest": row.digest})
    return {"job": name, "version": version, "previous_version": previous, "digest": row.digest,
            "next_due_at": _iso(job.next_due_at)}


def _rollback_problem(name: str, version: int, job: Job | None, row: JobVersion | None):
    if job is None:
        return NotFound(f"job {name!r} does not exist", input=name,
                        fix="list jobs with `aios jobs ls`; a version waiting for approval has no job yet")
    if row is None:
        return NotFound(f"job {name!r} has no version {version}", input=str(version),
                        fix=f"list its versions with `aios jobs versions {name}`")
    if row.status != "active":
        return UsageError(f"version {version} of job {name!r} is {row.status}, not active, so the job cannot run it",
                          input=str(version), fix="roll back to a version whose status is active "
                          f"(`aios jobs versions {name}`), or approve it first")
    return None


def _version_number(version) -> int:
    try:
        number = int(version)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(version, bool):
        raise UsageError(f"version {version!r} is not a version number", input=str(version),
                         fix="pass a whole number >= 1, e.g. 1")
    return number
