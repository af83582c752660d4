"""The tamper-evident audit log: every governed action, hash-chained, verifiable.

    log = AuditLog(open_store(ws.metadata_url), ws.state_dir / "audit.head")
    log.append(user="ann", surface="kernel", action="query", target="wh.main.orders",
               allowed=True, detail={"sql": "SELECT ...", "datasets": ["wh.main.orders"], "rows": 12})
    log.verify().ok
"""

from aios_workbench.audit.chain import GENESIS, HeadAnchor, canonical_json, record_hash
from aios_workbench.audit.log import TRUNCATED_MARK, AuditLog, acting_via, dataset_list
from aios_workbench.audit.verify import VerifyResult
from aios_workbench.store import open_store

HEAD_FILE_NAME = "audit.head"


def open_audit_log(workspace) -> AuditLog:
    """The audit log of a workspace: its metadata store and ``<state>/audit.head``."""

    return AuditLog(open_store(workspace.metadata_url), workspace.state_dir / HEAD_FILE_NAME)


__all__ = ["GENESIS", "HEAD_FILE_NAME", "TRUNCATED_MARK", "AuditLog", "HeadAnchor", "VerifyResult",
           "acting_via", "canonical_json", "dataset_list", "open_audit_log", "record_hash"]
