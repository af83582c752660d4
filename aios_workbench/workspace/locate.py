"""Find the workspace the way git finds a repository."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from aios_workbench.core.errors import WorkspaceNotFound
from aios_workbench.workspace.config import CONFIG_FILE

ENV_VAR = "AIOS_WORKSPACE"


def locate_workspace(explicit: str | Path | None = None, *, cwd: Path | None = None,
                     environ: Mapping[str, str] | None = None) -> Path:
    """The workspace root: `explicit`, else `$AIOS_WORKSPACE`, else the nearest
    folder at or above `cwd` holding an ``aios.yaml``."""
    env = os.environ if environ is None else environ
    for source, value in (("--workspace", explicit), (ENV_VAR, env.get(ENV_VAR))):
        if value:
            root = Path(value).expanduser().resolve()
            if not (root / CONFIG_FILE).is_file():
                raise WorkspaceNotFound(
                    f"{source} points at {root}, which is not a workspace (no {CONFIG_FILE})",
                    fix=f"run `aios init {root}` to create one, or point {source} at a folder with {CONFIG_FILE}",
                    input=str(root),
                )
            return root
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    if env.get("AIOS_SERVICE_URL"):   # a team deployment's server: the workspace is the service's
        raise WorkspaceNotFound(
            f"no workspace here: this server works through the workbench service at {env['AIOS_SERVICE_URL']}",
            fix="`aios sql`, `aios status` and `aios catalog ls|search|show|write|untag` reach it from here; "
                "for the rest, use the AI OS sidebar or the dashboard, or ask the team's administrator "
                "(or pass --workspace DIR if a workspace of your own is elsewhere)",
            input=str(start),
        )
    raise WorkspaceNotFound(
        f"no workspace found in {start} or any folder above it",
        fix=f"cd into a workspace, pass --workspace DIR, set {ENV_VAR}, or create one with `aios init DIR`",
        input=str(start),
    )
