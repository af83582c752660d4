"""The REST API's routes, written once and mounted by both servers.

A route class holds only its verbs. `mount` combines each with a base class that
authenticates (Jupyter's auth in the server extension, a token standalone), so
no verb can be reached unauthenticated. Errors are mapped to statuses in one
place: `RouteMixin._handle_request_exception` with `errors.http_status`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tornado import web

from aios_workbench.core.errors import WorkbenchError, http_status

API_PREFIX = "aios/api"
# An executed notebook's HTML is data, not part of any app: no scripts, no same-origin access.
SANDBOXED_HTML_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")


class RouteMixin:
    """JSON responses and error mapping shared by every route."""

    path: str = ""
    in_job_runtime = True   # mounted for job kernels too (their per-run tokens)

    @property
    def service(self):
        return self.settings["aios_service"]

    @property
    def user_name(self) -> str:
        """The identity governance applies to; each server base defines `workbench_user`."""
        return self.workbench_user()

    def write_json(self, body, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(body, default=str))

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, WorkbenchError) and not self._finished:
            self.write_json(e.to_dict(), http_status(e))
            return
        super()._handle_request_exception(e)


class StatusRoute(RouteMixin):
    """GET status: version, workspace, metadata store and data source health."""

    path = "status"

    @web.authenticated
    async def get(self):
        self.write_json(await self.service.status(self.user_name))


class OpenAPIRoute(RouteMixin):
    """GET openapi.yaml: the written REST contract."""

    path = "openapi.yaml"

    @web.authenticated
    def get(self):
        self.set_header("Content-Type", "application/yaml; charset=UTF-8")
        self.finish(OPENAPI_FILE.read_text(encoding="utf-8"))


def all_routes() -> list[type[RouteMixin]]:
    from aios_workbench.surfaces.rest import (
        catalog_routes,
        check_routes,
        dashboard_routes,
        job_routes,
        model_routes,
        promotion_routes,
        query_routes,
        run_routes,
    )

    return [StatusRoute, OpenAPIRoute, *query_routes.ROUTES, *catalog_routes.ROUTES, *check_routes.ROUTES,
            *model_routes.ROUTES, *run_routes.ROUTES, *promotion_routes.ROUTES, *job_routes.ROUTES,
            *dashboard_routes.ROUTES]


def url_pattern(path: str) -> str:
    """A route's documented path as a Tornado pattern: each `{name}` becomes one path segment argument."""
    return re.sub(r"\{[a-z_]+\}", "([^/]+)", path)


def mount(base: type, prefix: str, *, job_runtime: bool = False) -> list[tuple[str, type]]:
    """Tornado handler specs: every route under `prefix` (for a job's runtime, those it serves),
    authenticated by `base`."""
    prefix = prefix.rstrip("/")
    return [(f"{prefix}/{API_PREFIX}/{url_pattern(route.path)}", type(route.__name__, (route, base), {}))
            for route in all_routes() if route.in_job_runtime or not job_runtime]
