"""Per-user tokens of `aios serve` (`aios tokens add|ls|revoke`): one service, each person as themselves."""

from __future__ import annotations

import json
import stat

import pytest

from aios_workbench.core.errors import WorkbenchError
from tests.conftest import aios_serve, run_aios
from tests.governed_fixtures import build_governed_workspace

SERVICE_TOKEN = "service-token-0123456789"


@pytest.fixture
def root(tmp_path):
    root = build_governed_workspace(tmp_path / "ws")
    assert run_aios("--workspace", str(root), "catalog", "scan").returncode == 0
    return root


def add_token(root, user: str) -> dict:
    done = run_aios("--workspace", str(root), "tokens", "add", user, "--label", f"{user} laptop", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def emails(url: str, token: str) -> list[str]:
    from aios_workbench.kernel.client import ServiceClient

    table = ServiceClient(url, token).query_arrow("SELECT email FROM hr.main.people ORDER BY id LIMIT 3")
    return table["email"].to_pylist()


def test_each_token_acts_as_its_user_and_a_revoked_one_is_refused(root):
    from aios_workbench.kernel.client import ServiceClient

    ana, sam = add_token(root, "ana"), add_token(root, "sam")

    with aios_serve(root, token=SERVICE_TOKEN, user="otto") as url:
        assert ServiceClient(url, ana["token"]).status()["user"] == "ana"
        assert ServiceClient(url, sam["token"]).status()["user"] == "sam"
        assert ServiceClient(url, SERVICE_TOKEN).status()["user"] == "otto"   # the service's own identity
        raw = emails(url, sam["token"])
        assert all(e.endswith("@secret.example") for e in raw)              # the steward sees raw values
        assert not any(e in raw for e in emails(url, ana["token"]))          # the analyst sees hashes

        revoked = run_aios("--workspace", str(root), "tokens", "revoke", ana["id"], "--json")
        assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked"] is True
        with pytest.raises(WorkbenchError, match="refused the token"):      # no restart needed
            ServiceClient(url, ana["token"]).status()
        assert ServiceClient(url, sam["token"]).status()["user"] == "sam"


def test_only_digests_are_stored_and_the_file_is_private(root):
    token = add_token(root, "ana")["token"]

    path = root / ".aios" / "service_tokens.json"
    assert token not in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o600
    listed = run_aios("--workspace", str(root), "tokens", "ls", "--json")
    assert [(t["user"], t["label"]) for t in json.loads(listed.stdout)] == [("ana", "ana laptop")]
    assert "token" not in json.loads(listed.stdout)[0] and "sha256" not in json.loads(listed.stdout)[0]


def test_bad_users_and_ids_are_refused_with_the_fix(root):
    unknown = run_aios("--workspace", str(root), "tokens", "add", "mallory")
    assert unknown.returncode == 64 and "'mallory' is not a user of governance/policy.yaml" in unknown.stderr
    assert "fix: add `mallory:`" in unknown.stderr
    missing = run_aios("--workspace", str(root), "tokens", "revoke", "deadbeef")
    assert missing.returncode == 66 and "no token with id 'deadbeef'" in missing.stderr
    assert not (root / ".aios" / "service_tokens.json").exists()
