"""The dashboard's read model over REST: what a team-mode dashboard (`aios dashboard --service-url`) asks.

`GET dashboard/VIEW?ARG=...` answers `DashboardData(service, caller).VIEW(ARG=...)`, the very
methods a local dashboard calls in-process, so both modes share one implementation of every rule
(masks, row filters, who sees whose audit records, check examples and job outputs). Only the views
listed here are reachable, each with its arguments typed and bounded; `login`, `verify_audit_chain`
and `acknowledge` write (an audit record, an acknowledgement) and so are POSTs. `csv` and `job_output`
answer raw bytes; everything else JSON. Job kernels do not get these routes (`in_job_runtime`).
"""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.audit.log import acting_via
from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import SANDBOXED_HTML_CSP, RouteMixin

TEXT, FLAG = "text", "flag"
LIMIT, ID, DEPTH = (1, 500), (1, 2**62), (1, 20)
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}

# view -> {argument: TEXT | FLAG | (low, high) for integers}
GET_VIEWS: dict[str, dict] = {
    "whoami": {},
    "datasets": {}, "catalog_size": {},
    "search": {"text": TEXT, "limit": LIMIT},
    "explain": {"dataset": TEXT},
    "preview": {"dataset": TEXT, "limit": LIMIT, "after": TEXT, "order_by": TEXT, "descending": FLAG},
    "profile": {"dataset": TEXT},
    "lineage": {"dataset": TEXT, "depth": DEPTH},
    "csv": {"dataset": TEXT},
    "check_history": {"dataset": TEXT, "name": TEXT, "kind": TEXT, "limit": LIMIT, "before_id": ID},
    "check_run": {"run_id": ID},
    "check_figures": {},
    "audit": {"user": TEXT, "dataset": TEXT, "action": TEXT, "allowed": FLAG, "since": TEXT, "until": TEXT,
              "limit": LIMIT, "before_id": ID},
    "runs": {"metric": TEXT, "descending": FLAG, "limit": LIMIT, "page_token": TEXT, "experiment": TEXT},
    "model_versions": {},
    "jobs": {}, "job_runs": {"job": TEXT, "limit": LIMIT, "before_id": ID}, "job_health": {}, "upcoming": {},
    "job_output": {"run_id": ID},
    "alerts_available": {}, "alerts": {"state": TEXT, "limit": LIMIT, "before_id": ID}, "alert_counts": {},
    "alert_trend": {},
}
POST_VIEWS: dict[str, dict] = {"login": {}, "verify_audit_chain": {}, "acknowledge": {"alert_id": ID}}


def typed_arguments(view: str, spec: dict, raw: dict) -> dict:
    """`raw` (strings from the query, or JSON values) checked against `spec`; unknown names refused."""
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise UsageError(f"dashboard/{view} takes no argument {', '.join(unknown)}",
                         fix=f"its arguments: {', '.join(spec) or 'none'}", input=unknown[0])
    out = {}
    for name, value in raw.items():
        kind = spec[name]
        if kind == TEXT:
            out[name] = str(value)
        elif kind == FLAG:
            flag = value if isinstance(value, bool) else FLAGS.get(str(value).lower())
            if flag is None:
                raise UsageError(f"{name} must be true or false, got {value!r}", fix=f"e.g. {name}=true",
                                 input=str(value))
            out[name] = flag
        else:
            low, high = kind
            if isinstance(value, bool) or (isinstance(value, str) and not value.strip().lstrip("-").isdigit()) \
                    or not isinstance(value, (int, str)):
                raise UsageError(f"{name} must be an integer, got {value!r}", fix=f"e.g. {name}={low}",
                                 input=str(value))
            number = int(value)
            if not low <= number <= high:
                raise UsageError(f"{name} must be from {low} to {high}, got {number}", fix=f"e.g. {name}={low}",
                                 input=str(value))
            out[name] = number
    return out


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

    async def _serve(self, view: str, views: dict, raw: dict) -> None:
        from aios_workbench.service.dashboard.views import DashboardData

        if view not in views:
            other = POST_VIEWS if views is GET_VIEWS else GET_VIEWS
            hint = f"send it as {'POST' if views is GET_VIEWS else 'GET'}" if view in other else \
                f"one of: {', '.join(sorted(views))}"
            raise NotFound(f"no dashboard view {view!r} for {self.request.method}", fix=hint, input=view)
        arguments = typed_arguments(view, views[view], raw)
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
        await self._serve(view, GET_VIEWS, raw)

    @web.authenticated
    async def post(self, view: str):
        await self._serve(view, POST_VIEWS, _body(self, example='e.g. {"alert_id": 7}'))


ROUTES = [DashboardViewRoute]
