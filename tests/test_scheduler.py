"""The scheduler: catch-up, caps, retries, triggers, cancel, timeouts, retention, crash recovery, replicas.

Tick-level tests drive `Scheduler.tick()` in this process with the real local executor and real
kernels; process-level tests start real `aios scheduler` processes (SQLite, and two replicas on
PostgreSQL). Jobs are inserted as Job + JobVersion rows whose snapshot is a fixture notebook.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from aios_workbench.jobs import runs
from aios_workbench.schemas.job_spec import JobSpec
from aios_workbench.schemas.schedule import Schedule
from aios_workbench.store import open_store
from aios_workbench.store.models import Job, JobRun, JobVersion
from aios_workbench.workspace import Workspace
from tests.conftest import AIOS, artifact, stop

UTC = UTC
FIXTURES = Path(__file__).parent / "fixtures" / "notebooks" / "scheduler"
POLICY = """\
datasets: {}
roles:
  author: {description: writes notebooks}
  auditor: {description: reads everything, audit: true}
users:
  alice: {roles: [author]}
  bob: {roles: [author]}
  audra: {roles: [auditor]}
grants: []
masks: []
row_filters: []
"""


# -- helpers ---------------------------------------------------------------------------------------------
def build_workspace(root: Path, *, metadata_url: str | None = None, **scheduler) -> Workspace:
    """A fresh workspace with users alice, bob and audra (an auditor) and the given scheduler settings."""
    from aios_workbench.workspace.scaffold import init_workspace

    init_workspace(root)
    (root / "governance" / "policy.yaml").write_text(POLICY)
    config = yaml.safe_load((root / "aios.yaml").read_text())
    config["scheduler"] = {"poll_seconds": 0.5, **scheduler}
    if metadata_url:
        config["metadata_store"] = {"url": metadata_url}
    (root / "aios.yaml").write_text(yaml.safe_dump(config))
    return Workspace.load(root)


def make_job(ws: Workspace, store, name: str, fixture: str, *, creator: str = "alice", identity: str | None = None,
             next_due_at: datetime | None = None, paused: bool = False, status: str = "active", **spec) -> int:
    """Insert a job as promotion would: a snapshot of `fixture`, an active version 1 and the job row."""
    from aios_workbench.jobs.notebook import load_notebook
    from aios_workbench.jobs.parameters import derive_schema

    job_spec = JobSpec(name=name, **spec)
    snapshots = ws.state_dir / "jobs" / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    snapshot = snapshots / f"{name}.ipynb"
    shutil.copy(FIXTURES / f"{fixture}.ipynb", snapshot)
    schema = derive_schema(load_notebook(snapshot, f"notebooks/{fixture}.ipynb"))
    with store.session() as session, session.begin():
        session.add(JobVersion(job_name=name, version=1, digest="0" * 64, notebook=f"notebooks/{fixture}.ipynb",
                               snapshot_path=str(snapshot), parameter_schema=schema, spec=job_spec.to_json(),
                               gates=[], status=status, datasets_read=[], promoted_by=creator))
        job = Job(name=name, notebook=f"notebooks/{fixture}.ipynb", version=1, spec=job_spec.to_json(),
                  identity=identity or creator, paused=paused, next_due_at=next_due_at, created_by=creator,
                  created_at=runs.now(), updated_at=runs.now())
        session.add(job)
        session.flush()
        return job.id


def set_due(store, job_id: int, due: datetime) -> None:
    """Make a job a one-off due at `due` (as promoting it with --at would)."""
    with store.session() as session, session.begin():
        job = session.get(Job, job_id)
        job.spec = {**job.spec, "schedule": Schedule.parse(at=due).model_dump(mode="json")}
        job.next_due_at = due


def queue_run(store, job_id: int, **fields) -> int:
    with store.session() as session:
        job = session.get(Job, job_id)
        spec = JobSpec.model_validate(job.spec)
    fields.setdefault("parameters", spec.parameters)
    return runs.enqueue(store, job_id, trigger=fields.pop("trigger", "manual"), requested_by="alice",
                        executor="local", **fields)


def rows(store, job_id: int | None = None) -> list[JobRun]:
    with store.session() as session:
        query = select(JobRun).order_by(JobRun.id)
        if job_id is not None:
            query = query.where(JobRun.job_id == job_id)
        return list(session.scalars(query))


def tick_until(scheduler, predicate, *, timeout: float, what: str):
    """Tick every 0.2 s until `predicate()` is truthy; its value. Fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scheduler.tick()
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {timeout} s; runs: "
                f"{[(r.id, r.status, r.attempt, r.error) for r in rows(scheduler.store)]}")


@pytest.fixture
def ws(tmp_path):
    return build_workspace(tmp_path / "ws", pool_size=2, max_concurrent_runs=4, lease_seconds=6)


@pytest.fixture
def store(ws):
    store = open_store(ws.metadata_url)
    yield store
    store.close()


@pytest.fixture
def scheduler(ws):
    from aios_workbench.scheduler.loop import Scheduler

    out = io.StringIO()
    sched = Scheduler(ws, name="tick-test", out=out, cancel_grace=3, timeout_grace=1)
    yield sched
    sched.interrupt_all("the test ended")
    sched.close()


def hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


# -- catch-up (enqueueing only: no kernels) -------------------------------------------------------------------
@pytest.fixture
def planner(ws):
    from aios_workbench.scheduler.loop import Scheduler

    sched = Scheduler(ws, name="planner", out=io.StringIO())
    yield sched
    sched.close()


@pytest.mark.parametrize(("policy", "max_runs", "expected_hours_back"), [
    ("skip", 10, []),
    ("once", 10, [0]),
    ("all", 3, [2, 1, 0]),
    ("all", 10, [5, 4, 3, 2, 1, 0]),
])
def test_missed_hourly_occurrences_follow_the_catch_up_policy(planner, ws, store, policy, max_runs,
                                                              expected_hours_back):
    moment = hour(runs.now()) + timedelta(minutes=30)   # half past: the latest occurrence is 30 min late
    job_id = make_job(ws, store, "hourly", "record", schedule=Schedule.parse("0 * * * *"),
                      catch_up={"policy": policy, "max_runs": max_runs}, next_due_at=hour(moment) - timedelta(hours=5))

    planner.enqueue_due(moment)

    occurrences = [r.occurrence for r in rows(store, job_id)]
    assert occurrences == [hour(moment) - timedelta(hours=h) for h in expected_hours_back]
    assert all(r.trigger == "schedule" and r.attempt == 1 and r.status == "queued" for r in rows(store, job_id))
    with store.session() as session:
        assert session.get(Job, job_id).next_due_at == hour(moment) + timedelta(hours=1)


def test_skip_still_runs_an_occurrence_that_is_only_seconds_late(planner, ws, store):
    moment = runs.now()
    job_id = make_job(ws, store, "daily", "record", schedule=Schedule.parse("0 6 * * *"),
                      catch_up={"policy": "skip"}, next_due_at=moment - timedelta(seconds=5))

    planner.enqueue_due(moment)

    assert [r.occurrence for r in rows(store, job_id)] == [moment - timedelta(seconds=5)]


def test_an_occurrence_is_enqueued_once_even_when_its_slot_was_already_taken(planner, ws, store):
    moment = runs.now()
    due = moment - timedelta(seconds=1)
    job_id = make_job(ws, store, "nightly", "record", schedule=Schedule.parse("0 2 * * *"), next_due_at=due)
    # another replica already inserted this slot but crashed before advancing next_due_at
    assert queue_run(store, job_id, occurrence=due, trigger="schedule") is not None
    assert queue_run(store, job_id, occurrence=due, trigger="schedule") is None   # the unique key holds

    planner.enqueue_due(moment)
    planner.enqueue_due(moment)

    assert len(rows(store, job_id)) == 1
    with store.session() as session:
        assert session.get(Job, job_id).next_due_at > moment


def test_paused_and_unapproved_jobs_are_not_enqueued(planner, ws, store):
    moment = runs.now()
    paused = make_job(ws, store, "paused", "record", schedule=Schedule.parse("@hourly"),
                      next_due_at=moment - timedelta(seconds=2), paused=True)
    pending = make_job(ws, store, "pending", "record", schedule=Schedule.parse("@hourly"),
                       next_due_at=moment - timedelta(seconds=2), status="pending_approval")

    planner.enqueue_due(moment)

    assert rows(store, paused) == [] and rows(store, pending) == []
    assert "held" in planner.out.getvalue() and "version 1 is pending_approval" in planner.out.getvalue()


# -- concurrency caps (the claim in the run ledger) --------------------------------------------------------------
def test_claims_respect_the_per_job_the_global_and_the_executor_caps(ws, store):
    one = make_job(ws, store, "one-at-a-time", "record")
    two = make_job(ws, store, "two-at-a-time", "record", max_concurrent=2)
    three = make_job(ws, store, "third", "record", max_concurrent=5)
    for job_id in (one, one, two, two, two, three, three):
        queue_run(store, job_id)
    caps = {one: 1, two: 2, three: 5}
    claim = lambda owner, slots: runs.claim(store, owner, lease_seconds=30, max_running=4,  # noqa: E731
                                            free_slots=lambda _name: slots, caps=caps)

    first = claim("a", 10)
    assert sorted(c.job_id for c in first) == [one, two, two, three]   # 1 + 2 + 1: the global cap of 4
    assert claim("b", 10) == []                                         # nothing more until one finishes

    runs.finish(store, first[0].run_id, "succeeded")
    runs.finish(store, first[1].run_id, "succeeded")
    assert claim("b", 1) and claim("b", 0) == []                        # the executor's free slots
    running = [r for r in rows(store) if r.status == "running"]
    assert len(running) == 3 and {r.lease_owner for r in running} == {"a", "b"}
    by_job = {job_id: sum(r.job_id == job_id for r in running) for job_id in (one, two, three)}
    assert by_job[one] <= 1 and by_job[two] <= 2


# -- retries, triggers, notifications' feed ----------------------------------------------------------------------
def test_a_failed_attempt_is_retried_after_its_backoff_and_the_retry_succeeds(scheduler, ws, store, tmp_path):
    marker = tmp_path / "flaky.txt"
    job_id = make_job(ws, store, "flaky", "flaky", parameters={"marker": str(marker)},
                      retries={"max": 2, "backoff_seconds": 1.5, "backoff_factor": 2})
    first = queue_run(store, job_id)

    tick_until(scheduler, lambda: any(r.status == "succeeded" for r in rows(store, job_id)), timeout=120,
               what="the retry's success")

    attempt1, attempt2 = rows(store, job_id)
    assert (attempt1.id, attempt1.status, attempt1.attempt) == (first, "failed", 1)
    assert "flaky: first attempt fails on purpose" in (attempt1.error or "") + json.dumps(attempt1.failing_cell)
    assert (attempt2.attempt, attempt2.retry_of, attempt2.status) == (2, first, "succeeded")
    assert attempt2.parameters == attempt1.parameters and attempt2.trigger == attempt1.trigger
    waited = (attempt2.not_before - attempt1.finished_at).total_seconds()
    assert 1.5 <= waited < 4, waited            # Retries.delay(1) = 1.5 s, counted from when it was followed up
    assert attempt2.started_at >= attempt2.not_before
    assert marker.read_text().split() == [str(attempt1.id), str(attempt2.id)]
    from aios_workbench.alerts import AlertFeed

    assert AlertFeed(store).list() == []        # not final: a retry was left, and it succeeded


def test_a_final_failure_raises_an_alert_and_the_next_success_resolves_it(scheduler, ws, store):
    from aios_workbench.alerts import AlertFeed

    job_id = make_job(ws, store, "breaks", "fail", parameters={"reason": "broken on purpose"})
    run_id = queue_run(store, job_id)
    tick_until(scheduler, lambda: rows(store, job_id)[-1].status == "failed", timeout=90, what="the failure")
    failed = rows(store, job_id)[-1]
    assert failed.failing_cell and failed.failing_cell["ename"] == "ValueError"

    [alert] = AlertFeed(store).list()
    assert (alert["key"], alert["kind"], alert["state"], alert["severity"]) == ("job:breaks", "run_failed", "open",
                                                                                "error")
    assert alert["detail"]["run_id"] == run_id and "parameters" not in alert["detail"]
    assert alert["title"] == f"job breaks failed (run {run_id}, attempt 1)"

    queue_run(store, job_id, parameters={"reason": ""})  # still raises (ValueError('')): a second failure
    tick_until(scheduler, lambda: len(rows(store, job_id)) == 2 and rows(store, job_id)[-1].status == "failed",
               timeout=90, what="the second failure")
    [alert] = AlertFeed(store).list()
    assert alert["count"] == 2 and alert["state"] == "open"      # one line in the feed, counted


def test_a_success_triggers_the_jobs_that_wait_for_it(scheduler, ws, store, tmp_path):
    marker = tmp_path / "chain.txt"
    upstream = make_job(ws, store, "extract", "record", parameters={"marker": str(marker), "label": "extract"})
    downstream = make_job(ws, store, "report", "record", parameters={"marker": str(marker), "label": "report"},
                          triggers={"after_success": ["extract"]})
    bystander = make_job(ws, store, "other", "record", triggers={"after_success": ["something-else"]})
    queue_run(store, upstream)

    tick_until(scheduler, lambda: [r.status for r in rows(store, downstream)] == ["succeeded"], timeout=120,
               what="the triggered run")

    [triggered] = rows(store, downstream)
    assert triggered.trigger == "after:extract" and triggered.requested_by == "scheduler"
    assert rows(store, bystander) == []
    assert [line.split()[1] for line in marker.read_text().splitlines()] == ["extract", "report"]


def test_a_monitor_failure_queues_the_jobs_listening_for_it_once(ws, store):
    from aios_workbench.jobs.runs import trigger_monitor_failure

    retrain = make_job(ws, store, "retrain", "record", triggers={"on_monitor_failure": ["shipments-drift"]})
    make_job(ws, store, "unrelated", "record", triggers={"on_monitor_failure": ["other"]})

    first = trigger_monitor_failure(store, "shipments-drift")
    again = trigger_monitor_failure(store, "shipments-drift")   # still queued: no second retraining

    assert len(first) == 1 and again == []
    [run] = rows(store, retrain)
    assert (run.id, run.trigger, run.status) == (first[0], "monitor:shipments-drift", "queued")


# -- cancel, timeout backstop ---------------------------------------------------------------------------------
def test_cancelling_a_running_run_stops_it_and_records_cancelled(scheduler, ws, store, tmp_path):
    marker = tmp_path / "sleep.txt"
    job_id = make_job(ws, store, "sleepy", "sleep", parameters={"seconds": 120.0, "marker": str(marker)})
    run_id = queue_run(store, job_id)
    tick_until(scheduler, lambda: marker.exists(), timeout=90, what="the notebook starting to sleep")

    handle = scheduler._tracked[run_id].handle
    requested = time.monotonic()
    assert runs.request_cancel(store, run_id)["cancel_requested"] is True
    tick_until(scheduler, lambda: rows(store, job_id)[0].status == "cancelled", timeout=30, what="the cancellation")

    assert time.monotonic() - requested < 15
    assert handle.wait(timeout=15)                     # the worker process ended
    tick_until(scheduler, lambda: not scheduler._tracked, timeout=5, what="the scheduler letting go of the run")
    with pytest.raises(Exception, match="already cancelled"):
        runs.request_cancel(store, run_id)


def test_cancelling_a_queued_run_cancels_it_before_it_starts(ws, store):
    job_id = make_job(ws, store, "later", "record")
    run_id = queue_run(store, job_id, not_before=runs.now() + timedelta(hours=1))

    data = runs.request_cancel(store, run_id)

    assert data["status"] == "cancelled" and data["started_at"] is None


class HungWorkerExecutor:
    """A worker that hangs and ignores its own timeout: a real process that sleeps, the case the
    scheduler's whole-notebook backstop exists for."""

    name, capabilities = "hung", frozenset({"cancel"})

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def submit(self, run_id):
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        self.processes.append(process)
        return HungHandle(process)

    def free_slots(self):
        return 4

    def shutdown(self):
        for process in self.processes:
            process.kill()
            process.wait()


class HungHandle:
    def __init__(self, process):
        self.process = process

    def done(self):
        return self.process.poll() is not None

    def cancel(self):
        self.process.kill()
        self.process.wait()

    def outcome(self):
        return None if self.process.returncode == 0 else f"killed ({self.process.returncode})"


def test_the_timeout_backstop_stops_a_hung_worker_and_records_timed_out(ws, store):
    from aios_workbench.scheduler.loop import Scheduler

    executor = HungWorkerExecutor()
    sched = Scheduler(ws, name="backstop", executor=executor, out=io.StringIO(), timeout_grace=1)
    job_id = make_job(ws, store, "stuck", "record", timeout_seconds=1.5)
    queue_run(store, job_id)
    try:
        began = time.monotonic()
        tick_until(sched, lambda: rows(store, job_id)[0].status == "timed_out", timeout=30, what="the backstop")
        elapsed = time.monotonic() - began
    finally:
        sched.close()

    [run] = rows(store, job_id)
    assert 2.5 <= elapsed < 10, elapsed                         # timeout 1.5 s + grace 1 s
    assert "exceeded its timeout of 1.5 s" in run.error and "stopped by the scheduler" in run.error
    assert executor.processes[0].poll() is not None             # the hung worker was killed


# -- retention ------------------------------------------------------------------------------------------------
def test_retention_deletes_old_outputs_but_keeps_the_rows(ws, store):
    from aios_workbench.schemas.job_spec import Retention

    job_id = make_job(ws, store, "keeper", "record", retention={"keep_last": 2})
    ids = []
    for age_days in (30, 20, 10, 0):
        run_id = queue_run(store, job_id)
        folder = ws.state_dir / "jobs" / "keeper" / "runs" / str(run_id)
        folder.mkdir(parents=True)
        for file in ("output.ipynb", "output.html", "log.txt"):
            (folder / file).write_text("x")
        with store.session() as session, session.begin():
            run = session.get(JobRun, run_id)
            run.status, run.finished_at = "succeeded", runs.now() - timedelta(days=age_days)
            run.output_path, run.html_path, run.log_path = (str(folder / f) for f in ("output.ipynb", "output.html",
                                                                                      "log.txt"))
        ids.append(run_id)
    outside = ws.root / "precious.txt"
    outside.write_text("not a job output")
    with store.session() as session, session.begin():
        session.get(JobRun, ids[1]).log_path = str(outside)   # a path outside the job outputs is never deleted

    pruned = runs.prune_outputs(store, ws.state_dir / "jobs", job_id, "keeper", Retention(keep_last=2))
    assert pruned == ids[:2]
    assert [r.output_path is None for r in rows(store, job_id)] == [True, True, False, False]
    assert not (ws.state_dir / "jobs" / "keeper" / "runs" / str(ids[0])).exists()
    assert (ws.state_dir / "jobs" / "keeper" / "runs" / str(ids[2]) / "output.ipynb").exists()
    assert outside.exists() and len(rows(store, job_id)) == 4

    by_age = runs.prune_outputs(store, ws.state_dir / "jobs", job_id, "keeper", Retention(keep_last=None, keep_days=5))
    assert by_age == [ids[2]]


# -- crash recovery (tick level) ------------------------------------------------------------------------------
def test_a_run_whose_scheduler_vanished_is_failed_and_retried(planner, ws, store):
    job_id = make_job(ws, store, "orphan", "record", retries={"max": 1, "backoff_seconds": 0})
    run_id = queue_run(store, job_id)
    with store.session() as session, session.begin():
        run = session.get(JobRun, run_id)
        run.status, run.started_at, run.lease_owner = "running", runs.now(), "ghost-host:4242"
        run.lease_until = runs.now() - timedelta(seconds=1)

    planner.recover(runs.now())

    lost, retry = rows(store, job_id)
    assert (lost.status, lost.error) == ("failed", "the scheduler running it stopped: ghost-host:4242")
    assert (retry.status, retry.attempt, retry.retry_of) == ("queued", 2, run_id)
    planner.recover(runs.now())
    assert len(rows(store, job_id)) == 2                      # follow-ups are taken exactly once


# -- real `aios scheduler` processes ---------------------------------------------------------------------------
def start_scheduler(ws: Workspace, name: str, log_name: str, *extra: str) -> tuple[subprocess.Popen, Path]:
    log = artifact(log_name)
    with log.open("w") as sink:  # the child keeps its own descriptor
        process = subprocess.Popen([AIOS, "--workspace", str(ws.root), "scheduler", "--name", name, "--json",
                                    *extra], stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while '"event": "up"' not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"aios scheduler did not start: {log.read_text()}")
        time.sleep(0.1)
    return process, log


def wait_for(predicate, *, timeout: float, what: str, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"{what} did not happen within {timeout} s")


def test_a_job_due_in_two_seconds_starts_within_a_second_of_its_due_time(ws, store):
    job_id = make_job(ws, store, "punctual", "record")     # manual until it is given its time below
    process, log = start_scheduler(ws, "timing", "scheduler-timing.log")
    try:
        due = runs.now() + timedelta(seconds=2)
        set_due(store, job_id, due)
        wait_for(lambda: [r for r in rows(store, job_id) if r.status in runs.TERMINAL], timeout=90,
                 what="the scheduled run")
    finally:
        output = stop(process)
    [run] = rows(store, job_id)
    lateness = (run.started_at - run.occurrence).total_seconds()
    load = os.getloadavg()[0]
    # The poll is 0.5 s and the loop wakes for the next due time, so lateness is normally ~10-100 ms.
    # On this 2-core machine other test suites run kernels at the same time; a load above the core
    # count delays the scheduler's wake-up itself, so the bound widens to 1.5 s then (and says so).
    bound = 1.0 if load <= os.cpu_count() else 1.5
    print(f"due-to-start {lateness:.3f} s at load {load:.1f} (bound {bound} s)")
    assert run.status == "succeeded", (run.error, output, log.read_text())
    assert run.occurrence == due
    assert 0 <= lateness < bound, (lateness, load)


def test_kill_9_mid_run_then_restart_fails_the_run_and_retries_it(ws, store, tmp_path):
    marker = tmp_path / "crash.txt"
    job_id = make_job(ws, store, "crashy", "sleep_once", parameters={"seconds": 120.0, "marker": str(marker)},
                      retries={"max": 1, "backoff_seconds": 0})
    process, _ = start_scheduler(ws, "steady", "scheduler-kill-1.log")
    first = queue_run(store, job_id)
    try:
        wait_for(lambda: marker.exists(), timeout=90, what="the first attempt starting")
    except BaseException:
        stop(process)
        raise
    os.kill(process.pid, signal.SIGKILL)      # kill -9 of the scheduler; its workers die with it (PDEATHSIG)
    process.wait()
    [run] = rows(store, job_id)
    assert run.status == "running"                                    # nobody has noticed yet

    restarted, log = start_scheduler(ws, "steady", "scheduler-kill-2.log")
    try:
        wait_for(lambda: any(r.status == "succeeded" for r in rows(store, job_id)), timeout=120,
                 what="the retry after the restart")
    finally:
        stop(restarted)
    attempt1, attempt2 = rows(store, job_id)
    assert (attempt1.id, attempt1.status) == (first, "failed")
    assert attempt1.error == "the scheduler running it stopped: steady"
    assert (attempt2.attempt, attempt2.retry_of, attempt2.status) == (2, first, "succeeded")
    assert not [r for r in rows(store) if r.status == "running"]
    assert marker.read_text().split("\n")[:-1] == [f"{first} started", f"{attempt2.id} started",
                                                   f"{attempt2.id} finished"]
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(e["event"] == "lost" and e["run"] == first for e in events)


def test_sigterm_lets_a_run_finish_within_the_grace_period_then_interrupts_it(ws, store, tmp_path):
    marker = tmp_path / "term.txt"
    job_id = make_job(ws, store, "long", "sleep", parameters={"seconds": 120.0, "marker": str(marker)})
    process, log = start_scheduler(ws, "graceful", "scheduler-term.log", "--grace", "2")
    queue_run(store, job_id)
    try:
        wait_for(lambda: marker.exists(), timeout=90, what="the run starting")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    [run] = rows(store, job_id)
    assert run.status == "failed"
    assert run.error == ("interrupted: the scheduler graceful stopped and it did not finish within the shutdown "
                         "grace period")
    events = [json.loads(line)["event"] for line in log.read_text().splitlines() if line.startswith("{")]
    assert events.index("stopping") < events.index("failed") < events.index("down")


@pytest.mark.services
def test_two_replicas_on_postgresql_run_each_occurrence_exactly_once(tmp_path, postgres_url):
    ws = build_workspace(tmp_path / "pgws", metadata_url=postgres_url, pool_size=2, max_concurrent_runs=4,
                         lease_seconds=10)
    store = open_store(ws.metadata_url)
    marker = tmp_path / "executions.txt"
    params = {"marker": str(marker)}
    start = runs.now()
    # a job every few seconds (one-off jobs, given due times 2 s apart once both replicas run) ...
    ticks = [make_job(ws, store, f"tick{i}", "record", parameters={**params, "label": f"tick{i}"})
             for i in range(6)]
    # ... and a job running every minute of one hour, two hours ago: both replicas find its 60 missed
    # occurrences due at start and must enqueue the latest five once (its next one is tomorrow)
    missed_hour = hour(start) - timedelta(hours=2)
    catchup = make_job(ws, store, "catchup", "record", parameters={**params, "label": "catchup"},
                       schedule=Schedule.parse(f"* {missed_hour.hour} * * *"), max_concurrent=2,
                       catch_up={"policy": "all", "max_runs": 5}, next_due_at=missed_hour)
    replicas = [start_scheduler(ws, name, f"scheduler-replica-{name}.log") for name in ("replica-a", "replica-b")]
    try:
        first_due = runs.now() + timedelta(seconds=2)
        for i, job_id in enumerate(ticks):
            set_due(store, job_id, first_due + timedelta(seconds=2 * i))
        expected = 6 + 5
        wait_for(lambda: len(rows(store)) >= expected and all(r.status in runs.TERMINAL for r in rows(store)),
                 timeout=240, what="every occurrence finishing", poll=0.5)
        time.sleep(2)   # a duplicate, if any, would have been enqueued or started by now
    finally:
        outputs = [stop(process) for process, _ in replicas]
    all_runs = rows(store)
    slots = [(r.job_id, r.occurrence, r.attempt) for r in all_runs]
    assert len(slots) == len(set(slots)) == 11, outputs
    assert all(r.status == "succeeded" for r in all_runs), [(r.id, r.error) for r in all_runs]
    assert len([r for r in all_runs if r.job_id == catchup]) == 5
    executed = marker.read_text().split("\n")[:-1]
    executed_ids = [int(line.split()[0]) for line in executed]
    assert sorted(executed_ids) == sorted(r.id for r in all_runs)    # every run executed, none twice
    owners = {r.lease_owner for r in all_runs}
    print("runs per replica:", {o: sum(r.lease_owner == o for r in all_runs) for o in owners})
    assert owners <= {"replica-a", "replica-b"}
    store.close()
