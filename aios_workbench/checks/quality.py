"""Data-quality rules, compiled to SQL and run through the governed query path.

A suite's rules run over one dataset in as few statements as possible: one
aggregate statement computes every rule's failing count (`count(*) FILTER
(WHERE violation)`), then one small `LIMIT 5` query per failing rule fetches
example rows. Every statement goes through the caller's `run_sql`, normally the
governed path as the calling user or job identity, so rules see what that
identity sees: masked columns are checked (and shown) masked, filtered rows do
not exist. Run as a job or steward identity to check raw values.

Row rules (not_null, unique, accepted_values, range, regex, references, sql)
report `failing_rows` out of all visible `rows`; NULLs fail only `not_null`
(every other rule ignores them, like SQL CHECK constraints and Great
Expectations). Dataset rules (row_count, freshness) report an observation.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import sqlglot
from sqlglot import exp

from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.core.errors import NotFound, UsageError, WorkbenchError

if TYPE_CHECKING:
    from aios_workbench.checks.suites import Suite

RunSQL = Callable[[str], pa.Table]
EXAMPLES = 5
DIALECT = "duckdb"


class UnknownColumn(NotFound):
    """A rule names a column its dataset does not have (or the identity cannot see)."""

    code = "unknown_column"


def governed_runner(queries, *, user: str, surface: str = "check", run_id: str | None = None) -> RunSQL:
    """`run_sql` over a `QueryService`: every statement governed, audited and attributed to `user`."""
    return lambda sql: queries.run(sql, user=user, surface=surface, run_id=run_id).to_arrow()


def table_expr(dataset: str) -> exp.Table:
    """`source.schema.dataset` (or a shorter name the catalog resolves) as quoted identifiers."""
    parts = [p for p in dataset.split(".")]
    if not 1 <= len(parts) <= 3 or not all(p.strip() for p in parts):
        raise UsageError(f"{dataset!r} is not a dataset name", fix="write source.schema.dataset", input=dataset)
    *qualifiers, name = parts
    db = qualifiers[-1] if qualifiers else None
    catalog = qualifiers[-2] if len(qualifiers) > 1 else None
    return exp.table_(name, db=db, catalog=catalog, quoted=True)


def parse_max_age(value: str | int | float | timedelta) -> timedelta:
    """`36h`, `400d`, `2w`, `90m` (or a number of hours, or a timedelta) as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(hours=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", str(value))
    if not match:
        raise UsageError(f"max_age {value!r} is not a duration", fix="write e.g. 90m, 36h, 400d or 2w", input=value)
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    return timedelta(**{units[match[2]]: float(match[1])})


# -- the context a rule compiles in ---------------------------------------------------------------------------

@dataclass
class Context:
    """What a rule compiles against: the suite, its dataset and the columns the identity sees."""

    suite: str
    dataset: str
    run_sql: RunSQL
    _schemas: dict[str, dict[str, str]] = field(default_factory=dict)
    rule: str = ""

    @property
    def table(self) -> exp.Table:
        return table_expr(self.dataset)

    def columns_of(self, dataset: str) -> dict[str, str]:
        """lower-case name -> name of the columns `dataset` shows (one `LIMIT 0` probe, cached)."""
        key = dataset.lower()
        if key not in self._schemas:
            probe = exp.select("*").from_(table_expr(dataset)).limit(0).sql(DIALECT)
            try:
                schema = self.run_sql(probe).schema
            except WorkbenchError as exc:  # same error class (and exit code), naming the suite
                exc.message = f"quality suite {self.suite!r}: {exc.message}"
                exc.args = (exc.message,)
                raise
            self._schemas[key] = {name.lower(): name for name in schema.names}
        return self._schemas[key]

    def column(self, name: str, dataset: str | None = None) -> exp.Column:
        """The quoted column `name` of `dataset` (default: the suite's), or `UnknownColumn`."""
        dataset = dataset or self.dataset
        columns = self.columns_of(dataset)
        actual = columns.get(str(name).lower())
        if actual is None:
            raise UnknownColumn(
                f"quality suite {self.suite!r}, rule {self.rule!r}: dataset {dataset} has no column {name!r}",
                fix=f"use one of: {', '.join(columns.values())} (see `aios catalog show {dataset}`)", input=name)
        return exp.column(actual, quoted=True)


def count_where(condition: exp.Expr) -> exp.Expr:
    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition))


def not_null(column: exp.Expr) -> exp.Expr:
    return exp.Not(this=column.is_(exp.null()))


# -- rules ------------------------------------------------------------------------------------------------------

@dataclass(kw_only=True)
class Rule:
    """A quality rule. `mostly` (share of rows that must pass) or `max_failing` sets the tolerance (default 0)."""

    name: str | None = None
    mostly: float | None = None
    max_failing: int | None = None
    kind: ClassVar[str] = ""
    row_level: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.mostly is not None and self.max_failing is not None:
            raise UsageError(f"rule {self.label!r} sets both mostly and max_failing",
                             fix="keep one of them", input=self.label)
        if self.mostly is not None and not 0 <= self.mostly <= 1:
            raise UsageError(f"rule {self.label!r}: mostly must be between 0 and 1, got {self.mostly}",
                             fix="e.g. mostly: 0.99 lets 1% of rows fail", input=self.mostly)
        if self.max_failing is not None and self.max_failing < 0:
            raise UsageError(f"rule {self.label!r}: max_failing must be >= 0", fix="e.g. max_failing: 10",
                             input=self.max_failing)

    @property
    def label(self) -> str:
        return self.name or self.default_name()

    def default_name(self) -> str:
        column = getattr(self, "column", None)
        return f"{self.kind}({column})" if column else self.kind

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{k: v for k, v in asdict(self).items() if v is not None}}

    # A row rule defines `violation`; the runner counts and samples the rows it selects.
    def violation(self, ctx: Context) -> exp.Expr:
        raise NotImplementedError

    def aggregates(self, ctx: Context) -> list[exp.Expr]:
        return [count_where(self.violation(ctx))]

    def describe(self, ctx: Context) -> str:
        return self.violation(ctx).sql(DIALECT)

    def examples(self, ctx: Context, limit: int) -> exp.Select | None:
        return exp.select("*").from_(ctx.table).where(self.violation(ctx)).limit(limit)

    def evaluate(self, values: list, rows: int) -> tuple[bool, dict, dict]:
        """(failed, metrics, detail) from this rule's aggregate values and the visible row count."""
        failing = int(values[0] or 0)
        fraction = failing / rows if rows else 0.0
        if self.mostly is not None:
            failed, tolerance = fraction > 1 - self.mostly + 1e-12, {"mostly": self.mostly}
        else:
            allowed = self.max_failing or 0
            failed, tolerance = failing > allowed, {"max_failing": allowed}
        return failed, {"failing_rows": failing, "rows": rows, "failing_fraction": fraction}, {"tolerance": tolerance}


@dataclass
class NotNull(Rule):
    column: str
    kind: ClassVar[str] = "not_null"

    def violation(self, ctx):
        return ctx.column(self.column).is_(exp.null())


@dataclass
class Unique(Rule):
    """Failing rows are those repeating a value seen before (count - count distinct); NULLs are ignored."""

    column: str
    kind: ClassVar[str] = "unique"

    def aggregates(self, ctx):
        col = ctx.column(self.column)
        return [exp.Sub(this=exp.Count(this=col), expression=exp.Count(this=exp.Distinct(expressions=[col])))]

    def describe(self, ctx):
        col = ctx.column(self.column).sql(DIALECT)
        return f"count({col}) - count(DISTINCT {col}) (rows repeating an earlier value)"

    def examples(self, ctx, limit):
        col = ctx.column(self.column)
        repeated = (exp.select(col).from_(ctx.table).where(not_null(col)).group_by(col)
                    .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.convert(1))))
        return (exp.select("*").from_(ctx.table).where(exp.In(this=col.copy(), query=exp.Subquery(this=repeated)))
                .order_by(col.copy()).limit(limit))


@dataclass
class AcceptedValues(Rule):
    column: str
    values: list = field(default_factory=list)
    kind: ClassVar[str] = "accepted_values"

    def __post_init__(self):
        super().__post_init__()
        if not self.values:
            raise UsageError(f"rule {self.label!r}: accepted_values needs at least one value",
                             fix="list the accepted values", input=self.label)

    def violation(self, ctx):
        col = ctx.column(self.column)
        return exp.and_(not_null(col), exp.Not(this=exp.In(this=col.copy(),
                                                             expressions=[exp.convert(v) for v in self.values])))


@dataclass
class Range(Rule):
    column: str
    min: Any = None
    max: Any = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    kind: ClassVar[str] = "range"

    def __post_init__(self):
        super().__post_init__()
        if self.min is None and self.max is None:
            raise UsageError(f"rule {self.label!r}: range needs min, max or both", fix="add min: or max:",
                             input=self.label)

    def violation(self, ctx):
        col = ctx.column(self.column)
        outside: list[exp.Expr] = []
        if self.min is not None:
            below = exp.LT if self.min_inclusive else exp.LTE
            outside.append(below(this=col.copy(), expression=exp.convert(self.min)))
        if self.max is not None:
            above = exp.GT if self.max_inclusive else exp.GTE
            outside.append(above(this=col.copy(), expression=exp.convert(self.max)))
        return exp.and_(not_null(col), exp.Paren(this=exp.or_(*outside)))


@dataclass
class Regex(Rule):
    """Values (as text) must contain a match of `pattern` (RE2 syntax; anchor with ^...$ to match whole values)."""

    column: str
    pattern: str = ""
    kind: ClassVar[str] = "regex"

    def violation(self, ctx):
        col = ctx.column(self.column)
        matches = exp.Anonymous(this="regexp_matches",
                                expressions=[exp.cast(col.copy(), "VARCHAR"), exp.convert(self.pattern)])
        return exp.and_(not_null(col), exp.Not(this=matches))


@dataclass
class References(Rule):
    """Referential integrity: non-NULL values of `column` exist in `dataset`.`to` (as the identity sees it)."""

    column: str
    dataset: str = ""
    to: str | None = None
    kind: ClassVar[str] = "references"

    def __post_init__(self):
        super().__post_init__()
        if not self.dataset:
            raise UsageError(f"rule {self.label!r}: references needs the dataset it points to",
                             fix="add dataset: source.schema.dataset", input=self.label)

    def default_name(self):
        return f"references({self.column} -> {self.dataset}.{self.to or self.column})"

    def violation(self, ctx):
        col = ctx.column(self.column)
        target = ctx.column(self.to or self.column, self.dataset)
        keys = exp.select(target).from_(table_expr(self.dataset)).where(not_null(target.copy()))
        return exp.and_(not_null(col), exp.Not(this=exp.In(this=col.copy(), query=exp.Subquery(this=keys))))


@dataclass
class SqlPredicate(Rule):
    """Rows where the boolean SQL `predicate` is FALSE fail (NULL passes, as in a CHECK constraint)."""

    predicate: str = ""
    kind: ClassVar[str] = "sql"

    def __post_init__(self):
        super().__post_init__()
        if not self.name:
            raise UsageError("a custom SQL rule needs a name", fix="add name: e.g. delivered_after_shipped",
                             input=self.predicate)
        self._parsed = self._parse()

    def _parse(self) -> exp.Expr:
        try:
            tree = sqlglot.parse_one(f"SELECT ({self.predicate})", read=DIALECT)
        except sqlglot.errors.ParseError as exc:
            raise UsageError(f"rule {self.name!r}: the predicate is not valid SQL: {exc.errors[0]['description']}",
                             fix="write one boolean SQL expression over the dataset's columns",
                             input=self.predicate) from None
        if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 or tree.args.get("from_") \
                or tree.args.get("from"):
            raise UsageError(f"rule {self.name!r}: the predicate must be one boolean SQL expression",
                             fix="e.g. delivered_at >= shipped_at OR delivered_at IS NULL", input=self.predicate)
        return tree.expressions[0].unnest().copy()

    def violation(self, ctx):
        tree = self._parsed.copy()
        for column in list(tree.find_all(exp.Column)):
            if column.find_ancestor(exp.Subquery, exp.Select) is None and not column.table:
                column.replace(ctx.column(column.name))
        return exp.Is(this=exp.Paren(this=tree), expression=exp.false())


@dataclass
class RowCount(Rule):
    min: int | None = None
    max: int | None = None
    kind: ClassVar[str] = "row_count"
    row_level: ClassVar[bool] = False

    def __post_init__(self):
        super().__post_init__()
        if self.min is None and self.max is None:
            raise UsageError("rule row_count needs min, max or both", fix="e.g. row_count: {min: 1000}",
                             input=self.label)

    def aggregates(self, ctx):
        return []

    def describe(self, ctx):
        bounds = [f"count(*) >= {self.min}" if self.min is not None else "",
                  f"count(*) <= {self.max}" if self.max is not None else ""]
        return "expected " + " AND ".join(b for b in bounds if b)

    def examples(self, ctx, limit):
        return None

    def evaluate(self, values, rows):
        failed = (self.min is not None and rows < self.min) or (self.max is not None and rows > self.max)
        return failed, {"rows": rows}, {"min": self.min, "max": self.max}


@dataclass
class Freshness(Rule):
    """The newest `column` value must be at most `max_age` old (`36h`, `400d`, or a timedelta)."""

    column: str
    max_age: Any = "1d"
    kind: ClassVar[str] = "freshness"
    row_level: ClassVar[bool] = False

    def __post_init__(self):
        super().__post_init__()
        self._max_age = parse_max_age(self.max_age)

    def to_dict(self):
        data = super().to_dict()
        data["max_age"] = str(self.max_age) if isinstance(self.max_age, timedelta) else self.max_age
        return data

    def aggregates(self, ctx):
        latest = exp.Max(this=ctx.column(self.column))
        age = exp.Anonymous(this="date_diff", expressions=[
            exp.convert("second"), exp.cast(latest.copy(), "TIMESTAMPTZ"), exp.Anonymous(this="now")])
        return [age, exp.cast(latest, "VARCHAR")]

    def describe(self, ctx):
        return f"now() - max({ctx.column(self.column).sql(DIALECT)}) <= {self._max_age}"

    def examples(self, ctx, limit):
        return None

    def evaluate(self, values, rows):
        age_s, latest = values
        max_hours = self._max_age.total_seconds() / 3600
        age_hours = None if age_s is None else age_s / 3600
        failed = age_hours is None or age_hours > max_hours
        return failed, {"age_hours": age_hours, "max_age_hours": max_hours, "rows": rows}, {"latest": latest}


# -- running a suite -----------------------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value[:200] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)[:200]


def _compile(suite: Suite, ctx: Context) -> list[tuple[Any, list[exp.Expr]]]:
    compiled = []
    for rule in suite.rules:
        ctx.rule = rule.label
        compiled.append((rule, rule.aggregates(ctx)))
    ctx.rule = ""
    return compiled


def _aggregate(ctx: Context, parts: list[tuple[int, list[exp.Expr]]]) -> dict[str, Any]:
    """One statement: `count(*)` plus every listed rule's aggregates, aliased r<rule>_<n>."""
    select = exp.select(exp.alias_(exp.Count(this=exp.Star()), "rows", quoted=True))
    for index, expressions in parts:
        for n, expression in enumerate(expressions):
            select = select.select(exp.alias_(expression.copy(), f"r{index}_{n}", quoted=True))
    return ctx.run_sql(select.from_(ctx.table).sql(DIALECT)).to_pylist()[0]


def run_suite(suite: Suite, run_sql: RunSQL, *, examples: int = EXAMPLES) -> CheckResult:
    """Run every rule of `suite` through `run_sql`; one `CheckItem` per rule, examples for failing ones."""
    started = time.perf_counter()
    ctx = Context(suite.name, suite.dataset, run_sql)
    ctx.columns_of(suite.dataset)
    compiled = _compile(suite, ctx)
    errors: dict[int, str] = {}
    try:
        values = _aggregate(ctx, [(i, aggs) for i, (_, aggs) in enumerate(compiled)])
    except UsageError:
        # One rule broke the shared statement (a bad regex, a type mismatch): run them one by one to say which.
        values = {"rows": _aggregate(ctx, [])["rows"]}
        for i, (_, aggs) in enumerate(compiled):
            if not aggs:
                continue
            try:
                values.update(_aggregate(ctx, [(i, aggs)]))
            except UsageError as exc:
                errors[i] = exc.message
    rows = int(values["rows"])
    items = []
    for i, (rule, aggs) in enumerate(compiled):
        ctx.rule = rule.label
        detail: dict[str, Any] = {"rule": rule.kind, "predicate": rule.describe(ctx)}
        if i in errors:
            items.append(CheckItem(rule.label, "error", {"rows": rows}, {**detail, "error": errors[i]}))
            continue
        failed, metrics, extra = rule.evaluate([values[f"r{i}_{n}"] for n in range(len(aggs))], rows)
        detail.update(extra)
        query = rule.examples(ctx, examples) if failed and examples else None
        if query is not None:
            try:
                detail["examples"] = _jsonable(run_sql(query.sql(DIALECT)).to_pylist())
            except WorkbenchError as exc:
                detail["examples_error"] = exc.message
        items.append(CheckItem(rule.label, "fail" if failed else "pass", metrics, detail))
    inputs: dict[str, Any] = {suite.dataset: {"rows": rows}}
    for rule in suite.rules:
        if isinstance(rule, References):
            inputs.setdefault(rule.dataset, {"role": "referenced"})
    return CheckResult(kind="quality", name=suite.name, items=items, inputs=inputs,
                       params={"dataset": suite.dataset, "rules": [_jsonable(r.to_dict()) for r in suite.rules]},
                       required=suite.required, severity=suite.severity,
                       duration_s=round(time.perf_counter() - started, 4))
