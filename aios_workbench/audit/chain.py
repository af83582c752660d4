"""The hash chain: the canonical form of a record, its hash, and the head anchor file.

Each record's hash is ``sha256(prev_hash + canonical_json(record))``, where the
canonical JSON covers id, at, user, surface, action, target, allowed, detail and
prev_hash with sorted keys, no whitespace and the time in UTC with microseconds.
Hashing the id means renumbering or reordering records breaks the chain; hashing
prev_hash means deleting or inserting one breaks the link of the next.

The chain alone cannot show that records were cut off the end, so every append
also moves a *head anchor* (a small JSON file ``{"id": N, "hash": H}`` in the
workspace's state folder, outside the database): the record with that id must
exist and carry that hash. Whoever can rewrite both the database and the state
folder can forge a consistent log; the chain is evidence, not a signature.

With replicas (several `aios serve` on one PostgreSQL store) the anchor means "the
highest record the appenders sharing this state folder committed": a lower bound
of the log's length, never an upper one. Replicas sharing one state folder move one
file, forward only, under a file lock (`advance_head`); a replica with a state
folder of its own keeps its own anchor, which vouches for the tail up to its own
last append (the witness's signed checkpoints cover every replica's records).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import ConfigError
from aios_workbench.core.logs import redact

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # prev_hash of the first record
HASHED_FIELDS = ("id", "at", "user", "surface", "action", "target", "allowed", "detail", "prev_hash")


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time (a query bound typed without a zone) is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return utc(moment).isoformat(timespec="microseconds")


def clean_detail(value):
    """`value` as plain JSON: credential-looking text redacted, non-finite floats and
    anything not JSON (dates, paths, sets) turned into strings, keys into strings.

    What is hashed must be exactly what the database gives back, so the detail is
    normalised once, before it is hashed and stored."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(key): clean_detail(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [clean_detail(item) for item in items]
    return redact(str(value))


def canonical_json(record: Mapping[str, Any]) -> str:
    """The exact text that is hashed for `record` (a dict with at least HASHED_FIELDS)."""
    body = {name: record[name] for name in HASHED_FIELDS}
    body["at"] = iso(body["at"]) if isinstance(body["at"], datetime) else body["at"]
    body["allowed"] = bool(body["allowed"])
    body["detail"] = body["detail"] if body["detail"] is not None else {}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(record: Mapping[str, Any]) -> str:
    """sha256 of prev_hash followed by the canonical JSON of the record, hex encoded."""
    return hashlib.sha256((record["prev_hash"] + canonical_json(record)).encode("utf-8")).hexdigest()


HEAD_WIDTH = 128   # bytes of the head file: one JSON line padded with spaces, rewritten in place


@dataclass(frozen=True)
class HeadAnchor:
    """The last record an appender wrote: ``id`` must exist with ``hash``."""

    id: int
    hash: str


def _parse_head(raw: bytes, path: Path) -> HeadAnchor | None:
    if not raw.strip():
        return None   # created, not yet written (its appender held the lock and failed before writing)
    try:
        data = json.loads(raw)
        return HeadAnchor(int(data["id"]), str(data["hash"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the audit head file {path} is not valid JSON of the form {{\"id\": N, \"hash\": H}}: {exc}",
                          fix="treat the audit log as suspect; restore the file from a backup, "
                              "or delete it to verify without a tail anchor", input=str(path)) from None


def read_head(path: Path) -> HeadAnchor | None:
    """The anchor in `path`, or None when there is no file yet (read under the appenders' lock, shared)."""
    try:
        with open(path, "rb") as handle, _flocked(handle, shared=True):
            return _parse_head(handle.read(), path)
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def _flocked(handle, *, shared: bool = False):
    """An advisory lock on an open file, between processes and between threads (each open is a file
    description of its own); over NFS, Linux makes flock a lock the server holds. A no-op without fcntl."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


def advance_head(path: Path, anchor: HeadAnchor) -> None:
    """Move the anchor in `path` forward to `anchor`, never back (once; an appender keeps a `HeadFile`)."""
    head = HeadFile(path)
    try:
        head.advance(anchor)
    finally:
        head.close()


def _same_file(one: os.stat_result, other: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


class HeadFile:
    """The head anchor file as one appender moves it: kept open between appends (opening, locking and closing
    it was ~0.1 ms of every query's answer), reopened in a child process or when the file was replaced.

    Appenders commit in id order but may reach `advance` out of order; the lock and the comparison keep the
    file at the highest id written. The file is rewritten in place under its own lock, one JSON line padded
    to `HEAD_WIDTH` (a temp file and a rename cost 2-3 ms of directory updates per query under I/O load);
    readers take the lock too, so none sees half a line. Not for concurrent use: the lock excludes other
    open files, not threads sharing this one (`AuditLog` calls it under its commit lock)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _open(self) -> int:
        if self._fd is not None:
            try:
                same = _same_file(os.fstat(self._fd), os.stat(self.path))
            except OSError:   # the file was deleted (or, in a child, the number closed)
                same = False
            mine = self._pid == os.getpid()
            if same and mine:
                return self._fd
            # Ours, of a replaced file: closed. A parent's, inherited by this child: closed only while it is still
            # that file (the child may have reused the number); the lock stays the parent's, whose own
            # descriptor still holds the file. Never used here either way: it would share the parent's lock.
            if same or mine:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd

    def advance(self, anchor: HeadAnchor) -> None:
        fd = self._open()
        with _flocked(fd):
            size = os.fstat(fd).st_size
            try:
                current = _parse_head(os.pread(fd, size, 0), self.path)
            except ConfigError as exc:
                # Appends must not stop; the broken anchor is replaced, and said so loudly.
                log.warning("replacing a broken audit head file: %s", exc.message)
                current = None
            if current is not None and current.id >= anchor.id:
                return
            line = json.dumps({"id": anchor.id, "hash": anchor.hash}).encode().ljust(HEAD_WIDTH - 1) + b"\n"
            # no fsync: after a crash the anchor may lag the database by a few records, which verify accepts
            # (it only flags records missing below the anchor); an fsync per query cost ~1-2 ms of every query
            os.pwrite(fd, line, 0)
            if size > len(line):   # an earlier, longer content (a replaced broken anchor)
                os.ftruncate(fd, len(line))

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):   # at interpreter exit `os` may be gone already
            self.close()
