"""The dashboard's read model over REST: what a team-mode dashboard (`aios dashboard --service-url`) asks.

`GET dashboard/VIEW?ARG=...` answers `DashboardData(service, caller).VIEW(ARG=...)`, the very
methods a local dashboard calls in-process, so both modes share one implementation of every rule
(masks, row filters, who sees whose audit records, check examples and job outputs). Only the views
of `schemas.dashboard.VIEWS` are reachable, each with its arguments typed and bounded by its model (the
team-mode dashboard's client is derived from the same list); `login`, `verify_audit_chain`
and `acknowledge` write (an audit record, an acknowledgement) and so are POSTs. `csv` and `job_output`
answer raw bytes; everything else JSON. Job kernels do not get these routes (`in_job_runtime`).
"""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import NotFound
from aios_workbench.schemas.base import parse
from aios_workbench.schemas.dashboard import FILES, VIEWS, View, ViewArguments, union, views
from aios_workbench.service.audit import acting_via
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import SANDBOXED_HTML_CSP, RouteMixin


def answer(data, view: str, arguments: dict, *, delegated_by: dict | None = None):
    """Call the view on `data` (a `DashboardData`): JSON-ready values, or (content type, bytes).
    `delegated_by`: the delegate token a front end acts for the user with (OAuth logins)."""
    if view == "login":   # a team-mode dashboard's login, audited where the user's other records live
        detail = {"reason": "service token verified"} if delegated_by is None else {
            "reason": "signed in at the identity provider, vouched for by a delegate token"}
        if delegated_by and delegated_by.get("signed_in_as"):
            detail["signed_in_as"] = delegated_by["signed_in_as"][:200]
        data.service.audit.append(user=data.user, surface="dashboard", action="dashboard.login", allowed=True,
                                  detail=detail)
        return data.whoami()
    if view == "preview":
        return getattr(data, view)(**arguments).to_dict()
    if view == "csv":
        content, truncated = data.csv(**arguments)
        return "text/csv", content, {"X-AIOS-Truncated": "1" if truncated else "0"}
    if view == "job_output":
        kind, content = data.job_output(**arguments)
        return kind, content, {}
    return getattr(data, view)(**arguments)


class DashboardViewRoute(RouteMixin):
    """GET dashboard/VIEW (POST for verify_audit_chain, acknowledge): one dashboard view as the caller."""

    path = "dashboard/{view}"
    in_job_runtime = False   # a job reads as its identity through its own routes, audited as the job
    delegable = True         # `aios serve`: a delegate token (OAuth dashboards) may call it for a policy user
    # what the document shows; each request is checked against its own view's models (the overrides below)
    request_model = {"post": union(view.arguments for view in views("post"))}
    response_model = {"get": (union(view.reply for view in views("get") if not view.raw), FILES),
                      "post": union(view.reply for view in views("post"))}

    def _view(self) -> View | None:
        view = VIEWS.get((getattr(self, "path_args", None) or [""])[0])
        return view if view is not None and view.verb == self.request.method.lower() else None

    def request_model_for(self, verb: str) -> type[ViewArguments] | None:
        view = self._view()   # a GET's arguments are its query string, checked in `_serve`
        return view.arguments if view is not None and verb == "post" else None

    def response_model_for(self, verb: str):
        view = self._view()
        return view.reply if view is not None else None

    async def _serve(self, view: str, verb: str, raw: dict) -> None:
        # lazy: dashboard views (catalog preview, jobs): loaded on the first dashboard call
        from aios_workbench.service.dashboard.views import DashboardData

        spec = VIEWS.get(view)
        if spec is None or spec.verb != verb:
            hint = f"send it as {spec.verb.upper()}" if spec is not None else \
                f"one of: {', '.join(sorted(v.name for v in views(verb)))}"
            raise NotFound(f"no dashboard view {view!r} for {self.request.method}", fix=hint, input=view)
        # a POST's body was validated by its view's model before this ran (`request_model_for`)
        arguments = raw if verb == "post" else \
            parse(spec.arguments, raw, where=self.described_request()).model_dump(exclude_unset=True)
        data = DashboardData(self.service, self.user_name)
        delegate = getattr(self, "delegated_by", None)   # set by `aios serve`'s token check
        via = f"{delegate['user']} (token {delegate['id']})" if delegate else None

        def work():   # every record this call appends names the delegate it came through
            with acting_via(via):
                return answer(data, view, arguments, delegated_by=delegate)

        result = await asyncio.to_thread(work)
        if isinstance(result, tuple):
            kind, content, headers = result
            self.set_header("Content-Type", kind)
            self.set_header("X-Content-Type-Options", "nosniff")
            if kind == "text/html":
                self.set_header("Content-Security-Policy", SANDBOXED_HTML_CSP)
            for name, value in headers.items():
                self.set_header(name, value)
            self.finish(content)
            return
        self.write_json({"result": result})

    @web.authenticated
    async def get(self, view: str):
        raw = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        await self._serve(view, "get", raw)

    @web.authenticated
    async def post(self, view: str):
        await self._serve(view, "post", _body(self))


ROUTES = [DashboardViewRoute]
