"""The dashboard's views: one list, used by `GET/POST dashboard/VIEW` and by the team-mode dashboard's
client (`RemoteDashboardData`), so a view, its arguments and its answer are written down once.

Each view is a method of `DashboardData` (service/dashboard/views.py) with the same name and arguments.
Arguments arrive as query parameters (GET) or a JSON body (POST); unknown ones are refused.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, create_model

from aios_workbench.schemas.actions import Action, ActionPage, ActionState
from aios_workbench.schemas.alerts import Alert, AlertCounts
from aios_workbench.schemas.apps import AppDetail, AppRunResult, AppSummary
from aios_workbench.schemas.base import Body, Id, Moment, Raw, Reply
from aios_workbench.schemas.catalog import Dataset, DatasetProfile, DatasetView, Lineage, PreviewPage, SearchHit
from aios_workbench.schemas.checks import CheckSuites, LedgerRun
from aios_workbench.schemas.jobs import JobRunChecks
from aios_workbench.schemas.models import ModelVersion
from aios_workbench.schemas.query import AuditRecord, AuditVerdict
from aios_workbench.schemas.runs import RunsPage

Limit = Annotated[int, Field(ge=1, le=500)]
Depth = Annotated[int, Field(ge=1, le=20)]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


Since = Annotated[Moment, BeforeValidator(_iso)]   # a datetime from a Python caller travels as ISO text


# -- arguments -----------------------------------------------------------------------------------

class ViewArguments(Body):
    """A view's arguments: query parameters of a GET, the JSON body of a POST."""

    unknown_message: ClassVar[str] = "{where} takes no argument {names}"
    unknown_fix: ClassVar[str] = "its arguments: {known}"
    example: ClassVar[str] = 'e.g. {"alert_id": 7}'


class NoArguments(ViewArguments):
    pass


class SearchArguments(ViewArguments):
    text: str
    limit: Limit = 50


class DatasetArguments(ViewArguments):
    dataset: str


class PreviewArguments(ViewArguments):
    dataset: str
    limit: Limit = 50
    after: str | None = None
    order_by: str | None = None
    descending: bool = False


class LineageArguments(ViewArguments):
    dataset: str
    depth: Depth = 3


class CheckHistoryArguments(ViewArguments):
    dataset: str | None = None
    name: str | None = None
    kind: str | None = None
    limit: Limit = 200
    before_id: Id | None = None


class CheckRunArguments(ViewArguments):
    run_id: Id


class AuditArguments(ViewArguments):
    user: str | None = None
    dataset: str | None = None
    action: str | None = None
    allowed: bool | None = None
    since: Since | None = None
    until: Since | None = None
    limit: Limit | None = None
    before_id: Id | None = None


class RunsArguments(ViewArguments):
    metric: str | None = None
    descending: bool = True
    limit: Limit = 50
    page_token: str | None = None
    experiment: str | None = None


class JobRunsArguments(ViewArguments):
    job: str | None = None
    limit: Limit = 200
    before_id: Id | None = None


class JobOutputArguments(ViewArguments):
    run_id: Id


class AlertsArguments(ViewArguments):
    state: Literal["open", "acknowledged", "resolved"] | None = None
    limit: Limit = 50
    before_id: Id | None = None


class AcknowledgeArguments(ViewArguments):
    alert_id: Id


class ActionsArguments(ViewArguments):
    state: ActionState | None = None
    limit: Limit = 30


class ActionArguments(ViewArguments):
    action_id: Id


class ApproveActionArguments(ViewArguments):
    action_id: Id
    payload: dict[str, Any] | None = None
    reason: str | None = None


class RejectActionArguments(ViewArguments):
    action_id: Id
    reason: str


class AppArguments(ViewArguments):
    name: str


class RunAppArguments(ViewArguments):
    name: str
    parameters: dict[str, Any] = {}


# -- answers only the dashboard gives ------------------------------------------------------------

class WhoAmI(Reply):
    user: str
    roles: list[str]
    is_auditor: bool


class PassRateDay(Reply):
    day: str
    runs: int
    pass_rate: float | None


class CatalogFigures(Reply):
    """The Overview's catalog figures over the datasets a user may read (computed by the service, so the
    dashboard never fetches the whole readable catalog to count it)."""

    readable: int = Field(description="Datasets the user may read.")
    catalog: int = Field(description="Datasets in the whole catalog.")
    columns: int = Field(description="Columns of the readable datasets.")
    classified: int = Field(description="Of those, columns with at least one classification.")
    classified_share: float | None
    with_pii: int = Field(description="Readable datasets with a column classified pii.*.")
    owned: int = Field(description="Readable datasets that name an owner.")
    owned_share: float | None


class CheckFigures(Reply):
    """Pass rate of the latest run of each check over readable datasets, and the daily pass rate."""

    checks: int
    passing: int
    failing: int
    pass_rate: float | None
    trend: list[PassRateDay]


class DashboardJob(Reply):
    name: str
    notebook: str
    version: int
    identity: str
    created_by: str
    paused: bool
    schedule: str
    next_run: Moment | None
    last_status: str | None
    last_verdict: str | None = Field(description="The last run's verdict: its status, or checks_failed.")
    last_run_at: Moment | None
    runs_30d: int
    failed_30d: int
    failure_rate: float | None


class DashboardJobRun(Reply):
    id: int
    job: str
    identity: str
    created_by: str
    version: int
    status: str
    verdict: str = Field(description="Its status, or checks_failed when the notebook succeeded and checks failed.")
    checks: JobRunChecks
    trigger: str
    trigger_words: str = Field(description='How it started, in words: "on schedule", "re-run of run 12".')
    attempt: int
    created_at: Moment | None
    started_at: Moment | None
    finished_at: Moment | None
    duration_s: float | None
    cells: str = Field(description='"done/total", or empty.')
    error: str = Field(description="The first 300 characters; (hidden) unless the caller may open the output.")
    has_output: bool


class JobHealthDay(Reply):
    day: str
    finished: int
    failed: int


class UpcomingRun(Reply):
    job: str
    at: Moment


class AlertTrendDay(Reply):
    day: str
    raised: int


CSV = Raw(("text/csv",), "The dataset as the caller sees it; header X-AIOS-Truncated: 1 when cut off.")
JOB_OUTPUT = Raw(("text/html", "application/x-ipynb+json"), "A job run's output, HTML sandboxed, else the notebook.")
FILES = Raw(CSV.media_types + JOB_OUTPUT.media_types, "csv: " + CSV.description + " job_output: " + JOB_OUTPUT.description)


# -- the one list --------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """One dashboard view: its name (the `DashboardData` method), its arguments, what it answers, and
    whether it is read (GET) or writes an audit record or an acknowledgement (POST)."""

    name: str
    arguments: type[ViewArguments]
    result: Any
    verb: Literal["get", "post"] = "get"

    @property
    def raw(self) -> bool:
        """Whether the view answers bytes (CSV, an output notebook) instead of `{"result": ...}`."""
        return isinstance(self.result, Raw)

    @property
    def reply(self) -> type[Reply] | Raw:
        """The JSON answer's model, `{"result": <result>}`, or the raw content it answers."""
        return self.result if self.raw else _REPLIES[self.name]


VIEWS: dict[str, View] = {view.name: view for view in (
    View("whoami", NoArguments, WhoAmI),
    View("datasets", NoArguments, list[Dataset]),
    View("catalog_figures", NoArguments, CatalogFigures),
    View("search", SearchArguments, list[SearchHit]),
    View("explain", DatasetArguments, DatasetView),
    View("preview", PreviewArguments, PreviewPage),
    View("profile", DatasetArguments, DatasetProfile),
    View("lineage", LineageArguments, Lineage),
    View("csv", DatasetArguments, CSV),
    View("check_history", CheckHistoryArguments, list[LedgerRun]),
    View("check_run", CheckRunArguments, LedgerRun),
    View("check_figures", NoArguments, CheckFigures),
    View("declared_checks", NoArguments, CheckSuites),
    View("audit", AuditArguments, list[AuditRecord]),
    View("runs", RunsArguments, RunsPage),
    View("model_versions", NoArguments, list[ModelVersion]),
    View("jobs", NoArguments, list[DashboardJob]),
    View("job_runs", JobRunsArguments, list[DashboardJobRun]),
    View("job_health", NoArguments, list[JobHealthDay]),
    View("upcoming", NoArguments, list[UpcomingRun]),
    View("job_output", JobOutputArguments, JOB_OUTPUT),
    View("alerts", AlertsArguments, list[Alert]),
    View("alert_counts", NoArguments, AlertCounts),
    View("alert_trend", NoArguments, list[AlertTrendDay]),
    View("actions", ActionsArguments, ActionPage),
    View("action", ActionArguments, Action),
    View("apps", NoArguments, list[AppSummary]),
    View("app", AppArguments, AppDetail),
    View("login", NoArguments, WhoAmI, "post"),
    View("verify_audit_chain", NoArguments, AuditVerdict, "post"),
    View("acknowledge", AcknowledgeArguments, Alert, "post"),
    View("approve_action", ApproveActionArguments, Action, "post"),
    View("reject_action", RejectActionArguments, Action, "post"),
    View("run_app", RunAppArguments, AppRunResult, "post"),
)}


def _reply_model(view: View) -> type[Reply]:
    name = "Dashboard" + "".join(part.title() for part in view.name.split("_")) + "Result"
    return create_model(name, __base__=Reply, __doc__=f"The answer of dashboard/{view.name}.",
                        result=(view.result, ...))


_REPLIES: dict[str, type[Reply]] = {view.name: _reply_model(view) for view in VIEWS.values() if not view.raw}


def views(verb: str) -> list[View]:
    """The views answered to `verb` (get or post), in the list's order."""
    return [view for view in VIEWS.values() if view.verb == verb]


def union(types: Iterable[Any]) -> Any:
    """`A | B | ...` of distinct `types`, in order (what one route answers or takes across its views)."""
    return functools.reduce(operator.or_, dict.fromkeys(types))
