"""Promotion REST routes: promote a notebook, its parameter schema, schedule previews, versions, approval.

Notebook paths are workspace-relative; a path leaving the workspace is refused (400). A notebook the service
cannot read (team mode: it lives in the user's folder) comes with its `content`, and its path is only its
name. Promotion runs kernels and checks, so every verb hands its work to a thread.
"""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.promotion import (
    JobDecision,
    JobDecisionRequest,
    JobNameQuery,
    JobVersions,
    NotebookParameters,
    NotebookParametersRequest,
    NotebookQuery,
    PromoteRequest,
    PromotionRefusal,
    PromotionReport,
    Rollback,
    RollbackRequest,
    SchedulePreview,
    SchedulePreviewQuery,
)
from aios_workbench.service.jobs import parse_schedule, schedule_preview
from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


def _schedule(cron, timezone, at):
    return parse_schedule(cron or None, timezone=timezone or "UTC", at=at or None)


def promote_from_body(service, user: str, body: dict):
    """`service.jobs.promote` with a `POST jobs/promote` body as `PromoteRequest` validated it."""
    notebook, parameters = body["notebook"], body.get("parameters") or {}
    schedule = _schedule(body.get("cron"), body.get("timezone"), body.get("at"))
    fields = {k: v for k, v in body.items()
              if k not in ("notebook", "content", "name", "parameters", "cron", "timezone", "at")}
    return service.jobs.promote(user, notebook, surface="api", name=body.get("name") or None,
                                parameters=parameters, schedule=schedule, content=body.get("content"), **fields)


class PromoteNotebookRoute(RouteMixin):
    """POST jobs/promote {notebook, name?, parameters?, cron?, timezone?, at?, ...}: run every gate;
    200 with the report when promoted or pending approval, 422 with the report when a gate failed.

    Gates: 1 a cell tagged `parameters`; 2 typed parameters and the supplied values (checked before any
    kernel starts); 3 a validation run in a fresh kernel as the job's identity; 4 the suites in the
    notebook's metadata `aios.required_checks`; 5 grants of the identity on every dataset the run read;
    6 approval by a second user (when `approver` is named or `jobs.require_approval` is set: the version is
    stored as `pending_approval`). A refused promotion stores nothing."""

    path = "jobs/promote"
    request_model = {"post": PromoteRequest}
    response_model = {"post": {200: PromotionReport, 422: PromotionRefusal}}

    @web.authenticated
    async def post(self):
        body = _body(self)
        report = await asyncio.to_thread(promote_from_body, self.service, self.user_name, body)
        data = report.to_dict()
        if report.passed:
            self.write_json(data)
            return
        self.write_json({**data, "error": "promotion_refused", "message": report.refusal_message(),
                         "fix": "see each gate's reason in `gates`"}, 422)


class NotebookParametersRoute(RouteMixin):
    """GET notebooks/parameters?path=: the typed parameters of a notebook's `parameters` cell.
    POST notebooks/parameters {path, content?}: the same for a notebook sent with its content."""

    path = "notebooks/parameters"
    query_model = {"get": NotebookQuery}
    request_model = {"post": NotebookParametersRequest}
    response_model = {"get": NotebookParameters, "post": NotebookParameters}

    @web.authenticated
    async def get(self):
        path = self.get_query_argument("path", "")
        if not path:
            raise UsageError("the `path` query parameter is missing", fix="pass ?path=notebooks/NAME.ipynb")
        self.write_json(await asyncio.to_thread(self.service.jobs.notebook_parameters, path))

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(self.service.jobs.notebook_parameters, body["path"],
                                                body.get("content")))


class SchedulePreviewRoute(RouteMixin):
    """GET schedule/preview?cron=&timezone=&at=&count=5: the normalised schedule, in words, and its next runs."""

    path = "schedule/preview"
    query_model = {"get": SchedulePreviewQuery}
    response_model = {"get": SchedulePreview}

    @web.authenticated
    async def get(self):
        arg = self.get_query_argument
        count = _int_arg(self, "count", 5, low=1, high=50)
        schedule = _schedule(arg("cron", ""), arg("timezone", ""), arg("at", ""))
        self.write_json(schedule_preview(schedule, count))


class JobVersionsRoute(RouteMixin):
    """GET jobs/versions?name=: every version of a job (oldest first) and the one it runs."""

    path = "jobs/versions"
    query_model = {"get": JobNameQuery}
    response_model = {"get": JobVersions}

    @web.authenticated
    async def get(self):
        name = self.get_query_argument("name", "")
        if not name:
            raise UsageError("the `name` query parameter is missing", fix="pass ?name=JOB")
        self.write_json(await asyncio.to_thread(self.service.jobs.versions, self.user_name, name))


class RollbackRoute(RouteMixin):
    """POST jobs/rollback {name, version}: point the job at an earlier active version (audited)."""

    path = "jobs/rollback"
    request_model = {"post": RollbackRequest}
    response_model = {"post": Rollback}

    @web.authenticated
    async def post(self):
        body = _body(self)
        name, version = body["name"], body["version"]   # required: RollbackRequest
        self.write_json(await asyncio.to_thread(self.service.jobs.rollback, self.user_name, name, version,
                                                surface="api"))


class JobApprovalRoute(RouteMixin):
    """POST jobs/approval {name, version, decision: approve|reject, comment?}: decide a pending version."""

    path = "jobs/approval"
    request_model = {"post": JobDecisionRequest}
    response_model = {"post": JobDecision}

    @web.authenticated
    async def post(self):
        body = _body(self)
        name, version, decision = body["name"], body["version"], body["decision"]   # JobDecisionRequest
        self.write_json(await asyncio.to_thread(self.service.jobs.decide, self.user_name, name, version, decision,
                                                body.get("comment"), surface="api"))


ROUTES = [PromoteNotebookRoute, NotebookParametersRoute, SchedulePreviewRoute, JobVersionsRoute, RollbackRoute,
          JobApprovalRoute]
