"""Job listing and control for the CLI, the REST API and the UIs: list, show, pause, resume, delete,
run now, cancel, re-run. Every control action is checked and audited, allowed or denied.

Who may control a job (run, cancel, re-run, pause, resume, delete) and read its outputs and logs:
its creator, its identity (the user it runs as), or a user holding a role with `audit: true` in the
policy. Outputs are held to the same rule because they show data read under the job's identity.
Everybody authenticated may list jobs and see run statuses and timings.

Deleting a job deletes its runs and their output files (the database cascades the rows) and resolves
its alert; its promoted versions and snapshots stay, as the promotion record, and the audit log keeps
every request. Promoting the same name again continues its version numbers.
"""

from __future__ import annotations

import builtins
import shutil
from pathlib import Path

from sqlalchemy import func, select

from aios_workbench.alerts import job_alert_keys
from aios_workbench.core.errors import ConfigError, NotFound, PermissionDenied, UsageError
from aios_workbench.jobs import runs
from aios_workbench.jobs.runs import spec_of
from aios_workbench.jobs.wording import settings_words, webhook_redacted
from aios_workbench.store.models import Job, JobRun, JobVersion

CONTROL_FIX = ("ask the job's creator or its identity, or a user with a role that has `audit: true` in "
               "governance/policy.yaml")


def job_runs_dir(workspace, name: str) -> Path:
    """Where the worker writes a job's run outputs: <state>/jobs/<job>/runs/<run id>/."""
    return workspace.state_dir / "jobs" / name / "runs"


def get_job(session, name: str) -> Job:
    if not name:
        raise UsageError("a job name is needed", fix="pass the job's name, e.g. `aios jobs show nightly`")
    job = session.scalars(select(Job).where(Job.name == name)).first()
    if job is None:
        known = session.scalars(select(Job.name).order_by(Job.name).limit(20)).all()
        raise NotFound(f"there is no job {name!r} (known: {', '.join(known) or 'none'})", input=name,
                       fix="list jobs with `aios jobs ls`; promote a notebook with `aios promote NOTEBOOK`")
    return job


def job_dict(job: Job, last: JobRun | None = None) -> dict:
    try:
        spec = spec_of(job)
        schedule, kind, executor = spec.schedule.describe(), spec.schedule.kind, spec.executor
    except ConfigError as exc:
        schedule, kind, executor = f"invalid spec: {exc.message}", None, None
    return {
        "name": job.name, "notebook": job.notebook, "version": job.version, "identity": job.identity,
        "created_by": job.created_by, "created_at": runs.iso(job.created_at), "updated_at": runs.iso(job.updated_at),
        "paused": bool(job.paused), "schedule": schedule, "schedule_kind": kind, "executor": executor,
        "next_run": None if job.paused else runs.iso(job.next_due_at),
        "last_run": None if last is None else {
            "id": last.id, "status": last.status, "started_at": runs.iso(last.started_at),
            "finished_at": runs.iso(last.finished_at), "trigger": last.trigger},
    }


def validate_parameters(schema: dict, values: dict | None, *, from_text: bool) -> dict:
    """Override values checked against the version's parameter schema before any kernel starts."""
    if not values:
        return {}
    from aios_workbench.jobs.parameters import validate  # lazy: parameter schema module only when parameters are given

    return validate(schema or {}, values, coerce_strings=from_text)


def controls(user: str, *, identity: str | None, created_by: str | None, is_auditor) -> bool:
    """The rule: a job's creator, its identity (whose data its outputs show) and auditors control it and
    see its errors and outputs. `is_auditor`: a bool, or a callable asked only when needed."""
    if user in (identity, created_by):
        return True
    return bool(is_auditor() if callable(is_auditor) else is_auditor)


class JobControl:
    """Jobs of one workspace, controlled as `user` through `surface` (cli, api, ui).

    `alerts` resolves a deleted job's alert (the service's `AlertsManager`, or an `AlertFeed`);
    `policy` returns the policy in force (default: the workspace's governance files)."""

    def __init__(self, workspace, store, audit, *, alerts, policy=None) -> None:
        self.workspace = workspace
        self.store = store
        self.audit = audit
        self.alerts = alerts
        self._policy = policy or (lambda: workspace.policy)

    # -- who may ------------------------------------------------------------------------------------
    def may_control(self, job: Job, user: str) -> bool:
        # lazy: policy engine (sqlglot, PyYAML) only when a control is checked
        from aios_workbench.policy.enforce import PolicyEngine

        return controls(user, identity=job.identity, created_by=job.created_by,
                        is_auditor=lambda: PolicyEngine(self._policy()).is_auditor(user))

    def _require_by_name(self, name: str, user: str, action: str, surface: str) -> None:
        # Checked (and a denial audited) before the write transaction opens: on SQLite a second
        # writer (the audit log) inside it would wait for its own lock.
        with self.store.session() as session:
            job = get_job(session, name)
        self._require(job, user, action, surface)

    def _require(self, job: Job, user: str, action: str, surface: str) -> None:
        if self.may_control(job, user):
            return
        self.audit.append(user=user, surface=surface, action=f"job_{action}", target=f"job:{job.name}",
                          allowed=False, detail={"reason": "not the creator, the identity or an auditor"})
        raise PermissionDenied(f"{user} may not {action} job {job.name!r} (created by {job.created_by}, "
                               f"runs as {job.identity})", fix=CONTROL_FIX, input=job.name)

    def _audit(self, user: str, surface: str, action: str, job: str, **detail) -> None:
        self.audit.append(user=user, surface=surface, action=f"job_{action}", target=f"job:{job}", allowed=True,
                          detail=detail)

    # -- reading ------------------------------------------------------------------------------------
    def list(self, user: str | None = None) -> list[dict]:
        """Every job with its schedule in words, next run, paused flag and last run's status."""
        with self.store.session() as session:
            jobs = session.scalars(select(Job).order_by(Job.name)).all()
            last_ids = dict(session.execute(select(JobRun.job_id, func.max(JobRun.id)).group_by(JobRun.job_id)).all())
            lasts = {r.job_id: r for r in session.scalars(select(JobRun).where(JobRun.id.in_(last_ids.values())))}
            out = [job_dict(job, lasts.get(job.id)) for job in jobs]
        if user is not None:
            for row, job in zip(out, jobs, strict=False):
                row["can_control"] = self.may_control(job, user)
        return out

    def show(self, name: str, user: str | None = None) -> dict:
        """One job: its spec, next five occurrences and latest runs."""
        with self.store.session() as session:
            job = get_job(session, name)
            recent = session.scalars(select(JobRun).where(JobRun.job_id == job.id).order_by(JobRun.id.desc())
                                     .limit(5)).all()
            version = _version(session, job)
            data = job_dict(job, recent[0] if recent else None)
            data["recent_runs"] = [runs.run_dict(r, job.name) for r in recent]
            others = session.execute(select(Job.name, Job.spec).where(Job.name != name)).all()
        spec = spec_of(job)
        data["spec"] = spec.to_json()
        data["settings"] = settings_words(spec)
        data["triggered_by_this"] = sorted(other for other, other_spec in others
                                           if name in ((other_spec or {}).get("triggers") or {}).get("after_success", ()))
        data["upcoming"] = [] if job.paused else [runs.iso(t) for t in spec.schedule.upcoming(5)]
        data["version_status"] = version.status if version else None
        data["parameter_schema"] = version.parameter_schema if version else {}
        if user is not None:
            data["can_control"] = self.may_control(job, user)
            if not data["can_control"]:   # a webhook's path may hold its token
                notes = data["spec"]["notifications"]
                notes["webhooks"] = [webhook_redacted(url) for url in notes["webhooks"]]
        return data

    def job_of_run(self, run_id) -> Job:
        with self.store.session() as session:
            run = runs.get_run(session, run_id)
            return session.get(Job, run.job_id)

    def run(self, run_id, user: str | None = None) -> dict:
        """One run. Its error, failing cell and paths only for those who may control the job."""
        data = runs.show(self.store, run_id)
        if user is not None and not self.may_control(self.job_of_run(run_id), user):
            data.update(error="(hidden: only the job's creator, identity or an auditor see errors)"
                        if data["error"] else None, failing_cell=None, output_path=None, html_path=None,
                        log_path=None)
        return data

    def history(self, name: str, *, limit: int = 50, before_id: int | None = None) -> builtins.list[dict]:
        with self.store.session() as session:
            job_id = get_job(session, name).id
        return runs.history(self.store, job_id=job_id, limit=limit, before_id=before_id)

    def retries_left(self, run: dict) -> bool:
        """Whether the job's retry policy allows another attempt after `run` (a run dict)."""
        with self.store.session() as session:
            job = session.get(Job, run["job_id"])
            return job is not None and run["attempt"] <= spec_of(job).retries.max

    def retry_of(self, run_id: int) -> int | None:
        """The id of the run queued as the retry of `run_id`, if the scheduler queued one yet."""
        with self.store.session() as session:
            return session.scalar(select(JobRun.id).where(JobRun.retry_of == run_id))

    def readable_run(self, run_id, user: str, what: str) -> dict:
        """A run whose outputs or log `user` wants to read (403 unless they may control its job)."""
        job = self.job_of_run(run_id)
        if not self.may_control(job, user):
            raise PermissionDenied(f"{user} may not read the {what} of job {job.name!r}'s runs", fix=CONTROL_FIX,
                                   input=str(run_id))
        data = runs.show(self.store, run_id)
        if data["log_path"] is None:  # the worker records paths when it finishes; the log exists before
            data["live_log_path"] = str(job_runs_dir(self.workspace, job.name) / str(data["id"]) / "log.txt")
        return data

    # -- control --------------------------------------------------------------------------------------
    def pause(self, name: str, user: str, surface: str) -> dict:
        """Stop scheduling new occurrences and triggered runs (queued and manual runs still run)."""
        self._require_by_name(name, user, "pause", surface)
        with self.store.session() as session, session.begin():
            job = get_job(session, name)
            job.paused, job.updated_at = True, runs.now()
            data = job_dict(job)
        self._audit(user, surface, "pause", name)
        return data

    def resume(self, name: str, user: str, surface: str) -> dict:
        """Schedule again. Occurrences missed while paused follow the catch-up policy: `skip` drops them
        (next run: the next occurrence from now), `once` runs the latest, `all` runs them up to max_runs."""
        self._require_by_name(name, user, "resume", surface)
        with self.store.session() as session, session.begin():
            job = get_job(session, name)
            spec = spec_of(job)
            moment = runs.now()
            if spec.catch_up.policy == "skip" or job.next_due_at is None:
                job.next_due_at = spec.schedule.next_after(moment)
            job.paused, job.updated_at = False, moment
            data = job_dict(job)
        self._audit(user, surface, "resume", name, next_run=data["next_run"])
        return data

    def delete(self, name: str, user: str, surface: str) -> dict:
        """Delete the job, its queued, running and finished runs and their output files."""
        self._require_by_name(name, user, "delete", surface)
        with self.store.session() as session, session.begin():
            job = get_job(session, name)
            counts = dict(session.execute(select(JobRun.status, func.count()).where(JobRun.job_id == job.id)
                                          .group_by(JobRun.status)).all())
            # The rows go with the job (ON DELETE CASCADE). A scheduler running one of them sees its row
            # gone and stops the worker, whose final write then touches nothing.
            session.delete(job)
        shutil.rmtree(job_runs_dir(self.workspace, name), ignore_errors=True)
        for key in job_alert_keys(name):   # nothing left to fix
            self.alerts.resolve(key)
        self._audit(user, surface, "delete", name, runs=counts)
        return {"job": name, "deleted": True, "runs_deleted": sum(counts.values()),
                "cancelled": counts.get("queued", 0) + counts.get("running", 0)}

    def run_now(self, name: str, user: str, surface: str, parameters: dict | None = None, *,
                from_text: bool = False) -> dict:
        """Queue a manual run with the job's default parameters updated by `parameters` (validated
        against the version's parameter schema first); the queued run."""
        self._require_by_name(name, user, "run", surface)
        with self.store.session() as session, session.begin():
            job = get_job(session, name)
            version = _version(session, job)
            if version is None:
                raise ConfigError(f"job {name!r} points at version {job.version}, which was never promoted",
                                  fix=f"promote the notebook again: `aios promote {job.notebook} --name {name}`",
                                  input=name)
            if version.status != "active":
                raise PermissionDenied(f"version {job.version} of job {name!r} is {version.status.replace('_', ' ')}",
                                       fix="approve it (`aios jobs approve`) or roll back to an active version",
                                       input=name)
            spec = spec_of(job)
            overrides = validate_parameters(version.parameter_schema, parameters, from_text=from_text)
            run = runs.new_run(job, trigger="manual", parameters={**spec.parameters, **overrides},
                               requested_by=user, executor=spec.executor)
            session.add(run)
            session.flush()
            data = runs.run_dict(run, job.name)
        self._audit(user, surface, "run", name, run_id=data["id"], overridden=sorted(overrides))
        return data

    def cancel(self, run_id, user: str, surface: str) -> dict:
        job = self.job_of_run(run_id)
        self._require(job, user, "cancel", surface)
        data = runs.request_cancel(self.store, run_id)
        self._audit(user, surface, "cancel", job.name, run_id=data["id"], status=data["status"])
        return data

    def rerun(self, run_id, user: str, surface: str) -> dict:
        job = self.job_of_run(run_id)
        self._require(job, user, "rerun", surface)
        new_id = runs.rerun(self.store, run_id, requested_by=user)
        self._audit(user, surface, "rerun", job.name, run_id=new_id, rerun_of=int(run_id))
        return runs.show(self.store, new_id)


def _version(session, job: Job) -> JobVersion | None:
    return session.scalars(select(JobVersion).where(JobVersion.job_name == job.name,
                                                    JobVersion.version == job.version)).first()
