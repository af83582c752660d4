"""`aios lab --scheduler` (what `aios demo` and `./workbench start` use): promoted jobs run while
JupyterLab is up, by a scheduler that dies with the server."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from aios_workbench.jobs import runs
from aios_workbench.store import open_store
from tests.conftest import AIOS, artifact, free_port, stop, wait_for_http
from tests.test_scheduler import build_workspace, make_job, rows, set_due, wait_for


def schedulers_of(root: Path) -> list[int]:
    """Pids of `aios scheduler` processes serving the workspace at `root`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"scheduler" in argv and str(root).encode() in argv:
            found.append(int(entry.name))
    return found


def test_jobs_run_while_jupyterlab_is_up_and_the_scheduler_dies_with_it(tmp_path):
    ws = build_workspace(tmp_path / "ws")
    store = open_store(ws.metadata_url)
    job_id = make_job(ws, store, "nightly", "record")
    port, token = free_port(), "lab-scheduler-token"
    log = artifact("lab-scheduler.log").open("w")
    lab = subprocess.Popen([AIOS, "--workspace", str(ws.root), "lab", "--scheduler", "--no-browser",
                            "--port", str(port), "--user", "alice"],
                           env={**os.environ, "AIOS_LAB_TOKEN": token}, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", process=lab, timeout=120)
        set_due(store, job_id, runs.now() + timedelta(seconds=1))
        wait_for(lambda: [r for r in rows(store, job_id) if r.status in runs.TERMINAL], timeout=120,
                 what="the scheduled run")
        [run] = rows(store, job_id)
        assert run.status == "succeeded", (run.error, (ws.state_dir / "logs" / "scheduler.log").read_text())
        [child] = schedulers_of(ws.root)

        os.kill(lab.pid, signal.SIGKILL)          # even a server killed outright takes its scheduler along
        lab.wait(timeout=30)
        wait_for(lambda: not schedulers_of(ws.root), timeout=30, what=f"scheduler {child} exiting")
    finally:
        stop(lab)
        log.close()
        store.close()
    assert "enqueued" in (ws.state_dir / "logs" / "scheduler.log").read_text()


def test_without_the_flag_no_scheduler_is_started(tmp_path):
    ws = build_workspace(tmp_path / "ws")
    port, token = free_port(), "lab-no-scheduler-token"
    lab = subprocess.Popen([AIOS, "--workspace", str(ws.root), "lab", "--no-browser", "--port", str(port), "--user", "alice"],
                           env={**os.environ, "AIOS_LAB_TOKEN": token}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", process=lab, timeout=120)
        time.sleep(1)
        assert schedulers_of(ws.root) == []
    finally:
        stop(lab)
