"""The governed query path over REST (`POST sql`) and the audit log it writes (`GET audit`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from aios_workbench.schemas.base import Body, Integer, Moment, Query, Reply


class SqlRequest(Body):
    """One governed, read-only query; the answer streams as Arrow IPC."""

    unknown_message: ClassVar[str] = "{where} takes no {quoted}"
    unknown_fix: ClassVar[str] = 'send {{"sql": "SELECT ..."}} (optional: as_user, max_rows, run_id)'
    example: ClassVar[str] = '{"sql": "SELECT ..."}'

    sql: str = Field(description="One SELECT (CTEs and set operations allowed).")
    as_user: str | None = Field(None, description="Act as this user; only if the policy's may_impersonate allows it.")
    max_rows: Integer | None = Field(None, ge=1, examples=[10000],
                                     description="Cut the result off after this many rows (default: query.max_rows).")
    surface: str = Field("api", description="Ignored (kept so older clients are not refused): the service records "
                         "how the caller authenticated (kernel, ui, api, job) as the audit record's surface.")
    run_id: str | None = Field(None, max_length=64, description="The caller's own open MLflow run (wb.run) to link "
                               "the audit record and lineage to; another user's, a deleted or an unknown run is "
                               "refused (403/404).")


class AuditQuery(Query):
    user: str | None = None
    dataset: str | None = None
    allowed: bool | None = None
    since: Moment | None = Field(None, description="An ISO time or date (inclusive).")
    limit: int = Field(100, description="Kept within 1 to 1000.")
    before_id: int | None = Field(None, description="Keyset paging: the last id seen.")


class AuditRecord(Reply):
    """One record of the tamper-evident audit log. `user` is who acted; acting as another user, the record
    names that user in `detail.as_user`."""

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
    redacted: list[str] | None = Field(None, description="Present when the record is not the reader's own and "
                                       "the reader is no auditor: the detail keys changed for him (`sql` with its "
                                       "literals replaced by ?, or null when it could not be parsed; other text "
                                       "\"[hidden]\"). `hash` covers the stored record, not this copy.")


class AuditRecords(Reply):
    records: list[AuditRecord] = Field(description="Newest first; auditors see every record, others their own.")


class AuditVerdict(Reply):
    """The audit chain's verdict: the hash chain, the head file and the signed checkpoints (store and witness
    file); the first bad record itself only for auditors."""

    ok: bool
    checked: int = Field(description="Records found intact from the first on.")
    first_bad_id: int | None
    reason: str | None = Field(description="The first problem, in words (null when ok).")
    head_id: int | None
    warnings: list[str]
    vouched_id: int | None = Field(description="The last record a genuine signed checkpoint vouches for.")
    vouched_at: Moment | None = Field(description="When that checkpoint was signed.")
    unvouched: int = Field(description="Records after it: chained, but not yet covered by a checkpoint.")
    checkpoints: int = Field(description="Genuine checkpoints checked (metadata store and witness file).")
    problems: list[str] = Field(description="Every finding that makes the log untrustworthy: a cut tail, a rewrite, "
                                "a forged or missing checkpoint or witness.")
    first_bad_record: AuditRecord | None = None
