"""The governed DuckDB engine: every source attached read-only, then locked.

Order matters (checked on DuckDB 1.5.5): replacement scans off and every source
attached BEFORE `lock_configuration`; external access limited to the sources'
own folders; memory and thread limits; a per-query timeout through `interrupt`.
After the lock `SET` is refused, but table functions still answer: the
rewriter (`rewrite.py`) refuses them itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from pathlib import Path

import duckdb

from aios_workbench.catalog.pii_text import SPAN_PATTERN
from aios_workbench.connectors.engine import connect
from aios_workbench.connectors.secrets import scrub
from aios_workbench.core.errors import ConnectorError, UsageError, WorkbenchError
from aios_workbench.core.logs import redact
from aios_workbench.query.watchdog import WATCHDOG

log = logging.getLogger(__name__)
BATCH_ROWS = 65_536   # rows per record batch DuckDB converts at a time (32 of its vectors)
IDLE_CURSORS = 8      # cursors of finished queries kept for the next ones (a new cursor costs ~0.15 ms)


class QueryTimeout(WorkbenchError):
    code = "query_timeout"


def _salt(state_dir: Path) -> str:
    """The workspace's secret: every hash mask's key is derived from it (`mask_key`)."""
    path = state_dir / "mask.salt"
    if not path.exists():
        # private from its first byte, and created whole: processes starting at once all keep the first salt
        state_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".mask.salt.{os.getpid()}.{threading.get_ident()}.tmp")
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text().strip()


def _external_access(ws) -> tuple[list[str], list[str]]:
    """(directories, files) the locked engine may still read: exactly the sources' data.

    Database files (DuckDB, SQLite) are attached before the lock and need no entry;
    folders are avoided where exact files can be listed, since an allowed folder is
    readable (and writable by COPY, which the rewriter refuses) as a whole. The one
    exception is a `datasets` source's folder, whose datasets written after the lock must
    be readable; that folder may not hold the workspace (`DatasetsConnector.folder`)."""
    directories: set[str] = set()
    files: set[str] = set()
    for decl in ws.connectors:
        connector = decl.connector()
        if decl.type == "datasets":
            try:
                directories.add(str(connector.folder(ws.root)) + "/")
            except WorkbenchError:
                pass  # refused: the source fails to attach and is reported as unavailable
        elif decl.type == "files":
            try:
                files.update(str(p.resolve()) for p in connector.files(ws.root))
            except WorkbenchError:
                pass  # the source failed to attach and is reported as unavailable
        elif hasattr(connector, "allowed_directories"):
            directories.update(connector.allowed_directories())
    return sorted(directories), sorted(files)


def _hmac_pads(secret: str) -> tuple[str, str]:
    """HMAC-SHA256's inner and outer padded keys of `secret` (RFC 2104), as hex."""
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def mask_key(secret: str, key_id: str) -> str:
    """The key (hex) of hash masks under `key_id` (`policy.enforce.hash_key_id`): HMAC-SHA256(secret, key_id).
    Derived, never stored: the engine computes the same in SQL, folded to a constant once per query."""
    return hmac.new(secret.encode(), key_id.encode(), hashlib.sha256).hexdigest()


def spans_macro() -> str:
    """`aios_mask_spans(v)`: free text with every span the PII finders look for replaced by `***` (the
    pattern over-redacts rather than checks: a mask has no room for an IBAN's mod-97)."""
    pattern = SPAN_PATTERN.replace("'", "''")
    return f"CREATE MACRO aios_mask_spans(v) AS regexp_replace(v, '{pattern}', '***', 'g')"


def mask_hash(secret: str, key_id: str, value) -> str | None:
    """What `aios_mask_hash(value, key_id)` answers: the first 16 hex digits of SHA-256(key || value)."""
    if value is None:
        return None
    return hashlib.sha256((mask_key(secret, key_id) + str(value)).encode()).hexdigest()[:16]


def hash_macro(secret: str) -> str:
    """`aios_mask_hash(v, key_id)`: the hash mask of `v` under the key derived for `key_id`.

    Keys are per column unless a steward puts columns in one join domain, so nobody can have a value of his
    own hashed under the key of a column he may not read raw (a written candidate list never joins a
    governed column's hashes). The key id is a literal the rewriter writes; its HMAC folds to a constant."""
    inner, outer = _hmac_pads(secret)
    key = f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(k))))"
    return f"CREATE MACRO aios_mask_hash(v, k) AS CASE WHEN v IS NULL THEN NULL " \
           f"ELSE left(sha256({key} || CAST(v AS VARCHAR)), 16) END"


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


class GovernedEngine:
    """One locked DuckDB instance over all of a workspace's sources."""

    def __init__(self, ws, *, threads: int = 2, memory_limit: str = "1GB"):
        self.con = connect(ws.extension_dir, threads=threads, memory_limit=memory_limit,
                           temp_directory=ws.state_dir / "tmp" / "duckdb")
        self.failed: dict[str, str] = {}
        # Cursors whose query ran to its end, reused: a query only ever reads (the rewriter lets no SET, temp
        # table or variable through), so a cursor carries nothing from one query to the next, with one
        # exception: a PIVOT without an IN list creates a temporary ENUM type of the values it saw (DuckDB never
        # drops it), so a cursor that ran any PIVOT is closed, with it (`_reusable`). So is one whose query
        # failed, was stopped or was left half-read. list.pop/append: atomic.
        self._idle: list[duckdb.DuckDBPyConnection] = []
        con = self.con
        con.execute("SET python_enable_replacements = false")
        for decl in ws.connectors:
            try:
                decl.connector().attach(con, alias=decl.name, root=ws.root)
            except Exception as exc:  # noqa: BLE001 - the other sources stay usable
                self.failed[decl.name] = scrub(redact(str(exc).splitlines()[0]))
                log.warning("source %s is unavailable: %s", decl.name, self.failed[decl.name])
        con.execute(hash_macro(_salt(ws.state_dir)))
        con.execute("CREATE MACRO aios_mask_redact(v) AS CASE WHEN v IS NULL THEN NULL ELSE '***' END")
        con.execute("CREATE MACRO aios_mask_partial(v) AS CASE WHEN v IS NULL THEN NULL ELSE "
                    "repeat('*', length(v) - least(4, length(v) // 3)) || right(v, least(4, length(v) // 3)) END")
        con.execute(spans_macro())
        self.builtin_functions = frozenset(r[0].lower() for r in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE internal AND function_type IN ('scalar', 'aggregate', 'macro')").fetchall())
        directories, files = _external_access(ws)
        con.execute(f"SET allowed_directories = {_sql_list(directories)}")
        con.execute(f"SET allowed_paths = {_sql_list(files)}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def start(self, sql: str, *, timeout: float, max_rows: int | None = None):
        """Start `sql` (already rewritten) on its own cursor; return its Arrow schema and a
        generator of record batches (BATCH_ROWS each, or `max_rows` + 1 when fewer: a result cut off
        at 200 rows converts 201). Errors in planning surface here, before any row is sent; the cursor
        is interrupted when `timeout` seconds pass (`watchdog.py`)."""
        cursor = self._cursor()
        ticket = WATCHDOG.watch(timeout, cursor.interrupt)
        try:
            cursor.execute(sql)
            reader = cursor.to_arrow_reader(min(BATCH_ROWS, max_rows + 1) if max_rows else BATCH_ROWS)
        except BaseException as exc:  # noqa: BLE001
            WATCHDOG.release(ticket)
            cursor.close()
            raise self._unavailable(exc) or _translate(exc, timeout) from None

        def batches():
            finished = False
            try:
                yield from reader
                finished = True
            except duckdb.Error as exc:
                raise _translate(exc, timeout) from None
            finally:
                if WATCHDOG.release(ticket) and finished and _reusable(sql) and len(self._idle) < IDLE_CURSORS:
                    self._idle.append(cursor)
                else:
                    cursor.close()

        return reader.schema, batches()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            return self._idle.pop()
        except IndexError:
            return self.con.cursor()

    def _unavailable(self, exc: BaseException) -> WorkbenchError | None:
        """A query naming a source that failed to attach fails with why that source is down (DuckDB
        would only say its catalog does not exist)."""
        missing = _MISSING_CATALOG.search(str(exc)) if isinstance(exc, duckdb.Error) else None
        source = missing.group(1) if missing else None
        if source not in self.failed:
            return None
        return ConnectorError(f"data source {source} is unavailable: {self.failed[source]}", input=source,
                              fix=f"fix connectors/{source}.yaml or the source itself (`aios status` checks it), "
                                  "then `aios catalog scan`")

    def refresh_dataset(self, ws, source: str, name: str) -> None:
        """Re-create the view of one dataset of `datasets` source `source` after a write, leaving every
        other source attached (re-attaching PostgreSQL or MySQL for one new view is not the right depth)."""
        decl = next(d for d in ws.connectors if d.name == source)
        if source in self.failed:
            return
        with self.con.cursor() as cursor:
            decl.connector().refresh_view(cursor, alias=source, root=ws.root, name=name)

    def close(self) -> None:
        while True:
            try:
                cursor = self._idle.pop()
            except IndexError:   # empty (a query may have taken the last one meanwhile)
                break
            cursor.close()
        self.con.close()


def _reusable(sql: str) -> bool:
    """Whether the cursor that ran `sql` (rewritten, as the engine ran it) may serve another query: not after
    a PIVOT (or UNPIVOT), whose temporary ENUM type would stay on the cursor. A text that only mentions the word
    (a column named pivot) closes a cursor for nothing; that is the safe side."""
    return "pivot" not in sql.lower()


def _translate(exc: BaseException, timeout: float) -> BaseException:
    if isinstance(exc, duckdb.InterruptException):
        return QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped",
                            fix="narrow it (filters, LIMIT, aggregates) or raise query.timeout_seconds in aios.yaml")
    if isinstance(exc, duckdb.Error):
        return _engine_error(exc)
    return exc


_LINE = re.compile(r"\n\s*LINE \d+:.*", re.S)
_MISSING_CATALOG = re.compile(r'Catalog "([^"]+)" does not exist')


def _engine_error(exc: duckdb.Error) -> WorkbenchError:
    # DuckDB echoes the (rewritten) query after "LINE n:": it names raw tables and mask macros, so cut it
    message = scrub(redact(_LINE.sub("", str(exc)).strip()))
    if isinstance(exc, (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException,
                        duckdb.ConversionException, duckdb.InvalidInputException)):
        return UsageError(f"the query failed: {message}", fix="check column names and types against "
                          "`aios catalog show DATASET`", input=message)
    return ConnectorError(f"the query failed in the engine: {message}",
                          fix="retry; if it persists, check the source with `aios status`", input=message)
