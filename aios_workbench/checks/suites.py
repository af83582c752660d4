"""Quality suites: declared in `governance/checks.yaml` or built in code, run as one batch per dataset.

    suites:
      shipments_basics:
        dataset: shipment_files.main.shipments
        required: true
        severity: fail
        rules:
          - not_null: shipment_id
          - range: {column: delay_days, min: -30, max: 120, mostly: 0.99}
          - sql: {name: delivered_after_shipped, predicate: "delivered_at >= shipped_at"}

In code: `Suite("shipment_files.main.shipments", [NotNull("shipment_id"), Range("delay_days", min=0)])`.
A broken file is a `ConfigError` naming the file, line, key and fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from aios_workbench.checks.monitors import MonitorSpec
from aios_workbench.checks.quality import (
    AcceptedValues,
    Freshness,
    NotNull,
    Range,
    References,
    Regex,
    RowCount,
    Rule,
    RunSQL,
    SqlPredicate,
    Unique,
    parse_max_age,
    run_suite,
)
from aios_workbench.checks.result import CheckResult
from aios_workbench.core.errors import ConfigError, NotFound, UsageError
from aios_workbench.core.models import Strict

CHECKS_FILE = "checks.yaml"
Scalar = bool | int | float | datetime | date | str


@dataclass
class Suite:
    """A named set of quality rules over one governed dataset."""

    dataset: str
    rules: list[Rule]
    name: str = ""
    required: bool = False
    severity: Literal["warn", "fail"] = "fail"
    description: str = ""
    rules_lines: list[int | None] = field(default_factory=list, repr=False)  # where each rule is declared

    def __post_init__(self) -> None:
        self.name = self.name or self.dataset
        if self.severity not in ("warn", "fail"):
            raise UsageError(f"suite {self.name!r}: severity must be warn or fail, got {self.severity!r}",
                             fix="use severity: fail (blocks) or warn (reports)", input=self.severity)
        if not self.rules:
            raise UsageError(f"suite {self.name!r} has no rules", fix="add at least one rule", input=self.name)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.label in seen:
                raise UsageError(f"suite {self.name!r} has two rules named {rule.label!r}",
                                 fix="give one of them a distinct `name:`", input=rule.label)
            seen.add(rule.label)

    def run(self, run_sql: RunSQL, *, examples: int = 5) -> CheckResult:
        """Run every rule through `run_sql` (see `quality.run_suite`)."""
        return run_suite(self, run_sql, examples=examples)


# -- the YAML shape ---------------------------------------------------------------------------------------------

class _Tolerance(Strict):
    name: str | None = None
    mostly: float | None = Field(None, ge=0, le=1)
    max_failing: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_tolerance(self):
        if self.mostly is not None and self.max_failing is not None:
            raise ValueError("set either mostly or max_failing, not both")
        return self


class ColumnSpec(_Tolerance):
    column: str


class AcceptedValuesSpec(ColumnSpec):
    values: list[Scalar] = Field(min_length=1)


class RangeSpec(ColumnSpec):
    min: Scalar | None = None
    max: Scalar | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    @model_validator(mode="after")
    def _bounded(self):
        if self.min is None and self.max is None:
            raise ValueError("a range needs min, max or both")
        return self


class RegexSpec(ColumnSpec):
    pattern: str


class ReferencesSpec(ColumnSpec):
    dataset: str
    to: str | None = None


class SqlSpec(_Tolerance):
    name: str
    predicate: str


class RowCountSpec(Strict):
    name: str | None = None
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _bounded(self):
        if self.min is None and self.max is None:
            raise ValueError("row_count needs min, max or both")
        return self


class FreshnessSpec(Strict):
    name: str | None = None
    column: str
    max_age: str | int | float

    @field_validator("max_age")
    @classmethod
    def _duration(cls, value):
        try:
            parse_max_age(value)
        except UsageError:
            raise ValueError("max_age must be a duration like 90m, 36h, 400d or 2w") from None
        return value


class RuleEntry(Strict):
    """One rule: a single key naming its kind (`not_null: col` or `range: {column: ..., min: ...}`)."""

    not_null: ColumnSpec | None = None
    unique: ColumnSpec | None = None
    accepted_values: AcceptedValuesSpec | None = None
    range: RangeSpec | None = None
    regex: RegexSpec | None = None
    row_count: RowCountSpec | None = None
    freshness: FreshnessSpec | None = None
    references: ReferencesSpec | None = None
    sql: SqlSpec | None = None

    @field_validator("not_null", "unique", mode="before")
    @classmethod
    def _column_shorthand(cls, value):
        return {"column": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"each rule is one key naming its kind ({', '.join(type(self).model_fields)}); "
                             f"got {', '.join(given) or 'none'}")
        return self

    def to_rule(self) -> Rule:
        kind = next(k for k in type(self).model_fields if getattr(self, k) is not None)
        options = getattr(self, kind).model_dump(exclude_none=True)
        cls = {"not_null": NotNull, "unique": Unique, "accepted_values": AcceptedValues, "range": Range,
               "regex": Regex, "row_count": RowCount, "freshness": Freshness, "references": References,
               "sql": SqlPredicate}[kind]
        return cls(**options)


class SuiteSpec(Strict):
    dataset: str
    description: str = ""
    required: bool = False
    severity: Literal["warn", "fail"] = "fail"
    rules: list[RuleEntry] = Field(min_length=1)


class ChecksFile(Strict):
    suites: dict[str, SuiteSpec] = Field(default_factory=dict)
    monitors: dict[str, MonitorSpec] = Field(default_factory=dict)


def load_checks_file(path: Path) -> ChecksFile | None:
    """The whole checks file, validated (None when there is none)."""
    # lazy: core.yamlfile loads PyYAML; only reading a checks file needs it
    from aios_workbench.core.yamlfile import load_model

    return load_model(path, ChecksFile)[0] if path.exists() else None


def load_suites(path: Path) -> dict[str, Suite]:
    """Every suite of the checks file at `path`, validated; a missing file holds no suites."""
    # lazy: as in load_checks_file: PyYAML only when a checks file is read
    from aios_workbench.core.yamlfile import load_model

    if not path.exists():
        return {}
    model, lines = load_model(path, ChecksFile)
    suites = {}
    for name, spec in model.suites.items():
        rules, where = [], []
        for i, entry in enumerate(spec.rules):
            line = lines.get(("suites", name, "rules", i))
            try:
                rules.append(entry.to_rule())
            except UsageError as exc:
                raise ConfigError(f"{path}{f' line {line}' if line else ''}: suite {name!r}: {exc.message}",
                                  fix=f"edit {path.name}; {exc.fix}", input=str(path)) from None
            where.append(line)
        try:
            suites[name] = Suite(spec.dataset, rules, name=name, required=spec.required, severity=spec.severity,
                                 description=spec.description, rules_lines=where)
        except UsageError as exc:
            line = lines.get(("suites", name))
            raise ConfigError(f"{path}{f' line {line}' if line else ''}: {exc.message}",
                              fix=f"edit {path.name}; {exc.fix}", input=str(path)) from None
    return suites


def workspace_suites(ws) -> dict[str, Suite]:
    """The suites of the workspace's `governance/checks.yaml`."""
    return load_suites(ws.governance_dir / CHECKS_FILE)


def select_suites(suites: dict[str, Suite], names: list[str] | tuple[str, ...] = ()) -> list[Suite]:
    """The suites named (all when none); an unknown name is an error listing the known ones."""
    if not names:
        return list(suites.values())
    unknown = [n for n in names if n not in suites]
    if unknown:
        known = ", ".join(sorted(suites)) or "none (governance/checks.yaml declares no suites)"
        raise NotFound(f"unknown quality suite {', '.join(map(repr, unknown))}; known suites: {known}",
                       fix="use a suite name from governance/checks.yaml", input=unknown[0])
    return [suites[n] for n in dict.fromkeys(names)]


def describe_checks(ws) -> dict:
    """The suites and monitors governance/checks.yaml declares, for pickers in the UIs and progress bars."""
    model = load_checks_file(ws.governance_dir / CHECKS_FILE)
    if model is None:
        return {"suites": [], "monitors": []}
    suites = [{"name": n, "dataset": s.dataset, "description": s.description, "required": s.required,
               "severity": s.severity, "rules": len(s.rules)} for n, s in model.suites.items()]
    monitors = [{"name": n, "dataset": m.dataset, "description": m.description, "time_column": m.time_column,
                 "current": m.current, "reference": m.reference if isinstance(m.reference, str)
                 else m.reference.model_dump(mode="json", by_alias=True), "severity": m.severity}
                for n, m in model.monitors.items()]
    return {"suites": suites, "monitors": monitors}
