"""`aios scheduler`: runs promoted notebooks on time, with nobody logged in and no Jupyter server up.

Each tick (every `scheduler.poll_seconds`, sooner when something falls due or a worker ends):
1. recover runs whose scheduler died (lease expired) -> failed, then retried per policy;
2. enqueue due occurrences of unpaused jobs, applying the catch-up policy to missed ones, and advance
   `next_due_at` by compare-and-set, so two replicas never both enqueue one slot;
3. watch this scheduler's runs: a worker that exited without a result, a cancel request, the
   whole-notebook timeout (a backstop: the worker enforces it first);
4. follow up finished runs: retry with backoff, trigger dependent jobs, alerts and notifications,
   retention of old outputs;
5. claim queued runs within the per-job, global and executor caps and submit them;
6. renew the leases of its runs.

Several replicas may share one metadata store (PostgreSQL): the run ledger (`jobs/runs.py`) makes
every contended step a single conditional write.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from aios_workbench.alerts import AlertFeed, checks_alert_key, job_alert_keys, monitor_alert_key, run_alert_key
from aios_workbench.alerts.cause import RUN_WORDS, checks_failed_words
from aios_workbench.alerts.incidents import monitors_behind, run_facts_for_monitor
from aios_workbench.core.errors import ConfigError, WorkbenchError
from aios_workbench.jobs import runs
from aios_workbench.jobs.runs import spec_of
from aios_workbench.jobs.verdicts import checks_of_run
from aios_workbench.scheduler.executors import Executor, RunHandle, get_executor
from aios_workbench.schemas.job_spec import Retention
from aios_workbench.schemas.schedule import Schedule, zone
from aios_workbench.store import open_store
from aios_workbench.store.models import Job, JobRun, JobVersion

ON_TIME_WINDOW = 60.0  # an occurrence less late than this is on time, not "missed" (a restart, a slow tick)
RECOVERY_EVERY = 5.0   # seconds between scans for dead schedulers' runs
RETENTION_EVERY = 600.0


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def due_occurrences(schedule: Schedule, first: datetime, moment: datetime, limit: int) -> list[datetime]:
    """The latest `limit` occurrences from `first` (the job's `next_due_at`, itself due) up to `moment`,
    oldest first. Walks backwards from `moment`, so a year of downtime costs `limit` steps, not a year's."""
    later: list[datetime] = []
    if schedule.kind == "cron":
        from croniter import croniter

        walker = croniter(schedule.cron, (moment + timedelta(microseconds=1)).astimezone(zone(schedule.timezone)))
        while len(later) < limit:
            previous = walker.get_prev(datetime).astimezone(UTC)
            if previous <= first:
                break
            later.append(previous)
    due = later[::-1]
    return ([first] + due)[-limit:] if len(due) < limit else due


def plan_catch_up(spec, next_due: datetime, moment: datetime, *, window: float = ON_TIME_WINDOW):
    """(occurrences to run, how many due ones are dropped, the next `next_due_at`) for a due job."""
    policy = spec.catch_up.policy
    due = due_occurrences(spec.schedule, next_due, moment, spec.catch_up.max_runs if policy == "all" else 1)
    if policy == "skip":
        to_run = [o for o in due if (moment - o).total_seconds() <= window]
    else:
        to_run = due
    return to_run, len(due) - len(to_run), spec.schedule.next_after(moment)


@dataclass
class Tracked:
    """A run this scheduler submitted, and what it watches about it."""

    run_id: int
    job: str
    handle: RunHandle
    executor: str
    started: float
    timeout: float | None
    cancel_seen: float | None = None


class Scheduler:
    """One scheduler replica on a workspace. `tick()` does one round; `run_forever()` loops until SIGTERM."""

    def __init__(self, workspace, *, name: str | None = None, executor: Executor | str | None = None,
                 json_lines: bool = False, out=None, shutdown_grace: float = 60.0, timeout_grace: float = 30.0,
                 cancel_grace: float = 10.0, on_time_window: float = ON_TIME_WINDOW):
        self.workspace = workspace
        self.settings = workspace.config.scheduler
        self.name = name or default_name()
        self.store = open_store(workspace.metadata_url)
        self.alerts = AlertFeed(self.store)
        self.json_lines = json_lines
        self.out = out or sys.stdout
        self.shutdown_grace, self.timeout_grace, self.cancel_grace = shutdown_grace, timeout_grace, cancel_grace
        self.on_time_window = on_time_window
        self._fixed_executor = executor
        self._executors: dict[str, Executor] = {}
        self._tracked: dict[int, Tracked] = {}
        self._notifications = ThreadPoolExecutor(max_workers=2, thread_name_prefix="aios-notify")
        self._started = False
        self._stopping_since: float | None = None
        self._stop_signal: str | None = None
        self._hurry = False  # a second signal: stop the runs now
        self._wake = threading.Event()
        self._last_recovery = self._last_renewal = self._last_retention = 0.0
        self._held_back: set[int] = set()
        self._draining: list[tuple[RunHandle, float]] = []
        self._emit_lock = threading.Lock()
        self.next_wake: float = self.settings.poll_seconds
        self._wake_at = 0.0   # time.monotonic() at which the loop ticks again (set by each tick)

    # -- the loop -------------------------------------------------------------------------------------
    def run_forever(self, *, once: bool = False) -> None:
        """Tick until SIGTERM/SIGINT; then stop claiming, let runs finish for `shutdown_grace` seconds,
        interrupt the rest (failed, retried per policy) and exit. `once`: stop claiming after the first
        round and exit when its runs have ended (a signal still interrupts them)."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.emit("up", executor=str(self._fixed_executor or "per job"), poll=self.settings.poll_seconds,
                  pid=os.getpid())
        try:
            while True:
                began = time.monotonic()
                self._wake_at = began + self.settings.poll_seconds   # a tick that fails still waits a poll
                try:
                    self.tick()
                except WorkbenchError as exc:  # e.g. the store is briefly unreachable: keep going
                    self.emit("error", error=exc.message)
                except Exception as exc:  # noqa: BLE001 - a scheduler must outlive one bad tick
                    self.emit("error", error=f"{type(exc).__name__}: {exc}")
                if once and self._stopping_since is None:
                    self._stopping_since, self.shutdown_grace = time.monotonic(), float("inf")
                if self._stop_signal is not None:  # announced here: a signal handler must not take locks
                    self.emit("stopping", signal=self._stop_signal, running=len(self._tracked),
                              grace=self.shutdown_grace)
                    self._stop_signal = None
                if self._stopping_since is not None:
                    if not self._tracked:
                        break
                    if self._hurry or time.monotonic() - self._stopping_since > self.shutdown_grace:
                        self.interrupt_all("it was asked to stop at once" if self._hurry
                                           else "it did not finish within the shutdown grace period")
                        break
                pause = self._wake_at - time.monotonic()
                if pause > 0:
                    self._wake.wait(pause)
                    self._wake.clear()
        finally:
            self.close()
            self.emit("down")

    def _on_signal(self, signum, _frame) -> None:
        if self._stopping_since is None:
            self._stopping_since = time.monotonic()
            self._stop_signal = signal.Signals(signum).name
        else:  # a second signal (or a signal during --once): do not wait any longer
            self._hurry = True
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to stop as SIGTERM does."""
        self._on_signal(signal.SIGTERM, None)

    def tick(self, moment: datetime | None = None) -> None:
        """One scheduling round (see the module docstring)."""
        moment = moment or runs.now()
        clock = time.monotonic()
        if not self._started:
            self._started = True
            self.recover(moment, at_start=True)
            self._last_recovery = clock
        elif clock - self._last_recovery >= RECOVERY_EVERY:
            self.recover(moment)
            self._last_recovery = clock
        stopping = self._stopping_since is not None
        if not stopping:
            self.enqueue_due(moment)
        self.supervise()
        if not stopping:
            self.claim_and_submit()
        if self._tracked and clock - self._last_renewal >= self.settings.lease_seconds / 3:
            self.renew()
            self._last_renewal = clock
        if clock - self._last_retention >= RETENTION_EVERY:
            self._last_retention = clock
            self.apply_retention_everywhere()
        self._compute_next_wake(since=moment)

    # -- 1. recovery ----------------------------------------------------------------------------------
    def recover(self, moment: datetime, *, at_start: bool = False) -> None:
        """Runs whose scheduler stopped (lease expired; at start also this name's previous life) are
        failed and followed up; finished runs whose follow-ups were never taken are followed up."""
        owner = self.name if at_start else None
        for run_id, lost_owner in runs.expired_leases(self.store, moment, owner=owner):
            if run_id in self._tracked:
                continue
            if runs.finish(self.store, run_id, "failed", error=f"the scheduler running it stopped: {lost_owner}"):
                self.emit("lost", run=run_id, owner=lost_owner)
            self.follow_up(run_id)
        for run_id in runs.orphaned_followups(self.store, moment, owner=owner):
            if run_id not in self._tracked:
                self.follow_up(run_id)

    # -- 2. occurrences -------------------------------------------------------------------------------
    def enqueue_due(self, moment: datetime) -> list[int]:
        """Enqueue the due occurrences of every unpaused job and advance its `next_due_at`."""
        postgres = self.store.backend == "postgresql"
        enqueued: list[int] = []
        with self.store.session() as session, session.begin():
            query = (select(Job).where(Job.paused.is_(False), Job.next_due_at.is_not(None),
                                       Job.next_due_at <= moment).order_by(Job.next_due_at))
            if postgres:
                query = query.with_for_update(skip_locked=True)
            for job in session.scalars(query).all():
                enqueued += self._enqueue_job(session, job, moment)
        return enqueued

    def _enqueue_job(self, session, job: Job, moment: datetime) -> list[int]:
        version = session.scalars(select(JobVersion.status).where(JobVersion.job_name == job.name,
                                                                  JobVersion.version == job.version)).first()
        if version != "active":
            if job.id not in self._held_back:
                self._held_back.add(job.id)
                self.emit("held", job=job.name, reason=f"version {job.version} is {version or 'missing'}")
            return []
        self._held_back.discard(job.id)
        try:
            spec = spec_of(job)
        except ConfigError as exc:
            session.execute(update(Job).where(Job.id == job.id).values(next_due_at=None))
            self.emit("invalid", job=job.name, error=exc.message)
            return []
        if job.next_due_at is None:   # not due (the query selects due jobs only)
            return []
        to_run, dropped, next_due = plan_catch_up(spec, job.next_due_at, moment, window=self.on_time_window)
        # Compare-and-set: only the replica that moves next_due_at from the value it read enqueues.
        if session.execute(update(Job).where(Job.id == job.id, Job.next_due_at == job.next_due_at)
                           .values(next_due_at=next_due)).rowcount != 1:
            return []
        if dropped:
            self.emit("skipped", job=job.name, missed=dropped, policy=spec.catch_up.policy)
        ids = []
        for occurrence in to_run:
            run = runs.new_run(job, trigger="schedule", parameters=spec.parameters, requested_by="scheduler",
                               executor=spec.executor, occurrence=occurrence, not_before=occurrence)
            if runs.insert_unique(session, run):
                ids.append(run.id)
                self.emit("enqueued", job=job.name, run=run.id, occurrence=runs.iso(occurrence))
        return ids

    # -- 3. watching runs -------------------------------------------------------------------------------
    def supervise(self) -> None:
        self._drain()
        if not self._tracked:
            return
        with self.store.session() as session:
            rows = {r.id: (r.status, r.cancel_requested) for r in session.execute(
                select(JobRun.id, JobRun.status, JobRun.cancel_requested).where(JobRun.id.in_(list(self._tracked))))}
        for run_id, tracked in list(self._tracked.items()):
            status, cancel_requested = rows.get(run_id, (None, False))
            if status is None:  # the job was deleted
                _stop(tracked.handle)
                self._untrack(run_id, "deleted")
            elif status != "running":  # the worker recorded its result (or another scheduler gave up on it)
                if not tracked.handle.done():
                    self._draining.append((tracked.handle, time.monotonic() + self.cancel_grace))
                self._untrack(run_id, status)
                self.follow_up(run_id)
            elif tracked.handle.done():
                outcome = tracked.handle.outcome() or "it exited without recording a result"
                self._end(run_id, "failed", f"the worker stopped: {outcome}")
            elif cancel_requested:
                self._cancel(tracked)
            elif tracked.timeout and time.monotonic() - tracked.started > tracked.timeout + self.timeout_grace:
                _stop(tracked.handle)
                self._end(run_id, "timed_out", f"the run exceeded its timeout of {tracked.timeout:g} s and was "
                          f"stopped by the scheduler ({self.timeout_grace:g} s later)")

    def _cancel(self, tracked: Tracked) -> None:
        """A cancel request: the worker stops by itself within a second or two; past `cancel_grace`
        the scheduler stops it hard."""
        if tracked.cancel_seen is None:
            tracked.cancel_seen = time.monotonic()
            self.emit("cancelling", job=tracked.job, run=tracked.run_id)
        elif time.monotonic() - tracked.cancel_seen > self.cancel_grace:
            _stop(tracked.handle)
            self._end(tracked.run_id, "cancelled", "cancelled by request")

    def _end(self, run_id: int, status: str, error: str) -> None:
        recorded = runs.finish(self.store, run_id, status, error=error)
        self._untrack(run_id, status if recorded else "finished")
        self.follow_up(run_id)

    def _untrack(self, run_id: int, status: str) -> None:
        tracked = self._tracked.pop(run_id, None)
        if tracked is not None:
            self.emit(status, job=tracked.job, run=run_id,
                      seconds=round(time.monotonic() - tracked.started, 2))

    def interrupt_all(self, reason: str) -> None:
        """Stop every run of this scheduler now: failed (so retried per policy), with `reason`."""
        for run_id, tracked in list(self._tracked.items()):
            _stop(tracked.handle)
            self._end(run_id, "failed", f"interrupted: the scheduler {self.name} stopped and {reason}")

    def renew(self) -> None:
        """Extend this scheduler's leases. A run it no longer holds (finished, declared lost by another
        scheduler, deleted) is noticed by the next `supervise`."""
        runs.renew(self.store, self.name, self._tracked, self.settings.lease_seconds)

    def _drain(self) -> None:
        """Workers whose run is over (recorded by them or by another scheduler) get `cancel_grace`
        seconds to exit (uploading artifacts, closing kernels); then they are stopped."""
        for handle, deadline in list(self._draining):
            if handle.done():
                self._draining.remove((handle, deadline))
            elif time.monotonic() > deadline:
                _stop(handle)
                self._draining.remove((handle, deadline))

    # -- 4. follow-ups ----------------------------------------------------------------------------------
    def follow_up(self, run_id: int) -> None:
        """Retry, trigger, alert, notify and prune after a run finished; done by exactly one scheduler
        (`take_followups`). Retries and triggered runs are written in the same transaction."""
        moment = runs.now()
        with self.store.session() as session, session.begin():
            run = runs.take_followups(session, run_id)
            if run is None:   # another scheduler took them
                return
            job = session.get(Job, run.job_id)
            if job is None:
                return
            try:
                spec = spec_of(job)
            except ConfigError as exc:
                self.emit("invalid", job=job.name, error=exc.message)
                return
            facts = run_facts(self.workspace, run, job.name)
            monitors: list[str] = []   # the monitors whose own alerts already tell this run's problem
            if run.status in ("succeeded", "failed"):
                checks = checks_of_run(session, run.id)
                if run.status == "succeeded":
                    with_checks(facts, checks)
                monitors = monitors_behind(facts["verdict"], facts.get("error"), checks["failed_checks"])
            retry = None
            if run.status in runs.FAILED and run.attempt <= spec.retries.max:
                delay = spec.retries.delay(run.attempt)
                retry = runs.new_run(job, trigger=run.trigger, parameters=run.parameters or {},
                                     requested_by=run.requested_by, executor=run.executor, occurrence=run.occurrence,
                                     attempt=run.attempt + 1, retry_of=run.id, version=run.version,
                                     not_before=moment + timedelta(seconds=delay))
                if not runs.insert_unique(session, retry):
                    retry = None
            # a run whose checks failed is no success for the jobs waiting on it: its data did not pass (as a
            # failed data test stops the downstream tasks in Airflow or Dagster)
            triggered = runs.trigger_after_success(session, job.name) if facts.get("verdict") == "succeeded" else []
        if retry is not None:
            self.emit("retry", job=job.name, run=retry.id, retry_of=run_id, attempt=retry.attempt,
                      delay=round(delay, 3))
        for name, new_id in triggered:
            self.emit("triggered", job=name, run=new_id, after=job.name)
        if facts.get("verdict") == "checks_failed":
            self.emit("not_triggered", job=job.name, run=run_id,
                      reason="its checks failed: jobs triggered after its success are not started")
        self.alert_and_notify(facts, spec, final=retry is None, monitors=monitors)
        self.apply_retention(job.id, job.name, spec.retention)

    def alert_and_notify(self, facts: dict, spec, *, final: bool, monitors: list[str] | None = None) -> None:
        """The alert feed gets every final failure, and every run whose notebook succeeded while checks it
        recorded failed (verdict `checks_failed`, its own alert `checks:JOB`, governed by the checked data);
        both resolve on the next clean success (the notebook and its checks passed). One incident per cause:
        when the whole problem is `monitors` the run ran (their failure failed the run, or they are all its
        failed checks), their alerts `monitor:NAME` already tell it, so they name the run instead of the run
        raising a second alert; such a succeeded run is clean for the job's own alerts. Webhooks and e-mail
        get the events the job's `notifications.on` lists (sent in the background); `failure` covers failed
        checks too, as a failed data check fails a pipeline in Airflow or Dagster (the payload's `verdict`
        tells them apart)."""
        key, status = run_alert_key(facts["job"]), facts["status"]
        # a monitor whose alert was resolved meanwhile (it passed since) covers nothing: the run alerts as before
        covered = bool(monitors) and (final or status not in runs.FAILED) and all(
            [self.alerts.add_detail(monitor_alert_key(name), run_facts_for_monitor(facts)) for name in monitors or []])
        event = None
        if status in runs.FAILED and final:
            if not covered:
                self.alerts.raise_alert(key=key, kind="run_failed", severity="error", title=facts["title"],
                                        detail=facts)
            event = "failure"
        elif facts.get("verdict") == "checks_failed":
            if covered:   # the job itself ran through: an earlier failure of its own is over
                for own in job_alert_keys(facts["job"]):
                    self.alerts.resolve(own)
            else:   # the failure alert of an earlier run stays open: the job has not had a clean run since
                self.alerts.raise_alert(key=checks_alert_key(facts["job"]), kind="checks_failed",
                                        severity="warning", title=facts["title"], detail=facts)
            event = "failure"
        elif status == "succeeded":
            recovered = sum(self.alerts.resolve(k) for k in job_alert_keys(facts["job"])) > 0
            event = "recovery" if recovered and "recovery" in spec.notifications.on else "success"
        if event is None or event not in spec.notifications.on:
            return
        # lazy: notifiers (SMTP, webhooks) only when a run alerts
        from aios_workbench.alerts.notify import notifiers_for

        title = {"failure": facts["title"], "success": f"job {facts['job']} succeeded (run {facts['run_id']})",
                 "recovery": f"job {facts['job']} recovered (run {facts['run_id']} succeeded)"}[event]
        targets = notifiers_for(self.workspace, spec.notifications)

        def send() -> None:
            facts_now = {**facts, "event": event, "title": title}
            sent = sum(bool(n.notify(title, facts.get("error") or "", event=facts_now)) for n in targets)
            self.emit("notified", job=facts["job"], run=facts["run_id"], notice=event, sent=sent, of=len(targets))

        self._notifications.submit(send)

    # -- 5. claiming ----------------------------------------------------------------------------------
    def claim_and_submit(self) -> list[int]:
        moment = runs.now()
        with self.store.session() as session:
            waiting = select(JobRun.job_id).where(JobRun.status == "queued", JobRun.not_before <= moment)
            caps = {job_id: int((spec or {}).get("max_concurrent") or 1) for job_id, spec in
                    session.execute(select(Job.id, Job.spec).where(Job.id.in_(waiting)))}
        if not caps:
            return []
        claimed = runs.claim(self.store, self.name, lease_seconds=self.settings.lease_seconds,
                             max_running=self.settings.max_concurrent_runs, free_slots=self._free_slots, caps=caps)
        for run in claimed:
            self._submit(run)
        return [run.run_id for run in claimed]

    def _submit(self, claimed: runs.ClaimedRun) -> None:
        with self.store.session() as session:
            job = session.get(Job, claimed.job_id)
        if job is None:  # deleted since the claim, with its runs
            return
        try:
            timeout = spec_of(job).timeout_seconds
            handle = self._executor(claimed.executor).submit(claimed.run_id)
        except Exception as exc:  # noqa: BLE001 - an unknown executor or a refused submit fails the run
            message = exc.message if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
            runs.finish(self.store, claimed.run_id, "failed",
                        error=f"could not start the run on executor {claimed.executor!r}: {message}")
            self.emit("failed", job=job.name, run=claimed.run_id, error=message)
            self.follow_up(claimed.run_id)
            return
        self._tracked[claimed.run_id] = Tracked(claimed.run_id, job.name, handle, claimed.executor,
                                                time.monotonic(), timeout)
        self.emit("started", job=job.name, run=claimed.run_id, executor=claimed.executor,
                  late=round(claimed.late_seconds, 3))

    def _executor(self, name: str) -> Executor:
        if self._fixed_executor is not None:
            if isinstance(self._fixed_executor, str):
                self._fixed_executor = self._make_executor(self._fixed_executor)
            if getattr(self._fixed_executor, "on_run_end", None) is None:
                self._fixed_executor.on_run_end = self._wake.set
            return self._fixed_executor
        if name not in self._executors:
            self._executors[name] = self._make_executor(name)
        return self._executors[name]

    def _make_executor(self, name: str) -> Executor:
        executor = get_executor(name, self.workspace)
        executor.on_run_end = self._wake.set   # a worker's end wakes the loop: its slot is reused at once
        return executor

    def _free_slots(self, name: str) -> int:
        try:
            executor = self._executor(name)
        except Exception:  # noqa: BLE001 - claimed anyway, so the run fails with the executor's error
            return 1
        free = getattr(executor, "free_slots", None)
        if callable(free):
            return free()
        return self.settings.pool_size - sum(1 for t in self._tracked.values() if t.executor == name)

    # -- 7. retention ---------------------------------------------------------------------------------
    def apply_retention(self, job_id: int, job_name: str, retention) -> list[int]:
        pruned = runs.prune_outputs(self.store, self.workspace.state_dir / "jobs", job_id, job_name, retention)
        if pruned:
            self.emit("pruned", job=job_name, runs=len(pruned))
        return pruned

    def apply_retention_everywhere(self) -> None:
        with self.store.session() as session:
            jobs = session.execute(select(Job.id, Job.name, Job.spec)).all()

        for job_id, name, spec in jobs:
            try:
                retention = Retention.model_validate((spec or {}).get("retention") or {})
            except ValueError:
                continue
            self.apply_retention(job_id, name, retention)

    # -- 6. leases, wake-ups, output ----------------------------------------------------------------------
    def _compute_next_wake(self, since: datetime) -> None:
        """Seconds until the next known due time, so a job fires on time between polls. Due times after
        `since` (the moment this tick enqueued at) count: one that passed while the tick ran is taken at
        once, not a poll later; those the tick already saw (a held-back job, a run waiting for a slot) wait."""
        moment = runs.now()
        with self.store.session() as session:
            due = session.scalar(select(func.min(Job.next_due_at)).where(Job.paused.is_(False),
                                                                         Job.next_due_at > since))
            ready = session.scalar(select(func.min(JobRun.not_before)).where(JobRun.status == "queued",
                                                                             JobRun.not_before > since))
        times = [t for t in (due, ready) if t is not None]
        self.next_wake = min([max(0.0, (t - moment).total_seconds()) + 0.005 for t in times]
                             + [self.settings.poll_seconds])
        self._wake_at = min(self._wake_at or float("inf"), time.monotonic() + self.next_wake)

    def emit(self, event: str, **fields) -> None:
        """One status line per event (or one JSON object per line with --json)."""
        from aios_workbench.core.logs import redact  # lazy: cheap (core.logs); only the event printer needs it

        fields = {k: v for k, v in fields.items() if v is not None}
        moment = runs.now()
        if self.json_lines:
            line = json.dumps({"at": moment.isoformat(), "event": event, "scheduler": self.name, **fields},
                              default=str)
        else:
            line = f"{moment:%H:%M:%S} {event:<10} " + " ".join(f"{k}={v}" for k, v in fields.items())
        with self._emit_lock:
            print(redact(line), file=self.out, flush=True)

    def close(self) -> None:
        self._notifications.shutdown(wait=True)
        for executor in self._executors.values():
            executor.shutdown()
        if self._fixed_executor is not None and not isinstance(self._fixed_executor, str):
            self._fixed_executor.shutdown()
        for handle, _ in self._draining:  # stopped by the shutdown: let them release their resources
            handle.done()
        self._draining.clear()
        self.store.close()


def _stop(handle) -> None:
    """Hard-stop a worker, then ask whether it is done, which lets the executor release what it held
    for it (the local executor's captured output)."""
    handle.cancel()
    handle.done()


def run_facts(workspace, run: JobRun, job_name: str) -> dict:
    """What a notification and an alert say about a run: never its parameters or secrets."""
    # lazy: connectors.secrets runs the connectors package, which loads DuckDB; only when a notification is built
    from aios_workbench.connectors.secrets import scrub
    from aios_workbench.core.logs import redact  # lazy: as above

    error = redact(scrub(run.error or "")).strip()
    summary = error.splitlines()[0][:300] if error else None
    output = run.html_path or run.output_path
    if output:
        try:
            output = str(Path(output).resolve().relative_to(workspace.root.resolve()))
        except ValueError:
            output = None
    return {"job": job_name, "run_id": run.id, "status": run.status, "verdict": run.status, "attempt": run.attempt,
            "trigger": run.trigger,
            "title": f"job {job_name} {RUN_WORDS.get(run.status, run.status)} (run {run.id}, attempt {run.attempt})",
            "error": summary, "output": output,
            "link": f"/aios/api/jobs/runs/output?id={run.id}&format=html"}


def with_checks(facts: dict, checks: dict) -> dict:
    """`facts` of a succeeded run with its verdict, and when checks it recorded failed, their figures, the
    datasets they read (which govern who sees the alert) and the title in words."""
    facts["verdict"] = "checks_failed" if checks["failed"] else "succeeded"
    if checks["failed"]:
        facts.update(checks={"total": checks["total"], "failed": checks["failed"]}, datasets=checks["datasets"],
                     failed_checks=[c["id"] for c in checks["failed_checks"]],
                     title=checks_failed_words(facts["job"], facts["run_id"], checks["failed"], checks["total"])[0])
    return facts
