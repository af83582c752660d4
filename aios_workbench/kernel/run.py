"""`wb.run(...)`: an MLflow run that records what it was made from, cheaply.

    with wb.run("baseline", params={"alpha": 0.1}) as run:
        df = wb.table("sales.main.orders")        # lineage recorded automatically
        run.log_metric("rmse", 3.2)               # buffered: one store write per batch

    @wb.run("nightly")                            # or bare @wb.run: each call is a run
    def train(): ...

On start a run logs its parameters (flattened), the notebook's path and content
hash, the git commit (and whether the tree is dirty), an environment digest (the
package list is saved as an artifact), and the user. Metrics and tags are
buffered and written with one `MlflowClient.log_batch` per `batch_size` items,
after `flush_seconds`, and at exit (per-call logging costs 10-20 ms on SQLite).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypedDict, TypeVar, overload

from aios_workbench.core.errors import UsageError
from aios_workbench.kernel import provenance
from aios_workbench.tracking.lineage import Describe, dataset_input
from aios_workbench.tracking.store import (
    artifact_root,
    check_reachable,
    ensure_store,
    import_mlflow,
    is_local_sqlite,
    tracking_uri,
)

log = logging.getLogger("aios_workbench.tracking")
P = ParamSpec("P")
R = TypeVar("R")

EXPERIMENT_ENV = "AIOS_EXPERIMENT"
MAX_PARAM_LENGTH = 6000            # MLflow's limit for a parameter value
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /:]+")

_stack: list[WorkbenchRun | DisabledRun] = []
_stack_lock = threading.Lock()
_default_experiment: str | None = None
_experiments: dict[tuple[str, str], str] = {}
_atexit_registered = False


def active_run() -> WorkbenchRun | DisabledRun | None:
    """The innermost workbench run that is open in this process, or None."""
    return _stack[-1] if _stack else None


def set_experiment(name: str | None) -> None:
    """Use experiment `name` for the runs that follow (None: back to one experiment per notebook)."""
    global _default_experiment
    _default_experiment = name


def key(name: str) -> str:
    """`name` made safe as an MLflow param, metric or tag key."""
    return _KEY_UNSAFE.sub("_", str(name)).strip() or "_"


def flatten_params(params: dict | None, prefix: str = "") -> dict[str, str]:
    """Nested dicts become dotted keys; every value a string (lists and tuples as JSON), cut to MLflow's limit."""
    flat: dict[str, str] = {}
    for name, value in (params or {}).items():
        full = f"{prefix}{name}"
        if isinstance(value, dict) and value:
            flat.update(flatten_params(value, f"{full}."))
            continue
        if isinstance(value, (list, tuple)):
            text = json.dumps(value, default=str)
        else:
            text = str(value)
        flat[key(full)] = text if len(text) <= MAX_PARAM_LENGTH else text[:MAX_PARAM_LENGTH - 1] + "…"
    return flat


def _load_workspace(workspace):
    # lazy: Workspace loads pydantic and PyYAML; only when a workspace path is given
    from aios_workbench.workspace import Workspace

    return workspace if isinstance(workspace, Workspace) else Workspace.load(workspace)


def _experiment_name(ws, notebook: Path | None) -> str:
    explicit = _default_experiment or os.environ.get(EXPERIMENT_ENV)
    if explicit:
        return explicit
    if notebook is not None:
        try:
            return notebook.resolve().relative_to(ws.root).as_posix()
        except ValueError:
            return notebook.as_posix()
    return ws.name


def _experiment_id(client, ws, uri: str, name: str) -> str:
    """The id of experiment `name`, created (with its artifacts under the workspace state) when missing."""
    cached = _experiments.get((uri, name))
    if cached:
        return cached
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = None
        if is_local_sqlite(uri):
            import hashlib

            slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:60] or "experiment"
            folder = artifact_root(ws) / f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
            location = folder.as_uri()
        try:
            experiment_id = client.create_experiment(name, artifact_location=location)
        except MlflowException:   # another process created it in the meantime
            experiment_id = client.get_experiment_by_name(name).experiment_id
    else:
        experiment_id = experiment.experiment_id
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment_id)
    _experiments[(uri, name)] = experiment_id
    return experiment_id


class WorkbenchRun:
    """An open MLflow run with buffered metrics and automatic lineage. Made by `run(...)`."""

    enabled = True

    def __init__(self, ws, *, name: str | None, experiment: str | None, params: dict | None,
                 tags: dict | None, batch_size: int, flush_seconds: float, dataset_context: str):
        self.ws = ws
        self.name = name
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.dataset_context = dataset_context
        self.uri = tracking_uri(ws)
        self._params = params
        self._tags = tags
        self._experiment = experiment
        self._metrics: list = []
        self._pending_tags: dict[str, str] = {}
        self._oldest: float | None = None
        self._datasets: dict[str, str] = {}       # dataset -> digest logged in this run
        self._checks: dict[str, int] = {}         # check name -> times recorded (the metric step)
        self._lock = threading.Lock()
        self.id = ""   # MLflow's run id, known once `_start` opened the run

    # -- lifecycle -------------------------------------------------------------------------------
    def _start(self) -> WorkbenchRun:
        mlflow = import_mlflow()
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        if is_local_sqlite(self.uri):
            ensure_store(self.ws)   # normally done by `aios init`; cheap when it was
        mlflow.set_tracking_uri(self.uri)
        self.client = MlflowClient(self.uri)
        notebook = provenance.notebook_path(self.ws.root)
        self.experiment_name = self._experiment or _experiment_name(self.ws, notebook)
        self.experiment_id = _experiment_id(self.client, self.ws, self.uri, self.experiment_name)
        packages = provenance.installed_packages()
        tags = self._provenance_tags(notebook, packages)
        tags.update({key(k): str(v) for k, v in (self._tags or {}).items()})
        nested = mlflow.active_run() is not None
        started = mlflow.start_run(experiment_id=self.experiment_id, run_name=self.name, nested=nested, tags=tags)
        self.id = started.info.run_id
        self.name = started.info.run_name
        params = flatten_params({**provenance.job_parameters(), **(self._params or {})})
        if params:
            self.client.log_batch(self.id, params=[Param(k, v) for k, v in params.items()])
        self.client.log_text(self.id, "\n".join(packages) + "\n", "environment/packages.txt")
        return self

    def _provenance_tags(self, notebook: Path | None, packages: list[str]) -> dict[str, str]:
        user = provenance.current_user()
        tags = {"aios.workspace": self.ws.name, "aios.user": user, "mlflow.user": user,
                "aios.env.sha256": provenance.environment_digest(packages)}
        if notebook is not None:
            try:
                shown = notebook.resolve().relative_to(self.ws.root).as_posix()
            except ValueError:
                shown = str(notebook)
            tags.update({"aios.notebook.path": shown, "mlflow.source.name": shown, "mlflow.source.type": "NOTEBOOK"})
            digest = provenance.file_sha256(notebook)
            if digest:
                tags["aios.notebook.sha256"] = digest
        git = provenance.git_state(self.ws.root)
        if git is not None:
            tags.update({"aios.git.commit": git.commit, "aios.git.dirty": str(git.dirty).lower(),
                         "mlflow.source.git.commit": git.commit})
        job = provenance.job_context()   # a scheduled run: the worker finds it by these tags afterwards
        if job or provenance.job_parameters():
            tags["aios.job"] = "true"
            tags.update(job)
        return tags

    def end(self, status: str = "FINISHED") -> None:
        """Flush what is buffered and close the run (`FINISHED`, `FAILED` or `KILLED`)."""
        mlflow = import_mlflow()
        try:
            self.flush()
        except Exception:
            status = "FAILED"
            raise
        finally:
            active = mlflow.active_run()
            if active is not None and active.info.run_id == self.id:
                mlflow.end_run(status)
            else:
                self.client.set_terminated(self.id, status)
            _pop(self)

    # -- metrics and tags (buffered) -------------------------------------------------------------
    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Buffer one metric value; it reaches the store with the next batch."""
        self.log_metrics({name: value}, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Buffer several metric values with one timestamp and step."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        entries = []
        for name, value in metrics.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise UsageError(f"metric {name!r} has the non-numeric value {value!r}",
                                 fix="log numbers as metrics; use params or tags for text", input=name) from None
            entries.append(Metric(key(name), number, now, int(step or 0)))
        with self._lock:
            self._metrics.extend(entries)
            self._oldest = self._oldest or time.monotonic()
        self._maybe_flush()

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Buffer tags (written with the next metric batch)."""
        with self._lock:
            self._pending_tags.update({key(k): str(v) for k, v in tags.items()})
            self._oldest = self._oldest or time.monotonic()
        self._maybe_flush()

    def log_params(self, params: dict) -> None:
        """Log more parameters now (flattened; one store write)."""
        from mlflow.entities import Param

        flat = flatten_params(params)
        if flat:
            self.client.log_batch(self.id, params=[Param(k, v) for k, v in flat.items()])

    def _maybe_flush(self) -> None:
        pending = len(self._metrics) + len(self._pending_tags)
        if pending >= self.batch_size or (self._oldest and time.monotonic() - self._oldest >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        """Write buffered metrics and tags now, in one `log_batch` call."""
        from mlflow.entities import RunTag

        with self._lock:
            metrics, self._metrics = self._metrics, []
            tags, self._pending_tags = self._pending_tags, {}
            self._oldest = None
        if metrics or tags:
            self.client.log_batch(self.id, metrics=metrics, tags=[RunTag(k, v) for k, v in tags.items()])

    # -- artifacts and models --------------------------------------------------------------------
    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        """Copy a local file or folder into the run's artifacts."""
        self.client.log_artifact(self.id, str(path), artifact_path)

    def log_model(self, model, name: str = "model", *, flavor: str | None = None, **kwargs):
        """Log `model` with `mlflow.<flavor>.log_model` into this run (flavor guessed from the model's package)."""
        import importlib

        mlflow = import_mlflow()
        active = mlflow.active_run()
        if active is None or active.info.run_id != self.id:
            raise UsageError("this run is not MLflow's active run, so a model cannot be logged into it",
                             fix="call log_model inside `with wb.run(...)`, not after it ended", input=self.id)
        flavor = flavor or _guess_flavor(model)
        module = importlib.import_module(f"mlflow.{flavor}")
        pickled = logging.getLogger(f"mlflow.{flavor}")
        pickled.addFilter(_drop_pickle_warning)
        try:
            return module.log_model(model, name=name, **kwargs)
        finally:
            pickled.removeFilter(_drop_pickle_warning)

    # -- lineage and checks ----------------------------------------------------------------------
    def record_read(self, datasets: list[str], describe: Describe, *, context: str | None = None) -> None:
        """Log each governed dataset not yet logged in this run as an MLflow dataset input.

        `describe(dataset)` returns {"digest", "rows", "schema"} computed in the
        service (see `lineage.governed_describer`); no data passes through Python.
        A failing describe never fails the caller's query: it is logged and the
        run is tagged `aios.lineage.incomplete`."""
        new = [d for d in dict.fromkeys(datasets) if d not in self._datasets]
        inputs = []
        for dataset in new:
            try:
                description = describe(dataset)
                inputs.append(dataset_input(self.ws.name, dataset, description, context or self.dataset_context))
            except Exception as exc:  # noqa: BLE001
                log.warning("lineage of %s not recorded in run %s: %s", dataset, self.id, exc)
                self.set_tags({"aios.lineage.incomplete": "true"})
                continue
            self._datasets[dataset] = str(description["digest"])
        if inputs:
            self.client.log_inputs(self.id, datasets=inputs)

    @property
    def datasets(self) -> dict[str, str]:
        """Datasets recorded in this run: name -> digest."""
        return dict(self._datasets)

    def record_check(self, result) -> None:
        """Log a `CheckResult`: `check.<name>.passed` (0/1) and item counts as metrics, its dict as `checks/<name>.json`."""
        name = key(result.name).replace("/", "_")
        step = self._checks.get(name, 0)
        self._checks[name] = step + 1
        statuses = [item.status for item in result.items]
        self.log_metrics({
            f"check.{name}.passed": 1 if result.passed else 0,
            f"check.{name}.items": len(statuses),
            f"check.{name}.failed_items": sum(s in ("fail", "error") for s in statuses),
            f"check.{name}.warned_items": statuses.count("warn"),
        }, step=step)
        self.set_tags({f"check.{name}.status": result.status})
        data = result.to_dict()
        for item in data.get("items") or []:   # example rows stay in the governed ledger, never in MLflow
            detail = item.get("detail") or {}
            if "examples" in detail:
                detail["examples"] = f"{len(detail['examples'])} rows: in the ledger (aios check history), not in MLflow"
        self.client.log_text(self.id, json.dumps(data, indent=2, default=str), f"checks/{name}.json")

    def __repr__(self) -> str:
        return f"<WorkbenchRun {self.name!r} id={self.id} experiment={getattr(self, 'experiment_name', None)!r}>"


class DisabledRun:
    """Stands in for a run when tracking is optional and its server does not answer: every call is a no-op."""

    enabled = False
    id = None
    datasets: dict[str, str] = {}

    def __init__(self, name: str | None, uri: str):
        self.name = name
        self.uri = uri

    def _noop(self, *args, **kwargs) -> None:
        return None

    log_metric = log_metrics = set_tags = log_params = flush = log_artifact = log_model = _noop
    record_read = record_check = _noop

    def end(self, status: str = "FINISHED") -> None:
        _pop(self)

    def __repr__(self) -> str:
        return f"<DisabledRun {self.name!r}: tracking is off ({self.uri} unreachable)>"


def _drop_pickle_warning(record: logging.LogRecord) -> bool:
    """MLflow warns on every pickled scikit-learn model that unpickling runs code; a notebook shows it as a red
    block on each training run. The model goes to the workspace's own MLflow store, read back only by this
    workspace's users (`aios check explain`, `wb.explain`), so the warning is dropped where we log the model,
    and only that one message (skops, its alternative, needs every class of the model listed as trusted)."""
    return not str(record.msg).startswith("Saving scikit-learn models in the pickle or cloudpickle format")


_FLAVORS = {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost",
            "torch": "pytorch", "keras": "keras", "tensorflow": "tensorflow", "statsmodels": "statsmodels",
            "prophet": "prophet", "transformers": "transformers"}


def _guess_flavor(model) -> str:
    package = type(model).__module__.split(".", 1)[0]
    if package in _FLAVORS:
        return _FLAVORS[package]
    raise UsageError(f"cannot tell the MLflow flavor of a {type(model).__qualname__} from {package!r}",
                     fix="pass flavor=, e.g. run.log_model(model, flavor='sklearn') or 'pyfunc'", input=package)


def _pop(run) -> None:
    with _stack_lock:
        if run in _stack:
            _stack.remove(run)


class _RunOptions(TypedDict):
    """The options of a run, as `RunSpec` hands them to the `WorkbenchRun` it opens."""

    experiment: str | None
    params: dict | None
    tags: dict | None
    batch_size: int
    flush_seconds: float
    dataset_context: str


class RunSpec:
    """What `run(...)` returns: a context manager, a decorator, or `.start()` for a run spanning cells."""

    def __init__(self, name: str | None = None, *, experiment: str | None = None, params: dict | None = None,
                 tags: dict | None = None, workspace=None, batch_size: int = 1000, flush_seconds: float = 5.0,
                 dataset_context: str = "training"):
        self.name = name
        self.options = _RunOptions(experiment=experiment, params=params, tags=tags, batch_size=batch_size,
                                   flush_seconds=flush_seconds, dataset_context=dataset_context)
        self.workspace = workspace
        self._open: list = []

    def start(self) -> WorkbenchRun | DisabledRun:
        """Open the run and make it the active one; end it with `.end()`."""
        global _atexit_registered
        if not _atexit_registered:
            import atexit

            atexit.register(end_open_runs)   # a run left open in a notebook still gets its buffered metrics
            _atexit_registered = True
        ws = _load_workspace(self.workspace)
        uri = tracking_uri(ws)
        opened: WorkbenchRun | DisabledRun
        if not check_reachable(uri, required=ws.config.tracking.required):
            opened = DisabledRun(self.name, uri)
        else:
            opened = WorkbenchRun(ws, name=self.name, **self.options)._start()
        with _stack_lock:
            _stack.append(opened)
        return opened

    def __enter__(self):
        opened = self.start()
        self._open.append(opened)
        return opened

    def __exit__(self, exc_type, exc, tb) -> None:
        opened = self._open.pop()
        status = "FINISHED" if exc_type is None else "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED"
        opened.end(status)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        spec = RunSpec(self.name or fn.__name__, workspace=self.workspace, **self.options)

        @functools.wraps(fn)
        def tracked(*args: P.args, **kwargs: P.kwargs) -> R:
            with spec:
                return fn(*args, **kwargs)

        return tracked


@overload
def run(name: Callable[P, R], *, experiment: str | None = None, params: dict | None = None,
        tags: dict | None = None, workspace: Any = None, **options: Any) -> Callable[P, R]: ...
@overload
def run(name: str | None = None, *, experiment: str | None = None, params: dict | None = None,
        tags: dict | None = None, workspace: Any = None, **options: Any) -> RunSpec: ...


def run(name: str | Callable | None = None, *, experiment: str | None = None, params: dict | None = None,
        tags: dict | None = None, workspace: Any = None, **options: Any) -> RunSpec | Callable:
    """An MLflow run in the notebook's experiment: `with wb.run("name") as run:` or `@wb.run("name")`.

    `experiment` defaults to one per notebook (its path in the workspace; the
    workspace name outside notebooks), or what `set_experiment`/$AIOS_EXPERIMENT
    chose. `params` may be nested; they are flattened. Options: `batch_size`
    (metrics per store write, default 1000), `flush_seconds` (default 5),
    `dataset_context` (the context of recorded reads, default "training")."""
    if callable(name):   # bare @wb.run
        return RunSpec(None, experiment=experiment, params=params, tags=tags, workspace=workspace, **options)(name)
    return RunSpec(name, experiment=experiment, params=params, tags=tags, workspace=workspace, **options)


def end_open_runs() -> None:
    """End every run still open (flushing its buffer); the interpreter calls it at exit."""
    while _stack:
        _stack[-1].end("FINISHED")
