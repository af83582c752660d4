"""Data drift between a reference and a current relation, chosen and judged like Evidently 0.7.23.

Every number comes from aggregates that DuckDB computes through the governed
query path (`run_sql`): row and null counts, min/max/std, equal-width histograms,
value counts, and sorted CDF passes. No table is ever loaded into Python, so
masks and row filters apply and 10M rows cost what the aggregates cost.

Per column, the default test is Evidently's (`stattests/registry.py`), decided on
the non-null, finite values (Evidently drops nulls and +-inf before testing):

- reference <= 1000 values: numeric with > 5 distinct values (reference and current
  together) K-S p-value (scipy's `auto` mode: exact when both samples <= 10,000,
  else asymptotic); otherwise chi-square p-value, or a two-proportion Z-test when
  there are <= 2 distinct values. Drift when p < 0.05 (K-S: p <= 0.05).
- reference > 1000 values: numeric with > 5 distinct values normed Wasserstein
  distance (divided by the reference's population std, at least 0.001), else
  Jensen-Shannon distance over value shares; drift when >= 0.1.
- the dataset drifts when the share of drifted columns reaches 0.5.

Identifiers are not tested unless named in `columns`: a column named like one (`id`, `*_id`, `*Id`,
`*_key`, `*uuid`, `*guid`) of integers or text whose distinct values number at least half its values on
both sides (a key, or a near-key such as the order of a shipment). Two periods of a key share few values,
so its "drift" is certain and says nothing; a foreign key with few values (a supplier of many orders) is
still tested. The result names what it left out (`params.identifiers`, and the `dataset drift` item's
`skipped` sentence). The distinct count is exact (HyperLogLog was 15% off on 15,000 keys).

Column kinds follow Evidently's inference on the *current* data: floating and
decimal columns are numeric; integer columns are categorical when the current data
has <= 10 distinct values, numeric otherwise; strings and booleans categorical;
dates and times are skipped. `categorical=[...]` forces columns categorical.

PSI is reported for every column as an extra metric (`psi`): 10 buckets cut at the
reference's deciles for numeric columns (deciles located on the 8192-bin histogram,
so a cut sits on a histogram edge, within range/8192 of the exact decile), value
shares for categorical ones; empty buckets are filled as Evidently fills them.

Overrides: `overrides={"col": {"stattest": name, "threshold": t}}` with name one of
ks, chisquare, z, wasserstein, jensenshannon, psi (Evidently's names and
semantics: JS and PSI on a numeric column with > 20 distinct reference values use
numpy's Sturges bins over both samples; JS without, PSI with, zero filling).

Deliberate differences from Evidently 0.7.23:

- Normed Wasserstein is exact by default (scipy's value to ~1e-15 relative), computed in
  DuckDB without sorting whole columns (`drift_wasserstein`): the histogram, counted on
  4 x 8192 bins, settles every bin where F_ref - F_cur keeps its sign; one statement per
  column settles the rest on a 16x finer grid and sorts only the values left. `wasserstein="histogram"` opts into
  the estimate from the histograms alone, with a proven error bound
  (`wasserstein_error_bound`, in normed units), exact again when the threshold lies
  within the bound, so the verdict always equals the exact one.
- K-S p-values (scipy's exact mode) are summed directly as the probability of leaving
  the band, not as 1 - P(inside), so p-values down to the smallest normal double keep
  their digits.
- Kinds come from SQL types, not pandas dtypes: an integer column with nulls stays
  an integer (pandas would turn it into float64 and Evidently into numeric), a
  boolean column with nulls stays categorical (pandas: object, Evidently: skipped),
  and a string column with mostly unique values is tested as categorical
  (Evidently calls it text and trains a classifier).
- A column with no value on one side is an `error` item instead of an exception
  for the whole report; the dataset share counts the other columns.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from aios_workbench.checks import drift_stats as st
from aios_workbench.checks.drift_wasserstein import Grid, Refinement, coarse_pass, refine_sql
from aios_workbench.checks.result import CheckItem, CheckResult, Status
from aios_workbench.core.errors import UsageError

SMALL_REFERENCE = 1000
DRIFT_SHARE = 0.5
HIST_BINS = 8192
EXACT_SPLIT = 4   # the exact Wasserstein distance starts from a histogram this many times finer (see histograms)
BRANCHES_PER_QUERY = 4   # see _Plan.run_union
REFINEMENTS_PER_QUERY = 1   # more would share the governed overhead, but a UNION ALL of large aggregates can stall DuckDB 1.5 at 10M rows (see histograms)
P_VALUE_TESTS = {"ks", "chisquare", "z"}
THRESHOLDS = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1}
DISPLAY = {"ks": "K-S p_value", "chisquare": "chi-square p_value", "z": "Z-test p_value",
           "wasserstein": "Wasserstein distance (normed)", "jensenshannon": "Jensen-Shannon distance", "psi": "PSI"}
NUMERIC_ONLY = {"ks", "wasserstein"}
WASSERSTEIN_METHODS = ("exact", "histogram")
_NAME = re.compile(r'^("[^"]+"|[A-Za-z_][\w$]*)(\.("[^"]+"|[A-Za-z_][\w$]*)){0,3}$')
IDENTIFIER_NAME = re.compile(r"(?i:^(id|key|uuid|guid)$|[_\-. ](id|key|uuid|guid)$|uuid$|guid$)|[a-z0-9](Id|ID|Key)$")
IDENTIFIER_UNIQUE_SHARE = 0.5   # distinct values per non-null value, on both sides, that make a named key an identifier

RunSql = Callable[[str], pa.Table]


def drift(reference: str, current: str, *, run_sql: RunSql, columns=None, overrides=None, categorical=None,
          name: str | None = None, drift_share: float = DRIFT_SHARE, wasserstein: str = "exact") -> CheckResult:
    """Per-column drift tests and dataset drift of `current` against `reference` (dataset names or
    parenthesised SELECTs), each step one SQL statement run by `run_sql` (the governed path).

    `wasserstein="histogram"` estimates Wasserstein distances from the 8192-bin histograms (with their
    error bound; exact again when the threshold lies within it) instead of computing them exactly."""
    if wasserstein not in WASSERSTEIN_METHODS:
        raise UsageError(f"unknown Wasserstein method {wasserstein!r}", input=wasserstein,
                         fix=f"use one of {', '.join(WASSERSTEIN_METHODS)} (exact is the default)")
    started = time.perf_counter()
    plan = _Plan(_relation(reference), _relation(current), run_sql, overrides or {}, set(categorical or ()))
    plan.wasserstein = wasserstein
    plan.schema(columns)
    plan.must_compare(reference, current)
    plan.profile()
    plan.drop_identifiers()
    plan.must_compare(reference, current)
    plan.histograms()
    plan.value_counts()
    items = [plan.test(col) for col in plan.columns]
    tested = [i for i in items if i.status != "error"]
    drifted = sum(i.status == "fail" for i in tested)
    share = drifted / len(tested) if tested else 0.0
    status: Status = ("fail" if share >= drift_share else "pass") if tested else "error"   # nothing tested: no verdict
    detail = {"rule": f"dataset drifts when the share of drifted columns >= {drift_share}"}
    if plan.identifiers:
        detail["skipped"] = (f"not tested: {', '.join(plan.identifiers)} (identifiers: most rows hold their own "
                             "value, so two periods share few values); name them in the columns to test them")
    dataset_item = CheckItem("dataset drift", status,
                             metrics={"drifted_columns": drifted, "columns": len(tested), "share": share,
                                      "threshold": drift_share},
                             detail=detail)
    result = CheckResult(
        kind="drift", name=name or f"drift {reference} -> {current}", items=[dataset_item, *items],
        inputs={"reference": {"relation": reference, "rows": plan.rows[0]},
                "current": {"relation": current, "rows": plan.rows[1]}},
        params={"drift_share": drift_share, "small_reference": SMALL_REFERENCE, "default_thresholds": THRESHOLDS,
                "overrides": overrides or {}, "categorical": sorted(plan.forced), "skipped": plan.skipped,
                "identifiers": plan.identifiers,
                "wasserstein": wasserstein,
                "queries": plan.queries},
    )
    result.duration_s = time.perf_counter() - started
    return result


def threshold_problem(test: str | None, value) -> str | None:
    """Why `value` cannot be the drift threshold of stattest `test` (None when it can): a finite number, a
    p-value (0 to 1) for ks, chisquare and z, a distance (>= 0) for the others."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "is not a number"
    if not math.isfinite(value):
        return "is not a finite number"
    if test in P_VALUE_TESTS and not 0 <= value <= 1:
        return f"is not a p-value between 0 and 1 (the threshold of {test})"
    if value < 0:
        return "is negative (a distance is >= 0)"
    return None


def _check_threshold(column: str, test: str | None, value) -> None:
    problem = threshold_problem(test, value)
    if problem:
        raise UsageError(f"threshold {value!r} for column {column!r} {problem}", input=value,
                         fix="use a p-value between 0 and 1 for ks, chisquare and z, a distance >= 0 for "
                             "wasserstein, jensenshannon and psi (e.g. psi 0.2)")


def _relation(text: str) -> str:
    text = (text or "").strip()
    if text.startswith("(") and text.endswith(")"):
        return text
    if _NAME.match(text):
        return text
    raise UsageError(f"not a dataset name or a parenthesised SELECT: {text!r}",
                     fix="pass e.g. 'src.main.table' or '(SELECT * FROM src.main.table WHERE ...)'", input=text)


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    """A non-null BIGINT ChunkedArray as numpy, read from its buffers: pyarrow's `to_numpy` imports
    pandas (seconds on a cold start) for nothing here."""
    parts = [np.frombuffer(chunk.buffers()[1], dtype=np.int64, count=len(chunk), offset=chunk.offset * 8)
             for chunk in column.chunks]
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A non-null DOUBLE ChunkedArray as numpy, chunk by chunk (no pandas import, as in `_numpy`)."""
    parts = [chunk.to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return np.concatenate(parts) if parts else np.array([], dtype=np.float64)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: float) -> str:
    return f"CAST('{float(value)!r}' AS DOUBLE)"


PLOT_BINS = 16      # divides HIST_BINS
PLOT_CATEGORIES = 8


def _distribution(c: _Column) -> dict | None:
    """Reference and current shares for a small inline plot: 16 bins of the histogram, or the 8 most
    frequent categories (the rest as "other"). Values are already masked where the policy masks them."""
    if c.hist is not None and c.kind != "categorical" and c.lo is not None and c.hi is not None:
        ref, cur = (h.reshape(PLOT_BINS, -1).sum(axis=1) for h in c.hist)   # 8192 bins -> 16
        return {"kind": "histogram", "lo": float(c.lo), "hi": float(c.hi),
                "ref": [round(float(x), 5) for x in ref / max(ref.sum(), 1)],
                "cur": [round(float(x), 5) for x in cur / max(cur.sum(), 1)]}
    if c.values is not None:
        keys, ref, cur = c.values
        ref, cur = ref / max(ref.sum(), 1), cur / max(cur.sum(), 1)
        order = np.argsort(-(ref + cur), kind="stable")[:PLOT_CATEGORIES]
        out: dict[str, Any] = {"kind": "categories", "labels": [str(keys[i])[:24] for i in order],
               "ref": [round(float(ref[i]), 5) for i in order], "cur": [round(float(cur[i]), 5) for i in order]}
        if len(keys) > PLOT_CATEGORIES:
            out["labels"].append("other")
            out["ref"].append(round(float(1 - sum(out["ref"])), 5))
            out["cur"].append(round(float(1 - sum(out["cur"])), 5))
        return out
    return None


class _Column:
    def __init__(self, name: str, arrow_type: pa.DataType, kind: str):
        self.name, self.type, self.kind = name, arrow_type, kind   # kind: numeric | integer | categorical
        self.floating = pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
        self.n = [0, 0]                 # valid (non-null, finite) values per side
        self.lo: float | None = None    # the smallest and largest valid value over both sides
        self.hi: float | None = None
        self.std: float | None = None   # the reference's standard deviation
        self.hist: tuple[np.ndarray, np.ndarray] | None = None
        self.grid: Grid | None = None   # the histogram's bins
        self.exact_grid: Grid | None = None   # EXACT_SPLIT times finer: what the exact Wasserstein starts from
        self.exact_hist: tuple[np.ndarray, np.ndarray] | None = None   # counts per bin of exact_grid
        self.offsets: tuple[np.ndarray, np.ndarray] | None = None   # per exact_grid bin: sum of (value - left edge)
        self.values: tuple[list, np.ndarray, np.ndarray] | None = None   # keys, ref counts, cur counts
        self.error: str | None = None
        self.dirty = False              # holds NaN or +-inf: filter with isfinite()
        self.maybe_identifier = False   # named like a key and of a key's type: its distinct count decides
        self.distinct = [0, 0]          # distinct values per side (identifier candidates only)

    @property
    def valid(self) -> str:
        col = _q(self.name)
        return f"isfinite({col})" if self.dirty else f"{col} IS NOT NULL"

    @property
    def x(self) -> str:
        return f"CAST({_q(self.name)} AS DOUBLE)"


class _Plan:
    def __init__(self, reference, current, run_sql, overrides, forced):
        # Each statement names the two relations inline, once per use, rather than as CTEs used several
        # times: DuckDB inlines a CTE used twice by copying its plan, and the SQLite scanner's plan cannot
        # be copied (an INTERNAL error in DuckDB 1.5.5); inline subqueries are what NOT MATERIALIZED made.
        self.rel = {"ref": f"(SELECT * FROM {reference}) AS ref", "cur": f"(SELECT * FROM {current}) AS cur"}
        self.run_sql, self.overrides, self.forced = run_sql, overrides, forced
        self.wasserstein = "exact"
        self.relations = (reference, current)
        self.columns: list[_Column] = []
        self.skipped: dict[str, str] = {}
        self.identifiers: list[str] = []   # columns left out as identifiers (see the module's docstring)
        self.rows = (0, 0)
        self.queries = 0
        self.exact_w: dict[str, tuple[float, int]] = {}   # column -> (exact W1, values sorted for it)

    def run(self, statement: str) -> pa.Table:
        self.queries += 1
        return self.run_sql(statement)

    def run_union(self, parts: list[str], per_query: int = BRANCHES_PER_QUERY) -> pa.Table:
        """`parts` joined by UNION ALL, at most `per_query` to a statement: DuckDB 1.5 can stall
        (idle, deaf to interrupts) on a UNION ALL of many large hash aggregates over 10M-row tables."""
        tables = [self.run(" UNION ALL ".join(parts[i:i + per_query])) for i in range(0, len(parts), per_query)]
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]

    def schema(self, wanted) -> None:
        table = self.run(f"SELECT * FROM {self.rel['ref']} LIMIT 0")
        cur = self.run(f"SELECT * FROM {self.rel['cur']} LIMIT 0").schema
        ref = table.schema
        names = list(wanted) if wanted is not None else [n for n in ref.names if n in cur.names]
        if not names:
            self._nothing_to_compare(wanted, ref.names, cur.names)
        for n in names:
            if n not in ref.names or n not in cur.names:
                raise UsageError(f"column {n!r} is not in both relations",
                                 fix="pick columns present in the reference and the current data", input=n)
        unknown = set(self.overrides) - set(names)
        if unknown:
            raise UsageError(f"overrides name columns that are not tested: {sorted(unknown)}",
                             fix=f"use some of {names}", input=sorted(unknown))
        for n in names:
            t = ref.field(n).type
            if n in self.forced:
                kind = "categorical"
            elif pa.types.is_integer(t):
                kind = "integer"
            elif pa.types.is_floating(t) or pa.types.is_decimal(t):
                kind = "numeric"
            elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t):
                kind = "categorical"
            else:
                self.skipped[n] = str(t)
                continue
            column = _Column(n, t, kind)
            column.maybe_identifier = (wanted is None and n not in self.overrides and n not in self.forced
                                       and (pa.types.is_integer(t) or pa.types.is_string(t)
                                            or pa.types.is_large_string(t)) and bool(IDENTIFIER_NAME.search(n)))
            self.columns.append(column)
        for n, spec in self.overrides.items():
            test = spec.get("stattest")
            if test is not None and test not in THRESHOLDS:
                raise UsageError(f"unknown stattest {test!r} for column {n!r}",
                                 fix=f"use one of {sorted(THRESHOLDS)}", input=test)
            if "threshold" in spec:
                _check_threshold(n, test, spec["threshold"])

    def must_compare(self, reference: str, current: str) -> None:
        """A check that compared nothing must not pass: refuse, saying why each column was left out."""
        if self.columns:
            return
        skipped = ", ".join(f"{n} ({why})" for n, why in list(self.skipped.items())[:8])
        raise UsageError(f"no column of {reference} and {current} can be tested for drift: {skipped}",
                         input=f"{reference} {current}",
                         fix="compare numeric, boolean or text columns (name identifiers in the columns to test "
                             "them anyway); turn others into one in a parenthesised SELECT, e.g. '(SELECT "
                             "date_diff(\'day\', DATE \'2025-01-01\', shipped_at) AS day FROM shipments)'")

    def drop_identifiers(self) -> None:
        """Leave out the candidates whose values are mostly distinct on both sides (see the module's docstring)."""
        for c in [c for c in self.columns if c.maybe_identifier and not c.error]:
            if all(c.n[s] and c.distinct[s] >= IDENTIFIER_UNIQUE_SHARE * c.n[s] for s in (0, 1)):
                self.columns.remove(c)
                self.identifiers.append(c.name)
                self.skipped[c.name] = "identifier: most rows hold their own value"

    def _nothing_to_compare(self, wanted, ref_names: list[str], cur_names: list[str]) -> None:
        if wanted is not None:
            raise UsageError("no column to test: the list of columns is empty", input="columns",
                             fix="name columns present in both relations, or leave the list out to test them all")

        def shown(names):
            return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")

        reference, current = self.relations
        raise UsageError(f"{reference} and {current} share no column, so there is nothing to compare "
                         f"(reference: {shown(ref_names)}; current: {shown(cur_names)})",
                         fix="compare two relations with the same column names (e.g. two periods of one "
                             "dataset), or rename in a parenthesised SELECT: '(SELECT old AS new FROM ...)'",
                         input=f"{reference} {current}")

    def profile(self, cols: list[_Column] | None = None) -> None:
        """Counts, min, max and the reference's std. Plain aggregates first (NaN and +-inf are rare and
        show up as a non-finite min or max); only columns that hold them are profiled again, cleaned."""
        cols = self.columns if cols is None else cols
        parts: dict[int, list[str]] = {0: ["count(*)"], 1: ["count(*)"]}
        for c in cols:
            for side in (0, 1):
                if c.kind == "categorical":
                    parts[side].append(f"count({_q(c.name)})")
                    continue
                x = f"(CASE WHEN {c.valid} THEN {c.x} END)" if c.dirty else c.x
                parts[side] += [f"count({x})", f"min({x})", f"max({x})"] + ([f"stddev_pop({x})"] if side == 0 else [])
        candidates = [c for c in cols if c.maybe_identifier]
        for side in (0, 1):
            parts[side] += [f"count(DISTINCT {_q(c.name)})" for c in candidates]
        table = self.run(f"SELECT * FROM (SELECT {', '.join(parts[0])} FROM {self.rel['ref']}) r, "
                         f"(SELECT {', '.join(parts[1])} FROM {self.rel['cur']}) c")
        values = [table.column(i)[0].as_py() for i in range(table.num_columns)]
        ref_vals, cur_vals = values[:len(parts[0])], values[len(parts[0]):]
        self.rows = (ref_vals.pop(0), cur_vals.pop(0))
        dirty = []
        for c in cols:
            c.n[0] = ref_vals.pop(0)
            if c.kind != "categorical":
                lo0, hi0, c.std = ref_vals.pop(0), ref_vals.pop(0), ref_vals.pop(0)
            c.n[1] = cur_vals.pop(0)
            if c.kind != "categorical":
                lo1, hi1 = cur_vals.pop(0), cur_vals.pop(0)
                los, his = [v for v in (lo0, lo1) if v is not None], [v for v in (hi0, hi1) if v is not None]
                c.lo, c.hi = (min(los), max(his)) if los else (None, None)
                if c.floating and not c.dirty and los and not all(math.isfinite(v) for v in los + his):
                    c.dirty = True
                    dirty.append(c)
                    continue
            if not c.n[0] or not c.n[1]:
                empty = "reference" if not c.n[0] else "current"
                c.error = f"column {c.name!r} has no non-null value in the {empty} data"
        for c in candidates:
            c.distinct = [ref_vals.pop(0) or 0, cur_vals.pop(0) or 0]
        if dirty:
            self.profile(dirty)

    def histograms(self) -> None:
        """Equal-width histograms of the numeric columns, counted on a grid EXACT_SPLIT times finer than
        HIST_BINS with each bin's sum of offsets from its left edge (what the exact Wasserstein distance
        settles most bins with, see drift_wasserstein); the HIST_BINS histogram (tests, PSI, plots, the
        histogram estimate) sums EXACT_SPLIT neighbours. The finer start leaves 4x fewer values to refine
        (at 1M + 1M rows: a quarter instead of over half of an undrifted column's values) for +1/4 here."""
        ranged = [c for c in self.columns if c.kind != "categorical" and not c.error
                  and c.lo is not None and c.hi is not None and c.lo < c.hi]
        if not ranged:
            return
        parts = []
        for k, c in enumerate(ranged):
            assert c.lo is not None and c.hi is not None   # ranged columns have both
            c.grid = Grid.over(c.lo, c.hi, HIST_BINS)
            c.exact_grid = fine = c.grid.finer(EXACT_SPLIT)   # a power of two: bin i of grid = bins i*4..i*4+3
            for side, rel in ((0, "ref"), (1, "cur")):
                parts.append(f"SELECT CAST({k} AS BIGINT) AS col, CAST({side} AS BIGINT) AS side, bin, count(*) AS n, "
                             f"sum(x - {fine.edge_sql('bin')}) AS offsets FROM (SELECT x, {fine.index_sql('x')} AS bin "
                             f"FROM (SELECT {c.x} AS x FROM {self.rel[rel]} WHERE {c.valid})) GROUP BY bin")
        # one column (two branches) a statement: at 10M rows, 3 or 4 branches of 32,768-bin aggregates
        # stalled DuckDB 1.5.5 (2 did not; 4 branches of 8192 bins did not either)
        table = self.run_union(parts, per_query=2)
        col, sides, bin_, n = (_numpy(table.column(i)) for i in range(4))
        offsets = _floats(table.column(4))
        bins = HIST_BINS * EXACT_SPLIT
        for k, c in enumerate(ranged):
            counts, sums = [], []
            for s in (0, 1):
                mask = (col == k) & (sides == s)
                counts.append(np.bincount(bin_[mask], weights=n[mask], minlength=bins))
                sums.append(np.bincount(bin_[mask], weights=offsets[mask], minlength=bins))
            c.exact_hist = (counts[0], counts[1])
            c.hist = (counts[0].reshape(HIST_BINS, -1).sum(axis=1), counts[1].reshape(HIST_BINS, -1).sum(axis=1))
            c.offsets = (sums[0], sums[1])

    def _needs_values(self, c: _Column) -> bool:
        if c.error:
            return False
        if c.kind == "categorical" or c.hist is None:
            return True
        ref, cur = c.hist
        test = self.overrides.get(c.name, {}).get("stattest")
        if c.kind == "integer" and np.count_nonzero(cur) <= 10:
            return True
        if np.count_nonzero(ref + cur) <= 5 or test in ("chisquare", "z"):
            return True
        return test in ("jensenshannon", "psi") and bool(np.count_nonzero(ref) <= 20)

    def value_counts(self) -> None:
        cols = [c for c in self.columns if self._needs_values(c)]
        if not cols:
            return
        parts = [f"SELECT {k} AS col, {side} AS side, CAST({_q(c.name)} AS VARCHAR) AS value, count(*) AS n "
                 f"FROM {self.rel[rel]} WHERE {c.valid} GROUP BY ALL"
                 for k, c in enumerate(cols) for side, rel in ((0, "ref"), (1, "cur"))]
        table = self.run_union(parts).to_pydict()
        counts: dict[int, dict[str, list[int]]] = {}
        for k, side, value, n in zip(table["col"], table["side"], table["value"], table["n"], strict=False):
            counts.setdefault(k, {}).setdefault(value, [0, 0])[side] += n
        for k, c in enumerate(cols):
            keys = sorted(counts.get(k, {}))
            pairs = np.array([counts[k][key] for key in keys], dtype=float).reshape(-1, 2)
            c.values = (keys, pairs[:, 0], pairs[:, 1])
            if c.kind == "integer" and np.count_nonzero(pairs[:, 1]) <= 10:
                c.kind = "categorical"

    def choose(self, c: _Column) -> str:
        if c.kind == "integer":
            c.kind = "numeric"
        spec = self.overrides.get(c.name, {})
        if spec.get("stattest"):
            if spec["stattest"] in NUMERIC_ONLY and c.kind == "categorical":
                raise UsageError(f"{spec['stattest']} needs a numeric column; {c.name!r} is categorical",
                                 fix="use chisquare, z, jensenshannon or psi", input=c.name)
            return spec["stattest"]
        distinct = len(c.values[0]) if c.values is not None else None   # None: the histogram shows > 5
        if c.n[0] <= SMALL_REFERENCE:
            if c.kind == "numeric" and (distinct is None or distinct > 5):
                return "ks"
            return "chisquare" if distinct is not None and distinct > 2 else "z"
        if c.kind == "numeric":
            return "wasserstein" if distinct is None or distinct > 5 else "jensenshannon"
        return "jensenshannon"

    def test(self, c: _Column) -> CheckItem:
        metrics: dict[str, Any] = {"ref_count": c.n[0], "cur_count": c.n[1],
                   "ref_nulls": self.rows[0] - c.n[0], "cur_nulls": self.rows[1] - c.n[1]}
        if c.error:
            return CheckItem(c.name, "error", metrics=metrics, detail={"error": c.error})
        test = self.choose(c)
        threshold = self.overrides.get(c.name, {}).get("threshold", THRESHOLDS[test])
        _check_threshold(c.name, test, threshold)   # an override without a stattest meets its test only here
        detail: dict[str, Any] = {"stattest": test, "stattest_display": DISPLAY[test], "kind": c.kind}
        score, extra = getattr(self, f"_{test}")(c)
        metrics.update(extra)
        if test in P_VALUE_TESTS:
            metrics["p_value"] = score
            drifted = score <= threshold if test == "ks" else score < threshold
        else:
            drifted = score >= threshold
        metrics.update(statistic=score, threshold=threshold, drifted=bool(drifted), psi=self._extra_psi(c))
        if c.kind == "categorical" and c.values and len(c.values[0]) > 0.5 * c.n[1]:
            detail["note"] = "mostly unique values: Evidently would run its text drift test here"
        detail["distribution"] = _distribution(c)
        return CheckItem(c.name, "fail" if drifted else "pass", metrics=metrics, detail=detail)

    # -- the tests: each returns (score, extra metrics) --

    def _shares(self, c: _Column):
        assert c.values is not None  # shares are taken of counted values (categorical, or few distinct)
        _, ref, cur = c.values
        return ref / c.n[0], cur / c.n[1]

    def _chisquare(self, c):
        stat, p = st.chisquare_pvalue(c.values[1], c.values[2])
        return p, {"chi2": stat}

    def _z(self, c):
        keys, ref, cur = c.values
        same = len(keys) == 1
        z, p = st.z_pvalue(int(ref[0]), c.n[0], int(cur[0]), c.n[1], same)
        return p, {"z": z}

    def _ks(self, c):
        d, _ = self._cdf_pass(c)
        p, mode = st.ks_pvalue(d, c.n[0], c.n[1])
        return p, {"ks_d": d, "ks_mode": mode}

    def _wasserstein(self, c):
        norm = max(float(c.std or 0.0), 0.001)
        if c.hist is None:   # one value on both sides (lo == hi): the distributions are equal
            return 0.0, {"wasserstein_error_bound": 0.0, "method": "exact"}
        estimate = self._histogram_estimate(c)
        if estimate is not None:
            w, bound = estimate
            return w / norm, {"wasserstein_error_bound": bound / norm, "method": "histogram"}
        if c.name not in self.exact_w:   # refine every column that will ask, a few to a statement
            self._exact_wasserstein([o for o in self.columns if self._wants_exact_wasserstein(o)] or [c])
        w, sorted_values = self.exact_w[c.name]
        return w / norm, {"wasserstein_error_bound": 0.0, "method": "exact", "sorted_values": sorted_values}

    def _histogram_estimate(self, c: _Column) -> tuple[float, float] | None:
        """The opt-in histogram estimate and its bound, or None when the exact distance is due (the default,
        or the threshold lies within the bound)."""
        if self.wasserstein != "histogram":
            return None
        assert c.hist is not None and c.grid is not None   # only ranged columns get here
        norm = max(float(c.std or 0.0), 0.001)
        threshold = self.overrides.get(c.name, {}).get("threshold", THRESHOLDS["wasserstein"])
        w, bound = st.wasserstein_from_histogram(c.hist[0], c.hist[1], c.grid.width)
        return (w, bound) if abs(w / norm - threshold) > bound / norm else None

    def _wants_exact_wasserstein(self, c: _Column) -> bool:
        return (not c.error and c.hist is not None and c.name not in self.exact_w
                and self.choose(c) == "wasserstein" and self._histogram_estimate(c) is None)

    def _exact_wasserstein(self, cols: list[_Column]) -> None:
        """W1 of `cols` into `exact_w` (with how many values were sorted): from the histogram where
        F_ref - F_cur keeps its sign across a bin, and the bins where it may change sign refined by SQL
        (see drift_wasserstein), REFINEMENTS_PER_QUERY columns to a statement."""
        pending: list[tuple[_Column, float, Refinement]] = []
        for c in cols:
            assert c.exact_grid is not None and c.exact_hist is not None and c.offsets is not None
            settled, ambiguous, shift_r, shift_c = coarse_pass(c.exact_grid, c.exact_hist, c.offsets, c.n[0], c.n[1])
            if not len(ambiguous):
                self.exact_w[c.name] = (settled, 0)
                continue
            pending.append((c, settled, Refinement(c.x, c.valid, c.exact_grid, c.n[0], c.n[1], ambiguous,
                                                           shift_r, shift_c)))
        for i in range(0, len(pending), REFINEMENTS_PER_QUERY):
            batch = pending[i:i + REFINEMENTS_PER_QUERY]
            table = self.run(refine_sql([r for _, _, r in batch], ref=self.rel["ref"], cur=self.rel["cur"]))
            rows = {row["col"]: row for row in table.to_pylist()}
            for k, (c, settled, _) in enumerate(batch):
                self.exact_w[c.name] = (settled + float(rows[k]["w"]), int(rows[k]["sorted_values"]))

    def _binned(self, c):
        if c.kind == "categorical" or (c.values is not None and np.count_nonzero(c.values[1]) <= 20):
            return self._shares(c)   # Evidently bins a numeric column only above 20 distinct reference values
        edges = st.sturges_edges(c.lo, c.hi, c.n[0] + c.n[1])
        b = " + ".join(f"CAST({c.x} >= {_lit(e)} AS INTEGER)" for e in edges[1:-1]) or "0"
        table = self.run(" UNION ALL ".join(
            f"SELECT {side} AS side, {b} AS bin, count(*) AS n FROM {self.rel[rel]} WHERE {c.valid} GROUP BY ALL"
            for side, rel in ((0, "ref"), (1, "cur")))).to_pydict()
        counts = np.zeros((2, len(edges) - 1))
        for side, bin_, n in zip(table["side"], table["bin"], table["n"], strict=False):
            counts[side, bin_] += n
        return counts[0] / c.n[0], counts[1] / c.n[1]

    def _jensenshannon(self, c):
        ref, cur = self._binned(c)
        return st.jensenshannon(ref, cur), {}

    def _psi(self, c):
        ref, cur = self._binned(c)
        return st.psi(ref, cur), {}

    def _extra_psi(self, c) -> float:
        if c.hist is not None and (c.values is None or c.kind == "numeric" and len(c.values[0]) > 10):
            return st.decile_psi_from_histogram(*c.hist)
        return st.psi(*self._shares(c))

    def _cdf_pass(self, c: _Column) -> tuple[float, float]:
        """Exact K-S statistic and unnormalised Wasserstein distance from one sorted pass over distinct values."""
        nr, nc = c.n
        table = self.run(
            f"WITH v AS (SELECT x, sum(r) AS r, sum(cc) AS cc FROM ("
            f"SELECT {c.x} AS x, 1 AS r, 0 AS cc FROM {self.rel['ref']} WHERE {c.valid} UNION ALL "
            f"SELECT {c.x}, 0, 1 FROM {self.rel['cur']} WHERE {c.valid}) GROUP BY x), "
            f"f AS (SELECT sum(r) OVER w / {nr} - sum(cc) OVER w / {nc} AS diff, "
            f"lead(x) OVER (ORDER BY x) - x AS dx FROM v WINDOW w AS (ORDER BY x ROWS UNBOUNDED PRECEDING)) "
            f"SELECT max(abs(diff)) AS d, coalesce(sum(abs(diff) * dx), 0) AS w FROM f").to_pylist()[0]
        return float(table["d"]), float(table["w"])
