"""Run a check by kind, as a user, through the governed path: the one entry point for REST and kernels.

Each built-in kind registers in `registry.checks` exactly as a plugin would: a
function `(service, run_sql, spec) -> list[CheckResult]`, where `spec` is the
JSON the caller sent. `run_check` records every result in the governance ledger.
"""

from __future__ import annotations

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
    from aios_workbench.checks.suites import select_suites, workspace_suites

    names = spec.get("suites") or []
    if isinstance(names, str):
        names = [names]
    return [suite.run(run_sql) for suite in select_suites(workspace_suites(service.workspace), names)]


@checks.register("drift")
def drift(service, run_sql, spec: dict):
    """Drift of `current` against `reference` (dataset names or parenthesised SELECTs)."""
    from aios_workbench.checks.drift import drift as run_drift

    _require(spec, "reference", "current")
    return [run_drift(spec["reference"], spec["current"], run_sql=run_sql, columns=spec.get("columns"),
                      overrides=spec.get("overrides"), categorical=spec.get("categorical"), name=spec.get("name"))]


@checks.register("fairness")
def fairness(service, run_sql, spec: dict):
    """Group fairness of predictions in `relation`."""
    from aios_workbench.checks.fairness import fairness as run_fairness

    _require(spec, "relation", "y_true", "y_pred", "sensitive")
    return [run_fairness(spec["relation"], y_true=spec["y_true"], y_pred=spec["y_pred"],
                         sensitive=spec["sensitive"], run_sql=run_sql, thresholds=spec.get("thresholds"),
                         pos_label=spec.get("pos_label", 1), name=spec.get("name"))]


@checks.register("monitor")
def monitor(service, run_sql, spec: dict):
    """The monitor `name` of governance/checks.yaml: drift of its current window against its reference."""
    from aios_workbench.checks.monitors import run_monitor

    _require(spec, "name")
    return [run_monitor(service, run_sql, spec["name"])]


def _monitor_recorded(service, spec: dict, result: dict) -> None:
    from aios_workbench.checks.monitors import keep_feed_true

    keep_feed_true(service, spec["name"], result)


monitor.after_record = _monitor_recorded   # a failing monitor raises an alert and starts its triggered jobs


def run_check(service, user: str, kind: str, spec: dict, *, mlflow_run_id: str | None = None,
              notebook: str | None = None, job_run_id: int | None = None) -> list[dict]:
    """Run check `kind` as `user` and record each result in the ledger (with the notebook, MLflow run
    and job run it belongs to); return them as dicts."""
    from aios_workbench.checks.ledger import Ledger
    from aios_workbench.checks.quality import governed_runner

    if not isinstance(spec, dict):
        raise UsageError("a check's parameters must be a JSON object", fix='send e.g. {"kind": "quality"}')
    run = checks.get(kind)
    run_sql = governed_runner(service.queries, user=user, surface="check", run_id=mlflow_run_id)
    ledger = Ledger(service.store)
    out = []
    for result in run(service, run_sql, spec):
        ledger_id = ledger.record(result, user=user, notebook=notebook, mlflow_run_id=mlflow_run_id,
                                  job_run_id=job_run_id)
        out.append({**result.to_dict(), "ledger_id": ledger_id})
        if hasattr(run, "after_record"):
            run.after_record(service, spec, out[-1])
    return out
