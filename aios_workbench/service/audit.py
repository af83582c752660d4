"""What a caller may read of the audit log: everything for auditors, their own records for everybody else; verifying the chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class AuditTrail:
    """Caller-aware reads of the workspace's audit log (appending stays with `service.audit`)."""

    def __init__(self, service: WorkbenchService):
        self.service = service
