"""Who an agent is, what it may call, and how much: resolved from its token on every call.

An agent token (`aios tokens add NAME --agent`) acts either as policy user NAME (an `agent` role, or any) or,
with `--on-behalf-of USER`, as USER with a narrowed set of tools. Every call is audited as that user with
`via: agent NAME (token ID)`. The token is looked up again on each call, so revoking it ends the agent's
sessions at once. Limits (rows per call, calls per minute, bytes returned) hold per token in the serving
process: a restarted gateway starts counting again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aios_workbench.core.errors import AuthenticationRequired, PermissionDenied, UsageError, WorkbenchError
from aios_workbench.service.tokens import ServiceTokens

DEFAULT_LIMITS = {"max_rows": 200, "calls_per_minute": 60, "max_bytes": 20_000_000}


@dataclass(frozen=True)
class Agent:
    """An authenticated agent: its name, the policy user it acts as, its tools and limits."""

    name: str
    user: str
    token_id: str
    tools: frozenset[str] | None      # None: every tool
    max_rows: int
    calls_per_minute: int
    max_bytes: int

    @property
    def via(self) -> str:
        return f"agent {self.name} (token {self.token_id})"

    @property
    def on_behalf(self) -> bool:
        return self.user != self.name


def agent_entry(*, on_behalf_of: str | None, tools: list[str], limits: dict[str, int | None],
                known_tools: set[str], policy_users: set[str], name: str) -> dict[str, Any]:
    """The `agent` part of a token entry, checked: a known user to act for, known tools, positive limits."""
    if on_behalf_of is None and name not in policy_users:
        raise UsageError(f"{name!r} is not a user of governance/policy.yaml, so the agent cannot act as itself",
                         fix=f"add `{name}: {{roles: [agent]}}` under `users:`, or pass --on-behalf-of USER",
                         input=name)
    if on_behalf_of is not None and on_behalf_of not in policy_users:
        raise UsageError(f"{on_behalf_of!r} is not a user of governance/policy.yaml", input=on_behalf_of,
                         fix="name the policy user the agent acts for")
    unknown = sorted(set(tools) - known_tools)
    if unknown:
        raise UsageError(f"no tool {unknown[0]!r}", input=unknown[0], fix=f"one of: {', '.join(sorted(known_tools))}")
    for key, value in limits.items():
        if value is not None and value <= 0:
            raise UsageError(f"{key.replace('_', ' ')} must be positive", input=str(value), fix="pass a number > 0")
    return {"on_behalf_of": on_behalf_of, "tools": sorted(tools),
            "limits": {k: v for k, v in limits.items() if v is not None}}


def resolve(tokens: ServiceTokens, token: str | None) -> Agent:
    """The agent holding `token`, or a refusal that tells an agent's operator what to do."""
    if not token:
        raise AuthenticationRequired("no agent token was sent",
                                     fix="send `Authorization: Bearer <token>` with a token from "
                                         "`aios tokens add NAME --agent` (stdio: set AIOS_AGENT_TOKEN)")
    entry = tokens.entry_for(token)
    if entry is None:
        raise AuthenticationRequired("the agent token is not valid (mistyped or revoked)",
                                     fix="ask an administrator for a new one (`aios tokens add NAME --agent`)")
    spec = entry.get("agent")
    if spec is None:
        raise PermissionDenied(f"token {entry['id']} is not an agent's: {entry['user']}'s own token stays with them",
                               fix=f"make one for the agent: `aios tokens add NAME --agent --on-behalf-of "
                                   f"{entry['user']}`", input="token")
    limits = {**DEFAULT_LIMITS, **spec.get("limits", {})}
    tools = spec.get("tools")
    return Agent(name=entry["user"], user=spec.get("on_behalf_of") or entry["user"], token_id=entry["id"],
                 tools=frozenset(tools) if tools else None, max_rows=int(limits["max_rows"]),
                 calls_per_minute=int(limits["calls_per_minute"]), max_bytes=int(limits["max_bytes"]))


class Meter:
    """Calls per minute and bytes returned, per agent token, in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._bytes: dict[str, int] = {}

    def admit(self, agent: Agent) -> None:
        """Count one call, or refuse it past the agent's calls per minute or bytes."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(agent.token_id, deque())
            while calls and calls[0] <= now - 60:
                calls.popleft()
            if len(calls) >= agent.calls_per_minute:
                wait = int(60 - (now - calls[0])) + 1
                raise PermissionDenied(f"agent {agent.name} made {agent.calls_per_minute} calls in the last minute "
                                       "(its limit)", fix=f"wait {wait} s, or batch the question into one query",
                                       input="calls_per_minute")
            if self._bytes.get(agent.token_id, 0) >= agent.max_bytes:
                raise PermissionDenied(f"agent {agent.name} has received {agent.max_bytes:,} bytes (its limit)",
                                       fix="ask an administrator for a new token with a higher --max-bytes",
                                       input="max_bytes")
            calls.append(now)

    def returned(self, agent: Agent, size: int) -> None:
        with self._lock:
            self._bytes[agent.token_id] = self._bytes.get(agent.token_id, 0) + size


def bearer(headers: Mapping[str, str] | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header."""
    if not headers:
        return None
    scheme, _, token = (headers.get("authorization") or headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "token") and token.strip() else None


def short(exc: WorkbenchError) -> str:
    """A refusal a model can act on: what failed, then what to do instead."""
    return f"{exc.message}. Fix: {exc.fix}" if getattr(exc, "fix", None) else exc.message
