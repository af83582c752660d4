"""Promoted jobs as business actions: promote, versions, approve, rollback, run now, cancel, pause, resume,
runs, logs and outputs.

Who may do what is the rule of `jobs/manage.py`: a job's creator, its identity and auditors control it and
read its errors, logs and outputs; everybody authenticated lists jobs and sees run statuses and timings.
Every control attempt is audited, allowed or denied. REST `jobs/*`, `aios jobs|runs|promote` and the
sidebar call only this manager; alerts of promotions and approvals go through `service.alerts`."""

from __future__ import annotations

import builtins
import re
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.core.humanize import duration_words, moment_words
from aios_workbench.core.incidents import scrub_paths
from aios_workbench.jobs import promote as promotion
from aios_workbench.jobs import runs as run_pages
from aios_workbench.jobs import versions as job_versions
from aios_workbench.jobs.changes import describe_changes, jobs_of_notebook
from aios_workbench.jobs.gates import verdict_of
from aios_workbench.jobs.manage import JobControl, get_job
from aios_workbench.jobs.notebook import load_notebook, parse_notebook, resolve_notebook, sent_notebook_name
from aios_workbench.jobs.outputs import kept_output
from aios_workbench.jobs.parameters import derive_schema, parse_assignments
from aios_workbench.jobs.runs import TERMINAL as FINAL_STATUSES
from aios_workbench.jobs.runs import positive_id
from aios_workbench.jobs.wording import trigger_words, webhook_redacted
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.schemas.schedule import Schedule
from aios_workbench.store.models import Job

if TYPE_CHECKING:
    from aios_workbench.jobs.promote import PromotionReport
    from aios_workbench.service.core import WorkbenchService

# What surfaces need of the engines, named here so they import only the service.
__all__ = ["FINAL_STATUSES", "VERDICTS", "JobsManager", "duration_words", "moment_words", "parse_assignments",
           "parse_schedule", "positive_id", "read_tail", "schedule_preview", "trigger_words"]

OUTPUT_FORMATS = ("html", "ipynb")
VERDICTS = ("queued", "running", "succeeded", "checks_failed", "failed", "timed_out", "cancelled")
MAX_SCANS = 10
HIDDEN_GATE_REASON = "(hidden: the job's creator, its identity and auditors see what each gate found)"


def parse_schedule(cron: str | None = None, *, timezone: str = "UTC", at: str | None = None) -> Schedule:
    """A schedule from a cron expression or a one-off ISO time in `timezone` (neither: manual only);
    a bad one is a UsageError naming the fix. Pure: surfaces check it before opening anything."""
    return Schedule.parse(cron, tz=timezone, at=at)


def schedule_preview(schedule: Schedule, count: int = 5) -> dict[str, Any]:
    """The schedule normalised and in words, and its next `count` runs (UTC and local). Pure, like
    `parse_schedule`: the schedule builder previews without a workspace."""
    summary, runs = promotion.schedule_summary(schedule, count)
    return {"schedule": summary, "next_runs": runs}


def version_changes(previous: dict[str, Any] | None, version: dict[str, Any], *, privileged: bool) -> list[str]:
    """What `version` changed against the `previous` one, in words (empty for the first version); webhooks by
    their host only (a path may hold a token), and only that they changed for those who do not control the job."""
    if previous is None:
        return []
    before = {"spec": previous["spec"], "notebook": previous["notebook"], "digest": previous["digest"],
              "version": previous["version"]}
    try:
        changes = describe_changes(before, JobSpec.model_validate(version["spec"]), notebook=version["notebook"],
                                   digest=version["digest"])
    except (ValueError, UsageError):   # a spec stored by another release: say so rather than fail the list
        return ["(its settings cannot be compared with the version before)"]
    hidden = [re.sub(r"https?://[^\s,/]+[^\s,]*", lambda m: webhook_redacted(m.group(0)), c)
              if c.startswith("webhooks:") else c for c in changes]   # a webhook's path may hold its token
    return hidden if privileged else ["webhooks changed" if c.startswith("webhooks:") else c for c in hidden]


def read_tail(path: Path, lines: int, *, max_bytes: int = 2_000_000) -> list[str]:
    """The last `lines` lines of a text file (reading at most its last `max_bytes`)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - max_bytes))
        text = handle.read().decode("utf-8", errors="replace")
    return list(deque(text.splitlines(), maxlen=lines))


class JobsManager:
    """Job actions of one workspace, each run as a named caller through a named surface (cli, api, ui)."""

    def __init__(self, service: WorkbenchService) -> None:
        self.service = service
        self.control = JobControl(service.workspace, service.store, service.audit, alerts=service.alerts,
                                  policy=service.queries.policy.current)

    # -- jobs ----------------------------------------------------------------------------------------
    def list(self, user: str) -> list[dict[str, Any]]:
        """Every job with its schedule in words, next run, paused flag, last run and whether `user` controls it."""
        return self._judged_jobs(self.control.list(user))

    def show(self, user: str, name: str) -> dict[str, Any]:
        """One job: its spec, next five occurrences, latest runs and whether `user` controls it."""
        job = self._judged_jobs([self.control.show(name, user)])[0]
        self.service.checks.with_job_verdicts(job["recent_runs"])
        return job

    def run_now(self, user: str, name: str, *, surface: str, parameters: dict[str, Any] | None = None,
                from_text: bool = False) -> dict[str, Any]:
        """Queue a manual run with the job's defaults updated by `parameters`, checked against the version's
        schema first (`from_text`: the values are CLI strings, converted by the declared types)."""
        return self._judged(self.control.run_now(name, user, surface, parameters, from_text=from_text))

    def pause(self, user: str, name: str, *, surface: str) -> dict[str, Any]:
        """Stop scheduling new occurrences and triggered runs of job `name`."""
        return self._judged_jobs([self.control.pause(name, user, surface)])[0]

    def resume(self, user: str, name: str, *, surface: str) -> dict[str, Any]:
        """Schedule job `name` again; missed occurrences follow its catch-up policy."""
        return self._judged_jobs([self.control.resume(name, user, surface)])[0]

    def delete(self, user: str, name: str, *, surface: str) -> dict[str, Any]:
        """Delete job `name` with its runs and their outputs (its promoted versions stay); resolves its alert."""
        return self.control.delete(name, user, surface)

    def history(self, user: str, name: str, *, limit: int = 50, before_id: int | None = None) -> dict[str, Any]:
        """One keyset page of job `name`'s runs, newest first; errors, failing cells and paths only for
        callers who may control the job (the outputs show data read as its identity)."""
        rows = self.service.checks.with_job_verdicts(self.control.history(name, limit=limit, before_id=before_id))
        with self.service.store.session() as session:
            privileged = self.control.may_control(get_job(session, name), user)
        if not privileged:
            for row in rows:
                row.update(error="(hidden)" if row["error"] else None, failing_cell=None,
                           output_path=None, html_path=None, log_path=None)
        return {"runs": rows, "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

    def all_runs(self, user: str, *, job: str | None = None, status: str | None = None, limit: int = 50,
                 before_id: int | None = None) -> dict[str, Any]:
        """One keyset page of every job's runs (or job `job`'s), newest first, each with its verdict; `status`
        keeps the runs with that verdict (`checks_failed` among them). Errors and paths only on runs of jobs
        `user` controls, as in `history`."""
        if status is not None and status not in VERDICTS:
            raise UsageError(f"unknown run status {status!r}", fix=f"use one of {', '.join(VERDICTS)}", input=status)
        job_id = None
        if job:
            with self.service.store.session() as session:
                job_id = get_job(session, job).id
        stored = "succeeded" if status == "checks_failed" else status
        out: builtins.list[dict[str, Any]] = []
        cursor, size, scanned, exhausted = before_id, limit, before_id, False
        for _ in range(MAX_SCANS):   # a verdict filter may skip rows: read on in bigger steps, a bounded number of times
            batch = self.service.checks.with_job_verdicts(
                run_pages.history(self.service.store, job_id=job_id, status=stored, limit=size, before_id=cursor))
            for run in batch:
                scanned = run["id"]
                if status is None or run["verdict"] == status:
                    out.append(run)
                    if len(out) == limit:
                        break
            exhausted = len(batch) < size
            if len(out) == limit or exhausted:
                break
            cursor, size = batch[-1]["id"], max(limit, 200)
        self._redact_for(user, out)
        more = len(out) == limit or not exhausted
        return {"runs": out, "next_before_id": (out[-1]["id"] if len(out) == limit else scanned) if more else None}

    def _redact_for(self, user: str, rows: builtins.list[dict[str, Any]]) -> None:
        """Hide errors, failing cells and paths of runs whose job `user` may not control."""
        allowed: dict[str, bool] = {}
        with self.service.store.session() as session:
            for name in {row["job"] for row in rows}:
                allowed[name] = self.control.may_control(get_job(session, name), user)
        for row in rows:
            if not allowed[row["job"]]:
                row.update(error="(hidden)" if row["error"] else None, failing_cell=None,
                           output_path=None, html_path=None, log_path=None)

    def run_history(self, name: str, *, limit: int = 50, before_id: int | None = None) -> builtins.list[dict[str, Any]]:
        """Job `name`'s runs newest first, unredacted: for the local CLI, which is no security boundary
        (whoever runs it can read the workspace's files)."""
        return self.service.checks.with_job_verdicts(self.control.history(name, limit=limit, before_id=before_id))

    # -- runs ----------------------------------------------------------------------------------------
    def run(self, user: str, run_id: int) -> dict[str, Any]:
        """One run: status, progress, timings, its checks' verdict (`checks.with_job_verdicts`); its error,
        failing cell and paths only if `user` controls the job."""
        return self._judged(self.control.run(run_id, user))

    def readable_run(self, user: str, run_id: int, what: str) -> dict[str, Any]:
        """A run whose `what` (logs, outputs) `user` wants to read: refused unless they control its job."""
        return self.control.readable_run(run_id, user, what)

    def cancel(self, user: str, run_id: int, *, surface: str) -> dict[str, Any]:
        """Cancel a run: a queued one at once, a running one is stopped by its scheduler."""
        return self._judged(self.control.cancel(run_id, user, surface))

    def rerun(self, user: str, run_id: int, *, surface: str) -> dict[str, Any]:
        """Queue a run's job version again with the same parameters; the new run."""
        return self._judged(self.control.rerun(run_id, user, surface))

    def _judged(self, run: dict[str, Any]) -> dict[str, Any]:
        """`run` with its checks and its verdict, decided by `checks.with_job_verdicts` (the one place)."""
        return self.service.checks.with_job_verdicts([run])[0]

    def _judged_jobs(self, jobs: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
        """`jobs` with the verdict of each one's last run."""
        self.service.checks.with_job_verdicts([j["last_run"] for j in jobs if j.get("last_run")])
        return jobs

    def retry_of(self, run: dict[str, Any], *, wait: float = 5.0) -> int | None:
        """The retry queued for a failed run when its job's policy has attempts left, waiting up to `wait`
        seconds for the scheduler to queue it (it does within a tick or two); None otherwise."""
        if not self.control.retries_left(run):
            return None
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            found = self.control.retry_of(run["id"])
            if found:
                return found
            time.sleep(0.25)
        return None

    def log_file(self, user: str, run_id: int) -> tuple[dict[str, Any], Path]:
        """(the run, its log file) for a caller who may read its logs; the file is written while it runs."""
        run = self.readable_run(user, run_id, "logs")
        return run, Path(run.get("log_path") or run["live_log_path"])

    def log(self, user: str, run_id: int, *, tail: int = 200) -> dict[str, Any]:
        """The last `tail` lines of a run's log (live while it runs), with its status and progress."""
        run, path = self.log_file(user, run_id)
        lines = read_tail(path, tail) if path.is_file() else []
        return {"id": run_id, "status": run["status"], "progress": run["progress"], "lines": lines}

    def output(self, user: str, run_id: int, fmt: str) -> bytes:
        """A run's executed notebook (`ipynb`) or its HTML rendering (`html`), for callers who may read it."""
        return self.output_path(user, run_id, fmt).read_bytes()

    def output_path(self, user: str, run_id: int, fmt: str) -> Path:
        """Where a run's output (`ipynb` or `html`) is, for callers who may read it (the local CLI prints it);
        only a file the run recorded under the jobs' state folder is ever given."""
        if fmt not in OUTPUT_FORMATS:
            raise UsageError(f"format must be html or ipynb, got {fmt!r}", fix="pass ?format=html or ?format=ipynb",
                             input=fmt)
        run = self.readable_run(user, run_id, "outputs")
        path = kept_output(self.service.workspace, run["html_path" if fmt == "html" else "output_path"])
        if path is None:
            why = "was pruned by the job's retention" if run["status"] in FINAL_STATUSES else "is not written yet"
            raise NotFound(f"the {fmt} output of run {run_id} {why}", input=str(run_id),
                           fix="see `aios runs show RUN_ID` for the run's status and paths")
        return path

    # -- promotion -----------------------------------------------------------------------------------
    def notebook_parameters(self, path: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
        """The parameter schema and required checks of a workspace notebook (the Promote dialog's form), or of
        the notebook `content` sent under the name `path` (team mode: the service never reads the user's files),
        and the current definitions of the jobs it runs as (the dialog starts from the newest one)."""
        if content is not None:
            notebook = parse_notebook(content, sent_notebook_name(path))
        else:
            absolute, relative = resolve_notebook(self.service.workspace, path)
            notebook = load_notebook(absolute, relative)
        relative = notebook.relative
        with self.service.store.session() as session:
            jobs = jobs_of_notebook(session, relative)
        return {"notebook": relative, "digest": notebook.digest, "kernel": notebook.kernel,
                "language": notebook.language, "required_checks": notebook.required_checks(),
                "schema": derive_schema(notebook), "jobs": jobs}

    def promote(self, user: str, notebook: str, *, surface: str, name: str | None = None,
                parameters: dict[str, Any] | None = None, schedule: Schedule | None = None, base: Path | None = None,
                coerce_strings: bool = False, content: dict[str, Any] | None = None,
                **spec_fields: Any) -> PromotionReport:
        """Promote `notebook` as job `name` after every gate (parameters cell, typed parameters, a validation
        run, required checks, the identity's grants, approval); the report, refused or not. Audited.
        With `content` (the notebook's JSON) that content is snapshotted and `notebook` only names it: the
        service reads no file of the caller's."""
        return promotion.promote(self.service, notebook, user=user, name=name, parameters=parameters,
                                 schedule=schedule, surface=surface, base=base, coerce_strings=coerce_strings,
                                 content=content, **spec_fields)

    def versions(self, user: str, name: str) -> dict[str, Any]:
        """Every version of job `name` (oldest first) with status, digest, promoter, approver, and the current one.
        Which datasets a version read and what its gates found are facts about data: callers who do not control
        the job see only the datasets they may read themselves and the gates' verdicts, not their details; the
        snapshot's place on the server is the state folder's business (`<state>/...` for everyone)."""
        data = job_versions.versions(self.service.store, name)
        with self.service.store.session() as session:
            job = session.scalar(select(Job).where(Job.name == name))   # None: every version was refused
            privileged = job is not None and self.control.may_control(job, user)
        readable = None if privileged else {e["name"] for e in self.service.catalog.readable(user)}
        state = [("<state>", str(self.service.workspace.state_dir))]
        previous: dict[str, Any] | None = None
        for version in data["versions"]:
            version["changes"] = version_changes(previous, version, privileged=privileged)
            previous = version
            version["snapshot_path"] = scrub_paths(version["snapshot_path"], state)
            version["gates"] = [{**gate, "verdict": verdict_of(gate)} for gate in version["gates"] or []]
            if readable is not None:
                version["datasets_read"] = [d for d in version["datasets_read"] or [] if d in readable]
                version["gates"] = [{**gate, "reason": HIDDEN_GATE_REASON, "detail": {}}
                                    for gate in version["gates"] or []]
        return data

    def rollback(self, user: str, name: str, version: int, *, surface: str) -> dict[str, Any]:
        """Point job `name` at its earlier active `version` (snapshot, parameters, schedule). Audited."""
        return job_versions.rollback(self.service, name, version, user, surface=surface)

    def approve(self, user: str, name: str, version: int, comment: str | None = None, *,
                surface: str) -> dict[str, Any]:
        """Approve a version waiting for approval (not by its promoter); the job then runs it. Audited."""
        return promotion.approve(self.service, name, version, user, comment, surface=surface)

    def reject(self, user: str, name: str, version: int, comment: str | None = None, *,
               surface: str) -> dict[str, Any]:
        """Reject a version waiting for approval (its promoter may withdraw it). Audited."""
        return promotion.reject(self.service, name, version, user, comment, surface=surface)

    def decide(self, user: str, name: str, version: int, decision: str, comment: str | None = None, *,
               surface: str) -> dict[str, Any]:
        """Approve or reject a pending version, as `decision` says."""
        if decision not in ("approve", "reject"):
            raise UsageError(f"decision must be approve or reject, got {decision!r}", fix="send approve or reject",
                             input=str(decision))
        act = self.approve if decision == "approve" else self.reject
        return act(user, name, version, comment, surface=surface)
