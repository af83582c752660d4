"""What every feature manager of the service façade shares: the service it acts on, and a copy of itself
acting on another view of that service (a job run's, whose queries are audited and observed as the job's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class Manager:
    """One feature's business actions on a workbench service."""

    def __init__(self, service: WorkbenchService):
        self.service = service

    def bound_to(self, service: Any) -> Self:
        """This manager acting on `service` instead (a job run's view of the workbench service)."""
        return type(self)(service)
