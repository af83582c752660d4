"""MLflow runs as a caller reads them: paged lists, one run, comparisons; the workspace's tracking store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aios_workbench.tracking import runs_query
from aios_workbench.tracking.runs_query import DEFAULT_ORDER, MAX_COMPARE_RUNS, MAX_LIMIT
from aios_workbench.tracking.store import ensure_store, ui_command

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

# The paging and comparison limits a surface checks its parameters against.
__all__ = ["DEFAULT_ORDER", "MAX_COMPARE_RUNS", "MAX_LIMIT", "RunsManager", "create_tracking_store",
           "mlflow_ui_command"]


class RunsManager:
    """Experiment-run reads of one workspace."""

    def __init__(self, service: WorkbenchService):
        self.service = service

    def page(self, *, experiment: str | None = None, notebook: str | None = None, filter_string: str | None = None,
             order_by: str | None = DEFAULT_ORDER, limit: int = 50, page_token: str | None = None) -> dict[str, Any]:
        """One page of run summaries, newest first by default, and the token of the next page."""
        return runs_query.list_runs(self.service.workspace, experiment=experiment, notebook=notebook,
                                    filter_string=filter_string, order_by=order_by, limit=limit,
                                    page_token=page_token)

    def compare(self, run_ids: list[str], *, metrics: list[str] | None = None) -> dict[str, Any]:
        """The parameters that differ between a few runs and their metric histories, thinned for plotting."""
        return runs_query.compare_runs(self.service.workspace, run_ids, metrics=metrics)

    def warm_up(self) -> None:
        """Import MLflow and open a client on the tracking store (seconds), so the first read does not pay."""
        runs_query.mlflow_client(self.service.workspace)


def create_tracking_store(workspace: Workspace) -> str:
    """Create or migrate the workspace's MLflow store (seconds, once: do it at `aios init`); its tracking URI."""
    return ensure_store(workspace)


def mlflow_ui_command(workspace: Workspace, *, host: str, port: int) -> list[str]:
    """The command line of MLflow's own UI on the workspace's local tracking store."""
    return ui_command(workspace, host=host, port=port)
