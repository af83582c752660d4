"""Executors and the worker: real child processes, a real Dask scheduler and worker, rows in the store.

Job rows are inserted directly with the ORM (snapshot = a copy of a fixture notebook), as a promotion
would leave them, with the run already 'running' as the scheduler leaves it when it claims one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from tests.conftest import VENV_BIN, copy_demo_workspace, free_port, stop
from tests.test_execute import FIXTURES, alive, stream_text, wait_until


@pytest.fixture(scope="module")
def ws(demo_workspace, tmp_path_factory):
    return copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("executors") / "demo")


@pytest.fixture(scope="module")
def store(ws):
    from aios_workbench.store import open_store

    store = open_store(ws.metadata_url)
    yield store
    store.close()


def add_run(ws, store, fixture: str, *, parameters: dict | None = None, identity: str = "alice",
            spec: dict | None = None, job: str | None = None) -> int:
    """A promoted job (version 1 = a snapshot of `fixture`) and one run of it, claimed ('running')."""
    import shutil

    from aios_workbench.schemas.job_spec import JobSpec
    from aios_workbench.store.models import Job, JobRun, JobVersion

    name = job or f"{fixture}-{uuid.uuid4().hex[:8]}"
    spec_json = JobSpec(name=name, **(spec or {})).to_json()
    snapshot = ws.state_dir / "jobs" / name / "snapshots" / f"v1-{fixture}.ipynb"
    with store.session() as session, session.begin():
        row = session.query(Job).filter_by(name=name).first()
        if row is None:
            snapshot.parent.mkdir(parents=True)
            shutil.copy(FIXTURES / f"{fixture}.ipynb", snapshot)
            row = Job(name=name, notebook=f"notebooks/{fixture}.ipynb", version=1, spec=spec_json, identity=identity,
                      created_by=identity)
            session.add(row)
            session.add(JobVersion(job_name=name, version=1, digest=uuid.uuid4().hex, notebook=row.notebook,
                                   snapshot_path=str(snapshot), spec=spec_json, status="active", promoted_by=identity))
            session.flush()
        run = JobRun(job_id=row.id, version=1, trigger="manual", status="running", parameters=parameters or {},
                     requested_by=identity, started_at=datetime.now(UTC))
        session.add(run)
        session.flush()
        return run.id


def row(store, run_id: int):
    from aios_workbench.store.models import JobRun

    with store.session() as session:
        found = session.get(JobRun, run_id)
        session.expunge_all()
        return found


def local(ws, **settings):
    from aios_workbench.scheduler.executors.local import LocalExecutor

    return LocalExecutor(ws, ws.config.scheduler.model_copy(update=settings))


def interval(output: Path) -> tuple[datetime, datetime]:
    meta = nbformat.read(output, as_version=4).metadata.papermill
    return datetime.fromisoformat(meta["start_time"]), datetime.fromisoformat(meta["end_time"])


def test_local_executor_runs_two_runs_in_parallel_worker_processes(ws, store):
    first, second = (add_run(ws, store, "sleeps", parameters={"seconds": 3}) for _ in range(2))

    with local(ws, pool_size=2) as executor:
        handles = [executor.submit(first), executor.submit(second)]
        assert executor.free_slots() == 0 and handles[0].pid != handles[1].pid
        assert all(h.wait(timeout=120) for h in handles)

    assert [h.outcome() for h in handles] == [None, None]
    rows = [row(store, first), row(store, second)]
    assert [r.status for r in rows] == ["succeeded", "succeeded"]
    (start_a, end_a), (start_b, end_b) = (interval(Path(r.output_path)) for r in rows)
    assert start_a < end_b and start_b < end_a          # the two notebooks ran at the same time
    for r in rows:
        assert (r.cells_done, r.cells_total) == (5, 5) and r.finished_at is not None and r.error is None
        assert Path(r.html_path).is_file() and "woke up" in Path(r.log_path).read_text()
        folder = Path(r.output_path).parent
        assert (folder.name, folder.parent.name, folder.parents[2]) == (str(r.id), "runs", ws.state_dir / "jobs")


def test_runs_beyond_the_pool_size_wait_in_the_executor(ws, store):
    first, second = (add_run(ws, store, "exits", parameters={"code": 0}) for _ in range(2))

    with local(ws, pool_size=1) as executor:
        handles = [executor.submit(first), executor.submit(second)]
        assert handles[1].pid is None and not handles[1].done() and executor.free_slots() == 0
        assert all(h.wait(timeout=120) for h in handles)

    assert [row(store, r).status for r in (first, second)] == ["succeeded", "succeeded"]


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[1])


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_workers_are_forked_from_the_warm_parent_each_in_a_session_of_its_own(ws, store):
    runs = [add_run(ws, store, "exits", parameters={"code": 0}) for _ in range(2)]

    with local(ws, pool_size=2) as executor:
        handles = [executor.submit(run_id) for run_id in runs]
        pids = [h.pid for h in handles]
        parents = {parent_of(pid) for pid in pids if alive(pid)}
        assert parents and all("aios_workbench.scheduler.executors.warm" in cmdline(p) for p in parents)
        assert parents != {os.getpid()} and all(os.getsid(pid) == pid for pid in pids if alive(pid))
        assert all(h.wait(timeout=120) for h in handles)

    assert [h.outcome() for h in handles] == [None, None]
    assert [row(store, run_id).status for run_id in runs] == ["succeeded", "succeeded"]


def test_the_warm_parent_imports_all_a_worker_needs_and_starts_no_thread(ws, store):
    """A fork of a process with threads is unsafe; an import left to each worker costs every run its CPU."""
    run_id = add_run(ws, store, "ok")
    script = ("import sys, threading\n"
              "from aios_workbench.scheduler.executors.warm import warm_up\n"
              "warm_up()\n"
              "threads = threading.active_count()\n"
              "before = set(sys.modules)\n"
              "from aios_workbench.scheduler.worker import run_job_run\n"
              "assert run_job_run(sys.argv[1], int(sys.argv[2])).ok\n"
              "heavy = ('aios_workbench', 'papermill', 'nbclient', 'nbconvert', 'nbformat', 'sqlglot', 'sqlalchemy',\n"
              "         'jupyter_client', 'ipykernel', 'tornado', 'alembic')\n"
              "print(threads, sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy))\n")
    done = subprocess.run([sys.executable, "-c", script, str(ws.root), str(run_id)], capture_output=True, text=True,
                          timeout=180, cwd=ws.root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "1 []"


def test_cold_workers_when_warm_workers_is_off(ws, store):
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 2})

    with local(ws, warm_workers=False) as executor:
        handle = executor.submit(run_id)
        assert parent_of(handle.pid) == os.getpid()
        assert "aios_workbench.scheduler.worker" in cmdline(handle.pid)
        assert handle.wait(timeout=120) and handle.outcome() is None

    assert row(store, run_id).status == "succeeded"


def test_a_dead_warm_parent_takes_its_runs_with_it_and_the_next_run_still_starts(ws, store, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    doomed = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})
    later = add_run(ws, store, "exits", parameters={"code": 0})

    with local(ws) as executor:
        first = executor.submit(doomed)
        wait_until(pid_file.exists, 90, "the kernel starting")
        warm_parent = parent_of(first.pid)
        os.kill(warm_parent, signal.SIGKILL)
        assert first.wait(timeout=10) and "ended by SIGKILL" in first.outcome()
        wait_until(lambda: not alive(first.pid), 5, "the worker dying with its warm parent")
        second = executor.submit(later)
        assert parent_of(second.pid) != warm_parent
        assert second.wait(timeout=120) and second.outcome() is None

    assert row(store, later).status == "succeeded"
    wait_until(lambda: not alive(int(pid_file.read_text())), 10, "the orphaned kernel exiting")


def test_cancel_kills_the_worker_and_its_kernel(ws, store, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})

    with local(ws) as executor:
        handle = executor.submit(run_id)
        wait_until(pid_file.exists, 90, "the kernel starting")
        handle.cancel()
        assert handle.done() and not alive(handle.pid)
        assert "ended by SIGKILL (it was cancelled)" in handle.outcome()

    wait_until(lambda: not alive(int(pid_file.read_text())), 10, "the orphaned kernel exiting")
    assert row(store, run_id).status == "running"   # the scheduler records the cancel; the worker never did


def test_a_worker_that_dies_or_cannot_run_is_reported_by_outcome(ws, store, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})

    with local(ws) as executor:
        killed = executor.submit(run_id)
        missing = executor.submit(987654)
        wait_until(pid_file.exists, 90, "the kernel starting")
        os.kill(killed.pid, signal.SIGKILL)
        assert killed.wait(timeout=10) and missing.wait(timeout=60)

    assert "ended by SIGKILL (it was killed)" in killed.outcome()
    assert "exited with code 66" in missing.outcome() and "job run 987654 does not exist" in missing.outcome()
    wait_until(lambda: not alive(int(pid_file.read_text())), 10, "the orphaned kernel exiting")


def test_workers_die_with_a_scheduler_killed_by_sigkill(ws, store, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})
    script = ("import sys, threading, time\n"
              "from aios_workbench.workspace import Workspace\n"
              "from aios_workbench.scheduler.executors import get_executor\n"
              "executor = get_executor('local', Workspace.load(sys.argv[1]))\n"
              # submitted from a short-lived thread, as a scheduler might: the worker must outlive that thread
              "handles = []\n"
              "thread = threading.Thread(target=lambda: handles.append(executor.submit(int(sys.argv[2]))))\n"
              "thread.start(); thread.join()\n"
              "print(handles[0].pid, flush=True)\n"
              "time.sleep(600)\n")
    scheduler = subprocess.Popen([sys.executable, "-c", script, str(ws.root), str(run_id)], stdout=subprocess.PIPE,
                                 text=True)
    try:
        worker = int(scheduler.stdout.readline())
        wait_until(pid_file.exists, 90, "the kernel starting")
        assert alive(worker)
        scheduler.kill()
        scheduler.wait()
        wait_until(lambda: not alive(worker), 5, "the worker dying with its scheduler")
        wait_until(lambda: not alive(int(pid_file.read_text())), 10, "the kernel exiting")
    finally:
        stop(scheduler)
    time.sleep(1)
    assert row(store, run_id).status == "running"   # no orphan reported a result afterwards


def test_the_worker_records_nothing_once_its_run_was_declared_lost(ws, store, tmp_path):
    from sqlalchemy import update

    from aios_workbench.store.models import JobRun

    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})

    with local(ws) as executor:
        handle = executor.submit(run_id)
        wait_until(pid_file.exists, 90, "the kernel starting")
        with store.session() as session, session.begin():
            session.execute(update(JobRun).where(JobRun.id == run_id).values(status="failed", error="lost"))
        assert handle.wait(timeout=30)      # the worker noticed, stopped its kernel and exited
        assert handle.outcome() is None

    final = row(store, run_id)
    assert (final.status, final.error, final.finished_at) == ("failed", "lost", None)


def test_progress_and_cancel_requested_go_through_the_row(ws, store, tmp_path):
    from sqlalchemy import update

    from aios_workbench.store.models import JobRun

    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})

    with local(ws) as executor:
        handle = executor.submit(run_id)
        wait_until(pid_file.exists, 90, "the kernel starting")
        # parameters, the injected parameters and the pid cell are done; the sleep runs
        wait_until(lambda: row(store, run_id).cells_done == 3, 10, "progress reaching the row")
        assert row(store, run_id).cells_total == 5
        assert list((ws.state_dir / "jobs").glob(f"*/runs/{run_id}/log.txt"))   # the live log, while it runs
        with store.session() as session, session.begin():
            session.execute(update(JobRun).where(JobRun.id == run_id).values(cancel_requested=True))
        assert handle.wait(timeout=30) and handle.outcome() is None

    final = row(store, run_id)
    assert final.status == "cancelled" and final.error == "cancelled while running cell 3"
    assert final.failing_cell["source"] == "time.sleep(seconds)" and Path(final.output_path).is_file()


def test_retry_of_a_flaky_notebook_and_the_worker_command(ws, store, tmp_path):
    marker = str(tmp_path / "attempt.marker")
    first = add_run(ws, store, "flaky", parameters={"marker": marker}, job="flaky-job")
    second = add_run(ws, store, "flaky", parameters={"marker": marker}, job="flaky-job")
    worker = [sys.executable, "-m", "aios_workbench.scheduler.worker", "--workspace", str(ws.root), "--json"]

    outcomes = [subprocess.run([*worker, str(run_id)], capture_output=True, text=True, timeout=120)
                for run_id in (first, second)]

    assert [o.returncode for o in outcomes] == [0, 0]
    assert [json.loads(o.stdout)["status"] for o in outcomes] == ["failed", "succeeded"]
    assert row(store, first).failing_cell["evalue"] == "the first attempt fails"
    assert row(store, second).status == "succeeded"
    again = subprocess.run([*worker, str(second)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 64 and "is 'succeeded', not 'running'" in again.stderr


def test_a_tracked_notebook_gets_its_executed_notebook_logged_to_its_mlflow_run(ws, store):
    from mlflow.tracking import MlflowClient

    from aios_workbench.scheduler.worker import run_job_run
    from aios_workbench.tracking import tracking_uri

    run_id = add_run(ws, store, "tracked", parameters={"alpha": 0.5}, job="tracked-job")

    result = run_job_run(ws.root, run_id)

    assert result.ok, result.error
    mlflow_run = row(store, run_id).mlflow_run_id
    client = MlflowClient(tracking_uri(ws))
    tracked = client.get_run(mlflow_run)
    assert tracked.data.tags["aios.job.name"] == "tracked-job" and tracked.data.tags["aios.job.run_id"] == str(run_id)
    assert tracked.data.params["alpha"] == "0.5"
    assert [a.path for a in client.list_artifacts(mlflow_run, "job")] == ["job/output.ipynb"]
    assert f"mlflow run: {mlflow_run}" in stream_text(result.output_path)
    experiment = client.get_experiment(tracked.info.experiment_id)
    assert experiment.name == "notebooks/tracked.ipynb"   # the promoted notebook's experiment, not the snapshot's


def test_a_job_run_emits_openlineage_start_and_complete_with_the_datasets_it_read(ws, store):
    from aios_workbench.lineage import LineageLog, log_path
    from aios_workbench.scheduler.worker import run_job_run

    run_id = add_run(ws, store, "ok", job="lineage-job")

    assert run_job_run(ws.root, run_id).ok

    events = [e for e in LineageLog(log_path(ws)).events() if e["job"]["name"] == "job:lineage-job"]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"]
    assert [d["name"] for d in events[1]["inputs"]] == ["shipment_files.main.shipments"]   # its catalog name
    assert events[1]["run"]["facets"]["aios_run"]["externalRunId"] == f"job-run:{run_id}"


def test_a_job_that_writes_a_dataset_records_it_as_its_lineage_output(ws, store):
    from aios_workbench.lineage import LineageLog, log_path
    from aios_workbench.scheduler.worker import run_job_run
    from aios_workbench.service.core import WorkbenchService

    run_id = add_run(ws, store, "writes", job="writer-job", parameters={"target": "outputs.late_carriers"})

    result = run_job_run(ws.root, run_id)

    assert result.ok, result.error
    assert result.datasets_written == ["outputs.main.late_carriers"]
    assert "wrote outputs.main.late_carriers" in stream_text(result.output_path)
    events = [e for e in LineageLog(log_path(ws)).events() if e["job"]["name"] == "job:writer-job"]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert [d["name"] for d in events[1]["inputs"]] == ["shipment_files.main.shipments"]
    assert [d["name"] for d in events[1]["outputs"]] == ["outputs.main.late_carriers"]
    service = WorkbenchService(ws, mode="local")
    try:
        upstream = service.catalog.lineage("alice", "outputs.main.late_carriers")["upstream"]
        assert "shipment_files.main.shipments" in {n["name"] for n in upstream["nodes"]}
        record = service.audit.query(user="alice", limit=1)[0]
        assert (record["action"], record["surface"]) == ("dataset.write", "job")
        assert record["detail"]["run_id"] == f"job-run:{run_id}"
    finally:
        service.close()


def test_executors_are_registered_plugins_and_an_unknown_name_lists_them(ws):
    from aios_workbench.core.errors import ConfigError, PluginNotFound
    from aios_workbench.core.registry import executors
    from aios_workbench.scheduler.executors import get_executor
    from aios_workbench.scheduler.executors.dask import DaskExecutor
    from aios_workbench.scheduler.executors.local import LocalExecutor

    assert executors.get("local") is LocalExecutor and executors.get("dask") is DaskExecutor
    assert {"cancel", "isolation"} <= LocalExecutor.capabilities and "distributed" in DaskExecutor.capabilities
    with pytest.raises(PluginNotFound, match="unknown executors plugin 'kubernetes'; known: dask, local"):
        get_executor("kubernetes", ws)
    with pytest.raises(ConfigError, match="needs the address of a Dask scheduler") as missing:
        get_executor("dask", ws)
    assert "dask_address" in missing.value.fix


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A real `dask scheduler` and one `dask worker` process (one thread) on 127.0.0.1."""
    port = free_port()
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{port}"
    dask = str(VENV_BIN / "dask")
    with (logs / "scheduler.log").open("w") as scheduler_log, (logs / "worker.log").open("w") as worker_log:
        scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                      "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=scheduler_log)
        worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                   "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=worker_log)
        try:
            yield address
        finally:
            stop(worker)
            stop(scheduler)


@pytest.fixture
def dask_executor(ws, dask_cluster):
    from aios_workbench.scheduler.executors.dask import DaskExecutor

    settings = ws.config.scheduler.model_copy(update={"dask_address": dask_cluster})
    deadline = time.monotonic() + 60
    executor = DaskExecutor(ws, settings)
    while not executor.client.nthreads() and time.monotonic() < deadline:   # the worker registering
        time.sleep(0.2)
    yield executor
    executor.shutdown(wait=True)


def test_dask_executor_runs_a_job_run_on_a_real_dask_worker(ws, store, dask_executor):
    run_id = add_run(ws, store, "ok", parameters={"label": "on-dask"})

    assert dask_executor.free_slots() == 1
    handle = dask_executor.submit(run_id)
    assert handle.wait(timeout=180)

    assert handle.outcome() is None
    final = row(store, run_id)
    assert final.status == "succeeded" and final.cells_done == final.cells_total == 7
    printed = stream_text(Path(final.output_path))
    assert "label: on-dask" in printed and "identity: alice" in printed and "rows: " in printed


def test_dask_cancel_stops_the_run_on_the_worker(ws, store, dask_executor, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})

    handle = dask_executor.submit(run_id)
    wait_until(pid_file.exists, 120, "the kernel starting on the Dask worker")
    handle.cancel()

    assert handle.done() and "cancelled on the Dask cluster" in handle.outcome()
    wait_until(lambda: row(store, run_id).status == "cancelled", 20, "the worker recording the cancel")
    wait_until(lambda: not alive(int(pid_file.read_text())), 10, "the kernel exiting")


def test_a_run_whose_dask_worker_dies_is_reported_lost_and_never_runs_twice(ws, store, dask_executor, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    run_id = add_run(ws, store, "sleeps", parameters={"seconds": 300, "pid_file": str(pid_file)})

    handle = dask_executor.submit(run_id)
    wait_until(pid_file.exists, 120, "the kernel starting on the Dask worker")
    kernel = int(pid_file.read_text())
    dask_worker = int(Path(f"/proc/{kernel}/stat").read_text().split(") ")[1].split()[1])   # the kernel's parent
    os.kill(dask_worker, signal.SIGKILL)   # its nanny starts a new worker, and Dask reschedules the task there

    assert handle.wait(timeout=120)
    assert "was lost; the run was not started again" in handle.outcome()
    assert pid_file.read_text() == str(kernel)                  # no second kernel ran the notebook
    wait_until(lambda: not alive(kernel), 10, "the orphaned kernel exiting")
    assert row(store, run_id).status == "running"             # declaring it lost is the scheduler's call
