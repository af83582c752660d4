"""What a run was made from: the notebook, the git commit, the installed packages, the user.

Each probe is cheap and never fails a run: an unknown value is simply absent.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Set by the job runner (Papermill) so a scheduled notebook is tracked under its own path and parameters.
NOTEBOOK_ENV = "AIOS_NOTEBOOK_PATH"
JOB_PARAMETERS_ENV = "AIOS_JOB_PARAMETERS"
JOB_NAME_ENV = "AIOS_JOB_NAME"
JOB_RUN_ENV = "AIOS_JOB_RUN_ID"


def _ipython_namespace() -> dict:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None) if shell else None
    ip = get() if get else None
    return getattr(ip, "user_ns", {}) or {}


def notebook_path(root: Path | None = None) -> Path | None:
    """The notebook this kernel runs, when it can be told.

    In order: $AIOS_NOTEBOOK_PATH (set by the job runner); JupyterLab's
    $JPY_SESSION_NAME; Papermill's injected `PAPERMILL_INPUT_PATH` parameter;
    VS Code's `__vsc_ipynb_file__`. None for plain scripts."""
    namespace = _ipython_namespace()
    candidates = [os.environ.get(NOTEBOOK_ENV), os.environ.get("JPY_SESSION_NAME"),
                  namespace.get("PAPERMILL_INPUT_PATH"), namespace.get("__vsc_ipynb_file__")]
    for raw in candidates:
        if not raw or not isinstance(raw, str):
            continue
        path = Path(raw).expanduser()
        if path.is_absolute():
            return path
        # JPY_SESSION_NAME may be relative to the server root, which the kernel does not know;
        # the workspace root and the kernel's folder (the notebook's folder) are the likely ones.
        for base in (root, Path.cwd()):
            if base is not None and (base / path).exists():
                return (base / path).resolve()
        return (root or Path.cwd()) / path
    return None


def file_sha256(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class GitState:
    commit: str
    dirty: bool


def git_state(root: Path) -> GitState | None:
    """HEAD's commit of the repository holding `root`, and whether tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None   # not a repository, no commit yet, or no git installed
    return GitState(commit, bool(status.strip())) if commit else None


def _site_stamp() -> tuple:
    """Modification times of the import path's folders: installing a package changes one of them."""
    stamp = []
    for entry in sys.path:
        try:
            stamp.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(stamp)


def installed_packages() -> list[str]:
    """Sorted `name==version` of every installed distribution (cached until site-packages change)."""
    return list(_installed_packages(_site_stamp()))


@lru_cache(maxsize=4)
def _installed_packages(_stamp: tuple) -> tuple[str, ...]:
    # The `<name>-<version>.dist-info` folder names say it all; reading each METADATA file
    # (importlib.metadata) takes ~10x longer for a few hundred packages.
    seen = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith((".dist-info", ".egg-info")):
                stem = folder.rsplit(".", 1)[0]
                name, _, version = stem.partition("-")
                if name and version:
                    seen.add(f"{re.sub(r'[-_.]+', '-', name).lower()}=={version.split('-')[0]}")
    return tuple(sorted(seen))


def environment_digest(packages: list[str]) -> str:
    """sha256 over the sorted package list: two runs with equal digests ran on the same package versions."""
    return hashlib.sha256("\n".join(packages).encode()).hexdigest()


def current_user() -> str:
    """Who the run belongs to: the workbench service's identity for this kernel (what governance
    uses, so the registry's author check is about the same person), else $AIOS_USER, else the OS user."""
    try:
        # lazy: HTTP client (urllib, ssl) only to ask the service who the user is
        from aios_workbench.kernel.client import service_client

        return service_client().status()["user"]
    except Exception:  # noqa: BLE001 - no service reachable (a script, a test): fall back to the local identity
        pass
    if os.environ.get("AIOS_USER"):
        return os.environ["AIOS_USER"]
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "unknown"


def job_parameters() -> dict:
    """Parameters the job runner passed to this notebook ($AIOS_JOB_PARAMETERS, a JSON object)."""
    raw = os.environ.get(JOB_PARAMETERS_ENV)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def job_context() -> dict[str, str]:
    """The job and job run this kernel executes for ($AIOS_JOB_NAME, $AIOS_JOB_RUN_ID), as MLflow tags."""
    tags = {}
    if os.environ.get(JOB_NAME_ENV):
        tags["aios.job.name"] = os.environ[JOB_NAME_ENV]
    if os.environ.get(JOB_RUN_ENV):
        tags["aios.job.run_id"] = os.environ[JOB_RUN_ENV]
    return tags
