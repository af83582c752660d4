"""Paged queries over a workspace's MLflow runs, summarised for tables and diffed for comparison.

`list_runs` asks MLflow for one page at a time (`search_runs` with `max_results` and a
page token), so a notebook with 10,000 runs costs the same as one with 50. `compare_runs`
diffs the parameters of a few runs and fetches their metric histories, thinned for plotting.
Both answer plain dicts: the REST routes (service/run_routes.py) send them as they are.

Both take an optional `Governor` (the service's rule of who sees which run, service/runs.py):
it may narrow the search in MLflow's own filter (`clause`) and judges each run (`judge`): hidden,
shown whole, or shown with its verdicts only. A governed page stays full: runs left out are made
up from the following ones, and the page token is MLflow's own offset token.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from aios_workbench.core.errors import NotFound, StoreError, UsageError
from aios_workbench.tracking.run_labels import labelled, short_id
from aios_workbench.tracking.store import tracking_uri

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from aios_workbench.workspace import Workspace

NOTEBOOK_TAG = "aios.notebook.path"
USER_TAG = "aios.user"
JOB_RUN_TAG = "aios.job.run_id"
LINEAGE_INCOMPLETE_TAG = "aios.lineage.incomplete"
READERS_TAG = "aios.readers"      # on an experiment: users (and `role:NAME`) its runs are shared with
AIOS_SOURCE_TYPE = "aios"         # tracking.lineage.SOURCE_TYPE: a governed dataset input
MAX_GOVERNED_FETCHES = 20         # MLflow pages read to fill one governed page before answering a short one
GOVERNED_TOKEN = "g1."            # a governed listing's page token (its own: it may go on in a narrower order)
CHECK_PREFIX = "check."
CHECK_PASSED_SUFFIX = ".passed"
DEFAULT_ORDER = "start_time DESC"
MAX_LIMIT = 500               # rows per page; a table shows far fewer
MAX_COMPARE_RUNS = 10         # runs diffed at once; each costs one get_run plus one history call per metric
MAX_COMPARE_METRICS = 12      # metric histories fetched per comparison when none are named
MAX_HISTORY_POINTS = 200      # points per (run, metric) series: enough for a small plot


@dataclass(frozen=True)
class RunFacts:
    """What the governance rule needs of one run: who owns it, where it lives, which governed datasets it
    logged as inputs, and whether its lineage is known to be complete."""

    run_id: str
    experiment_id: str
    owner: str | None
    datasets: tuple[str, ...]
    lineage_complete: bool


@dataclass(frozen=True)
class Access:
    """A run as one reader may see it: `full`, or its verdicts only (`reason` says why)."""

    full: bool
    reason: str | None = None


class Governor(Protocol):
    """Who sees which run (implemented by the service), for one reader `user`."""

    user: str

    def clause(self, experiments: Mapping[str, Mapping[str, str]]) -> str | None:
        """An MLflow filter clause every run this reader may see meets (None: no narrowing)."""

    def judge(self, facts: Sequence[RunFacts],
              experiments: Mapping[str, Mapping[str, str]]) -> list[Access | None]:
        """Per run: None (hidden), or how it is shown."""


def facts_of(run) -> RunFacts:
    """`RunFacts` of an MLflow `Run` entity."""
    tags = run.data.tags
    inputs = getattr(run, "inputs", None)
    datasets = tuple(d.dataset.name for d in (inputs.dataset_inputs if inputs else [])
                     if d.dataset.source_type == AIOS_SOURCE_TYPE)
    return RunFacts(run.info.run_id, run.info.experiment_id, tags.get(USER_TAG), datasets,
                    tags.get(LINEAGE_INCOMPLETE_TAG) != "true")


def facts_of_json(run: Mapping[str, Any]) -> RunFacts:
    """`RunFacts` of a run as MLflow's REST API answers it (`{"info": ..., "data": ..., "inputs": ...}`)."""
    info = run.get("info") or {}
    tags = {t.get("key"): t.get("value") for t in (run.get("data") or {}).get("tags") or []}
    inputs = (run.get("inputs") or {}).get("dataset_inputs") or []
    datasets = tuple(str((d.get("dataset") or {}).get("name")) for d in inputs
                     if (d.get("dataset") or {}).get("source_type") == AIOS_SOURCE_TYPE)
    return RunFacts(str(info.get("run_id") or info.get("run_uuid") or ""), str(info.get("experiment_id") or ""),
                    tags.get(USER_TAG), datasets, tags.get(LINEAGE_INCOMPLETE_TAG) != "true")


def withheld_summary(summary: dict, reason: str | None) -> dict:
    """A run summary reduced to who, where, when and its check verdicts: no params, metrics or digests."""
    return {**summary, "params": {}, "metrics": {},
            "datasets": [{**d, "digest": ""} for d in summary["datasets"]], "withheld": reason}


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
        "label": info.run_name or short_id(info.run_id),   # made unique within a listing by `labelled`
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
        "withheld": None,
    }


def experiment_tags(client) -> dict[str, dict[str, str]]:
    """Every active experiment's id -> its tags (sharing lives there: `aios.readers`)."""
    from mlflow.entities import ViewType

    return {e.experiment_id: dict(e.tags) for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY,
                                                                               max_results=50_000)}


def _experiments(client, experiment: str | None, *, list_names: bool = True,
                 ) -> tuple[list[str], dict[str, str], dict[str, dict[str, str]]]:
    """Ids to search, id -> name for labelling rows, and id -> tags; `experiment` is a name or an id. An
    unknown name's error lists the known ones unless `list_names` is false (a governed reader's)."""
    from mlflow.entities import ViewType

    found = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=50_000)
    known = {e.experiment_id: e.name for e in found}
    tags = {e.experiment_id: dict(e.tags) for e in found}
    if experiment is None:
        return list(known), known, tags
    ids = [i for i, name in known.items() if experiment in (name, i)]
    if not ids:
        shown = ", ".join(sorted(known.values())[:10]) or "none yet"
        fix = f"use one of: {shown}" if list_names else "name an experiment of a run you see in the list"
        raise NotFound(f"no MLflow experiment named {experiment!r}", fix=fix, input=experiment)
    return ids, known, tags


def owner_clause(user: str) -> str:
    """MLflow filter: runs whose workbench owner (the `aios.user` tag) is `user`."""
    return f"tags.`{USER_TAG}` = {_quote(user)}"


def _text(token) -> str | None:
    return (token.decode() if isinstance(token, bytes) else token) or None   # the SQL store answers bytes


def list_runs(ws, *, experiment: str | None = None, notebook: str | None = None, filter_string: str | None = None,
              order_by: str | None = DEFAULT_ORDER, limit: int = 50, page_token: str | None = None,
              governor: Governor | None = None) -> dict:
    """One page of runs, newest first by default: {"runs": [summary, ...], "next_page_token": str | None}.

    `notebook` keeps runs tagged with that notebook path; `filter_string` is MLflow's search
    syntax (ANDed with it); `order_by` one MLflow order clause such as "metrics.rmse ASC".
    With a `governor`, only the runs it lets through, each as it says."""
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}",
                         fix=f"ask for at most {MAX_LIMIT} runs and follow next_page_token", input=str(limit))
    from mlflow.exceptions import MlflowException

    client = mlflow_client(ws)
    clauses = [f"tags.`{NOTEBOOK_TAG}` = {_quote(notebook)}"] if notebook else []
    if filter_string and filter_string.strip():
        clauses.append(filter_string.strip())
    try:
        ids, names, tags = _experiments(client, experiment, list_names=governor is None)
        if not ids:
            return {"runs": [], "next_page_token": None}
        combined = " and ".join(clauses)   # MLflow's filter grammar has only AND
        order = [order_by] if order_by else None
        if governor is None:
            page = client.search_runs(ids, filter_string=combined, max_results=limit, order_by=order,
                                      page_token=page_token or None)
            return {"runs": labelled([summarise(r, names) for r in page]), "next_page_token": _text(page.token)}
        governed = _governed_page(client, ids, names, tags, combined, order, limit, page_token, governor)
        return {**governed, "runs": labelled(governed["runs"])}   # after withholding: labels use what is shown
    except MlflowException as exc:
        raise _translate(exc, what="run search", input=" and ".join(clauses) or order_by or "") from None


@dataclass
class _Position:
    """Where a governed listing stands: in MLflow's own order of every run (`all`), or of the reader's own runs
    only (`own`, MLflow filtering on the owner tag); `everything` and `own` count the runs before it in each."""

    stream: str = "all"
    everything: int = 0
    own: int = 0

    def token(self) -> str:
        payload = json.dumps({"s": self.stream, "a": self.everything, "o": self.own}, separators=(",", ":"))
        return GOVERNED_TOKEN + base64.urlsafe_b64encode(payload.encode()).decode()

    @classmethod
    def parse(cls, token: str | None) -> _Position:
        if not token:
            return cls()
        try:
            if not token.startswith(GOVERNED_TOKEN):
                raise ValueError(token)
            data = json.loads(base64.urlsafe_b64decode(token[len(GOVERNED_TOKEN):].encode()))
            position = cls(str(data["s"]), int(data["a"]), int(data["o"]))
            if position.stream not in ("all", "own") or position.everything < 0 or position.own < 0:
                raise ValueError(token)
            return position
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise UsageError("page_token is not one this listing gave", input=token[:80],
                             fix="pass the next_page_token of the previous page, or none for the first page") from None


def _governed_page(client, ids, names, tags, combined, order, limit, page_token, governor: Governor) -> dict:
    """Fill one page with the runs `governor` lets through.

    It reads MLflow's order of every run first (as the ungoverned listing does: a reader who owns most runs
    pays nothing more); when a read leaves the page short and the governor can narrow the search to the
    reader's own runs (`clause`), it goes on in that narrower order, which MLflow's tag filter makes dearer
    per run but which skips everyone else's. The token says where the next page goes on."""
    from mlflow.utils.search_utils import SearchUtils

    narrowing = governor.clause({i: tags[i] for i in ids})
    user = governor.user
    position = _Position.parse(page_token)
    if position.stream == "own" and not narrowing:
        position = _Position()   # sharing changed since the token was made: start again in the full order
    out: list[dict] = []
    size = limit
    for _ in range(MAX_GOVERNED_FETCHES):
        own_stream = position.stream == "own"
        offset = position.own if own_stream else position.everything
        token = _text(SearchUtils.create_page_token(offset)) if offset else None
        query = " and ".join(c for c in (combined, narrowing if own_stream else None) if c)
        page = client.search_runs(ids, filter_string=query, max_results=size, order_by=order, page_token=token)
        runs = list(page)
        facts = [facts_of(r) for r in runs]
        verdicts = governor.judge(facts, tags) if runs else []
        for index, (run, fact, access) in enumerate(zip(runs, facts, verdicts, strict=True)):
            if own_stream:
                position.own += 1
            else:
                position.everything += 1
                position.own += fact.owner is not None and fact.owner == user
            if access is not None:
                summary = summarise(run, names)
                out.append(summary if access.full else withheld_summary(summary, access.reason))
            if len(out) == limit:
                more = index + 1 < len(runs) or bool(_text(page.token))
                return {"runs": out, "next_page_token": position.token() if more else None}
        if not _text(page.token):
            return {"runs": out, "next_page_token": None}
        if narrowing and not own_stream:   # a short read: go on with the reader's own runs only
            position.stream = "own"
        size = max(limit, 200)
    return {"runs": out, "next_page_token": position.token()}   # a short page; the token goes on from here


def _unseen(run_id: str) -> NotFound:
    """The one answer for a run that does not exist and for one the reader may not see."""
    return NotFound(f"run {run_id} not found among the runs you may see", fix="check the run ids (see wb.runs())",
                    input=run_id)


def _thin(points: list, cap: int) -> list:
    """At most `cap` points, evenly spaced, always keeping the last (the value a table shows)."""
    if len(points) <= cap:
        return points
    stride = (len(points) - 1) / (cap - 1)
    return [points[round(i * stride)] for i in range(cap)]


def compare_runs(ws, run_ids: list[str], *, metrics: list[str] | None = None,
                 max_points: int = MAX_HISTORY_POINTS, governor: Governor | None = None) -> dict:
    """Parameters that differ between `run_ids` and the metric histories to plot them side by side.

    Answers {"runs": [summary], "params_diff": {key: {run_id: value | None}}, "params_same": int,
    "metrics": [names], "histories": {metric: {run_id: [[step, value], ...]}}, "truncated": bool}.
    With a `governor`, a run it hides is "not found", and one shown with its verdicts only takes no part
    in the diff and the histories."""
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
            if governor is not None and getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                raise _unseen(run_id) from None
            raise _translate(exc, what=f"run {run_id}", input=run_id) from None
    names, tags = {}, {}
    for run in runs:
        experiment_id = run.info.experiment_id
        if experiment_id not in names:
            found = client.get_experiment(experiment_id)
            names[experiment_id], tags[experiment_id] = found.name, dict(found.tags)
    summaries = [summarise(r, names) for r in runs]
    if governor is not None:
        verdicts = governor.judge([facts_of(r) for r in runs], tags)
        for run_id, access in zip(run_ids, verdicts, strict=True):
            if access is None:   # as if it did not exist: whether it does is not this reader's to know
                raise _unseen(run_id)
        summaries = [s if access is None or access.full else withheld_summary(s, access.reason)
                     for s, access in zip(summaries, verdicts, strict=True)]
    labelled(summaries)
    shown = [s for s in summaries if s["withheld"] is None]

    keys = sorted({k for s in shown for k in s["params"]})
    diff = {k: {s["id"]: s["params"].get(k) for s in shown} for k in keys
            if len({s["params"].get(k) for s in shown}) > 1}

    available = sorted({k for s in shown for k in s["metrics"]})
    chosen = [m for m in dict.fromkeys(metrics)] if metrics else available[:MAX_COMPARE_METRICS]
    truncated = not metrics and len(available) > MAX_COMPARE_METRICS
    if len(chosen) > MAX_COMPARE_METRICS:
        raise UsageError(f"at most {MAX_COMPARE_METRICS} metrics can be plotted at once, got {len(chosen)}",
                         fix="name fewer metrics", input=",".join(chosen))
    histories: dict[str, dict[str, list]] = {}
    for metric in chosen:
        series = {}
        for s in shown:
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


def run_entity(ws, run_id: str):
    """The MLflow `Run` `run_id` of the workspace's store; NotFound when there is none."""
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client(ws).get_run(run_id)
    except MlflowException as exc:
        raise _translate(exc, what=f"run {run_id}", input=run_id) from None


def experiments_owned_by(ws, user: str) -> set[str]:
    """Ids of the experiments holding at least one run `user` owns (the `aios.user` tag)."""
    from mlflow.entities import ViewType

    client = mlflow_client(ws)
    ids = list(experiment_tags(client))
    owned: set[str] = set()
    if not ids:
        return owned
    for experiment_id in ids:
        page = client.search_runs([experiment_id], filter_string=owner_clause(user), max_results=1,
                                  run_view_type=ViewType.ACTIVE_ONLY)
        if len(page):
            owned.add(experiment_id)
    return owned


__all__ = ["DEFAULT_ORDER", "MAX_COMPARE_RUNS", "MAX_LIMIT", "Access", "Governor", "RunFacts", "compare_runs",
           "experiment_tags", "experiments_owned_by", "facts_of", "facts_of_json", "list_runs", "owner_clause",
           "run_entity", "summarise", "withheld_summary"]
