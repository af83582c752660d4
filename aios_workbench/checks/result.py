"""The one result shape every check returns, stores in the ledger and renders inline."""

from __future__ import annotations

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
