"""One run of an app: a promoted notebook version executed with a viewer's parameters, as the viewer.

The kernel comes warm from `kernels.WarmKernels` and gets, in a first cell that is not shown, the URL of the
process's governed endpoint and a token acting as the viewer for this run only (revoked when it ends): every
query the notebook makes is governed by the viewer's grants, masks and row filters and audited as theirs,
with the surface "app". Parameters are injected after the notebook's `parameters` cell by Papermill's
translator, never pasted as code.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import UsageError, WorkbenchError
from aios_workbench.jobs.runtime import job_runtime

APP_SURFACE = "app"
DENIALS = {"PermissionDenied", "QueryDenied", "UnknownPolicyUser", "AuthenticationRequired"}
CONNECT_TAG = "aios-app-connect"


@dataclass
class AppRun:
    """An executed app notebook: the notebook with its outputs, whether and where it failed, what it read."""

    notebook: Any
    ok: bool
    error: str | None
    seconds: float
    datasets_read: list[str]
    denials: list[dict]


def _connect_cell(url: str, token: str, app: str):
    from nbformat.v4 import new_code_cell

    code = (f"import os as _os\n_os.environ.update({{'AIOS_SERVICE_URL': {url!r}, 'AIOS_TOKEN': {token!r}, "
            f"'AIOS_APP': {app!r}}})\nimport aios_workbench as _wb\n_wb.connect({url!r}, {token!r})\ndel _os, _wb\n")
    return new_code_cell(code, metadata={"tags": [CONNECT_TAG]})


def run_app(service, kernels, snapshot: Path, *, app: str, viewer: str, parameters: dict[str, Any],
            cell_timeout: float = 120.0, surface: str = APP_SURFACE) -> AppRun:
    """Execute the notebook at `snapshot` with `parameters` as `viewer` in a warm kernel of `kernels`; its
    queries carry `surface` (an agent's run: the gateway's, so masks for agents apply inside the app too)."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    started = time.monotonic()
    notebook = nbformat.read(snapshot, as_version=4)
    language = (notebook.metadata.get("kernelspec") or {}).get("language") or "python"
    notebook.metadata.setdefault("papermill", {})
    for cell in notebook.cells:   # Papermill reads every cell's tags
        cell.metadata.setdefault("tags", [])
    if parameters:
        notebook = parameterize_notebook(notebook, parameters, kernel_name="python3", language=language)
    runtime = job_runtime()
    grant = runtime.issue(service, identity=viewer, surface=surface)
    notebook.cells.insert(0, _connect_cell(runtime.url, grant.token, app))

    async def execute(km) -> tuple[bool, str | None]:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        client = NotebookClient(notebook, km=km, timeout=cell_timeout, kernel_name="python3",
                                allow_errors=False, record_timing=False)
        try:
            await client.async_execute()
            return True, None
        except CellExecutionError as exc:
            if exc.ename in DENIALS:   # the viewer's grants said no: say that, not what was refused
                return False, "it reads data you may not read (an app shows each person what their grants allow)"
            return False, f"{exc.ename}: {exc.evalue}"[:500].replace(grant.token, "***")
        except CellTimeoutError:
            return False, f"a cell ran longer than {cell_timeout:g} s"
        except DeadKernelError:
            return False, "the kernel died"
        finally:   # the kernel is the pool's, so nbclient leaves its client's channels open: close them
            if client.kc is not None:
                client.kc.stop_channels()

    try:
        ok, error = kernels.call(kernels.use(execute))
    finally:
        runtime.revoke(grant)
    seen = grant.snapshot()
    return AppRun(notebook, ok, error, round(time.monotonic() - started, 3), sorted(seen["datasets_read"]),
                  seen["denials"])


def canonical_parameters(values: dict[str, Any]) -> str:
    """`values` as one canonical JSON text (the cache's key and the shareable link's content)."""
    try:
        return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"the app's parameters are not JSON: {exc}", fix="pass numbers, text, dates, lists",
                         input="parameters") from None


__all__ = ["APP_SURFACE", "AppRun", "WorkbenchError", "canonical_parameters", "run_app"]
