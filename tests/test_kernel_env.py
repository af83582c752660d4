"""Kernels started by the workbench hold none of the server's secrets: a JupyterLab kernel of `aios lab`
and a scheduled job's kernel each get a minimal environment and a credential of their own.

`aios lab` (a real Jupyter server with the extension) and `aios scheduler` (a real scheduler, worker and
Papermill kernel) run on a private copy of the demo workspace with secrets in their environment, as a
deployment would have them: the service's token, the lab's, a database password, a connection string with a
password, JupyterHub's API token. The notebook plays the attacker: it dumps `os.environ` and tries the
credential it got on Jupyter's own API. It must still read governed data with `wb.sql`, as its user."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from tests.conftest import AIOS, copy_demo_workspace, free_port, lab_settings_dir, run_aios, stop, wait_for_http

SUPPLIERS = "supplier_master.main.suppliers"
LAB_TOKEN = "lab-token-kernel-env-5150"
SECRETS = {
    "AIOS_TOKEN": "server-service-token-8a1f",
    "AIOS_TEST_SECRET_PASSWORD": "hunter2-secret-4711",
    "PGPASSWORD": "pg-password-0815",
    "WAREHOUSE_DSN": "postgresql://etl:dsn-pass-9931@db.internal/warehouse",
    "JUPYTERHUB_API_TOKEN": "hub-api-token-2718",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-3141",
    "AIOS_SECRETS_FILE": "/etc/aios/secrets.yaml",
}
DUMP_ENV = "import json, os; print('ENV=' + json.dumps(dict(os.environ)))"


def raw_emails(ws) -> list[str]:
    import sqlite3

    with sqlite3.connect(ws.state_dir / "demo-data" / "procurement.sqlite") as con:
        return [row[0] for row in con.execute("SELECT contact_email FROM suppliers ORDER BY supplier_id LIMIT 5")]


def assert_minimal(env: dict[str, str], *, secrets: dict[str, str]) -> None:
    """No secret of the server, by name or by value, and no credential-looking variable but the kernel's own."""
    for name, value in secrets.items():
        assert name not in env or name == "AIOS_TOKEN" and env[name] != value, name
        assert not any(value in v for v in env.values()), name
    assert not [name for name in env if re.search(r"PASS|SECRET|CREDENTIAL|API_?KEY", name, re.I)]
    assert {name for name in env if "TOKEN" in name} <= {"AIOS_TOKEN"}
    assert "JUPYTER_TOKEN" not in env and "AIOS_LAB_TOKEN" not in env
    assert "PATH" in env and "HOME" in env


# -- a Jupyter server's kernels, driven as JupyterLab drives them ---------------------------------------------
def api(lab, method: str, path: str, body: dict | None = None, *, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{lab.url}/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {token or LAB_TOKEN}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as exc:
        with exc:
            raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {}


async def _execute(lab, kernel_id: str, code: str, timeout: float) -> tuple[str, dict | None]:
    from tornado.websocket import websocket_connect

    url = f"{lab.url.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels?token={LAB_TOKEN}"
    socket = await websocket_connect(url)
    msg_id = uuid.uuid4().hex
    socket.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type": "execute_request",
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    printed, error = [], None
    try:
        while True:
            message = json.loads(await asyncio.wait_for(socket.read_message(), timeout))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                error = message["content"]
            elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return "".join(printed), error
    finally:
        socket.close()
        with contextlib.suppress(asyncio.TimeoutError):   # wait for the close handshake: no socket left open
            while await asyncio.wait_for(socket.read_message(), 5) is not None:
                pass


def execute(lab, kernel_id: str, code: str, timeout: float = 180) -> tuple[str, dict | None]:
    """Run `code` in the kernel over Jupyter's websocket, as JupyterLab does: (what it printed, its error)."""
    return asyncio.run(_execute(lab, kernel_id, code, timeout))


def kernel_env(lab, kernel_id: str) -> dict[str, str]:
    printed, error = execute(lab, kernel_id, DUMP_ENV)
    assert error is None, error
    return json.loads(printed.split("ENV=", 1)[1].splitlines()[0])


def start_kernel(lab) -> str:
    status, body = api(lab, "POST", "api/kernels", {"name": "python3"})
    assert status == 201, body
    return body["id"]


@pytest.fixture(scope="module")
def lab(demo_workspace, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernel-env")
    ws = copy_demo_workspace(demo_workspace, folder / "demo")
    port, log = free_port(), folder / "lab.log"
    env = {**os.environ, **SECRETS, "AIOS_LAB_TOKEN": LAB_TOKEN, "JUPYTERLAB_SETTINGS_DIR": str(lab_settings_dir())}
    with log.open("w") as out:
        process = subprocess.Popen([AIOS, "--workspace", str(ws.root), "lab", "--port", str(port), "--no-browser",
                                    "--user", "alice"], env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/api/status?token={LAB_TOKEN}", process=process, timeout=120)
            yield SimpleNamespace(url=url, ws=ws, log=log, pid=process.pid)
        finally:
            stop(process)


@pytest.fixture(scope="module")
def kernel(lab):
    kernel_id = start_kernel(lab)
    yield kernel_id
    api(lab, "DELETE", f"api/kernels/{kernel_id}")


def test_a_lab_kernel_inherits_none_of_the_servers_secrets(lab, kernel):
    env = kernel_env(lab, kernel)

    assert_minimal(env, secrets={**SECRETS, "AIOS_LAB_TOKEN": LAB_TOKEN})
    assert env["AIOS_SERVICE_URL"] == lab.url and env["AIOS_USER"] == "alice"
    assert env["AIOS_WORKSPACE"] == str(lab.ws.root)
    assert env["AIOS_TOKEN"].startswith("aios-kernel-") and env["AIOS_TOKEN"] not in (LAB_TOKEN, SECRETS["AIOS_TOKEN"])
    # the server itself still has them: the service inside it needs its credentials
    server_env = Path(f"/proc/{lab.pid}/environ")
    if server_env.exists():   # `aios lab` became the Jupyter server (exec): the lab token is Jupyter's own now
        held = dict(item.split("=", 1) for item in server_env.read_bytes().decode().split("\0") if "=" in item)
        assert held["AIOS_TEST_SECRET_PASSWORD"] == SECRETS["AIOS_TEST_SECRET_PASSWORD"]
        assert held["JUPYTER_TOKEN"] == LAB_TOKEN and "AIOS_LAB_TOKEN" not in held
        assert LAB_TOKEN not in Path(f"/proc/{lab.pid}/cmdline").read_bytes().decode()   # not in `ps` either


def test_the_kernel_still_reads_governed_data_as_its_user(lab, kernel):
    printed, error = execute(lab, kernel, "import aios_workbench as wb\n"
                                          f"frame = wb.sql('SELECT contact_email FROM {SUPPLIERS} ORDER BY supplier_id "
                                          "LIMIT 5')\nprint('EMAILS=' + '|'.join(frame['contact_email']))\n"
                                          "print('USER=' + wb.status()['user'])")

    assert error is None, error
    emails = printed.split("EMAILS=", 1)[1].splitlines()[0].split("|")
    assert len(emails) == 5 and "USER=alice" in printed
    assert not set(emails) & set(raw_emails(lab.ws))                  # alice reads them hashed (a mask), as ever


def test_the_kernel_credential_reaches_the_workbench_only(lab, kernel):
    token = kernel_env(lab, kernel)["AIOS_TOKEN"]

    status, body = api(lab, "GET", "aios/api/status", token=token)
    refused = {path: api(lab, "GET", path, token=token)[0]
               for path in ("api/contents", "api/kernels", "api/sessions", "api/terminals", "api/kernelspecs")}
    started = api(lab, "POST", "api/terminals", {}, token=token)[0]

    assert status == 200 and body["user"] == "alice"
    assert set(refused.values()) == {403}, refused                  # no files, kernels or terminals of the server
    assert started == 403


def test_the_credential_dies_with_its_kernel(lab):
    kernel_id = start_kernel(lab)
    token = kernel_env(lab, kernel_id)["AIOS_TOKEN"]
    assert api(lab, "GET", "aios/api/status", token=token)[0] == 200

    api(lab, "DELETE", f"api/kernels/{kernel_id}")

    assert api(lab, "GET", "aios/api/status", token=token)[0] == 403
    assert api(lab, "GET", "aios/api/status", token=token + "x")[0] == 403


def test_a_renamed_session_and_a_restarted_kernel_keep_the_minimal_environment(lab):
    # JupyterLab opens a notebook as a session; renaming it makes Jupyter send the server's whole
    # environment again (`update_env`), and a restart starts the kernel from its saved launch arguments
    status, session = api(lab, "POST", "api/sessions", {"path": "notebooks/probe.ipynb", "name": "probe.ipynb",
                                                         "type": "notebook", "kernel": {"name": "python3"}})
    assert status == 201, session
    kernel_id = session["kernel"]["id"]
    try:
        before = kernel_env(lab, kernel_id)
        assert api(lab, "PATCH", f"api/sessions/{session['id']}", {"path": "notebooks/renamed.ipynb",
                                                                    "name": "renamed.ipynb"})[0] == 200
        assert api(lab, "POST", f"api/kernels/{kernel_id}/restart", {})[0] == 200
        after = kernel_env(lab, kernel_id)
        still = api(lab, "GET", "aios/api/status", token=after["AIOS_TOKEN"])[0]
    finally:
        api(lab, "DELETE", f"api/sessions/{session['id']}")

    assert before["JPY_SESSION_NAME"].endswith("probe.ipynb") and after["JPY_SESSION_NAME"].endswith("renamed.ipynb")
    for env in (before, after):
        assert_minimal(env, secrets={**SECRETS, "AIOS_LAB_TOKEN": LAB_TOKEN})
    assert after["AIOS_TOKEN"] == before["AIOS_TOKEN"] and still == 200   # the same kernel keeps its credential
    assert api(lab, "GET", "aios/api/status", token=after["AIOS_TOKEN"])[0] == 403   # gone with its session


def test_an_internal_error_reaches_the_notebook_as_an_id_and_the_lab_log_keeps_it(lab, kernel):
    failing = (f"WITH s AS NOT MATERIALIZED (SELECT * FROM {SUPPLIERS}) "
               "SELECT region FROM s UNION ALL SELECT size_band FROM s")
    printed, error = execute(lab, kernel, f"import aios_workbench as wb\nwb.sql({failing!r})")

    assert error is not None
    [error_id] = re.findall(r"error id ([0-9a-f]{12})", error["evalue"])
    assert "Stack Trace" not in error["evalue"] and str(lab.ws.state_dir) not in error["evalue"]
    deadline = time.monotonic() + 10
    while f"internal error {error_id}" not in lab.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"internal error {error_id}" in lab.log.read_text()


# -- a scheduled job's kernel --------------------------------------------------------------------------------------
def add_job(ws, name: str, notebook: Path, *, identity: str) -> int:
    """Insert a job as promotion would (its snapshot, an active version 1) and queue a manual run of it."""
    from aios_workbench.jobs import runs
    from aios_workbench.jobs.notebook import load_notebook
    from aios_workbench.jobs.parameters import derive_schema
    from aios_workbench.schemas.job_spec import JobSpec
    from aios_workbench.store import open_store
    from aios_workbench.store.models import Job, JobVersion

    spec = JobSpec(name=name)
    schema = derive_schema(load_notebook(notebook, f"notebooks/{notebook.name}"))
    store = open_store(ws.metadata_url)
    try:
        with store.session() as session, session.begin():
            session.add(JobVersion(job_name=name, version=1, digest="0" * 64, notebook=f"notebooks/{notebook.name}",
                                   snapshot_path=str(notebook), parameter_schema=schema, spec=spec.to_json(),
                                   gates=[], status="active", datasets_read=[], promoted_by=identity))
            job = Job(name=name, notebook=f"notebooks/{notebook.name}", version=1, spec=spec.to_json(),
                      identity=identity, paused=False, next_due_at=None, created_by=identity,
                      created_at=runs.now(), updated_at=runs.now())
            session.add(job)
            session.flush()
            job_id = job.id
        return runs.enqueue(store, job_id, trigger="manual", requested_by=identity, executor="local",
                            parameters={"label": "probe"})
    finally:
        store.close()


def test_a_scheduled_jobs_kernel_inherits_none_of_the_schedulers_secrets(demo_workspace, tmp_path):
    from aios_workbench.store import open_store
    from aios_workbench.store.models import JobRun

    ws = copy_demo_workspace(demo_workspace, tmp_path / "demo")
    notebook = ws.state_dir / "jobs" / "snapshots" / "env_probe.ipynb"
    notebook.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("label = 'probe'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(DUMP_ENV),
        nbformat.v4.new_code_cell(f"import aios_workbench as wb\nframe = wb.sql('SELECT count(*) AS n FROM {SUPPLIERS}')\n"
                                  "print('ROWS=' + str(frame['n'][0]))")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), notebook)
    run_id = add_job(ws, "env_probe", notebook, identity="alice")

    done = run_aios("--workspace", str(ws.root), "scheduler", "--once", env=SECRETS, timeout=300)

    assert done.returncode == 0, done.stdout + done.stderr
    store = open_store(ws.metadata_url)
    try:
        with store.session() as session:
            run = session.get(JobRun, run_id)
            status, output, error = run.status, run.output_path, run.error
    finally:
        store.close()
    assert status == "succeeded", error
    nb = nbformat.read(output, as_version=4)
    printed = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    env = json.loads(printed.split("ENV=", 1)[1].splitlines()[0])
    # the run's own token is scrubbed from its outputs: the output notebook shows it as ***
    assert_minimal({k: v for k, v in env.items() if k != "AIOS_TOKEN"}, secrets=SECRETS)
    assert env["AIOS_TOKEN"] != SECRETS["AIOS_TOKEN"] and env["AIOS_JOB_NAME"] == "env_probe"
    assert env["AIOS_SERVICE_URL"].startswith("http://127.0.0.1:")
    assert "ROWS=600" in printed                                   # and it read governed data as alice
