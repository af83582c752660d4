"""Errors are an exit too: a client is told an error id, never a stack trace or a path of the server; the
service log keeps the details under that id. And the drift check over a SQLite source, whose engine failure
once carried both, works.

Two failures are played for real, on private copies of the demo workspace:
- an engine failure any analyst can provoke: DuckDB 1.5.5 fails with an INTERNAL error (and its native stack,
  naming the state folder's extension files) on a CTE over a SQLite table used twice;
- a damaged state folder: the lineage log is a folder, so reading lineage raises a plain Python exception
  whose message names the file's absolute path.
They go through `aios serve` (REST, bob's own token), the kernel client (`ServiceClient`) and the CLI."""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from aios_workbench.core.errors import WorkbenchError
from tests.conftest import aios_serve, copy_demo_workspace, run_aios

SUPPLIERS = "supplier_master.main.suppliers"
# a CTE over the SQLite table read twice: DuckDB copies the scan's plan and fails inside the SQLite scanner
ENGINE_FAILURE = (f"WITH s AS NOT MATERIALIZED (SELECT * FROM {SUPPLIERS}) "
                  "SELECT region FROM s UNION ALL SELECT size_band FROM s")
ERROR_ID = re.compile(r"error id ([0-9a-f]{12})")


def serve_logged(root: Path, log: Path, *, token: str, user: str):
    """`aios serve` on `root` with its stderr (the service log) written to `log`; yields its URL."""
    return aios_serve(root, token=token, user=user, log=log)


def served_copy(demo_workspace, folder: Path, name: str):
    from aios_workbench.service.tokens import ServiceTokens

    ws = copy_demo_workspace(demo_workspace, folder / "demo")
    bob = ServiceTokens(ws.state_dir).add("bob")[1]
    return ws, bob, folder / f"{name}.log"


@pytest.fixture(scope="module")
def served(demo_workspace, tmp_path_factory):
    ws, bob, log = served_copy(demo_workspace, tmp_path_factory.mktemp("error-exits"), "service")
    with serve_logged(ws.root, log, token="error-exits-service", user="carol") as url:
        yield SimpleNamespace(ws=ws, url=url, bob=bob, log=log)


@pytest.fixture(scope="module")
def damaged(demo_workspace, tmp_path_factory):
    """A copy whose state folder is damaged: the lineage log is a folder."""
    ws, bob, log = served_copy(demo_workspace, tmp_path_factory.mktemp("error-exits-damaged"), "damaged")
    lineage = ws.state_dir / "lineage.jsonl"
    lineage.unlink(missing_ok=True)
    lineage.mkdir()
    with serve_logged(ws.root, log, token="error-exits-damaged", user="carol") as url:
        yield SimpleNamespace(ws=ws, url=url, bob=bob, log=log)


def call(served, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(f"{served.url}/aios/api/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token or served.bob}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read().decode("utf-8", "replace")
            return response.status, (json.loads(text) if "json" in response.headers.get("Content-Type", "") else {}), text
    except urllib.error.HTTPError as exc:
        with exc:   # closed here: an open error answer warns in a later test
            text = exc.read().decode()
            return exc.code, json.loads(text), text


def server_internals(ws) -> list[str]:
    """What no client may read in an error: the workspace's and its state folder's absolute paths, the Python
    installation's, and the marks of a stack trace."""
    return [str(ws.root), str(ws.state_dir), str(Path(ws.root).resolve()), sys.prefix, "Stack Trace",
            "Traceback", "duckdb_extension", ".py\", line", "site-packages"]


def assert_internal_error(status: int, body: dict, text: str, ws) -> str:
    assert status == 500, text
    assert body["error"] == "internal_error" and set(body) == {"error", "message", "fix", "error_id"}
    assert re.fullmatch(r"[0-9a-f]{12}", body["error_id"])
    assert body["message"] == (f"Something went wrong on the workbench service (error id {body['error_id']}). "
                               "An administrator can find the details in the service log under that id.")
    for leak in server_internals(ws):
        assert leak not in text, leak
    return body["error_id"]


def incident(log_text: str, error_id: str) -> str:
    """The incident `error_id` in a log: its headline and the lines after it, up to the next incident."""
    start = log_text.index(f"internal error {error_id}")
    end = log_text.find("internal error ", start + 1)
    return log_text[start:end if end > 0 else None]


# -- REST -----------------------------------------------------------------------------------------------------
def test_an_engine_failure_answers_an_error_id_and_the_service_log_has_the_stack_under_it(served):
    status, body, text = call(served, "POST", "sql", {"sql": ENGINE_FAILURE})

    error_id = assert_internal_error(status, body, text, served.ws)
    logged = incident(served.log.read_text(), error_id)
    assert "INTERNAL Error" in logged and "Stack Trace" in logged and "(user bob)" in logged
    assert "POST /aios/api/sql" in logged
    kept = incident((served.ws.state_dir / "logs" / "errors.log").read_text(), error_id)
    assert "Stack Trace" in kept


def test_two_failures_get_two_ids(served):
    first = call(served, "POST", "sql", {"sql": ENGINE_FAILURE})[1]["error_id"]
    second = call(served, "POST", "sql", {"sql": ENGINE_FAILURE})[1]["error_id"]

    assert first != second


def test_a_python_exception_from_a_damaged_state_folder_answers_only_an_id(damaged):
    status, body, text = call(damaged, "GET", f"lineage?name={SUPPLIERS}")

    error_id = assert_internal_error(status, body, text, damaged.ws)
    assert "Is a directory" not in text and "lineage.jsonl" not in text
    logged = incident(damaged.log.read_text(), error_id)
    assert "IsADirectoryError" in logged and "Traceback (most recent call last)" in logged


def test_a_refusal_that_names_a_state_file_shows_it_under_a_placeholder(damaged):
    tokens = damaged.ws.state_dir / "service_tokens.json"
    original = tokens.read_text()
    tokens.write_text("{not json")
    try:
        status, body, text = call(damaged, "GET", "status")
    finally:
        tokens.write_text(original)

    assert status == 422 and body["error"] == "invalid_config"
    assert body["message"].startswith("<state>/service_tokens.json: not a token file")
    assert str(damaged.ws.state_dir) not in text and str(damaged.ws.root) not in text


def test_ordinary_refusals_keep_their_words(served):
    status, body, _ = call(served, "POST", "sql", {"sql": "SELECT * FROM shipment_files.main.shipments"})

    assert status == 403 and body["error"] in ("query_denied", "permission_denied")   # bob has no grant
    assert "error_id" not in body and "shipments" in body["message"]


# -- the kernel client --------------------------------------------------------------------------------------------
def test_the_kernel_client_raises_the_id_and_nothing_else(served):
    from aios_workbench.kernel.client import ServiceClient

    client = ServiceClient(served.url, served.bob)
    with pytest.raises(WorkbenchError) as raised:
        client.query_arrow(ENGINE_FAILURE)

    error = raised.value
    assert error.code == "internal_error" and ERROR_ID.search(error.message)
    for leak in server_internals(served.ws):
        assert leak not in str(error), leak


# -- the CLI ------------------------------------------------------------------------------------------------------
def test_the_cli_prints_an_id_and_keeps_the_stack_in_the_workspace_error_log(served):
    done = run_aios("--workspace", str(served.ws.root), "sql", ENGINE_FAILURE, env={"AIOS_USER": "bob"})
    as_json = run_aios("--workspace", str(served.ws.root), "sql", ENGINE_FAILURE, "--json", env={"AIOS_USER": "bob"})

    assert done.returncode == 1
    [error_id] = ERROR_ID.findall(done.stderr)
    assert "Stack Trace" not in done.stderr + done.stdout and "Traceback" not in done.stderr
    assert "logs/errors.log" in done.stderr                          # the local user is told where to look
    assert "Stack Trace" in incident((served.ws.state_dir / "logs" / "errors.log").read_text(), error_id)
    body = json.loads(as_json.stdout.splitlines()[0])
    assert as_json.returncode == 1 and body["error"] == "internal_error" and body["error_id"] in as_json.stderr


def test_the_cli_turns_an_unexpected_exception_into_an_id(damaged):
    done = run_aios("--workspace", str(damaged.ws.root), "lineage", SUPPLIERS, env={"AIOS_USER": "alice"})

    assert done.returncode == 1
    [error_id] = ERROR_ID.findall(done.stderr)
    assert "Traceback" not in done.stderr and "IsADirectoryError" not in done.stderr
    assert "IsADirectoryError" in incident((damaged.ws.state_dir / "logs" / "errors.log").read_text(), error_id)


# -- the drift check over SQLite (the failure behind the report) -------------------------------------------------
def test_drift_over_a_sqlite_source_works(served):
    status, body, text = call(served, "POST", "checks/run", {
        "kind": "drift", "reference": SUPPLIERS,
        "current": f"(SELECT * FROM {SUPPLIERS} WHERE size_band = 'large')", "columns": ["region", "credit_rating"]})

    assert status == 200, text
    [result] = body["results"]
    assert result["status"] in ("pass", "fail") and not result.get("error")
    assert {item["name"] for item in result["items"]} == {"dataset drift", "region", "credit_rating"}
    assert all(item["status"] in ("pass", "fail") for item in result["items"])
