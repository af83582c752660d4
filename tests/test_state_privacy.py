"""Team mode keeps the state to the service's account: `aios serve` with `hub:` refuses a state folder (or
store, secrets file, witness) other accounts can reach; without `hub:` it warns; `aios status` reports it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import AIOS, free_port, run_aios, stop, wait_for_http

SERVICE_TOKEN = "privacy-service-token-0123456789"
UNREACHABLE_HUB = f"http://127.0.0.1:{free_port()}/hub/api"   # nothing listens: the service only warns


@pytest.fixture
def root(workspace):
    """A new workspace in team mode; its state folder as `aios init` left it under umask 022 (0755)."""
    with open(workspace.root / "aios.yaml", "a", encoding="utf-8") as config:
        config.write(f"hub:\n  api_url: {UNREACHABLE_HUB}\n")
    workspace.state_dir.chmod(0o755)
    return workspace.root


def serve(root, *, env: dict | None = None) -> subprocess.Popen:
    environ = {**os.environ, "AIOS_TOKEN": SERVICE_TOKEN, "JUPYTERHUB_API_TOKEN": "hub-token-of-the-service",
               **(env or {})}
    return subprocess.Popen([AIOS, "--workspace", str(root), "serve", "--port", str(free_port())], cwd=root,
                            env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def refusal(root, **kwargs) -> tuple[int, str]:
    process = serve(root, **kwargs)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def private(root) -> None:
    subprocess.run(["chmod", "-R", "go-rwx", str(root / ".aios")], check=True)


def local_status(root) -> dict:
    done = run_aios("--workspace", str(root), "status", "--json")
    return json.loads(done.stdout)


def test_team_mode_refuses_a_state_folder_others_can_read(root):
    code, err = refusal(root)

    assert code == 78
    assert "team mode (`hub:` in aios.yaml) refuses to serve a state other accounts can reach" in err
    assert ".aios (state folder, mode 755)" in err and ".aios/metadata.db (metadata store, mode 644)" in err
    assert "fix: chmod -R go-rwx .aios" in err
    assert "Traceback" not in err


def test_team_mode_starts_once_the_state_is_private_and_keeps_what_it_creates_private(root):
    private(root)
    process = serve(root)
    port = process.args[process.args.index("--port") + 1]
    try:
        wait_for_http(f"http://127.0.0.1:{port}/aios/api/status", process=process)
        answer = subprocess.run([AIOS, "status", "--url", f"http://127.0.0.1:{port}", "--json"], capture_output=True,
                                text=True, env={**os.environ, "AIOS_TOKEN": SERVICE_TOKEN}, timeout=60)
        status = json.loads(answer.stdout)
    finally:
        output = stop(process)

    assert status["state_private"] is True
    assert status["state_exposed"] is None   # which paths: for auditors and the workspace's own user only
    assert "does not answer yet" in output                                     # the hub is down: a warning only
    assert local_status(root)["state_private"] is True
    salt = root / ".aios" / "mask.salt"
    assert not salt.exists() or salt.stat().st_mode & 0o077 == 0


def test_a_secrets_file_others_can_read_is_refused_too(root, tmp_path):
    private(root)
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text("PG_PASSWORD: hunter2\n")
    secrets_file.chmod(0o644)

    code, err = refusal(root, env={"AIOS_SECRETS_FILE": str(secrets_file)})

    assert code == 78 and f"{secrets_file} (secrets file, mode 644)" in err
    assert f"chmod go-rwx {secrets_file}" in err and ".aios (" not in err and "hunter2" not in err


def test_a_store_file_others_can_read_is_refused_even_in_a_private_folder(root):
    private(root)
    (root / ".aios" / "metadata.db").chmod(0o640)

    code, err = refusal(root)

    assert code == 78 and ".aios/metadata.db (metadata store, mode 640)" in err


def test_status_names_what_is_open_and_a_personal_service_only_warns(workspace):
    workspace.state_dir.chmod(0o755)

    status = local_status(workspace.root)
    process = serve(workspace.root)
    port = process.args[process.args.index("--port") + 1]
    try:
        wait_for_http(f"http://127.0.0.1:{port}/aios/api/status", process=process)
    finally:
        output = stop(process)

    assert status["state_private"] is False
    assert ".aios (state folder, mode 755)" in status["state_exposed"]
    assert "warning: other accounts can reach the workspace's state: .aios (state folder, mode 755)" in output
