"""A team deployment, for real: JupyterHub with deploy/jupyterhub_config.py, each person's Jupyter server as
their own OS account, two `aios serve` replicas as the service account on one PostgreSQL store behind haproxy
(tests/team_deployment.py builds it).

The demo policy: aiostest_alice is alice (data scientist: every dataset, PII masked), aiostest_bob is bob
(analyst: his region's suppliers only, PII masked). What they see comes from the service, whatever their
kernels do: they run as accounts that cannot read the service's state folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from tests.conftest import ROOT, artifact, need
from tests.hub import PASSWORD
from tests.team_deployment import DEPLOY_CONFIG, JUPYTERHUB, VENV_BIN, call, run_in_kernel, sql_rows, team_deployment

ALICE, BOB = "aiostest_alice", "aiostest_bob"
SUPPLIERS = "supplier_master.main.suppliers"
BOBS_REGION = "Northern Europe"


@pytest.fixture(scope="module")
def team(demo_workspace):
    with team_deployment(demo_workspace) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def servers(team):
    """alice's and bob's servers, started by the hub as their own accounts: {hub user: URL via the proxy}."""
    return team.start_servers(ALICE, BOB)


def test_each_person_sees_their_own_view_through_their_server(team, servers):
    alice = sql_rows(servers[ALICE], team.token(ALICE), f"SELECT region, contact_email FROM {SUPPLIERS}")
    bob = sql_rows(servers[BOB], team.token(BOB), f"SELECT region, contact_email FROM {SUPPLIERS}")

    assert len({row["region"] for row in alice}) > 1          # data scientists are exempt from the row filter
    assert {row["region"] for row in bob} == {BOBS_REGION}    # bob: his region only
    assert 0 < len(bob) < len(alice)
    for row in alice + bob:
        assert "@" not in (row["contact_email"] or ""), row   # PII masked for both


def test_a_token_without_a_server_reaches_the_service_only_through_the_hub(team, servers):
    # bob's hub token is no credential of alice's server
    status, _, _ = call(f"{servers[ALICE]}/aios/api/status", token=team.token(BOB))
    assert status in (401, 403)
    # nor does a made-up token reach anything through bob's server
    status, _, _ = call(f"{servers[BOB]}/aios/api/catalog", token="not-a-hub-token-" + "0" * 32)
    assert status in (401, 403)


def test_kernels_run_as_the_person_and_cannot_read_the_service_state(team, servers):
    demo_file = next((team.state / "demo-data").rglob("*.parquet"))
    code = f"""
import json, os, pwd
seen = {{"account": pwd.getpwuid(os.getuid()).pw_name}}
for label, path in [("salt", {str(team.state / "mask.salt")!r}),
                    ("source", {str(demo_file)!r}),
                    ("state", {str(team.state)!r}),
                    ("witness", {str(team.workspace / ".aios-witness")!r})]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(16)
        seen[label] = "read"
    except PermissionError:
        seen[label] = "PermissionError"
print(json.dumps(seen))
"""
    seen = json.loads(run_in_kernel(servers[BOB], team.token(BOB), code).strip().splitlines()[-1])

    assert seen == {"account": BOB, "salt": "PermissionError", "source": "PermissionError",
                    "state": "PermissionError", "witness": "PermissionError"}


def test_bob_cannot_become_alice_from_his_kernel(team, servers):
    code = f"""
import json, os, urllib.request, urllib.error
os.environ["AIOS_USER"] = "alice"
import aios_workbench as wb
regions = sorted(wb.sql("SELECT DISTINCT region FROM {SUPPLIERS}", as_="arrow").column("region").to_pylist())
request = urllib.request.Request(os.environ["AIOS_SERVICE_URL"].rstrip("/") + "/aios/api/sql",
    data=json.dumps({{"sql": "SELECT DISTINCT region FROM {SUPPLIERS}"}}).encode(), method="POST",
    headers={{"Authorization": "token " + os.environ["AIOS_TOKEN"], "X-AIOS-Act-As": "alice",
             "Content-Type": "application/json"}})
try:
    import pyarrow as pa
    with urllib.request.urlopen(request) as answer:
        act_as = sorted(pa.ipc.open_stream(answer.read()).read_all().column("region").to_pylist())
except urllib.error.HTTPError as error:
    act_as = error.code
try:
    wb.sql("SELECT DISTINCT region FROM {SUPPLIERS}", as_user="alice")
    as_user = "allowed"
except Exception as error:
    as_user = type(error).__name__
print(json.dumps({{"regions": regions, "act_as": act_as, "as_user": as_user}}))
"""
    output = run_in_kernel(servers[BOB], team.token(BOB), code)
    seen = json.loads(output.strip().splitlines()[-1]) if output.strip().startswith("{") else output

    assert isinstance(seen, dict), output
    assert seen["regions"] == [BOBS_REGION]                     # AIOS_USER=alice changes nothing
    assert seen["act_as"] == 403                                 # the act-as header is refused
    assert seen["as_user"] == "PermissionDenied"                 # bob may impersonate nobody


def test_aios_on_a_persons_server_reaches_the_service_as_them(team, servers):
    """`aios` typed in bob's terminal or a notebook's `!aios`: no option, no workspace, the service as bob."""
    code = f"""
import json, subprocess, sys
def aios(*args):
    done = subprocess.run([sys.executable, "-m", "aios_workbench", *args], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr
code, out, _ = aios("sql", "SELECT DISTINCT region, contact_email FROM {SUPPLIERS}", "--json")
rows = json.loads(out) if code == 0 else out
status_code, status, _ = aios("status", "--json")
ls_code, _, ls_err = aios("catalog", "scan")
print(json.dumps({{"rows": rows, "status": json.loads(status).get("user") if status_code in (0, 69) else status,
                  "ls": [ls_code, ls_err]}}))
"""
    output = run_in_kernel(servers[BOB], team.token(BOB), code)
    seen = json.loads(output.strip().splitlines()[-1])

    assert isinstance(seen["rows"], list), seen
    assert {row["region"] for row in seen["rows"]} == {BOBS_REGION}          # bob's rows only
    assert all("@" not in (row["contact_email"] or "") for row in seen["rows"])   # masked
    assert seen["status"] == "bob", seen
    code, said = seen["ls"]                     # a command that needs the workspace says where it is
    assert code != 0 and "workbench service" in said and "Traceback" not in said, said


@pytest.mark.browser
@pytest.mark.parametrize(("person", "policy_user", "row_filtered"), [(ALICE, "alice", False), (BOB, "bob", True)])
def test_a_person_signs_in_at_the_hub_and_the_sidebar_shows_their_grants(team, servers, chromium, person,
                                                                          policy_user, row_filtered):
    page = chromium.new_page(viewport={"width": 1500, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{team.hub.url}/hub/login", timeout=60_000)
    page.locator("#username_input").fill(person)
    page.locator("#password_input").fill(PASSWORD)
    page.locator("#login_submit").click()
    page.wait_for_url(f"**/user/{person}/lab**", timeout=120_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=120_000)
    page.locator(".jp-SideBar [title='AI OS']").first.click()
    page.get_by_test_id("aios-tab-data").click()
    page.locator(f'[data-testid="aios-dataset-item"][data-name="{SUPPLIERS}"]').click(timeout=60_000)
    view = page.get_by_test_id("aios-dataset-view")
    email = view.locator('[data-testid="aios-column-row"][data-name="contact_email"]')
    email.wait_for(timeout=60_000)

    assert email.get_attribute("data-mask") == "hash"
    assert view.get_by_test_id("aios-row-filter").count() == (1 if row_filtered else 0)
    assert f"You ({policy_user}) may read it" in view.inner_text()   # the hub user, mapped by hub.users
    page.screenshot(path=str(artifact(f"team-sidebar-{person}.png")))
    page.close()
    assert not errors, errors


JOB_NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                 "language_info": {"name": "python"}},
    "cells": [
        {"cell_type": "code", "id": "params", "metadata": {"tags": ["parameters"]}, "execution_count": None,
         "outputs": [], "source": "limit: int = 3  # suppliers to show"},
        {"cell_type": "code", "id": "facts", "metadata": {}, "execution_count": None, "outputs": [], "source": (
            "import json, os, pwd\n"
            "import aios_workbench as wb\n"
            f"regions = wb.sql('SELECT DISTINCT region FROM {SUPPLIERS}', as_='arrow').num_rows\n"
            "print('RUN-FACTS ' + json.dumps({'account': pwd.getpwuid(os.getuid()).pw_name, 'regions': regions}))")},
    ],
}


def run_facts(notebook: dict) -> dict:
    """What the job's notebook printed about the process that ran it."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            if "RUN-FACTS " in text:
                return json.loads(text.split("RUN-FACTS ", 1)[1].splitlines()[0])
    raise AssertionError(f"the run printed no facts: {json.dumps(notebook)[:2000]}")


def test_a_job_alice_promotes_from_her_folder_runs_under_the_scheduler_as_the_service_account(team, servers):
    server, token = servers[ALICE], team.token(ALICE)
    # the notebook lives in alice's home, written by her server as her account; the service cannot read it
    status, body, _ = call(f"{server}/api/contents/team_job.ipynb", token=token, method="PUT",
                           body={"type": "notebook", "format": "json", "content": JOB_NOTEBOOK})
    assert status in (200, 201), body[:500]

    status, body, _ = call(f"{server}/aios/api/jobs/promote", token=token, method="POST",
                           body={"notebook": "team_job.ipynb", "name": "team_job"}, timeout=300)
    report = json.loads(body)
    assert status == 200 and report["passed"], body[:3000]
    assert (report["promoted_by"], report["identity"]) == ("alice", "alice")

    with team.scheduler():
        status, body, _ = call(f"{server}/aios/api/jobs/run", token=token, method="POST", body={"name": "team_job"})
        assert status == 200, body[:1000]
        run_id = json.loads(body)["id"]
        deadline = time.monotonic() + 180
        while True:
            run = json.loads(call(f"{server}/aios/api/jobs/runs/run?id={run_id}", token=token)[1])
            if run["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
            time.sleep(1)

    assert run["status"] == "succeeded", run
    status, body, _ = call(f"{server}/aios/api/jobs/runs/output?id={run_id}&format=ipynb", token=token)
    assert status == 200, body[:500]
    facts = run_facts(json.loads(body))
    assert facts["account"] == team.service_account.pw_name   # the service's account ran it, not alice's
    assert facts["regions"] > 1                                 # as the job's identity, alice: no row filter
    # bob, no creator of the job, may not read its output
    status, _, _ = call(f"{servers[BOB]}/aios/api/jobs/runs/output?id={run_id}&format=ipynb", token=team.token(BOB))
    assert status in (403, 404)


# last: after everything above was audited
def test_the_audit_chain_is_intact_and_names_each_person(team, servers):
    answered = team.answered_by()
    assert all(count > 0 for count in answered.values()), answered   # both replicas served
    verified = team.aios_as_service("audit", "verify")
    tail = team.aios_as_service("audit", "tail", "--json", "--limit", "500", env={"AIOS_USER": "carol"})

    assert verified.returncode == 0, verified.stdout + verified.stderr
    users = {record["user"] for record in json.loads(tail.stdout)}
    assert {"alice", "bob"} <= users, tail.stdout[-2000:] + tail.stderr


@pytest.mark.parametrize(("env", "named"), [
    ({}, "AIOS_HUB_SERVICE_TOKEN"),
    ({"AIOS_HUB_SERVICE_TOKEN": "0" * 64, "AIOS_HUB_AUTHENTICATOR": "dummy"}, "AIOS_HUB_DUMMY_PASSWORD"),
])
def test_the_hub_config_refuses_to_start_without_its_secrets(tmp_path, env, named):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AIOS_HUB_")}
    result = subprocess.run([str(JUPYTERHUB), "-f", str(DEPLOY_CONFIG)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={**clean, "AIOS_HUB_STATE_DIR": str(tmp_path), **env})

    assert result.returncode != 0
    assert named in result.stdout + result.stderr
    assert not (tmp_path / "jupyterhub.sqlite").exists()   # it stopped before making any state


def test_the_service_unit_is_one_systemd_accepts(tmp_path):
    """deploy/aios-workbench.service as systemd reads it: no unknown key, no bad value (`systemd-analyze
    verify` on a copy whose ExecStart names this checkout's `aios`); the unit itself is not run here."""
    analyze = shutil.which("systemd-analyze")
    need(analyze is not None, "systemd-analyze is not installed")
    unit = (ROOT / "deploy" / "aios-workbench.service").read_text()
    assert "ExecStart=/opt/aios-workbench/.venv/bin/aios serve " in unit
    copy = tmp_path / "aios-workbench.service"
    copy.write_text(unit.replace("/opt/aios-workbench/.venv/bin/aios", str(VENV_BIN / "aios")))
    result = subprocess.run([str(analyze), "verify", str(copy)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
