"""`wb.promote(...)`: promote the current notebook from its kernel, through the workbench service.

The service runs the gates (the kernel only asks): the result renders as a compact gate table
in Jupyter and carries `.passed`, `.gates` and `.version`.

Where the notebook lives decides what is sent (`notebook_payload`). A kernel of `aios lab` (AIOS_WORKSPACE
set) names a workspace notebook and the service reads it. Any other kernel (team mode: the user's own Jupyter
server, whose files the service cannot and must not read; or a script talking to a remote `aios serve`) reads
the notebook itself, as the user, and sends its content under its path relative to the user's home.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import UsageError
from aios_workbench.kernel.client import service_client
from aios_workbench.workspace.locate import locate_workspace

PROMOTION_TIMEOUT = 900.0  # a validation run may take jobs.validation_timeout_seconds (600 s by default)
# A mark and a word per gate verdict; the service decides the verdict (`jobs/gates.py verdict_of`).
VERDICTS = {"passed": ("✅", "passed"), "failed": ("❌", "failed"), "not_run": ("⚪", "not run"),
            "waiting": ("⏳", "waiting for approval"), "not_required": ("⚪", "not required")}


class Promotion(dict):
    """The promotion report (a dict, as the REST API returns it), shown as a gate table."""

    @property
    def passed(self) -> bool:
        return bool(self.get("passed"))

    @property
    def gates(self) -> list[dict]:
        return self.get("gates", [])

    @property
    def version(self) -> int | None:
        return self.get("version")

    @property
    def status(self) -> str:
        return self.get("status", "refused")

    def _head(self) -> str:
        return {"active": f"promoted as version {self.version}",
                "pending_approval": f"version {self.version} waits for approval",
                "unchanged": f"unchanged: version {self.version} already runs this notebook with these settings",
                "planned": f"would make version {self.version}",
                "refused": f"refused ({self.get('summary')}): nothing was stored"}.get(self.status, self.status)

    def _changes(self) -> list[str]:
        previous = self.get("previous_version")
        if previous is None or self.status == "unchanged":
            return []
        return [f"changes against version {previous}: " + ("; ".join(self.get("changes") or []) or "none")]

    def _repr_html_(self) -> str:
        rows = []
        for number, gate in enumerate(self.gates, 1):
            mark, word = VERDICTS[gate["verdict"]]
            fix = (gate.get("detail") or {}).get("fix") if gate["verdict"] == "failed" else None
            reason = escape(gate["reason"]) + (f"<br><i>fix: {escape(fix)}</i>" if fix else "")
            rows.append(f"<tr><td title='{word}'>{mark}</td><td style='text-align:left'>{number}. "
                        f"{escape(gate['title'])}: {word}</td><td style='text-align:left'>{reason}</td></tr>")
        runs = ", ".join(escape(r["local"]) for r in self.get("next_runs", [])[:3])
        tail = f"<div>next runs: {runs}</div>" if runs and self.status in ("active", "pending_approval") else ""
        changes = "".join(f"<div>{escape(line)}</div>" for line in self._changes())
        return (f"<div><b>job {escape(str(self.get('job')))}</b> — {escape(self._head())}{changes}"
                f"<table>{''.join(rows)}</table>{tail}</div>")

    def __repr__(self) -> str:
        lines = [f"job {self.get('job')}: {self._head()}", *self._changes()]
        lines += [f"  {VERDICTS[g['verdict']][0]} {g['title']}: {VERDICTS[g['verdict']][1]}: {g['reason']}"
                  for g in self.gates]
        return "\n".join(lines)


def current_notebook(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """The path of the notebook this kernel belongs to, relative to its workspace.

    Jupyter gives a kernel `JPY_SESSION_NAME` (the notebook's path under the server's root); the
    kernel's working folder is the notebook's folder, which locates the workspace."""
    env = os.environ if environ is None else environ
    session = env.get("JPY_SESSION_NAME")
    if not session:
        raise UsageError("cannot tell which notebook this kernel runs (JPY_SESSION_NAME is not set)",
                         fix="pass the notebook: wb.promote('notebooks/NAME.ipynb')")
    folder = (cwd or Path.cwd()).resolve()
    candidates = [Path(session)] if Path(session).is_absolute() else [folder / Path(session).name]
    for path in candidates:
        if path.is_file():
            root = locate_workspace(None, cwd=path.parent, environ={})
            return path.resolve().relative_to(root).as_posix()
    raise UsageError(f"the notebook {session!r} of this kernel was not found next to {folder}",
                     fix="pass the notebook: wb.promote('notebooks/NAME.ipynb')", input=session)


def notebook_payload(notebook: str | None = None, environ: Mapping[str, str] | None = None,
                     cwd: Path | None = None, home: Path | None = None) -> dict[str, Any]:
    """The `notebook` (and `content`) fields of a promotion from this process.

    A kernel of `aios lab` (AIOS_WORKSPACE set) names a workspace notebook: the service reads it. Elsewhere a
    notebook found here (`notebook` relative to this folder or the home folder, or this kernel's own) is sent
    with its content under its path relative to the home folder; one not found here is named only, for a
    service whose workspace holds it."""
    env = os.environ if environ is None else environ
    if env.get("AIOS_WORKSPACE"):
        return {"notebook": notebook or current_notebook(env, cwd)}
    folder, home = (cwd or Path.cwd()).resolve(), (home or Path.home()).resolve()
    if notebook:
        given = Path(notebook).expanduser()
        candidates = [given] if given.is_absolute() else [folder / given, home / given]
    else:
        session = env.get("JPY_SESSION_NAME")
        if not session:
            raise UsageError("cannot tell which notebook this kernel runs (JPY_SESSION_NAME is not set)",
                             fix="pass the notebook: wb.promote('NAME.ipynb')")
        candidates = [Path(session)] if Path(session).is_absolute() else [folder / Path(session).name]
    found = next((path.resolve() for path in candidates if path.is_file()), None)
    if found is None:
        if notebook:
            return {"notebook": notebook}
        raise UsageError(f"the notebook {env.get('JPY_SESSION_NAME')!r} of this kernel was not found next to "
                         f"{folder}", fix="pass the notebook: wb.promote('NAME.ipynb')",
                         input=env.get("JPY_SESSION_NAME"))
    try:
        content = json.loads(found.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{found.name} cannot be read as notebook JSON: {exc}", input=found.name,
                         fix="save the notebook again from JupyterLab") from None
    name = found.relative_to(home).as_posix() if home in found.parents else found.name
    return {"notebook": name, "content": content}


def promote(notebook: str | None = None, **kwargs: Any) -> Promotion:
    """Promote `notebook` (default: this one) to a job; keyword arguments as `POST jobs/promote`:
    name, parameters, cron, timezone (or tz), at, timeout_seconds, cell_timeout_seconds, retries,
    notifications, approver, identity. A refused promotion is returned (with `.passed` False), not raised."""
    if "tz" in kwargs:
        kwargs["timezone"] = kwargs.pop("tz")
    payload = {**notebook_payload(notebook), **{k: v for k, v in kwargs.items() if v is not None}}
    service = service_client()
    # A refused promotion answers 422 with its gate report: that report is the result, not an error.
    return Promotion(service.post(
        "jobs/promote", payload, timeout=max(service.timeout, PROMOTION_TIMEOUT), answer_key="gates",
        unreachable_fix="check that the service runs (`aios serve` or `aios lab`); a promotion that timed out "
                        "may still have finished: see `aios jobs versions NAME`"))
