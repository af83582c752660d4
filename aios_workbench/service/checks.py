"""Governance checks as a business action: run a suite, drift, fairness or a monitor as a caller through
the governed path, record each result in the ledger, and read the ledger back through the caller's grants.

Every kind of check is a plugin of `registry.checks` (built-ins in `checks/runner.py`); `run` is the
one entry point REST, kernels and jobs use. The CLI's commands (`quality`, `drift`, `fairness`,
`explain_model`, `monitors`) are the same checks with the command line's reporting: each result
returned with the ledger id it was `recorded` as.

The ledger is governed like the data here, in `history`, for every surface (REST `checks/history`, `aios
check history`, the dashboard's Quality page): an entry is shown only to a reader who may read every
dataset its queries read, and its values (counts, statistics, distribution labels, examples, params)
only when his view of those datasets covers the one its runner had when it ran; otherwise only its
verdicts (service/visibility.py). The links a caller sends with a check (`mlflow_run_id`, `notebook`)
are checked before anything runs: an MLflow run he started, a notebook inside the notebooks folder.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from aios_workbench.checks.drift import drift, threshold_problem
from aios_workbench.checks.evidently_report import evidently_html
from aios_workbench.checks.explain import explain
from aios_workbench.checks.fairness import fairness
from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.monitors import workspace_monitors
from aios_workbench.checks.quality import RunSQL, governed_runner
from aios_workbench.checks.relation import relation_sql
from aios_workbench.checks.result import CheckItem, CheckResult, check_label, verdict_sentence
from aios_workbench.checks.runner import check_kind
from aios_workbench.checks.suites import Suite, describe_checks, select_suites, workspace_suites
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError, WorkbenchError
from aios_workbench.service.dashboard import quality_view
from aios_workbench.service.manager import Manager
from aios_workbench.service.visibility import Reader, Views
from aios_workbench.store.models import CheckRun
from aios_workbench.tracking import tracking_uri
from aios_workbench.tracking.registry import DECISION_KINDS

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

# threshold_problem: the CLI validates --stattest thresholds before any work
__all__ = ["CHECKS_FAILED", "ChecksManager", "job_run_verdict", "threshold_problem"]

WITHHELD_ERROR = "the check ended in an error; its message is shown only to readers who see its data as its runner did"
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
MAX_NOTEBOOK_PATH = 1024    # the ledger's column
CHECKS_FAILED = "checks_failed"   # a job run's verdict: its notebook succeeded, checks it recorded failed
FAILED_STATUSES = ("fail", "error")


class _ReadingRunner:
    """A governed `run_sql` as `user` that remembers the datasets its queries read: a check's facts are
    about them, whatever its inputs are called (a drift's `reference` and `current` are SELECTs)."""

    def __init__(self, queries: Any, *, user: str, surface: str, run_id: str | None = None):
        self._queries, self._user, self._surface, self._run_id = queries, user, surface, run_id
        self.read: set[str] = set()

    def __call__(self, sql: str) -> Any:
        # a check's statements are the service's own and their rows stay here (only statistics leave): the
        # workspace's row cap for answers does not cut them, which would make a statistic wrong and look right
        result = self._queries.run(sql, user=self._user, surface=self._surface, run_id=self._run_id,
                                   internal=True)
        table = result.to_arrow()
        self.read.update(str(name).lower() for name in result.datasets)
        if result.truncated:
            raise UsageError(f"a check's query needed more than {result.max_rows:,} rows; its statistics would "
                             "be computed on part of the data", input="check",
                             fix="compare fewer rows (a sample or a shorter period in a parenthesised SELECT)")
        return table

    def take(self) -> set[str]:
        """The datasets read since the last `take`."""
        read, self.read = self.read, set()
        return read


def _redacted(text: Any) -> Any:
    """`text` with its quoted string literals replaced (a check named after a SELECT quotes its probes)."""
    return _STRING_LITERAL.sub("'…'", text) if isinstance(text, str) else text


def _verdicts_only(run: dict[str, Any], reason: str) -> dict[str, Any]:
    """A ledger entry reduced to what it decided: names and statuses; no counts, statistics, labels, examples,
    inputs or params, and no error text (a DuckDB error quotes the value it choked on)."""
    items = [{"name": _redacted(i.get("name")), "status": i.get("status"), "metrics": {}, "detail": {}}
             for i in run.get("items") or []]
    return {**run, "name": _redacted(run["name"]), "inputs": None, "params": None, "items": items,
            "error": WITHHELD_ERROR if run.get("error") else None, "withheld": reason}


def governed_entry(reader: Reader, run: dict[str, Any]) -> dict[str, Any] | None:
    """Ledger row `run` as `reader` may see it: None when he may not read one of its datasets; its verdicts
    only when his view of them does not cover its runner's; else whole (failing examples included: they
    were fetched under a view his own covers)."""
    recorded_json = run.pop("writer_views", None)
    datasets = run["datasets"]
    if not reader.may_read_all(datasets):
        return None
    if not datasets:   # read no governed dataset: a model decision, or a check that failed before reading
        if run["kind"] in DECISION_KINDS or run["user"] == reader.user or reader.auditor:
            return {**run, "withheld": None}
        return _verdicts_only(run, "values withheld: this check read no dataset you could be checked against; "
                                   "only its runner and auditors see them")
    recorded = recorded_json if isinstance(recorded_json, dict) else None
    if reader.covers(run["user"], datasets, recorded):
        return {**run, "withheld": None}
    return _verdicts_only(run, f"values withheld: {run['user']} ran this check seeing {', '.join(datasets)} "
                               "with other masks or another row filter than yours; only its verdicts are shown")


def with_words(entry: dict[str, Any]) -> dict[str, Any]:
    """A ledger entry with its `label` (the check's name as a person reads it, never raw SQL) and its
    `verdict` (a sentence saying which items decided its status), as every surface shows them."""
    entry["label"] = check_label(entry["kind"], entry["name"], entry.get("datasets") or ())
    entry["verdict"] = verdict_sentence(entry["kind"], entry["status"], entry.get("items"),
                                        severity=entry.get("severity") or "fail", error=entry.get("error"))
    return entry


def job_run_verdict(status: str, checks_failed: int) -> str:
    """What a job run's outcome says: its status, except that a run whose notebook succeeded while checks it
    recorded failed is `checks_failed` (the notebook ran to its end; its data did not pass)."""
    return CHECKS_FAILED if status == "succeeded" and checks_failed else status


class ChecksManager(Manager):
    """Check actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        super().__init__(service)
        self.views = Views(service)
        self._links: dict[tuple[str, str, int | None], bool] = {}
        self._links_lock = threading.Lock()

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
        notebook = self._notebook_link(user, notebook)
        mlflow_run_id = self._mlflow_link(user, mlflow_run_id, job_run_id)
        run_sql = _ReadingRunner(self.service.queries, user=user, surface="check", run_id=mlflow_run_id)
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
        names = [s.name for s in select_suites(self._visible_suites(user), names)]
        return [{**spec, "suites": [name]} for name in names]

    def _visible_suites(self, user: str) -> dict[str, Suite]:
        """The suites of governance/checks.yaml whose dataset `user` may read, or that name no dataset the catalog
        knows (they reveal nothing and fail on their own). Which datasets have suites, and their rules and
        accepted values, are facts about the data."""
        visible = self._visible_datasets(user)
        return {name: suite for name, suite in workspace_suites(self.service.workspace).items()
                if visible(suite.dataset)}

    def _visible_datasets(self, user: str) -> Callable[[str], bool]:
        readable = {entry["name"].lower() for entry in self.service.catalog.readable(user)}
        catalog = self.service.queries.catalog()

        def visible(dataset: str) -> bool:
            try:
                entry = catalog.resolve(tuple(str(dataset).split(".")))
            except WorkbenchError:
                return True
            return entry.full_name.lower() in readable
        return visible

    def quality(self, user: str, suites: Iterable[str] = (), *, record: bool = True, surface: str = "cli",
                progress: Callable[[list[Suite]], Iterable[Suite]] | None = None) -> dict[str, Any]:
        """Run the named quality suites of governance/checks.yaml (all when none are named), each on its
        dataset as the catalog names it; a broken suite is reported and recorded, the others still run.
        `progress` wraps the suites while they run (a progress bar)."""
        chosen = select_suites(self._visible_suites(user), list(suites))
        run_sql = _ReadingRunner(self.service.queries, user=user, surface=surface)
        results, reads = [], []
        for suite in (progress or list)(chosen):
            results.append(_run_suite(self._canonical(suite), run_sql))
            reads.append(run_sql.take())
        ledger = Ledger(self.service.store)
        recorded = [self._record(ledger, r, user=user, read=read)
                    for r, read in zip(results, reads, strict=True)] if record else []
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
              name: str | None = None, record: bool = True, surface: str = "cli",
              wasserstein: str = "exact") -> dict[str, Any]:
        """Drift of `current` against `reference` (dataset names or parenthesised SELECTs), column by column
        (`wasserstein="histogram"`: Wasserstein distances estimated, with their error bound, for huge inputs)."""
        run_sql = _ReadingRunner(self.service.queries, user=user, surface=surface)
        result = drift(reference, current, run_sql=run_sql, columns=columns, overrides=overrides,
                       categorical=categorical, name=name, wasserstein=wasserstein)
        return self._recorded(result, user=user, record=record, read=run_sql.take())

    def fairness(self, user: str, relation: str, *, y_true: str, y_pred: str, sensitive: list[str],
                 thresholds: dict[str, float | None] | None = None, pos_label: Any = 1, name: str | None = None,
                 record: bool = True, surface: str = "cli") -> dict[str, Any]:
        """Group fairness of a classifier's predictions in `relation` (fairlearn's definitions)."""
        run_sql = _ReadingRunner(self.service.queries, user=user, surface=surface)
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
        model = _load_model(self.service.workspace, model_uri)
        run_sql = _ReadingRunner(self.service.queries, user=user, surface=surface)
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

    # -- links -------------------------------------------------------------------------------------------
    def _notebook_link(self, user: str, notebook: object) -> str | None:
        """The notebook a result is linked to: a path inside the workspace's notebooks folder, relative to the
        workspace; or, for a notebook outside the workspace (a user's own server in a team deployment, whose
        kernel names it relative to that server's root), `~USER/PATH`, filed under the caller, so nobody can
        file a result under a notebook of the workspace or of another user. Anything else is refused (a
        client names its notebook, it does not invent one)."""
        if notebook is None or notebook == "":
            return None
        ws = self.service.workspace
        folder = ws.config.paths.notebooks.strip("/") or "notebooks"
        fix = (f"send the notebook's path inside the workspace's {folder}/ folder, e.g. {folder}/analysis.ipynb, "
               "or leave `notebook` out")
        if not isinstance(notebook, str) or len(notebook) > MAX_NOTEBOOK_PATH or "\x00" in notebook:
            raise UsageError("`notebook` must be a path of at most 1024 characters", fix=fix,
                             input=str(notebook)[:200])
        root, notebooks = ws.root.resolve(), ws.notebooks_dir.resolve()
        given = notebook.strip()
        if ".." in PurePosixPath(given).parts:
            raise UsageError(f"notebook {notebook!r} leaves its folder (`..` is not allowed)", fix=fix,
                             input=notebook)
        path = Path(given)
        resolved = (path if path.is_absolute() else root / path).resolve()   # symlinks out are caught here
        if resolved.is_relative_to(notebooks) and resolved != notebooks:
            return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved.as_posix()
        if (not path.is_absolute() and given.endswith(".ipynb") and not given.startswith("~")
                and not (root / path).exists()
                and not (root / path).is_symlink()):
            return f"~{user}/{PurePosixPath(given).as_posix()}"
        raise UsageError(f"notebook {notebook!r} is not inside the workspace's {folder}/ folder", fix=fix,
                         input=notebook)

    def _mlflow_link(self, user: str, run_id: object, job_run_id: int | None) -> str | None:
        """The MLflow run a result is linked to: one `user` started (its `aios.user` tag), or one of his job
        run; anything else is refused, so nobody files results under another person's run."""
        if run_id is None or run_id == "":
            return None
        key = (user, str(run_id), job_run_id)
        with self._links_lock:
            if self._links.get(key):
                return str(run_id)
        self.service.runs.check_link(user, run_id, job_run_id=job_run_id)
        with self._links_lock:
            if len(self._links) > 4096:
                self._links.clear()
            self._links[key] = True
        return str(run_id)

    def evidently_report(self, user: str, reference: str, current: str, *, columns: list[str] | None = None,
                         sample_rows: int = 100_000) -> dict[str, Any]:
        """Evidently's full drift report as HTML, on governed samples read as `user` (seconds to minutes;
        only on request, never stored)."""
        for relation in (reference, current):
            relation_sql(relation or "", "r")      # a clear usage error before any work
        run_sql = governed_runner(self.service.queries, user=user, surface="check")
        html, info = evidently_html(reference, current, run_sql=run_sql, columns=columns, sample_rows=sample_rows)
        return {"html": html, **info}

    # -- job runs ------------------------------------------------------------------------------------------
    def of_job_runs(self, run_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Per job run, the checks it recorded: {"total", "failed", "failed_kinds"} (a check failed when its
        status is fail or error; a warn-severity check reports, it does not fail). Statuses and kinds only:
        the runs themselves are read through `history`, under its visibility."""
        ids = sorted({int(i) for i in run_ids})
        out: dict[int, dict[str, Any]] = {i: {"total": 0, "failed": 0, "failed_kinds": []} for i in ids}
        with self.service.store.session() as session:
            for chunk in range(0, len(ids), 900):   # SQLite's bound-parameter limit
                query = (select(CheckRun.job_run_id, CheckRun.kind, CheckRun.name, CheckRun.status)
                         .where(CheckRun.job_run_id.in_(ids[chunk:chunk + 900]),
                                CheckRun.kind.not_in(DECISION_KINDS)))
                for run_id, kind, name, status in session.execute(query):
                    figures = out[run_id or 0]
                    figures["total"] += 1
                    if status in FAILED_STATUSES:
                        figures["failed"] += 1
                        shown = "monitor" if str(name).startswith("monitor:") else kind
                        if shown not in figures["failed_kinds"]:
                            figures["failed_kinds"].append(shown)
        return out

    def with_job_verdicts(self, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`runs` (job run dicts with `id` and `status`) each with `checks` (`of_job_runs`) and `verdict`
        (`job_run_verdict`): the one place a job run's outcome is decided, for every surface."""
        figures = self.of_job_runs(r["id"] for r in runs if r.get("id") is not None)
        for run in runs:
            checks = figures.get(run.get("id") or 0, {"total": 0, "failed": 0, "failed_kinds": []})
            run["checks"] = checks
            run["verdict"] = job_run_verdict(run["status"], checks["failed"])
        return runs

    # -- reading -------------------------------------------------------------------------------------------
    def history(self, user: str, *, dataset: str | None = None, name: str | None = None, kind: str | None = None,
                limit: int = 50, before_id: int | None = None) -> list[dict[str, Any]]:
        """Ledger runs `user` may see, newest first, each as he may see it (`governed_entry`): runs over a
        dataset he may not read are left out; a run whose runner saw its data otherwise than he does shows
        its verdicts only (`withheld` says why). Pages stay full: rows left out are made up from older ones."""
        reader = self.views.reader(user)
        wanted = self._dataset_filter(reader, dataset) if dataset is not None else None
        scopes = reader.read_scopes()
        ledger = Ledger(self.service.store)
        out: list[dict[str, Any]] = []
        cursor, size = before_id, limit
        while len(out) < limit:
            batch = ledger.history(dataset=wanted, name=name, kind=kind, limit=size, before_id=cursor,
                                   scopes=scopes)
            for run in batch:
                entry = governed_entry(reader, run)
                if entry is not None:
                    out.append(with_words(entry))
                    if len(out) == limit:
                        break
            if len(batch) < size:
                break
            cursor, size = batch[-1]["id"], max(limit, 200)   # rows were left out: read on in bigger steps
        return out

    def overview(self, user: str, *, dataset: str | None = None, kind: str | None = None,
                 notebook: str | None = None, limit: int = 200) -> dict[str, Any]:
        """The checks `user` may see grouped by check, each with its latest verdict and history, as the
        dashboard's Quality page groups them (`quality_view.overview`) over his newest `limit` runs; a
        declared suite or monitor that never ran is listed as not run yet. `notebook`: only runs it
        recorded. `newest_id`: the newest run read, so a client can ask cheaply whether anything changed."""
        runs = [r for r in self.history(user, dataset=dataset, kind=kind, limit=limit)
                if r["kind"] not in DECISION_KINDS]
        if notebook:
            runs = [r for r in runs if _same_notebook(r.get("notebook"), notebook)]
        declared: dict[str, list[dict[str, Any]]] = {}
        if not notebook:
            wanted = {"suites": kind in (None, "quality"), "monitors": kind in (None, "drift")}
            declared = {key: [c for c in checks if wanted.get(key)
                              and (dataset is None or c["dataset"].lower() == dataset.lower())]
                        for key, checks in self.suites(user).items()}
        view = quality_view.overview(runs, declared)
        for group in view["checks"]:
            latest = group["latest"]
            group["latest"] = None if latest is None else {
                key: latest.get(key) for key in ("id", "at", "status", "user", "verdict", "notebook", "kind",
                                                          "required")}
            group.setdefault("description", "")
        return {**view, "newest_id": runs[0]["id"] if runs else None, "titles": quality_view.TITLES,
                "words": quality_view.WORDS}

    def report(self, user: str, run_id: int) -> dict[str, Any]:
        """One ledger run `user` may see, as a person reads it: a drift run's summary and columns
        (`quality_view.drift_report`), any other run's items in words (`quality_view.item_rows`)."""
        runs = self.history(user, limit=1, before_id=run_id + 1)
        if not runs or runs[0]["id"] != run_id:
            raise NotFound(f"no check run {run_id} among those you may see", input=str(run_id),
                           fix="pick a run from the Checks list (`aios check history`)")
        run = runs[0]
        if run["kind"] == "drift":
            return {"run": run, "drift": quality_view.drift_report(run), "rows": None}
        return {"run": run, "drift": None, "rows": quality_view.item_rows(run)["rows"]}

    def _dataset_filter(self, reader: Reader, dataset: str) -> str:
        """`dataset` as the ledger files it (source.schema.dataset, lower-case), if `reader` may read it."""
        try:
            name = self.service.queries.catalog().resolve(tuple(dataset.split("."))).full_name.lower()
        except NotFound:
            if dataset.count(".") != 2:
                raise
            name = dataset.lower()   # a dataset no longer in the catalog keeps its history
        if not reader.may_read(name):
            raise PermissionDenied(f"{reader.user} may not read {dataset}, so its check history is not shown",
                                   fix="ask a data steward for a grant in governance/policy.yaml", input=dataset)
        return name

    def suites(self, user: str) -> dict[str, Any]:
        """The quality suites and monitors declared in governance/checks.yaml over datasets `user` may read."""
        visible = self._visible_datasets(user)
        declared = describe_checks(self.service.workspace)
        return {kind: [c for c in checks if visible(c["dataset"])] for kind, checks in declared.items()}


def _same_notebook(recorded: object, current: str) -> bool:
    """Whether a run recorded for `recorded` (as a kernel or a job named it) belongs to the notebook open at
    `current` (relative to the server's root); a longer recorded path matches when it ends with it."""
    if not isinstance(recorded, str) or not recorded or not current:
        return False
    a, b = (p.replace("\\", "/").removeprefix("./").lstrip("/") for p in (recorded, current))
    return a == b or a.endswith("/" + b)


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
