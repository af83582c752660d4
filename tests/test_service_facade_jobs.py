"""One place for each business action: alerts and job control answer, refuse and audit the same whether
they are reached from the CLI, over REST (`aios serve`) or in-process (the local dashboard).

The module's workspace (from `tests.test_scheduler`) has users alice, bob and audra (an auditor) and one
job, `report`, created by alice; nothing here starts a kernel."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from aios_workbench.core.errors import NotFound
from aios_workbench.service.core import WorkbenchService
from aios_workbench.service.dashboard.views import DashboardData
from tests.conftest import aios_serve, run_aios
from tests.test_scheduler import build_workspace, make_job

TOKEN = "facade-jobs-token"
AUDITED = ("user", "action", "target", "allowed", "detail")   # what an audit record says, besides its surface


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = build_workspace(tmp_path_factory.mktemp("facade-jobs") / "ws")
    service = WorkbenchService(ws, mode="local")
    try:
        make_job(ws, service.store, "report", "record", triggers={"on_monitor_failure": ["stock_drift"]})
    finally:
        service.close()
    return ws


@pytest.fixture
def service(ws):
    service = WorkbenchService(ws, mode="local")
    yield service
    service.close()


@pytest.fixture(scope="module")
def rest(ws):
    """Calls to `aios serve` on the workspace as bob: (verb, path, body) -> (status, JSON)."""
    with aios_serve(ws.root, token=TOKEN, user="bob") as url:
        def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
            request = urllib.request.Request(f"{url}/aios/api/{path}", method=method,
                                             data=None if body is None else json.dumps(body).encode(),
                                             headers={"Authorization": f"Bearer {TOKEN}"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as exc:
                with exc:   # closed here: an open error answer warns in a later test
                    return exc.code, json.loads(exc.read())

        yield call


def cli(ws, *args, user: str = "bob"):
    return run_aios("--workspace", str(ws.root), *args, env={"AIOS_USER": user})


def raise_alerts(service, *keys: str) -> list[int]:
    return [service.alerts.raise_alert(key=key, kind="run_failed", severity="error", title=f"{key} failed")["id"]
            for key in keys]


def audit_of(service, action: str, target: str) -> list[dict]:
    return [r for r in service.audit.query(action=action, limit=500) if r["target"] == target]


# -- alerts ---------------------------------------------------------------------------------------------------
def test_acknowledging_leaves_one_audit_record_of_the_same_shape_from_every_surface(ws, service, rest):
    by_cli, by_rest, by_dashboard = raise_alerts(service, "job:ack-cli", "job:ack-rest", "job:ack-dashboard")

    done = cli(ws, "alerts", "ack", str(by_cli), "--json")
    status, from_rest = rest("POST", "alerts/ack", {"id": by_rest})
    from_dashboard = DashboardData(service, "bob").acknowledge(by_dashboard)

    assert done.returncode == 0, done.stderr
    answers = [json.loads(done.stdout), from_rest, from_dashboard]
    assert status == 200
    assert [(a["id"], a["state"], a["acknowledged_by"]) for a in answers] == [
        (by_cli, "acknowledged", "bob"), (by_rest, "acknowledged", "bob"), (by_dashboard, "acknowledged", "bob")]
    assert len({frozenset(a) for a in answers}) == 1                      # one response shape everywhere
    for surface, alert, key in (("cli", by_cli, "job:ack-cli"), ("api", by_rest, "job:ack-rest"),
                                ("dashboard", by_dashboard, "job:ack-dashboard")):
        [record] = audit_of(service, "alert_ack", f"alert:{alert}")       # exactly one record each
        assert record["surface"] == surface
        assert {k: record[k] for k in AUDITED} == {"user": "bob", "action": "alert_ack", "target": f"alert:{alert}",
                                                   "allowed": True, "detail": {"key": key}}


def test_a_second_acknowledgement_keeps_the_first_the_same_way_on_every_surface(ws, service, rest):
    [alert] = raise_alerts(service, "job:ack-twice")
    cli(ws, "alerts", "ack", str(alert), "--json", user="alice")

    again = cli(ws, "alerts", "ack", str(alert), "--json")
    status, over_rest = rest("POST", "alerts/ack", {"id": alert})
    in_process = DashboardData(service, "audra").acknowledge(alert)

    assert again.returncode == 0 and status == 200
    for answer in (json.loads(again.stdout), over_rest, in_process):
        assert answer["state"] == "acknowledged" and answer["acknowledged_by"] == "alice"   # the first to look
    assert sorted(r["surface"] for r in audit_of(service, "alert_ack", f"alert:{alert}")) == [
        "api", "cli", "cli", "dashboard"]                                   # every attempt is on record


def test_an_unknown_alert_is_refused_the_same_way_on_every_surface(ws, service, rest):
    message = "there is no alert 99999"

    refused = cli(ws, "alerts", "ack", "99999")
    status, body = rest("POST", "alerts/ack", {"id": 99999})
    with pytest.raises(NotFound, match=message):
        DashboardData(service, "bob").acknowledge(99999)

    assert refused.returncode == 66 and message in refused.stderr
    assert status == 404 and body["error"] == "not_found" and body["message"] == message
    # refusals are audited alike for an unknown alert and one the caller may not see (no existence oracle)
    assert sorted((r["surface"], r["allowed"]) for r in audit_of(service, "alert_ack", "alert:99999")) == \
        [("api", False), ("cli", False), ("dashboard", False)]


def test_the_feed_and_its_counts_are_the_same_on_the_cli_and_over_rest(ws, service, rest):
    raise_alerts(service, "job:listed")

    listed = json.loads(cli(ws, "alerts", "ls", "--json", "--limit", "500").stdout)
    status, page = rest("GET", "alerts?limit=500")

    assert status == 200
    assert listed["counts"] == page["counts"] == service.alerts.counts("bob")
    assert [a["id"] for a in listed["alerts"]] == [a["id"] for a in page["alerts"]]
    assert DashboardData(service, "bob").alert_counts() == page["counts"]


def test_a_failing_monitor_keeps_one_alert_and_queues_its_retraining_job_once(service):
    failed = {"status": "fail", "ledger_id": 7, "items": [{"name": "stock", "status": "fail"},
                                                           {"name": "dataset drift", "status": "fail"}]}

    service.alerts.record_monitor_outcome("stock_drift", failed)
    service.alerts.record_monitor_outcome("stock_drift", failed)
    # the fake result names no dataset: an alert about unknown data is for auditors only
    [alert] = [a for a in service.alerts.list("audra", state="open") if a["key"] == "monitor:stock_drift"]
    runs = service.jobs.run_history("report")
    service.alerts.record_monitor_outcome("stock_drift", {"status": "pass", "items": []})

    assert alert["kind"] == "monitor_failed" and alert["count"] == 2 and alert["detail"]["drifted"] == ["stock"]
    assert [(r["trigger"], r["status"]) for r in runs] == [("monitor:stock_drift", "queued")]   # one, not two
    assert service.alerts.feed.get(alert["id"])["state"] == "resolved"
    service.jobs.cancel("alice", runs[0]["id"], surface="cli")


# -- job control ----------------------------------------------------------------------------------------------
def test_job_control_is_refused_and_audited_alike_from_the_cli_and_over_rest(ws, service, rest):
    by_cli = cli(ws, "jobs", "pause", "report")
    status, body = rest("POST", "jobs/pause", {"name": "report"})

    assert by_cli.returncode == 77 and status == 403 and body["error"] == "permission_denied"
    assert body["message"] in by_cli.stderr and "bob may not pause job 'report'" in body["message"]
    denied = [r for r in audit_of(service, "job_pause", "job:report") if r["user"] == "bob"]
    assert sorted(r["surface"] for r in denied) == ["api", "cli"]
    assert {json.dumps({k: r[k] for k in AUDITED}, sort_keys=True) for r in denied} == {json.dumps(
        {"user": "bob", "action": "job_pause", "target": "job:report", "allowed": False,
         "detail": {"reason": "not the creator, the identity or an auditor"}}, sort_keys=True)}


def test_what_a_job_shows_is_the_same_on_the_cli_and_over_rest(ws, rest):
    listed = json.loads(cli(ws, "jobs", "ls", "--json").stdout)
    status, over_rest = rest("GET", "jobs")
    shown = json.loads(cli(ws, "jobs", "show", "report", "--json").stdout)
    status_shown, shown_rest = rest("GET", "jobs/job?name=report")

    assert status == status_shown == 200
    assert listed == over_rest["jobs"] and listed[0]["can_control"] is False    # bob may read, not control
    for data in (shown, shown_rest):   # a set in the spec: its order is each process's own
        data["spec"]["notifications"]["on"] = sorted(data["spec"]["notifications"]["on"])
    assert {k: v for k, v in shown.items() if k != "recent_runs"} == {
        k: v for k, v in shown_rest.items() if k != "recent_runs"}
