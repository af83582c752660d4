"""The alert feed as a business action: list and count what a caller may see, acknowledge (audited), and keep monitor and approval alerts true."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class AlertsManager:
    """Alert actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        self.service = service
