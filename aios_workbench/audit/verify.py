"""Walking the chain: the first record that breaks it, and why, in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from aios_workbench.audit.chain import GENESIS, HeadAnchor, record_hash


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `AuditLog.verify`.

    ``first_bad_id`` is the id of the first record found wrong (for a deleted record,
    the id that is missing); ``reason`` says what is wrong in words. ``head_id`` is the
    anchor the tail was checked against (None without a head file)."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    head_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def verify_chain(records: Iterable[Mapping], head: HeadAnchor | None) -> VerifyResult:
    """Check `records` (every record, in id order) link up from the genesis hash and
    reach at least as far as the `head` anchor."""
    expected_id, expected_prev, checked = 1, GENESIS, 0
    head_id = head.id if head else None

    def bad(record_id: int, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, record_id, reason, head_id)

    for record in records:
        record_id = record["id"]
        if record_id != expected_id:
            missing = (f"record {expected_id} is missing" if record_id == expected_id + 1
                       else f"records {expected_id} to {record_id - 1} are missing")
            return bad(expected_id, f"{missing}: the log jumps from record {expected_id - 1} to record {record_id} "
                                    "(deleted, or the ids were changed)")
        if record_hash(record) != record["hash"]:
            return bad(record_id, f"record {record_id} was edited: its hash does not match its content")
        if record["prev_hash"] != expected_prev:
            before = f"record {record_id - 1}'s hash" if record_id > 1 else "the genesis hash"
            return bad(record_id, f"record {record_id} does not follow record {record_id - 1}: its prev_hash is not "
                                  f"{before} (a record was replaced, moved, inserted or deleted here)")
        if head and record_id == head.id and record["hash"] != head.hash:
            return bad(record_id, f"record {record_id} is not the record the head file anchors: the log was "
                                  f"rewritten up to record {record_id} with recomputed hashes")
        expected_prev, expected_id, checked = record["hash"], expected_id + 1, checked + 1

    last = expected_id - 1
    if head and head.id > last:
        ends = f"ends at record {last}" if last else "is empty"
        removed = f"record {head.id} was" if head.id == last + 1 else f"records {last + 1} to {head.id} were"
        return bad(last + 1, f"the log {ends}, but the head file says record {head.id} was written: "
                             f"{removed} removed from the end (truncated)")
    warnings = []
    if head is None and checked:
        warnings.append("no head file: records removed from the end of the log could not be detected")
    return VerifyResult(True, checked, None, None, head_id, warnings)
