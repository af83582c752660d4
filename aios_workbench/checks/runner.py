"""The kinds of check, a plugin family: quality, drift, fairness and monitor are built in.

Each built-in kind registers in `registry.checks` exactly as a plugin would: a
function `(service, run_sql, spec) -> list[CheckResult]`, where `spec` is the
JSON the caller sent. A kind may carry `after_record(service, spec, result)`,
called once its result is in the ledger. `service.checks.run` (service/checks/manager.py)
runs a kind as a caller and records every result in the governance ledger.
"""

from __future__ import annotations

from aios_workbench.checks.drift import drift as run_drift
from aios_workbench.checks.fairness import fairness as run_fairness
from aios_workbench.checks.monitors import run_monitor
from aios_workbench.checks.suites import select_suites, workspace_suites
from aios_workbench.core.errors import UsageError
from aios_workbench.core.registry import checks


def _require(spec: dict, *keys: str) -> None:
    missing = [k for k in keys if not spec.get(k)]
    if missing:
        raise UsageError(f"the check needs {', '.join(missing)}", fix=f"pass {', '.join(missing)}",
                         input=", ".join(missing))


@checks.register("quality")
def quality(service, run_sql, spec: dict):
    """The named suites of governance/checks.yaml (all when `suites` is empty)."""
    names = spec.get("suites") or []
    if isinstance(names, str):
        names = [names]
    return [suite.run(run_sql) for suite in select_suites(workspace_suites(service.workspace), names)]


@checks.register("drift")
def drift(service, run_sql, spec: dict):
    """Drift of `current` against `reference` (dataset names or parenthesised SELECTs)."""
    _require(spec, "reference", "current")
    return [run_drift(spec["reference"], spec["current"], run_sql=run_sql, columns=spec.get("columns"),
                      overrides=spec.get("overrides"), categorical=spec.get("categorical"), name=spec.get("name"),
                      wasserstein=spec.get("wasserstein") or "exact")]


@checks.register("fairness")
def fairness(service, run_sql, spec: dict):
    """Group fairness of predictions in `relation`."""
    _require(spec, "relation", "y_true", "y_pred", "sensitive")
    return [run_fairness(spec["relation"], y_true=spec["y_true"], y_pred=spec["y_pred"],
                         sensitive=spec["sensitive"], run_sql=run_sql, thresholds=spec.get("thresholds"),
                         pos_label=spec.get("pos_label", 1), name=spec.get("name"))]


@checks.register("monitor")
def monitor(service, run_sql, spec: dict):
    """The monitor `name` of governance/checks.yaml: drift of its current window against its reference."""
    _require(spec, "name")
    return [run_monitor(service, run_sql, spec["name"])]


def _monitor_recorded(service, spec: dict, result: dict) -> None:
    service.alerts.record_monitor_outcome(spec["name"], result)


monitor.after_record = _monitor_recorded   # a failing monitor raises an alert and starts its triggered jobs


def check_kind(name: str):
    """The check kind `name`, built in or from a plugin; an unknown name lists the known ones."""
    return checks.get(name)
