"""One place for each business action: alerts and job control answer, refuse and audit the same whether
they are reached from the CLI, over REST (`aios serve`) or in-process (the local dashboard).

The module's workspace (from `tests.test_scheduler`) has users alice, bob and audra (an auditor) and one
job, `report`, created by alice; nothing here starts a kernel."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

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


# -- the job page and the cross-job runs list -----------------------------------------------------------------
def finished_runs(service, job: str, outcomes: list[str], *, failing_checks: tuple[int, ...] = ()) -> list[int]:
    """Finished runs of `job` with `outcomes` (oldest first); the runs at `failing_checks` (indexes) recorded a
    failing drift check in the ledger. Their ids."""
    from datetime import timedelta

    from aios_workbench.jobs import runs as job_runs
    from aios_workbench.store.models import CheckRun, Job

    ids = []
    with service.store.session() as session, session.begin():
        row = session.scalar(select(Job).where(Job.name == job))
        for index, status in enumerate(outcomes):
            run = job_runs.new_run(row, trigger="schedule", parameters={}, requested_by="scheduler", executor="local")
            started = job_runs.now()
            run.status, run.started_at = status, started
            run.finished_at = started + timedelta(seconds=6.315095)
            run.error = "the extract for today is missing" if status == "failed" else None
            session.add(run)
            session.flush()
            ids.append(run.id)
            if index in failing_checks:
                session.add(CheckRun(kind="drift", name="sales drift", status="fail", user="alice", job_run_id=run.id))
    return ids


def test_the_runs_of_every_job_page_newest_first_and_filter_by_verdict_and_job(ws, service, rest):
    make_job(ws, service.store, "nightly", "record")
    nightly = finished_runs(service, "nightly", ["succeeded", "failed", "succeeded", "succeeded"], failing_checks=(2,))
    report = finished_runs(service, "report", ["succeeded"])

    everything = service.jobs.all_runs("alice", limit=3)
    rest_status, over_rest = rest("GET", "jobs/runs?limit=3")
    older = service.jobs.all_runs("alice", limit=3, before_id=everything["next_before_id"])
    checks_failed = service.jobs.all_runs("alice", status="checks_failed")
    succeeded = service.jobs.all_runs("alice", status="succeeded", job="nightly")

    assert [r["id"] for r in everything["runs"]] == [report[0], nightly[3], nightly[2]]     # newest first
    assert [r["id"] for r in older["runs"]][:2] == [nightly[1], nightly[0]]
    assert rest_status == 200 and [r["id"] for r in over_rest["runs"]] == [r["id"] for r in everything["runs"]]
    assert [r["id"] for r in checks_failed["runs"]] == [nightly[2]] and checks_failed["next_before_id"] is None
    assert [r["id"] for r in succeeded["runs"]] == [nightly[3], nightly[0]]    # checks failed is not succeeded
    assert {r["job"] for r in succeeded["runs"]} == {"nightly"}
    assert everything["runs"][1]["trigger_words"] == "on schedule"
    # bob controls neither job: he sees that a run failed, not what its error quotes
    [failed] = [r for r in over_rest["runs"] + rest("GET", "jobs/runs?job=nightly&status=failed")[1]["runs"]
                if r["status"] == "failed"]
    assert failed["error"] == "(hidden)" and failed["output_path"] is None


def test_an_unknown_run_status_is_refused_naming_the_known_ones(rest):
    status, body = rest("GET", "jobs/runs?status=done")

    assert status == 400 and "checks_failed" in body["fix"], body


def test_a_job_says_its_settings_in_words_and_only_its_controllers_see_a_webhooks_path(ws, service, rest):
    make_job(ws, service.store, "notified", "record", retries={"max": 2}, cell_timeout_seconds=300,
             notifications={"on": ["failure", "success"], "emails": ["ops@example.com"],
                            "webhooks": ["https://hooks.example.com/T0/secret-token"]},
             triggers={"after_success": ["report"]})

    mine = service.jobs.show("alice", "notified")
    status, bobs = rest("GET", "jobs/job?name=notified")
    report = service.jobs.show("alice", "report")

    words = {(s["section"], s["label"]): s["value"] for s in mine["settings"]}
    assert words[("Retries", "Retries")] == "up to 2 more attempts"
    assert words[("Retries", "Wait between attempts")] == "30 s, ×2 each time, at most 1 h"
    assert words[("Time limits", "Whole notebook")] == "1 h" and words[("Time limits", "Each cell")] == "5 min"
    assert words[("Notifications", "On failure")] == (
        "the alert feed, ops@example.com and a webhook to hooks.example.com")
    assert words[("Notifications", "On recovery")] == "nobody"
    assert words[("Triggers", "Also runs after")] == "job report succeeds"
    assert "notified" in report["triggered_by_this"]
    assert "secret-token" not in json.dumps(mine["settings"])
    assert status == 200 and bobs["settings"] == mine["settings"]
    assert mine["spec"]["notifications"]["webhooks"] == ["https://hooks.example.com/T0/secret-token"]
    assert bobs["spec"]["notifications"]["webhooks"] == ["https://hooks.example.com/…"]


def test_each_version_says_what_it_changed_and_a_rollback_points_the_job_back(ws, service, rest):
    from aios_workbench.schemas.job_spec import JobSpec
    from aios_workbench.store.models import Job, JobVersion

    make_job(ws, service.store, "versioned", "record")
    with service.store.session() as session, session.begin():
        first = session.scalar(select(JobVersion).where(JobVersion.job_name == "versioned"))
        spec = JobSpec(name="versioned", retries={"max": 3}, parameters={"months": 6},
                       notifications={"webhooks": ["https://hooks.example.com/T0/secret-token"]}).to_json()
        session.add(JobVersion(job_name="versioned", version=2, digest="1" * 64, notebook=first.notebook,
                               snapshot_path=first.snapshot_path, parameter_schema=first.parameter_schema, spec=spec,
                               gates=[], status="active", datasets_read=[], promoted_by="alice"))
        job = session.scalar(select(Job).where(Job.name == "versioned"))
        job.version, job.spec = 2, spec

    mine = service.jobs.versions("alice", "versioned")["versions"]
    status, bobs = rest("GET", "jobs/versions?name=versioned")
    rolled = service.jobs.rollback("alice", "versioned", 1, surface="ui")

    assert [v["changes"] for v in mine][0] == []
    assert mine[1]["changes"] == ["the notebook's code changed since version 1", "parameter months: the notebook's "
                                  "default → 6", "retries: 0 → 3",
                                  "webhooks: none → https://hooks.example.com/…"]
    assert status == 200 and bobs["versions"][1]["changes"][-1] == "webhooks changed"
    assert rolled["version"] == 1 and service.jobs.show("alice", "versioned")["version"] == 1


def test_deleting_a_job_removes_it_and_its_runs_from_every_list(ws, service, rest):
    make_job(ws, service.store, "doomed", "record")
    finished_runs(service, "doomed", ["succeeded", "failed"])

    refused, body = rest("DELETE", "jobs/job?name=doomed")            # bob neither created it nor runs as it
    deleted = cli(ws, "jobs", "delete", "doomed", "--yes", "--json", user="alice")

    assert refused == 403 and "bob may not delete job 'doomed'" in body["message"]
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout)["runs_deleted"] == 2
    assert "doomed" not in [j["name"] for j in service.jobs.list("alice")]
    assert all(r["job"] != "doomed" for r in service.jobs.all_runs("alice", limit=500)["runs"])
    assert sorted(r["allowed"] for r in audit_of(service, "job_delete", "job:doomed")) == [False, True]


def test_the_dashboards_job_runs_read_as_the_sidebars(ws, service):
    from aios_workbench.surfaces.dashboard.pages.jobs import JOB_LINKS, run_rows, state_words

    make_job(ws, service.store, "worded", "record")
    [run_id] = finished_runs(service, "worded", ["succeeded"], failing_checks=(0,))

    [row] = run_rows(DashboardData(service, "alice").job_runs(job="worded"))
    [job] = [j for j in DashboardData(service, "alice").jobs() if j["name"] == "worded"]

    assert row["run"] == run_id and row["job"] == "worded" and row["version"] == 1
    assert row["outcome"] == "checks failed: the notebook succeeded, 1 of 1 checks it recorded failed (drift)"
    assert (row["trigger"], row["duration"]) == ("on schedule", "6.3 s")
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", row["started"]), row["started"]
    assert state_words(job) == "by hand or trigger only" and JOB_LINKS["job"]["urlPrefix"] == "?page=jobs&job="


def test_the_cli_lists_every_jobs_runs_as_rest_does(ws, rest):
    listed = json.loads(cli(ws, "runs", "ls", "--status", "failed", "--json").stdout)
    status, page = rest("GET", "jobs/runs?status=failed")
    text = cli(ws, "runs", "ls", "--job", "nightly").stdout

    assert status == 200 and [r["id"] for r in listed["runs"]] == [r["id"] for r in page["runs"]] != []
    assert {r["verdict"] for r in listed["runs"]} == {"failed"}
    assert "checks failed" in text and "6.3 s" in text and "nightly" in text


@pytest.mark.filterwarnings("ignore:Widget.name is deprecated:PendingDeprecationWarning")   # pages/common.table's
def test_the_dashboards_link_from_a_run_leads_to_its_job_first(ws, service):
    from aios_workbench.surfaces.dashboard.pages.jobs import JobsPage

    make_job(ws, service.store, "linked", "record", paused=True)
    finished_runs(service, "linked", ["failed"])
    page = JobsPage(DashboardData(service, "alice"))

    summary, runs = page._focus("linked").objects
    missing = page._focus("no_such_job")

    assert 'data-field="state">paused<' in summary.object and 'data-field="last run">failed<' in summary.object
    assert 'href="?page=jobs"' in summary.object
    assert list(runs.value["job"]) == ["linked"] and list(runs.value["duration"]) == ["6.3 s"]
    assert "There is no job no_such_job" in missing.object
