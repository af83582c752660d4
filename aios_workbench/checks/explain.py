"""Explainability: permutation feature importance of a fitted model on a governed sample.

The sample is one statement through the caller's `run_sql` (the governed query path),

    SELECT <features>, <target> FROM <relation> USING SAMPLE <n> ROWS (reservoir, <random_state>)

so it is reproducible for a given seed and data, and it holds what the calling identity
may see: filtered rows are absent and a masked feature arrives masked (a model cannot
lean on a value the caller is not allowed to read; its importance shows that).

Importances are scikit-learn's own `permutation_importance` on that sample, with the
same `scoring`, `n_repeats` and `random_state`: the decrease of the model's score when
one feature's values are shuffled, averaged over the repeats. Any scikit-learn-compatible
estimator works (a `predict` plus `score` or a `scoring`). Features go to the model as a
pandas DataFrame in the model's own column order (`feature_names_in_`), or as a plain
array when the model was fitted without feature names.

Every feature is one item, ranked by mean importance. `max_importance` and
`min_importance` turn the report into a gate: `max_importance={"minority_owned": 0.01}`
fails when the model's score depends on that feature by more than 0.01.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from html import escape
from typing import Any

import pyarrow as pa

from aios_workbench.checks.relation import RelationColumns, quote, relation_sql, short
from aios_workbench.checks.result import CheckItem, CheckResult, Status
from aios_workbench.core.errors import UsageError

RunSql = Callable[[str], pa.Table]

CHART_MAX_FEATURES = 30    # the chart lists the top features; the rest are summarised in one line
CHART_LABEL_CHARS = 22


def explain(model, relation: str, *, target: str, features: list[str] | None = None, run_sql: RunSql,
            sample: int = 20_000, n_repeats: int = 5, scoring=None, random_state: int = 0,
            name: str | None = None, min_importance: dict[str, float] | None = None,
            max_importance: dict[str, float] | None = None) -> CheckResult:
    """Permutation feature importance of the fitted `model` on a governed sample of `relation`.

    `relation` is a governed dataset name or a parenthesised SELECT; `run_sql(sql) -> pyarrow.Table`
    runs SQL through the governed query path as the caller. `features` defaults to the model's
    `feature_names_in_`, else every column but `target`. `scoring` is one scikit-learn scorer name
    or callable (None: the model's `score`). Thresholds compare a feature's mean importance.
    """
    started = time.perf_counter()
    _positive_int("sample", sample)
    _positive_int("n_repeats", n_repeats)
    if isinstance(random_state, bool) or not isinstance(random_state, int) or random_state < 0:
        raise UsageError(f"random_state must be an integer >= 0, not {random_state!r}",
                         fix="pass e.g. random_state=0; the same seed draws the same sample and shuffles",
                         input=random_state)
    if isinstance(scoring, (list, tuple, set, dict)):
        raise UsageError("explain takes one scoring at a time", fix="pass one scorer name, e.g. scoring='accuracy'",
                         input=scoring)
    if not callable(getattr(model, "predict", None)):
        raise UsageError(f"{type(model).__name__} has no predict method",
                         fix="pass a fitted scikit-learn-compatible estimator or pipeline", input=type(model).__name__)

    source = relation_sql(relation, "explain_input")
    columns = RelationColumns(run_sql(f"SELECT * FROM {source} LIMIT 0").schema, relation)
    target_col = columns.resolve("target", target)
    feature_cols = _features(model, columns, features, target_col)
    limits = {kind: _thresholds(kind, given, columns, feature_cols)
              for kind, given in (("min_importance", min_importance), ("max_importance", max_importance))}

    select = ", ".join(quote(c) for c in [*feature_cols, target_col])
    sql = f"SELECT {select} FROM {source} USING SAMPLE {sample} ROWS (reservoir, {random_state})"
    table = run_sql(sql)
    X, y = _model_input(model, table, feature_cols, target_col, relation)

    means, stds, baseline = _permutation_importance(model, X, y, scoring, n_repeats, random_state, table,
                                                    feature_cols)
    order = sorted(range(len(feature_cols)), key=lambda i: (-means[i], i))
    items = [_item(feature_cols[i], rank, means[i], stds[i], limits) for rank, i in enumerate(order, start=1)]
    params = {
        "model": type(model).__name__, "relation": relation, "target": target_col, "features": feature_cols,
        "scoring": _scoring_name(scoring), "n_repeats": n_repeats, "random_state": random_state,
        "sample": sample, "sample_rows": table.num_rows, "baseline_score": baseline,
        "min_importance": limits["min_importance"], "max_importance": limits["max_importance"], "sql": sql,
    }
    inputs = ({"query": {"sql": relation, "sample_rows": table.num_rows}} if relation.lstrip().startswith("(")
              else {relation: {"sample_rows": table.num_rows}})
    return CheckResult(kind="explain", name=name or f"explain {type(model).__name__} on {short(relation)}",
                       items=items, inputs=inputs, params=params,
                       duration_s=round(time.perf_counter() - started, 6))


def bar_chart_svg(result: CheckResult, width: int = 320) -> str:
    """A small inline SVG of an explain result: one horizontal bar per feature (mean importance,
    a whisker of +- one std), failing features in red. No external libraries; well under 20 KB."""
    if result.kind != "explain":
        raise UsageError(f"bar_chart_svg draws explain results, not {result.kind!r}",
                         fix="pass the CheckResult returned by explain()", input=result.kind)
    if isinstance(width, bool) or not isinstance(width, int) or width < 160:
        raise UsageError(f"width must be an integer >= 160, not {width!r}", fix="e.g. width=320", input=width)
    items = sorted(result.items, key=lambda i: i.detail.get("rank", 0))
    shown, hidden = items[:CHART_MAX_FEATURES], len(items) - CHART_MAX_FEATURES
    row, top = 16, 18
    label_w, value_w = int(width * 0.36), 44
    plot_x, plot_w = label_w + 4, width - label_w - value_w - 8
    lows = [i.metrics["importance_mean"] - i.metrics["importance_std"] for i in shown]
    highs = [i.metrics["importance_mean"] + i.metrics["importance_std"] for i in shown]
    lo, hi = min([0.0, *lows]), max([0.0, *highs])
    span = (hi - lo) or 1.0

    def x(value: float) -> float:
        return round(plot_x + (value - lo) / span * plot_w, 1)

    height = top + row * len(shown) + (row if hidden > 0 else 0) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" role="img">',
             f'<title>{_text(result.name, 120)}</title>',
             f'<text x="{plot_x}" y="11" fill="#555">permutation importance '
             f'({_text(str(result.params.get("scoring")), 40)})</text>',
             f'<line x1="{x(0.0)}" y1="{top - 3}" x2="{x(0.0)}" y2="{height - 4}" stroke="#999"/>']
    for k, item in enumerate(shown):
        mean, std = item.metrics["importance_mean"], item.metrics["importance_std"]
        y0 = top + k * row
        bar_x, bar_w = min(x(0.0), x(mean)), abs(x(mean) - x(0.0))
        colour = "#c0392b" if item.status == "fail" else "#4c78a8"
        mid = y0 + row / 2
        parts.append(
            f'<g><title>{_text(item.name, 80)}: {mean:.4g} ± {std:.3g}</title>'
            f'<text x="{label_w}" y="{mid + 3.5}" text-anchor="end">{_text(item.name, CHART_LABEL_CHARS)}</text>'
            f'<rect x="{bar_x}" y="{y0 + 3}" width="{round(bar_w, 1)}" height="{row - 6}" fill="{colour}"/>'
            f'<line x1="{x(mean - std)}" y1="{mid}" x2="{x(mean + std)}" y2="{mid}" stroke="#333"/>'
            f'<text x="{width - 2}" y="{mid + 3.5}" text-anchor="end">{mean:.3g}</text></g>')
    if hidden > 0:
        parts.append(f'<text x="{label_w}" y="{top + len(shown) * row + 11}" text-anchor="end" fill="#555">'
                     f'+{hidden} more</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- inputs

def _positive_int(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{what} must be a positive integer, not {value!r}", fix=f"e.g. {what}=5", input=value)


def _features(model, columns: RelationColumns, features, target: str) -> list[str]:
    fitted = getattr(model, "feature_names_in_", None)
    fitted = [str(f) for f in fitted] if fitted is not None else None
    if features is None:
        wanted = fitted if fitted is not None else [c for c in columns.names.values() if c != target]
    elif isinstance(features, str):
        wanted = [features]
    else:
        wanted = list(features)
    if not wanted:
        raise UsageError("no feature to explain", fix="pass features=[...] naming the model's input columns",
                         input=features)
    resolved = [columns.resolve("feature", f) for f in wanted]
    if target in resolved:
        raise UsageError(f"the target {target!r} is also listed as a feature",
                         fix="remove it from features", input=target)
    if len(set(resolved)) != len(resolved):
        raise UsageError(f"features name a column twice: {wanted}", fix="list each feature once", input=wanted)
    if fitted is not None:
        by_lower = {c.lower(): c for c in resolved}
        missing = [f for f in fitted if f.lower() not in by_lower]
        extra = [c for c in resolved if c.lower() not in {f.lower() for f in fitted}]
        if missing or extra:
            raise UsageError(f"features {resolved} do not match the columns the model was fitted on: {fitted}",
                             fix="pass features=None to use the model's own columns", input=missing or extra)
        resolved = [by_lower[f.lower()] for f in fitted]   # the model's column order
    n_in = getattr(model, "n_features_in_", None)
    if isinstance(n_in, int) and n_in != len(resolved):
        raise UsageError(f"the model takes {n_in} features; {len(resolved)} given: {resolved}",
                         fix="pass features=[...] in the order the model was fitted on", input=resolved)
    return resolved


def _thresholds(kind: str, given: dict | None, columns: RelationColumns, features: list[str]) -> dict[str, float]:
    limits = {}
    for feature, limit in (given or {}).items():
        column = columns.resolve(f"{kind} feature", feature)
        if column not in features:
            raise UsageError(f"{kind} names {feature!r}, which is not one of the explained features",
                             fix=f"use some of: {', '.join(features)}", input=feature)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not math.isfinite(limit):
            raise UsageError(f"{kind} of {feature!r} must be a finite number, not {limit!r}",
                             fix=f"e.g. {kind}={{{feature!r}: 0.01}}", input=limit)
        limits[column] = float(limit)
    return limits


def _model_input(model, table: pa.Table, features: list[str], target: str, relation: str):
    if table.num_rows == 0:
        raise UsageError(f"{short(relation)} has no rows (after your row filters)",
                         fix="check the relation and your grants; explain needs at least one row", input=relation)
    nulls = table.column(target).null_count
    if nulls:
        raise UsageError(f"target column {target!r} has {nulls} NULL values in the sample",
                         fix=f"filter them out (WHERE {target} IS NOT NULL) in a parenthesised SELECT",
                         input=target)
    frame = table.to_pandas()
    X = frame[features]
    # A model fitted on a plain array warns (and may misbehave) when given named columns.
    if getattr(model, "n_features_in_", None) is not None and getattr(model, "feature_names_in_", None) is None:
        X = X.to_numpy()
    return X, frame[target].to_numpy()


def _permutation_importance(model, X, y, scoring, n_repeats, random_state, table, features):
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import check_scoring

    try:
        baseline = float(check_scoring(model, scoring=scoring)(model, X, y))
        found = permutation_importance(model, X, y, scoring=scoring, n_repeats=n_repeats,
                                       random_state=random_state)
    except (ValueError, TypeError) as exc:
        with_nulls = [c for c in features if table.column(c).null_count]
        hint = (f"; these features hold NULLs (masked for you, or missing): {', '.join(with_nulls)}"
                if with_nulls else "")
        raise UsageError(f"the model failed on the governed sample: {exc}{hint}",
                         fix="pass a fitted model that accepts these columns (impute NULLs in a pipeline, "
                             "or run as an identity that may read the masked columns)",
                         input=type(model).__name__) from exc
    means = [float(v) for v in found.importances_mean]
    stds = [float(v) for v in found.importances_std]
    return means, stds, baseline


def _item(feature: str, rank: int, mean: float, std: float, limits: dict[str, dict[str, float]]) -> CheckItem:
    detail: dict[str, Any] = {"rank": rank}
    status: Status = "pass"
    low, high = limits["min_importance"].get(feature), limits["max_importance"].get(feature)
    rules = []
    if low is not None:
        detail["min_importance"] = low
        rules.append(f"importance_mean >= {low}")
        status = status if mean >= low else "fail"
    if high is not None:
        detail["max_importance"] = high
        rules.append(f"importance_mean <= {high}")
        status = status if mean <= high else "fail"
    if rules:
        detail["rule"] = " and ".join(rules)
    return CheckItem(name=feature, status=status, metrics={"importance_mean": mean, "importance_std": std},
                     detail=detail)


# ---------------------------------------------------------------- text

def _scoring_name(scoring) -> str:
    if scoring is None:
        return "score"    # the estimator's own score method (accuracy, R^2, ...)
    if isinstance(scoring, str):
        return scoring
    return getattr(scoring, "__name__", None) or repr(scoring)


def _text(value: str, limit: int) -> str:
    """`value` shortened to `limit` characters and safe as XML text (escaped, no control characters)."""
    value = "".join(ch if ch >= " " or ch == "\t" else "?" for ch in str(value))
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return escape(value, quote=True)
