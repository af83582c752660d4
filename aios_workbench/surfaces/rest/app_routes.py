"""Decision apps over REST: list, show (the form), publish, unpublish, run as the caller."""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.apps import (
    AppDetail,
    AppList,
    AppNameQuery,
    AppNameRequest,
    AppRunResult,
    AppUnpublished,
    PublishAppRequest,
    RunAppRequest,
)
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


class AppsRoute(RouteMixin):
    """GET apps: the published apps (anyone signed in). POST apps {job, title?, description?}: publish a job
    as an app (its creator, identity or an auditor)."""

    path = "apps"
    in_job_runtime = False   # publishing is a person's act, not a kernel's
    request_model = {"post": PublishAppRequest}
    response_model = {"get": AppList, "post": AppDetail}

    @web.authenticated
    async def get(self):
        self.write_json({"apps": await asyncio.to_thread(self.service.apps.list, self.user_name)})

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(self.service.apps.publish, self.user_name, body["job"],
                                                title=body.get("title"), description=body.get("description", ""),
                                                surface="api"))


class AppRoute(RouteMixin):
    """GET apps/app?name=: one app with its form as the caller fills it."""

    path = "apps/app"
    query_model = {"get": AppNameQuery}
    response_model = {"get": AppDetail}

    @web.authenticated
    async def get(self):
        name = self.get_query_argument("name", "")
        if not name:
            raise UsageError("the app's `name` is missing", fix="pass ?name=APP")
        self.write_json(await asyncio.to_thread(self.service.apps.show, self.user_name, name))


class UnpublishAppRoute(RouteMixin):
    """POST apps/unpublish {name}: stop publishing a job as an app (the job stays)."""

    path = "apps/unpublish"
    in_job_runtime = False
    request_model = {"post": AppNameRequest}
    response_model = {"post": AppUnpublished}

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(self.service.apps.unpublish, self.user_name, body["name"],
                                                surface="api"))


class RunAppRoute(RouteMixin):
    """POST apps/run {name, parameters}: run the app as the caller (their grants, masks and row filters) and
    answer its page."""

    path = "apps/run"
    in_job_runtime = False   # an app's kernel does not start apps
    request_model = {"post": RunAppRequest}
    response_model = {"post": AppRunResult}

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(self.service.apps.run, self.user_name, body["name"],
                                                body.get("parameters") or {}, surface="api"))


ROUTES = [AppsRoute, AppRoute, UnpublishAppRoute, RunAppRoute]
