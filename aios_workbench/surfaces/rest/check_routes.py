"""REST routes of governance checks: run one as the caller, read the ledger's history."""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.checks import (
    CheckHistoryQuery,
    CheckOverview,
    CheckOverviewQuery,
    CheckReport,
    CheckReportQuery,
    CheckResults,
    CheckSuites,
    EvidentlyReport,
    EvidentlyRequest,
    LedgerRuns,
    RunCheckRequest,
)
from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


class RunCheckRoute(RouteMixin):
    """POST checks/run {"kind": "quality"|"drift"|"fairness", ...}: run, record in the ledger, return results."""

    path = "checks/run"
    request_model = {"post": RunCheckRequest}
    response_model = {"post": CheckResults}

    @web.authenticated
    async def post(self):
        body = _body(self)
        kind = body.pop("kind", None)
        mlflow_run_id, notebook = body.pop("mlflow_run_id", None), body.pop("notebook", None)
        results = await asyncio.to_thread(self.service.checks.run, self.user_name, kind, body,
                                          mlflow_run_id=mlflow_run_id, notebook=notebook)
        self.write_json({"results": results})


class CheckHistoryRoute(RouteMixin):
    """GET checks/history?dataset=&name=&kind=&limit=&before_id=: ledger runs, newest first."""

    path = "checks/history"
    query_model = {"get": CheckHistoryQuery}
    response_model = {"get": LedgerRuns}

    @web.authenticated
    async def get(self):
        arg = self.get_query_argument
        before = arg("before_id", None)
        runs = await asyncio.to_thread(
            self.service.checks.history, self.user_name, dataset=arg("dataset", None), name=arg("name", None),
            kind=arg("kind", None), limit=_int_arg(self, "limit", 50, low=1, high=500),
            before_id=int(before) if before and before.isdigit() else None)
        self.write_json({"runs": runs})


class CheckOverviewRoute(RouteMixin):
    """GET checks/overview?dataset=&kind=&notebook=&limit=: the caller's checks grouped by check, each with
    its latest verdict and history, and a summary in words."""

    path = "checks/overview"
    query_model = {"get": CheckOverviewQuery}
    response_model = {"get": CheckOverview}

    @web.authenticated
    async def get(self):
        arg = self.get_query_argument
        overview = await asyncio.to_thread(
            self.service.checks.overview, self.user_name, dataset=arg("dataset", None) or None,
            kind=arg("kind", None) or None, notebook=arg("notebook", None) or None,
            limit=_int_arg(self, "limit", 200, low=1, high=500))
        self.write_json(overview)


class CheckReportRoute(RouteMixin):
    """GET checks/report?id=: one ledger run in words (a drift run's summary and columns with their
    distributions; any other run's items)."""

    path = "checks/report"
    query_model = {"get": CheckReportQuery}
    response_model = {"get": CheckReport}

    @web.authenticated
    async def get(self):
        if not self.get_query_argument("id", ""):
            raise UsageError("checks/report needs the run's id", input="id",
                             fix="e.g. ?id=12 (the `id` of a run in checks/history or checks/overview)")
        run_id = _int_arg(self, "id", 1, low=1, high=2**62)
        self.write_json(await asyncio.to_thread(self.service.checks.report, self.user_name, run_id))


class CheckSuitesRoute(RouteMixin):
    """GET checks/suites: the quality suites and monitors declared in governance/checks.yaml."""

    path = "checks/suites"
    response_model = {"get": CheckSuites}

    @web.authenticated
    async def get(self):
        self.write_json(await asyncio.to_thread(self.service.checks.suites, self.user_name))


class EvidentlyReportRoute(RouteMixin):
    """POST checks/evidently {reference, current, columns?, sample_rows?}: Evidently's full drift report
    as HTML, on governed samples read as the caller (seconds to minutes; only on request)."""

    path = "checks/evidently"
    request_model = {"post": EvidentlyRequest}
    response_model = {"post": EvidentlyReport}

    @web.authenticated
    async def post(self):
        body = _body(self)
        report = await asyncio.to_thread(
            self.service.checks.evidently_report, self.user_name, body.get("reference"), body.get("current"),
            columns=body.get("columns"), sample_rows=body.get("sample_rows", 100_000))
        self.write_json(report)


ROUTES = [RunCheckRoute, CheckHistoryRoute, CheckOverviewRoute, CheckReportRoute, CheckSuitesRoute,
          EvidentlyReportRoute]
