"""Where lineage events go: the workspace lineage log (JSON lines), and optionally an HTTP endpoint.

The log file is the default and is always written: `aios lineage` and the REST
endpoint read it. An OpenLineage HTTP endpoint (Marquez, DataHub, ...) can be
added; posting to it is best-effort and happens on a background thread, so a
slow or unreachable endpoint never fails or delays a query.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from aios_workbench.core.logs import redact

if sys.platform != "win32":  # serialises appends between processes (Jupyter server, scheduler, CLI); POSIX only
    import fcntl

log = logging.getLogger(__name__)

LOG_FILE = "lineage.jsonl"
_path_locks: dict[str, threading.Lock] = {}
_path_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _path_locks_guard:
        return _path_locks.setdefault(str(path), threading.Lock())


class LineageLog:
    """An append-only JSON-lines file of OpenLineage events, one event per line."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = _lock_for(self.path.resolve())

    def append(self, event: dict) -> None:
        """Append `event` as one line, whole: one write under a thread lock and a file lock."""
        line = (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                if sys.platform != "win32":  # on Windows the in-process lock still applies
                    fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and hasattr(os, "pread") and os.pread(fd, 1, size - 1) != b"\n":  # a writer died mid-line: start a new one
                    line = b"\n" + line
                view = memoryview(line)
                while view:  # a single write() almost always takes it all; loop if not
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)  # closing releases the flock

    emit = append

    def events(self) -> Iterator[dict]:
        """Every event in the log, oldest first; a line cut short by a crash is skipped."""
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            for number, raw in enumerate(f, 1):
                event = self._parse(raw, number)
                if event is not None:
                    yield event

    def events_after(self, offset: int) -> tuple[list[dict], int]:
        """The events of the whole lines written at or after byte `offset`, and the offset after them
        (a line still being written is left for the next call)."""
        try:
            with self.path.open("rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return [], 0
        end = data.rfind(b"\n") + 1
        events = [e for e in (self._parse(raw) for raw in data[:end].splitlines()) if e is not None]
        return events, offset + end

    def _parse(self, raw: bytes, number: int | None = None) -> dict | None:
        if not raw.strip():
            return None
        try:
            event = json.loads(raw)
        except ValueError:
            log.warning("skipping unreadable line %s of %s", number or "(appended)", self.path)
            return None
        return event if isinstance(event, dict) else None


class HttpTransport:
    """Posts events to an OpenLineage HTTP endpoint (e.g. ``http://marquez:5000/api/v1/lineage``).

    `emit` queues and returns at once; a daemon thread posts. Failures are
    logged (URL redacted) and dropped, as is anything past `max_queue`."""

    def __init__(self, url: str, timeout: float = 5.0, *, headers: dict[str, str] | None = None,
                 max_queue: int = 1000):
        self.url = url
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.failures = 0
        self._queue: queue.Queue = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def send(self, event: dict) -> bool:
        """Post `event` now; True when the endpoint accepted it (2xx). Never raises for transport errors."""
        body = json.dumps(event, default=str).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                ok = 200 <= response.status < 300
        except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts; ValueError: a malformed URL
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()
            ok = False
            reason = getattr(exc, "code", None) or getattr(exc, "reason", None) or type(exc).__name__
            log.warning("lineage endpoint %s did not take an event: %s", redact(self.url), redact(str(reason)))
        if not ok:
            self.failures += 1
        return ok

    def emit(self, event: dict) -> None:
        self._ensure_worker()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.failures += 1
            log.warning("lineage endpoint %s is behind; an event was dropped", redact(self.url))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event was sent or given up; False if `timeout` passed first."""
        done = threading.Event()

        def wait_for_queue() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        return done.wait(timeout)

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="aios-lineage-http", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            event = self._queue.get()
            try:
                self.send(event)
            except Exception:  # never let one bad event stop the worker
                log.exception("lineage endpoint worker failed on an event")
            finally:
                self._queue.task_done()


class LineageEmitter:
    """Sends each event to every target; a failing target is logged, never raised to the query."""

    def __init__(self, *targets):
        self.targets = [t for t in targets if t is not None]

    @property
    def log(self) -> LineageLog | None:
        return next((t for t in self.targets if isinstance(t, LineageLog)), None)

    def emit(self, event: dict) -> None:
        for target in self.targets:
            try:
                target.emit(event)
            except Exception as exc:  # noqa: BLE001 - lineage is an annotation: a full disk must not fail a query
                log.warning("could not record a lineage event in %s: %s", type(target).__name__,
                            redact(str(exc)))


def log_path(ws) -> Path:
    """The workspace lineage log: `<state>/lineage.jsonl`."""
    return ws.state_dir / LOG_FILE


def emitter_for(ws, *, url: str | None = None, timeout: float | None = None,
                headers: dict[str, str] | None = None) -> LineageEmitter:
    """The emitter for workspace `ws`: its lineage log, plus an HTTP endpoint when one is configured.

    `url`/`timeout` override the `lineage:` section of aios.yaml (`url`, `timeout_seconds`,
    `api_key_secret`: the name of a secret sent as a bearer token), read here if the config has one."""
    section = getattr(ws.config, "lineage", None)
    url = url or getattr(section, "url", None)
    timeout = timeout or getattr(section, "timeout_seconds", None) or 5.0
    secret = getattr(section, "api_key_secret", None)
    if url and secret and not (headers or {}).get("Authorization"):
        # lazy: connectors.secrets runs the connectors package (DuckDB); only an authenticated emitter pays
        from aios_workbench.connectors.secrets import resolve_secret

        headers = {**(headers or {}), "Authorization": f"Bearer {resolve_secret(secret)}"}
    http = HttpTransport(url, timeout, headers=headers) if url else None
    return LineageEmitter(LineageLog(log_path(ws)), http)
