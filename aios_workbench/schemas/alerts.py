"""The alert feed: failed runs, runs whose checks failed, failed monitors, pending approvals; acknowledging one."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from aios_workbench.schemas.base import Body, Id, Moment, Query, Reply

AlertState = Literal["open", "acknowledged", "resolved"]


class AlertsQuery(Query):
    state: AlertState | None = None
    limit: int = Field(50, ge=1, le=500)
    before_id: int | None = Field(None, ge=1, description="Keyset paging: the last id seen.")


class AlertTarget(Reply):
    """What to open for a cause: `opens` names the view, the other keys say which one. Each surface opens it
    its own way (the dashboard's pages, the sidebar's sections)."""

    opens: Literal["job_run_output", "job", "check_result", "check", "action", "app"]
    job: str | None = None
    run_id: int | None = None
    version: int | None = None
    ledger_id: int | None = Field(None, description="The check result's ledger id.")
    check: str | None = Field(None, description='The check\'s name in the ledger, e.g. "monitor:sales_drift".')
    kind: str | None = Field(None, description="The check's kind (quality, drift, fairness, explain).")
    action_id: int | None = None
    app: str | None = None
    params: dict[str, Any] | None = Field(None, description="The app's form values.")
    href: str | None = Field(None, description="A path under the API that serves it, e.g. a run's output as HTML.")


class AlertCause(Reply):
    """What caused an alert (or evidence of it), in words, and where it opens."""

    kind: Literal["job_run", "check_result", "monitor", "job_version", "action", "app"]
    id: str = Field(description="Which one: a run id, a ledger id, a monitor's name, JOB:vN, an action id.")
    label: str = Field(description='In words, e.g. "Run 41 of job nightly_sales failed".')
    target: AlertTarget | None = Field(description="None when the caller may not open it (`note` says why).")
    note: str | None = Field(None, description="Why it does not open, when it does not.")


class Alert(Reply):
    """Something that needs a person's attention; repeats of one problem share a key and bump `count`.

    Governed like its subject: an alert about data (a failed monitor, a job run whose checks failed;
    `detail.datasets`) is listed only to callers who may read all of it; a job failure's `detail.error` reads "(hidden)" for callers who do
    not control the job."""

    id: int
    at: Moment
    last_at: Moment
    key: str = Field(description='What the alert is about, e.g. "job:nightly".')
    kind: Literal["run_failed", "checks_failed", "monitor_failed", "approval"]
    severity: Literal["info", "warning", "error", "critical"]
    state: AlertState
    title: str
    detail: dict[str, Any]
    count: int
    acknowledged_by: str | None
    acknowledged_at: Moment | None
    resolved_at: Moment | None
    cause: AlertCause | None = Field(None, description="What caused it: the failed run, the monitor's check "
                                                       "result, what waits for approval.")
    related: list[AlertCause] = Field(default_factory=list, description="Further evidence: the checks a failed run "
                                      "failed, the decision app a threshold monitor points to.")
    acknowledgement: Literal["acknowledged", "already_acknowledged", "already_resolved"] | None = Field(
        None, description="Only in the answer of an acknowledgement: whether this call acknowledged the alert, or "
                          "it already was (acknowledged_by and acknowledged_at say by whom and when) or resolved; "
                          "only the first acknowledgement changes the alert.")
    message: str | None = Field(None, description="Only in the answer of an acknowledgement: what happened, in words.")


class AlertCounts(Reply):
    open: int
    acknowledged: int


class AlertPage(Reply):
    alerts: list[Alert] = Field(description="Newest first.")
    counts: AlertCounts
    next_before_id: int | None


class AcknowledgeRequest(Body):
    example: ClassVar[str] = '{"id": ALERT_ID}'

    id: Id = Field(description="The alert's id.")
