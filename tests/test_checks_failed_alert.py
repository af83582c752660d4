"""A job run whose notebook succeeded while checks it recorded failed raises an alert, and says why.

A job over the demo shipments (fixture notebook `checks_and_monitor`: the monitor and a strict quality suite, each
recorded, neither raised) runs under a real `aios scheduler --once`: the demo data drifts on `lead_time_days` and
has more rows than the suite allows, so the run's notebook succeeds and both checks fail (verdict
`checks_failed`). The alert names the run and its failed checks in words, in the feed, in `aios alerts ls` and in
the MCP `explain_alert`; bob (an analyst who may not read shipments) does not see it; the next clean run (the
monitor without the drifting column, the suite relaxed) resolves it. (A run whose only failed checks are
monitors raises no alert of its own: the monitors' alerts tell it, `tests/test_alerts_monitor_in_job.py`.)
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import copy_demo_workspace, run_aios
from tests.mcp_client import call, over_stdio
from tests.test_alerts import Receiver
from tests.test_scheduler import make_job, queue_run, rows

MONITOR = "shipments_monthly_drift"
SUITE = "shipments_strict"   # a quality suite the demo shipments fail (too many rows)


def declare_suite(demo, max_rows: int) -> None:
    checks = demo.root / "governance" / "checks.yaml"
    declared = yaml.safe_load(checks.read_text())
    declared["suites"][SUITE] = {"dataset": "shipment_files.main.shipments", "rules": [{"row_count": {"max": max_rows}}]}
    checks.write_text(yaml.safe_dump(declared, sort_keys=False))


@pytest.fixture(scope="module")
def demo(demo_workspace, tmp_path_factory):
    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("checks-alert") / "demo")
    declare_suite(ws, max_rows=10)
    return ws


@pytest.fixture(scope="module")
def service(demo):
    from aios_workbench.service.core import WorkbenchService

    svc = WorkbenchService(demo, mode="test")
    yield svc
    svc.close()


def job_id_of(service, name: str) -> int:
    from sqlalchemy import select

    from aios_workbench.store.models import Job

    with service.store.session() as session:
        return session.scalar(select(Job.id).where(Job.name == name))


def run_under_the_scheduler(demo, service) -> int:
    run_id = queue_run(service.store, job_id_of(service, "monitor_shipments"))
    done = run_aios("--workspace", str(demo.root), "scheduler", "--once", "--json", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = [r for r in rows(service.store) if r.id == run_id]
    assert run.status == "succeeded", run.error
    return run_id


@pytest.fixture(scope="module")
def webhook():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def checked_run(demo, service, webhook):
    """The job, notifying `webhook` of failures and recoveries, run once: its monitor and its suite fail. A job
    waits for its success (`report_after_monitor`)."""
    from aios_workbench.store.models import Job

    make_job(demo, service.store, "monitor_shipments", "checks_and_monitor")
    make_job(demo, service.store, "report_after_monitor", "record",
             triggers={"after_success": ["monitor_shipments"]})
    with service.store.session() as session, session.begin():
        job = session.get(Job, job_id_of(service, "monitor_shipments"))
        job.spec = {**job.spec, "notifications": {"on": ["failure", "recovery"], "webhooks": [webhook.url]}}
    return run_under_the_scheduler(demo, service)


def checks_alerts(service, user: str, state: str | None = None) -> list[dict]:
    return [a for a in service.alerts.list(user, state=state) if a["kind"] == "checks_failed"]


def test_the_alert_says_the_notebook_ran_and_how_many_checks_failed_with_its_cause(service, checked_run):
    run = service.jobs.run("alice", checked_run)
    failed, total = run["checks"]["failed"], run["checks"]["total"]
    [alert] = checks_alerts(service, "alice")

    assert run["verdict"] == "checks_failed" and failed >= 1 and total >= 2
    assert alert["title"] == (f"job monitor_shipments: the notebook ran, {failed} of {total} checks failed "
                              f"(run {checked_run})")
    assert (alert["key"], alert["severity"], alert["state"]) == ("checks:monitor_shipments", "warning", "open")
    assert alert["detail"]["verdict"] == "checks_failed"
    assert "shipment_files.main.shipments" in alert["detail"]["datasets"]
    assert "parameters" not in alert["detail"]
    cause = alert["cause"]
    assert (cause["kind"], cause["id"]) == ("job_run", str(checked_run))
    assert cause["label"] == (f"Run {checked_run} of job monitor_shipments: the notebook ran to its end, "
                              f"{failed} of {total} checks it recorded failed")
    assert cause["target"]["opens"] == "job_run_output"          # alice promoted the job: its output opens
    monitor = [r for r in alert["related"] if r["kind"] == "check_result" and r["target"]["check"] == f"monitor:{MONITOR}"]
    assert monitor and monitor[0]["label"].startswith(f"Monitor {MONITOR} ")


def test_the_jobs_waiting_for_its_success_are_not_started(service, checked_run):
    assert rows(service.store, job_id_of(service, "report_after_monitor")) == []


def test_failed_checks_are_notified_as_a_failure_with_their_verdict(service, checked_run, webhook):
    [alert] = checks_alerts(service, "alice")

    [sent] = [r["body"] for r in webhook.received]

    assert (sent["event"], sent["verdict"], sent["status"], sent["run_id"]) == ("failure", "checks_failed",
                                                                               "succeeded", checked_run)
    assert sent["title"] == alert["title"] and sent["checks"]["failed"] >= 1
    assert "parameters" not in sent


def test_a_user_who_may_not_read_the_checked_data_does_not_see_the_alert(service, checked_run):
    from aios_workbench.core.errors import NotFound

    [alert] = checks_alerts(service, "alice")

    assert checks_alerts(service, "bob") == []                  # bob: purchasing and suppliers only
    with pytest.raises(NotFound, match=f"there is no alert {alert['id']}"):
        service.alerts.acknowledge("bob", alert["id"], surface="cli")
    seen = service.alerts.counts("alice")["open"] - service.alerts.counts("bob")["open"]
    assert seen >= 1                                            # not even counted for bob


def test_aios_alerts_ls_prints_the_cause_in_words_and_json_keeps_its_structure(demo, service, checked_run):
    [alert] = checks_alerts(service, "alice")

    text = run_aios("--workspace", str(demo.root), "alerts", "ls", env={"AIOS_USER": "alice"})
    as_json = run_aios("--workspace", str(demo.root), "alerts", "ls", "--json", env={"AIOS_USER": "alice"})
    as_bob = run_aios("--workspace", str(demo.root), "alerts", "ls", env={"AIOS_USER": "bob"})

    assert text.returncode == 0, text.stderr
    assert f"cause: {alert['cause']['label']}" in text.stdout
    assert f"  - Monitor {MONITOR} " in text.stdout
    [shown] = [a for a in json.loads(as_json.stdout)["alerts"] if a["id"] == alert["id"]]
    assert shown["cause"]["target"]["run_id"] == checked_run and shown["related"]
    assert as_bob.returncode == 0 and "checks failed" not in as_bob.stdout and alert["title"] not in as_bob.stdout


def test_explain_alert_gives_the_cause_in_words_and_the_calls_it_implies(demo, service, checked_run):
    from aios_workbench.service.tokens import ServiceTokens

    [alert] = checks_alerts(service, "alice")
    tokens = ServiceTokens(demo.state_dir)
    limits = {"calls_per_minute": 10_000, "max_rows": 10_000}
    _, alices = tokens.add("alice-assistant", agent={"on_behalf_of": "alice", "limits": limits})
    _, bobs = tokens.add("bob-assistant", agent={"on_behalf_of": "bob", "limits": limits})

    async def script(session):
        return await call(session, "explain_alert", alert_id=alert["id"])

    failed, text, data = over_stdio(demo.root, alices, script)
    refused, why, _ = over_stdio(demo.root, bobs, script)

    assert not failed, text
    assert data["cause"].startswith(f"Caused by: Run {checked_run} of job monitor_shipments: the notebook ran")
    assert f"Failed checks: Monitor {MONITOR} " in data["cause"]
    assert data["next"][0].startswith(f"job_run(run_id={checked_run})")
    assert "describe_dataset(dataset='shipment_files.main.shipments')" in " ".join(data["next"])
    assert "job_status(job='monitor_shipments')" in " ".join(data["next"])
    assert refused and f"no alert {alert['id']}" in why


def test_the_next_clean_run_resolves_the_alert(demo, service, checked_run, webhook):
    checks = demo.root / "governance" / "checks.yaml"
    declared = yaml.safe_load(checks.read_text())
    declared["monitors"][MONITOR]["columns"] = ["carrier"]   # the drifting lead_time_days no longer watched
    checks.write_text(yaml.safe_dump(declared, sort_keys=False))
    declare_suite(demo, max_rows=10_000_000)

    clean = run_under_the_scheduler(demo, service)

    assert service.jobs.run("alice", clean)["verdict"] == "succeeded"
    recovery = webhook.received[-1]["body"]
    assert (recovery["event"], recovery["run_id"]) == ("recovery", clean)
    assert checks_alerts(service, "alice", state="open") == []
    [resolved] = checks_alerts(service, "alice", state="resolved")
    assert resolved["detail"]["run_id"] == checked_run and resolved["resolved_at"]


@pytest.mark.parametrize(("events", "says"), [
    (["checks_failed"], "runs whose checks failed are sent as `failure`"),
    (["failure", "sucess"], "unknown notification event 'sucess': use failure, recovery or success"),
])
def test_a_notification_event_that_does_not_exist_is_refused_with_the_fix(events, says):
    from pydantic import ValidationError

    from aios_workbench.schemas.job_spec import JobSpec

    with pytest.raises(ValidationError, match=says):
        JobSpec(name="nightly", notifications={"on": events})
    assert JobSpec(name="nightly", notifications={"on": ["failure"]}).notifications.on == {"failure"}


def test_a_reader_who_does_not_control_the_job_sees_its_failed_checks_without_their_values(service, checked_run):
    """olivia reads shipments (the alert is hers to see) but did not promote the job: a failed check named after
    its SQL reaches her as the ledger shows verdicts to readers whose view may differ from the runner's."""
    from aios_workbench.store.models import CheckRun, CheckRunDataset

    shipments = "shipment_files.main.shipments"
    name = (f"drift SELECT * FROM {shipments} WHERE carrier = 'Baltic Carriers' -> "
            f"SELECT * FROM {shipments} WHERE carrier = 'Nordic Freight'")
    with service.store.session() as session, session.begin():
        row = CheckRun(kind="drift", name=name, status="fail", user="alice", job_run_id=checked_run)
        session.add(row)
        session.flush()
        session.add(CheckRunDataset(check_run_id=row.id, dataset=shipments))
        added = row.id
    try:
        def evidence(user: str) -> str:
            [alert] = checks_alerts(service, user)
            return json.dumps([alert["cause"], alert["related"]])

        assert "Baltic Carriers" in evidence("alice")          # her job: its checks as recorded
        for_olivia = evidence("olivia")
        assert str(added) in for_olivia                         # the check is there, as evidence
        assert "Baltic Carriers" not in for_olivia and "Nordic Freight" not in for_olivia
    finally:
        with service.store.session() as session, session.begin():
            session.query(CheckRun).filter(CheckRun.id == added).delete()


def test_deleting_a_job_resolves_every_alert_it_raised_about_itself(service, checked_run):
    """Both of a job's alerts (failed runs, failed checks) go when the job goes: nothing is left to fix."""
    from aios_workbench.alerts import checks_alert_key, run_alert_key

    job = "report_after_monitor"
    for key, kind in ((run_alert_key(job), "run_failed"), (checks_alert_key(job), "checks_failed")):
        service.alerts.feed.raise_alert(key=key, kind=kind, title=f"{kind} of {job}", detail={"job": job})

    service.jobs.delete("alice", job, surface="cli")

    mine = [a for a in service.alerts.feed.list(state=None) if a["key"] in (run_alert_key(job), checks_alert_key(job))]
    assert sorted(a["state"] for a in mine) == ["resolved", "resolved"]
