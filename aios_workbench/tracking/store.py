"""Where a workspace's MLflow runs live: the tracking URI, the artifact folder, store creation, reachability.

The default is a SQLite store in the state folder (`<state>/mlflow/mlflow.db`)
with artifacts beside it; `tracking.uri` in aios.yaml points at a tracking
server for teams. Creating a new SQLite store runs MLflow's migrations (~2-7 s),
so `aios init` / `aios demo` call `ensure_store` and a user's first cell never pays it.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from aios_workbench.core.errors import ConnectorError, StoreError
from aios_workbench.core.logs import redact

log = logging.getLogger("aios_workbench.tracking")

STORE_FOLDER = "mlflow"
DB_FILE = "mlflow.db"
REACHABLE_TIMEOUT = 2.0     # seconds: a server that takes longer is reported as unreachable
_REACHABLE_CACHE_SECONDS = 30.0
_probes: dict[str, tuple[float, bool]] = {}   # uri -> (when, answered)
_SERVER_SCHEMES = ("http", "https")



def import_mlflow():
    """MLflow, imported on first use (it costs seconds). A governed workbench does not phone home unless
    asked to: MLflow 3 sends usage telemetry by default, so the opt-out is set before the import."""
    import os

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    return mlflow

def tracking_uri(ws) -> str:
    """The MLflow tracking URI of workspace `ws`: `tracking.uri` from aios.yaml, else its SQLite store."""
    return ws.config.tracking.uri or f"sqlite:///{ws.state_dir / STORE_FOLDER / DB_FILE}"


def artifact_root(ws) -> Path:
    """The folder holding the artifacts of the workspace's local store (one subfolder per experiment)."""
    return ws.state_dir / STORE_FOLDER / "artifacts"


def is_local_sqlite(uri: str) -> bool:
    return uri.startswith("sqlite:///")


def _sqlite_path(uri: str) -> Path:
    return Path(uri[len("sqlite:///"):].split("?", 1)[0])


def _schema_revision(db: Path) -> str | None:
    """The alembic revision recorded in an existing MLflow SQLite store (None when there is none)."""
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _head_revision() -> str:
    from mlflow.store.db.utils import _get_latest_schema_revision

    return _get_latest_schema_revision()


def ensure_store(ws) -> str:
    """Create or migrate the workspace's MLflow store; return its tracking URI.

    Idempotent and cheap when the store exists at the installed MLflow's schema
    (one SQLite read, no MLflow import). For a server URI it checks reachability
    instead (see `check_reachable`)."""
    uri = tracking_uri(ws)
    if not is_local_sqlite(uri):
        check_reachable(uri, required=ws.config.tracking.required)
        return uri
    db = _sqlite_path(uri)
    artifacts = artifact_root(ws)
    revision = _schema_revision(db)
    if revision is not None and revision == _cached_head(db):
        return uri
    db.parent.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        from mlflow.store.db.utils import _upgrade_db, create_sqlalchemy_engine
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        with _quiet("mlflow", "alembic"):   # their INFO lines ("Creating initial MLflow database tables...")
            if revision is not None:   # a store made by an older MLflow: migrate it (MLflow itself only refuses)
                engine = create_sqlalchemy_engine(uri)
                _upgrade_db(engine)
                engine.dispose()
            store = SqlAlchemyStore(uri, artifacts.as_uri())   # a new store: creates the tables
            store.engine.dispose()
    except Exception as exc:
        raise StoreError(f"cannot create or migrate the MLflow store at {db}: {exc}",
                         fix="check that the state folder is writable; if the store was made by a newer "
                         "MLflow, upgrade mlflow in this environment", input=str(db)) from exc
    _record_head(db, _schema_revision(db) or "")
    log.info("MLflow store ready at %s (%.1f s)", db, time.perf_counter() - started)
    return uri


@contextlib.contextmanager
def _quiet(*loggers: str):
    """Only warnings and errors from these loggers meanwhile (our own line says the store is ready)."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _head_marker(db: Path) -> Path:
    """A small file recording the MLflow version and schema head this store was last migrated by.

    Reading it lets `ensure_store` skip importing MLflow (seconds) when nothing changed."""
    return db.with_name(".schema-head")


def _cached_head(db: Path) -> str | None:
    """The schema head of the installed MLflow: from the marker when its MLflow version matches, else computed."""
    from importlib.metadata import version

    installed = version("mlflow")
    marker = _head_marker(db)
    try:
        recorded_version, recorded_head = marker.read_text().split("\n", 1)
        if recorded_version == installed:
            return recorded_head.strip()
    except (OSError, ValueError):
        pass
    head = _head_revision()
    _record_head(db, head)
    return head


def _record_head(db: Path, head: str) -> None:
    from importlib.metadata import version

    try:
        _head_marker(db).write_text(f"{version('mlflow')}\n{head}")
    except OSError:
        pass  # only an optimisation


def check_reachable(uri: str, *, required: bool = True, timeout: float = REACHABLE_TIMEOUT) -> bool:
    """Whether the tracking server at `uri` answers; local stores always do.

    Unreachable and `required`: raise `ConnectorError` naming the URI and the fix.
    Unreachable and not required: log a warning and return False (tracking becomes a no-op).
    An answer is remembered for 30 s, so run starts in a loop do not each wait for
    the timeout; a required server that did not answer is probed again every time."""
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme not in _SERVER_SCHEMES:
        return True
    when, answered = _probes.get(uri, (-1e9, False))
    if time.monotonic() - when < _REACHABLE_CACHE_SECONDS and (answered or not required):
        return answered
    shown = redact(uri)
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout):
            pass
    except urllib.error.HTTPError as exc:
        exc.close()  # it answered, even if with an error status: the server is up
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if not required:
            _probes[uri] = (time.monotonic(), False)
            log.warning("MLflow tracking server %s does not answer (%s); tracking is off for this run "
                        "because tracking.required is false", shown, reason)
            return False
        raise ConnectorError(
            f"the MLflow tracking server at {shown} does not answer: {reason}",
            fix="start the tracking server, fix tracking.uri in aios.yaml, or set `tracking.required: false` "
            "to keep notebooks running without tracking", input=shown) from None
    _probes[uri] = (time.monotonic(), True)
    return True
