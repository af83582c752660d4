"""The alert feed as a business action: list and count what a caller may see, acknowledge (audited), and
keep monitor and approval alerts true.

Every surface (REST `alerts*`, `aios alerts`, the dashboard's Alerts page, the sidebar) reaches the feed
through `service.alerts`, so an acknowledgement is audited the same way whoever makes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aios_workbench.alerts import AlertFeed
from aios_workbench.jobs.runs import trigger_monitor_failure

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class AlertsManager:
    """Alert actions of one workspace, each run as a named caller, over the one `AlertFeed` it holds."""

    def __init__(self, service: WorkbenchService) -> None:
        self.service = service
        self.feed = AlertFeed(service.store)

    # -- reading ------------------------------------------------------------------------------------
    # Every authenticated caller sees the whole feed: alert titles and details name jobs, monitors,
    # versions and run ids, never data read under anyone's grants.
    def list(self, user: str, *, state: str | None = None, limit: int = 50,
             before_id: int | None = None) -> list[dict[str, Any]]:
        """Alerts newest first, optionally in one `state`; pass the last id as `before_id` for the next page."""
        return self.feed.list(state=state, limit=limit, before_id=before_id)

    def counts(self, user: str) -> dict[str, Any]:
        """How many alerts are open and acknowledged (the sidebar's badge)."""
        return self.feed.counts()

    def page(self, user: str, *, state: str | None = None, limit: int = 50,
             before_id: int | None = None) -> dict[str, Any]:
        """One page of the feed with the counts and the id to pass for the next page (None on the last)."""
        alerts = self.list(user, state=state, limit=limit, before_id=before_id)
        return {"alerts": alerts, "counts": self.counts(user),
                "next_before_id": alerts[-1]["id"] if len(alerts) == limit else None}

    # -- acting -------------------------------------------------------------------------------------
    def acknowledge(self, user: str, alert_id: int, *, surface: str) -> dict[str, Any]:
        """Mark an open alert as seen by `user` and audit it as `alert_ack`; an alert that is no longer
        open keeps its first acknowledger (the attempt is audited all the same)."""
        alert = self.feed.acknowledge(alert_id, user)
        self.service.audit.append(user=user, surface=surface, action="alert_ack", target=f"alert:{alert['id']}",
                                  allowed=True, detail={"key": alert["key"]})
        return alert

    def raise_alert(self, *, key: str, kind: str, severity: str = "warning", title: str,
                    detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Open an alert, or count one more repeat of the unresolved alert with the same `key`."""
        return self.feed.raise_alert(key=key, kind=kind, severity=severity, title=title, detail=detail)

    def resolve(self, key: str) -> int:
        """Resolve every unresolved alert with `key` (the problem went away); how many there were."""
        return self.feed.resolve(key)

    # -- the rules that keep the feed true ----------------------------------------------------------
    def record_monitor_outcome(self, name: str, result: dict[str, Any]) -> None:
        """A monitor's ledger result: when it failed or errored, open (or bump) the alert `monitor:NAME` and
        queue the jobs promoted with `--on-monitor-failure NAME`; when it passed, resolve the alert."""
        key = f"monitor:{name}"
        if result["status"] not in ("fail", "error"):
            self.resolve(key)
            return
        errored = result["status"] == "error"
        drifted = [i["name"] for i in result.get("items", []) if i["status"] == "fail" and i["name"] != "dataset drift"]
        self.raise_alert(key=key, kind="monitor_failed", severity="error" if errored else "warning",
                         title=f"monitor {name} {'errored' if errored else 'failed'}",
                         detail={"monitor": name, "ledger_id": result.get("ledger_id"), "drifted": drifted,
                                 "error": result.get("error"), "windows": result.get("params", {}).get("windows")})
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
