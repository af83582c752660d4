"""REST routes of the model registry: versions with their gates, register, approve or reject, promote."""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


def _needs(body: dict, *keys: str) -> list:
    missing = [k for k in keys if body.get(k) in (None, "")]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}", fix=f"send {', '.join(missing)} in the JSON body",
                         input=", ".join(missing))
    return [body[k] for k in keys]


class ModelsRoute(RouteMixin):
    """GET models?name=: registered versions with status, author, checks, approvals and gates."""

    path = "models"

    @web.authenticated
    async def get(self):
        name = self.get_query_argument("name", None)
        self.write_json({"versions": await asyncio.to_thread(self.service.models().versions, name)})


class ModelVersionRoute(RouteMixin):
    """GET models/version?name=&version=: one version with its promotion gates."""

    path = "models/version"

    @web.authenticated
    async def get(self):
        name, version = self.get_query_argument("name", ""), self.get_query_argument("version", "")
        if not name or not version:
            raise UsageError("name and version are required", fix="pass ?name=MODEL&version=N")
        self.write_json(await asyncio.to_thread(self.service.models().show, name, version))


class RegisterModelRoute(RouteMixin):
    """POST models/register {run_id, name, artifact_path?}: register a run's model as a candidate."""

    path = "models/register"

    @web.authenticated
    async def post(self):
        body = _body(self)
        run_id, name = _needs(body, "run_id", "name")
        version = await asyncio.to_thread(self.service.models().register, run_id, body.get("artifact_path", "model"),
                                          name=name, user=self.user_name, surface="api")
        self.write_json({"name": name, "version": version})


class ApprovalRoute(RouteMixin):
    """POST models/approval {name, version, decision: approve|reject, comment?}: recorded in ledger and audit."""

    path = "models/approval"

    @web.authenticated
    async def post(self):
        body = _body(self)
        name, version, decision = _needs(body, "name", "version", "decision")
        if decision not in ("approve", "reject"):
            raise UsageError(f"decision must be approve or reject, got {decision!r}", fix="send approve or reject",
                             input=str(decision))
        registry = self.service.models()
        act = registry.approve if decision == "approve" else registry.reject
        await asyncio.to_thread(act, name, version, self.user_name, body.get("comment"), surface="api")
        self.write_json(await asyncio.to_thread(registry.show, name, version))


class PromoteRoute(RouteMixin):
    """POST models/promote {name, version, alias?}: move the alias when every gate holds (403 lists the unmet)."""

    path = "models/promote"

    @web.authenticated
    async def post(self):
        body = _body(self)
        name, version = _needs(body, "name", "version")
        result = await asyncio.to_thread(self.service.models().promote, name, version, self.user_name,
                                         body.get("alias", "champion"), surface="api")
        self.write_json(result if isinstance(result, dict) else {"promoted": True})


ROUTES = [ModelsRoute, ModelVersionRoute, RegisterModelRoute, ApprovalRoute, PromoteRoute]
