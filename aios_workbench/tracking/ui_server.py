"""MLflow's own server on the workspace's store, reachable only by the process that started it.

`aios mlflow` does not expose MLflow's server: MLflow serves its UI, runs and artifacts to anyone who
can reach its port, without a login. Instead it starts `mlflow server` listening on a Unix socket in a
private folder (mode 0700, in the system's temporary folder: a socket path may not exceed ~100
characters), and the workbench's authenticating proxy (surfaces/rest/mlflow_proxy.py) is the only
thing on a TCP port. Other accounts on the machine cannot connect to the socket; the account that runs
the workbench can read the store's files anyway.
"""

from __future__ import annotations

import http.client
import logging
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aios_workbench.core.errors import ConnectorError, UsageError
from aios_workbench.core.logs import redact
from aios_workbench.tracking.store import artifact_root, ensure_store, is_local_sqlite, tracking_uri

log = logging.getLogger("aios_workbench.tracking")

SOCKET_NAME = "mlflow.sock"
START_TIMEOUT = 180.0        # seconds: MLflow's server imports for 5-20 s on a busy machine
BACKEND_HOST = "localhost"   # the Host header MLflow's host check accepts


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection over a Unix socket (http.client speaks TCP only)."""

    def __init__(self, path: str, timeout: float = 60.0):
        super().__init__(BACKEND_HOST, timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def backend_command(ws, socket_path: str) -> list[str]:
    """The argv of `mlflow server` on the workspace's local store, listening on `socket_path` only (uvicorn's
    `--uds` takes the place of the host and port MLflow's command line insists on)."""
    uri = tracking_uri(ws)
    if not is_local_sqlite(uri):
        raise UsageError(f"this workspace tracks to the server {redact(uri)}; it has its own UI and its own access "
                         "control", fix=f"open {redact(uri)} in a browser", input=redact(uri))
    return [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
            "--default-artifact-root", artifact_root(ws).as_uri(), "--no-serve-artifacts",
            "--host", "127.0.0.1", "--port", "5000", "--workers", "1",
            "--uvicorn-opts", f"--uds {shlex.quote(socket_path)}"]


class Backend:
    """A running `mlflow server` on a private Unix socket; `stop()` (or the context manager) ends it."""

    def __init__(self, ws, *, log_file: Path | None = None):
        ensure_store(ws)
        self.folder = Path(tempfile.mkdtemp(prefix="aios-mlflow-"))   # mode 0700: only this account
        os.chmod(self.folder, 0o700)
        self.socket_path = str(self.folder / SOCKET_NAME)
        self.log_file = log_file or ws.state_dir / "logs" / "mlflow-ui.log"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        argv = backend_command(ws, self.socket_path)
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
        with open(self.log_file, "ab") as out:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                            env=env, start_new_session=True)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until the server answers /health; a server that exits or never answers is an error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConnectorError(f"MLflow's server exited with status {self.process.returncode} before it "
                                     "answered", fix=f"see its log: {self.log_file}", input="mlflow server")
            if os.path.exists(self.socket_path):
                try:
                    status, _, _ = self.request("GET", "/health", timeout=5)
                    if status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise ConnectorError(f"MLflow's server did not answer within {timeout:.0f} s",
                             fix=f"see its log: {self.log_file}", input="mlflow server")

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 120.0) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request to the server: (status, headers, body)."""
        connection = UnixHTTPConnection(self.socket_path, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers={"Host": BACKEND_HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL) and remove its socket folder."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 15)
            except OSError:
                self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, 9)
                except OSError:
                    self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["Backend", "UnixHTTPConnection", "backend_command"]
