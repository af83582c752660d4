"""Internal errors: what a client is told (an error id, nothing of the server's insides) and what the
service log keeps (the traceback under that id).

Every surface that answers someone else (the REST routes of `aios serve`, of the Jupyter server
extension and of a job's runtime; the CLI's last resort) turns an unexpected exception into
`internal_error_body(report(exc, ...))`: the client reads "Something went wrong ... (error id 7f3a...)",
the administrator greps the log for the id. A `WorkbenchError` raised on purpose keeps its message, but
passes `client_safe` first: a message carrying an engine's stack trace is an internal error in disguise,
and absolute paths of the server (the workspace, its state folder, the Python installation) are
replaced by placeholders.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aios_workbench.core.logs import redact

log = logging.getLogger("aios_workbench.incidents")

INTERNAL_ERROR = "internal_error"
LOG_NAME = "errors.log"                  # under the state folder's logs/: one incident log per workspace
LOG_LIMIT = 10 * 2**20                   # bytes; the log is rotated once (errors.log.1) beyond it
# Text that only an exception's insides carry: DuckDB's native stack, Python's traceback
_STACK_MARKERS = ("Stack Trace:", "Traceback (most recent call last)")


_RELAYED = re.compile(r"Something went wrong on the workbench service \(error id [0-9a-f]+\)\.")


def new_error_id() -> str:
    """A short random id naming one incident in the log (12 hex digits)."""
    return secrets.token_hex(6)


def internal_message(error_id: str) -> str:
    return (f"Something went wrong on the workbench service (error id {error_id}). An administrator can find "
            "the details in the service log under that id.")


def internal_error_body(error_id: str) -> dict[str, Any]:
    """The JSON body of an internal error: its id, and nothing of the exception."""
    return {"error": INTERNAL_ERROR, "message": internal_message(error_id),
            "fix": "retry; if it happens again, give the error id to the workbench's administrator",
            "error_id": error_id}


def report(exc: BaseException, *, where: str, user: str | None = None, state_dir: Path | None = None,
           details: str | None = None, process_log: bool = True) -> str:
    """Log `exc` with its traceback (or `details`, the full text of an error that was about to leave)
    under a new error id, in the process's log (unless not `process_log`) and in the workspace's
    `logs/errors.log` (when its `state_dir` is known); the id."""
    error_id = new_error_id()
    text = redact(details if details is not None else "".join(traceback.format_exception(exc))).rstrip()
    head = f"internal error {error_id} in {where}" + (f" (user {user})" if user else "")
    if process_log or state_dir is None:
        log.error("%s\n%s", head, text)
    if state_dir is not None:
        _append(log_path(state_dir), f"{datetime.now(UTC).isoformat()} {head}\n{text}\n\n")
    return error_id


def log_path(state_dir: Path | str) -> Path:
    """The workspace's incident log."""
    return Path(state_dir) / "logs" / LOG_NAME


def _append(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_LIMIT:
            os.replace(path, path.with_name(path.name + ".1"))
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:   # the process's own log above has it; a read-only state folder must not fail the answer
        log.warning("could not append to %s", path, exc_info=True)


def internal_details(error: Exception, body: dict[str, Any]) -> str | None:
    """What to log of a `WorkbenchError` that must reach its client as an internal error, or None when its
    body may be answered: one raised as internal (code `internal_error`; its `details`, if it carries them),
    or one whose text holds a stack trace (an engine's failure wrapped as a refusal)."""
    if body.get("error") == INTERNAL_ERROR and _RELAYED.match(str(body.get("message", ""))):
        return None   # another service's internal error, relayed: its id is the one to give
    if body.get("error") != INTERNAL_ERROR and not any(
            carries_internals(value) for value in body.values() if isinstance(value, str)):
        return None
    extra = getattr(error, "details", None)
    lines = [f"{key}: {value}" for key, value in body.items() if value is not None]
    return "\n".join(lines + ([f"details: {extra}"] if extra else []))


def carries_internals(message: str) -> bool:
    """Whether an error message holds a stack trace (an engine's or Python's): never for a client."""
    return any(marker in message for marker in _STACK_MARKERS)


def server_paths(*roots: tuple[str, Path | str | None]) -> list[tuple[str, str]]:
    """(placeholder, absolute path) pairs, longest path first: the given `roots` (e.g. the state folder
    as "<state>", the workspace as "<workspace>") and the Python installation."""
    pairs = [(name, str(path)) for name, path in roots if path]
    pairs += [("<python>", p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix} if p and p != "/"]
    home = os.path.expanduser("~")
    if home and home != "/":
        pairs.append(("~", home))
    resolved = []
    for name, path in pairs:
        resolved.append((name, path.rstrip("/")))
        real = os.path.realpath(path).rstrip("/")
        if real != path.rstrip("/"):
            resolved.append((name, real))
    return sorted(set(resolved), key=lambda pair: -len(pair[1]))


def scrub_paths(text: str, paths: Iterable[tuple[str, str]]) -> str:
    """`text` with every absolute path under one of `paths` shown under its placeholder instead."""
    for name, path in paths:
        if path:
            text = re.sub(re.escape(path) + r"(?=/|\b|$)", name.replace("\\", "\\\\"), text)
    return text
