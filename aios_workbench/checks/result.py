"""The one result shape every check returns, stores in the ledger and renders inline."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aios_workbench.core.errors import WorkbenchError

Status = Literal["pass", "warn", "fail", "error"]
_ORDER = {"pass": 0, "warn": 1, "fail": 2, "error": 3}


def worst(statuses) -> Status:
    """The most severe status of `statuses` ("pass" when there are none)."""
    return max(statuses, key=_ORDER.__getitem__, default="pass")


@dataclass
class CheckItem:
    """One assertion or one column's test inside a check."""

    name: str
    status: Status
    metrics: dict[str, Any] = field(default_factory=dict)   # numbers: failing_rows, p_value, statistic, ...
    detail: dict[str, Any] = field(default_factory=dict)    # small extras: test name, threshold, examples


class CheckFailed(WorkbenchError):
    """A required check did not pass (`raise_on_fail`)."""

    code = "check_failed"


@dataclass
class CheckResult:
    """The outcome of one check run: kind, inputs, parameters and per-item results."""

    kind: str                      # quality | drift | fairness | explain
    name: str
    items: list[CheckItem]
    inputs: dict[str, Any] = field(default_factory=dict)     # dataset -> {"digest": ..., "rows": ...}
    params: dict[str, Any] = field(default_factory=dict)
    required: bool = False
    severity: Literal["warn", "fail"] = "fail"
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    duration_s: float = 0.0
    error: str | None = None

    @property
    def status(self) -> Status:
        if self.error:
            return "error"
        status = worst(i.status for i in self.items)
        if status == "fail" and self.severity == "warn":
            return "warn"
        return status

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "warn")

    def raise_on_fail(self) -> CheckResult:
        """Raise `CheckFailed` unless the check passed; return self otherwise (for chaining)."""
        if not self.passed:
            failing = [i.name for i in self.items if i.status in ("fail", "error")]
            raise CheckFailed(f"{self.kind} check {self.name!r} {self.status}ed: " + ", ".join(failing[:10]),
                              fix="inspect the result's items; fix the data or adjust the thresholds",
                              input=self.name)
        return self

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = self.status
        data["passed"] = self.passed
        return data


# -- what a result means, in words (the kernel's display, the ledger's readers and the dashboard share it) --

_NOUNS = {"quality": ("rule", "rules"), "drift": ("column", "columns"), "fairness": ("metric", "metrics"),
          "explain": ("feature", "features")}
DATASET_DRIFT = "dataset drift"   # the drift check's verdict over all its columns (checks/drift.py)


def _field(item: Any, key: str) -> Any:
    """`key` of a `CheckItem` or of its JSON form."""
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def failing_first(items: list) -> list:
    """`items` with errors first, then failures, warnings and passes; the order within each kept."""
    return sorted(items, key=lambda i: -_ORDER.get(_field(i, "status") or "pass", 0))


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _count(n: int, kind: str) -> str:
    one, many = _NOUNS.get(kind, ("item", "items"))
    return f"{n} {one if n == 1 else many}"


def verdict_sentence(kind: str, status: str, items: list | None, *, severity: str = "fail",
                     error: str | None = None) -> str:
    """One sentence saying what a check decided and which of its items decided it, e.g. "Failed: 1 of 4
    columns drifted (lead_time_days). The dataset as a whole did not drift: 25% of its columns drifted,
    50% are needed." `items` are `CheckItem`s or their JSON form."""
    items = list(items or [])
    if status == "error" and error:
        return "Could not run: the check ended in an error before it reached a verdict."
    overall = next((i for i in items if kind == "drift" and _field(i, "name") == DATASET_DRIFT), None)
    parts = [i for i in items if i is not overall]
    bad = [str(_field(i, "name")) for i in parts if _field(i, "status") == "fail"]
    broken = [str(_field(i, "name")) for i in parts if _field(i, "status") == "error"]
    warned = [str(_field(i, "name")) for i in parts if _field(i, "status") == "warn"]
    total = len(parts)
    verb = {"drift": "drifted", "explain": "exceeded its importance limit"}.get(kind, "failed")
    if kind == "fairness":
        verb = "is beyond its threshold" if len(bad) == 1 else "are beyond their thresholds"
    sentences = []
    if bad:
        head = {"fail": "Failed", "warn": "Passed with a warning"}.get(status, status.capitalize())
        sentences.append(f"{head}: {len(bad)} of {_count(total, kind)} {verb} ({_listed(bad)}).")
        if status == "warn" and severity == "warn":
            sentences.append("This check's severity is warn: it reports, it does not block.")
    if broken:
        sentences.append(f"{_count(len(broken), kind).capitalize()} could not be tested ({_listed(broken)}).")
    if warned:
        sentences.append(f"{_count(len(warned), kind).capitalize()} ended with a warning ({_listed(warned)}).")
    if overall is not None and _field(overall, "status") in ("pass", "fail"):
        metrics = _field(overall, "metrics") or {}
        share, needed = metrics.get("share"), metrics.get("threshold")
        if isinstance(share, (int, float)) and isinstance(needed, (int, float)):
            whole = "drifted" if _field(overall, "status") == "fail" else "did not drift"
            sentences.append(f"The dataset as a whole {whole}: {share:.0%} of its columns drifted, "
                             f"{needed:.0%} are needed.")
    if not sentences:
        if status == "pass":
            if not total:
                return "Passed."
            return (f"Passed: none of {_count(total, kind)} drifted." if kind == "drift"
                    else f"Passed: its {_count(total, kind)} passed." if total == 1
                    else f"Passed: all {_count(total, kind)} passed.")
        return f"{status.capitalize()}."
    return " ".join(sentences)


_SIMPLE_SELECT = re.compile(r"^\(\s*SELECT\s+\*\s+FROM\s+([\w\".]+)\s*(?:WHERE\s+(.+?))?\s*\)$",
                            re.IGNORECASE | re.DOTALL)
_COMPARISON = re.compile(r"^\"?(\w+)\"?\s*(<=|>=|<>|!=|=|<|>)\s*(?:(DATE|TIMESTAMP)\s+)?('(?:[^']|'')*'|[-\w.…]+)$",
                         re.IGNORECASE)
_WORDS = {"<": "before", "<=": "up to", ">": "after", ">=": "from", "=": "on", "<>": "not on", "!=": "not on"}
_SYMBOLS = {"<=": "≤", ">=": "≥", "<>": "≠", "!=": "≠"}


def _short_table(name: str) -> str:
    return name.replace('"', "").split(".")[-1]


def _condition(text: str) -> str | None:
    """`col < DATE 'x'` as "col before x"; None when `text` is more than comparisons joined by AND."""
    said = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE):
        match = _COMPARISON.match(part.strip())
        if not match:
            return None
        column, op, typed, value = match.groups()
        value = value[1:-1].replace("''", "'") if value.startswith("'") else value
        if typed:   # a date or a time: before, from, after
            value = value.replace("T", " ").removesuffix(" 00:00:00")
            said.append(f"{column} {_WORDS[op]} {value}")
        else:
            said.append(f"{column} {_SYMBOLS.get(op, op)} {value}")
    return " and ".join(said)


def describe_relation(relation: str, datasets: Iterable[str] = ()) -> str:
    """A relation as a person reads it: a dataset's short name, `shipments where shipped_at before
    2025-07-01` for a simple SELECT, else "a query over" the `datasets` it read."""
    text = " ".join(str(relation).split())
    if not text.startswith("("):
        return _short_table(text)
    match = _SIMPLE_SELECT.match(text)
    if not match:
        read = sorted({_short_table(d) for d in datasets})
        return f"a query over {', '.join(read)}" if read else "a query"
    table, where = match.groups()
    if not where:
        return _short_table(table)
    condition = _condition(where)
    return f"{_short_table(table)} where {condition}" if condition else f"a selection of {_short_table(table)}"


def check_label(kind: str, name: str, datasets: Iterable[str] = ()) -> str:
    """A check's name as a person reads it: monitors and suites by their declared names, a drift or a
    fairness check named after its SQL by what it compares ("Drift: shipments where shipped_at before
    2025-07-01 → shipments where shipped_at from 2026-01-01")."""
    if name.startswith("monitor:"):
        return f"Monitor {name.removeprefix('monitor:')}"
    if kind == "drift" and name.startswith("drift ") and " -> " in name:
        reference, current = name.removeprefix("drift ").split(" -> ", 1)
        return f"Drift: {describe_relation(reference, datasets)} → {describe_relation(current, datasets)}"
    if kind == "fairness" and name.startswith("fairness of "):
        relation, _, by = name.removeprefix("fairness of ").rpartition(" by ")
        return f"Fairness by {by} of {describe_relation(relation, datasets)}" if relation else name
    if kind == "explain" and name.startswith("explain "):
        model, _, relation = name.removeprefix("explain ").partition(" on ")
        return f"Explanation of {model} on {describe_relation(relation, datasets)}" if relation else name
    return name
