"""REST routes of the model registry: versions with their gates, register, approve or reject, promote."""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.models import (
    ModelDecisionRequest,
    ModelPromotion,
    ModelsQuery,
    ModelVersion,
    ModelVersionList,
    ModelVersionQuery,
    PromoteModelRequest,
    RegisteredModel,
    RegisterModelRequest,
)
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


class ModelsRoute(RouteMixin):
    """GET models?name=: registered versions with status, author, checks, approvals and gates."""

    path = "models"
    query_model = {"get": ModelsQuery}
    response_model = {"get": ModelVersionList}

    @web.authenticated
    async def get(self):
        name = self.get_query_argument("name", None)
        self.write_json({"versions": await asyncio.to_thread(self.service.models.versions, self.user_name, name)})


class ModelVersionRoute(RouteMixin):
    """GET models/version?name=&version=: one version with its promotion gates."""

    path = "models/version"
    query_model = {"get": ModelVersionQuery}
    response_model = {"get": ModelVersion}

    @web.authenticated
    async def get(self):
        name, version = self.get_query_argument("name", ""), self.get_query_argument("version", "")
        if not name or not version:
            raise UsageError("name and version are required", fix="pass ?name=MODEL&version=N")
        self.write_json(await asyncio.to_thread(self.service.models.show, self.user_name, name, version))


class RegisterModelRoute(RouteMixin):
    """POST models/register {run_id, name, artifact_path?}: register a run's model as a candidate."""

    path = "models/register"
    request_model = {"post": RegisterModelRequest}
    response_model = {"post": RegisteredModel}

    @web.authenticated
    async def post(self):
        body = _body(self)
        run_id, name = body["run_id"], body["name"]   # required: RegisterModelRequest
        version = await asyncio.to_thread(self.service.models.register, run_id, body.get("artifact_path", "model"),
                                          name=name, user=self.user_name, surface="api")
        self.write_json({"name": name, "version": version})


class ApprovalRoute(RouteMixin):
    """POST models/approval {name, version, decision: approve|reject, comment?}: recorded in ledger and audit."""

    path = "models/approval"
    request_model = {"post": ModelDecisionRequest}
    response_model = {"post": ModelVersion}

    @web.authenticated
    async def post(self):
        body = _body(self)
        name, version, decision = body["name"], body["version"], body["decision"]   # ModelDecisionRequest
        models = self.service.models
        act = models.approve if decision == "approve" else models.reject
        await asyncio.to_thread(act, name, version, self.user_name, body.get("comment"), surface="api")
        self.write_json(await asyncio.to_thread(models.show, self.user_name, name, version))


class PromoteRoute(RouteMixin):
    """POST models/promote {name, version, alias?}: move the alias when every gate holds (403 lists the unmet)."""

    path = "models/promote"
    request_model = {"post": PromoteModelRequest}
    response_model = {"post": ModelPromotion}

    @web.authenticated
    async def post(self):
        body = _body(self)
        name, version = body["name"], body["version"]   # required: PromoteModelRequest
        result = await asyncio.to_thread(self.service.models.promote, name, version, self.user_name,
                                         body.get("alias", "champion"), surface="api")
        self.write_json(result if isinstance(result, dict) else {"promoted": True})


ROUTES = [ModelsRoute, ModelVersionRoute, RegisterModelRoute, ApprovalRoute, PromoteRoute]
