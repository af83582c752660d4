"""Promotion REST routes: promote a notebook, its parameter schema, schedule previews, versions, approval.

Notebook paths are workspace-relative; a path leaving the workspace is refused (400). Promotion
runs kernels and checks, so every verb hands its work to a thread.
"""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin

PROMOTE_FIELDS = {"notebook", "name", "parameters", "cron", "timezone", "at", "timeout_seconds",
                  "cell_timeout_seconds", "retries", "notifications", "approver", "identity", "kernel",
                  "executor", "max_concurrent", "catch_up", "triggers", "retention", "secrets"}


def _needs(body: dict, *keys: str) -> list:
    missing = [k for k in keys if body.get(k) in (None, "")]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}", fix=f"send {', '.join(missing)} in the JSON body",
                         input=", ".join(missing))
    return [body[k] for k in keys]


def _schedule(cron, timezone, at):
    from aios_workbench.jobs.schedule import Schedule

    return Schedule.parse(cron or None, tz=timezone or "UTC", at=at or None)


def promote_from_body(service, user: str, body: dict):
    """Run `jobs.promote.promote` with a `POST jobs/promote` body (unknown keys are an error)."""
    from aios_workbench.jobs.promote import promote

    unknown = sorted(set(body) - PROMOTE_FIELDS)
    if unknown:
        raise UsageError(f"unknown field {', '.join(unknown)}", input=unknown[0],
                         fix="send only " + ", ".join(sorted(PROMOTE_FIELDS)))
    (notebook,) = _needs(body, "notebook")
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise UsageError("parameters must be a JSON object", fix='send e.g. {"parameters": {"n": 5}}',
                         input=str(parameters)[:200])
    schedule = _schedule(body.get("cron"), body.get("timezone"), body.get("at"))
    fields = {k: v for k, v in body.items() if k not in ("notebook", "name", "parameters", "cron", "timezone", "at")}
    return promote(service, notebook, user=user, name=body.get("name") or None, parameters=parameters,
                   schedule=schedule, surface="api", **fields)


class PromoteNotebookRoute(RouteMixin):
    """POST jobs/promote {notebook, name?, parameters?, cron?, timezone?, at?, ...}: run every gate;
    200 with the report when promoted or pending approval, 422 with the report when a gate failed."""

    path = "jobs/promote"

    @web.authenticated
    async def post(self):
        body = _body(self)
        report = await asyncio.to_thread(promote_from_body, self.service, self.user_name, body)
        data = report.to_dict()
        if report.passed:
            self.write_json(data)
            return
        failed = [g.name for g in report.gates if not g.passed]
        self.write_json({**data, "error": "promotion_refused",
                         "message": f"promotion of {report.notebook} refused: gates {', '.join(failed)} failed",
                         "fix": "see each gate's reason in `gates`"}, 422)


def notebook_parameters(service, path: str) -> dict:
    """The parameter schema and required checks of a workspace notebook (for the Promote dialog's form)."""
    from aios_workbench.jobs.notebook import load_notebook, resolve_notebook
    from aios_workbench.jobs.parameters import derive_schema

    absolute, relative = resolve_notebook(service.workspace, path)
    notebook = load_notebook(absolute, relative)
    return {"notebook": relative, "digest": notebook.digest, "kernel": notebook.kernel,
            "language": notebook.language, "required_checks": notebook.required_checks(),
            "schema": derive_schema(notebook)}


class NotebookParametersRoute(RouteMixin):
    """GET notebooks/parameters?path=: the typed parameters of a notebook's `parameters` cell."""

    path = "notebooks/parameters"

    @web.authenticated
    async def get(self):
        path = self.get_query_argument("path", "")
        if not path:
            raise UsageError("the `path` query parameter is missing", fix="pass ?path=notebooks/NAME.ipynb")
        self.write_json(await asyncio.to_thread(notebook_parameters, self.service, path))


class SchedulePreviewRoute(RouteMixin):
    """GET schedule/preview?cron=&timezone=&at=&count=5: the normalised schedule, in words, and its next runs."""

    path = "schedule/preview"

    @web.authenticated
    async def get(self):
        from aios_workbench.jobs.promote import schedule_summary

        arg = self.get_query_argument
        count = _int_arg(self, "count", 5, low=1, high=50)
        schedule = _schedule(arg("cron", ""), arg("timezone", ""), arg("at", ""))
        summary, runs = schedule_summary(schedule, count)
        self.write_json({"schedule": summary, "next_runs": runs})


class JobVersionsRoute(RouteMixin):
    """GET jobs/versions?name=: every version of a job (oldest first) and the one it runs."""

    path = "jobs/versions"

    @web.authenticated
    async def get(self):
        from aios_workbench.jobs.versions import versions

        name = self.get_query_argument("name", "")
        if not name:
            raise UsageError("the `name` query parameter is missing", fix="pass ?name=JOB")
        self.write_json(await asyncio.to_thread(versions, self.service.store, name))


class RollbackRoute(RouteMixin):
    """POST jobs/rollback {name, version}: point the job at an earlier active version (audited)."""

    path = "jobs/rollback"

    @web.authenticated
    async def post(self):
        from aios_workbench.jobs.versions import rollback

        name, version = _needs(_body(self), "name", "version")
        self.write_json(await asyncio.to_thread(rollback, self.service, name, version, self.user_name,
                                                surface="api"))


class JobApprovalRoute(RouteMixin):
    """POST jobs/approval {name, version, decision: approve|reject, comment?}: decide a pending version."""

    path = "jobs/approval"

    @web.authenticated
    async def post(self):
        from aios_workbench.jobs.promote import approve, reject

        body = _body(self)
        name, version, decision = _needs(body, "name", "version", "decision")
        if decision not in ("approve", "reject"):
            raise UsageError(f"decision must be approve or reject, got {decision!r}", fix="send approve or reject",
                             input=str(decision))
        act = approve if decision == "approve" else reject
        self.write_json(await asyncio.to_thread(act, self.service, name, version, self.user_name,
                                                body.get("comment"), surface="api"))


ROUTES = [PromoteNotebookRoute, NotebookParametersRoute, SchedulePreviewRoute, JobVersionsRoute, RollbackRoute,
          JobApprovalRoute]
