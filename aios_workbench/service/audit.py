"""What a caller may read of the audit log: everything for auditors, their own records for everybody
else; verifying the chain.

Appending stays with `service.audit` (the `AuditLog` every governed action writes to). Inside
`acting_via(who)` every record appended names the front end (a delegate token) a call came through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aios_workbench.audit import acting_via
from aios_workbench.core.errors import PermissionDenied

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

__all__ = ["AuditTrail", "acting_via"]   # surfaces enter `acting_via` for delegated calls


class AuditTrail:
    """Caller-aware reads of the workspace's audit log (appending stays with `service.audit`)."""

    def __init__(self, service: WorkbenchService):
        self.service = service

    def records(self, caller: str, **filters: Any) -> list[dict[str, Any]]:
        """Audit records, newest first: everything for auditors, one's own records for everybody else."""
        if not self.service.policy().is_auditor(caller):
            if filters.get("user") not in (None, caller):
                raise PermissionDenied(f"{caller} may read only their own audit records",
                                       fix="ask for a role with `audit: true` in governance/policy.yaml",
                                       input=filters["user"])
            filters["user"] = caller
        return self.service.audit.query(**filters)

    def tail(self, **filters: Any) -> list[dict[str, Any]]:
        """Every matching record, newest first: the workspace owner's view (`aios audit tail` runs with the
        owner's access to the state folder, so filtering it would protect nothing)."""
        return self.service.audit.query(**filters)

    def verify(self) -> dict[str, Any]:
        """The hash chain's verdict from the first record to the last, with the first bad record (if any):
        the workspace owner's view, as `aios audit verify` prints it."""
        result = self.service.audit.verify()
        data = result.to_dict()
        data["first_bad_record"] = self.service.audit.record(result.first_bad_id) if result.first_bad_id else None
        return data

    def verify_for(self, caller: str, *, surface: str) -> dict[str, Any]:
        """The hash chain's verdict for `caller`, the first bad record itself only for auditors; the check is
        audited."""
        result = self.service.audit.verify()
        data = result.to_dict()
        if result.first_bad_id and self.service.policy().is_auditor(caller):
            data["first_bad_record"] = self.service.audit.record(result.first_bad_id)
        self.service.audit.append(user=caller, surface=surface, action="audit.verify", allowed=True,
                                  detail={"ok": data["ok"], "checked": data["checked"]})
        return data
