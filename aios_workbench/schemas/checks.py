"""Governance checks: run one as the caller, the ledger's history, the declared suites, Evidently reports."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from aios_workbench.schemas.base import Body, CheckStatus, Integer, Moment, Query, Reply, Severity

Relation = Field(description="A dataset name or a parenthesised SELECT, read as the caller.")


class RunCheckRequest(Body):
    """A check to run as the caller. `kind` names any check of the checks registry, so a plugin's own
    parameters pass through to it (the built-in kinds' are listed); the check refuses what it cannot use."""

    model_config = ConfigDict(extra="allow")
    example: ClassVar[str] = '{"kind": "quality"}'

    kind: str = Field(description="quality, drift, fairness, monitor, or a plugin's kind.")
    mlflow_run_id: str | None = Field(None, description="The MLflow run the result belongs to: one the caller "
                                      "started (its aios.user tag), else refused.")
    notebook: str | None = Field(None, description="The notebook the result belongs to: a path inside the "
                                 "workspace's notebooks folder, else refused.")
    suites: list[str] | str | None = Field(None, description="quality: suite names (default: all).")
    name: str | None = Field(None, description="monitor: a monitor of governance/checks.yaml; others: a label.")
    reference: str | None = Field(None, description="drift: the reference relation.")
    current: str | None = Field(None, description="drift: the current relation.")
    columns: list[str] | None = None
    overrides: dict[str, Any] | None = Field(None, description="drift: per-column stat test and threshold.")
    categorical: list[str] | None = None
    wasserstein: Literal["exact", "histogram"] | None = Field(
        None, description="drift: Wasserstein distances computed exactly (default) or estimated from histograms "
        "with their error bound (for very large inputs).")
    relation: str | None = Field(None, description="fairness: the relation holding predictions.")
    y_true: str | None = None
    y_pred: str | None = None
    sensitive: list[str] | str | None = None
    thresholds: dict[str, Any] | None = None
    pos_label: Any = None


class CheckItem(Reply):
    """One assertion, or one column's test, inside a check."""

    name: str
    status: CheckStatus
    metrics: dict[str, Any] = Field(description="Numbers: failing_rows, p_value, statistic, ...")
    detail: dict[str, Any] = Field(description="Small extras: the test, its threshold, failing examples.")


class CheckResult(Reply):
    """One check's outcome as it was recorded in the ledger."""

    kind: str
    name: str
    items: list[CheckItem]
    inputs: dict[str, Any] = Field(description="What was read: dataset -> {rows, digest} or relation details.")
    params: dict[str, Any]
    required: bool
    severity: Severity
    started_at: Moment
    duration_s: float
    error: str | None
    status: CheckStatus
    passed: bool = Field(description="pass or warn.")
    ledger_id: int


class CheckResults(Reply):
    results: list[CheckResult] = Field(description="One per check (quality runs one per suite).")


class CheckHistoryQuery(Query):
    dataset: str | None = None
    name: str | None = None
    kind: str | None = None
    limit: int = Field(50, ge=1, le=500)
    before_id: int | None = Field(None, description="Keyset paging: the last id seen.")


class LedgerRun(Reply):
    """A check run as the caller may see it: only runs over datasets he may read, and their values (counts,
    statistics, labels, failing examples, inputs, params, error) only when his view of those datasets covers
    the view its runner had; otherwise its verdicts only, and `withheld` says why."""

    id: int
    at: Moment
    kind: str
    name: str
    status: CheckStatus
    passed: bool
    required: bool
    severity: Severity
    user: str
    datasets: list[str]
    inputs: dict[str, Any] | None
    params: dict[str, Any] | None
    items: list[CheckItem] | None
    error: str | None
    duration_s: float | None
    notebook: str | None
    job_run_id: int | None
    mlflow_run_id: str | None
    withheld: str | None = Field(description="Why only verdicts are shown (None: shown whole).")
    label: str = Field(description="The check's name as a person reads it (a monitor's or suite's name; what a "
                                   "drift or fairness check named after its SQL compares).")
    verdict: str = Field(description="A sentence saying what the check decided and which items decided it.")


class LedgerRuns(Reply):
    runs: list[LedgerRun] = Field(description="Newest first.")


class SuiteInfo(Reply):
    name: str
    dataset: str
    description: str
    required: bool
    severity: Severity
    rules: int = Field(description="How many rules the suite holds.")


class FixedPeriod(Reply):
    from_: str = Field(alias="from")
    to: str


class MonitorInfo(Reply):
    name: str
    dataset: str
    description: str
    time_column: str
    current: str = Field(description="A moving window, e.g. 7d.")
    reference: str | FixedPeriod = Field(description="A moving window, or fixed dates {from, to}.")
    severity: Severity


class CheckSuites(Reply):
    """The quality suites and moving-window monitors declared in governance/checks.yaml."""

    suites: list[SuiteInfo]
    monitors: list[MonitorInfo]


class EvidentlyRequest(Body):
    """Evidently's full drift report on governed reservoir samples (seconds to minutes)."""

    example: ClassVar[str] = '{"reference": "DATASET", "current": "(SELECT ...)"}'

    reference: str = Relation
    current: str = Relation
    columns: list[str] | None = None
    sample_rows: Integer = Field(100_000, json_schema_extra={"minimum": 1, "maximum": 1_000_000},
                                 description="Rows sampled from each side.")


class SampledRows(Reply):
    reference: int
    current: int


class EvidentlyReport(Reply):
    html: str = Field(description="The report, a self-contained HTML page (several MB).")
    rows: SampledRows
    sample_rows: int
    seconds: float
