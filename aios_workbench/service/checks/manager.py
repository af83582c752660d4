"""`ChecksManager`: governance checks as business actions, each run as a named caller through the governed
path and recorded in the ledger; the ledger read back through the caller's grants (history.py, overview.py);
job runs' verdicts (jobs/verdicts.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aios_workbench.checks.drift import drift
from aios_workbench.checks.evidently_report import evidently_html
from aios_workbench.checks.explain import explain
from aios_workbench.checks.fairness import fairness
from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.monitors import workspace_monitors
from aios_workbench.checks.quality import governed_runner
from aios_workbench.checks.relation import relation_sql
from aios_workbench.checks.result import CheckResult
from aios_workbench.checks.runner import check_kind
from aios_workbench.checks.suites import Suite, select_suites
from aios_workbench.core.errors import UsageError, WorkbenchError
from aios_workbench.jobs import verdicts as job_verdicts
from aios_workbench.service.checks.history import governed_history
from aios_workbench.service.checks.links import ResultLinks
from aios_workbench.service.checks.model_loading import load_model
from aios_workbench.service.checks.overview import grouped_checks, run_report
from aios_workbench.service.checks.reading_runner import ReadingRunner
from aios_workbench.service.checks.suites import canonical, declared_checks, run_suite, visible_suites
from aios_workbench.service.manager import Manager
from aios_workbench.service.visibility import Views

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class ChecksManager(Manager):
    """Check actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        super().__init__(service)
        self.views = Views(service)
        self.links = ResultLinks(service)

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
        notebook = self.links.notebook(user, notebook)
        mlflow_run_id = self.links.mlflow_run(user, mlflow_run_id, job_run_id)
        run_sql = ReadingRunner(self.service.queries, user=user, surface="check", run_id=mlflow_run_id)
        ledger = Ledger(self.service.store)
        out = []
        for part in self._one_by_one(user, kind, spec):
            results = run(self.service, run_sql, part)
            read = run_sql.take()   # a kind returns its results together: each is filed under all they read
            for result in results:
                ledger_id = self._record(ledger, result, user=user, read=read, notebook=notebook,
                                         mlflow_run_id=mlflow_run_id, job_run_id=job_run_id)
                out.append({**result.to_dict(), "ledger_id": ledger_id})
                if hasattr(run, "after_record"):
                    run.after_record(self.service, part, out[-1])
        return out

    def _one_by_one(self, user: str, kind: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """`spec` split so that each part yields one result: quality suites run one at a time, so each is
        filed under the datasets it read, not under those of the suites run with it. Only suites `user` may
        see are run (a suite over a dataset he may not read is, to him, no suite at all)."""
        if kind != "quality":
            return [spec]
        names = spec.get("suites") or []
        names = [names] if isinstance(names, str) else list(names)
        names = [s.name for s in select_suites(visible_suites(self.service, user), names)]
        return [{**spec, "suites": [name]} for name in names]

    def quality(self, user: str, suites: Iterable[str] = (), *, record: bool = True, surface: str = "cli",
                progress: Callable[[list[Suite]], Iterable[Suite]] | None = None) -> dict[str, Any]:
        """Run the named quality suites of governance/checks.yaml (all when none are named), each on its
        dataset as the catalog names it; a broken suite is reported and recorded, the others still run.
        `progress` wraps the suites while they run (a progress bar)."""
        chosen = select_suites(visible_suites(self.service, user), list(suites))
        run_sql = ReadingRunner(self.service.queries, user=user, surface=surface)
        results, reads = [], []
        for suite in (progress or list)(chosen):
            results.append(run_suite(canonical(self.service, suite), run_sql))
            reads.append(run_sql.take())
        ledger = Ledger(self.service.store)
        recorded = [self._record(ledger, r, user=user, read=read)
                    for r, read in zip(results, reads, strict=True)] if record else []
        return {"user": user, "passed": all(r.passed for r in results if r.required),
                "results": [r.to_dict() for r in results], "recorded": recorded}

    def drift(self, user: str, reference: str, current: str, *, columns: list[str] | None = None,
              overrides: dict[str, Any] | None = None, categorical: list[str] | None = None,
              name: str | None = None, record: bool = True, surface: str = "cli",
              wasserstein: str = "exact") -> dict[str, Any]:
        """Drift of `current` against `reference` (dataset names or parenthesised SELECTs), column by column
        (`wasserstein="histogram"`: Wasserstein distances estimated, with their error bound, for huge inputs)."""
        run_sql = ReadingRunner(self.service.queries, user=user, surface=surface)
        result = drift(reference, current, run_sql=run_sql, columns=columns, overrides=overrides,
                       categorical=categorical, name=name, wasserstein=wasserstein)
        return self._recorded(result, user=user, record=record, read=run_sql.take())

    def fairness(self, user: str, relation: str, *, y_true: str, y_pred: str, sensitive: list[str],
                 thresholds: dict[str, float | None] | None = None, pos_label: Any = 1, name: str | None = None,
                 record: bool = True, surface: str = "cli") -> dict[str, Any]:
        """Group fairness of a classifier's predictions in `relation` (fairlearn's definitions)."""
        run_sql = ReadingRunner(self.service.queries, user=user, surface=surface)
        result = fairness(relation, y_true=y_true, y_pred=y_pred, sensitive=sensitive, run_sql=run_sql,
                          thresholds=thresholds, pos_label=pos_label, name=name)
        return self._recorded(result, user=user, record=record, read=run_sql.take())

    def explain_model(self, user: str, model_uri: str, relation: str, *, target: str,
                      features: list[str] | None = None, sample: int = 20_000, repeats: int = 5,
                      scoring: str | None = None, max_importance: dict[str, float] | None = None,
                      name: str | None = None, record: bool = True, surface: str = "cli") -> dict[str, Any]:
        """Permutation feature importance of the MLflow model `model_uri` on a governed sample of `relation`
        (masked features arrive masked), if `user` may see the run that logged it."""
        self.service.models.check_model_uri(user, model_uri)
        model = load_model(self.service.workspace, model_uri)
        run_sql = ReadingRunner(self.service.queries, user=user, surface=surface)
        result = explain(model, relation, target=target, features=features, run_sql=run_sql, sample=sample,
                         n_repeats=repeats, scoring=scoring, max_importance=max_importance,
                         name=name or f"explain {model_uri} on {relation}")
        return self._recorded(result, user=user, record=record, read=run_sql.take())

    def monitors(self, user: str, names: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Run the moving-window monitors `names` of governance/checks.yaml (all when none are named): each
        is recorded as `monitor:NAME`, opens or resolves its alert and starts the jobs it triggers."""
        known = workspace_monitors(self.service.workspace)
        results: list[dict[str, Any]] = []
        for name in list(names) or sorted(known):
            results.extend(self.run(user, "monitor", {"name": name}))
        return results

    def evidently_report(self, user: str, reference: str, current: str, *, columns: list[str] | None = None,
                         sample_rows: int = 100_000) -> dict[str, Any]:
        """Evidently's full drift report as HTML, on governed samples read as `user` (seconds to minutes;
        only on request, never stored)."""
        for relation in (reference, current):
            relation_sql(relation or "", "r")      # a clear usage error before any work
        run_sql = governed_runner(self.service.queries, user=user, surface="check")
        html, info = evidently_html(reference, current, run_sql=run_sql, columns=columns, sample_rows=sample_rows)
        return {"html": html, **info}

    # -- recording -----------------------------------------------------------------------------------------
    def _recorded(self, result: CheckResult, *, user: str, record: bool, read: set[str]) -> dict[str, Any]:
        ledger_id = self._record(Ledger(self.service.store), result, user=user, read=read) if record else None
        return {**result.to_dict(), "recorded": ledger_id}

    def _record(self, ledger: Ledger, result: CheckResult, *, user: str, read: set[str], **links: Any) -> int:
        """Record `result` filed under the datasets it is about (what its queries read, and its inputs that
        name datasets), with how `user` saw each of them."""
        datasets = set(read)
        catalog = self.service.queries.catalog()
        for key in result.inputs:
            try:
                datasets.add(catalog.resolve(tuple(str(key).split("."))).full_name.lower())
            except WorkbenchError:
                pass   # a relation's label ("reference", "query") or a dataset that does not exist
        return ledger.record(result, user=user, datasets=sorted(datasets),
                             views=self.views.recorded(user, datasets), **links)

    # -- reading -------------------------------------------------------------------------------------------
    def history(self, user: str, *, dataset: str | None = None, name: str | None = None, kind: str | None = None,
                limit: int = 50, before_id: int | None = None) -> list[dict[str, Any]]:
        """Ledger runs `user` may see, newest first, each as he may see it (`entries.governed_entry`): runs
        over a dataset he may not read are left out; a run whose runner saw its data otherwise than he does
        shows its verdicts only (`withheld` says why). Pages stay full."""
        return governed_history(self.service, self.views, user, dataset=dataset, name=name, kind=kind,
                                limit=limit, before_id=before_id)

    def overview(self, user: str, *, dataset: str | None = None, kind: str | None = None,
                 notebook: str | None = None, limit: int = 200) -> dict[str, Any]:
        """The checks `user` may see grouped by check, each with its latest verdict and history, over his
        newest `limit` runs; a declared suite or monitor that never ran is listed as not run yet. `notebook`:
        only runs it recorded. `newest_id`: the newest run read, so a client can ask cheaply whether anything
        changed."""
        runs = self.history(user, dataset=dataset, kind=kind, limit=limit)
        declared = {} if notebook else self.suites(user)
        return grouped_checks(runs, declared, dataset=dataset, kind=kind, notebook=notebook)

    def report(self, user: str, run_id: int) -> dict[str, Any]:
        """One ledger run `user` may see, as a person reads it (`overview.run_report`)."""
        return run_report(self.history(user, limit=1, before_id=run_id + 1), run_id)

    def suites(self, user: str) -> dict[str, Any]:
        """The quality suites and monitors declared in governance/checks.yaml over datasets `user` may read."""
        return declared_checks(self.service, user)

    # -- job runs ------------------------------------------------------------------------------------------
    def of_job_runs(self, run_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Per job run, the checks it recorded (`job_verdicts.of_job_runs`)."""
        return job_verdicts.of_job_runs(self.service.store, run_ids)

    def with_job_verdicts(self, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`runs` each with `checks` and `verdict`: the one place a job run's outcome is decided, for every
        surface (`job_verdicts.with_job_verdicts`)."""
        return job_verdicts.with_job_verdicts(self.service.store, runs)
