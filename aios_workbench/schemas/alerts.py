"""The alert feed: failed runs, failed monitors, pending approvals; acknowledging one."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from aios_workbench.schemas.base import Body, Id, Moment, Query, Reply

AlertState = Literal["open", "acknowledged", "resolved"]


class AlertsQuery(Query):
    state: AlertState | None = None
    limit: int = Field(50, ge=1, le=500)
    before_id: int | None = Field(None, ge=1, description="Keyset paging: the last id seen.")


class Alert(Reply):
    """Something that needs a person's attention; repeats of one problem share a key and bump `count`.

    Governed like its subject: an alert about a dataset (a failed monitor; `detail.datasets`) is listed
    only to callers who may read it; a job failure's `detail.error` reads "(hidden)" for callers who do
    not control the job."""

    id: int
    at: Moment
    last_at: Moment
    key: str = Field(description='What the alert is about, e.g. "job:nightly".')
    kind: Literal["run_failed", "monitor_failed", "approval"]
    severity: Literal["info", "warning", "error", "critical"]
    state: AlertState
    title: str
    detail: dict[str, Any]
    count: int
    acknowledged_by: str | None
    acknowledged_at: Moment | None
    resolved_at: Moment | None
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
