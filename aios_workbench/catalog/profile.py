"""Dataset profiles computed in DuckDB through the governed query path.

At most three statements, all run as the user (masks and row filters apply):
a count (skipped when cached, or when the catalog's count settles exact vs
approximate), ONE wide aggregate for the scalar statistics of every column, and
ONE statement for every histogram and top-values list (DuckDB's `histogram`
aggregate, with bin boundaries for numbers, without for low-cardinality columns).

Above `approximate_above` rows, distinct counts use `approx_count_distinct` (HyperLogLog)
and quantiles `approx_quantile` (T-Digest); below, `count(DISTINCT)` and `quantile_cont`.

A masked column is left out of every statement: its profile is only
{masked, mask method, row count}. Even its null count or the frequencies of its
hashed values would describe the raw data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlglot import exp

from aios_workbench.catalog.preview import (
    RowCountCache,
    governed,
    governed_count,
    json_value,
    row_count_cache,
    value_kind,
    visible_type,
)
from aios_workbench.core.errors import UsageError
from aios_workbench.policy.wording import rows_phrase

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 20
TOP_VALUES = 10
TOP_VALUES_MAX_DISTINCT = 100   # "low cardinality": top values are shown up to this many distinct values
_TEMPORAL_KINDS = ("date", "ts", "tstz", "time")


@dataclass
class ColumnProfile:
    name: str
    type: str
    masked: bool = False
    mask: str | None = None
    rows: int = 0
    nulls: int | None = None
    distinct: int | None = None
    min: object = None
    max: object = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, object] | None = None
    histogram: list[dict] | None = None       # [{"low", "high", "count"}], bins (low, high], the first closed
    top: list[dict] | None = None             # [{"value", "count"}], most frequent first

    def to_dict(self) -> dict:
        if self.masked:  # nothing derived from the column's values
            return {"name": self.name, "masked": True, "mask": self.mask, "rows": self.rows}
        out = {"name": self.name, "type": self.type, "masked": False, "rows": self.rows, "nulls": self.nulls,
               "distinct": self.distinct, "min": json_value(self.min), "max": json_value(self.max)}
        for key in ("mean", "std"):
            if getattr(self, key) is not None:
                out[key] = json_value(getattr(self, key))
        if self.quantiles is not None:
            out["quantiles"] = {k: json_value(v) for k, v in self.quantiles.items()}
        if self.histogram is not None:
            out["histogram"] = [{k: json_value(v) for k, v in b.items()} for b in self.histogram]
        if self.top is not None:
            out["top"] = [{"value": json_value(t["value"]), "count": t["count"]} for t in self.top]
        return out


@dataclass
class DatasetProfile:
    dataset: str
    rows: int                         # rows the user sees (after the row filter)
    profiled_rows: int                # rows the statistics were computed over (fewer when sampled)
    approximate: bool                 # distinct counts and quantiles are estimates
    sample: object = None
    columns: list[ColumnProfile] = field(default_factory=list)
    statements: int = 0
    seconds: float = 0.0
    row_filter: str | None = None     # the user's row filter as SQL, if one applies

    @property
    def rows_label(self) -> str:
        """`73 rows you can see (row filter: region = 'EU')`: the count and why it may be fewer than all."""
        return rows_phrase(self.rows, self.row_filter)

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name.lower() == name.lower())

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "rows": self.rows, "rows_label": self.rows_label,
                "row_filter": self.row_filter, "profiled_rows": self.profiled_rows,
                "approximate": self.approximate, "sample": self.sample, "statements": self.statements,
                "seconds": round(self.seconds, 4), "columns": [c.to_dict() for c in self.columns]}


def _sampled(table: exp.Table, sample) -> exp.Table:
    """The table with a TABLESAMPLE (rows: reservoir, repeatable; a fraction: system percent)."""
    if sample is None:
        return table

    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or sample <= 0 or (
            isinstance(sample, float) and sample >= 1):
        raise UsageError(f"sample must be a row count (int > 0) or a fraction (0 < float < 1), got {sample!r}",
                         fix="pass e.g. sample=100_000 or sample=0.1", input=sample)
    if isinstance(sample, int):
        size = exp.TableSample(method=exp.var("RESERVOIR"), size=exp.Literal.number(sample),
                               seed=exp.Literal.number(42))
    else:
        size = exp.TableSample(method=exp.var("SYSTEM"), percent=exp.Literal.number(round(sample * 100, 6)),
                               seed=exp.Literal.number(42))
    table.set("sample", size)
    return table


def _fn(name: str, *args) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _array(values, cast: str | None = None) -> exp.Expr:
    array = exp.Array(expressions=[exp.Literal.number(repr(float(v))) for v in values])
    return exp.cast(array, cast) if cast else array


def profile(queries, user: str, dataset: str, *, approximate_above: int = 1_000_000, sample=None,
            as_user: str | None = None, surface: str = "profile",
            counts: RowCountCache | None = None) -> DatasetProfile:
    """The profile of `dataset` as `user` sees it: row count and, per unmasked column, nulls,
    distinct, min/max, mean/std and quantiles (numbers, dates, times), a histogram (numbers) and
    top values (low cardinality). Masked columns report only that they are masked."""
    started = time.perf_counter()
    g = governed(queries, user, dataset, as_user=as_user, surface=surface)
    cache = counts or row_count_cache(queries)
    statements = 0

    # exact or approximate: the cached count, else the catalog's (an upper bound under a row filter)
    known = cache.get(cache.key(g.policy, g.entry, g.view), g.policy)
    if known is None and g.entry.row_count is not None and (
            g.view.row_filter is None or g.entry.row_count <= approximate_above):
        known = g.entry.row_count
    if known is None:
        known = governed_count(queries, g, user, as_user, surface, cache)
        statements += 1
    scanned = known
    if isinstance(sample, int) and not isinstance(sample, bool):
        scanned = min(known, sample)
    elif isinstance(sample, float):
        scanned = int(known * sample)
    approximate = scanned > approximate_above

    visible = [c for c in g.entry.columns if c.name not in g.view.masks]
    kinds = {c.name: value_kind(visible_type(c, g.view)) for c in visible}
    table = _sampled(g.table.copy(), sample)

    # 1. one wide aggregate: every scalar statistic of every unmasked column
    select = [exp.alias_(exp.Count(this=exp.Star()), "n")]
    wanted: list[tuple[str, str]] = []  # (column, statistic) in select order

    def add(column: str, stat: str, expression: exp.Expr) -> None:
        wanted.append((column, stat))
        select.append(exp.alias_(expression, f"s{len(wanted)}", quoted=True))

    for c in visible:
        col, kind = exp.column(c.name, quoted=True), kinds[c.name]
        add(c.name, "non_null", exp.Count(this=col.copy()))
        add(c.name, "distinct", _fn("approx_count_distinct", col.copy()) if approximate
            else exp.Count(this=exp.Distinct(expressions=[col.copy()])))
        if kind is None:
            continue  # nested, BLOB, ...: nulls and distinct only
        add(c.name, "min", exp.Min(this=col.copy()))
        add(c.name, "max", exp.Max(this=col.copy()))
        if kind in ("int", "float", "dec"):
            as_double = exp.cast(col.copy(), "DOUBLE")
            add(c.name, "mean", exp.Avg(this=as_double))
            add(c.name, "std", _fn("stddev_samp", as_double.copy()))
        if kind in ("int", "float", "dec", *_TEMPORAL_KINDS):
            add(c.name, "quantiles", _fn("approx_quantile" if approximate else "quantile_cont", col.copy(),
                                         _array(QUANTILES)))
    sql = exp.select(*select).from_(table.copy()).sql("duckdb")
    row = queries.run(sql, user=user, as_user=as_user, surface=surface).to_arrow().to_pylist()[0]
    statements += 1
    profiled = row["n"]
    stats: dict[str, dict] = {c.name: {} for c in visible}
    for i, (column, stat) in enumerate(wanted, start=1):
        stats[column][stat] = row[f"s{i}"]
    rows = profiled if sample is None else known

    # 2. one statement for every histogram and top-values list
    extra: list[exp.Expr] = []
    plans: list[tuple[str, str, list[float] | None]] = []   # (column, "histogram" or "top", bin edges)
    for c in visible:
        s, kind = stats[c.name], kinds[c.name]
        col = exp.column(c.name, quoted=True)
        if kind in ("int", "float", "dec") and s["min"] is not None and s["max"] is not None:
            edges = _edges(float(s["min"]), float(s["max"]), integer=kind == "int")
            if len(edges) > 2:  # otherwise one bin holds every value: no statement needed
                extra.append(exp.alias_(_fn("histogram", exp.cast(col.copy(), "DOUBLE"), _array(edges[1:-1], "DOUBLE[]")),
                                        f"h{len(extra)}", quoted=True))
                plans.append((c.name, "histogram", edges))
            else:
                s["histogram"] = [{"low": edges[0], "high": edges[-1], "count": s["non_null"]}]
        if kind is not None and s["distinct"] and s["distinct"] <= TOP_VALUES_MAX_DISTINCT:
            extra.append(exp.alias_(_fn("histogram", col.copy()), f"h{len(extra)}", quoted=True))
            plans.append((c.name, "top", None))
    if extra:
        sql = exp.select(*extra).from_(table.copy()).sql("duckdb")
        values = queries.run(sql, user=user, as_user=as_user, surface=surface).to_arrow().to_pylist()[0]
        statements += 1
        for i, (column, what, bin_edges) in enumerate(plans):
            counts_map = dict(values[f"h{i}"] or {})
            if what == "histogram" and bin_edges is not None:
                stats[column]["histogram"] = _bins(bin_edges, counts_map)
            else:
                ranked = _ranked(counts_map)[:TOP_VALUES]
                stats[column]["top"] = [{"value": v, "count": n} for v, n in ranked]

    columns = []
    for c in g.entry.columns:
        if c.name in g.view.masks:
            columns.append(ColumnProfile(c.name, c.data_type, masked=True, mask=g.view.masks[c.name][0], rows=rows))
            continue
        s = stats[c.name]
        quantiles = s.get("quantiles")
        columns.append(ColumnProfile(
            c.name, visible_type(c, g.view), rows=rows, nulls=profiled - s["non_null"], distinct=s["distinct"],
            min=s.get("min"), max=s.get("max"), mean=s.get("mean"), std=s.get("std"),
            quantiles=dict(zip((f"p{round(q * 100):02d}" for q in QUANTILES), quantiles, strict=False)) if quantiles else None,
            histogram=s.get("histogram"), top=s.get("top")))
    return DatasetProfile(g.entry.full_name, rows, profiled, approximate, sample, columns, statements,
                          time.perf_counter() - started, g.row_filter_sql)


def _ranked(counts: dict) -> list[tuple]:
    """Most frequent first; equal counts in value order (NULL, never a key here, cannot clash)."""
    try:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    except TypeError:
        return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


def _edges(low: float, high: float, *, integer: bool) -> list[float]:
    """Bin edges: `HISTOGRAM_BINS` equal-width bins; integers spanning fewer values get one bin each."""
    if high <= low:
        return [low, high]
    if integer and high - low + 1 <= HISTOGRAM_BINS:
        return [low - 0.5 + i for i in range(int(high - low) + 2)]
    width = (high - low) / HISTOGRAM_BINS
    return [low + width * i for i in range(HISTOGRAM_BINS)] + [high]


def _bins(edges: list[float], counts: dict) -> list[dict]:
    """DuckDB's `histogram(x, boundaries)` puts x in the first boundary >= x, the rest in an overflow
    bucket: so bin i is (edges[i], edges[i+1]], the first also holding the minimum."""
    ordered = [n for _, n in sorted(counts.items())]  # every boundary, zeros included, then the overflow
    ordered += [0] * (len(edges) - 1 - len(ordered))
    inner = len(edges) - 2
    counts_by_bin = ordered[:inner] + [sum(ordered[inner:])]
    return [{"low": edges[i], "high": edges[i + 1], "count": n} for i, n in enumerate(counts_by_bin)]
