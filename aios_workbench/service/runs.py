"""MLflow runs as a caller reads them: paged lists, one run, comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class RunsManager:
    """Experiment-run reads of one workspace."""

    def __init__(self, service: WorkbenchService):
        self.service = service
