"""REST routes of governance checks: run one as the caller, read the ledger's history."""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


class RunCheckRoute(RouteMixin):
    """POST checks/run {"kind": "quality"|"drift"|"fairness", ...}: run, record in the ledger, return results."""

    path = "checks/run"

    @web.authenticated
    async def post(self):
        body = _body(self)
        kind = body.pop("kind", None)
        mlflow_run_id, notebook = body.pop("mlflow_run_id", None), body.pop("notebook", None)
        results = await asyncio.to_thread(self.service.run_check, self.user_name, kind, body,
                                          mlflow_run_id=mlflow_run_id, notebook=notebook)
        self.write_json({"results": results})


class CheckHistoryRoute(RouteMixin):
    """GET checks/history?dataset=&name=&kind=&limit=&before_id=: ledger runs, newest first."""

    path = "checks/history"

    @web.authenticated
    async def get(self):
        arg = self.get_query_argument
        before = arg("before_id", None)
        runs = await asyncio.to_thread(
            self.service.check_history, self.user_name, dataset=arg("dataset", None), name=arg("name", None),
            kind=arg("kind", None), limit=_int_arg(self, "limit", 50, low=1, high=500),
            before_id=int(before) if before and before.isdigit() else None)
        self.write_json({"runs": runs})


class CheckSuitesRoute(RouteMixin):
    """GET checks/suites: the quality suites and monitors declared in governance/checks.yaml."""

    path = "checks/suites"

    @web.authenticated
    async def get(self):
        from aios_workbench.checks.suites import describe_checks

        self.write_json(await asyncio.to_thread(describe_checks, self.service.workspace))


class EvidentlyReportRoute(RouteMixin):
    """POST checks/evidently {reference, current, columns?, sample_rows?}: Evidently's full drift report
    as HTML, on governed samples read as the caller (seconds to minutes; only on request)."""

    path = "checks/evidently"

    @web.authenticated
    async def post(self):
        from aios_workbench.checks.evidently_report import evidently_html
        from aios_workbench.checks.quality import governed_runner
        from aios_workbench.checks.relation import relation_sql

        body = _body(self)
        for key in ("reference", "current"):
            relation_sql(body.get(key) or "", "r")      # a clear 400 before any work
        run_sql = governed_runner(self.service.queries, user=self.user_name, surface="check")
        html, info = await asyncio.to_thread(
            evidently_html, body["reference"], body["current"], run_sql=run_sql, columns=body.get("columns"),
            sample_rows=body.get("sample_rows", 100_000))
        self.write_json({"html": html, **info})


ROUTES = [RunCheckRoute, CheckHistoryRoute, CheckSuitesRoute, EvidentlyReportRoute]
