"""A monitor that fails inside a job run is one incident: the monitor's alert, naming the run.

The demo's daily job `monitor_shipments` (notebook 04) runs the monitor `shipments_monthly_drift`, which fails on
the demo data (`lead_time_days` drifted). The run's notebook succeeds (verdict `checks_failed`), or fails when
asked to (`fail_on_drift`), in both cases because of the monitor alone: the monitor's alert `monitor:NAME` is the
alert people act on (its evidence, its dataset governing who sees it, its own resolution when the monitor
passes), so the run raises no second alert of its own (`checks:JOB`, `job:JOB`); the monitor's alert names the
run. The demo's `supply_risk` job, whose threshold monitor fires as designed after a successful scoring run, is
one alert too: the monitor's, with its evidence and its app. Runs here go through a real scheduler
(`Scheduler.tick`, local executor, real kernels).
"""

from __future__ import annotations

import contextlib
import io

import pytest

from tests.conftest import copy_demo_workspace
from tests.test_checks_failed_alert import job_id_of
from tests.test_scheduler import queue_run, rows, tick_until

JOB = "monitor_shipments"
MONITOR = "shipments_monthly_drift"


@pytest.fixture(scope="module")
def demo(demo_workspace, tmp_path_factory):
    from aios_workbench.demo.prepare import promote_demo_job

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("monitor-in-job") / "demo")
    promote_demo_job(ws, progress=False)   # its validation run runs outside the scheduler: no alert of the run
    return ws


@pytest.fixture(scope="module")
def service(demo):
    from aios_workbench.service.core import WorkbenchService

    with contextlib.closing(WorkbenchService(demo, mode="test")) as svc:
        yield svc


def job_id(service) -> int:
    return job_id_of(service, JOB)


def set_parameters(service, **values) -> None:
    from aios_workbench.store.models import Job

    with service.store.session() as session, session.begin():
        job = session.get(Job, job_id(service))
        job.spec = {**job.spec, "parameters": {**(job.spec.get("parameters") or {}), **values},
                    "retries": {"max": 0}}


def run_once(demo, service) -> int:
    return run_under_a_scheduler(demo, service, job_id(service))


def run_under_a_scheduler(ws, service, job: int) -> int:
    """Queue a run of `job` and tick a real scheduler until the run ended and its follow-ups (alerts) are done."""
    from aios_workbench.scheduler.loop import Scheduler
    from aios_workbench.store.models import JobRun

    run_id = queue_run(service.store, job)
    scheduler = Scheduler(ws, name="monitor-in-job", out=io.StringIO())
    try:
        def followed_up() -> bool:
            with service.store.session() as session:
                run = session.get(JobRun, run_id)
                return run.status not in ("queued", "running") and run.lease_until is None   # follow-ups taken
        tick_until(scheduler, followed_up, timeout=180, what=f"run {run_id} and its follow-ups")
    finally:
        scheduler.close()
    return run_id


def unresolved(service) -> dict[str, dict]:
    return {a["key"]: a for a in service.alerts.feed.list(limit=500) if a["state"] != "resolved"}


def test_a_monitor_failing_in_a_run_that_succeeded_is_one_alert_naming_the_run(demo, service):
    set_parameters(service, fail_on_drift=False)

    run_id = run_once(demo, service)

    [run] = [r for r in rows(service.store) if r.id == run_id]
    assert run.status == "succeeded", run.error
    assert service.jobs.run("alice", run_id)["verdict"] == "checks_failed"   # the run's verdict says it still
    alerts = unresolved(service)
    assert sorted(alerts) == [f"monitor:{MONITOR}"], alerts                   # not also checks:monitor_shipments
    [shown] = [a for a in service.alerts.list("alice") if a["key"] == f"monitor:{MONITOR}"]
    assert (shown["detail"]["job"], shown["detail"]["run_id"]) == (JOB, run_id)
    assert shown["cause"]["label"].endswith(f"in run {run_id} of job {JOB}"), shown["cause"]
    assert [a for a in service.alerts.list("bob") if a["key"] == f"monitor:{MONITOR}"] == []   # still its data's


def test_a_run_that_failed_because_its_monitor_failed_is_one_alert_naming_the_run(demo, service):
    set_parameters(service, fail_on_drift=True)   # the notebook raises CheckFailed on the drifted monitor

    run_id = run_once(demo, service)

    [run] = [r for r in rows(service.store) if r.id == run_id]
    assert run.status == "failed" and "CheckFailed" in run.error and f"monitor:{MONITOR}" in run.error
    alerts = unresolved(service)
    assert sorted(alerts) == [f"monitor:{MONITOR}"], alerts                   # not also job:monitor_shipments
    monitor = alerts[f"monitor:{MONITOR}"]
    assert (monitor["detail"]["job"], monitor["detail"]["run_id"]) == (JOB, run_id)
    [shown] = [a for a in service.alerts.list("alice") if a["key"] == f"monitor:{MONITOR}"]
    assert shown["cause"]["label"].endswith(f"in run {run_id} of job {JOB}, which failed"), shown["cause"]


def test_the_job_s_own_alert_resolves_when_only_its_monitor_still_fails(demo, service):
    """An earlier failure of the job itself (a crash) ends when the job runs through again, even while its
    monitor keeps finding drift: that is the monitor's incident, still open."""
    from aios_workbench.alerts import run_alert_key

    service.alerts.feed.raise_alert(key=run_alert_key(JOB), kind="run_failed", severity="error",
                                    title=f"job {JOB} failed (run 1, attempt 1)", detail={"job": JOB})
    set_parameters(service, fail_on_drift=False)

    run_once(demo, service)

    assert sorted(unresolved(service)) == [f"monitor:{MONITOR}"]


def test_failed_checks_other_than_monitors_still_raise_the_run_s_alert():
    """Which failures the run's own alert is about: those no monitor's alert covers (pure rule)."""
    from aios_workbench.alerts.incidents import monitors_behind

    monitor = {"name": f"monitor:{MONITOR}", "status": "fail"}
    suite = {"name": "shipments_basics", "status": "fail"}
    crash = "cell 3 raised ZeroDivisionError: division by zero"
    raised = f"cell 5 raised CheckFailed: drift check 'monitor:{MONITOR}' failed: lead_time_days"

    assert monitors_behind("checks_failed", None, [monitor]) == [MONITOR]
    assert monitors_behind("checks_failed", None, [monitor, suite]) == []     # the suite's failure is the run's
    assert monitors_behind("failed", raised, [monitor]) == [MONITOR]
    assert monitors_behind("failed", crash, [monitor]) == []                  # it failed for another reason
    assert monitors_behind("succeeded", None, []) == []


# -- the procurement story: the daily scoring job's threshold monitor fires as designed -------------------------
@pytest.fixture(scope="module")
def supply(demo_workspace, tmp_path_factory):
    """A copy with the champion model and the daily job `supply_risk` (`tests/test_supply_risk.py` prepares the
    same): the disruption puts a dozen open orders past the monitor's threshold."""
    from aios_workbench.demo.prepare import promote_demo_job
    from aios_workbench.demo.story import SUPPLY_RISK_JOB, ensure_supply_risk_model
    from aios_workbench.service.core import WorkbenchService
    from tests.test_supply_risk import forget_the_model

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("supply-in-job") / "demo")
    forget_the_model(ws)
    ensure_supply_risk_model(ws, say=lambda _: None)
    promote_demo_job(ws, progress=False, job=SUPPLY_RISK_JOB)
    svc = WorkbenchService(ws, mode="test")
    yield ws, svc
    svc.close()


def test_the_supply_risk_alert_stays_one_alert_when_the_daily_job_runs_under_the_scheduler(supply):
    from aios_workbench.store.models import Job
    from tests.test_supply_risk import EVIDENCE

    ws, service = supply
    with service.store.session() as session:
        [job] = session.query(Job).filter(Job.name == "supply_risk").all()

    run_id = run_under_a_scheduler(ws, service, job.id)

    assert service.jobs.run("alice", run_id)["status"] == "succeeded"
    alerts = unresolved(service)
    assert sorted(alerts) == ["monitor:supply_risk"], alerts                   # not also checks:supply_risk
    [shown] = [a for a in service.alerts.list("olivia") if a["key"] == "monitor:supply_risk"]
    assert EVIDENCE.match(shown["title"]), shown["title"]
    assert shown["detail"]["link"]["app"] == "switch_suppliers" and shown["detail"]["run_id"] == run_id
    assert [r["kind"] for r in shown["related"]] == ["job_run", "app"]
