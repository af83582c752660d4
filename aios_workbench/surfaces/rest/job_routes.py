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
from pathlib import Path

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.alerts import AcknowledgeRequest, Alert, AlertPage, AlertsQuery
from aios_workbench.schemas.jobs import (
    RUN_OUTPUT,
    HistoryQuery,
    Job,
    JobDeleted,
    JobDetail,
    JobList,
    JobNameRequest,
    JobRun,
    JobRunPage,
    RunIdRequest,
    RunJobRequest,
    RunLog,
    RunLogQuery,
    RunOutputQuery,
    RunQuery,
    RunsQuery,
)
from aios_workbench.schemas.promotion import JobNameQuery
from aios_workbench.service.jobs import positive_id
from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import SANDBOXED_HTML_CSP, RouteMixin

PATH_KEYS = ("output_path", "html_path", "log_path", "live_log_path")


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
    value = (body or {}).get("id") if body is not None else handler.get_query_argument("id", "")
    if value in (None, ""):
        raise UsageError("the run `id` is missing", fix='pass ?id=RUN_ID' if body is None else 'send {"id": RUN_ID}')
    return positive_id(value)


def _before_id(handler) -> int | None:
    raw = handler.get_query_argument("before_id", "")
    return positive_id(raw, "page") if raw else None


class JobsRoute(RouteMixin):
    """GET jobs: every job with its schedule in words, next run, paused flag, last run and whether the
    caller may control it (anyone authenticated)."""

    path = "jobs"
    response_model = {"get": JobList}

    @web.authenticated
    async def get(self):
        self.write_json({"jobs": await asyncio.to_thread(self.service.jobs.list, self.user_name)})


class JobRoute(RouteMixin):
    """GET jobs/job?name=: one job (anyone authenticated). DELETE jobs/job?name=: delete it with its runs
    and their outputs (creator, identity or auditor)."""

    path = "jobs/job"
    query_model = {"get": JobNameQuery, "delete": JobNameQuery}
    response_model = {"get": JobDetail, "delete": JobDeleted}

    @web.authenticated
    async def get(self):
        self.write_json(await asyncio.to_thread(self.service.jobs.show, self.user_name, _name(self)))

    @web.authenticated
    async def delete(self):
        self.write_json(await asyncio.to_thread(self.service.jobs.delete, self.user_name, _name(self), surface="api"))


class RunJobRoute(RouteMixin):
    """POST jobs/run {name, parameters?}: queue a manual run now and answer the queued run (its `id`
    among its fields) (creator, identity or auditor); parameters are checked against the version's
    schema first (400 naming each bad one)."""

    path = "jobs/run"
    request_model = {"post": RunJobRequest}
    response_model = {"post": JobRun}

    @web.authenticated
    async def post(self):
        body = _body(self)
        parameters = body.get("parameters")   # a JSON object or absent: RunJobRequest
        run = await asyncio.to_thread(self.service.jobs.run_now, self.user_name, _name(self, body), surface="api",
                                      parameters=parameters, from_text=bool(body.get("parameters_as_text")))
        self.write_json(_relative(self.service.workspace, run))


class PauseRoute(RouteMixin):
    """POST jobs/pause {name}: no new scheduled or triggered runs (creator, identity or auditor)."""

    path = "jobs/pause"
    request_model = {"post": JobNameRequest}
    response_model = {"post": Job}

    @web.authenticated
    async def post(self):
        self.write_json(await asyncio.to_thread(self.service.jobs.pause, self.user_name, _name(self, _body(self)),
                                                surface="api"))


class ResumeRoute(RouteMixin):
    """POST jobs/resume {name}: schedule again, missed occurrences per the catch-up policy
    (creator, identity or auditor)."""

    path = "jobs/resume"
    request_model = {"post": JobNameRequest}
    response_model = {"post": Job}

    @web.authenticated
    async def post(self):
        self.write_json(await asyncio.to_thread(self.service.jobs.resume, self.user_name, _name(self, _body(self)),
                                                surface="api"))


class HistoryRoute(RouteMixin):
    """GET jobs/history?name=&limit=&before_id=: a job's runs, newest first, keyset paged (anyone
    authenticated; errors and paths only for those who may control the job)."""

    path = "jobs/history"
    query_model = {"get": HistoryQuery}
    response_model = {"get": JobRunPage}

    @web.authenticated
    async def get(self):
        jobs, name = self.service.jobs, _name(self)
        limit, before_id = _int_arg(self, "limit", 50, low=1, high=500), _before_id(self)

        def page() -> dict:
            data = jobs.history(self.user_name, name, limit=limit, before_id=before_id)
            for row in data["runs"]:
                _relative(self.service.workspace, row)   # resolving paths touches the disk: off the loop
            return data

        self.write_json(await asyncio.to_thread(page))


class AllRunsRoute(RouteMixin):
    """GET jobs/runs?job=&status=&limit=&before_id=: every job's runs, newest first, keyset paged; `status`
    filters on the verdict (checks_failed included) (anyone authenticated; errors and paths only on runs of
    jobs the caller may control)."""

    path = "jobs/runs"
    query_model = {"get": RunsQuery}
    response_model = {"get": JobRunPage}

    @web.authenticated
    async def get(self):
        jobs, arg = self.service.jobs, self.get_query_argument
        limit, before_id = _int_arg(self, "limit", 50, low=1, high=500), _before_id(self)
        job, status = arg("job", "") or None, arg("status", "") or None

        def page() -> dict:
            data = jobs.all_runs(self.user_name, job=job, status=status, limit=limit, before_id=before_id)
            for row in data["runs"]:
                _relative(self.service.workspace, row)
            return data

        self.write_json(await asyncio.to_thread(page))


class RunRoute(RouteMixin):
    """GET jobs/runs/run?id=: status, progress (cell n of m), timings, failing cell, paths."""

    path = "jobs/runs/run"
    query_model = {"get": RunQuery}
    response_model = {"get": JobRun}

    @web.authenticated
    async def get(self):
        run = await asyncio.to_thread(self.service.jobs.run, self.user_name, _run_id(self))
        self.write_json(_relative(self.service.workspace, run))


class RunLogRoute(RouteMixin):
    """GET jobs/runs/log?id=&tail=200: the last lines of a run's log, live while it runs (creator,
    identity or auditor)."""

    path = "jobs/runs/log"
    query_model = {"get": RunLogQuery}
    response_model = {"get": RunLog}

    @web.authenticated
    async def get(self):
        run_id, tail = _run_id(self), _int_arg(self, "tail", 200, low=1, high=100_000)
        self.write_json(await asyncio.to_thread(self.service.jobs.log, self.user_name, run_id, tail=tail))


class RunOutputRoute(RouteMixin):
    """GET jobs/runs/output?id=&format=html|ipynb: the executed notebook (creator, identity or auditor).
    HTML is served sandboxed (no scripts, its own origin) since notebook outputs may hold any markup."""

    path = "jobs/runs/output"
    query_model = {"get": RunOutputQuery}
    response_model = {"get": RUN_OUTPUT}

    @web.authenticated
    async def get(self):
        run_id, fmt = _run_id(self), self.get_query_argument("format", "html")
        content = await asyncio.to_thread(self.service.jobs.output, self.user_name, run_id, fmt)
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
    request_model = {"post": RunIdRequest}
    response_model = {"post": JobRun}

    @web.authenticated
    async def post(self):
        run_id = _run_id(self, _body(self))
        run = await asyncio.to_thread(self.service.jobs.cancel, self.user_name, run_id, surface="api")
        self.write_json(_relative(self.service.workspace, run))


class RerunRoute(RouteMixin):
    """POST jobs/runs/rerun {id}: queue the same job version again with the same parameters
    (creator, identity or auditor)."""

    path = "jobs/runs/rerun"
    request_model = {"post": RunIdRequest}
    response_model = {"post": JobRun}

    @web.authenticated
    async def post(self):
        run_id = _run_id(self, _body(self))
        run = await asyncio.to_thread(self.service.jobs.rerun, self.user_name, run_id, surface="api")
        self.write_json(_relative(self.service.workspace, run))


class AlertsRoute(RouteMixin):
    """GET alerts?state=&limit=&before_id=: the alert feed as the caller may see it (alerts about datasets
    they may not read are left out, of the counts too), newest first, with open/acknowledged counts."""

    path = "alerts"
    query_model = {"get": AlertsQuery}
    response_model = {"get": AlertPage}

    @web.authenticated
    async def get(self):
        alerts, state = self.service.alerts, self.get_query_argument("state", "") or None
        limit, before_id = _int_arg(self, "limit", 50, low=1, high=500), _before_id(self)
        self.write_json(await asyncio.to_thread(alerts.page, self.user_name, state=state, limit=limit,
                                                before_id=before_id))


class AcknowledgeAlertRoute(RouteMixin):
    """POST alerts/ack {id}: mark an alert as seen by the caller (who must be able to see it: an alert about a
    dataset they may not read is not found; audited). A second acknowledgement changes nothing and says by
    whom and when the first was made."""

    path = "alerts/ack"
    request_model = {"post": AcknowledgeRequest}
    response_model = {"post": Alert}

    @web.authenticated
    async def post(self):
        body = _body(self)   # an `id`: AcknowledgeRequest
        self.write_json(await asyncio.to_thread(self.service.alerts.acknowledge, self.user_name, body["id"],
                                                surface="api"))


ROUTES = [JobsRoute, JobRoute, RunJobRoute, PauseRoute, ResumeRoute, HistoryRoute, AllRunsRoute, RunRoute,
          RunLogRoute, RunOutputRoute, CancelRunRoute, RerunRoute, AlertsRoute, AcknowledgeAlertRoute]
