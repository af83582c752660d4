"""Walking the chain: the first record that breaks it, and why, in words; what signed checkpoints vouch for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from aios_workbench.audit.chain import GENESIS, HeadAnchor, record_hash
from aios_workbench.audit.witness import Checkpoint


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `AuditLog.verify`.

    ``first_bad_id`` is the id of the first record found wrong (for a deleted record,
    the id that is missing); ``reason`` says what is wrong in words (the first of ``problems``,
    which lists every finding that makes the log untrustworthy, including a forged or missing
    witness). ``head_id`` is the anchor the tail was checked against (None without a head file).
    ``vouched_id`` is the last record a genuine signed checkpoint vouches for (``vouched_at``: when it
    was signed); ``unvouched`` counts the records after it, chained but not yet covered by a checkpoint;
    ``checkpoints`` counts the genuine checkpoints checked (store and witness file together)."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    head_id: int | None = None
    warnings: list[str] = field(default_factory=list)
    vouched_id: int | None = None
    vouched_at: str | None = None
    unvouched: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _when(checkpoint: Checkpoint) -> str:
    return f"the signed checkpoint of {checkpoint.at[:19].replace('T', ' ')}Z"


def verify_chain(records: Iterable[Mapping], head: HeadAnchor | None,
                 checkpoints: Sequence[Checkpoint] = (), problems: Sequence[str] = (),
                 warnings: Sequence[str] = ()) -> VerifyResult:
    """Check `records` (every record, in id order) link up from the genesis hash, reach at least as far as
    the `head` anchor and every genuine checkpoint in `checkpoints`, and carry the hash each checkpoint
    signed. `problems` found beforehand (a forged checkpoint, a missing witness) make the result not ok."""
    expected_id, expected_prev, checked = 1, GENESIS, 0
    head_id = head.id if head else None
    by_id: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_id.setdefault(checkpoint.last_id, []).append(checkpoint)
    vouched: Checkpoint | None = None
    found = list(problems)

    def result(bad_id: int | None = None, reason: str | None = None, extra: Sequence[str] = ()) -> VerifyResult:
        listed = ([reason] if reason else []) + found + list(extra)
        first = listed[0] if listed else None
        return VerifyResult(not listed, checked, bad_id, first, head_id, list(warnings) + list(notes),
                            vouched.last_id if vouched else None, vouched.at if vouched else None,
                            max(0, checked - (vouched.last_id if vouched else 0)) if not listed else 0,
                            len(checkpoints), listed)

    notes: list[str] = []
    for record in records:
        record_id = record["id"]
        if record_id != expected_id:
            missing = (f"record {expected_id} is missing" if record_id == expected_id + 1
                       else f"records {expected_id} to {record_id - 1} are missing")
            return result(expected_id, f"{missing}: the log jumps from record {expected_id - 1} to record "
                                       f"{record_id} (deleted, or the ids were changed)")
        if record_hash(record) != record["hash"]:
            return result(record_id, f"record {record_id} was edited: its hash does not match its content")
        if record["prev_hash"] != expected_prev:
            before = f"record {record_id - 1}'s hash" if record_id > 1 else "the genesis hash"
            return result(record_id, f"record {record_id} does not follow record {record_id - 1}: its prev_hash is "
                                     f"not {before} (a record was replaced, moved, inserted or deleted here)")
        for checkpoint in by_id.get(record_id, ()):
            if record["hash"] != checkpoint.last_hash:
                return result(record_id, f"record {record_id} is not the record {_when(checkpoint)} vouched for: "
                                         f"the log was rewritten up to record {record_id} with recomputed hashes")
            vouched = checkpoint if vouched is None or checkpoint.last_id >= vouched.last_id else vouched
        if head and record_id == head.id and record["hash"] != head.hash:
            return result(record_id, f"record {record_id} is not the record the head file anchors: the log was "
                                     f"rewritten up to record {record_id} with recomputed hashes")
        expected_prev, expected_id, checked = record["hash"], expected_id + 1, checked + 1

    last = expected_id - 1
    ends = f"ends at record {last}" if last else "is empty"
    beyond = [c for c in checkpoints if c.last_id > last or c.count > last]
    if beyond:
        latest = max(beyond, key=lambda c: (c.last_id, c.count))
        named = max(latest.last_id, latest.count)
        removed = f"record {named} was" if named == last + 1 else f"records {last + 1} to {named} were"
        return result(last + 1, f"the log {ends}, but {_when(latest)} says record {named} was written: "
                                f"{removed} removed from the end (truncated)")
    if head and head.id > last:
        removed = f"record {head.id} was" if head.id == last + 1 else f"records {last + 1} to {head.id} were"
        return result(last + 1, f"the log {ends}, but the head file says record {head.id} was written: "
                                f"{removed} removed from the end (truncated)")
    if head is None and checked:
        notes.append("no head file: records removed from the end of the log could not be detected")
    if vouched is not None and checked > vouched.last_id:
        notes.append(f"{checked - vouched.last_id} record(s) after record {vouched.last_id} are chained but not yet "
                     "vouched for by a signed checkpoint (one is signed every few records and at shutdown)")
    return result()
