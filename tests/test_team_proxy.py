"""Team mode: a user's own Jupyter server forwards the workbench to the central service, as its user.

Real components: `aios serve` on a private copy of the demo workspace (the central service), per-user tokens
made with `aios tokens add` (standing in for each user's JupyterHub token), and one `jupyter server` per user in
proxy mode (`--AIOSWorkbench.service_url`), rooted in a folder of its own, the user's home, which the
service's workspace does not contain. The browser's calls, the kernels' `wb.*` and promotion go through them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import ROOT, aios_serve, copy_demo_workspace, free_port, run_aios, stop, wait_for_http
from tests.test_kernel_env import execute, kernel_env

SUPPLIERS = "supplier_master.main.suppliers"
SERVICE_TOKEN = "team-proxy-service-token-4242"
TOKEN_ENV = "AIOS_TEST_SERVICE_CREDENTIAL"   # in a hub deployment: JUPYTERHUB_API_TOKEN (the default)
GOOD_NOTEBOOK = ROOT / "tests" / "fixtures" / "notebooks" / "promotion" / "good.ipynb"


@contextlib.contextmanager
def user_server(home: Path, *, name: str, service_url: str, credential: str | None):
    """`jupyter server` in proxy mode for one user, rooted in `home` (also its HOME); yields what to call it with."""
    port, jupyter_token = free_port(), f"jupyter-token-{name}-77"
    env = {k: v for k, v in os.environ.items() if k not in ("AIOS_WORKSPACE", "AIOS_TOKEN", "AIOS_SERVICE_URL")}
    env.update({"JUPYTER_TOKEN": jupyter_token, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / ".runtime")})
    if credential is not None:
        env[TOKEN_ENV] = credential
    args = [sys.executable, "-m", "jupyter", "server", f"--ServerApp.root_dir={home}", f"--ServerApp.port={port}",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", "--no-browser",
            f"--AIOSWorkbench.service_url={service_url}", f"--AIOSWorkbench.service_token_env={TOKEN_ENV}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = home.parent / f"{name}-server.log"
    with log.open("w") as out:
        process = subprocess.Popen(args, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/api/status?token={jupyter_token}", process=process, timeout=120)
            yield SimpleNamespace(url=url, token=jupyter_token, home=home, log=log)
        finally:
            stop(process)


def call(server, path: str, *, method: str = "GET", body: bytes | dict | None = None,
         headers: dict | None = None, token: str | None = "default"):
    """(status, headers, body bytes) of a call to `server` as a browser with the server's token would make it."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json"} if data is not None else {}
    if token == "default":
        token = server.token
    if token:
        sent["Authorization"] = f"token {token}"
    sent.update(headers or {})
    request = urllib.request.Request(f"{server.url}/{path}", data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def arrow(raw: bytes):
    import pyarrow as pa

    return pa.ipc.open_stream(io.BytesIO(raw)).read_all()


def raw_suppliers(ws) -> list[tuple[str, str]]:
    with sqlite3.connect(ws.state_dir / "demo-data" / "procurement.sqlite") as con:
        return con.execute("SELECT contact_email, region FROM suppliers").fetchall()


@pytest.fixture(scope="module")
def team(demo_workspace, tmp_path_factory):
    """The central service, alice's and bob's tokens there, and each user's own Jupyter server."""
    folder = tmp_path_factory.mktemp("team")
    ws = copy_demo_workspace(demo_workspace, folder / "service" / "demo")
    tokens = {}
    for user in ("alice", "bob"):
        done = run_aios("--workspace", str(ws.root), "tokens", "add", user, "--label", "team proxy test", "--json")
        assert done.returncode == 0, done.stderr
        tokens[user] = json.loads(done.stdout)["token"]
    with contextlib.ExitStack() as stack:
        service_url = stack.enter_context(aios_serve(ws.root, token=SERVICE_TOKEN, log=folder / "service.log"))
        servers = {}
        for user in ("alice", "bob"):
            home = folder / "homes" / user
            (home / "projects").mkdir(parents=True)
            servers[user] = stack.enter_context(user_server(home, name=user, service_url=service_url,
                                                            credential=tokens[user]))
        yield SimpleNamespace(ws=ws, url=service_url, tokens=tokens, folder=folder, **servers)


# -- the browser's calls ---------------------------------------------------------------------------------------
def test_each_users_server_answers_as_that_user(team):
    statuses = {user: json.loads(call(getattr(team, user), "aios/api/status")[2]) for user in ("alice", "bob")}
    catalogs = {user: json.loads(call(getattr(team, user), "aios/api/catalog")[2]) for user in ("alice", "bob")}

    assert statuses["alice"]["user"] == "alice" and statuses["bob"]["user"] == "bob"
    assert statuses["alice"]["workspace"]["name"] == team.ws.name   # the service's workspace, not a local one
    names = {user: {entry["name"] for entry in catalog["datasets"]} for user, catalog in catalogs.items()}
    assert "shipment_files.main.shipments" in names["alice"]
    assert "shipment_files.main.shipments" not in names["bob"]     # bob's role has no grant on it


def test_sql_through_the_proxy_applies_each_users_masks_and_row_filters(team):
    query = {"sql": f"SELECT contact_email, region FROM {SUPPLIERS} ORDER BY supplier_id"}
    answers = {user: call(getattr(team, user), "aios/api/sql", method="POST", body=query) for user in ("alice", "bob")}

    raw = raw_suppliers(team.ws)
    raw_emails, regions = {email for email, _ in raw}, {region for _, region in raw}
    for status, headers, body in answers.values():
        assert status == 200, body
        assert headers["Content-Type"].startswith("application/vnd.apache.arrow.stream")
        assert SUPPLIERS in headers["X-AIOS-Datasets"]
    alice, bob = (arrow(answers[user][2]).to_pydict() for user in ("alice", "bob"))
    assert len(alice["contact_email"]) == len(raw) and set(alice["region"]) == regions
    assert not set(alice["contact_email"]) & raw_emails                      # hashed for a data scientist
    assert set(bob["region"]) == {"Northern Europe"} and 0 < len(bob["region"]) < len(raw)   # his row filter
    assert not set(bob["contact_email"]) & raw_emails


def test_a_caller_without_the_servers_token_is_refused_by_jupyter(team):
    for token in (None, "wrong-token", team.tokens["alice"]):   # alice's service token is no Jupyter login
        status, _, body = call(team.alice, "aios/api/status", token=token)
        assert status == 403, (token, body)
        assert b'"user"' not in body
    status, _, _ = call(team.alice, "aios/api/sql", method="POST", token=None,
                        body={"sql": f"SELECT * FROM {SUPPLIERS}"})
    assert status == 403


def test_the_browsers_own_credentials_and_identity_claims_are_not_forwarded(team):
    # logged in to alice's server by the query token; the headers claim bob (his own service token, and the
    # delegate header): the service must hear neither, or it would answer as bob or refuse the header
    spoofed = {"X-AIOS-Act-As": "bob", "Cookie": "session=stolen"}
    request = f"aios/api/status?token={team.alice.token}"
    status, _, body = call(team.alice, request, token=None,
                           headers={**spoofed, "Authorization": f"token {team.tokens['bob']}"})

    assert status == 200, body
    assert json.loads(body)["user"] == "alice"


def test_a_large_result_streams_through_intact(team):
    query = {"sql": "SELECT a.po_id, a.quantity, b.supplier_id FROM purchasing_warehouse.procurement.purchase_orders a "
                    f"CROSS JOIN (SELECT supplier_id FROM {SUPPLIERS} LIMIT 8) b ORDER BY a.po_id, b.supplier_id",
             "max_rows": 1_000_000}
    status, _, through_proxy = call(team.alice, "aios/api/sql", method="POST", body=query)
    direct = urllib.request.Request(f"{team.url}/aios/api/sql", data=json.dumps(query).encode(), method="POST",
                                    headers={"Authorization": f"token {team.tokens['alice']}",
                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(direct, timeout=300) as response:
        expected = arrow(response.read())

    assert status == 200, through_proxy[:500]
    table = arrow(through_proxy)
    assert table.num_rows == expected.num_rows >= 200_000
    assert table.equals(expected)


def test_an_unreachable_service_is_a_502_in_the_products_shape(tmp_path):
    home = tmp_path / "carol"
    home.mkdir()
    gone = f"http://127.0.0.1:{free_port()}"
    with user_server(home, name="carol", service_url=gone, credential="some-token") as server:
        answers = [call(server, "aios/api/status"),
                   call(server, "aios/api/sql", method="POST", body={"sql": "SELECT 1"}),
                   call(server, "aios/api/datasets/write?target=outputs.x", method="POST", body=b"\0" * 300_000,
                        headers={"Content-Type": "application/vnd.apache.arrow.stream"})]
    for status, headers, body in answers:
        assert status == 502, body
        assert headers["Content-Type"].startswith("application/json")
        error = json.loads(body)
        assert error["error"] == "service_unreachable" and error["message"] and error["fix"]
        assert "Traceback" not in body.decode() and str(home) not in body.decode()


def test_a_server_without_a_credential_says_so(tmp_path):
    home = tmp_path / "dave"
    home.mkdir()
    with user_server(home, name="dave", service_url=f"http://127.0.0.1:{free_port()}", credential=None) as server:
        status, _, body = call(server, "aios/api/status")

    assert status == 502
    error = json.loads(body)
    assert TOKEN_ENV in error["message"] and "service_token_env" in error["fix"]


def test_paths_above_the_api_are_refused():
    from aios_workbench.core.errors import UsageError
    from aios_workbench.surfaces.rest.team_proxy import forwarded_endpoint, forwarded_query

    assert forwarded_endpoint("/user/ana/aios/api/catalog/dataset", "/user/ana/") == "catalog/dataset"
    with pytest.raises(UsageError):
        forwarded_endpoint("/aios/api/../../mlflow", "/")
    with pytest.raises(UsageError):
        forwarded_endpoint("/aios/api/%2e%2e/x", "/")
    assert forwarded_query({"token": [b"jupyter"], "_xsrf": [b"x"], "name": [b"a b"]}) == "name=a+b"


# -- kernels ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def alice_kernel(team):
    import tests.test_kernel_env as kernel_tests

    status, _, body = call(team.alice, "api/kernels", method="POST", body={"name": "python3"})
    assert status == 201, body
    kernel_id = json.loads(body)["id"]
    # test_kernel_env's websocket helper authenticates with its module's token: give it this server's
    saved, kernel_tests.LAB_TOKEN = kernel_tests.LAB_TOKEN, team.alice.token
    try:
        yield SimpleNamespace(url=team.alice.url), kernel_id
    finally:
        kernel_tests.LAB_TOKEN = saved
        call(team.alice, f"api/kernels/{kernel_id}", method="DELETE")


def test_a_kernel_talks_to_the_service_directly_as_its_user(team, alice_kernel):
    lab, kernel_id = alice_kernel
    env = kernel_env(lab, kernel_id)

    assert env["AIOS_SERVICE_URL"] == team.url and env["AIOS_TOKEN"] == team.tokens["alice"]
    assert "AIOS_WORKSPACE" not in env and TOKEN_ENV not in env and "JUPYTER_TOKEN" not in env
    printed, error = execute(lab, kernel_id, "import aios_workbench as wb\n"
                                             f"frame = wb.sql('SELECT contact_email FROM {SUPPLIERS}')\n"
                                             "print('EMAILS=' + '|'.join(frame['contact_email']))\n"
                                             "print('USER=' + wb.status()['user'])")
    assert error is None, error
    emails = set(printed.split("EMAILS=", 1)[1].splitlines()[0].split("|"))
    assert "USER=alice" in printed
    assert len(emails) > 5 and not emails & {email for email, _ in raw_suppliers(team.ws)}


# -- promotion of a notebook only the user's server can read ---------------------------------------------------
def versions(team, job: str) -> dict:
    done = run_aios("--workspace", str(team.ws.root), "jobs", "versions", job, "--json", env={"AIOS_USER": "alice"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_sidebar_promotes_a_notebook_from_the_users_home(team):
    shutil.copy(GOOD_NOTEBOOK, team.alice.home / "projects" / "late_report.ipynb")
    assert not list(team.ws.root.rglob("late_report.ipynb"))   # the service could not read it if it tried

    status, _, body = call(team.alice, "aios/api/notebooks/parameters?path=projects/late_report.ipynb")
    assert status == 200, body
    parameters = json.loads(body)
    assert parameters["notebook"] == "projects/late_report.ipynb"
    assert [p["name"] for p in parameters["schema"]["parameters"]] == ["month", "limit"]

    status, _, body = call(team.alice, "aios/api/jobs/promote", method="POST",
                           body={"notebook": "projects/late_report.ipynb", "name": "alice_home_report"})
    assert status == 200, body
    report = json.loads(body)
    assert report["status"] == "active" and report["promoted_by"] == "alice" and report["version"] == 1
    stored = versions(team, "alice_home_report")
    assert stored["current_version"] == 1
    assert stored["versions"][0]["notebook"] == "projects/late_report.ipynb"
    assert stored["versions"][0]["digest"] == report["digest"] == parameters["digest"]


def test_a_missing_or_broken_notebook_is_a_clear_error(team):
    (team.alice.home / "projects" / "broken.ipynb").write_text('{"cells": ')
    missing = call(team.alice, "aios/api/jobs/promote", method="POST", body={"notebook": "projects/nope.ipynb"})
    broken = call(team.alice, "aios/api/notebooks/parameters?path=projects/broken.ipynb")
    outside = call(team.alice, "aios/api/jobs/promote", method="POST", body={"notebook": "../bob/x.ipynb"})

    assert missing[0] == 404 and json.loads(missing[2])["error"] == "not_found"
    assert broken[0] == 400 and json.loads(broken[2])["fix"]
    assert outside[0] in (400, 404)
    for _, _, body in (missing, broken, outside):
        assert str(team.alice.home) not in body.decode() and "Traceback" not in body.decode()


def test_the_service_refuses_sent_content_that_is_no_notebook(team):
    def promote(body: dict):
        request = urllib.request.Request(f"{team.url}/aios/api/jobs/promote", data=json.dumps(body).encode(),
                                         method="POST", headers={"Authorization": f"token {team.tokens['alice']}",
                                                                 "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:   # closed here: a socket left to the collector fails a later test
                return exc.code, json.loads(exc.read())

    no_notebook = promote({"notebook": "x.ipynb", "content": {"cells": "none"}})
    escaping = promote({"notebook": "../../etc/x.ipynb", "content": json.loads(GOOD_NOTEBOOK.read_text())})
    not_ipynb = promote({"notebook": "x.py", "content": json.loads(GOOD_NOTEBOOK.read_text())})

    assert no_notebook[0] == 400 and no_notebook[1]["error"] == "invalid_notebook" and no_notebook[1]["fix"]
    assert escaping[0] == 400 and "relative path" in escaping[1]["message"]
    assert not_ipynb[0] == 400 and ".ipynb" in not_ipynb[1]["message"]


def test_wb_promote_in_a_kernel_sends_the_notebook_it_names(team, alice_kernel):
    lab, kernel_id = alice_kernel
    shutil.copy(GOOD_NOTEBOOK, team.alice.home / "projects" / "kernel_report.ipynb")

    printed, error = execute(lab, kernel_id, "import aios_workbench as wb\n"
                                             "result = wb.promote('projects/kernel_report.ipynb', "
                                             "name='alice_kernel_report')\n"
                                             "print('RESULT=' + str(result.passed) + ',' + str(result.version))",
                             timeout=600)

    assert error is None, error
    assert "RESULT=True,1" in printed, printed
    stored = versions(team, "alice_kernel_report")
    assert stored["versions"][0]["notebook"] == "projects/kernel_report.ipynb"
    assert stored["versions"][0]["promoted_by"] == "alice"


def test_wb_promote_sends_what_only_the_user_can_read_and_names_the_rest(tmp_path):
    from aios_workbench.kernel.promote import notebook_payload

    home = tmp_path / "home"
    (home / "projects").mkdir(parents=True)
    shutil.copy(GOOD_NOTEBOOK, home / "projects" / "mine.ipynb")
    session = {"JPY_SESSION_NAME": str(home / "projects" / "mine.ipynb")}

    own = notebook_payload(None, session, cwd=home / "projects", home=home)
    named = notebook_payload("projects/mine.ipynb", {}, cwd=tmp_path, home=home)
    elsewhere = notebook_payload("notebooks/theirs.ipynb", {}, cwd=tmp_path, home=home)

    assert own["notebook"] == named["notebook"] == "projects/mine.ipynb"
    assert own["content"] == named["content"] == json.loads(GOOD_NOTEBOOK.read_text())
    assert elsewhere == {"notebook": "notebooks/theirs.ipynb"}   # a service whose workspace holds it reads it
