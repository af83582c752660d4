"""Paged queries over a workspace's MLflow runs, summarised for tables and diffed for comparison.

`list_runs` asks MLflow for one page at a time (`search_runs` with `max_results` and a
page token), so a notebook with 10,000 runs costs the same as one with 50. `compare_runs`
diffs the parameters of a few runs and fetches their metric histories, thinned for plotting.
Both answer plain dicts: the REST routes (service/run_routes.py) send them as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aios_workbench.core.errors import NotFound, StoreError, UsageError
from aios_workbench.tracking.store import tracking_uri

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from aios_workbench.workspace import Workspace

NOTEBOOK_TAG = "aios.notebook.path"
USER_TAG = "aios.user"
CHECK_PREFIX = "check."
CHECK_PASSED_SUFFIX = ".passed"
DEFAULT_ORDER = "start_time DESC"
MAX_LIMIT = 500               # rows per page; a table shows far fewer
MAX_COMPARE_RUNS = 10         # runs diffed at once; each costs one get_run plus one history call per metric
MAX_COMPARE_METRICS = 12      # metric histories fetched per comparison when none are named
MAX_HISTORY_POINTS = 200      # points per (run, metric) series: enough for a small plot


def mlflow_client(ws: Workspace) -> MlflowClient:
    """A client of the workspace's tracking store (importing MLflow takes seconds: done on first use)."""
    # lazy: no cost (tracking.store is imported at top); MLflow itself loads inside import_mlflow
    from aios_workbench.tracking.store import import_mlflow

    import_mlflow()  # sets MLflow's telemetry opt-out before MLflow is imported
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri(ws))


def _translate(exc: Exception, *, what: str, input: str):
    """An MlflowException as the workbench error a caller can act on."""
    code = getattr(exc, "error_code", "")
    message = getattr(exc, "message", None) or str(exc)
    if code == "INVALID_PARAMETER_VALUE":
        return UsageError(f"MLflow rejected the {what}: {message}",
                          fix="use MLflow's search syntax, e.g. metrics.rmse < 1 and params.alpha = '0.1'",
                          input=input)
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFound(f"{what} not found: {message}", fix="check the run ids (see wb.runs())", input=input)
    return StoreError(f"the MLflow store could not answer ({what}): {message}",
                      fix="check that the tracking store is reachable (`aios status`)", input=input)


def _quote(value: str) -> str:
    """`value` as an MLflow filter string literal (MLflow has no escape, so pick the quote it lacks)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise UsageError(f"cannot filter on {value!r}: it holds both quote characters",
                     fix="filter by experiment instead", input=value)


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


def _checks(metrics: dict[str, float], tags: dict[str, str]) -> dict:
    """Check outcomes from `check.<name>.passed` metrics (the latest value decides), with the status tag."""
    items = []
    for name, value in sorted(metrics.items()):
        if name.startswith(CHECK_PREFIX) and name.endswith(CHECK_PASSED_SUFFIX):
            check = name[len(CHECK_PREFIX):-len(CHECK_PASSED_SUFFIX)]
            passed = value >= 1
            items.append({"name": check, "passed": passed,
                          "status": tags.get(f"check.{check}.status", "pass" if passed else "fail")})
    failed = sum(not i["passed"] for i in items)
    return {"status": "none" if not items else "fail" if failed else "pass",
            "passed": len(items) - failed, "failed": failed, "items": items}


def summarise(run, experiment_names: dict[str, str]) -> dict:
    """One MLflow run as a table row: identity, who and where, params, latest metrics, inputs, checks."""
    info, data = run.info, run.data
    inputs = getattr(run, "inputs", None)
    datasets = [{"name": d.dataset.name, "digest": d.dataset.digest,
                 "context": next((t.value for t in d.tags if t.key == "mlflow.data.context"), None)}
                for d in (inputs.dataset_inputs if inputs else [])]
    return {
        "id": info.run_id,
        "name": info.run_name,
        "experiment_id": info.experiment_id,
        "experiment": experiment_names.get(info.experiment_id, info.experiment_id),
        "status": info.status,
        "start_time": _iso(info.start_time),
        "end_time": _iso(info.end_time),
        "user": data.tags.get(USER_TAG) or data.tags.get("mlflow.user"),
        "notebook": data.tags.get(NOTEBOOK_TAG),
        "params": dict(data.params),
        # check.* metrics are summarised under "checks", not repeated as metrics
        "metrics": {k: v for k, v in data.metrics.items() if not k.startswith(CHECK_PREFIX)},
        "datasets": datasets,
        "checks": _checks(data.metrics, data.tags),
    }


def _experiments(client, experiment: str | None) -> tuple[list[str], dict[str, str]]:
    """Ids to search and id -> name for labelling rows; `experiment` is a name or an id."""
    from mlflow.entities import ViewType

    known = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY,
                                                                         max_results=50_000)}
    if experiment is None:
        return list(known), known
    ids = [i for i, name in known.items() if experiment in (name, i)]
    if not ids:
        shown = ", ".join(sorted(known.values())[:10]) or "none yet"
        raise NotFound(f"no MLflow experiment named {experiment!r}", fix=f"use one of: {shown}", input=experiment)
    return ids, known


def list_runs(ws, *, experiment: str | None = None, notebook: str | None = None, filter_string: str | None = None,
              order_by: str | None = DEFAULT_ORDER, limit: int = 50, page_token: str | None = None) -> dict:
    """One page of runs, newest first by default: {"runs": [summary, ...], "next_page_token": str | None}.

    `notebook` keeps runs tagged with that notebook path; `filter_string` is MLflow's search
    syntax (ANDed with it); `order_by` one MLflow order clause such as "metrics.rmse ASC"."""
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}",
                         fix=f"ask for at most {MAX_LIMIT} runs and follow next_page_token", input=str(limit))
    from mlflow.exceptions import MlflowException

    client = mlflow_client(ws)
    clauses = [f"tags.`{NOTEBOOK_TAG}` = {_quote(notebook)}"] if notebook else []
    if filter_string and filter_string.strip():
        clauses.append(filter_string.strip())
    combined = " and ".join(clauses)   # MLflow's filter grammar has only AND
    try:
        ids, names = _experiments(client, experiment)
        if not ids:
            return {"runs": [], "next_page_token": None}
        page = client.search_runs(ids, filter_string=combined, max_results=limit,
                                  order_by=[order_by] if order_by else None, page_token=page_token or None)
    except MlflowException as exc:
        raise _translate(exc, what="run search", input=combined or order_by or "") from None
    token = page.token.decode() if isinstance(page.token, bytes) else page.token   # the SQL store answers bytes
    return {"runs": [summarise(r, names) for r in page], "next_page_token": token or None}


def _thin(points: list, cap: int) -> list:
    """At most `cap` points, evenly spaced, always keeping the last (the value a table shows)."""
    if len(points) <= cap:
        return points
    stride = (len(points) - 1) / (cap - 1)
    return [points[round(i * stride)] for i in range(cap)]


def compare_runs(ws, run_ids: list[str], *, metrics: list[str] | None = None,
                 max_points: int = MAX_HISTORY_POINTS) -> dict:
    """Parameters that differ between `run_ids` and the metric histories to plot them side by side.

    Answers {"runs": [summary], "params_diff": {key: {run_id: value | None}}, "params_same": int,
    "metrics": [names], "histories": {metric: {run_id: [[step, value], ...]}}, "truncated": bool}."""
    run_ids = list(dict.fromkeys(r.strip() for r in run_ids if r and r.strip()))
    if not 2 <= len(run_ids) <= MAX_COMPARE_RUNS:
        raise UsageError(f"compare needs 2 to {MAX_COMPARE_RUNS} distinct run ids, got {len(run_ids)}",
                         fix=f"select between 2 and {MAX_COMPARE_RUNS} runs", input=",".join(run_ids))
    from mlflow.exceptions import MlflowException

    client = mlflow_client(ws)
    runs = []
    for run_id in run_ids:
        try:
            runs.append(client.get_run(run_id))
        except MlflowException as exc:
            raise _translate(exc, what=f"run {run_id}", input=run_id) from None
    names = {}
    for run in runs:
        experiment_id = run.info.experiment_id
        if experiment_id not in names:
            names[experiment_id] = client.get_experiment(experiment_id).name
    summaries = [summarise(r, names) for r in runs]

    keys = sorted({k for s in summaries for k in s["params"]})
    diff = {k: {s["id"]: s["params"].get(k) for s in summaries} for k in keys
            if len({s["params"].get(k) for s in summaries}) > 1}

    available = sorted({k for s in summaries for k in s["metrics"]})
    chosen = [m for m in dict.fromkeys(metrics)] if metrics else available[:MAX_COMPARE_METRICS]
    truncated = not metrics and len(available) > MAX_COMPARE_METRICS
    if len(chosen) > MAX_COMPARE_METRICS:
        raise UsageError(f"at most {MAX_COMPARE_METRICS} metrics can be plotted at once, got {len(chosen)}",
                         fix="name fewer metrics", input=",".join(chosen))
    histories: dict[str, dict[str, list]] = {}
    for metric in chosen:
        series = {}
        for s in summaries:
            if metric not in s["metrics"]:
                continue
            try:
                points = client.get_metric_history(s["id"], metric)
            except MlflowException as exc:
                raise _translate(exc, what=f"history of {metric}", input=metric) from None
            ordered = sorted(points, key=lambda m: (m.step, m.timestamp))
            series[s["id"]] = [[m.step, m.value] for m in _thin(ordered, max(2, max_points))]
        histories[metric] = series
    return {"runs": summaries, "params_diff": diff, "params_same": len(keys) - len(diff),
            "metrics": available, "histories": histories, "truncated": truncated}


__all__ = ["DEFAULT_ORDER", "MAX_COMPARE_RUNS", "MAX_LIMIT", "compare_runs", "list_runs", "summarise"]
