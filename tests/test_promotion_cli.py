"""Promotion through its surfaces: the REST routes of `aios serve`, `wb.promote` in a kernel, `aios promote`."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from aios_workbench.surfaces.rest.promotion_routes import ROUTES
from aios_workbench.surfaces.rest.routes import API_PREFIX
from tests.conftest import aios_serve, run_aios
from tests.test_promotion import build_demo_copy

TOKEN = "promotion-token-3141"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return build_demo_copy(tmp_path_factory.mktemp("promotion-surfaces") / "ws")


@pytest.fixture(scope="module")
def served(root):
    with aios_serve(root, token=TOKEN, user="alice") as url:
        yield url


def call(url: str, endpoint: str, body: dict | None = None, *, token: str | None = TOKEN, **query):
    """(status, JSON body) of one request; POST when `body` is given."""
    address = f"{url}/{API_PREFIX}/{endpoint}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    request = urllib.request.Request(address, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:   # closed here: an open error answer warns in a later test
            return exc.code, json.loads(exc.read() or b"{}")


def in_process_service(root):
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    return WorkbenchService(Workspace.load(root), mode="local")


# -- REST ----------------------------------------------------------------------------------------------------------
def test_every_promotion_route_needs_the_token(served):
    for route in ROUTES:
        verb_body = {} if hasattr(route, "post") else None
        status, body = call(served, route.path, verb_body, token=None)
        assert status == 401 and body["error"] == "authentication_required", route.path


def test_parameter_schema_and_schedule_preview(served):
    status, body = call(served, "notebooks/parameters", path="notebooks/typed.ipynb")
    assert status == 200
    assert {p["name"]: p["type"] for p in body["schema"]["parameters"]}["threshold"] == "float"
    assert body["kernel"] == "python3" and len(body["digest"]) == 64

    status, body = call(served, "notebooks/parameters", path="notebooks/no_parameters.ipynb")
    assert status == 400 and body["error"] == "missing_parameters_cell" and "Property Inspector" in body["fix"]
    status, body = call(served, "notebooks/parameters", path="../../etc/passwd.ipynb")
    assert status == 400 and "outside the workspace" in body["message"]
    status, body = call(served, "notebooks/parameters", path="notebooks/absent.ipynb")
    assert status == 404

    status, body = call(served, "schedule/preview", cron="0 6 * * 1-5", timezone="Europe/Berlin", count="3")
    assert status == 200
    assert body["schedule"]["description"] == "At 06:00 AM, Monday through Friday (Europe/Berlin)"
    assert len(body["next_runs"]) == 3 and all("T06:00:00+0" in r["local"] for r in body["next_runs"])
    status, body = call(served, "schedule/preview", cron="@DAILY")
    assert status == 200 and body["schedule"]["cron"] == "0 0 * * *"
    status, body = call(served, "schedule/preview", cron="61 * * * *")
    assert status == 400 and "is not valid" in body["message"] and "minute 0-59" in body["fix"]
    status, body = call(served, "schedule/preview", cron="0 6 * * *", timezone="Mars/Olympus")
    assert status == 400 and body["message"] == "unknown time zone 'Mars/Olympus'"
    status, body = call(served, "schedule/preview", count="500")
    assert status == 400 and "count must be from 1 to 50" in body["message"]


def test_promote_refused_promoted_versions_and_rollback_over_rest(served):
    status, body = call(served, "jobs/promote", {"notebook": "notebooks/raises.ipynb", "name": "rest_refused"})
    assert status == 422 and body["error"] == "promotion_refused" and body["status"] == "refused"
    assert body["message"] == ("promotion of notebooks/raises.ipynb refused (1 failed, 1 not run, 3 passed, "
                               "1 not required): gate 3 (a validation run in a fresh kernel succeeds) failed: "
                               "cell 2 raised ValueError: the monthly total 3 does not reconcile")
    assert [g["passed"] for g in body["gates"]] == [True, True, False, True, False, True]
    assert body["gates"][2]["reason"].startswith("cell 2 raised ValueError")

    status, body = call(served, "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "rest_job",
                                                 "parameters": {"limit": 2}, "cron": "30 7 * * *",
                                                 "timezone": "America/New_York", "retries": 1})
    assert status == 200, body
    assert (body["status"], body["version"], body["identity"]) == ("active", 1, "alice")
    assert all(r["local"][11:16] == "07:30" for r in body["next_runs"])
    status, body = call(served, "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "rest_job"})
    assert (status, body["version"]) == (200, 2)

    status, body = call(served, "jobs/rollback", {"name": "rest_job", "version": 1})
    assert status == 200 and (body["version"], body["previous_version"]) == (1, 2)
    status, body = call(served, "jobs/versions", name="rest_job")
    assert status == 200 and body["current_version"] == 1
    assert [v["status"] for v in body["versions"]] == ["active", "active"]
    status, body = call(served, "jobs/versions", name="nothing_here")
    assert status == 404 and "has no versions" in body["message"]

    status, body = call(served, "jobs/promote", {"notebook": "../outside.ipynb"})
    assert status == 400 and "outside the workspace" in body["message"]
    status, body = call(served, "jobs/promote", {"notebook": "notebooks/good.ipynb", "crons": "@daily"})
    assert status == 400 and body["message"] == "unknown field crons"
    status, body = call(served, "jobs/promote", {"notebook": "notebooks/good.ipynb", "timeout_seconds": -1})
    assert status == 400 and "timeout_seconds" in body["message"]


def test_approval_over_rest_refuses_the_promoter(served, root):
    status, body = call(served, "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "rest_approval",
                                                 "approver": "carol"})
    assert status == 200 and body["status"] == "pending_approval"
    assert body["gates"][5] | {"detail": None} == {
        "name": "approval", "title": "approval by a second user", "passed": True, "pending": True,
        "verdict": "waiting", "reason": "waiting for approval by carol", "detail": None}

    status, body = call(served, "jobs/approval", {"name": "rest_approval", "version": 1, "decision": "approve"})
    assert status == 403 and "alice promoted this version and may not approve it" in body["message"]
    status, body = call(served, "jobs/approval", {"name": "rest_approval", "version": 1, "decision": "maybe"})
    assert status == 400

    from aios_workbench.jobs.promote import approve

    service = in_process_service(root)  # the server acts as alice only: carol approves through the library
    try:
        assert approve(service, "rest_approval", 1, "carol")["status"] == "active"
    finally:
        service.close()
    status, body = call(served, "jobs/versions", name="rest_approval")
    assert body["current_version"] == 1 and body["versions"][0]["approved_by"] == "carol"


# -- kernel API ----------------------------------------------------------------------------------------------------
def test_wb_promote_returns_a_gate_table(served, root):
    import aios_workbench as wb
    from aios_workbench.kernel.promote import current_notebook, promote

    wb.connect(served, TOKEN)
    result = promote("notebooks/good.ipynb", name="kernel_job", cron="@daily", tz="Europe/Berlin")

    assert result.passed and result.version == 1 and result.status == "active"
    html = result._repr_html_()
    assert html.count("✅") == 5 and "promoted as version 1" in html and "next runs" in html
    assert "approval by a second user: not required" in html
    refused = promote("notebooks/raises.ipynb", name="kernel_refused")
    assert not refused.passed and refused.version is None
    html = refused._repr_html_()
    # one cause: the failed run; the grants gate it kept from finishing is "not run", not a second failure
    assert html.count("❌") == 1 and "ValueError" in html
    assert "refused (1 failed, 1 not run, 3 passed, 1 not required): nothing was stored" in html
    assert "the job&#x27;s identity may read every dataset the run read: not run" in html
    again = promote("notebooks/good.ipynb", name="kernel_job", cron="@daily", tz="Europe/Berlin")
    assert again.status == "unchanged" and again.version == 1 and again.gates == []
    assert "unchanged: version 1 already runs this notebook with these settings" in repr(again)
    assert "fix:" not in html or "<i>fix:" in html
    with pytest.raises(Exception, match="unknown time zone"):
        promote("notebooks/good.ipynb", cron="@daily", tz="Nowhere/City")

    environ = {"JPY_SESSION_NAME": "notebooks/good.ipynb"}
    assert current_notebook(environ, cwd=root / "notebooks") == "notebooks/good.ipynb"
    with pytest.raises(Exception, match="JPY_SESSION_NAME is not set"):
        current_notebook({}, cwd=root / "notebooks")


# -- CLI -----------------------------------------------------------------------------------------------------------
def test_cli_prints_every_gate_and_exits_zero_when_promoted(root):
    result = run_aios("--workspace", str(root), "promote", "good.ipynb", "--name", "cli_job", "--cron", "0 6 * * *",
                      "--tz", "Europe/Berlin", "-p", "limit=2", "--retries", "1", cwd=root / "notebooks",
                      env={"AIOS_USER": "alice"}, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "promoting notebooks/good.ipynb as job cli_job (runs as alice)"
    assert [line[:5] for line in lines if line.startswith("  ") and line[2] in "✓✗…–"] == [
        "  ✓ 1", "  ✓ 2", "  ✓ 3", "  ✓ 4", "  ✓ 5", "  – 6"]
    assert "  – 6 approval by a second user: not required" in lines
    assert "gates: 5 passed, 1 not required" in lines
    assert "        2 parameters (month: str, limit: int); supplied: limit" in lines
    assert any(line.startswith("job cli_job version 1: ACTIVE") for line in lines)
    assert "schedule: At 06:00 AM (Europe/Berlin)" in lines and "next runs:" in lines

    again = run_aios("--workspace", str(root), "promote", "notebooks/good.ipynb", "--name", "cli_job", "--json",
                     "--notify", "ops@example.com", "--notify", "https://hooks.example.com/aios", "--after", "cli_load",
                     "--on-monitor-failure", "shipments_monthly_drift", "--catch-up", "skip", "--max-concurrent", "2",
                     "--secret", "API_KEY=ERP_KEY", "--keep-last", "5", cwd=root, env={"AIOS_USER": "alice", "ERP_KEY": "k-1"},
                     timeout=300)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["version"], report["status"], report["job"]) == (2, "active", "cli_job")
    # allowed (it may be promoted later), but said: the trigger waits for a job that is not there
    assert "--after cli_load: no job 'cli_load' exists yet; this trigger fires once it is promoted and succeeds" \
        in report["notes"]
    shown = run_aios("--workspace", str(root), "jobs", "show", "cli_job", "--json", env={"AIOS_USER": "alice"})
    spec = json.loads(shown.stdout)["spec"]
    assert spec["notifications"]["emails"] == ["ops@example.com"]
    assert spec["notifications"]["webhooks"] == ["https://hooks.example.com/aios"]
    assert spec["triggers"] == {"after_success": ["cli_load"], "on_monitor_failure": ["shipments_monthly_drift"]}
    assert (spec["catch_up"]["policy"], spec["max_concurrent"], spec["retention"]["keep_last"]) == ("skip", 2, 5)
    assert spec["secrets"] == {"API_KEY": "ERP_KEY"}

    # promoting again: the changes against the version the job runs, before (--dry-run) and instead of a
    # second identical version
    options = ["--workspace", str(root), "promote", "notebooks/good.ipynb", "--name", "cli_job", "--notify",
               "ops@example.com", "--notify", "https://hooks.example.com/aios", "--after", "cli_load",
               "--on-monitor-failure", "shipments_monthly_drift", "--catch-up", "skip", "--max-concurrent", "2",
               "--secret", "API_KEY=ERP_KEY", "--keep-last", "5"]
    planned = run_aios(*options, "--retries", "3", "--dry-run", cwd=root, env={"AIOS_USER": "alice"})
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.splitlines()[1:] == [
        "changes against version 2:", "  - retries: 0 → 3",
        "job cli_job version 3: DRY RUN (nothing ran, nothing was stored)"]
    same = run_aios(*options, cwd=root, env={"AIOS_USER": "alice"})
    assert same.returncode == 0, same.stderr
    assert same.stdout.splitlines()[1:] == [
        "no change against version 2", "job cli_job version 2: UNCHANGED",
        "note: job cli_job version 2 already runs this notebook with these settings: nothing was stored; change "
        "the notebook or a setting to make a new version"]
    assert json.loads(run_aios("--workspace", str(root), "jobs", "show", "cli_job", "--json",
                               env={"AIOS_USER": "alice"}).stdout)["version"] == 2

    bad = run_aios("--workspace", str(root), "promote", "notebooks/good.ipynb", "--notify", "not-an-address",
                   cwd=root, env={"AIOS_USER": "alice"})
    assert bad.returncode == 64 and "invalid job setting notifications.webhooks" in bad.stderr


def test_cli_exits_65_with_every_verdict_when_a_gate_fails(root):
    result = run_aios("--workspace", str(root), "promote", "notebooks/raises.ipynb", cwd=root,
                      env={"AIOS_USER": "alice"}, timeout=300)

    assert result.returncode == 65
    assert "  ✗ 3 a validation run in a fresh kernel succeeds: FAILED" in result.stdout
    assert "        cell 2 raised ValueError: the monthly total 3 does not reconcile" in result.stdout
    assert "  – 5 the job's identity may read every dataset the run read: not run" in result.stdout
    assert "gates: 1 failed, 1 not run, 3 passed, 1 not required" in result.stdout
    assert "job raises: REFUSED (no version stored)" in result.stdout
    assert ("error: promotion of notebooks/raises.ipynb refused (1 failed, 1 not run, 3 passed, 1 not required): "
            "gate 3 (a validation run in a fresh kernel succeeds) failed: cell 2 raised ValueError") in result.stderr

    as_json = run_aios("--workspace", str(root), "promote", "notebooks/typed.ipynb", "-p", "n=abc", "--json",
                       cwd=root, env={"AIOS_USER": "alice"}, timeout=300)
    assert as_json.returncode == 65
    report = json.loads(as_json.stdout)                  # one JSON document: the report
    assert report["status"] == "refused"
    assert report["gates"][1]["reason"] == "invalid parameters: n expects int, got 'abc'"
    assert report["gates"][2]["reason"].endswith("no kernel was started")

    bad = run_aios("--workspace", str(root), "promote", "notebooks/typed.ipynb", "-p", "n", cwd=root,
                   env={"AIOS_USER": "alice"})
    assert bad.returncode == 64 and "is not key=value" in bad.stderr
    helped = run_aios("promote", "--help")
    assert helped.returncode == 0 and "--approver" in helped.stdout and "exit 65" in helped.stdout


def test_versions_rollback_and_approve_commands_for_the_jobs_group(root, monkeypatch):
    """`jobs_versions`, `jobs_rollback` and `jobs_approve` are ready for the `aios jobs` group."""
    from click.testing import CliRunner

    from aios_workbench.jobs.promote import promote
    from aios_workbench.surfaces.cli.promote_commands import jobs_approve, jobs_rollback, jobs_versions

    service = in_process_service(root)
    try:
        assert promote(service, "notebooks/good.ipynb", user="alice", name="cli_group").status == "active"
        assert promote(service, "notebooks/good.ipynb", user="alice", name="cli_group",
                       approver="carol").status == "pending_approval"
    finally:
        service.close()
    runner, obj = CliRunner(), {"workspace": str(root)}

    monkeypatch.setenv("AIOS_USER", "alice")
    refused = runner.invoke(jobs_approve, ["cli_group", "2"], obj=obj)
    assert refused.exit_code != 0 and "alice promoted this version" in str(refused.exception)
    monkeypatch.setenv("AIOS_USER", "carol")
    approved = runner.invoke(jobs_approve, ["cli_group", "2", "--comment", "ok"], obj=obj)
    assert approved.exit_code == 0, approved.output
    assert approved.output.strip() == "approved job cli_group version 2 as carol: now active; the job runs version 2"

    rolled = runner.invoke(jobs_rollback, ["cli_group", "1", "--json"], obj=obj)
    assert rolled.exit_code == 0 and json.loads(rolled.output)["previous_version"] == 2
    listing = runner.invoke(jobs_versions, ["cli_group"], obj=obj)
    lines = listing.output.splitlines()
    assert lines[1].startswith("*  1 active") and lines[2].startswith("   2 active")
    assert "carol" in lines[2] and lines[-1] == "* = the version job cli_group runs"


def test_promote_with_app_publishes_the_job_as_a_decision_app(root):
    result = run_aios("--workspace", str(root), "promote", "notebooks/good.ipynb", "--name", "app_job", "--app",
                      cwd=root, env={"AIOS_USER": "alice"}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published as the app" in result.stdout and "aios apps run app_job" in result.stdout
    listed = run_aios("--workspace", str(root), "apps", "ls", "--json", env={"AIOS_USER": "alice"})
    assert listed.returncode == 0, listed.stderr
    assert "app_job" in [a["name"] for a in json.loads(listed.stdout)["apps"]]
