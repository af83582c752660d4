"""The links a caller sends with a check (`notebook`, `mlflow_run_id`), checked before anything runs: a
notebook inside the notebooks folder (or the caller's own elsewhere), an MLflow run he started, so nobody
files results under another person's notebook or run."""

from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from aios_workbench.core.errors import UsageError

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

MAX_NOTEBOOK_PATH = 1024    # the ledger's column
_MAX_REMEMBERED = 4096


class ResultLinks:
    """Checks the links of check results for one service; MLflow runs once checked are remembered."""

    def __init__(self, service: WorkbenchService):
        self.service = service
        self._checked: dict[tuple[str, str, int | None], bool] = {}
        self._lock = threading.Lock()

    def notebook(self, user: str, notebook: object) -> str | None:
        """The notebook a result is linked to: a path inside the workspace's notebooks folder, relative to the
        workspace; or, for a notebook outside the workspace (a user's own server in a team deployment, whose
        kernel names it relative to that server's root), `~USER/PATH`, filed under the caller, so nobody can
        file a result under a notebook of the workspace or of another user. Anything else is refused (a
        client names its notebook, it does not invent one)."""
        if notebook is None or notebook == "":
            return None
        ws = self.service.workspace
        folder = ws.config.paths.notebooks.strip("/") or "notebooks"
        fix = (f"send the notebook's path inside the workspace's {folder}/ folder, e.g. {folder}/analysis.ipynb, "
               "or leave `notebook` out")
        if not isinstance(notebook, str) or len(notebook) > MAX_NOTEBOOK_PATH or "\x00" in notebook:
            raise UsageError("`notebook` must be a path of at most 1024 characters", fix=fix,
                             input=str(notebook)[:200])
        root, notebooks = ws.root.resolve(), ws.notebooks_dir.resolve()
        given = notebook.strip()
        if ".." in PurePosixPath(given).parts:
            raise UsageError(f"notebook {notebook!r} leaves its folder (`..` is not allowed)", fix=fix,
                             input=notebook)
        path = Path(given)
        resolved = (path if path.is_absolute() else root / path).resolve()   # symlinks out are caught here
        if resolved.is_relative_to(notebooks) and resolved != notebooks:
            return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved.as_posix()
        if (not path.is_absolute() and given.endswith(".ipynb") and not given.startswith("~")
                and not (root / path).exists()
                and not (root / path).is_symlink()):
            return f"~{user}/{PurePosixPath(given).as_posix()}"
        raise UsageError(f"notebook {notebook!r} is not inside the workspace's {folder}/ folder", fix=fix,
                         input=notebook)

    def mlflow_run(self, user: str, run_id: object, job_run_id: int | None) -> str | None:
        """The MLflow run a result is linked to: one `user` started (its `aios.user` tag), or one of his job
        run; anything else is refused."""
        if run_id is None or run_id == "":
            return None
        key = (user, str(run_id), job_run_id)
        with self._lock:
            if self._checked.get(key):
                return str(run_id)
        self.service.runs.check_link(user, run_id, job_run_id=job_run_id)
        with self._lock:
            if len(self._checked) > _MAX_REMEMBERED:
                self._checked.clear()
            self._checked[key] = True
        return str(run_id)
