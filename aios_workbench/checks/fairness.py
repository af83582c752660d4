"""Fairness check: fairlearn's group metrics for a binary classifier, aggregated in DuckDB.

One aggregate statement, grouped by the sensitive feature(s), counts each
group's confusion matrix through the governed query path; every per-group and
dataset-level metric is then derived from those counts in Python, so the rows
never leave DuckDB and 10M predictions cost one scan.

Definitions follow fairlearn 0.15 (`fairlearn.metrics`) exactly:

- per group: `selection_rate` = P(pred = pos), `true_positive_rate`,
  `false_positive_rate` (scikit-learn's row-normalised confusion matrix, which
  turns 0/0 into 0: a group with no actual positives has TPR 0, not NaN),
  `accuracy` = P(pred = true);
- `*_difference` = max over groups - min over groups (`MetricFrame.difference`,
  method "between_groups"); `*_ratio` = min / max (`MetricFrame.ratio`), NaN
  when every group's rate is 0;
- `equalized_odds_difference` = the larger of the TPR and FPR differences,
  `equalized_odds_ratio` the smaller of the two ratios (fairlearn's
  "worst_case" aggregation, in its order: TPR first);
- several sensitive columns form intersectional groups; combinations absent
  from the data are ignored, as MetricFrame's NaN rows are.

Deliberate differences: labels must be binary over the whole relation (fairlearn
checks per group only), and NULL labels are an error rather than a label.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from aios_workbench.checks.relation import RelationColumns, quote, relation_sql, short
from aios_workbench.checks.result import CheckItem, CheckResult, Status
from aios_workbench.core.errors import UsageError

RunSql = Callable[[str], pa.Table]

# metric -> direction of its threshold: "max" (value <= threshold passes) or "min" (value >= threshold).
METRICS = {
    "demographic_parity_difference": "max",
    "demographic_parity_ratio": "min",
    "equalized_odds_difference": "max",
    "equalized_odds_ratio": "min",
    "equal_opportunity_difference": "max",
    "equal_opportunity_ratio": "min",
}
DEFAULT_THRESHOLDS = {
    "demographic_parity_difference": 0.1,
    "demographic_parity_ratio": 0.8,     # the "four-fifths rule"
    "equalized_odds_difference": 0.1,
}
_RATE_OF = {"demographic_parity_difference": "selection_rate", "demographic_parity_ratio": "selection_rate",
            "equal_opportunity_difference": "true_positive_rate", "equal_opportunity_ratio": "true_positive_rate"}
MAX_GROUPS_SHOWN = 100   # the per-group table stored in params stays small; metrics use every group



def fairness(relation: str, *, y_true: str, y_pred: str, sensitive: str | list[str], run_sql: RunSql,
             thresholds: dict[str, float | None] | None = None, pos_label: Any = 1,
             name: str | None = None) -> CheckResult:
    """Group fairness of binary predictions in `relation`, with fairlearn's definitions.

    `relation` is a governed dataset name or a parenthesised SELECT; `run_sql(sql) -> pyarrow.Table`
    runs SQL through the governed query path as the caller (so masks and row filters apply).
    `thresholds` are merged over `DEFAULT_THRESHOLDS` (a value of None drops that metric's item);
    every metric in `METRICS` is reported in `params["metrics"]` either way.
    """
    started = time.perf_counter()
    if hasattr(pos_label, "item") and not isinstance(pos_label, (str, bytes)):
        pos_label = pos_label.item()   # numpy scalars: compare and store as Python values
    features = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if not features:
        raise UsageError("no sensitive feature given", fix="pass sensitive='column' or a list of columns",
                         input=sensitive)
    limits = _thresholds(thresholds)
    source = relation_sql(relation, "fairness_input")
    schema = run_sql(f"SELECT * FROM {source} LIMIT 0").schema
    columns = RelationColumns(schema, relation)
    truth, pred = columns.resolve("y_true", y_true), columns.resolve("y_pred", y_pred)
    keys = [columns.resolve("sensitive", f) for f in features]
    positive = _label_literal(pos_label, {"y_true": (truth, schema.field(truth).type),
                                          "y_pred": (pred, schema.field(pred).type)})

    table = run_sql(_aggregate_sql(source, truth, pred, keys, positive))
    rows = table.to_pylist()
    _validate(rows, relation, truth, pred, keys, pos_label)

    groups = [_group(row, keys) for row in rows]
    groups.sort(key=lambda g: tuple(_sort_key(v) for v in g["group"].values()))
    metrics = dataset_metrics(groups)
    items = [_item(metric, metrics[metric], limit, groups) for metric, limit in limits.items()]
    total = {c: sum(g[c] for g in groups) for c in ("count", "tp", "fp", "tn", "fn")}
    params = {
        "relation": relation, "y_true": truth, "y_pred": pred, "sensitive": keys, "pos_label": pos_label,
        "thresholds": limits,
        "metrics": {k: _json_number(v) for k, v in metrics.items()},
        "overall": {k: _json_number(v) for k, v in _rates(**{c: total[c] for c in ("tp", "fp", "tn", "fn")}).items()},
        "group_count": len(groups),
        "groups": groups[:MAX_GROUPS_SHOWN],
    }
    inputs = ({"query": {"sql": relation, "rows": total["count"]}} if relation.lstrip().startswith("(")
              else {relation: {"rows": total["count"]}})
    return CheckResult(kind="fairness", name=name or f"fairness of {short(relation)} by {', '.join(keys)}",
                       items=items, inputs=inputs, params=params,
                       duration_s=round(time.perf_counter() - started, 6))


def dataset_metrics(groups: list[dict]) -> dict[str, float]:
    """fairlearn's between-groups disparity metrics from per-group rates (see the module docstring)."""
    sel, tpr, fpr = (_column(groups, r) for r in ("selection_rate", "true_positive_rate", "false_positive_rate"))
    return {
        "demographic_parity_difference": _difference(sel),
        "demographic_parity_ratio": _ratio(sel),
        # builtin max/min over [TPR, FPR], as fairlearn does (its NaN handling depends on this order)
        "equalized_odds_difference": max([_difference(tpr), _difference(fpr)]),
        "equalized_odds_ratio": min([_ratio(tpr), _ratio(fpr)]),
        "equal_opportunity_difference": _difference(tpr),
        "equal_opportunity_ratio": _ratio(tpr),
    }


def _column(groups: list[dict], rate: str) -> list[float]:
    return [g[rate] for g in groups]


def _difference(values: list[float]) -> float:
    return max(values) - min(values)


def _ratio(values: list[float]) -> float:
    low, high = min(values), max(values)
    return low / high if high != 0 else math.nan   # pandas: 0.0 / 0.0 is NaN


def _rates(*, tp: int, fp: int, tn: int, fn: int) -> dict[str, float]:
    n = tp + fp + tn + fn
    return {
        "selection_rate": (tp + fp) / n,
        # scikit-learn's confusion_matrix(normalize="true") maps 0/0 to 0, and fairlearn inherits it
        "true_positive_rate": tp / (tp + fn) if tp + fn else 0.0,
        "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
        "accuracy": (tp + tn) / n,
    }


def _group(row: dict, keys: list[str]) -> dict:
    counts = {c: int(row[c]) for c in ("tp", "fp", "tn", "fn")}
    return {"group": {k: row[f"g{i}"] for i, k in enumerate(keys)}, "count": int(row["n"]),
            **_rates(**counts), **counts}


def _item(metric: str, value: float, limit: float, groups: list[dict]) -> CheckItem:
    direction = METRICS[metric]
    detail: dict[str, Any] = {"direction": direction,
                              "rule": f"value {'<=' if direction == 'max' else '>='} {limit}"}
    rate = _RATE_OF.get(metric)
    if rate is None:   # equalized odds: the rate whose disparity decides the value
        measure = _difference if direction == "max" else _ratio
        tpr, fpr = (measure(_column(groups, r)) for r in ("true_positive_rate", "false_positive_rate"))
        rate = "true_positive_rate" if (tpr >= fpr if direction == "max" else not fpr < tpr) else "false_positive_rate"
    low = min(groups, key=lambda g: g[rate])
    high = max(groups, key=lambda g: g[rate])
    detail.update(rate=rate, lowest=low["group"], highest=high["group"])
    no_positives = [g["group"] for g in groups if g["tp"] + g["fn"] == 0]
    if no_positives and metric.startswith(("equalized_odds", "equal_opportunity")):
        detail["groups_without_positives"] = no_positives[:10]
        detail["note"] = "these groups have no actual positives: their TPR counts as 0, as in fairlearn"
    status: Status
    if math.isnan(value):
        detail["note"] = "undefined (0/0): every group's rate is 0"
        status = "warn"
    else:
        status = "pass" if (value <= limit if direction == "max" else value >= limit) else "fail"
    return CheckItem(name=metric, status=status, metrics={"value": _json_number(value), "threshold": limit},
                     detail=detail)


def _thresholds(given: dict | None) -> dict[str, float]:
    merged: dict[str, Any] = {**DEFAULT_THRESHOLDS, **(given or {})}
    unknown = [m for m in merged if m not in METRICS]
    if unknown:
        raise UsageError(f"unknown fairness metric {', '.join(map(repr, unknown))} in thresholds",
                         fix=f"use one of: {', '.join(METRICS)}", input=unknown[0])
    limits = {}
    for metric, limit in merged.items():
        if limit is None:
            continue
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not math.isfinite(limit) or limit < 0:
            raise UsageError(f"threshold of {metric} must be a finite number >= 0, not {limit!r}",
                             fix=f"e.g. thresholds={{{metric!r}: {DEFAULT_THRESHOLDS.get(metric, 0.1)}}}",
                             input=limit)
        limits[metric] = float(limit)
    return limits


def _label_literal(pos_label: Any, labels: dict[str, tuple[str, pa.DataType]]) -> str:
    """`pos_label` as a SQL literal of the label columns' type, or a clear error."""
    for role, (column, kind) in labels.items():
        if pa.types.is_boolean(kind):
            ok = isinstance(pos_label, bool) or pos_label in (0, 1)
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            ok = isinstance(pos_label, (int, float)) and not isinstance(pos_label, bool)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            ok = isinstance(pos_label, str)
        else:
            raise UsageError(f"{role} column {column!r} has type {kind}; labels must be integer, boolean or string",
                             fix=f"cast {column} in a parenthesised SELECT, e.g. (SELECT CAST({column} AS INTEGER) ...)",
                             input=column)
        if not ok:
            raise UsageError(f"pos_label={pos_label!r} does not match {role} column {column!r} of type {kind}",
                             fix=f"pass pos_label as one of the values of {column} ({kind})",
                             input=pos_label)
    if isinstance(pos_label, bool):
        return "TRUE" if pos_label else "FALSE"
    if isinstance(pos_label, str):
        return "'" + pos_label.replace("'", "''") + "'"
    if isinstance(pos_label, float) and not math.isfinite(pos_label):
        raise UsageError(f"pos_label must be finite, not {pos_label!r}", fix="pass the positive label, e.g. 1",
                         input=pos_label)
    return repr(pos_label)


def _aggregate_sql(source: str, truth: str, pred: str, keys: list[str], positive: str) -> str:
    t, p = quote(truth), quote(pred)
    is_t, is_p = f"{t} = {positive}", f"{p} = {positive}"
    not_t, not_p = f"{t} <> {positive}", f"{p} <> {positive}"
    group_cols = ", ".join(f"{quote(k)} AS g{i}" for i, k in enumerate(keys))
    # The negative labels' min and max per group and column: one value overall means binary labels.
    return (f"SELECT {group_cols}, count(*) AS n, count({t}) AS n_true, count({p}) AS n_pred, "
            f"count_if({is_t} AND {is_p}) AS tp, count_if({not_t} AND {is_p}) AS fp, "
            f"count_if({not_t} AND {not_p}) AS tn, count_if({is_t} AND {not_p}) AS fn, "
            f"min({t}) FILTER (WHERE {not_t}) AS true_neg_min, max({t}) FILTER (WHERE {not_t}) AS true_neg_max, "
            f"min({p}) FILTER (WHERE {not_p}) AS pred_neg_min, max({p}) FILTER (WHERE {not_p}) AS pred_neg_max "
            f"FROM {source} GROUP BY {', '.join(quote(k) for k in keys)}")


def _validate(rows: list[dict], relation: str, truth: str, pred: str, keys: list[str], pos_label: Any) -> None:
    if not rows:
        raise UsageError(f"{short(relation)} has no rows (after your row filters)",
                         fix="check the relation and your grants; fairness needs at least one prediction",
                         input=relation)
    for i, key in enumerate(keys):
        if any(row[f"g{i}"] is None for row in rows):
            raise UsageError(f"sensitive column {key!r} has NULL values",
                             fix=f"remove or replace them first, e.g. (SELECT *, coalesce({key}, 'unknown') AS "
                                 f"{key}_filled FROM ...) and pass sensitive='{key}_filled'", input=key)
    for role, column, counted in (("y_true", truth, "n_true"), ("y_pred", pred, "n_pred")):
        nulls = sum(row["n"] - row[counted] for row in rows)
        if nulls:
            raise UsageError(f"{role} column {column!r} has {nulls} NULL values",
                             fix=f"filter them out (WHERE {column} IS NOT NULL) in a parenthesised SELECT",
                             input=column)
    negatives = {row[c] for row in rows for c in ("true_neg_min", "true_neg_max", "pred_neg_min", "pred_neg_max")
                 if row[c] is not None}
    if len(negatives) > 1:
        found = ", ".join(repr(v) for v in sorted(negatives, key=_sort_key))
        raise UsageError(f"labels in {truth!r} and {pred!r} are not binary: besides pos_label={pos_label!r} "
                         f"they hold {found}",
                         fix=f"map {truth} and {pred} to two values (e.g. CASE WHEN ... THEN 1 ELSE 0 END) "
                             f"or pass the right pos_label", input=truth)


def _sort_key(value: Any) -> tuple:
    return (type(value).__name__, value)


def _json_number(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else value
