"""The alert feed as a business action: list and count what a caller may see, acknowledge (audited), and
keep monitor and approval alerts true.

Every surface (REST `alerts*`, `aios alerts`, the dashboard's Alerts page, the sidebar) reaches the feed
through `service.alerts`, so an acknowledgement is audited the same way whoever makes it, and one rule
decides who sees what (`AlertsManager.visibility`):

- An alert about data (a failed monitor: its dataset; a job run whose checks failed: the datasets its
  checks read) is governed like that data: a caller who may not
  read every dataset it is about does not see it at all (not in pages, not in counts), and acknowledging
  it answers "there is no alert N", exactly as for an id that does not exist. An alert whose datasets
  are no longer known is shown to auditors only (deny by default).
- An alert about a job (a failed run, a version waiting for approval) is seen by everybody authenticated,
  as jobs and their run statuses are; the failure's error summary and output path are shown only to who
  controls the job (its creator, its identity, auditors), as in the job's history.

Acknowledging needs the same read access as seeing; a second acknowledgement changes nothing and says
who acknowledged the alert first, and when."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from aios_workbench.alerts import AlertFeed, monitor_alert_key
from aios_workbench.alerts.cause import causes_of
from aios_workbench.checks.monitors import workspace_monitors
from aios_workbench.checks.result import check_label
from aios_workbench.core.errors import PermissionDenied, WorkbenchError
from aios_workbench.jobs.manage import get_job
from aios_workbench.jobs.runs import trigger_monitor_failure
from aios_workbench.jobs.verdicts import FAILED_STATUSES
from aios_workbench.service.checks.entries import without_literals
from aios_workbench.service.dashboard.quality_view import WORDS
from aios_workbench.store.models import CheckRun
from aios_workbench.tracking.registry import DECISION_KINDS

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

DATA_KINDS = ("monitor_failed", "checks_failed")   # alerts about datasets; the other kinds are about jobs
RUN_KINDS = ("run_failed", "checks_failed")        # alerts about a job run: its error and output are the job's
MAX_RELATED = 5                    # failed checks named per failed run
HIDDEN = "(hidden)"                # what a failure's error reads as for who does not control its job


class AlertsManager:
    """Alert actions of one workspace, each run as a named caller, over the one `AlertFeed` it holds."""

    def __init__(self, service: WorkbenchService) -> None:
        self.service = service
        self.feed = AlertFeed(service.store)

    # -- the rule: who sees which alert ----------------------------------------------------------------
    def visibility(self, user: str) -> Callable[[dict[str, Any]], bool]:
        """Whether `user` may see an alert (see the module's docstring), as a predicate for the feed."""
        policy = self.service.policy()
        try:
            policy.principal(user)
        except PermissionDenied:   # not a policy user: reads no dataset, so sees no alert about one
            readable: set[str] = set()
        else:
            readable = {entry["name"].lower() for entry in self.service.catalog.readable(user)}
        auditor = policy.is_auditor(user)
        monitors: dict[str, list[str]] | None = None
        controls = self._controls(user)

        def datasets_of(alert: dict[str, Any]) -> list[str]:
            nonlocal monitors
            named = alert["detail"].get("datasets")
            if isinstance(named, list) and named:
                return [str(name) for name in named]
            if alert["kind"] != "monitor_failed":
                return []
            if monitors is None:   # an alert raised before alerts named their datasets: ask the monitor
                monitors = self._monitor_datasets()
            return monitors.get(str(alert["detail"].get("monitor") or alert["key"].removeprefix("monitor:")), [])

        def visible(alert: dict[str, Any]) -> bool:
            if alert["kind"] not in DATA_KINDS:
                return True
            datasets = datasets_of(alert)
            if not datasets and alert["kind"] == "checks_failed":   # checks that read nothing: the job's people
                return auditor or controls(str(alert["detail"].get("job") or ""))
            if not datasets:
                return auditor
            return all(name.lower() in readable for name in datasets)

        return visible

    def _monitor_datasets(self) -> dict[str, list[str]]:
        """Each declared monitor's dataset, by its catalog name."""
        try:
            specs = workspace_monitors(self.service.workspace)
        except WorkbenchError:   # an invalid checks file: no monitor is known
            return {}
        return {name: [self._catalog_name(spec.dataset)] for name, spec in specs.items()}

    def _catalog_name(self, dataset: str) -> str:
        """`dataset` (a short or full name) as the catalog's full name; as given when the catalog lacks it."""
        try:
            return self.service.queries.catalog().resolve(tuple(dataset.split("."))).full_name
        except WorkbenchError:
            return dataset

    def _shown_as(self, user: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
        """Alerts as `user` reads them: a job failure's error and output only for who controls the job; each
        with its `cause` and `related` evidence (`alerts/cause.py`), the failed checks of a failed run looked
        up once for the whole page."""
        may_control = self._controls(user)

        def job_of(alert: dict[str, Any]) -> str:
            return str(alert["detail"].get("job") or alert["key"].removeprefix("job:"))

        def shown(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
            failed = [a for a in alerts if a["kind"] in RUN_KINDS]
            mine = {id(a): may_control(job_of(a)) for a in failed}
            # a run whose checks failed is shown only to who reads all its checked data: its checks are theirs
            checks = self._failed_checks([a["detail"].get("run_id") for a in failed
                                          if mine[id(a)] or a["kind"] == "checks_failed"])
            out = []
            for alert in alerts:
                detail, allowed = alert["detail"], mine.get(id(alert), True)
                if not allowed and (detail.get("error") or detail.get("output")):
                    detail = {**detail, "error": HIDDEN if detail.get("error") else None, "output": None}
                failed_checks = checks.get(detail.get("run_id"), [])
                if not allowed:
                    # a reader who does not control the job sees a failed-checks run's checks as the ledger shows
                    # verdicts to readers whose view may differ from its runner's (no quoted values); no others
                    failed_checks = [_verdict_only(c) for c in failed_checks] if alert["kind"] == "checks_failed" \
                        else []
                cause, related = causes_of(alert, may_open_output=allowed, words=WORDS, failed_checks=failed_checks)
                out.append({**alert, "detail": detail, "cause": cause, "related": related})
            return out

        return shown

    def _controls(self, user: str) -> Callable[[str], bool]:
        """Whether `user` controls a job (its creator, its identity, auditors), asked once per job."""
        controls: dict[str, bool] = {}

        def may_control(job_name: str) -> bool:
            if job_name not in controls:
                with self.service.store.session() as session:
                    try:
                        job = get_job(session, job_name)
                    except WorkbenchError:   # deleted meanwhile (its alerts are resolved): nobody controls it
                        controls[job_name] = self.service.policy().is_auditor(user)
                    else:
                        controls[job_name] = self.service.jobs.control.may_control(job, user)
            return controls[job_name]

        return may_control

    def _failed_checks(self, run_ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
        """The failed and errored ledger entries each job run recorded (one query for all), labelled."""
        ids = sorted({i for i in run_ids if isinstance(i, int) and not isinstance(i, bool)})
        out: dict[Any, list[dict[str, Any]]] = {}
        if not ids:
            return out
        with self.service.store.session() as session:
            rows = session.execute(select(CheckRun.id, CheckRun.job_run_id, CheckRun.kind, CheckRun.name,
                                          CheckRun.status)
                                   .where(CheckRun.job_run_id.in_(ids), CheckRun.status.in_(FAILED_STATUSES),
                                          CheckRun.kind.not_in(DECISION_KINDS))
                                   .order_by(CheckRun.id)).all()
        for row in rows:
            if len(out.setdefault(row.job_run_id, [])) == MAX_RELATED:
                continue   # a run that failed dozens of checks: its first ones say enough
            out[row.job_run_id].append(
                {"id": row.id, "kind": row.kind, "name": row.name, "status": row.status,
                 "label": check_label(row.kind, row.name)})
        return out

    # -- reading ------------------------------------------------------------------------------------
    def list(self, user: str, *, state: str | None = None, limit: int = 50,
             before_id: int | None = None) -> list[dict[str, Any]]:
        """Alerts `user` may see, newest first, optionally in one `state`; pass the last id as `before_id`
        for the next page."""
        alerts = self.feed.list(state=state, limit=limit, before_id=before_id, visible=self.visibility(user))
        return self._shown_as(user)(alerts)

    def counts(self, user: str) -> dict[str, Any]:
        """How many alerts `user` may see are open and acknowledged (the sidebar's badge)."""
        return self.feed.counts(visible=self.visibility(user))

    def page(self, user: str, *, state: str | None = None, limit: int = 50,
             before_id: int | None = None) -> dict[str, Any]:
        """One page of the feed with the counts and the id to pass for the next page (None on the last)."""
        alerts = self.list(user, state=state, limit=limit, before_id=before_id)
        return {"alerts": alerts, "counts": self.counts(user),
                "next_before_id": alerts[-1]["id"] if len(alerts) == limit else None}

    # -- acting -------------------------------------------------------------------------------------
    def acknowledge(self, user: str, alert_id: int, *, surface: str) -> dict[str, Any]:
        """Mark an open alert `user` may see as seen by them and audit it as `alert_ack`; an alert that is no
        longer open keeps its first acknowledger (the answer says who and when; the attempt is audited all
        the same). One the caller may not see is refused as not found, and the refusal audited."""
        try:
            alert = self.feed.acknowledge(alert_id, user, visible=self.visibility(user))
        except WorkbenchError as refused:
            if refused.code == "not_found":   # unknown or not visible to the caller: the same record for both
                self.service.audit.append(user=user, surface=surface, action="alert_ack", target=f"alert:{alert_id}",
                                          allowed=False, detail={"reason": "no such alert visible to the caller"})
            raise
        self.service.audit.append(user=user, surface=surface, action="alert_ack", target=f"alert:{alert['id']}",
                                  allowed=True, detail={"key": alert["key"]})
        return self._shown_as(user)([alert])[0]

    def raise_alert(self, *, key: str, kind: str, severity: str = "warning", title: str,
                    detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Open an alert, or count one more repeat of the unresolved alert with the same `key`."""
        return self.feed.raise_alert(key=key, kind=kind, severity=severity, title=title, detail=detail)

    def resolve(self, key: str) -> int:
        """Resolve every unresolved alert with `key` (the problem went away); how many there were."""
        return self.feed.resolve(key)

    # -- the rules that keep the feed true ----------------------------------------------------------
    def record_monitor_outcome(self, name: str, result: dict[str, Any]) -> None:
        """A monitor's ledger result: when it failed or errored, open (or bump) the alert `monitor:NAME` (naming
        the monitor's dataset, which governs who sees it) and queue the jobs promoted with
        `--on-monitor-failure NAME`; when it passed, resolve the alert."""
        key = monitor_alert_key(name)
        if result["status"] not in FAILED_STATUSES:
            self.resolve(key)
            return
        errored = result["status"] == "error"
        drifted = [i["name"] for i in result.get("items", []) if i["status"] == "fail" and i["name"] != "dataset drift"]
        dataset = result.get("params", {}).get("dataset")
        datasets = [self._catalog_name(dataset)] if dataset else self._monitor_datasets().get(name, [])
        # a threshold monitor tells what it found in words, with its evidence and where to act (checks/monitors.py)
        found = {} if errored else result.get("params", {}).get("alert") or {}
        self.raise_alert(key=key, kind="monitor_failed", severity="error" if errored else "warning",
                         title=found.get("title") or f"monitor {name} {'errored' if errored else 'failed'}",
                         detail={"monitor": name, "datasets": datasets, "ledger_id": result.get("ledger_id"),
                                 "drifted": drifted, "error": result.get("error"),
                                 "windows": result.get("params", {}).get("windows"),
                                 **{k: found[k] for k in ("evidence", "link") if found.get(k)}})
        trigger_monitor_failure(self.service.store, name)

    def approval_pending(self, job: str, version: int, *, notebook: str, promoted_by: str, approver: str | None,
                         digest: str | None) -> dict[str, Any]:
        """The alert that version `version` of `job` waits for a second user's approval."""
        who = approver or "a second user"
        return self.raise_alert(key=approval_key(job, version), kind="approval", severity="info",
                                title=f"Job {job} v{version} waits for approval by {who}",
                                detail={"job": job, "version": version, "notebook": notebook,
                                        "promoted_by": promoted_by, "approver": approver, "digest": digest})

    def approval_decided(self, job: str, version: int) -> int:
        """Resolve the approval alert of a version that was approved or rejected."""
        return self.resolve(approval_key(job, version))


def approval_key(job: str, version: int) -> str:
    return f"approval:{job}:v{version}"


def _verdict_only(check: dict[str, Any]) -> dict[str, Any]:
    """A failed check of a job run as a reader who does not control the job sees it: its name and label
    without the quoted values a check named after its SQL carries (`checks.entries.without_literals`)."""
    name = without_literals(check["name"])
    return {**check, "name": name, "label": check_label(check["kind"], name)}
