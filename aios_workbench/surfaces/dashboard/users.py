"""Dashboard logins: salted scrypt hashes kept in the workspace state folder, never in version control.

`<state>/dashboard_users.json` maps a policy user name to its hash parameters. The
file is written atomically with mode 0600 and read again on every login, so
`aios dashboard users add|remove` takes effect on a running dashboard. A login name
must also be a user of governance/policy.yaml: the dashboard acts as that user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from aios_workbench.core.errors import ConfigError, NotFound, UsageError

USERS_FILE = "dashboard_users.json"
SECRET_FILE = "dashboard_cookie_secret"
MIN_PASSWORD_LENGTH = 8
# scrypt cost: n=2**14, r=8 takes ~50 ms and 16 MiB here: slow for guessing, quick for one login
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
_DUMMY_SALT = b"\0" * 16


def _scrypt(password: str, salt: bytes, params: dict) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=params["n"], r=params["r"], p=params["p"],
                          dklen=params["dklen"], maxmem=128 * 1024 * 1024)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_private(path: Path, text: str) -> None:
    """Write `text` through a 0600 temporary sibling, then rename: never half a file, never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DashboardUsers:
    """The dashboard's credential file of one workspace."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / USERS_FILE

    def _load(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the dashboard logins in {self.path}: {exc}",
                              fix="remove the file and add the users again with `aios dashboard users add`",
                              input=str(self.path)) from None
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            raise ConfigError(f"{self.path} holds no `users` mapping",
                              fix="remove the file and add the users again with `aios dashboard users add`",
                              input=str(self.path))
        return users

    def _save(self, users: dict) -> None:
        write_private(self.path, json.dumps({"version": 1, "users": users}, indent=2, sort_keys=True) + "\n")

    def list(self) -> list[dict]:
        """Login names with when they were created and last changed (never the hashes)."""
        return [{"user": name, "created_at": info.get("created_at"), "updated_at": info.get("updated_at")}
                for name, info in sorted(self._load().items())]

    @staticmethod
    def require_policy_user(user: str, policy_users) -> None:
        """Only policy users get a login (raises NotFound naming the known ones)."""
        known = sorted(policy_users)
        if user not in known:
            raise NotFound(f"{user!r} is not a user of governance/policy.yaml, so it cannot log in",
                           fix=f"use one of: {', '.join(known) or 'none defined'}; or add it under `users:`",
                           input=user)

    def set_password(self, user: str, password: str, *, policy_users) -> dict:
        """Add `user` or replace its password; `user` must be a policy user."""
        self.require_policy_user(user, policy_users)
        if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
            raise UsageError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                             fix="choose a longer password", input=user)
        users = self._load()
        salt = secrets.token_bytes(16)
        previous = users.get(user, {})
        users[user] = {"scheme": "scrypt", **SCRYPT, "salt": salt.hex(),
                       "hash": _scrypt(password, salt, SCRYPT).hex(),
                       "created_at": previous.get("created_at") or _now(), "updated_at": _now()}
        self._save(users)
        return {"user": user, "created": not previous}

    def remove(self, user: str) -> None:
        users = self._load()
        if user not in users:
            raise NotFound(f"no dashboard login {user!r}", fix="list them with `aios dashboard users ls`", input=user)
        del users[user]
        self._save(users)

    def verify(self, user: str, password: str) -> bool:
        """True when `password` is `user`'s; as slow for unknown users as for known ones."""
        info = self._load().get(user) if isinstance(user, str) else None
        if not isinstance(password, str):
            password = ""
        if not info or info.get("scheme") != "scrypt":
            _scrypt(password, _DUMMY_SALT, SCRYPT)
            return False
        try:
            params = {k: int(info[k]) for k in ("n", "r", "p", "dklen")}
            expected, salt = bytes.fromhex(info["hash"]), bytes.fromhex(info["salt"])
        except (KeyError, ValueError, TypeError):
            return False
        return hmac.compare_digest(_scrypt(password, salt, params), expected)


def cookie_secret(state_dir: Path) -> str:
    """The secret that signs login cookies: generated once into the state folder, then reused,
    so logins survive a dashboard restart."""
    path = Path(state_dir) / SECRET_FILE
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) >= 32:
            return secret
    secret = secrets.token_urlsafe(48)
    write_private(path, secret + "\n")
    return secret
