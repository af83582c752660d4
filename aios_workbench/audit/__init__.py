"""The tamper-evident audit log: every governed action, hash-chained, verifiable.

    log = AuditLog(open_store(ws.metadata_url), ws.state_dir / "audit.head")
    log.append(user="ann", surface="kernel", action="query", target="wh.main.orders",
               allowed=True, detail={"sql": "SELECT ...", "datasets": ["wh.main.orders"], "rows": 12})
    log.verify().ok

`open_audit_log(workspace)` also attaches the workspace's witness (signed checkpoints outside the
state folder, `witness.py`); `redact_record` is what a reader sees of someone else's record.
"""

from aios_workbench.audit.chain import GENESIS, HeadAnchor, canonical_json, record_hash
from aios_workbench.audit.log import TRUNCATED_MARK, AuditLog, acting_via, dataset_list
from aios_workbench.audit.redact import redact_record, redact_sql
from aios_workbench.audit.verify import VerifyResult
from aios_workbench.audit.witness import Checkpoint, Witness
from aios_workbench.store import open_store

HEAD_FILE_NAME = "audit.head"


def attach_workspace_witness(audit_log: AuditLog, workspace) -> AuditLog:
    """Sign `audit_log`'s checkpoints into the witness of `workspace` (`audit` settings of aios.yaml)."""
    settings = workspace.config.audit
    audit_log.attach_witness(Witness.for_workspace(workspace), every=settings.checkpoint_every,
                             seconds=settings.checkpoint_seconds)
    return audit_log


def open_audit_log(workspace) -> AuditLog:
    """The audit log of a workspace: its metadata store, ``<state>/audit.head`` and its witness."""

    return attach_workspace_witness(AuditLog(open_store(workspace.metadata_url), workspace.state_dir / HEAD_FILE_NAME),
                                    workspace)


__all__ = ["GENESIS", "HEAD_FILE_NAME", "TRUNCATED_MARK", "AuditLog", "Checkpoint", "HeadAnchor", "VerifyResult",
           "Witness", "acting_via", "attach_workspace_witness", "canonical_json", "dataset_list", "open_audit_log",
           "record_hash", "redact_record", "redact_sql"]
