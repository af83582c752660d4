"""The governed query path over REST (`POST sql`) and the audit log it writes (`GET audit`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from aios_workbench.schemas.base import Body, Integer, Moment, Query, Reply


class SqlRequest(Body):
    """One governed, read-only query; the answer streams as Arrow IPC."""

    unknown_message: ClassVar[str] = "{where} takes no {quoted}"
    unknown_fix: ClassVar[str] = 'send {{"sql": "SELECT ..."}} (optional: as_user, max_rows, surface, run_id)'
    example: ClassVar[str] = '{"sql": "SELECT ..."}'

    sql: str = Field(description="One SELECT (CTEs and set operations allowed).")
    as_user: str | None = Field(None, description="Act as this user; only if the policy's may_impersonate allows it.")
    max_rows: Integer | None = Field(None, ge=1, examples=[10000],
                                     description="Cut the result off after this many rows (default: query.max_rows).")
    surface: str = Field("api", description="Who asks (kernel, cli, dashboard, check, job); recorded in the audit log.")
    run_id: str | None = Field(None, description="MLflow run to link the audit record to.")


class AuditQuery(Query):
    user: str | None = None
    dataset: str | None = None
    allowed: bool | None = None
    since: Moment | None = Field(None, description="An ISO time or date (inclusive).")
    limit: int = Field(100, description="Kept within 1 to 1000.")
    before_id: int | None = Field(None, description="Keyset paging: the last id seen.")


class AuditRecord(Reply):
    """One record of the tamper-evident audit log."""

    id: int
    at: Moment
    user: str
    surface: str
    action: str
    target: str | None
    allowed: bool
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditRecords(Reply):
    records: list[AuditRecord] = Field(description="Newest first; auditors see every record, others their own.")
