"""Jobs, job runs and the alert feed over REST.

Who may do what (the same rule as the CLI, see `jobs/manage.py`):
- any authenticated user may list jobs, show a job, page its history, see a run's status, timings and
  progress, and list and acknowledge alerts;
- running, cancelling, re-running, pausing, resuming and deleting a job, and reading a run's error,
  failing cell, log and output notebook, are for the job's creator, its identity (the user it runs as)
  and users holding a role with `audit: true` in the policy: the outputs show data read as the job's
  identity. Anyone else gets 403; every control attempt is audited, allowed or denied.
Paths in responses are relative to the workspace; files are served from the paths the run recorded,
never from a path in the request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path

from tornado import web

from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.jobs.outputs import kept_output
from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import SANDBOXED_HTML_CSP, RouteMixin

PATH_KEYS = ("output_path", "html_path", "log_path", "live_log_path")


def _control(handler):
    from aios_workbench.jobs.manage import JobControl

    service = handler.service
    return JobControl(service.workspace, service.store, service.audit, policy=service.queries.policy.current)


def _relative(workspace, data: dict) -> dict:
    root = workspace.root.resolve()
    for key in PATH_KEYS:
        if data.get(key):
            try:
                data[key] = str(Path(data[key]).resolve().relative_to(root))
            except ValueError:
                data[key] = None  # outside the workspace: not shown
    return data


def _name(handler, body: dict | None = None) -> str:
    name = (body or {}).get("name") if body is not None else handler.get_query_argument("name", "")
    if not name or not isinstance(name, str):
        where = 'the JSON body {"name": "JOB"}' if body is not None else "?name=JOB"
        raise UsageError("the job's `name` is missing", fix=f"pass {where}")
    return name


def _run_id(handler, body: dict | None = None):
    from aios_workbench.jobs.runs import positive_id

    value = (body or {}).get("id") if body is not None else handler.get_query_argument("id", "")
    if value in (None, ""):
        raise UsageError("the run `id` is missing", fix='pass ?id=RUN_ID' if body is None else 'send {"id": RUN_ID}')
    return positive_id(value)


def _before_id(handler) -> int | None:
    from aios_workbench.jobs.runs import positive_id

    raw = handler.get_query_argument("before_id", "")
    return positive_id(raw, "page") if raw else None


class JobsRoute(RouteMixin):
    """GET jobs: every job with its schedule in words, next run, paused flag, last run and whether the
    caller may control it (anyone authenticated)."""

    path = "jobs"

    @web.authenticated
    async def get(self):
        self.write_json({"jobs": await asyncio.to_thread(_control(self).list, self.user_name)})


class JobRoute(RouteMixin):
    """GET jobs/job?name=: one job (anyone authenticated). DELETE jobs/job?name=: delete it with its runs
    and their outputs (creator, identity or auditor)."""

    path = "jobs/job"

    @web.authenticated
    async def get(self):
        self.write_json(await asyncio.to_thread(_control(self).show, _name(self), self.user_name))

    @web.authenticated
    async def delete(self):
        self.write_json(await asyncio.to_thread(_control(self).delete, _name(self), self.user_name, "api"))


class RunJobRoute(RouteMixin):
    """POST jobs/run {name, parameters?}: queue a manual run now and answer the queued run (its `id`
    among its fields) (creator, identity or auditor); parameters are checked against the version's
    schema first (400 naming each bad one)."""

    path = "jobs/run"

    @web.authenticated
    async def post(self):
        body = _body(self)
        parameters = body.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise UsageError("parameters must be a JSON object", fix='send {"parameters": {"n": 5}}',
                             input=str(parameters)[:200])
        run = await asyncio.to_thread(_control(self).run_now, _name(self, body), self.user_name, "api", parameters)
        self.write_json(_relative(self.service.workspace, run))


class PauseRoute(RouteMixin):
    """POST jobs/pause {name}: no new scheduled or triggered runs (creator, identity or auditor)."""

    path = "jobs/pause"

    @web.authenticated
    async def post(self):
        self.write_json(await asyncio.to_thread(_control(self).pause, _name(self, _body(self)), self.user_name, "api"))


class ResumeRoute(RouteMixin):
    """POST jobs/resume {name}: schedule again, missed occurrences per the catch-up policy
    (creator, identity or auditor)."""

    path = "jobs/resume"

    @web.authenticated
    async def post(self):
        self.write_json(await asyncio.to_thread(_control(self).resume, _name(self, _body(self)), self.user_name,
                                                "api"))


class HistoryRoute(RouteMixin):
    """GET jobs/history?name=&limit=&before_id=: a job's runs, newest first, keyset paged (anyone
    authenticated; errors and paths only for those who may control the job)."""

    path = "jobs/history"

    @web.authenticated
    async def get(self):
        control, name = _control(self), _name(self)
        limit, before_id = _int_arg(self, "limit", 50, low=1, high=500), _before_id(self)

        def page() -> dict:
            from aios_workbench.jobs.manage import get_job

            rows = control.history(name, limit=limit, before_id=before_id)
            with control.store.session() as session:
                privileged = control.may_control(get_job(session, name), self.user_name)
            for row in rows:
                if not privileged:
                    row.update(error="(hidden)" if row["error"] else None, failing_cell=None,
                               output_path=None, html_path=None, log_path=None)
                _relative(control.workspace, row)
            return {"runs": rows, "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

        self.write_json(await asyncio.to_thread(page))


class RunRoute(RouteMixin):
    """GET jobs/runs/run?id=: status, progress (cell n of m), timings, failing cell, paths."""

    path = "jobs/runs/run"

    @web.authenticated
    async def get(self):
        run = await asyncio.to_thread(_control(self).run, _run_id(self), self.user_name)
        self.write_json(_relative(self.service.workspace, run))


def read_tail(path: Path, lines: int, *, max_bytes: int = 2_000_000) -> list[str]:
    """The last `lines` lines of a text file (reading at most its last `max_bytes`)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - max_bytes))
        text = handle.read().decode("utf-8", errors="replace")
    return list(deque(text.splitlines(), maxlen=lines))


class RunLogRoute(RouteMixin):
    """GET jobs/runs/log?id=&tail=200: the last lines of a run's log, live while it runs (creator,
    identity or auditor)."""

    path = "jobs/runs/log"

    @web.authenticated
    async def get(self):
        run_id, tail = _run_id(self), _int_arg(self, "tail", 200, low=1, high=100_000)

        def read() -> dict:
            run = _control(self).readable_run(run_id, self.user_name, "logs")
            path = Path(run.get("log_path") or run["live_log_path"])
            lines = read_tail(path, tail) if path.is_file() else []
            return {"id": run_id, "status": run["status"], "progress": run["progress"], "lines": lines}

        self.write_json(await asyncio.to_thread(read))


class RunOutputRoute(RouteMixin):
    """GET jobs/runs/output?id=&format=html|ipynb: the executed notebook (creator, identity or auditor).
    HTML is served sandboxed (no scripts, its own origin) since notebook outputs may hold any markup."""

    path = "jobs/runs/output"

    @web.authenticated
    async def get(self):
        run_id, fmt = _run_id(self), self.get_query_argument("format", "html")
        if fmt not in ("html", "ipynb"):
            raise UsageError(f"format must be html or ipynb, got {fmt!r}", fix="pass ?format=html or ?format=ipynb",
                             input=fmt)

        def load() -> bytes:
            run = _control(self).readable_run(run_id, self.user_name, "outputs")
            path = kept_output(self.service.workspace, run["html_path" if fmt == "html" else "output_path"])
            if path is None:
                why = "was pruned by the job's retention" if run["status"] in ("succeeded", "failed", "timed_out",
                                                                                 "cancelled") else "is not written yet"
                raise NotFound(f"the {fmt} output of run {run_id} {why}", input=str(run_id),
                               fix="see `aios runs show RUN_ID` for the run's status and paths")
            return path.read_bytes()

        content = await asyncio.to_thread(load)
        if fmt == "html":
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Content-Security-Policy", SANDBOXED_HTML_CSP)
        else:
            self.set_header("Content-Type", "application/x-ipynb+json")
            self.set_header("Content-Disposition", f'attachment; filename="run-{run_id}.ipynb"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(content)


class CancelRunRoute(RouteMixin):
    """POST jobs/runs/cancel {id}: a queued run is cancelled at once, a running one is stopped by its
    scheduler (creator, identity or auditor)."""

    path = "jobs/runs/cancel"

    @web.authenticated
    async def post(self):
        run_id = _run_id(self, _body(self))
        run = await asyncio.to_thread(_control(self).cancel, run_id, self.user_name, "api")
        self.write_json(_relative(self.service.workspace, run))


class RerunRoute(RouteMixin):
    """POST jobs/runs/rerun {id}: queue the same job version again with the same parameters
    (creator, identity or auditor)."""

    path = "jobs/runs/rerun"

    @web.authenticated
    async def post(self):
        run_id = _run_id(self, _body(self))
        run = await asyncio.to_thread(_control(self).rerun, run_id, self.user_name, "api")
        self.write_json(_relative(self.service.workspace, run))


class AlertsRoute(RouteMixin):
    """GET alerts?state=&limit=&before_id=: the alert feed, newest first, with open/acknowledged counts."""

    path = "alerts"

    @web.authenticated
    async def get(self):
        from aios_workbench.alerts import AlertFeed

        feed = AlertFeed(self.service.store)
        state = self.get_query_argument("state", "") or None
        limit, before_id = _int_arg(self, "limit", 50, low=1, high=500), _before_id(self)

        def page() -> dict:
            alerts = feed.list(state=state, limit=limit, before_id=before_id)
            return {"alerts": alerts, "counts": feed.counts(),
                    "next_before_id": alerts[-1]["id"] if len(alerts) == limit else None}

        self.write_json(await asyncio.to_thread(page))


class AcknowledgeAlertRoute(RouteMixin):
    """POST alerts/ack {id}: mark an alert as seen by the caller (anyone authenticated; audited)."""

    path = "alerts/ack"

    @web.authenticated
    async def post(self):
        from aios_workbench.alerts import AlertFeed

        body = _body(self)
        if body.get("id") in (None, ""):
            raise UsageError("the alert `id` is missing", fix='send {"id": ALERT_ID}')

        def ack() -> dict:
            alert = AlertFeed(self.service.store).acknowledge(body["id"], self.user_name)
            self.service.audit.append(user=self.user_name, surface="api", action="alert_ack",
                                      target=f"alert:{alert['id']}", allowed=True, detail={"key": alert["key"]})
            return alert

        self.write_json(await asyncio.to_thread(ack))


ROUTES = [JobsRoute, JobRoute, RunJobRoute, PauseRoute, ResumeRoute, HistoryRoute, RunRoute, RunLogRoute,
          RunOutputRoute, CancelRunRoute, RerunRoute, AlertsRoute, AcknowledgeAlertRoute]
