"""The scheduler beside JupyterLab: `aios lab --scheduler` (and `aios demo`) run `aios scheduler` for the
workspace as a child of the Jupyter server, so promoted jobs run on time without a second terminal.

It is the same service as a standalone `aios scheduler`: several may run on one metadata store (leases
make each occurrence run once). The child dies with the server: Linux's PR_SET_PDEATHSIG sends it
SIGTERM when the server's main thread ends (it then stops its runs within its grace period), and an
orderly server exit terminates it at once.
"""

from __future__ import annotations

import atexit
import ctypes
import signal
import socket
import subprocess
import sys

_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _term_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def start_embedded_scheduler(workspace, *, grace: float = 10.0) -> subprocess.Popen:
    """Start `aios scheduler` on `workspace` as a child process; its output goes to `<state>/logs/scheduler.log`."""
    logs = workspace.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / "scheduler.log"
    # A stable replica name: a restarted server recovers its own runs at once instead of waiting out their leases.
    name = f"{socket.gethostname()}:jupyter"
    args = [sys.executable, "-m", "aios_workbench", "--workspace", str(workspace.root), "scheduler",
            "--name", name, "--grace", str(grace)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=str(workspace.root), preexec_fn=_term_with_parent)
    atexit.register(_stop, process, grace)
    return process


def _stop(process: subprocess.Popen, grace: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace + 5)
        except subprocess.TimeoutExpired:
            process.kill()
