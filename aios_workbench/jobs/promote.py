"""Promote a notebook to a job: run every gate, then freeze a snapshot as a new job version.

A promotion that passes every gate stores the snapshot and a `JobVersion` and points the `Job` at it
(status active), or stores the version as `pending_approval` (the job keeps running its previous
version, or does not exist yet, until a second user approves). A refused promotion writes no
snapshot, version or job; every attempt, approval, rejection and rollback is audited.

Promoting an existing job again makes its next version; the report lists what changed against the version
the job runs (`jobs/changes.py`). A promotion that changes nothing (same notebook content, same settings)
runs no gate and stores nothing (status `unchanged`): like saving an unchanged job definition in
jupyter-scheduler, it is a no-op that says so, not a second identical version. `dry_run` only compares
(status `planned` or `unchanged`): the Promote dialog shows that comparison before anyone confirms.

`service` is the `WorkbenchService` (the callers are its `JobsManager` and the demo): its store, audit
log and policy, and `service.alerts`, which raises and resolves the approval alerts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError, WorkbenchError
from aios_workbench.jobs.gates import (
    GateInputs,
    PromotionGate,
    approval_problem,
    cause,
    evaluate,
    summary,
    verdict_of,
)
from aios_workbench.jobs.notebook import load_notebook, parse_notebook, resolve_notebook, sent_notebook_name
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.schemas.schedule import Schedule, zone


@dataclass
class PromotionReport:
    """Every gate's verdict and, when promoted, the version and its next runs."""

    job: str
    notebook: str
    status: str                                  # active | pending_approval | refused | unchanged | planned
    gates: list[PromotionGate]
    identity: str
    promoted_by: str
    version: int | None = None
    digest: str | None = None
    parameter_schema: dict | None = None
    parameters: dict = field(default_factory=dict)
    schedule: dict | None = None
    next_runs: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # not gates: things the promoter should know
    previous_version: int | None = None          # the version the job ran when this promotion began
    changes: list[str] = field(default_factory=list)  # against `previous_version`, in words

    @property
    def passed(self) -> bool:
        return self.status != "refused"

    def refusal_message(self) -> str:
        """A refused promotion in one line: the verdicts counted and the one cause."""
        gates = [g.to_dict() for g in self.gates]
        return f"promotion of {self.notebook} refused ({summary(gates)}): {cause(gates) or 'a gate did not pass'}"

    def to_dict(self) -> dict:
        gates = [g.to_dict() for g in self.gates]
        return {"job": self.job, "notebook": self.notebook, "version": self.version, "status": self.status,
                "passed": self.passed, "identity": self.identity, "promoted_by": self.promoted_by,
                "digest": self.digest, "gates": gates, "summary": summary(gates), "cause": cause(gates),
                "previous_version": self.previous_version, "changes": self.changes,
                "parameter_schema": self.parameter_schema, "parameters": self.parameters,
                "schedule": self.schedule, "next_runs": self.next_runs, "notes": self.notes}


def default_job_name(relative: str) -> str:
    """The notebook's file stem as a job name: `notebooks/02_governance_checks.ipynb` -> `governance_checks`
    (a job name starts with a letter, so leading digits and separators are dropped)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(relative).stem)
    name = re.sub(r"^[^A-Za-z]+", "", stem)
    if not name:
        raise UsageError(f"cannot derive a job name from {relative!r}", input=relative,
                         fix="pass --name NAME (a letter, then letters, digits, '_', '-' or '.')")
    return name[:128]


def schedule_summary(schedule: Schedule, count: int = 5) -> tuple[dict, list[dict]]:
    """(the schedule as JSON with its description, its next `count` occurrences in UTC and its zone)."""
    local = zone(schedule.timezone)
    runs = [{"utc": t.isoformat(timespec="seconds"), "local": t.astimezone(local).isoformat(timespec="seconds")}
            for t in schedule.upcoming(count)]
    return {**schedule.model_dump(mode="json"), "description": schedule.describe()}, runs


def build_spec(name: str, schedule: Schedule | None, fields: dict):
    """A `JobSpec` from promotion options; `retries=3` is short for `{"max": 3}`. Bad fields are UsageErrors."""
    from pydantic import ValidationError

    if schedule is not None and schedule.kind == "once" and not schedule.upcoming(1):
        assert schedule.at is not None  # a one-off schedule always has its time (`Schedule._consistent`)
        raise UsageError(f"the one-off time {schedule.at.isoformat(timespec='minutes')} has passed: the job would "
                         "never run", input=schedule.at.isoformat(), fix="pass a future --at, or promote without a "
                         "schedule and start it now with `aios jobs run NAME`")
    values = {k: v for k, v in fields.items() if v is not None}
    if isinstance(values.get("retries"), int) and not isinstance(values["retries"], bool):
        values["retries"] = {"max": values["retries"]}
    try:
        return JobSpec(name=name, schedule=schedule or Schedule(), **values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise UsageError(f"invalid job setting {where}: {first['msg']}", input=where,
                         fix="see `aios promote --help` for each option's form") from None
    except TypeError as exc:
        raise UsageError(f"invalid job setting: {exc}", fix="see `aios promote --help`") from None


def promote(service, notebook_path, *, user: str, name: str | None = None, parameters: dict | None = None,
            schedule: Schedule | None = None, surface: str = "api", base: Path | None = None,
            coerce_strings: bool = False, content: dict | None = None, dry_run: bool = False,
            **spec_fields) -> PromotionReport:
    """Promote `notebook_path` (workspace-relative, or relative to `base`) as job `name`, run as
    `spec_fields["identity"]` or `user`. Returns the report; a refused one has status `refused`, one that
    would change nothing of the job's current version `unchanged` (nothing runs, nothing is stored).

    `content`: the notebook's JSON, sent by a caller whose notebook the service cannot read (team mode: it
    lives in the user's own folder); then `notebook_path` only names it and no file is read.
    `coerce_strings`: parameter values are CLI strings, converted by the declared types.
    `dry_run`: only say which version this would make and what it changes (status `planned`); no gate runs."""
    # lazy: loads SQLAlchemy store models; only for a promotion
    from aios_workbench.jobs.changes import current_definition, describe_changes
    from aios_workbench.jobs.versions import change_refusal, next_version  # lazy: as above

    ws = service.workspace
    sent = None
    if content is not None:   # not a notebook: refused (400) before anything runs, as a bad path is
        relative = sent_notebook_name(notebook_path)
        sent = parse_notebook(content, relative)
    else:
        path, relative = resolve_notebook(ws, notebook_path, base=base)
    name = name or default_job_name(relative)
    spec = build_spec(name, schedule, spec_fields)
    identity = spec.identity or user
    target = f"job:{name}"
    if identity != user and identity not in ws.config.jobs.service_identities:
        allowed = ", ".join(ws.config.jobs.service_identities) or "none"
        if not dry_run:
            service.audit.append(user=user, surface=surface, action="job_promote", target=target, allowed=False,
                                 detail={"notebook": relative, "identity": identity, "reason": "identity not allowed"})
        raise PermissionDenied(f"{user} may not promote a job that runs as {identity}", input=identity,
                               fix=f"run it as yourself, or as a service identity listed in aios.yaml "
                                   f"jobs.service_identities (now: {allowed})")
    with service.store.session() as session:
        refusal = change_refusal(service, session, name, user)
        current = current_definition(session, name)
        upcoming = next_version(session, name)
    if refusal is not None:
        if not dry_run:
            service.audit.append(user=user, surface=surface, action="job_promote", target=target, allowed=False,
                                 detail={"notebook": relative, "reason": refusal.message})
        raise refusal
    notebook = load_error = cleaned = digest = None
    try:
        notebook = sent or load_notebook(path, relative)
        cleaned, digest = notebook.cleaned(), notebook.digest
        if "kernel" not in spec_fields or not spec_fields["kernel"]:
            spec = spec.model_copy(update={"kernel": notebook.kernel})
    except WorkbenchError as exc:
        load_error = exc
    spec = spec.model_copy(update={"identity": identity})
    if current is not None or dry_run:
        compared = spec.model_copy(update={"parameters": _comparable(notebook, parameters, coerce_strings)})
        changes = describe_changes(current, compared, notebook=relative, digest=digest) if current else []
        if load_error is not None:
            changes.append(f"the notebook cannot be loaded: {load_error.message}")
        if dry_run or not changes:
            return _comparison(service, name, relative, user, identity, compared, digest, current, changes,
                               upcoming, surface=surface, audit=not dry_run)
    outcome = evaluate(GateInputs(service, name, relative, notebook, load_error, cleaned, spec, identity, user,
                                  dict(parameters or {}), coerce_strings))
    spec = spec.model_copy(update={"parameters": outcome.parameters})
    schedule_json, next_runs = schedule_summary(spec.schedule)
    report = PromotionReport(name, relative, "refused", outcome.gates, identity, user, digest=digest,
                             parameter_schema=outcome.schema, parameters=outcome.parameters, schedule=schedule_json,
                             next_runs=next_runs, notes=_trigger_notes(service, name, spec),
                             previous_version=current["version"] if current else None,
                             changes=describe_changes(current, spec, notebook=relative, digest=digest)
                             if current else [])
    verdicts = {g.name: {"passed": g.passed, "reason": g.reason} for g in outcome.gates}
    if outcome.refused:
        service.audit.append(user=user, surface=surface, action="job_promote", target=target, allowed=False,
                             detail={"notebook": relative, "digest": digest, "identity": identity, "gates": verdicts})
        return report
    # a notebook that failed to load fails the parameters_cell gate, so an unrefused one has loaded
    assert cleaned is not None and digest is not None
    report.status = "pending_approval" if outcome.pending else "active"
    report.version = _store_version(service, report, spec, cleaned, digest, outcome)
    service.audit.append(user=user, surface=surface, action="job_promote", target=target, allowed=True,
                         detail={"version": report.version, "notebook": relative, "digest": digest,
                                 "identity": identity, "status": report.status, "gates": verdicts})
    if report.status == "pending_approval":
        service.alerts.approval_pending(report.job, report.version, notebook=report.notebook,
                                        promoted_by=report.promoted_by, approver=spec.approver, digest=report.digest)
    return report


def _comparable(notebook, parameters: dict | None, coerce_strings: bool) -> dict:
    """The supplied parameter values as the parameters gate would store them (typed), to compare with a
    stored version; as given when they are not valid (the gate will say why)."""
    from aios_workbench.jobs.parameters import derive_schema, validate  # lazy: papermill translators

    values = dict(parameters or {})
    if notebook is None:
        return values
    try:
        return validate(derive_schema(notebook), values, coerce_strings=coerce_strings)
    except WorkbenchError:
        return values


def _comparison(service, name: str, relative: str, user: str, identity: str, spec: JobSpec, digest: str | None,
                current: dict | None, changes: list[str], upcoming: int, *, surface: str,
                audit: bool) -> PromotionReport:
    """The report of a promotion that runs no gate: a dry run (`planned`: version `upcoming` would be made)
    or one that changes nothing of the job's current version (`unchanged`: that version is the answer)."""
    previous = current["version"] if current is not None else None
    status = "unchanged" if previous is not None and not changes else "planned"
    schedule_json, next_runs = schedule_summary(spec.schedule)
    version = previous if status == "unchanged" else upcoming
    notes = [f"job {name} version {version} already runs this notebook with these settings: nothing was "
             "stored; change the notebook or a setting to make a new version"] if status == "unchanged" else []
    report = PromotionReport(name, relative, status, [], identity, user, version=version, digest=digest,
                             parameters=spec.parameters, schedule=schedule_json, next_runs=next_runs,
                             notes=notes, previous_version=previous, changes=changes)
    if audit:
        service.audit.append(user=user, surface=surface, action="job_promote", target=f"job:{name}", allowed=True,
                             detail={"version": version, "notebook": relative, "digest": digest,
                                     "identity": identity, "status": status})
    return report


def _trigger_notes(service, name: str, spec) -> list[str]:
    """Triggers that cannot fire yet: a job not promoted, a monitor not declared (allowed: they may come
    later, but the promoter should know the trigger waits for them)."""
    from sqlalchemy import select

    # lazy: checks.monitors loads NumPy and PyArrow; only to note monitors on a trigger
    from aios_workbench.checks.monitors import workspace_monitors
    from aios_workbench.store.models import Job  # lazy: SQLAlchemy store models, only when the trigger notes are built

    notes = []
    wanted = [j for j in spec.triggers.after_success if j != name]
    if wanted:
        with service.store.session() as session:
            known = set(session.scalars(select(Job.name).where(Job.name.in_(wanted))))
        notes += [f"--after {job}: no job {job!r} exists yet; this trigger fires once it is promoted and succeeds"
                  for job in wanted if job not in known]
    if spec.triggers.on_monitor_failure:
        try:
            monitors = set(workspace_monitors(service.workspace))
        except WorkbenchError:
            monitors = set()
        notes += [f"--on-monitor-failure {m}: governance/checks.yaml declares no monitor {m!r}; this trigger "
                  "fires once it does and fails" for m in spec.triggers.on_monitor_failure if m not in monitors]
    return notes


def _store_version(service, report: PromotionReport, spec, cleaned: dict, digest: str, outcome) -> int:
    """Write the snapshot of `cleaned` (its `digest`), then the version (and the job, when active) in one
    transaction."""
    from sqlalchemy.exc import IntegrityError

    # lazy: SQLAlchemy store and models, only when a version is stored
    from aios_workbench.jobs.versions import next_version, point_job_at, remove_unreferenced_snapshot, write_snapshot
    from aios_workbench.store.models import JobVersion  # lazy: as above

    path, created = write_snapshot(service.workspace, cleaned, digest)
    now = datetime.now(UTC)
    datasets = list(getattr(outcome.execution, "datasets_read", None) or [])
    for attempt in range(5):  # two promotions of one job at once: the unique (job, version) key decides
        try:
            with service.store.session() as session, session.begin():
                row = JobVersion(job_name=report.job, version=next_version(session, report.job), digest=digest,
                                 notebook=report.notebook, snapshot_path=str(path),
                                 parameter_schema=report.parameter_schema or {}, spec=spec.to_json(),
                                 gates=[g.to_dict() for g in report.gates], status=report.status,
                                 datasets_read=datasets, promoted_by=report.promoted_by, promoted_at=now)
                session.add(row)
                session.flush()
                if report.status == "active":
                    point_job_at(session, row, user=report.promoted_by, now=now)
            return row.version
        except IntegrityError:
            if attempt == 4:
                break
        except BaseException:
            if created:
                remove_unreferenced_snapshot(service.store, path)
            raise
    if created:
        remove_unreferenced_snapshot(service.store, path)
    raise WorkbenchError(f"could not store a new version of job {report.job}: concurrent promotions kept "
                         "taking the version number", fix="promote again", input=report.job)


# -- approval -------------------------------------------------------------------------------------------------
def approve(service, name: str, version, user: str, comment: str | None = None, *, surface: str = "api") -> dict:
    """Approve a version waiting for approval: it becomes active and the job runs it (unless the job
    already runs a newer version). The approver must not be the promoter, must be the named approver
    when one was named, and must hold one of `jobs.approver_roles` when set. Audited; resolves the alert."""
    return _decide(service, name, version, user, comment, approve=True, surface=surface)


def reject(service, name: str, version, user: str, comment: str | None = None, *, surface: str = "api") -> dict:
    """Reject a version waiting for approval (the promoter may withdraw it, too). Audited; resolves the alert."""
    return _decide(service, name, version, user, comment, approve=False, surface=surface)


def _decide(service, name, version, user, comment, *, approve: bool, surface: str) -> dict:
    from sqlalchemy import select

    from aios_workbench.jobs.versions import _iso, _version_number, point_job_at  # lazy: SQLAlchemy store models
    from aios_workbench.store.models import Job, JobVersion  # lazy: as above

    number = _version_number(version)
    decision = "approve" if approve else "reject"
    target = f"job:{name}"
    now = datetime.now(UTC)
    refusal = None
    with service.store.session() as session, session.begin():
        row = session.scalar(select(JobVersion).where(JobVersion.job_name == name, JobVersion.version == number))
        if row is None:
            raise NotFound(f"job {name!r} has no version {number}", input=f"{name} v{number}",
                           fix=f"list its versions with `aios jobs versions {name}`")
        if row.status != "pending_approval":
            raise UsageError(f"version {number} of job {name!r} is {row.status}: nothing to {decision}",
                             input=f"{name} v{number}", fix="only versions waiting for approval can be decided")
        spec = JobSpec.model_validate(row.spec)
        if approve or user != row.promoted_by:
            refusal = approval_problem(service, user, row.promoted_by, spec.approver)
        if refusal is None:
            job = session.scalar(select(Job).where(Job.name == name))
            row.status = "active" if approve else "rejected"
            row.approved_by, row.approved_at = (user, now) if approve else (None, None)
            gates = [dict(g) for g in row.gates]
            for gate in gates:
                if gate["name"] == "approval":
                    gate.update(pending=False, passed=approve, detail={**gate.get("detail", {}), "decided_by": user,
                                "comment": comment or ""},
                                reason=f"{'approved' if approve else 'rejected'} by {user}"
                                       + (f": {comment}" if comment else ""))
                    gate["verdict"] = verdict_of(gate)
            row.gates = gates
            runs_it = approve and (job is None or job.version < number)
            if runs_it:
                job = point_job_at(session, row, user=row.promoted_by, now=now)
            current = job.version if job else None
    if refusal is not None:
        service.audit.append(user=user, surface=surface, action=f"job_{decision}", target=target, allowed=False,
                             detail={"version": number, "reason": refusal, "promoted_by": row.promoted_by})
        raise PermissionDenied(refusal, input=user,
                               fix="ask another user (not the promoter" + (f"; the named approver is {spec.approver}"
                                                                           if spec.approver else "") + ")")
    service.audit.append(user=user, surface=surface, action=f"job_{decision}", target=target, allowed=True,
                         detail={"version": number, "comment": comment or "", "promoted_by": row.promoted_by,
                                 "digest": row.digest, "job_version": current})
    service.alerts.approval_decided(name, number)
    return {"job": name, "version": number, "decision": decision, "status": row.status, "user": user,
            "comment": comment or "", "job_version": current, "approved_at": _iso(row.approved_at),
            "next_due_at": _iso(job.next_due_at) if approve and job is not None else None}
