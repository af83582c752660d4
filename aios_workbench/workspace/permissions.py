"""Who besides the service's account can reach the workspace's state: the check behind team mode.

In team mode users' servers and kernels run as their own OS accounts on the same machine (or share its
disks), so the state folder (metadata store, mask salt, token digests, logs, raw demo data), the secrets file
and the audit witness must be the service account's alone. A folder with any group/other bit lets others in
(even `x` alone: the files in it have well-known names); a file with any group/other bit is open to them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aios_workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    from aios_workbench.workspace.workspace import Workspace

OTHERS = stat.S_IRWXG | stat.S_IRWXO
SECRETS_FILE_ENV = "AIOS_SECRETS_FILE"   # connectors/secrets.py reads the secrets file it names
# files of the state folder that hold keys or credentials (besides the metadata store)
KEY_FILES = (("mask salt", "mask.salt"), ("token file", "service_tokens.json"))


@dataclass(frozen=True)
class LoosePath:
    """A piece of the state that an account other than its owner may read, write or enter."""

    what: str
    path: Path
    mode: int

    def shown(self, root: Path) -> str:
        """The path relative to the workspace when inside it, else as it is; with its mode."""
        try:
            where = str(self.path.relative_to(root))
        except ValueError:
            where = str(self.path)
        return f"{where} ({self.what}, mode {self.mode:o})"


def _sqlite_files(workspace: Workspace) -> list[tuple[str, Path]]:
    """The metadata store's files when it is SQLite (with its write-ahead log and shared memory)."""
    try:
        url = workspace.metadata_url
    except WorkbenchError:   # an unset url_env: not a SQLite file, and `aios serve` reports it on its own
        return []
    if not url.startswith("sqlite") or ":///" not in url:
        return []
    database = Path(url.split(":///", 1)[1].split("?", 1)[0])
    return [("metadata store", Path(f"{database}{suffix}")) for suffix in ("", "-wal", "-shm")]


def loose_state(workspace: Workspace, *, also: Iterable[tuple[str, Path]] = ()) -> list[LoosePath]:
    """What of the workspace's state group or others may reach: the state folder, the SQLite metadata store,
    the key files in the state folder, the secrets file ($AIOS_SECRETS_FILE) and the paths in `also` (the
    audit witness, which the audit layer locates). Missing paths are skipped."""
    state = workspace.state_dir
    candidates: list[tuple[str, Path]] = [("state folder", state), *_sqlite_files(workspace)]
    candidates += [(what, state / name) for what, name in KEY_FILES]
    if os.environ.get(SECRETS_FILE_ENV):
        candidates.append(("secrets file", Path(os.environ[SECRETS_FILE_ENV]).expanduser()))
    candidates += list(also)
    found, seen = [], set()
    for what, path in candidates:
        if path in seen:
            continue
        seen.add(path)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & OTHERS:
            found.append(LoosePath(what, path, mode))
    return found


def privacy_fix(workspace: Workspace, loose: list[LoosePath]) -> str:
    """The commands that make `loose` the owner's alone."""
    state = workspace.state_dir
    commands = []
    if any(p.path == state or state in p.path.parents for p in loose):
        try:
            shown = state.relative_to(Path.cwd())
        except ValueError:
            shown = state
        commands.append(f"chmod -R go-rwx {shown}")
    commands += [f"chmod go-rwx {p.path}" for p in loose if not (p.path == state or state in p.path.parents)]
    return "; ".join(commands)
