"""`DashboardData`: the one facade every dashboard page reads through, bound to the logged-in user.

Each method calls the governed service (`WorkbenchService`, in this process) with
`self.user`, so the policy decides what a page may show: masks and row filters
hold in previews, profiles and CSV downloads, deny-by-default hides datasets,
and `audit_trail.records` / `checks.history` apply their own visibility rules. Pages
never open the store or DuckDB themselves. Every governed query is audited
with surface "dashboard".
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from aios_workbench.catalog.preview import PreviewPage
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.jobs.manage import controls
from aios_workbench.jobs.outputs import kept_output
from aios_workbench.service.dashboard import jobs_query, metrics
from aios_workbench.service.models import DECISION_KINDS
from aios_workbench.service.runs import DEFAULT_ORDER

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

SURFACE = "dashboard"
CSV_MAX_ROWS = 100_000   # a download bigger than this is cut off (and says so in its file name)


def may_open_output(user: str, is_auditor: bool, run: dict[str, Any]) -> bool:
    """A job's output notebook shows data as the job's identity saw it: only that identity, the job's
    creator and auditors may open it (`jobs.manage.controls`)."""
    return controls(user, identity=run.get("identity"), created_by=run.get("created_by"), is_auditor=is_auditor)


class DashboardData:
    """What `user` may see of one workspace, through its `WorkbenchService`."""

    def __init__(self, service: WorkbenchService, user: str):
        self.service = service
        self.user = user

    # -- who -----------------------------------------------------------------------------------
    @cached_property
    def is_auditor(self) -> bool:
        return self.service.policy().is_auditor(self.user)

    @cached_property
    def roles(self) -> list[str]:
        return sorted(self.service.policy().principal(self.user).roles)

    def whoami(self) -> dict[str, Any]:
        return {"user": self.user, "roles": self.roles, "is_auditor": self.is_auditor}

    # -- catalog -------------------------------------------------------------------------------
    def datasets(self) -> list[dict[str, Any]]:
        """Catalog entries this user may read (row counts hidden where a row filter applies)."""
        return self.service.catalog.readable(self.user)

    def catalog_figures(self) -> dict[str, Any]:
        """The Overview's counts over the readable datasets (classified columns, owners, PII) and the catalog's size."""
        return metrics.catalog_figures(self.datasets(), self.service.catalog.size())

    def search(self, text: str, *, limit: int = 50) -> list[dict[str, Any]]:
        return self.service.catalog.search(self.user, text, limit=limit)

    def explain(self, dataset: str) -> dict[str, Any]:
        """Grant, masks and row filter of `dataset` for this user."""
        return self.service.catalog.explain(self.user, dataset)

    def preview(self, dataset: str, *, limit: int = 50, after: str | None = None, order_by: str | None = None,
                descending: bool = False) -> PreviewPage:
        """One masked, filtered page (a `PreviewPage`) through the governed path."""
        return self.service.catalog.preview(self.user, dataset, order_by=order_by, descending=descending,
                                            after=after, limit=limit, surface=SURFACE)

    def profile(self, dataset: str) -> dict[str, Any]:
        return self.service.catalog.profile(self.user, dataset, surface=SURFACE)

    def lineage(self, dataset: str, depth: int = 3) -> dict[str, Any]:
        return self.service.catalog.lineage(self.user, dataset, depth)

    def csv(self, dataset: str, *, max_rows: int = CSV_MAX_ROWS) -> tuple[bytes, bool]:
        """The dataset as this user sees it, as CSV bytes, and whether it was cut at `max_rows`."""
        return self.service.catalog.export_csv(self.user, dataset, max_rows=max_rows, surface=SURFACE)

    # -- checks --------------------------------------------------------------------------------
    def readable_names(self) -> set[str]:
        return {d["name"].lower() for d in self.datasets()}

    def check_history(self, *, dataset: str | None = None, name: str | None = None, kind: str | None = None,
                      limit: int = 200, before_id: int | None = None) -> list[dict[str, Any]]:
        """Ledger runs over datasets this user may read, newest first (examples as the service allows)."""
        readable = self.readable_names()
        if dataset is not None and dataset.lower() not in readable:
            raise PermissionDenied(f"{self.user} may not read {dataset}", fix="pick a dataset from the Data page",
                                   input=dataset)
        runs = self.service.checks.history(self.user, dataset=dataset, name=name, kind=kind, limit=limit,
                                           before_id=before_id)
        # model approvals and promotions live in the ledger too, but are not checks of data
        return [r for r in runs if r["kind"] not in DECISION_KINDS and r["datasets"]
                and all(d in readable for d in r["datasets"])]

    def declared_checks(self) -> dict[str, Any]:
        """The quality suites and monitors of governance/checks.yaml over datasets this user may read (so a
        check that never ran still shows, as not run yet)."""
        return self.service.checks.suites(self.user)

    def check_figures(self) -> dict[str, Any]:
        """The Overview's checks: pass rate of the latest runs over readable datasets, with a daily trend."""
        return metrics.check_figures(self.service.store, self.readable_names())

    def check_run(self, run_id: int) -> dict[str, Any]:
        """One ledger run with its items, if it read only datasets this user may read."""
        runs = self.check_history(limit=1, before_id=run_id + 1)
        if not runs or runs[0]["id"] != run_id:
            raise NotFound(f"no check run {run_id} among those you may see", fix="pick a run from the history",
                           input=run_id)
        return runs[0]

    # -- audit ---------------------------------------------------------------------------------
    def audit(self, **filters: Any) -> list[dict[str, Any]]:
        """Audit records: everyone's for auditors, one's own otherwise (the service enforces it)."""
        return self.service.audit_trail.records(self.user, **filters)

    def verify_audit_chain(self) -> dict[str, Any]:
        """The hash chain's verdict; the first bad record itself only for auditors."""
        return self.service.audit_trail.verify_for(self.user, surface=SURFACE)

    # -- experiments and models ----------------------------------------------------------------
    def runs(self, *, metric: str | None = None, descending: bool = True, limit: int = 50,
             page_token: str | None = None, experiment: str | None = None) -> dict[str, Any]:
        """One page of MLflow runs, ranked by `metric` when given (newest first otherwise)."""
        if metric and ("`" in metric or not metric.strip()):
            raise UsageError(f"bad metric name {metric!r}", fix="pick a metric from the list", input=metric)
        order = f"metrics.`{metric}` {'DESC' if descending else 'ASC'}" if metric else DEFAULT_ORDER
        return self.service.runs.page(self.user, experiment=experiment, order_by=order, limit=limit,
                                      page_token=page_token)

    def model_versions(self) -> list[dict[str, Any]]:
        """Registered model versions with status, champion alias, approvals and gates."""
        return self.service.models.versions(self.user)

    # -- jobs ----------------------------------------------------------------------------------
    def jobs(self) -> list[dict[str, Any]]:
        """Every job with its health and its last run's verdict (`checks.with_job_verdicts`)."""
        jobs = jobs_query.list_jobs(self.service.store)
        lasts = [{"id": j.pop("last_run_id"), "status": j["last_status"]} for j in jobs]
        for job, last in zip(jobs, self.service.checks.with_job_verdicts(lasts), strict=True):
            job["last_verdict"] = last["verdict"] if last["id"] is not None else None
        return jobs

    def job_runs(self, *, job: str | None = None, limit: int = 200, before_id: int | None = None) -> list[dict[str, Any]]:
        """Job runs newest first, each with its checks' verdict; errors only for those who may open the output."""
        runs = self.service.checks.with_job_verdicts(
            jobs_query.runs(self.service.store, job=job, limit=limit, before_id=before_id))
        for run in runs:   # an error message can quote data as the job's identity saw it (as jobs/history)
            if run["error"] and not self.may_open_output(run):
                run["error"] = "(hidden)"
        return runs

    def job_health(self) -> list[dict[str, Any]]:
        """Finished and failed job runs per day, last 14 days."""
        return jobs_query.daily_health(self.service.store)

    def upcoming(self) -> list[dict[str, Any]]:
        """Scheduled runs of the next 7 days, soonest first."""
        return jobs_query.upcoming(self.service.store)

    def job_output(self, run_id: int) -> tuple[str, bytes]:
        """(content type, bytes) of a job run's output, HTML else the notebook, for those who may open it."""
        run, path = jobs_query.output_file(self.service.store, run_id)
        if not run:
            raise NotFound(f"no job run {run_id}", fix="pick a run from the Jobs page", input=run_id)
        if not self.may_open_output(run):
            raise PermissionDenied("only the job's identity, its creator and auditors may open its output",
                                   fix="ask one of them, or an auditor", input=run_id)
        file = kept_output(self.service.workspace, path)
        if file is None:
            raise NotFound(f"run {run_id} kept no output, or retention removed it", fix="see the run's status",
                           input=run_id)
        return ("text/html" if file.suffix == ".html" else "application/x-ipynb+json"), file.read_bytes()

    def may_open_output(self, run: dict[str, Any]) -> bool:
        return may_open_output(self.user, self.is_auditor, run)

    # -- alerts --------------------------------------------------------------------------------
    def alerts(self, *, state: str | None = None, limit: int = 50, before_id: int | None = None) -> list[dict[str, Any]]:
        return self.service.alerts.list(self.user, state=state, limit=limit, before_id=before_id)

    def alert_counts(self) -> dict[str, Any]:
        return self.service.alerts.counts(self.user)

    def alert_trend(self) -> list[dict[str, Any]]:
        """Alerts raised per day, last 14 days."""
        return metrics.alert_trend(self.service.store, visible=self.service.alerts.visibility(self.user))

    def acknowledge(self, alert_id: int) -> dict[str, Any]:
        """Acknowledge an alert as this user (audited by the service, as from every surface)."""
        return self.service.alerts.acknowledge(self.user, alert_id, surface=SURFACE)

    # -- proposed actions ------------------------------------------------------------------------
    def actions(self, *, state: str | None = None, limit: int = 30) -> dict[str, Any]:
        """The actions this user may see (theirs, those they may decide on, all for auditors), newest first."""
        return self.service.actions.page(self.user, state=state, limit=limit)

    def action(self, action_id: int) -> dict[str, Any]:
        return self.service.actions.show(self.user, action_id)

    def approve_action(self, action_id: int, *, payload: dict[str, Any] | None = None,
                       reason: str | None = None) -> dict[str, Any]:
        """Approve (and so execute, once) an action as this user, with their edit of its payload."""
        return self.service.actions.approve(self.user, action_id, payload=payload, reason=reason, surface=SURFACE)

    def reject_action(self, action_id: int, *, reason: str) -> dict[str, Any]:
        return self.service.actions.reject(self.user, action_id, reason=reason, surface=SURFACE)

    # -- decision apps ---------------------------------------------------------------------------
    def apps(self) -> list[dict[str, Any]]:
        return self.service.apps.list(self.user)

    def app(self, name: str) -> dict[str, Any]:
        """An app with its form as this user fills it (choices they may read)."""
        return self.service.apps.show(self.user, name)

    def run_app(self, name: str, *, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an app as this user; its page."""
        return self.service.apps.run(self.user, name, parameters or {}, surface=SURFACE)
