"""Signed checkpoints of the audit chain, and the witness file that keeps them outside the state folder.

The hash chain and the head file (`chain.py`) live where the service keeps its state: whoever can write
that folder can cut records off the end together with `audit.head`, or recompute every hash and the head,
and the result still links up. A *checkpoint* closes that gap the way a transparency log's signed tree
head does: every so often (every N records, after T seconds, at shutdown) the service signs

    {"v": 1, "workspace": ID, "last_id": N, "last_hash": H, "count": C, "at": ISO, "key_id": K}

with HMAC-SHA256 and stores it twice: as a row of `audit_checkpoints` in the metadata store, and as a line
of the *witness file*, a JSON-lines file outside the state folder in a 0700 folder of the service's own
account (default ``~/.local/state/aios/witness/<workspace>-<root digest>.jsonl``, or ``audit.witness`` of
aios.yaml). The key (32 random bytes) is kept beside the witness file, mode 0600, never in the store.

Verifying (`log.AuditLog.verify`) checks every checkpoint's signature and that the record it names still
exists and still has that hash: a cut tail, a rewritten chain or a forged checkpoint is named, even when the
store's checkpoint table was emptied too (the witness still holds them). The records after the last
checkpoint are chained but not vouched for: that window (at most N records or T seconds) is the limit.

Who can write the witness folder or read the key can forge checkpoints: in single-user mode that is the
user himself (the same limit as the state folder); in team mode the service runs as its own account.

Replicas (several `aios serve` on one PostgreSQL store) share one witness file and its key: the chain is the
store's, so a workspace on a server store is named by the store (`workspace_id`), not by its folder, and every
replica's checkpoints verify everywhere. Checkpoints do not link to each other: each one is a signed statement
about the one chain in the store (record N has hash H), so two replicas signing at once write two true lines,
never a fork. Lines are appended under an exclusive lock of ``<witness>.lock`` (`exclusive`), so they never
interleave, even where O_APPEND alone is not atomic (NFS); the key is created whole or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import ConfigError

log = logging.getLogger(__name__)

VERSION = 1
WITNESS_DIR_ENV = "AIOS_WITNESS_DIR"
KEY_SUFFIX = ".key"
_TAIL_BYTES = 64 * 1024   # the last checkpoint is read from the end of the file, never the whole file


@dataclass(frozen=True)
class Checkpoint:
    """One signed checkpoint: record `last_id` had `last_hash` when the log held `count` records, at `at`."""

    workspace: str
    last_id: int
    last_hash: str
    count: int
    at: str
    key_id: str
    signature: str = ""

    def body(self) -> dict[str, Any]:
        """What is signed: every field but the signature, and the format version."""
        data = asdict(self)
        data.pop("signature")
        return {"v": VERSION, **data}

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Checkpoint:
        """A checkpoint from a witness line or a store row (ValueError/KeyError/TypeError when malformed)."""
        at = data["at"]
        at = at if isinstance(at, str) else at.isoformat(timespec="microseconds")
        checkpoint = cls(workspace=str(data["workspace"]), last_id=int(data["last_id"]),
                         last_hash=str(data["last_hash"]), count=int(data["count"]), at=at,
                         key_id=str(data["key_id"]), signature=str(data["signature"]))
        if checkpoint.last_id < 1 or checkpoint.count < 1:
            raise ValueError("a checkpoint names a record id and a count of at least 1")
        return checkpoint


def _message(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(key: bytes) -> str:
    """A short public name of a key: which key signed a checkpoint, without revealing it."""
    return hashlib.sha256(b"aios-witness-key:" + key).hexdigest()[:12]


def workspace_id(name: str, root: Path, store_url: str | None = None) -> str:
    """The workspace as checkpoints name it: its name and a digest of where its chain lives. For a store in
    the workspace's own folder (SQLite) that is the folder (two workspaces of the same name on one machine get
    two witness files); for a server store (`store_url`, e.g. PostgreSQL) it is the store (backend, host, port,
    database; never the account or password), so replicas in other folders or on other machines that share
    the store name the same chain alike."""
    where = _store_identity(store_url) if store_url else str(Path(root).resolve())
    digest = hashlib.sha256(where.encode("utf-8")).hexdigest()[:12]
    return f"{name}-{digest}"


def _store_identity(url: str) -> str:
    """The database `url` names, as text: backend, host, port and database (driver and account left out)."""
    from sqlalchemy.engine import make_url  # lazy: sqlalchemy only for a server store's identity

    parsed = make_url(url)
    return f"{parsed.get_backend_name()}://{(parsed.host or '').lower()}:{parsed.port or ''}/{parsed.database or ''}"


def _server_store_url(workspace) -> str | None:
    """The metadata store's URL when it is a server (shared by replicas), None for a SQLite file."""
    url = workspace.metadata_url
    return None if url.startswith("sqlite") else url


def default_witness_dir() -> Path:
    """$AIOS_WITNESS_DIR, else $XDG_STATE_HOME/aios/witness, else ~/.local/state/aios/witness."""
    if os.environ.get(WITNESS_DIR_ENV):
        return Path(os.environ[WITNESS_DIR_ENV]).expanduser()
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home).expanduser() / "aios" / "witness"


@contextmanager
def _file_lock(path: Path):
    """An exclusive advisory lock between processes (no-op where fcntl is missing). Over NFS, Linux turns
    flock into a POSIX byte-range lock the server holds, so replicas on several machines queue too."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class Witness:
    """The witness file of one workspace and the key beside it (both created on the first checkpoint)."""

    def __init__(self, path: Path, *, workspace: str, key_path: Path | None = None):
        self.path = Path(path)
        self.workspace = workspace
        self.key_path = Path(key_path) if key_path else self.path.with_name(self.path.stem + KEY_SUFFIX)
        self._key: bytes | None = None
        self._thread_lock = threading.Lock()   # flock is per open file: threads of one process queue here
        self._held = threading.local()

    @classmethod
    def for_workspace(cls, workspace) -> Witness:
        """The witness `aios.yaml` names (`audit.witness`), else the default one; never inside the state
        folder (ConfigError), since it exists to outlive a rewrite of that folder."""
        store_url = _server_store_url(workspace)
        ident = workspace_id(workspace.name, workspace.root, store_url)
        configured = workspace.config.audit.witness
        if configured:
            path = Path(configured).expanduser()
            path = path if path.is_absolute() else workspace.root / path
        else:
            path = default_witness_dir() / f"{ident}.jsonl"
            if store_url and not path.exists():
                # a server-store workspace signed before checkpoints were named by the store: keep its witness
                legacy = workspace_id(workspace.name, workspace.root)
                if (default_witness_dir() / f"{legacy}.jsonl").exists():
                    ident, path = legacy, default_witness_dir() / f"{legacy}.jsonl"
        if _inside(path, workspace.state_dir):
            raise ConfigError("audit.witness is inside the state folder, where it cannot anchor the audit log",
                              fix="point audit.witness in aios.yaml at a file outside the state folder, e.g. "
                                  "~/.local/state/aios/witness/WORKSPACE.jsonl, or remove it for the default",
                              input=str(configured))
        return cls(path, workspace=ident)

    # -- the key ---------------------------------------------------------------------------------------------
    def _folder(self) -> None:
        """The witness folder, created 0700 (an existing folder keeps its mode; `problems` reports it)."""
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.path.parent, 0o700)

    def key(self, *, create: bool = False) -> bytes | None:
        """The signing key; with `create`, made now (0600) when there is none yet."""
        if self._key is not None:
            return self._key
        try:
            text = self.key_path.read_text(encoding="ascii").strip()
            self._key = bytes.fromhex(text)
            if len(self._key) < 16:
                raise ValueError("too short")
            return self._key
        except FileNotFoundError:
            if not create:
                return None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the audit witness key {self.key_path.name} cannot be read ({exc})",
                              fix="restore it from a backup: without it no checkpoint can be checked or signed",
                              input=self.key_path.name) from None
        self._folder()
        fresh = secrets.token_bytes(32)
        # Written whole to a private temp file, then linked into place: a replica starting at the same moment
        # sees either no key or the whole key, never an empty file it would take for a broken one.
        descriptor, temp = tempfile.mkstemp(dir=self.key_path.parent, prefix=self.key_path.name + ".",
                                            suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(fresh.hex() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)
            try:
                os.link(temp, self.key_path)
            except FileExistsError:   # another replica made it first: use theirs
                return self.key()
        finally:
            Path(temp).unlink(missing_ok=True)
        self._key = fresh
        return fresh

    def has_key(self) -> bool:
        return self._key is not None or self.key_path.exists()

    # -- signing ---------------------------------------------------------------------------------------------
    def sign(self, *, last_id: int, last_hash: str, count: int, at: str) -> Checkpoint:
        if self.key() is None and self.exists() and self.path.stat().st_size:
            # a new key would make the checkpoints already written unverifiable: never replace a lost one silently
            raise ConfigError(f"the audit witness key {self.key_path.name} is missing, but the witness file holds "
                              "checkpoints", fix="restore the key from a backup (or move the witness file aside to "
                              "start a new one, knowingly)", input=self.key_path.name)
        key = self.key(create=True)
        assert key is not None
        unsigned = Checkpoint(self.workspace, last_id, last_hash, count, at, key_id(key))
        signature = hmac.new(key, _message(unsigned.body()), hashlib.sha256).hexdigest()
        return Checkpoint(self.workspace, last_id, last_hash, count, at, unsigned.key_id, signature)

    def genuine(self, checkpoint: Checkpoint) -> bool:
        """Whether `checkpoint` carries this workspace's key's signature over exactly its fields."""
        key = self.key()
        if key is None or checkpoint.key_id != key_id(key):
            return False
        expected = hmac.new(key, _message(checkpoint.body()), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, checkpoint.signature)

    # -- the file --------------------------------------------------------------------------------------------
    @contextmanager
    def exclusive(self):
        """Hold the witness's lock (``<witness>.lock``, between processes and replicas sharing the folder):
        one writer at a time. `append` takes it; a signer may hold it around read-last, sign and append, so
        that replicas do not sign the same head twice (it is re-entrant within one thread)."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self._folder()
        with self._thread_lock, _file_lock(self.path.with_name(self.path.name + ".lock")):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    def append(self, checkpoint: Checkpoint) -> None:
        """Add one line, whole (under `exclusive`, so concurrent writers never interleave, and as one write
        with O_APPEND after any line already there; fsync'd: a checkpoint is rare and must survive a crash)."""
        line = (json.dumps(checkpoint.to_dict(), sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
        with self.exclusive():
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = 0
                while written < len(line):   # a short write (signal, NFS) goes on where it stopped
                    written += os.write(descriptor, line[written:])
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> tuple[list[Checkpoint], list[int]]:
        """Every checkpoint in the file, and the line numbers of lines that are not one."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        entries, malformed = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entries.append(Checkpoint.from_mapping(json.loads(line)))
            except (ValueError, KeyError, TypeError, AttributeError):
                malformed.append(number)
        return entries, malformed

    def last(self) -> Checkpoint | None:
        """The newest genuine checkpoint of this workspace near the end of the file (None: none there)."""
        try:
            with open(self.path, "rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - _TAIL_BYTES))
                tail = handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None
        best = None
        for line in tail.splitlines():
            try:
                checkpoint = Checkpoint.from_mapping(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue   # the first line of the tail is usually cut
            if checkpoint.workspace == self.workspace and self.genuine(checkpoint):
                if best is None or checkpoint.last_id > best.last_id:
                    best = checkpoint
        return best

    def loose_permissions(self) -> list[str]:
        """What others than the owner may do to the folder, the file or the key, in words."""
        found = []
        for what, path, mask in (("folder", self.path.parent, stat.S_IWGRP | stat.S_IWOTH),
                                 ("file", self.path, stat.S_IWGRP | stat.S_IWOTH),
                                 ("key", self.key_path, stat.S_IRWXG | stat.S_IRWXO)):
            try:
                mode = path.stat().st_mode
            except OSError:
                continue
            if mode & mask:
                found.append(f"the witness {what} {path.name} is open to other accounts "
                             f"(mode {stat.S_IMODE(mode):o}); make it the service account's alone (chmod go-rwx)")
        return found


__all__ = ["WITNESS_DIR_ENV", "Checkpoint", "Witness", "default_witness_dir", "key_id", "workspace_id"]
