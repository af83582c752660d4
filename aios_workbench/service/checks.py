"""Governance checks as a business action: run a suite, drift, fairness or a monitor as a caller through the governed path, record each result in the ledger, and read the ledger back through the caller's grants."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class ChecksManager:
    """Check actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        self.service = service
