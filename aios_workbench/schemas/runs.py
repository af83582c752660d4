"""Tracked experiment runs (MLflow): one page of run summaries, and a comparison of a few."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aios_workbench.schemas.base import Moment, Query, Reply


class RunsQuery(Query):
    experiment: str | None = Field(None, description="An experiment's name or id.")
    notebook: str | None = Field(None, description="Runs tagged with this notebook path.")
    filter: str | None = Field(None, description="MLflow search syntax, ANDed with the notebook.")
    order_by: str = Field("start_time DESC", description='One MLflow order clause, e.g. "metrics.rmse ASC".')
    limit: int = Field(50, ge=1, le=500)
    page_token: str | None = Field(None, description="The next_page_token of the previous page.")


class RunDataset(Reply):
    name: str
    digest: str
    context: str | None = Field(description="training, evaluation, ... as logged.")


class RunCheck(Reply):
    name: str
    passed: bool
    status: str


class RunChecks(Reply):
    """Outcomes of the checks logged on the run (`check.<name>.passed` metrics)."""

    status: Literal["none", "pass", "fail"]
    passed: int
    failed: int
    items: list[RunCheck]


class RunSummary(Reply):
    """One MLflow run as a table row: who and where, params, latest metrics, inputs and checks. Only runs the
    caller may see are listed: his own, those of experiments shared with him, all for auditors; and only
    when he may read every dataset the run read."""

    id: str
    name: str | None
    label: str = Field(description="A label no other run of the same answer has: the name, with the parameter "
                       "that tells same-named runs apart or a short id (tracking/run_labels.py).")
    experiment_id: str
    experiment: str
    status: str = Field(description="MLflow's run status: RUNNING, FINISHED, FAILED, KILLED, SCHEDULED.")
    start_time: Moment | None
    end_time: Moment | None
    user: str | None
    notebook: str | None
    params: dict[str, str]
    metrics: dict[str, float]
    datasets: list[RunDataset]
    checks: RunChecks
    withheld: str | None = Field(description="Why params, metrics and dataset digests are empty: the run's "
                                 "owner saw its data otherwise than the caller does. None: shown whole.")


class RunsPage(Reply):
    runs: list[RunSummary]
    next_page_token: str | None
    mlflow_ui: str | None = Field(None, description="Base URL of MLflow's UI (`aios mlflow`), for links to a "
                                  "run's page (`#/experiments/ID/runs/ID`) and artifacts; None: no UI to link.")


class CompareQuery(Query):
    ids: str = Field(description="2 to 10 comma-separated run ids.")
    metrics: str | None = Field(None, description="Comma-separated metric names to plot (at most 12).")


class RunComparison(Reply):
    """Parameters that differ between the runs, and their metric histories for plotting."""

    runs: list[RunSummary]
    params_diff: dict[str, dict[str, str | None]] = Field(description="Parameter -> run id -> value.")
    params_same: int = Field(description="How many parameters every run shares.")
    metrics: list[str] = Field(description="Every metric the runs logged.")
    histories: dict[str, dict[str, list[tuple[int, float]]]] = Field(
        description="Metric -> run id -> [step, value] points (thinned, the last one kept).")
    truncated: bool = Field(description="More metrics exist than were plotted.")
