"""What a proposed action says about data, and how each person may see it.

An action's title, reason, payload and evidence are facts about governed data leaving the query path (an
e-mail drafted from a supplier's contact, a risk figure per order), so they are governed like the data:

- each text value is classified: by the column it came from, when the proposer names it (`sources`: payload
  field -> source.schema.dataset.column), and by the personal data found inside it (`pii_text.kinds_in`);
- a viewer sees a value only as the policy lets them see its column or its tags: a value from a dataset
  they may not read is hidden, one a mask applies to is masked;
- an approver must see every value unmasked: nobody approves what they cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aios_workbench.catalog.pii_text import kinds_in

TEXT_FIELDS = ("title", "reason")
MAX_SCANNED = 20_000   # characters of one value scanned for personal data (longer texts: their start)


@dataclass(frozen=True)
class Withheld:
    """A value a viewer may not see: where it is, how it is shown instead, and which rule says so."""

    field: str
    shown: str
    rule: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "shown": self.shown, "rule": self.rule}


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar inside `value` with its dotted path (list items as `to.0`)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from leaves(inner, f"{path}.{i}" if path else str(i))
    else:
        yield path, value


def replaced(value: Any, changes: dict[str, Any], path: str = "") -> Any:
    """`value` with the scalars at the paths of `changes` replaced."""
    if isinstance(value, dict):
        return {k: replaced(v, changes, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [replaced(v, changes, f"{path}.{i}" if path else str(i)) for i, v in enumerate(value)]
    return changes.get(path, value)


def record_texts(record: dict[str, Any]) -> dict[str, Any]:
    """The governed parts of an action record as one tree: title, reason, payload, evidence (and the approved
    payload once there is one)."""
    tree = {name: record.get(name) or "" for name in TEXT_FIELDS}
    tree["payload"] = record.get("payload") or {}
    tree["evidence"] = record.get("evidence") or {}
    if record.get("approved_payload") is not None:
        tree["approved_payload"] = record["approved_payload"]
    return tree


def _source_of(path: str, sources: dict[str, str]) -> str | None:
    """The declared column of the value at `path` (payload.to.0 is covered by a source for `to`)."""
    for prefix in ("payload.", "approved_payload."):
        if path.startswith(prefix):
            inner = path[len(prefix):]
            while inner:
                if inner in sources:
                    return sources[inner]
                inner = inner.rpartition(".")[0]
    return None


def authored_by(record: dict[str, Any], viewer: str) -> set[str]:
    """The parts of `record` `viewer` wrote (they see those as written): the proposal's for its proposer, the
    approved payload for its approver."""
    parts = set(TEXT_FIELDS) | {"payload", "evidence"} if record.get("proposed_by") == viewer else set()
    if record.get("decided_by") == viewer:
        parts.add("approved_payload")
    return parts


def withheld_from(record: dict[str, Any], *, tag_rule: Callable[[frozenset[str]], str | None],
                  column_rule: Callable[[str], tuple[str, str] | None],
                  authored: set[str] | frozenset[str] = frozenset()) -> list[Withheld]:
    """The values of `record` a viewer may not see. `tag_rule(tags)` names the mask that hides a value with
    those tags from the viewer (None: none does); `column_rule(column)` says how the viewer sees a declared
    source column: None when in full, else ("hidden" | "masked", the rule). Parts in `authored` (see
    `authored_by`) are the viewer's own words and are not withheld from them."""
    sources = record.get("sources") or {}
    out: list[Withheld] = []
    for path, value in leaves(record_texts(record)):
        if value is None or isinstance(value, bool) or path.split(".")[0] in authored:
            continue
        column = _source_of(path, sources)
        if column is not None:
            verdict = column_rule(column)
            if verdict is not None:
                how, rule = verdict
                shown = f"(hidden: from {column.rpartition('.')[0]}, which you may not read)" if how == "hidden" \
                    else f"(masked for you: {column.rpartition('.')[2]})"
                out.append(Withheld(path, shown, rule))
                continue
        if isinstance(value, str):
            tags = _kinds(value[:MAX_SCANNED])
            masked = tag_rule(tags) if tags else None
            if masked is not None:
                out.append(Withheld(path, f"(masked for you: {', '.join(sorted(tags))})", masked))
    return out


def shown(record: dict[str, Any], withheld: list[Withheld]) -> dict[str, Any]:
    """`record` with every withheld value replaced by what the viewer sees instead."""
    if not withheld:
        return record
    tree = replaced(record_texts(record), {w.field: w.shown for w in withheld})
    return {**record, **tree}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What an approver's edit changed: one entry per payload path added, removed or altered."""
    old, new = dict(leaves(before)), dict(leaves(after))
    out = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) != new.get(path) or (path in old) != (path in new):
            out.append({"field": path, "before": old.get(path), "after": new.get(path)})
    return out


@lru_cache(maxsize=4096)
def _kinds(text: str) -> frozenset[str]:
    """The personal data found in `text` (cached: a list shows the same drafts to many viewers)."""
    return frozenset(kinds_in(text))
