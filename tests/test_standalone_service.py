"""`aios serve`: the same API standalone, behind a bearer token, as a real process."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from aios_workbench.surfaces.rest.routes import API_PREFIX, all_routes
from tests.conftest import AIOS, aios_serve, free_port, run_aios, stop

ROUTES = all_routes()

TOKEN = "test-token-0123456789"


@pytest.fixture(scope="module")
def served_workspace(tmp_path_factory):
    from aios_workbench.workspace import Workspace
    from aios_workbench.workspace.scaffold import init_workspace

    return Workspace.load(init_workspace(tmp_path_factory.mktemp("served") / "ws"))


@pytest.fixture(scope="module")
def served(served_workspace):
    """One `aios serve` process for the module's tests."""
    with aios_serve(served_workspace.root, token=TOKEN) as url:
        yield url, None


def get(url: str, token: str | None = None, scheme: str = "Bearer"):
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"{scheme} {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:   # closed here: an open error answer warns in a later test
            return exc.code, exc.read()


def test_status_with_the_token(served, served_workspace):
    url, _ = served

    code, body = get(f"{url}/{API_PREFIX}/status", TOKEN)

    status = json.loads(body)
    assert code == 200
    assert status["mode"] == "standalone"
    assert status["workspace"]["name"] == served_workspace.name
    assert status["store"]["ok"] is True


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_every_route_refuses_a_missing_or_wrong_token(served, route, token):
    url, _ = served

    code, body = get(f"{url}/{API_PREFIX}/{route.path}", token)

    assert code == 401
    assert json.loads(body)["error"] == "authentication_required"


def test_jupyter_style_token_header_is_accepted(served):
    url, _ = served

    assert get(f"{url}/{API_PREFIX}/status", TOKEN, scheme="token")[0] == 200


def test_unknown_paths_answer_404_only_to_authenticated_callers(served):
    url, _ = served

    assert get(f"{url}/{API_PREFIX}/nope", TOKEN)[0] == 404
    assert get(f"{url}/{API_PREFIX}/nope")[0] == 401
    assert get(f"{url}/")[0] == 401


def test_status_command_asks_a_running_service(served):
    url, _ = served

    result = run_aios("status", "--url", url, "--json", env={"AIOS_TOKEN": TOKEN})

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["mode"] == "standalone"
    refused = run_aios("status", "--url", url, env={"AIOS_TOKEN": "bad"})
    assert refused.returncode == 77
    assert "refused the token" in refused.stderr
    none_sent = run_aios("status", "--url", url, env={"AIOS_TOKEN": ""})
    assert none_sent.returncode == 77 and "needs a token, and none was sent" in none_sent.stderr
    status, body = get(f"{url}/{API_PREFIX}/status", token="wrong")
    assert status == 401 and "the token sent is not valid here" in json.loads(body)["message"]
    status, body = get(f"{url}/{API_PREFIX}/status")
    assert status == 401 and "this endpoint needs the service token" in json.loads(body)["message"]


def test_generated_token_is_printed_once_and_works(workspace):
    port = free_port()
    env = {k: v for k, v in __import__("os").environ.items() if k != "AIOS_TOKEN"}
    process = subprocess.Popen([AIOS, "--workspace", str(workspace.root), "serve", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        token = lines[1].split("token:")[1].strip()
        assert len(token) >= 32
        assert get(f"http://127.0.0.1:{port}/{API_PREFIX}/status", token)[0] == 200
    finally:
        stop(process)


def test_unreachable_service_is_a_clear_error():
    result = run_aios("status", "--url", f"http://127.0.0.1:{free_port()}", env={"AIOS_TOKEN": TOKEN})

    assert result.returncode == 69
    assert "cannot reach the workbench service" in result.stderr
    assert "fix:" in result.stderr


def test_an_explicit_user_outside_the_policy_is_refused(served_workspace):
    result = run_aios("--workspace", str(served_workspace.root), "serve", "--port", str(free_port()),
                      "--user", "ghost", env={"AIOS_TOKEN": TOKEN}, timeout=60)

    assert result.returncode == 64, result.stdout + result.stderr
    assert "'ghost' is not a user of governance/policy.yaml" in result.stderr
    assert "fix:" in result.stderr and "aios serve --user" in result.stderr
    assert "Traceback" not in result.stderr


def test_jupyterlab_for_a_user_outside_the_policy_is_refused(served_workspace):
    result = run_aios("--workspace", str(served_workspace.root), "lab", "--port", str(free_port()), "--no-browser",
                      "--user", "ghost", timeout=60)

    assert result.returncode == 64, result.stdout + result.stderr
    assert "'ghost' is not a user of governance/policy.yaml" in result.stderr and "aios lab --user" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_default_user_outside_the_policy_is_served_with_a_warning(workspace):
    """Without --user the OS account is served as before, even when the policy lacks it, but with a warning."""
    import getpass
    import os

    me = getpass.getuser()
    policy = workspace.root / "governance" / "policy.yaml"
    policy.write_text(policy.read_text().replace(f"  {me}:\n", "  someone-else:\n"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "AIOS_USER"} | {"AIOS_TOKEN": TOKEN}
    process = subprocess.Popen([AIOS, "--workspace", str(workspace.root), "serve", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "http://" in process.stdout.readline()   # it listens
        assert get(f"http://127.0.0.1:{port}/{API_PREFIX}/status", TOKEN)[0] == 200
    finally:
        printed = stop(process)
    assert f"warning: the service token acts as {me!r} (the OS account)" in printed
    assert "not a user of governance/policy.yaml" in printed and "aios serve --user someone-else" in printed


def test_without_user_the_service_acts_as_aios_user_like_every_other_command(workspace):
    import os

    port = free_port()
    process = subprocess.Popen([AIOS, "--workspace", str(workspace.root), "serve", "--port", str(port)],
                               env={**os.environ, "AIOS_TOKEN": TOKEN, "AIOS_USER": "nobody-here"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "http://" in process.stdout.readline()
        status, body = get(f"http://127.0.0.1:{port}/{API_PREFIX}/status", TOKEN)
    finally:
        printed = stop(process)
    assert status == 200 and json.loads(body)["user"] == "nobody-here"
    assert "warning: the service token acts as 'nobody-here' ($AIOS_USER)" in printed


@pytest.fixture
def taken_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_on_a_port_in_use_names_the_port_and_the_fix(served_workspace, taken_port):
    result = run_aios("--workspace", str(served_workspace.root), "serve", "--port", str(taken_port),
                      env={"AIOS_TOKEN": TOKEN}, timeout=60)

    assert result.returncode == 64, result.stdout + result.stderr
    assert f"port {taken_port} is already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_dashboard_on_a_port_in_use_names_the_port_and_the_fix(workspace, taken_port):
    import getpass

    login = subprocess.run([AIOS, "--workspace", str(workspace.root), "dashboard", "users", "add", getpass.getuser(),
                            "--password-stdin"], input="a-long-password-123\n", capture_output=True, text=True)
    assert login.returncode == 0, login.stderr

    result = run_aios("--workspace", str(workspace.root), "dashboard", "--port", str(taken_port), timeout=120)

    assert result.returncode == 64, result.stdout + result.stderr
    assert f"port {taken_port} is already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
