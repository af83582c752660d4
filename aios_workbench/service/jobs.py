"""Promoted jobs as business actions: promote, versions, approve, rollback, run now, cancel, pause, resume, runs, outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class JobsManager:
    """Job actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        self.service = service
