"""`aios catalog ls/search/show` through a running service (`--url`, or $AIOS_SERVICE_URL as in a team
deployment's terminals) print what the token's user may see, exactly as the in-process commands print it for
that user; and `aios policy check` warns about a description of a column the catalog does not know.

Real components: `aios serve` on a private copy of the demo workspace, a token for bob (an analyst: fewer
datasets, PII masked, his region's rows) made with `aios tokens add`, and the `aios` CLI as a process.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import threading

import pytest

from aios_workbench.demo.prepare import promote_demo_job
from aios_workbench.demo.story import SWITCH_SUPPLIERS_APP
from tests.conftest import AIOS, aios_serve, copy_demo_workspace, run_aios

SERVICE_TOKEN = "cli-remote-service-token-4242"
SUPPLIERS = "supplier_master.main.suppliers"
# what points the CLI at a service; cleared so each test says which it relies on
SERVICE_VARIABLES = ("AIOS_SERVICE_URL", "AIOS_TOKEN", "JUPYTERHUB_API_TOKEN", "AIOS_USER", "AIOS_WORKSPACE")


def aios(*args, cwd, env=None) -> subprocess.CompletedProcess:
    """`aios ARGS` with none of the service variables of this process, only those in `env`."""
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    return subprocess.run([AIOS, *args], cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def served(demo_workspace, tmp_path_factory):
    """The service on a private demo copy, bob's and alice's tokens, and a folder that is no workspace."""
    folder = tmp_path_factory.mktemp("cli-remote")
    ws = copy_demo_workspace(demo_workspace, folder / "demo")
    tokens = {}
    for user in ("alice", "bob"):
        done = run_aios("--workspace", str(ws.root), "tokens", "add", user, "--label", "cli remote test", "--json")
        assert done.returncode == 0, done.stderr
        tokens[user] = json.loads(done.stdout)["token"]
    elsewhere = folder / "home"
    elsewhere.mkdir()
    promoted = promote_demo_job(ws, progress=False, job=SWITCH_SUPPLIERS_APP)   # alice's job, for the job commands
    assert promoted["status"] == "active", promoted
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(aios_serve(ws.root, token=SERVICE_TOKEN, log=folder / "service.log"))
        yield ws, url, tokens, elsewhere


def in_process(ws, *args, user: str) -> subprocess.CompletedProcess:
    return aios("--workspace", str(ws.root), *args, cwd=ws.root, env={"AIOS_USER": user})


@pytest.mark.parametrize("args", [("catalog", "ls"), ("catalog", "search", "supplier contact"),
                                  ("catalog", "show", "suppliers")], ids=["ls", "search", "show"])
def test_catalog_commands_with_url_print_what_in_process_prints_for_the_tokens_user(served, args):
    ws, url, tokens, elsewhere = served

    for fmt in (["--json"], []):
        remote = aios(*args, *fmt, "--url", url, "--token", tokens["bob"], cwd=elsewhere)   # no workspace here
        local = in_process(ws, *args, *fmt, user="bob")

        assert remote.returncode == 0 and local.returncode == 0, remote.stderr + local.stderr
        assert "Traceback" not in remote.stderr
        if fmt:
            assert json.loads(remote.stdout) == json.loads(local.stdout)
        else:
            assert remote.stdout == local.stdout


def test_through_the_service_bob_sees_his_datasets_masked_and_no_more(served):
    ws, url, tokens, elsewhere = served

    bobs = json.loads(aios("catalog", "ls", "--json", "--url", url, "--token", tokens["bob"], cwd=elsewhere).stdout)
    alices = json.loads(aios("catalog", "ls", "--json", "--url", url, "--token", tokens["alice"],
                             cwd=elsewhere).stdout)
    shown = json.loads(aios("catalog", "show", SUPPLIERS, "--json", "--url", url, "--token", tokens["bob"],
                            cwd=elsewhere).stdout)

    assert {d["name"] for d in bobs} < {d["name"] for d in alices}      # an analyst reads fewer datasets
    masks = {c["name"]: c["mask"] for c in shown["access"]["columns"]}
    assert masks["contact_email"] and shown["access"]["user"] == "bob"
    assert shown["access"]["row_filter"] is not None and shown["row_count"] is None   # his region's rows only
    hits = json.loads(aios("catalog", "search", "supplier", "--json", "--url", url, "--token", tokens["bob"],
                           cwd=elsewhere).stdout)
    assert hits and {h["name"] for h in hits} <= {d["name"] for d in bobs}


def test_a_dataset_bob_may_not_read_is_refused_through_the_service_as_in_process(served):
    ws, url, tokens, elsewhere = served
    alices = json.loads(in_process(ws, "catalog", "ls", "--json", user="alice").stdout)
    bobs = json.loads(in_process(ws, "catalog", "ls", "--json", user="bob").stdout)
    hidden = sorted({d["name"] for d in alices} - {d["name"] for d in bobs})[0]

    remote = aios("catalog", "show", hidden, "--url", url, "--token", tokens["bob"], cwd=elsewhere)
    local = in_process(ws, "catalog", "show", hidden, user="bob")

    assert remote.returncode == local.returncode == 77, remote.stderr
    assert remote.stderr == local.stderr and f"bob may not read {hidden}" in remote.stderr
    assert remote.stdout == ""


def test_the_service_variables_of_a_team_server_need_no_option(served):
    ws, url, tokens, elsewhere = served
    with_option = aios("catalog", "ls", "--json", "--url", url, "--token", tokens["bob"], cwd=elsewhere)

    kernel = aios("catalog", "ls", "--json", cwd=elsewhere,                       # a kernel's variables
                  env={"AIOS_SERVICE_URL": url, "AIOS_TOKEN": tokens["bob"]})
    terminal = aios("catalog", "search", "supplier", "--json", cwd=elsewhere,      # a terminal's hub token
                    env={"AIOS_SERVICE_URL": url, "JUPYTERHUB_API_TOKEN": tokens["bob"]})

    assert kernel.returncode == 0, kernel.stderr
    assert json.loads(kernel.stdout) == json.loads(with_option.stdout)
    assert terminal.returncode == 0, terminal.stderr
    assert json.loads(terminal.stdout) == json.loads(in_process(ws, "catalog", "search", "supplier", "--json",
                                                                user="bob").stdout)


@contextlib.contextmanager
def listener():
    """An HTTP server that answers 401 to everything and keeps the Authorization headers it was sent."""
    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            seen.append(self.headers.get("Authorization"))
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = answer  # noqa: N815 - http.server names its handlers so

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_terminals_hub_token_goes_to_the_deployments_service_only(served):
    """The hub token of a person's server also opens their Jupyter server: `aios ... --url ELSEWHERE` typed
    in their terminal must not send it there (only $AIOS_SERVICE_URL gets it)."""
    ws, url, tokens, elsewhere = served
    with listener() as (other, seen):
        done = aios("sql", "SELECT 1", "--url", other, cwd=elsewhere,
                    env={"AIOS_SERVICE_URL": url, "JUPYTERHUB_API_TOKEN": tokens["bob"]})

    assert done.returncode != 0 and seen, done.stderr            # it asked, and was refused
    assert all(tokens["bob"] not in (header or "") for header in seen), seen


@pytest.mark.parametrize("command", [("catalog", "ls"), ("catalog", "search", "supplier"),
                                     ("catalog", "show", SUPPLIERS)], ids=["ls", "search", "show"])
def test_a_bad_token_is_a_clear_refusal_without_a_traceback(served, command):
    ws, url, tokens, elsewhere = served

    done = aios(*command, "--url", url, "--token", "not-a-token", cwd=elsewhere)

    assert done.returncode == 77, done.stdout + done.stderr
    assert f"the workbench service at {url} refused the token" in done.stderr
    assert "fix:" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_an_unreachable_service_names_the_url_and_what_to_do(served):
    ws, url, tokens, elsewhere = served

    done = aios("catalog", "ls", "--url", "http://127.0.0.1:9", "--token", tokens["bob"], cwd=elsewhere)

    assert done.returncode == 69, done.stderr
    assert "cannot reach the workbench service at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def test_policy_check_warns_about_a_description_of_an_unknown_column_and_passes(demo_workspace, tmp_path):
    ws = copy_demo_workspace(demo_workspace, tmp_path / "demo")
    policy = ws.root / "governance" / "policy.yaml"
    clean = json.loads(aios("--workspace", str(ws.root), "policy", "check", "--json", cwd=tmp_path).stdout)
    text = policy.read_text()
    anchor = "      supplier_id: Stable supplier key"   # the first of the suppliers' column descriptions
    assert text.count(anchor) == 1
    policy.write_text(text.replace(anchor, f"      contact_mail: How to reach the supplier.\n{anchor}"))

    human = aios("--workspace", str(ws.root), "policy", "check", cwd=tmp_path)
    as_json = aios("--workspace", str(ws.root), "policy", "check", "--json", cwd=tmp_path)

    assert clean["valid"] and clean["warnings"] == []
    assert human.returncode == 0 and as_json.returncode == 0, human.stderr + as_json.stderr
    lines = human.stdout.splitlines()
    assert lines[0].startswith("policy is valid: ")
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert len(warnings) == 1 and f"column 'contact_mail' of {SUPPLIERS}" in warnings[0]
    assert "contact_email" in warnings[0] and "column_descriptions" in warnings[0]   # the real names and the fix
    assert "contact_mail" not in human.stderr   # said once, not also as a log line
    report = json.loads(as_json.stdout)
    assert report["valid"] is True and len(report["warnings"]) == 1 and "'contact_mail'" in report["warnings"][0]


# -- jobs, runs and alerts through the service ------------------------------------------------------------

@pytest.mark.parametrize("args", [("jobs", "ls"), ("jobs", "show", "switch_suppliers"), ("runs", "ls"),
                                  ("jobs", "history", "switch_suppliers"), ("alerts", "ls")],
                         ids=["jobs-ls", "jobs-show", "runs-ls", "history", "alerts-ls"])
def test_job_commands_with_url_print_what_in_process_prints_for_the_tokens_user(served, args):
    ws, url, tokens, elsewhere = served

    for fmt in (["--json"], []):
        remote = aios(*args, *fmt, "--url", url, "--token", tokens["bob"], cwd=elsewhere)
        local = in_process(ws, *args, *fmt, user="bob")

        assert remote.returncode == 0 and local.returncode == 0, remote.stderr + local.stderr
        if fmt:
            assert json.loads(remote.stdout) == json.loads(local.stdout)
        else:
            assert remote.stdout == local.stdout


def test_alice_runs_her_job_from_a_terminal_with_typed_parameters_and_bob_may_not_touch_it(served):
    """`aios jobs run -p` through the service types the values by the notebook's parameters cell, as in
    process; the run is hers (requested_by), and bob, who neither created the job nor runs as it, is refused
    cancelling, pausing or deleting it, each with a clear message and no traceback."""
    ws, url, tokens, elsewhere = served
    as_alice = ("--url", url, "--token", tokens["alice"])

    queued = aios("jobs", "run", "switch_suppliers", "-p", "months=6", "-p", "share=25", "-p", "draft_outreach=no",
                  "--json", *as_alice, cwd=elsewhere)
    assert queued.returncode == 0, queued.stderr
    run = json.loads(queued.stdout)
    assert {k: run["parameters"][k] for k in ("months", "share", "draft_outreach")} == {
        "months": 6, "share": 25.0, "draft_outreach": False}
    assert (run["status"], run["requested_by"], run["trigger"]) == ("queued", "alice", "manual")

    shown = aios("runs", "show", str(run["id"]), *as_alice, cwd=elsewhere)
    assert shown.returncode == 0 and f"run {run['id']} of job switch_suppliers" in shown.stdout, shown.stderr
    log = json.loads(aios("runs", "log", str(run["id"]), "--json", *as_alice, cwd=elsewhere).stdout)
    assert log == {"id": run["id"], "status": "queued", "lines": []}
    no_output = aios("runs", "open", str(run["id"]), *as_alice, cwd=elsewhere)
    assert no_output.returncode != 0 and "is not written yet" in no_output.stderr, no_output.stderr
    assert not list(elsewhere.glob("run-*"))   # nothing half-written

    for command in (("jobs", "cancel", str(run["id"])), ("jobs", "pause", "switch_suppliers"),
                    ("jobs", "delete", "switch_suppliers", "--yes")):
        refused = aios(*command, "--url", url, "--token", tokens["bob"], cwd=elsewhere)
        assert refused.returncode != 0 and "bob may not" in refused.stderr, refused.stdout + refused.stderr
        assert "Traceback" not in refused.stderr

    cancelled = aios("jobs", "cancel", str(run["id"]), "--json", *as_alice, cwd=elsewhere)
    assert json.loads(cancelled.stdout)["status"] == "cancelled", cancelled.stderr
    paused = aios("jobs", "pause", "switch_suppliers", *as_alice, cwd=elsewhere)
    resumed = aios("jobs", "resume", "switch_suppliers", *as_alice, cwd=elsewhere)
    assert "job switch_suppliers paused" in paused.stdout and "job switch_suppliers resumed" in resumed.stdout
    trail = in_process(ws, "audit", "tail", "--action", "job_cancel", "--json", user="alice")
    assert [(r["user"], r["surface"], r["allowed"]) for r in json.loads(trail.stdout)][:1] == [
        ("alice", "api", True)], trail.stdout + trail.stderr   # audited as hers, through the service


def test_a_bad_parameter_through_the_service_names_it_and_queues_nothing(served):
    ws, url, tokens, elsewhere = served
    before = json.loads(in_process(ws, "runs", "ls", "--json", user="alice").stdout)["runs"]

    done = aios("jobs", "run", "switch_suppliers", "-p", "months=soon", "--url", url, "--token", tokens["alice"],
                cwd=elsewhere)

    assert done.returncode != 0 and "months" in done.stderr and "int" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(in_process(ws, "runs", "ls", "--json", user="alice").stdout)["runs"] == before


def test_following_a_log_prints_each_line_once_across_polls():
    from aios_workbench.surfaces.cli.job_fronts import new_lines

    assert new_lines([], ["a", "b"]) == ["a", "b"]
    assert new_lines(["a", "b"], ["a", "b", "c"]) == ["c"]
    assert new_lines(["a", "b", "c"], ["b", "c", "d", "e"]) == ["d", "e"]   # the window moved on
    assert new_lines(["x", "x"], ["x", "x", "x"]) == ["x"]                     # repeated lines still count
    assert new_lines(["a", "b"], ["a", "b"]) == []
    assert new_lines(["a", "b"], ["q", "r"]) == ["q", "r"]                     # more than a window arrived
