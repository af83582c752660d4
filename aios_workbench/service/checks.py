"""Governance checks as a business action: run a suite, drift, fairness or a monitor as a caller through
the governed path, record each result in the ledger, and read the ledger back through the caller's grants.

Every kind of check is a plugin of `registry.checks` (built-ins in `checks/runner.py`); `run` is the
one entry point REST, kernels and jobs use. The CLI's commands (`quality`, `drift`, `fairness`,
`explain_model`, `monitors`) are the same checks with the command line's reporting: each result
returned with the ledger id it was `recorded` as.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aios_workbench.checks.drift import drift, threshold_problem
from aios_workbench.checks.evidently_report import evidently_html
from aios_workbench.checks.explain import explain
from aios_workbench.checks.fairness import fairness
from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.monitors import workspace_monitors
from aios_workbench.checks.quality import RunSQL, governed_runner
from aios_workbench.checks.relation import relation_sql
from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.checks.runner import check_kind
from aios_workbench.checks.suites import Suite, describe_checks, select_suites, workspace_suites
from aios_workbench.core.errors import NotFound, UsageError, WorkbenchError
from aios_workbench.tracking import tracking_uri

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

__all__ = ["ChecksManager", "threshold_problem"]   # the CLI validates --stattest thresholds before any work


class ChecksManager:
    """Check actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        self.service = service

    def bound_to(self, service: Any) -> ChecksManager:
        """This manager acting on `service` instead: a job run's view of the workbench service, whose
        queries are audited and observed as the job's."""
        return type(self)(service)

    # -- running -------------------------------------------------------------------------------------------
    def run(self, user: str, kind: object, spec: dict[str, Any], *, mlflow_run_id: str | None = None,
            notebook: str | None = None, job_run_id: int | None = None) -> list[dict[str, Any]]:
        """Run check `kind` as `user` through the governed path and record each result in the ledger (with
        the notebook, MLflow run and job run it belongs to); return them as dicts with their `ledger_id`."""
        if not isinstance(kind, str) or not kind:
            raise UsageError("the check's `kind` is missing", fix="send kind: quality, drift or fairness")
        if not isinstance(spec, dict):
            raise UsageError("a check's parameters must be a JSON object", fix='send e.g. {"kind": "quality"}')
        run = check_kind(kind)
        run_sql = governed_runner(self.service.queries, user=user, surface="check", run_id=mlflow_run_id)
        ledger = Ledger(self.service.store)
        out = []
        for result in run(self.service, run_sql, spec):
            ledger_id = ledger.record(result, user=user, notebook=notebook, mlflow_run_id=mlflow_run_id,
                                      job_run_id=job_run_id)
            out.append({**result.to_dict(), "ledger_id": ledger_id})
            if hasattr(run, "after_record"):
                run.after_record(self.service, spec, out[-1])
        return out

    def quality(self, user: str, suites: Iterable[str] = (), *, record: bool = True, surface: str = "cli",
                progress: Callable[[list[Suite]], Iterable[Suite]] | None = None) -> dict[str, Any]:
        """Run the named quality suites of governance/checks.yaml (all when none are named), each on its
        dataset as the catalog names it; a broken suite is reported and recorded, the others still run.
        `progress` wraps the suites while they run (a progress bar)."""
        chosen = select_suites(workspace_suites(self.service.workspace), list(suites))
        run_sql = governed_runner(self.service.queries, user=user, surface=surface)
        results = [_run_suite(self._canonical(s), run_sql) for s in (progress or list)(chosen)]
        ledger = Ledger(self.service.store)
        recorded = [ledger.record(r, user=user) for r in results] if record else []
        return {"user": user, "passed": all(r.passed for r in results if r.required),
                "results": [r.to_dict() for r in results], "recorded": recorded}

    def _canonical(self, suite: Suite) -> Suite:
        """The suite with its dataset named source.schema.dataset, so ledger history groups one dataset once."""
        try:
            entry = self.service.queries.catalog().resolve(tuple(suite.dataset.split(".")))
        except WorkbenchError:
            return suite  # the run itself reports the unknown dataset, as this user sees it
        return dataclasses.replace(suite, dataset=entry.full_name)

    def drift(self, user: str, reference: str, current: str, *, columns: list[str] | None = None,
              overrides: dict[str, Any] | None = None, categorical: list[str] | None = None,
              name: str | None = None, record: bool = True, surface: str = "cli") -> dict[str, Any]:
        """Drift of `current` against `reference` (dataset names or parenthesised SELECTs), column by column."""
        result = drift(reference, current, run_sql=governed_runner(self.service.queries, user=user, surface=surface),
                       columns=columns, overrides=overrides, categorical=categorical, name=name)
        return self._recorded(result, user=user, record=record)

    def fairness(self, user: str, relation: str, *, y_true: str, y_pred: str, sensitive: list[str],
                 thresholds: dict[str, float | None] | None = None, pos_label: Any = 1, name: str | None = None,
                 record: bool = True, surface: str = "cli") -> dict[str, Any]:
        """Group fairness of a classifier's predictions in `relation` (fairlearn's definitions)."""
        result = fairness(relation, y_true=y_true, y_pred=y_pred, sensitive=sensitive,
                          run_sql=governed_runner(self.service.queries, user=user, surface=surface),
                          thresholds=thresholds, pos_label=pos_label, name=name)
        return self._recorded(result, user=user, record=record)

    def explain_model(self, user: str, model_uri: str, relation: str, *, target: str,
                      features: list[str] | None = None, sample: int = 20_000, repeats: int = 5,
                      scoring: str | None = None, max_importance: dict[str, float] | None = None,
                      name: str | None = None, record: bool = True, surface: str = "cli") -> dict[str, Any]:
        """Permutation feature importance of the MLflow model `model_uri` on a governed sample of `relation`
        (masked features arrive masked)."""
        model = _load_model(self.service.workspace, model_uri)
        result = explain(model, relation, target=target, features=features,
                         run_sql=governed_runner(self.service.queries, user=user, surface=surface), sample=sample,
                         n_repeats=repeats, scoring=scoring, max_importance=max_importance,
                         name=name or f"explain {model_uri} on {relation}")
        return self._recorded(result, user=user, record=record)

    def monitors(self, user: str, names: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Run the moving-window monitors `names` of governance/checks.yaml (all when none are named): each
        is recorded as `monitor:NAME`, opens or resolves its alert and starts the jobs it triggers."""
        known = workspace_monitors(self.service.workspace)
        results: list[dict[str, Any]] = []
        for name in list(names) or sorted(known):
            results.extend(self.run(user, "monitor", {"name": name}))
        return results

    def _recorded(self, result: CheckResult, *, user: str, record: bool) -> dict[str, Any]:
        ledger_id = Ledger(self.service.store).record(result, user=user) if record else None
        return {**result.to_dict(), "recorded": ledger_id}

    def evidently_report(self, user: str, reference: str, current: str, *, columns: list[str] | None = None,
                         sample_rows: int = 100_000) -> dict[str, Any]:
        """Evidently's full drift report as HTML, on governed samples read as `user` (seconds to minutes;
        only on request, never stored)."""
        for relation in (reference, current):
            relation_sql(relation or "", "r")      # a clear usage error before any work
        run_sql = governed_runner(self.service.queries, user=user, surface="check")
        html, info = evidently_html(reference, current, run_sql=run_sql, columns=columns, sample_rows=sample_rows)
        return {"html": html, **info}

    # -- reading -------------------------------------------------------------------------------------------
    def history(self, user: str, **filters: Any) -> list[dict[str, Any]]:
        """Ledger runs, newest first. Failing example rows are shown only to whoever ran the check
        (or to auditors): they were fetched under that user's masks and row filters."""
        auditor = self.service.policy().is_auditor(user)
        runs = Ledger(self.service.store).history(**filters)
        for run in runs:
            if not auditor and run["user"] != user:
                for item in run["items"] or []:
                    (item.get("detail") or {}).pop("examples", None)
        return runs

    def suites(self) -> dict[str, Any]:
        """The quality suites and monitors declared in governance/checks.yaml."""
        return describe_checks(self.service.workspace)


def _run_suite(suite: Suite, run_sql: RunSQL) -> CheckResult:
    try:
        return suite.run(run_sql)
    except WorkbenchError as exc:  # a broken suite is reported and recorded; the others still run
        text = exc.message + (f" (fix: {exc.fix})" if exc.fix else "")
        return CheckResult(kind="quality", name=suite.name, items=[CheckItem("suite", "error", {}, {"error": text})],
                           inputs={suite.dataset: {}}, params={"dataset": suite.dataset},
                           required=suite.required, severity=suite.severity, error=text)


def _load_model(ws: Workspace, uri: str) -> Any:
    """The model at MLflow URI `uri` (models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN/PATH) from the
    workspace's tracking store: its scikit-learn flavour when it has one, else its pyfunc."""
    if not uri.startswith(("models:/", "runs:/")):
        raise UsageError(f"{uri!r} is not an MLflow model URI", input=uri,
                         fix="name a registered version (models:/shipment-delay/1, models:/shipment-delay@champion) "
                             "or a run's model (runs:/RUN_ID/model); `aios models ls` lists them")
    import mlflow  # heavy (seconds): only when a model is explained
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri(ws))
    try:
        try:
            return mlflow.sklearn.load_model(uri)
        except MlflowException as exc:
            if "flavor" not in str(exc).lower():
                raise
            return mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        raise NotFound(f"no model at {uri}: {str(exc).splitlines()[0]}", input=uri,
                       fix="check the name, version or alias with `aios models ls`, or the run id") from None
