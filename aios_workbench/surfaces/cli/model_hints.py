"""When a model command finds no model: which notebook of the workspace registers it, and the command that
runs that notebook (the demo's `shipment-delay` comes from notebooks/03_train_model.ipynb)."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

from aios_workbench.core.errors import NotFound

MAX_NOTEBOOKS = 200   # a workspace's notebooks read for the hint, at most
MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:(?:/(?P<version>[^/@]+))|(?:@(?P<alias>[^/@]+)))?$")


def registering_notebooks(ws, name: str | None = None) -> list[str]:
    """The workspace's notebooks (paths relative to its root) whose code registers a model (`register_model`),
    and, when `name` is given, names that model in a string literal."""
    found = []
    folder = Path(ws.notebooks_dir)
    for path in sorted(folder.rglob("*.ipynb"))[:MAX_NOTEBOOKS]:
        if ".ipynb_checkpoints" in path.parts:
            continue
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        code = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
        if "register_model" not in code:
            continue
        if name is None or f'"{name}"' in code or f"'{name}'" in code:
            try:
                found.append(path.relative_to(ws.root).as_posix())
            except ValueError:
                found.append(str(path))
    return found


def run_command(ws, notebook: str) -> str:
    """The command that runs `notebook` outside JupyterLab, as a user of the policy (local mode of `wb`)."""
    users = sorted(ws.policy.users)
    who = f"AIOS_USER={users[0]} " if users else ""
    return f"{who}jupyter execute {notebook}"


def _promote_steps(ws, name: str, alias: str, version: str = "1") -> str:
    users = sorted(ws.policy.users)
    approver = users[-1] if len(users) > 1 else "ANOTHER_USER"
    return (f"another user approves a version and promotes it to {alias!r} (`AIOS_USER={approver} aios models "
            f"approve {name} {version}`, then `AIOS_USER={approver} aios models promote {name} {version}"
            + ("" if alias == "champion" else f" --alias {alias}") + "`)")


def missing_model_fix(ws, name: str, *, alias: str | None = None, registered: bool = False) -> str | None:
    """What to do when model `name` (or its `alias`) does not exist yet: run the notebook that registers it, then
    (for an alias) approve and promote a version. None when there is nothing to say beyond the error's own fix."""
    if registered:   # the model is there; its alias is not
        return (f"no version of {name!r} is {alias!r} yet: {_promote_steps(ws, name, alias)}; "
                f"`aios models ls {name}` lists its versions") if alias else None
    notebooks = registering_notebooks(ws, name)
    if not notebooks:
        return None
    steps = f"{notebooks[0]} registers {name!r}: run it first (`{run_command(ws, notebooks[0])}`)"
    return steps + (f", then {_promote_steps(ws, name, alias)}" if alias else "")


@contextlib.contextmanager
def hint_missing_model(ctx, model: str | None, *, versions=None):
    """Re-raise a NotFound about model `model` (a name or a models:/ URI) with what makes it: the notebook that
    registers it, or (when `versions(name)` lists some) the approval and promotion that give it the alias."""
    try:
        yield
    except NotFound as exc:
        match = MODEL_URI.match(model or "")
        if not model or (model.startswith("models:/") and not match):
            raise
        name, alias = (match.group("name"), match.group("alias")) if match else (model, None)
        try:
            registered = bool(versions(name)) if versions else False
        except Exception:  # noqa: BLE001 - the hint must never hide the error it explains
            registered = False
        # lazy: cycle: cli.main imports the command modules, which import this one
        from aios_workbench.surfaces.cli.main import load_workspace

        fix = missing_model_fix(load_workspace(ctx), name, alias=alias, registered=registered)
        if fix:
            exc.fix = fix + (f"; {exc.fix}" if exc.fix else "")
        raise
