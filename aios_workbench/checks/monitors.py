"""Monitors: a drift check over moving windows, e.g. the latest month against the three before it.

Declared under `monitors:` in `governance/checks.yaml`:

    monitors:
      shipments_monthly_drift:
        dataset: shipment_files.main.shipments
        time_column: shipped_at
        current: 1 month          # the newest month of data (anchor: data) or up to now (anchor: now)
        reference: 3 months       # the period right before it; or {from: 2025-01-01, to: 2025-07-01}
        columns: [delay_days, lead_time_days, carrier]

Running one (`aios check monitor NAME`, `POST checks/run {"kind": "monitor", "name": ...}`) computes the
window bounds in DuckDB through the governed path, runs the drift check on the two windows as the caller,
records it in the ledger under `monitor:NAME`, and keeps the alert feed true: a failing monitor opens (or
bumps) the alert `monitor:NAME` and starts the jobs whose `triggers.on_monitor_failure` name it; a passing
one resolves the alert (that rule is the service's `alerts.record_monitor_outcome`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class MonitorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    time_column: str
    current: str
    reference: str | FixedPeriod
    anchor: Literal["data", "now"] = "data"
    columns: list[str] | None = None
    categorical: list[str] | None = None
    description: str = ""
    severity: Literal["warn", "fail"] = "fail"

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

