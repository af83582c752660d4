"""The audit log: append a record to the hash chain, verify the chain, query it.

Conventions a caller relies on:
- ``target`` is the comma-separated list of the datasets an action touched, each as
  the catalog names it (``source.schema.name``), e.g. ``"wh.main.orders,wh.main.items"``;
  a list or tuple is joined that way. Past 512 characters it is cut and ends with
  ``TRUNCATED_MARK``; the full list belongs in ``detail["datasets"]``.
- ``detail`` holds the facts of the action: ``sql`` (as submitted), ``datasets``,
  ``rows``, ``rule`` (the rule that denied it), ``run_id``. Callers keep credentials
  out; string values are passed through `logs.redact` anyway.
- Every writer goes through `AuditLog.append`: ids are assigned here, one after the
  other, inside the transaction that holds the table's write lock.
- Inside `acting_via(who)`, every record gets ``detail["via"] = who``: the front end that
  acted for the user (a delegate token), so its calls are told apart from the user's own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import cast

from sqlalchemy import Table, func, insert, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from aios_workbench.audit.chain import GENESIS, HeadAnchor, advance_head, clean_detail, iso, read_head, record_hash, utc
from aios_workbench.audit.verify import VerifyResult, verify_chain
from aios_workbench.core.errors import StoreError, UsageError
from aios_workbench.core.logs import redact
from aios_workbench.store.models import AuditEvent

log = logging.getLogger(__name__)

TABLE = cast(Table, AuditEvent.__table__)  # a declarative class with __tablename__ maps a Table
COLUMNS = TABLE.c
TRUNCATED_MARK = ",…"
MAX_QUERY_LIMIT = 10_000
_LIMITS = {"user": 128, "surface": 32, "action": 64}
_TARGET_LIMIT = 512
_FIELD_ORDER = ("id", "at", "user", "surface", "action", "target", "allowed", "detail", "prev_hash", "hash")
_via: ContextVar[str | None] = ContextVar("aios_audit_via", default=None)


@contextlib.contextmanager
def acting_via(who: str | None):
    """Records appended inside (in this thread or task) say `via: who`; None changes nothing."""
    reset = _via.set(who)
    try:
        yield
    finally:
        _via.reset(reset)


def _store_error(action: str, store, exc: SQLAlchemyError) -> StoreError:
    message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return StoreError(f"cannot {action} the audit log in {store.display_url}: {redact(message)}",
                      fix="check that the metadata store is reachable and migrated (`aios status`)",
                      input=store.display_url)


def dataset_list(target: str) -> list[str]:
    """The datasets named in a ``target`` value (see the module's conventions)."""
    if target.endswith(TRUNCATED_MARK):
        target = target[: -len(TRUNCATED_MARK)]
    return [name for name in (part.strip() for part in target.split(",")) if name]


def _fit_target(target: str | Sequence[str]) -> str:
    joined = target if isinstance(target, str) else ",".join(str(name) for name in target)
    joined = redact(joined)
    if len(joined) <= _TARGET_LIMIT:
        return joined
    cut = joined[: _TARGET_LIMIT - len(TRUNCATED_MARK)]
    cut = cut[: cut.rfind(",")] if "," in cut else cut  # keep whole names only
    return cut + TRUNCATED_MARK


def _names_dataset(record: dict, wanted: str) -> bool:
    """Whether `record` touched `wanted`: an exact name, or its last dotted parts
    (``orders`` and ``main.orders`` both match ``wh.main.orders``), case-insensitive."""
    wanted = wanted.lower()
    names = dataset_list(record["target"]) + [str(n) for n in (record["detail"] or {}).get("datasets") or []]
    return any(n.lower() == wanted or n.lower().endswith("." + wanted) for n in names)


def _moment(value: datetime | date | str, name: str) -> datetime:
    """A query bound as an aware UTC datetime; a date means its midnight UTC, naive means UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise UsageError(f"{name} {value!r} is not an ISO date or time",
                             fix="use e.g. 2026-11-02 or 2026-11-02T14:30:00Z", input=value) from None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return utc(value)


def to_public(row) -> dict:
    """A stored record as JSON-ready data (time as ISO 8601 UTC)."""
    data = row._mapping if hasattr(row, "_mapping") else row
    record = {name: data[name] for name in _FIELD_ORDER}
    record["at"] = iso(record["at"])
    record["allowed"] = bool(record["allowed"])
    record["detail"] = record["detail"] or {}
    return record


class AuditLog:
    """The tamper-evident audit log of one metadata store.

    ``head_file`` is the tail anchor (normally ``<state folder>/audit.head``); it must
    live outside the database, so that deleting the last records is detected."""

    def __init__(self, store, head_file: Path):
        self.store = store
        self.head_file = Path(head_file)

    # -- writing -------------------------------------------------------------------
    def append(self, *, user: str, surface: str, action: str, target: str | Sequence[str] = "",
               allowed: bool, detail: dict | None = None) -> dict:
        """Append one record in one transaction and return it (with its id and hash)."""
        for name, value in (("user", user), ("surface", surface), ("action", action)):
            if not isinstance(value, str) or not value or len(value) > _LIMITS[name]:
                raise UsageError(f"audit {name} must be a non-empty string of at most {_LIMITS[name]} characters",
                                 fix=f"pass a shorter {name}", input=str(value)[:200])
        detail = dict(detail or {})
        if _via.get() is not None:
            detail.setdefault("via", _via.get())
        record = {"user": user, "surface": surface, "action": action, "target": _fit_target(target),
                  "allowed": bool(allowed), "detail": clean_detail(detail)}
        try:
            with self.store.session() as session, session.begin():
                if self.store.backend == "postgresql":
                    # Serialise appenders: readers still read. SQLite's BEGIN IMMEDIATE does the same.
                    session.execute(text("LOCK TABLE audit_events IN EXCLUSIVE MODE"))
                last = session.execute(select(COLUMNS.id, COLUMNS.hash).order_by(COLUMNS.id.desc()).limit(1)).first()
                record["id"] = last.id + 1 if last else 1
                record["prev_hash"] = last.hash if last else GENESIS
                record["at"] = datetime.now(UTC)  # under the lock, so time follows id order
                record["hash"] = record_hash(record)
                session.execute(insert(TABLE).values(**record))
                if self.store.backend == "postgresql":
                    # Ids are explicit; keep the serial sequence in step for any other inserter.
                    session.execute(text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), :id)"),
                                    {"id": record["id"]})
        except SQLAlchemyError as exc:
            raise _store_error("append to", self.store, exc) from None
        try:
            advance_head(self.head_file, HeadAnchor(record["id"], record["hash"]))
        except OSError as exc:
            # The record is committed; a stale anchor only weakens tail detection until the next append.
            log.warning("audit record %s written, but the head file %s could not be updated: %s",
                        record["id"], self.head_file, exc)
        return to_public(record)

    # -- checking ------------------------------------------------------------------
    def verify(self, *, chunk_size: int = 5000) -> VerifyResult:
        """Walk the whole chain in id order and report the first record that breaks it."""
        # The anchor is read before the records: it only moves after a commit, so any
        # record it names is already visible, even while others keep appending.
        head = read_head(self.head_file)
        try:
            return verify_chain(self._stream(chunk_size), head)
        except SQLAlchemyError as exc:
            raise _store_error("read", self.store, exc) from None

    def _stream(self, chunk_size: int) -> Iterator[dict]:
        """Every record in id order, fetched in keyset chunks (short transactions, so
        appenders are never held up for the length of a whole walk)."""
        after = 0
        while True:
            with self.store.engine.connect() as connection:
                rows = connection.execute(
                    select(TABLE).where(COLUMNS.id > after).order_by(COLUMNS.id).limit(chunk_size)).mappings().all()
            if not rows:
                return
            yield from rows
            after = rows[-1]["id"]

    def record(self, record_id: int) -> dict | None:
        """One record by id, or None."""
        try:
            with self.store.engine.connect() as connection:
                row = connection.execute(select(TABLE).where(COLUMNS.id == record_id)).first()
        except SQLAlchemyError as exc:
            raise _store_error("read", self.store, exc) from None
        return to_public(row) if row is not None else None

    # -- reading -------------------------------------------------------------------
    def query(self, *, user: str | None = None, dataset: str | None = None, allowed: bool | None = None,
              since: datetime | date | str | None = None, until: datetime | date | str | None = None,
              action: str | None = None, limit: int = 100, before_id: int | None = None) -> list[dict]:
        """Records newest first, at most `limit`; pass the last id you got as `before_id`
        for the next page. `since` is inclusive, `until` exclusive; `dataset` matches a
        name in the target list or in ``detail["datasets"]`` (see `_names_dataset`)."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_QUERY_LIMIT:
            raise UsageError(f"limit must be between 1 and {MAX_QUERY_LIMIT}", fix="pass a smaller limit",
                             input=limit)
        conditions = []
        if user is not None:
            conditions.append(COLUMNS.user == user)
        if action is not None:
            conditions.append(COLUMNS.action == action)
        if allowed is not None:
            conditions.append(COLUMNS.allowed.is_(bool(allowed)))
        if since is not None:
            conditions.append(COLUMNS.at >= _moment(since, "since"))
        if until is not None:
            conditions.append(COLUMNS.at < _moment(until, "until"))
        if dataset:
            # A coarse filter in SQL (the name appears in target, or target was cut short);
            # the exact match on list items happens below.
            escaped = dataset.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(or_(COLUMNS.target.ilike(f"%{escaped}%", escape="\\"),
                                  COLUMNS.target.like(f"%{TRUNCATED_MARK}")))
        found: list[dict] = []
        cursor = before_id
        batch = limit if not dataset else max(limit * 2, 200)
        try:
            with self.store.engine.connect() as connection:
                while len(found) < limit:
                    statement = select(TABLE).where(*conditions)
                    if cursor is not None:
                        statement = statement.where(COLUMNS.id < cursor)
                    rows = connection.execute(statement.order_by(COLUMNS.id.desc()).limit(batch)).all()
                    for row in rows:
                        record = to_public(row)
                        if not dataset or _names_dataset(record, dataset):
                            found.append(record)
                            if len(found) == limit:
                                break
                    if len(rows) < batch or not dataset:
                        break
                    cursor = rows[-1].id
        except SQLAlchemyError as exc:
            raise _store_error("read", self.store, exc) from None
        return found

    def count(self) -> int:
        """How many records the log holds."""
        try:
            with self.store.engine.connect() as connection:
                return connection.execute(select(func.count()).select_from(TABLE)).scalar_one()
        except SQLAlchemyError as exc:
            raise _store_error("read", self.store, exc) from None


__all__ = ["AuditLog", "TRUNCATED_MARK", "dataset_list", "to_public"]
