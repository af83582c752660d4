"""`aios jobs|runs|alerts|scheduler` and the jobs REST API, on a workspace whose runs really executed.

The module's workspace has two jobs created by alice: `report` (succeeds) and `broken` (raises in a
cell). Their first runs are executed by `aios scheduler --once`. bob may read but not control them;
audra holds a role with `audit: true` and may control everything.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aios_workbench.store import open_store
from tests.conftest import aios_serve, run_aios, stop
from tests.test_scheduler import build_workspace, make_job, rows, start_scheduler

TOKEN = "job-cli-test-token"


def aios(ws, *args, user: str = "alice", timeout: float = 300):
    return run_aios("--workspace", str(ws.root), *args, env={"AIOS_USER": user}, timeout=timeout)


def as_json(result) -> dict | list:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The workspace, after `aios scheduler --once` executed one run of each job."""
    root = tmp_path_factory.mktemp("jobs-cli") / "ws"
    ws = build_workspace(root, pool_size=2, max_concurrent_runs=4)
    store = open_store(ws.metadata_url)
    make_job(ws, store, "report", "record", parameters={"label": "default"})
    make_job(ws, store, "broken", "fail")
    store.close()
    for name in ("report", "broken"):
        as_json(aios(ws, "jobs", "run", name, "--json"))
    once = aios(ws, "scheduler", "--once", "--json", "--name", "once", timeout=300)
    assert once.returncode == 0, once.stdout + once.stderr
    events = [json.loads(line)["event"] for line in once.stdout.splitlines()]
    assert events.count("started") == 2 and events[-1] == "down", events
    return ws


def run_of(ws, job: str, index: int = 0):
    return as_json(aios(ws, "jobs", "history", job, "--json"))[::-1][index]


# -- CLI ------------------------------------------------------------------------------------------------------
def test_ls_and_show_describe_jobs_and_their_last_run(executed):
    listed = {j["name"]: j for j in as_json(aios(executed, "jobs", "ls", "--json"))}
    text = aios(executed, "jobs", "ls").stdout
    shown = as_json(aios(executed, "jobs", "show", "report", "--json"))

    assert listed["report"]["last_run"]["status"] == "succeeded" and listed["broken"]["last_run"]["status"] == "failed"
    assert listed["report"]["schedule"] == "manual only" and listed["report"]["can_control"] is True
    assert "report" in text and "succeeded #" in text
    assert shown["spec"]["parameters"] == {"label": "default"} and shown["version_status"] == "active"
    assert shown["recent_runs"][0]["status"] == "succeeded"


def test_runs_show_log_and_open_point_at_the_executed_notebook(executed):
    ok, failed = run_of(executed, "report"), run_of(executed, "broken")

    shown = as_json(aios(executed, "runs", "show", str(failed["id"]), "--json"))
    log = aios(executed, "runs", "log", str(ok["id"]))
    opened = aios(executed, "runs", "open", str(ok["id"]))
    html = as_json(aios(executed, "runs", "open", str(ok["id"]), "--html", "--json"))

    assert shown["status"] == "failed" and shown["failing_cell"]["ename"] == "ValueError"
    assert shown["progress"]["cells_total"] >= 3
    told = aios(executed, "runs", "show", str(failed["id"])).stdout
    assert "failing cell: cell 4 of the notebook" in told and "raise ValueError(reason)" in told   # 1-based, as seen
    assert "code cells run" in told and told.count("broken on purpose") == 1   # the error once, not twice
    assert log.returncode == 0 and "recorded" in log.stdout
    path = Path(opened.stdout.strip())
    assert opened.returncode == 0 and path.name == "output.ipynb" and path.is_file()
    assert f"jobs/report/runs/{ok['id']}" in str(path)
    assert json.loads(path.read_text())["cells"]
    assert html["path"].endswith("output.html") and Path(html["path"]).is_file()


def test_a_failed_run_is_in_the_alert_feed_and_can_be_acknowledged(executed):
    feed = as_json(aios(executed, "alerts", "ls", "--json"))
    [alert] = [a for a in feed["alerts"] if a["key"] == "job:broken"]
    assert alert["kind"] == "run_failed" and alert["state"] in ("open", "acknowledged")

    acked = as_json(aios(executed, "alerts", "ack", str(alert["id"]), "--json", user="bob"))

    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "bob"
    assert "acknowledged" in aios(executed, "alerts", "ls", "--state", "acknowledged").stdout


def test_run_wait_follows_the_run_with_a_progress_bar_and_exits_1_on_failure(executed):
    process, _ = start_scheduler(executed, "waiter", "scheduler-job-cli.log")
    try:
        good = aios(executed, "jobs", "run", "report", "-p", "label=waited", "--wait")
        bad = aios(executed, "jobs", "run", "broken", "--wait", "--json")
    finally:
        stop(process)

    assert good.returncode == 0, good.stdout + good.stderr
    assert "SUCCEEDED" in good.stdout and "label='waited'" in good.stdout
    assert "cell" in good.stderr and "run " in good.stderr                  # tqdm's bar: run N ... cell
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["status"] == "failed"


def test_bad_parameters_unknown_jobs_and_other_users_get_clear_errors(executed):
    unknown_parameter = aios(executed, "jobs", "run", "report", "-p", "colour=red")
    not_a_pair = aios(executed, "jobs", "run", "report", "-p", "label")
    unknown_job = aios(executed, "jobs", "show", "nope")
    not_allowed = aios(executed, "jobs", "pause", "report", user="bob")

    assert unknown_parameter.returncode == 64 and "colour" in unknown_parameter.stderr
    assert "label" in unknown_parameter.stderr                        # the known ones are listed
    assert not_a_pair.returncode == 64 and "is not key=value" in not_a_pair.stderr
    assert unknown_job.returncode == 66 and "there is no job 'nope'" in unknown_job.stderr
    assert not_allowed.returncode == 77 and "bob may not pause job 'report'" in not_allowed.stderr
    assert "audit: true" in not_allowed.stderr


def test_pause_resume_cancel_rerun_and_an_auditor_in_control(executed):
    paused = as_json(aios(executed, "jobs", "pause", "report", "--json"))
    resumed = as_json(aios(executed, "jobs", "resume", "report", "--json", user="audra"))
    queued = as_json(aios(executed, "jobs", "run", "report", "--json", user="audra"))
    cancelled = as_json(aios(executed, "jobs", "cancel", str(queued["id"]), "--json"))
    again = aios(executed, "jobs", "cancel", str(queued["id"]))
    rerun = as_json(aios(executed, "runs", "rerun", str(run_of(executed, "report")["id"]), "--json"))

    assert paused["paused"] is True and resumed["paused"] is False
    assert queued["requested_by"] == "audra" and queued["status"] == "queued"
    assert cancelled["status"] == "cancelled"
    assert again.returncode == 64 and "already cancelled" in again.stderr
    assert rerun["trigger"].startswith("rerun:") and rerun["parameters"] == {"label": "default"}
    as_json(aios(executed, "jobs", "cancel", str(rerun["id"]), "--json"))


def test_every_command_has_help_and_json():
    for command in (["jobs", "ls"], ["jobs", "show"], ["jobs", "run"], ["jobs", "cancel"], ["jobs", "pause"],
                    ["jobs", "resume"], ["jobs", "delete"], ["jobs", "history"], ["runs", "show"], ["runs", "log"],
                    ["runs", "ls"], ["runs", "open"], ["runs", "rerun"], ["alerts", "ls"], ["alerts", "ack"], ["scheduler"]):
        result = run_aios(*command, "--help")
        assert result.returncode == 0 and "--json" in result.stdout, command


# -- REST -----------------------------------------------------------------------------------------------------
def call(url: str, path: str, *, method: str = "GET", body: dict | None = None, token: str | None = TOKEN):
    request = urllib.request.Request(f"{url}/aios/api/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:   # closed here: an open error answer warns in a later test
            return exc.code, exc.read(), dict(exc.headers)


def test_rest_as_a_user_who_may_not_control_the_jobs(executed):
    run_id = run_of(executed, "report")["id"]
    with aios_serve(executed.root, token=TOKEN, user="bob") as url:
        unauthenticated = call(url, "jobs", token=None)
        listed = call(url, "jobs")
        history = call(url, "jobs/history?name=broken")
        forbidden = {path: call(url, path, method=method, body=body)[0] for path, method, body in [
            ("jobs/run", "POST", {"name": "report"}),
            ("jobs/pause", "POST", {"name": "report"}),
            ("jobs/job?name=report", "DELETE", None),
            ("jobs/runs/cancel", "POST", {"id": run_id}),
            ("jobs/runs/rerun", "POST", {"id": run_id}),
            (f"jobs/runs/output?id={run_id}", "GET", None),
            (f"jobs/runs/log?id={run_id}", "GET", None)]}
        missing = call(url, "jobs/job?name=nope")
        missing_run = call(url, "jobs/runs/run?id=99999")

    assert unauthenticated[0] == 401
    assert listed[0] == 200 and all(j["can_control"] is False for j in json.loads(listed[1])["jobs"])
    [failed] = json.loads(history[1])["runs"][-1:]
    assert failed["status"] == "failed" and failed["error"] == "(hidden)" and failed["output_path"] is None
    assert forbidden == dict.fromkeys(forbidden, 403)
    assert missing[0] == 404 and json.loads(missing[1])["error"] == "not_found"
    assert missing_run[0] == 404


def test_rest_as_the_creator(executed):
    ok = run_of(executed, "report")
    with aios_serve(executed.root, token=TOKEN, user="alice") as url:
        shown = json.loads(call(url, f"jobs/runs/run?id={ok['id']}")[1])
        html = call(url, f"jobs/runs/output?id={ok['id']}&format=html")
        notebook = call(url, f"jobs/runs/output?id={ok['id']}&format=ipynb")
        bad_format = call(url, f"jobs/runs/output?id={ok['id']}&format=pdf")
        log = json.loads(call(url, f"jobs/runs/log?id={ok['id']}&tail=5")[1])
        queued = json.loads(call(url, "jobs/run", method="POST", body={"name": "report",
                                                                      "parameters": {"label": "rest"}})[1])
        bad_parameter = call(url, "jobs/run", method="POST", body={"name": "report", "parameters": {"label": 5}})
        cancelled = json.loads(call(url, "jobs/runs/cancel", method="POST", body={"id": queued["id"]})[1])
        paused = json.loads(call(url, "jobs/pause", method="POST", body={"name": "broken"})[1])
        resumed = json.loads(call(url, "jobs/resume", method="POST", body={"name": "broken"})[1])
        page = json.loads(call(url, "jobs/history?name=report&limit=1")[1])
        alerts = json.loads(call(url, "alerts?state=acknowledged")[1])

    assert shown["output_path"] == f".aios/jobs/report/runs/{ok['id']}/output.ipynb"   # workspace-relative
    assert html[0] == 200 and html[2]["Content-Type"].startswith("text/html")
    assert "sandbox" in html[2]["Content-Security-Policy"] and b"recorded" in html[1]
    assert notebook[0] == 200 and json.loads(notebook[1])["cells"]
    assert bad_format[0] == 400
    assert log["status"] == "succeeded" and 0 < len(log["lines"]) <= 5
    assert queued["parameters"] == {"label": "rest"} and queued["requested_by"] == "alice"
    assert queued["status"] == "queued" and queued["trigger"] == "manual"
    assert bad_parameter[0] == 400 and "label" in json.loads(bad_parameter[1])["message"]
    assert cancelled["status"] == "cancelled"
    assert paused["paused"] is True and resumed["paused"] is False
    assert len(page["runs"]) == 1 and page["next_before_id"] == page["runs"][0]["id"]
    assert "counts" in alerts and all(a["state"] == "acknowledged" for a in alerts["alerts"])


def test_deleting_a_job_takes_its_runs_and_outputs(executed):
    outputs = executed.state_dir / "jobs" / "broken" / "runs"
    assert outputs.is_dir()

    refused = aios(executed, "jobs", "delete", "broken")     # not a terminal: no prompt, so --yes is needed
    deleted = as_json(aios(executed, "jobs", "delete", "broken", "--yes", "--json"))
    gone = aios(executed, "jobs", "show", "broken")

    assert refused.returncode == 64 and "--yes" in refused.stderr
    assert deleted["deleted"] is True and deleted["runs_deleted"] >= 2
    assert gone.returncode == 66 and not outputs.exists()
    feed = as_json(aios(executed, "alerts", "ls", "--json"))
    assert all(a["state"] == "resolved" for a in feed["alerts"] if a["key"] == "job:broken")
    store = open_store(executed.metadata_url)
    try:
        from aios_workbench.audit import AuditLog

        records = AuditLog(store, executed.state_dir / "audit.head").query(action="job_delete")
        assert records[0]["user"] == "alice" and records[0]["allowed"] is True
        from aios_workbench.store.models import Job

        with store.session() as session:
            remaining = {job.id for job in session.query(Job)}
        assert rows(store) and {r.job_id for r in rows(store)} <= remaining    # no run outlived its job
    finally:
        store.close()
