"""Monitors: a drift check over moving windows, e.g. the latest month against the three before it.

Declared under `monitors:` in `governance/checks.yaml`:

    monitors:
      shipments_monthly_drift:
        dataset: shipment_files.main.shipments
        time_column: shipped_at
        current: 1 month          # the newest month of data (anchor: data) or up to now (anchor: now)
        reference: 3 months       # the period right before it; or {from: 2025-01-01, to: 2025-07-01}
        columns: [delay_days, lead_time_days, carrier]

A threshold monitor watches a score instead (e.g. a model's risk per open order, written by a job):

      supply_risk:
        dataset: outputs.supply_risk
        threshold:
          column: risk            # a row is past the threshold when risk >= above
          above: 0.15
          group_by: origin_region # one finding per group; the alert tells the largest
          evidence: {suppliers: count(DISTINCT supplier_id), carrier: mode(carrier)}   # aggregates
          alert: "{rows} orders at risk from {suppliers} suppliers in {group}; carrier {carrier}"
        link: {app: switch_suppliers, params: {region: "{group}"}}   # where the alert sends people

Running one (`aios check monitor NAME`, `POST checks/run {"kind": "monitor", "name": ...}`) computes the
window bounds in DuckDB through the governed path, runs the drift check on the two windows as the caller
(a threshold monitor: counts the rows past its threshold, per group, with its evidence), records it in the
ledger under `monitor:NAME`, and keeps the alert feed true: a failing monitor opens (or bumps) the alert
`monitor:NAME` (titled with the threshold monitor's `alert` sentence, its evidence and link in the detail)
and starts the jobs whose `triggers.on_monitor_failure` name it; a passing one resolves the alert (that
rule is the service's `alerts.record_monitor_outcome`). Run inside a job, its alert is the one alert about
the run's failure when the monitor is all that failed: the alert names the run, the run raises none of its own
(`alerts/incidents.py`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aios_workbench.checks.quality import table_expr
from aios_workbench.checks.relation import quote
from aios_workbench.core.errors import NotFound, UsageError

PERIOD = re.compile(r"^\s*(\d+)\s*(hour|day|week|month|year)s?\s*$", re.IGNORECASE)
DIALECT = "duckdb"


def period(text: str) -> str:
    """`text` ("1 month", "14 days") as a DuckDB interval literal; anything else is refused."""
    match = PERIOD.match(str(text))
    if not match:
        raise UsageError(f"{text!r} is not a period", input=str(text),
                         fix="write a count and a unit: '30 days', '1 month', '2 weeks', '1 year', '12 hours'")
    return f"INTERVAL '{int(match.group(1))} {match.group(2).lower()}'"


class FixedPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_: date | datetime = Field(alias="from")
    to: date | datetime


class ThresholdSpec(BaseModel):
    """A score's threshold: the rows whose `column` is at least `above`, counted per `group_by`."""

    model_config = ConfigDict(extra="forbid")

    column: str
    above: float
    group_by: str | None = None
    min_rows: int = Field(1, ge=1)
    evidence: dict[str, str] = Field(default_factory=dict)   # name -> SQL aggregate over the rows past it
    alert: str = ""   # the alert's title; {rows}, {group}, {above} and the evidence names fill it in

    @field_validator("evidence")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z_]\w*", name) or name in ("rows", "group", "above"):
                raise ValueError(f"evidence name {name!r} must be a plain word other than rows, group and above")
        return value


class MonitorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    time_column: str = ""
    current: str = ""
    reference: str | FixedPeriod = ""
    anchor: Literal["data", "now"] = "data"
    columns: list[str] | None = None
    categorical: list[str] | None = None
    description: str = ""
    severity: Literal["warn", "fail"] = "fail"
    threshold: ThresholdSpec | None = None
    link: dict[str, Any] | None = None   # e.g. {app: NAME, params: {...}}: where the alert sends people

    @model_validator(mode="after")
    def _drift_or_threshold(self) -> MonitorSpec:
        if self.threshold is None and not (self.time_column and self.current and self.reference):
            raise ValueError("a monitor needs time_column, current and reference (a drift monitor) "
                             "or a threshold (a threshold monitor)")
        return self

    @field_validator("current", "reference")
    @classmethod
    def _period(cls, value):
        if isinstance(value, str):
            try:
                period(value)
            except UsageError as exc:   # pydantic reports ValueErrors with the file's line
                raise ValueError(f"{exc.message}; {exc.fix}") from None
        return value


def workspace_monitors(ws) -> dict[str, MonitorSpec]:
    # lazy: checks.suites imports this module at top level (circular)
    from aios_workbench.checks.suites import CHECKS_FILE, load_checks_file

    model = load_checks_file(ws.governance_dir / CHECKS_FILE)
    return dict(model.monitors) if model else {}


def monitor_spec(ws, name: str) -> MonitorSpec:
    monitors = workspace_monitors(ws)
    if name not in monitors:
        known = ", ".join(sorted(monitors)) or "none (governance/checks.yaml declares no monitors)"
        raise NotFound(f"unknown monitor {name!r}; known monitors: {known}", input=name,
                       fix="use a monitor name from the `monitors:` section of governance/checks.yaml")
    return monitors[name]


def windows(spec: MonitorSpec, run_sql) -> dict[str, str | None]:
    """The reference and current windows' bounds (ISO), computed in one governed statement."""
    t = quote(spec.time_column)
    end = f"max({t})" if spec.anchor == "data" else "now()::TIMESTAMP"
    table = table_expr(spec.dataset).sql(DIALECT)
    current = period(spec.current)
    if isinstance(spec.reference, str):
        ref_from, ref_to = f"({end}) - {current} - {period(spec.reference)}", f"({end}) - {current}"
    else:
        ref_from = f"TIMESTAMP '{spec.reference.from_.isoformat()}'"
        ref_to = f"TIMESTAMP '{spec.reference.to.isoformat()}'"
    sql = (f"SELECT CAST({ref_from} AS TIMESTAMP) AS ref_from, CAST({ref_to} AS TIMESTAMP) AS ref_to, "
           f"CAST(({end}) - {current} AS TIMESTAMP) AS cur_from, CAST({end} AS TIMESTAMP) AS cur_to FROM {table}")
    row = run_sql(sql).to_pylist()[0]
    return {k: (v.isoformat() if v is not None else None) for k, v in row.items()}


def _window_sql(spec: MonitorSpec, lower: str, upper: str) -> str:
    """The rows in (lower, upper] as a parenthesised SELECT the drift check takes."""
    t = quote(spec.time_column)
    return (f"(SELECT * FROM {table_expr(spec.dataset).sql(DIALECT)} "
            f"WHERE {t} > TIMESTAMP '{lower}' AND {t} <= TIMESTAMP '{upper}')")


def run_monitor(service, run_sql, name: str):
    """The monitor's drift result over its two windows (a `CheckResult` named `monitor:NAME`)."""
    from aios_workbench.checks.drift import drift  # lazy: drift statistics module only when a monitor actually runs
    from aios_workbench.checks.result import CheckResult  # lazy: cheap (the checks package loads it)

    spec = monitor_spec(service.workspace, name)
    if spec.threshold is not None:
        return run_threshold(spec, run_sql, name, exists=_in_catalog(service, spec.dataset))
    bounds = windows(spec, run_sql)
    ref_from, ref_to, cur_from, cur_to = (bounds[k] for k in ("ref_from", "ref_to", "cur_from", "cur_to"))
    # a table with no rows has no end to measure from: the current window's bounds are None then (and a
    # relative reference's), never otherwise, so this is the same test as `cur_to is None`
    if ref_from is None or ref_to is None or cur_from is None or cur_to is None:
        return CheckResult(kind="drift", name=f"monitor:{name}", items=[], severity=spec.severity,
                           params={"monitor": name, "windows": bounds},
                           error=f"{spec.dataset} has no rows with a {spec.time_column}: nothing to monitor")
    result = drift(_window_sql(spec, ref_from, ref_to), _window_sql(spec, cur_from, cur_to), run_sql=run_sql,
                   columns=spec.columns, categorical=spec.categorical, name=f"monitor:{name}")
    result.severity = spec.severity
    result.params = {**result.params, "monitor": name, "dataset": spec.dataset, "windows": bounds}
    return result



def run_threshold(spec: MonitorSpec, run_sql, name: str, *, exists: bool = True):
    """A threshold monitor's result: one item per group with rows past the threshold (failing when there are
    at least `min_rows`), its evidence in the item; the alert's title and link in `params["alert"]`."""
    from aios_workbench.checks.result import CheckItem, CheckResult  # lazy: cheap (the checks package loads it)

    rule = spec.threshold
    assert rule is not None
    group = quote(rule.group_by) if rule.group_by else "NULL"
    evidence = "".join(f", {sql} AS {quote(key)}" for key, sql in rule.evidence.items())
    table = table_expr(spec.dataset).sql(DIALECT)
    params = {"monitor": name, "dataset": spec.dataset, "column": rule.column, "above": rule.above}
    if not exists:   # scores a job has not written yet: this monitor errs (saying so), the others still run
        return CheckResult(kind="threshold", name=f"monitor:{name}", items=[], severity=spec.severity, params=params,
                           error=f"{spec.dataset} does not exist yet: nothing to compare with the threshold "
                                 "(fix: run the job that writes it, then the monitor)")
    rows = run_sql(f"SELECT CAST({group} AS VARCHAR) AS grp, count(*) AS n{evidence} FROM {table} WHERE "
                   f"{quote(rule.column)} >= {float(rule.above)!r} GROUP BY ALL ORDER BY n DESC, grp").to_pylist()
    sizes = {row["grp"]: row["n"] for row in
             run_sql(f"SELECT CAST({group} AS VARCHAR) AS grp, count(*) AS n FROM {table} GROUP BY ALL").to_pylist()}
    said = f"{rule.column} ≥ {rule.above:g}" + (f" in at least {rule.min_rows} rows" if rule.min_rows > 1 else "")
    items = [CheckItem(name=row["grp"] or rule.column, status="fail" if row["n"] >= rule.min_rows else "pass",
                       metrics={"value": row["n"], "failing_rows": row["n"], "rows": sizes.get(row["grp"], row["n"]),
                                "threshold": rule.above, "min_rows": rule.min_rows},
                       detail={"test": said, "evidence": {key: _plain(row[key]) for key in rule.evidence}})
             for row in rows]
    if not items:
        items = [CheckItem(name=rule.column, status="pass", detail={"test": said},
                           metrics={"value": 0, "failing_rows": 0, "rows": sum(sizes.values()), "threshold": rule.above})]
    result = CheckResult(kind="threshold", name=f"monitor:{name}", items=items, severity=spec.severity,
                         inputs={spec.dataset: {"rows": sum(sizes.values())}}, params=params)
    worst = next((i for i in items if i.status == "fail"), None)
    if worst is not None:
        facts = {"rows": worst.metrics["failing_rows"], "group": worst.name, "above": rule.above,
                 **worst.detail["evidence"]}
        result.params["alert"] = {"title": _fill(rule.alert, facts, name) if rule.alert else "",
                                  "evidence": facts, "link": _fill_link(spec.link, facts, name)}
    return result


def _in_catalog(service, dataset: str) -> bool:
    """Whether the catalog knows `dataset` at all (whether the caller may read it is the query's business)."""
    try:
        service.queries.catalog().resolve(tuple(dataset.split(".")))
    except NotFound:
        return False
    return True


def _plain(value: Any) -> Any:
    """An evidence value as JSON keeps it: numbers rounded for people, anything else as text."""
    if isinstance(value, float):
        return round(value, 4)
    return value if isinstance(value, (int, str, type(None))) else str(value)


def _fill(template: str, facts: dict[str, Any], name: str) -> str:
    try:
        return template.format_map(facts)
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"monitor {name!r}: its alert {template!r} names {exc} which it does not have",
                         input=template, fix="use {rows}, {group}, {above} or a name of its evidence") from None


def _fill_link(link: dict[str, Any] | None, facts: dict[str, Any], name: str) -> dict[str, Any] | None:
    if not link:
        return None
    params = {key: _fill(str(value), facts, name) for key, value in (link.get("params") or {}).items()}
    return {**link, "params": params}
