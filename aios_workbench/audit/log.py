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
  other, inside the transaction that holds the table's write lock; the records a process's
  threads queue meanwhile share one such transaction (group commit), and each caller returns
  once its own record is committed.
- Inside `acting_via(who)`, every record gets ``detail["via"] = who``: the front end that
  acted for the user (a delegate token), so its calls are told apart from the user's own.
- ``user`` is who acted (the authenticated caller). A caller acting as another user (`--as bob`,
  ``as_user``) is recorded as himself with ``detail["as_user"] = "bob"``: bob's own records never
  hold another person's queries.

With a witness attached (`attach_witness`), the log signs a checkpoint of its head every
``checkpoint_every`` records and, on the next record, every ``checkpoint_seconds`` (on a background
thread: an append never waits for one), and at `close` (see `witness.py`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import threading
import time as clock
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from aios_workbench.audit.chain import GENESIS, HeadAnchor, HeadFile, clean_detail, iso, read_head, record_hash, utc
from aios_workbench.audit.verify import VerifyResult, verify_chain
from aios_workbench.audit.witness import Checkpoint, Witness, key_id
from aios_workbench.core.errors import AuditIntegrityError, ConfigError, StoreError, UsageError
from aios_workbench.core.logs import redact
from aios_workbench.store.driver import DriverStatement, driver_errors, driver_transaction
from aios_workbench.store.models import AuditCheckpoint, AuditEvent

log = logging.getLogger(__name__)

TABLE = cast(Table, AuditEvent.__table__)  # a declarative class with __tablename__ maps a Table
COLUMNS = TABLE.c
CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
TRUNCATED_MARK = ",…"
MAX_QUERY_LIMIT = 10_000
_LIMITS = {"user": 128, "surface": 32, "action": 64}
_TARGET_LIMIT = 512
_FIELD_ORDER = ("id", "at", "user", "surface", "action", "target", "allowed", "detail", "prev_hash", "hash")
_via: ContextVar[str | None] = ContextVar("aios_audit_via", default=None)
_LAST_RECORD = select(COLUMNS.id, COLUMNS.hash).order_by(COLUMNS.id.desc()).limit(1)
# PostgreSQL, under the lock: the last record and the database's clock in one round trip (replicas on several
# hosts then stamp `at` from one clock, in id order), and the insert with the serial sequence kept in step
# for any other inserter (ids are explicit) in another
_LOCK_FOR_APPEND = "LOCK TABLE audit_events IN EXCLUSIVE MODE"
_PG_LAST_RECORD = text("SELECT clock_timestamp() AS now, last.id, last.hash FROM (SELECT 1) AS one LEFT JOIN "
                       "(SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1) AS last ON true")
_SYNC_SEQUENCE = text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), :id)")
_RECORD_VALUES = {column.name: bindparam(column.name, type_=column.type) for column in TABLE.columns}
_INSERT_RECORD = insert(TABLE).values(_RECORD_VALUES)
_PG_INSERT_RECORD = text(
    "WITH added AS (INSERT INTO audit_events (id, at, \"user\", surface, action, target, allowed, detail, prev_hash, "
    "hash) VALUES (:id, :at, :user, :surface, :action, :target, :allowed, :detail, :prev_hash, :hash) RETURNING id) "
    "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), (SELECT id FROM added))"
).bindparams(*_RECORD_VALUES.values())


def _is_store_error(exc: BaseException, store) -> bool:
    """Whether `exc` is the metadata store's (SQLAlchemy's, or its driver's own on the append's path)."""
    return isinstance(exc, (SQLAlchemyError, *driver_errors(store.engine)))


class _AppendStatements:
    """The append's statements, compiled for one store's dialect (`store.driver`: an append is on the path of
    every query's answer)."""

    def __init__(self, engine):
        self.postgres = engine.dialect.name == "postgresql"
        self.last_record = DriverStatement(_LAST_RECORD, engine)
        self.insert_record = DriverStatement(_INSERT_RECORD, engine)
        if self.postgres:
            self.pg_last_record = DriverStatement(_PG_LAST_RECORD, engine)
            self.pg_insert_record = DriverStatement(_PG_INSERT_RECORD, engine)
            self.sync_sequence = DriverStatement(_SYNC_SEQUENCE, engine)


@contextlib.contextmanager
def acting_via(who: str | None):
    """Records appended inside (in this thread or task) say `via: who`; None changes nothing."""
    reset = _via.set(who)
    try:
        yield
    finally:
        _via.reset(reset)


def _store_error(action: str, store, exc: BaseException) -> StoreError:
    message = next(iter(str(getattr(exc, "orig", None) or exc).splitlines()), type(exc).__name__)
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


class _Queued:
    """A record waiting to be committed, and how that went."""

    __slots__ = ("done", "error", "record")

    def __init__(self, record: dict):
        self.record = record
        self.done = False
        self.error: BaseException | None = None


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
    live outside the database, so that deleting the last records is detected. ``witness``
    (optional, see `attach_witness`) anchors the head outside the state folder too."""

    def __init__(self, store, head_file: Path, *, witness: Witness | None = None, checkpoint_every: int = 1000,
                 checkpoint_seconds: float = 300.0):
        self.store = store
        self.head_file = Path(head_file)
        self._head = HeadFile(self.head_file)
        self.witness: Witness | None = None
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self._checkpoint_lock = threading.Lock()
        self._known: tuple[int, float] | None = None   # (last id checkpointed, when: epoch seconds)
        self._appended = 0                             # the last id this process appended
        self._retry_after = 0.0
        self._worker: tuple[int, ThreadPoolExecutor] | None = None
        self._queued: Future | None = None
        self.checkpoint_at_exit = False
        self._queue: list[_Queued] = []          # records waiting for the next group commit
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        _ALL_LOGS.add(self)
        if witness is not None:
            self.attach_witness(witness, every=checkpoint_every, seconds=checkpoint_seconds)

    def attach_witness(self, witness: Witness, *, every: int = 1000, seconds: float = 300.0) -> None:
        """Sign checkpoints into `witness` (and the store) every `every` records and, on the next record,
        after `seconds`; and once more when the process ends, for records not yet covered."""
        self.witness = witness
        self.checkpoint_every = max(1, int(every))
        self.checkpoint_seconds = float(seconds)
        _LOGS_WITH_WITNESS.add(self)

    # -- writing -------------------------------------------------------------------
    def append(self, *, user: str, surface: str, action: str, target: str | Sequence[str] = "",
               allowed: bool, detail: dict | None = None) -> dict:
        """Append one record and return it (with its id and hash) once it is committed."""
        for name, value in (("user", user), ("surface", surface), ("action", action)):
            if not isinstance(value, str) or not value or len(value) > _LIMITS[name]:
                raise UsageError(f"audit {name} must be a non-empty string of at most {_LIMITS[name]} characters",
                                 fix=f"pass a shorter {name}", input=str(value)[:200])
        detail = dict(detail or {})
        if _via.get() is not None:
            detail.setdefault("via", _via.get())
        record = {"user": user, "surface": surface, "action": action, "target": _fit_target(target),
                  "allowed": bool(allowed), "detail": clean_detail(detail)}
        queued = _Queued(record)
        with self._queue_lock:
            self._queue.append(queued)
        # Group commit: one committer at a time per process; whoever gets the lock commits every record queued
        # by then in one transaction (the table's lock is then held once for many records, not once each).
        # Every caller returns only once its own record is committed.
        with self._commit_lock:
            if not queued.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if queued.error is not None:
            raise queued.error
        return to_public(record)

    @functools.cached_property
    def _append_statements(self) -> _AppendStatements:
        return _AppendStatements(self.store.engine)

    def _commit(self, batch: list[_Queued]) -> None:
        """Number, chain and insert `batch` in one transaction under the table's write lock; then move the head
        anchor once. Each entry is marked done, with the error that stopped it if any."""
        committed = False
        try:
            statements = self._append_statements
            with driver_transaction(self.store.engine) as cursor:
                if statements.postgres:
                    # Serialise appenders: readers still read. SQLite's BEGIN IMMEDIATE does the same.
                    cursor.execute(_LOCK_FOR_APPEND)
                    now, *last = statements.pg_last_record.execute(cursor).fetchone()
                    now = utc(now)
                else:
                    last = statements.last_record.execute(cursor).fetchone()
                    now = datetime.now(UTC)   # under the lock, so time follows id order
                known = last is not None and last[0] is not None
                last_id, last_hash = (last[0], last[1]) if known else (0, GENESIS)
                records = [entry.record for entry in batch]
                for record in records:
                    last_id += 1
                    record.update(id=last_id, prev_hash=last_hash, at=now)
                    record["hash"] = last_hash = record_hash(record)
                if statements.postgres and len(records) == 1:
                    statements.pg_insert_record.execute(cursor, records[0])
                else:
                    statements.insert_record.executemany(cursor, records)
                    if statements.postgres:
                        statements.sync_sequence.execute(cursor, {"id": last_id})
            committed = True
        except BaseException as exc:  # noqa: BLE001 - each caller of the batch gets it: none thinks its record written
            error = _store_error("append to", self.store, exc) if _is_store_error(exc, self.store) else exc
            for entry in batch:
                entry.error = error
            return
        finally:
            for entry in batch:
                if not committed and entry.error is None:   # whatever happened, no caller may think it written
                    entry.error = StoreError("the audit record was not written", input=self.store.display_url,
                                             fix="check the metadata store (`aios status`) and retry")
                entry.done = True
        try:
            self._head.advance(HeadAnchor(last_id, last_hash))
        except OSError as exc:
            # The records are committed; a stale anchor only weakens tail detection until the next append.
            log.warning("audit record %s written, but the head file %s could not be updated: %s",
                        last_id, self.head_file, exc)
        if self.witness is not None:
            self._after_append(last_id)

    # -- checkpoints ---------------------------------------------------------------------------------------
    def _due(self, last_id: int, known: tuple[int, float] | None) -> bool:
        if known is None:
            return True
        return (last_id - known[0] >= self.checkpoint_every
                or (last_id > known[0] and clock.time() - known[1] >= self.checkpoint_seconds))

    def _after_append(self, record_id: int) -> None:
        """Costs a comparison, unless a checkpoint is due: then one is queued on the background thread."""
        self._appended = max(self._appended, record_id)
        if not self._due(record_id, self._known) or clock.time() < self._retry_after:
            return
        queued = self._queued
        if queued is not None and not queued.done():
            return
        pid = os.getpid()
        if self._worker is None or self._worker[0] != pid:   # threads do not survive a fork
            self._worker = (pid, ThreadPoolExecutor(max_workers=1, thread_name_prefix="aios-audit-checkpoint"))
        try:
            self._queued = self._worker[1].submit(self._checkpoint_quietly)
        except RuntimeError:   # the interpreter is shutting down: `close` (at exit) signs what is left
            pass

    def _checkpoint_quietly(self, force: bool = False) -> None:
        try:
            self.checkpoint(force=force)
        except Exception as exc:  # noqa: BLE001 - appends go on; verify reports what stopped the checkpoint
            self._retry_after = clock.time() + min(self.checkpoint_seconds, 60.0)
            message = exc.message if isinstance(exc, (AuditIntegrityError, ConfigError, StoreError)) else repr(exc)
            log.error("audit checkpoint not signed: %s", message)

    @property
    def _pending(self) -> bool:
        """Whether a record this process appended is not yet covered by a checkpoint it knows of."""
        known = self._known
        return self._appended > (known[0] if known else 0)

    def wait_for_checkpoints(self, timeout: float = 30.0) -> None:
        """Wait until a queued background checkpoint is written (tests, benchmarks, shutdown)."""
        queued = self._queued
        if queued is not None:
            queued.exception(timeout=timeout)

    def close(self, *, force: bool | None = None) -> None:
        """Before the process ends: wait for a queued checkpoint, then sign one for the records this process
        appended and no checkpoint covers yet; `force` (default: `checkpoint_at_exit`, set for a service) signs
        it even when none is due (a short command leaves its few records to the next checkpoint)."""
        if self.witness is None:
            return
        with contextlib.suppress(Exception):
            self.wait_for_checkpoints()
        if self._pending:
            self._checkpoint_quietly(self.checkpoint_at_exit if force is None else force)

    def _stored_checkpoints(self, *, newest: int | None = None) -> list[Checkpoint]:
        """Checkpoints in the store, newest first (`newest`: only that many)."""
        statement = select(CHECKPOINTS).order_by(CHECKPOINTS.c.last_id.desc(), CHECKPOINTS.c.id.desc())
        if newest is not None:
            statement = statement.limit(newest)
        with self.store.engine.connect() as connection:
            rows = connection.execute(statement).mappings().all()
        found = []
        for row in rows:
            try:
                found.append(Checkpoint.from_mapping({**row, "at": iso(row["at"])}))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest genuine checkpoint of this log, from the store or else the witness file (None: none)."""
        witness = self.witness
        if witness is None or witness.key() is None:
            return None
        stored = next((c for c in self._stored_checkpoints(newest=20)
                       if c.workspace == witness.workspace and witness.genuine(c)), None)
        written = witness.last()
        candidates = [c for c in (stored, written) if c is not None]
        return max(candidates, key=lambda c: c.last_id) if candidates else None

    def checkpoint(self, *, force: bool = True) -> Checkpoint | None:
        """Sign a checkpoint of the log's current head after checking the records since the last genuine
        checkpoint (or from the first record) still link up to it; store it and add it to the witness file.

        Returns the new checkpoint, or None when there was nothing new (or, without `force`, when another
        process signed one recently). Raises AuditIntegrityError when the chain since the last checkpoint
        is broken: a checkpoint never vouches for a log it could not check."""
        witness = self.witness
        if witness is None:
            raise ConfigError("this audit log has no witness to sign checkpoints into",
                              fix="open it with `open_audit_log(workspace)` or set audit.witness in aios.yaml")
        # the witness's lock too: replicas sharing it do not sign the same head twice
        with self._checkpoint_lock, witness.exclusive():
            try:
                base = self.latest_checkpoint()
                if base is not None:
                    self._known = (base.last_id, datetime.fromisoformat(base.at).timestamp())
                last = self._last_id()
                if not force and last is not None and not self._due(last, self._known):
                    return None
                head = self._walk_from(base)
                if head is None:
                    return None
                last_id, last_hash, count = head
                now = datetime.now(UTC)
                checkpoint = witness.sign(last_id=last_id, last_hash=last_hash, count=count, at=iso(now))
                witness.append(checkpoint)
                with self.store.session() as session, session.begin():
                    session.execute(insert(CHECKPOINTS).values(
                        workspace=checkpoint.workspace, last_id=checkpoint.last_id, last_hash=checkpoint.last_hash,
                        count=checkpoint.count, at=now, key_id=checkpoint.key_id, signature=checkpoint.signature))
            except SQLAlchemyError as exc:
                raise _store_error("checkpoint", self.store, exc) from None
            except OSError as exc:
                raise ConfigError(f"cannot write the audit witness file {witness.path.name}: {exc.strerror or exc}",
                                  fix="check that the service's account owns the witness folder "
                                      "(audit.witness in aios.yaml)", input=witness.path.name) from None
            self._known = (checkpoint.last_id, now.timestamp())
            return checkpoint

    def _last_id(self) -> int | None:
        with self.store.engine.connect() as connection:
            return connection.execute(select(func.max(COLUMNS.id))).scalar()

    def _walk_from(self, base: Checkpoint | None) -> tuple[int, str, int] | None:
        """(last id, its hash, record count) after checking every record since `base` links up to it; None when
        there is nothing after it."""
        expected_id, prev, count = 1, GENESIS, 0
        if base is not None:
            anchor = self.record(base.last_id)
            if anchor is None or anchor["hash"] != base.last_hash:
                raise AuditIntegrityError(
                    f"record {base.last_id} is missing or differs from the signed checkpoint of {base.at}: "
                    "the log was cut or rewritten, so no new checkpoint is signed",
                    fix="run `aios audit verify` and restore the audit table from a backup", input=base.last_id)
            expected_id, prev, count = base.last_id + 1, base.last_hash, base.count
        last = None
        for record in self._stream(5000, after=expected_id - 1):
            if (record["id"] != expected_id or record_hash(record) != record["hash"]
                    or record["prev_hash"] != prev):
                raise AuditIntegrityError(
                    f"the audit chain is broken at record {expected_id}, so no checkpoint is signed",
                    fix="run `aios audit verify` to see what changed", input=expected_id)
            prev, expected_id, count = record["hash"], expected_id + 1, count + 1
            last = (record["id"], record["hash"], count)
        return last

    def _checkpoint_evidence(self) -> tuple[list[Checkpoint], list[str], list[str]]:
        """Genuine checkpoints of the store and the witness file; problems (forged, missing) and warnings."""
        witness = self.witness
        try:
            stored = self._stored_checkpoints()
        except SQLAlchemyError as exc:
            raise _store_error("read", self.store, exc) from None
        if witness is None:
            return [], [], ([f"{len(stored)} checkpoint(s) in the metadata store were not checked: this log was "
                             "opened without its witness"] if stored else [])
        problems: list[str] = []
        warnings: list[str] = list(witness.loose_permissions())
        written, malformed = witness.read()
        problems += [f"line {n} of the witness file is not a checkpoint: the file was edited" for n in malformed]
        try:
            key = witness.key()
        except ConfigError as exc:
            return [], [exc.message], warnings
        if not witness.exists() and (key is not None or stored):
            problems.append("the witness file is missing, but checkpoints were signed for this log (its key, or "
                            "the metadata store, says so): it was deleted or moved")
        if key is None and (written or stored):
            problems.append(f"the witness key is missing: {len(written) + len(stored)} checkpoint(s) cannot be "
                            "checked (deleted, or the witness was moved without it)")
            return [], problems, warnings
        genuine: dict[tuple[int, str], Checkpoint] = {}
        in_store: set[tuple[int, str]] = set()
        in_witness: set[tuple[int, str]] = set()
        foreign = other_key = 0
        ours = key_id(key) if key is not None else None
        for where, entries, seen in (("witness file", written, in_witness), ("metadata store", stored, in_store)):
            for checkpoint in entries:
                if checkpoint.workspace != witness.workspace:
                    foreign += 1
                    continue
                if checkpoint.key_id != ours:
                    other_key += 1   # another replica's witness, or a replaced key: cannot be checked here
                    continue
                if not witness.genuine(checkpoint):
                    problems.append(f"the checkpoint of record {checkpoint.last_id} in the {where} is not signed with "
                                    "this workspace's witness key: it was forged or edited")
                    continue
                ident = (checkpoint.last_id, checkpoint.signature)
                genuine[ident] = checkpoint
                seen.add(ident)
        if foreign:
            warnings.append(f"{foreign} checkpoint(s) name another workspace (or this one at another location) and "
                            "were not checked")
        if other_key:
            warnings.append(f"{other_key} checkpoint(s) were signed with another key (another replica's witness, "
                            "or a key that was replaced) and were not checked; replicas should share one witness")
        if in_store - in_witness:
            newest = max(last_id for last_id, _ in in_store - in_witness)
            warnings.append(f"the witness file lacks {len(in_store - in_witness)} checkpoint(s) the metadata store "
                            f"holds (the newest for record {newest}): a write to it failed, or it was cut")
        if in_witness - in_store:
            warnings.append(f"the metadata store lacks {len(in_witness - in_store)} checkpoint(s) the witness file "
                            "holds: its checkpoint table was emptied or cut")
        return list(genuine.values()), problems, warnings

    # -- checking ------------------------------------------------------------------
    def verify(self, *, chunk_size: int = 5000) -> VerifyResult:
        """Walk the whole chain in id order and report the first record that breaks it; check every signed
        checkpoint (store and witness) and name the last record one vouches for."""
        # The anchor and the checkpoints are read before the records: they only move after a
        # commit, so any record they name is already visible, even while others keep appending.
        head = read_head(self.head_file)
        checkpoints, problems, warnings = self._checkpoint_evidence()
        try:
            result = verify_chain(self._stream(chunk_size), head, checkpoints, problems, warnings)
        except SQLAlchemyError as exc:
            raise _store_error("read", self.store, exc) from None
        if result.checked and not checkpoints and self.witness is not None and not problems:
            result.warnings.append("no signed checkpoint yet: nothing anchors the log outside the state folder "
                                   "(`aios audit checkpoint` signs one now)")
        return result

    def _stream(self, chunk_size: int, *, after: int = 0) -> Iterator[dict]:
        """Every record (after id `after`) in id order, fetched in keyset chunks (short transactions,
        so appenders are never held up for the length of a whole walk)."""
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


_LOGS_WITH_WITNESS: weakref.WeakSet[AuditLog] = weakref.WeakSet()
_ALL_LOGS: weakref.WeakSet[AuditLog] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child starts with no checkpoint thread, unlocked locks (the parent's threads may have held
    them at the fork, and are gone) and no queued records (the parent's callers wait for theirs)."""
    for audit_log in list(_ALL_LOGS):
        audit_log._queue = []
        audit_log._queue_lock = threading.Lock()
        audit_log._commit_lock = threading.Lock()
    for audit_log in list(_LOGS_WITH_WITNESS):
        audit_log._checkpoint_lock = threading.Lock()
        audit_log._worker = None
        audit_log._queued = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _final_checkpoints() -> None:
    """At interpreter exit, each log with a witness signs the records this process appended since its last
    checkpoint when one is due (always, for a service's log: `checkpoint_at_exit`)."""
    for audit_log in list(_LOGS_WITH_WITNESS):
        if audit_log._pending:
            with contextlib.suppress(Exception):
                audit_log.close()


__all__ = ["AuditLog", "TRUNCATED_MARK", "dataset_list", "to_public"]
