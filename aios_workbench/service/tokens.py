"""Per-user tokens of `aios serve`: one service, many people, each acting as themselves.

`aios serve` always accepts its own token (for the identity it was started with, `--user`). A team adds
a token per person (`aios tokens add ana`): the holder acts as `ana`, so the policy's grants, masks and
row filters are hers on every route. Only a SHA-256 digest of each token is kept, in
`.aios/service_tokens.json` (mode 0600): the token itself is shown once, at creation. Tokens are
revoked by id; the service re-reads the file when it changes, so adding or revoking needs no restart.

An *agent* token (`aios tokens add triage-bot --agent [--on-behalf-of bob]`) belongs to an AI agent: it
reaches the MCP gateway only (`aios mcp`, `/aios/mcp`), never the REST routes, with the tools and limits
written in its entry.

A *delegate* token (`aios tokens add dashboard --delegate`) belongs to a trusted front end, not a person:
the team-mode dashboard with OAuth logins, whose users never see a service token. Its holder acts for the
policy user it names in the `X-AIOS-Act-As` header (percent-encoded), on the dashboard's views only: what
the dashboard reads, and its own actions (acknowledge an alert, verify the audit chain), as that user; no
SQL, no dataset writes, no job control. Without that header it is nobody. See `standalone.TokenAuthBase`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import ConfigError, NotFound, UsageError

FILE_NAME = "service_tokens.json"


def new_token() -> str:
    """A fresh secret for a server or a caller: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)

PREFIX = "aios_"   # recognisable in a secret scanner, and never confused with the service's own token
ACT_AS = "X-AIOS-Act-As"   # the header a delegate token names its user in


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServiceTokens:
    """The token file of one workspace."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / FILE_NAME
        self._lock = threading.Lock()
        self._cache: tuple[float, list[dict[str, Any]]] | None = None

    def _read(self) -> list[dict[str, Any]]:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        with self._lock:
            if self._cache and self._cache[0] == stamp:
                return self._cache[1]
            try:
                entries: list[dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))["tokens"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{self.path}: not a token file ({exc})",
                                  fix="remove it and add the tokens again with `aios tokens add USER`",
                                  input=str(self.path)) from None
            self._cache = (stamp, entries)
            return entries

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"tokens": entries}, handle, indent=1)
        os.replace(temporary, self.path)

    def add(self, user: str, *, label: str = "", delegate: bool = False, for_roles: tuple[str, ...] = (),
            agent: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
        """A new token for `user` (a front end's name when `delegate`, acting only for users holding one
        of `for_roles` when given; an AI agent's name with `agent`: its `on_behalf_of`, `tools` and `limits`,
        see `surfaces/mcp/identity.py`): (its public entry, the token, shown this once)."""
        if not user or not user.strip():
            raise UsageError("a token needs a user", fix="aios tokens add USER", input=user)
        token = PREFIX + new_token()
        entries = list(self._read())
        entry: dict[str, Any] = {"id": secrets.token_hex(4), "user": user.strip(), "label": label,
                 "created": datetime.now(UTC).isoformat(timespec="seconds"), "sha256": _digest(token)}
        if agent is not None:
            if delegate:
                raise UsageError("a token is an agent's or a front end's, not both", fix="drop --delegate",
                                 input=user)
            entry["agent"] = {k: v for k, v in agent.items() if v not in (None, (), [])}
        if delegate:
            entry["delegate"] = True
            if for_roles:
                entry["for_roles"] = sorted(set(for_roles))
        elif for_roles:
            raise UsageError("only a delegate token acts for others", fix="add --delegate, or drop --for-role",
                             input=",".join(for_roles))
        self._write([*entries, entry])
        return self._public(entry), token

    def list(self) -> list[dict[str, Any]]:
        return [self._public(e) for e in self._read()]

    def revoke(self, token_id: str) -> dict[str, Any]:
        entries = self._read()
        kept = [e for e in entries if e["id"] != token_id]
        if len(kept) == len(entries):
            raise NotFound(f"no token with id {token_id!r}", fix="see `aios tokens ls`", input=token_id)
        self._write(kept)
        return self._public(next(e for e in entries if e["id"] == token_id))

    def entry_for(self, token: str) -> dict[str, Any] | None:
        """The public entry of this token (id, user, label, delegate?), or None. Compares digests in
        constant time."""
        if not token.startswith(PREFIX):
            return None
        digest = _digest(token)
        found = None
        for entry in self._read():
            if hmac.compare_digest(entry["sha256"], digest):
                found = entry
        return self._public(found) if found else None

    @staticmethod
    def _public(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k != "sha256"}
