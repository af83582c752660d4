"""Dashboard logins without a browser: the hashed credential file, the cookie secret, the
`aios dashboard users` commands and the refusals of `aios dashboard` itself."""

from __future__ import annotations

import json
import stat
import subprocess

import pytest

from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.surfaces.dashboard.users import DashboardUsers, cookie_secret
from tests.conftest import AIOS, run_aios

POLICY = """\
roles:
  analyst: {}
users:
  bob: {roles: [analyst]}
  carol: {roles: [analyst]}
grants: []
"""


@pytest.fixture
def ws(workspace):
    (workspace.root / "governance" / "policy.yaml").write_text(POLICY)
    return workspace


def users_add(root, name: str, password: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([AIOS, "--workspace", str(root), "dashboard", "users", "add", name, "--password-stdin",
                           *extra], input=password + "\n", capture_output=True, text=True, timeout=120)


def test_passwords_are_stored_as_salted_scrypt_hashes_in_a_private_file(ws):
    store = DashboardUsers(ws.state_dir)
    store.set_password("bob", "correct horse", policy_users={"bob"})
    store.set_password("carol", "correct horse", policy_users={"carol"})

    text = store.path.read_text()
    assert "correct horse" not in text
    saved = json.loads(text)["users"]
    assert saved["bob"]["scheme"] == "scrypt" and saved["bob"]["salt"] != saved["carol"]["salt"]
    assert saved["bob"]["hash"] != saved["carol"]["hash"]          # same password, different salts
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.path.parent == ws.state_dir                         # the git-ignored state folder

    assert store.verify("bob", "correct horse")
    assert not store.verify("bob", "correct horse ")
    assert not store.verify("nobody", "correct horse")
    assert not store.verify("bob", None)


def test_changing_a_password_keeps_the_creation_date_and_invalidates_the_old_one(ws):
    store = DashboardUsers(ws.state_dir)
    first = store.set_password("bob", "first-password", policy_users={"bob"})
    created = store.list()[0]["created_at"]
    second = store.set_password("bob", "second-password", policy_users={"bob"})

    assert first["created"] and not second["created"]
    assert store.list()[0]["created_at"] == created
    assert store.verify("bob", "second-password") and not store.verify("bob", "first-password")


def test_only_policy_users_with_long_enough_passwords_get_a_login(ws):
    store = DashboardUsers(ws.state_dir)
    with pytest.raises(NotFound) as unknown:
        store.set_password("mallory", "long-enough", policy_users={"bob", "carol"})
    assert "bob, carol" in unknown.value.fix
    with pytest.raises(UsageError, match="at least 8"):
        store.set_password("bob", "short", policy_users={"bob"})
    with pytest.raises(NotFound):
        store.remove("bob")
    assert store.list() == []


def test_adding_a_login_for_a_stranger_is_refused_before_any_password_is_asked(ws):
    refused = subprocess.run([AIOS, "--workspace", str(ws.root), "dashboard", "users", "add", "mallory"],
                             input="", capture_output=True, text=True, timeout=120)   # no password to give
    assert refused.returncode == 66 and "'mallory' is not a user of governance/policy.yaml" in refused.stderr
    assert "Password" not in refused.stdout + refused.stderr


def test_a_corrupt_logins_file_is_a_config_error_naming_the_file(ws):
    from aios_workbench.core.errors import ConfigError

    store = DashboardUsers(ws.state_dir)
    store.path.write_text("{not json")
    with pytest.raises(ConfigError) as bad:
        store.verify("bob", "whatever-pw")
    assert str(store.path) in bad.value.message


def test_the_cookie_secret_is_generated_once_and_kept_private(ws):
    first = cookie_secret(ws.state_dir)
    assert len(first) >= 32 and cookie_secret(ws.state_dir) == first
    path = ws.state_dir / "dashboard_cookie_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_after_login_only_local_paths_are_followed():
    from aios_workbench.surfaces.dashboard.auth import safe_next

    assert safe_next("/?page=audit") == "/?page=audit"
    for outside in ("//evil.example/", "http://evil.example/", "https:/x", "/\\evil.example", "", None):
        assert safe_next(outside) == "/"


def test_users_commands_add_list_and_remove_logins(ws):
    added = users_add(ws.root, "bob", "bob-password-1", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"user": "bob", "created": True}

    listed = run_aios("--workspace", str(ws.root), "dashboard", "users", "ls", "--json")
    rows = json.loads(listed.stdout)
    assert [(r["user"], r["in_policy"]) for r in rows] == [("bob", True)]
    assert "hash" not in rows[0] and "salt" not in rows[0]

    removed = run_aios("--workspace", str(ws.root), "dashboard", "users", "remove", "bob", "--json")
    assert json.loads(removed.stdout) == {"user": "bob", "removed": True}
    human = run_aios("--workspace", str(ws.root), "dashboard", "users", "ls")
    assert "no dashboard logins" in human.stdout


def test_users_add_refuses_unknown_users_and_short_passwords_with_the_fix(ws):
    unknown = users_add(ws.root, "mallory", "long-enough-pw", "--json")
    assert unknown.returncode == 66
    error = json.loads(unknown.stdout.splitlines()[0])
    assert error["error"] == "not_found" and "bob, carol" in error["fix"]

    short = users_add(ws.root, "bob", "short")
    assert short.returncode == 64 and "at least 8 characters" in short.stderr


def test_dashboard_refuses_to_start_without_logins(ws):
    nobody = run_aios("--workspace", str(ws.root), "dashboard", "--port", "1")
    assert nobody.returncode == 64
    assert "nobody can log in" in nobody.stderr and "aios dashboard users add" in nobody.stderr
    assert json.loads(run_aios("--workspace", str(ws.root), "dashboard", "--json").stdout)["error"] == "bad_input"


def test_team_mode_refuses_a_url_where_no_workbench_service_answers(tmp_path):
    from tests.conftest import free_port

    nothing = run_aios("dashboard", "--service-url", f"http://127.0.0.1:{free_port()}", "--json", cwd=tmp_path)
    assert nothing.returncode != 0
    error = json.loads(nothing.stdout)
    assert error["error"] == "connector_error" and "cannot reach the workbench service" in error["message"]
    assert "--service-url" in error["fix"]

    not_http = run_aios("dashboard", "--service-url", "workbench.example.com", cwd=tmp_path)
    assert not_http.returncode == 64 and "must be an http(s) URL" in not_http.stderr


def test_team_sessions_keep_tokens_in_memory_per_user_and_expire():
    from aios_workbench.surfaces.dashboard.auth import TokenSessions

    sessions = TokenSessions(ttl_seconds=60)
    first = sessions.open("bob", "aios_bobs-token")
    assert sessions.token(first, "bob") == "aios_bobs-token"
    assert sessions.token(first, "alice") is None          # a session id is only good for its own user
    assert sessions.token("guessed", "bob") is None and sessions.token(None, "bob") is None
    sessions.close(first)
    assert sessions.token(first, "bob") is None
    short_lived = TokenSessions(ttl_seconds=0)
    expired = short_lived.open("bob", "aios_bobs-token")
    assert short_lived.token(expired, "bob") is None


@pytest.mark.parametrize("command", [("dashboard",), ("dashboard", "users"), ("dashboard", "users", "add"),
                                     ("dashboard", "users", "ls"), ("dashboard", "users", "remove")])
def test_every_dashboard_command_has_help_and_json(command):
    shown = run_aios(*command, "--help")
    assert shown.returncode == 0 and "Usage:" in shown.stdout
    if command != ("dashboard", "users"):
        assert "--json" in shown.stdout


def test_an_identity_providers_login_is_a_policy_user_by_name_or_by_a_unique_email():
    from aios_workbench.policy.model import PolicyFile

    policy = PolicyFile.model_validate({
        "roles": {"analyst": {}},
        "users": {"bob": {"roles": ["analyst"], "attributes": {"email": "Bob@Example.com"}},
                  "ann": {"roles": ["analyst"], "attributes": {"email": "team@example.com"}},
                  "art": {"roles": ["analyst"], "attributes": {"email": "team@example.com"}},
                  "cy": {"roles": ["analyst"]}}})
    assert policy.user_signed_in_as("bob") == "bob"
    assert policy.user_signed_in_as("bob@example.com") == "bob"          # any case
    assert policy.user_signed_in_as(" BOB@EXAMPLE.COM ") == "bob"
    assert policy.user_signed_in_as("team@example.com") is None          # two users share it: nobody
    assert policy.user_signed_in_as("cy@example.com") is None
    assert policy.user_signed_in_as("mallory") is None
