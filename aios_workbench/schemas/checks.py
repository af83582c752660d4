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


class CheckOverviewQuery(Query):
    dataset: str | None = None
    kind: str | None = None
    notebook: str | None = Field(None, description="Only runs this notebook recorded (its path in Jupyter).")
    limit: int = Field(200, ge=1, le=500, description="How many of the newest runs are grouped.")


GroupStatus = Literal["pass", "warn", "fail", "error", "never"]


class CheckHistoryPoint(Reply):
    id: int
    at: Moment
    status: CheckStatus


class CheckLatest(Reply):
    """A check's newest run, in brief."""

    id: int
    at: Moment
    status: CheckStatus
    user: str
    verdict: str
    notebook: str | None
    kind: str
    required: bool = Field(description="A failure blocks promotion.")


class CheckGroup(Reply):
    """One check (a suite, a drift check, a monitor, a fairness check, an explanation) with its standing."""

    key: str = Field(description="kind:name, stable across runs.")
    category: Literal["quality", "drift", "monitor", "fairness", "explain"]
    label: str = Field(description="The check's name as a person reads it.")
    name: str
    datasets: list[str]
    latest: CheckLatest | None = Field(description="Its newest run; null when it never ran.")
    status: GroupStatus
    history: list[CheckHistoryPoint] = Field(description="Its newest runs (up to 20), newest first.")
    runs: int
    failed_runs: int
    description: str


class CategoryCount(Reply):
    checks: int
    failed: int


class CheckSummary(Reply):
    checks: int
    runs: int
    passed: int
    passed_with_warnings: int
    failed: int
    could_not_run: int
    not_run_yet: int
    failing: int
    by_category: dict[str, CategoryCount]
    sentence: str = Field(description="The counts in words, e.g. \"5 checks: 3 passed, 2 failed.\"")


class CheckOverview(Reply):
    """The caller's checks grouped by check, as the dashboard's Quality page shows them."""

    checks: list[CheckGroup] = Field(description="In category order (suites, drift, monitors, fairness, "
                                                 "explanations), newest first within one.")
    summary: CheckSummary
    newest_id: int | None = Field(description="The newest run read: poll `checks/history?limit=1` and reload "
                                              "when its id differs.")
    titles: dict[str, str] = Field(description="Each category's heading, e.g. drift: \"Drift checks\".")
    words: dict[str, str] = Field(description="Each status in words, e.g. warn: \"passed with warnings\".")


class DriftColumn(Reply):
    column: str
    status: CheckStatus
    verdict: str = Field(description="drifted, no drift or not tested.")
    test: str = Field(description="The statistical test, e.g. \"Wasserstein distance (normed)\".")
    statistic: str = Field(description="The statistic, formatted.")
    threshold: float | None
    why: str = Field(description="The verdict in words, e.g. \"drifted: 0.186 ≥ threshold 0.1\".")
    kind: str | None = Field(description="numeric or categorical.")
    distribution: dict[str, Any] | None = Field(description="Reference and current shares: {kind: histogram, lo, "
                                                            "hi, ref, cur} or {kind: categories, labels, ref, cur}.")


class DriftReport(Reply):
    tested: int
    drifted: list[str] = Field(description="The columns that drifted.")
    share: float | None = Field(description="Share of tested columns that drifted.")
    share_needed: float | None = Field(description="The share at which the dataset counts as drifted.")
    dataset_drifted: bool
    status: CheckStatus
    why: str = Field(description="The run's verdict sentence.")
    columns: list[DriftColumn] = Field(description="Drifted columns first.")
    skipped: dict[str, Any] = Field(description="Columns not tested, with why.")
    windows: dict[str, Any] | None = Field(description="A monitor's reference and current periods.")
    withheld: str | None


class CheckItemRow(Reply):
    name: str
    status: CheckStatus
    test: str = Field(description="The rule or test.")
    value: str
    why: str
    examples: list[dict[str, Any]] = Field(description="Failing example rows, masked as for the runner.")


class CheckReportQuery(Query):
    id: int = Field(ge=1, description="The ledger run's id.")


class CheckReport(Reply):
    """One run as a person reads it: `drift` for a drift run (monitors included), else `rows`."""

    run: LedgerRun
    drift: DriftReport | None
    rows: list[CheckItemRow] | None
