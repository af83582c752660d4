"""REST routes of tracked runs: one page of runs, and a comparison of a few, each as the caller may see
them (the service's rule: service/runs.py).

The query-string parsing is kept in plain functions (`list_arguments`, `compare_arguments`)
so the routes and any other caller reject bad parameters with the same 400s.
"""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.runs import CompareQuery, RunComparison, RunsPage, RunsQuery
from aios_workbench.service.runs import DEFAULT_ORDER, MAX_COMPARE_RUNS, MAX_LIMIT
from aios_workbench.surfaces.rest.routes import RouteMixin


def _limit(text: str | None) -> int:
    if text in (None, ""):
        return 50
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= MAX_LIMIT:
        raise UsageError(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {text!r}",
                         fix=f"pass ?limit=50 (at most {MAX_LIMIT}) and follow next_page_token",
                         input=str(text))
    return value


def list_arguments(query: dict[str, str]) -> dict:
    """Keyword arguments of `service.runs.page` from the query string of GET runs."""
    return {"experiment": query.get("experiment") or None, "notebook": query.get("notebook") or None,
            "filter_string": query.get("filter") or None,
            "order_by": query.get("order_by") or DEFAULT_ORDER,
            "limit": _limit(query.get("limit")), "page_token": query.get("page_token") or None}


def compare_arguments(query: dict[str, str]) -> dict:
    """Keyword arguments of `service.runs.compare` from the query string of GET runs/compare."""
    ids = [i.strip() for i in (query.get("ids") or "").split(",") if i.strip()]
    if not 2 <= len(set(ids)) <= MAX_COMPARE_RUNS:
        raise UsageError(f"ids must name 2 to {MAX_COMPARE_RUNS} distinct runs, got {len(set(ids))}",
                         fix="pass ?ids=RUN_ID,RUN_ID[,...]", input=query.get("ids") or "")
    metrics = [m.strip() for m in (query.get("metrics") or "").split(",") if m.strip()]
    return {"run_ids": ids, "metrics": metrics or None}


def _query(handler) -> dict[str, str]:
    return {name: handler.get_query_argument(name) for name in handler.request.query_arguments}


class RunsRoute(RouteMixin):
    """GET runs?experiment=&notebook=&filter=&order_by=&limit=&page_token=: one page of the run summaries the
    caller may see."""

    path = "runs"
    query_model = {"get": RunsQuery}
    response_model = {"get": RunsPage}

    @web.authenticated
    async def get(self):
        arguments = list_arguments(_query(self))
        self.write_json(await asyncio.to_thread(self.service.runs.page, self.user_name, **arguments))


class CompareRunsRoute(RouteMixin):
    """GET runs/compare?ids=a,b[,c]&metrics=: parameters that differ and metric histories."""

    path = "runs/compare"
    query_model = {"get": CompareQuery}
    response_model = {"get": RunComparison}

    @web.authenticated
    async def get(self):
        arguments = compare_arguments(_query(self))
        self.write_json(await asyncio.to_thread(self.service.runs.compare, self.user_name, **arguments))


ROUTES = [RunsRoute, CompareRunsRoute]
