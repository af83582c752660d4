"""MLflow runs as a caller reads them: paged lists, one run, comparisons; the workspace's tracking store.

Runs are private to their readers, by one rule applied here for every listing and comparison
(REST `runs`, `runs/compare`, the dashboard's Experiments page, `wb.runs()`, and `aios mlflow`'s
UI through its proxy, surfaces/rest/mlflow_proxy.py):

- a run is seen by its owner (the `aios.user` tag `wb.run` sets), by auditors, and by the users and
  roles its experiment is shared with (the experiment tag `aios.readers`, e.g. "bob, role:analyst");
- and only by readers who may read every governed dataset it logged as an input or filed a check
  under (the ledger's rows with its run id);
- its params, metrics, metric histories and artifacts go only to its owner and to readers whose
  view of those datasets covers the owner's (service/visibility.py); others see who ran it, when,
  and its check verdicts. A run that logged no governed dataset (or whose lineage is incomplete)
  counts as having read anything its owner may read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aios_workbench.checks.ledger import Ledger
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.service.visibility import Reader, Views
from aios_workbench.tracking import runs_query
from aios_workbench.tracking.runs_query import (
    DEFAULT_ORDER,
    JOB_RUN_TAG,
    MAX_COMPARE_RUNS,
    MAX_LIMIT,
    READERS_TAG,
    USER_TAG,
    Access,
    RunFacts,
    facts_of_json,
)
from aios_workbench.tracking.store import ensure_store
from aios_workbench.tracking.ui_server import Backend

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

# The paging and comparison limits a surface checks its parameters against.
__all__ = ["DEFAULT_ORDER", "MAX_COMPARE_RUNS", "MAX_LIMIT", "RUN_ID", "RunGovernor", "RunsManager",
           "create_tracking_store", "facts_of_json", "mlflow_ui_backend"]   # facts_of_json: for aios mlflow's proxy

RUN_ID = re.compile(r"[0-9a-f]{32}")


def shared_with(tags: Mapping[str, str], reader: Reader) -> bool:
    """Whether an experiment's `aios.readers` tag names `reader`, or `role:R` for one of his roles."""
    entries = {e.strip() for e in re.split(r"[,\s]+", tags.get(READERS_TAG, "")) if e.strip()}
    return reader.user in entries or any(f"role:{role}" in entries for role in reader.principal.roles)


class RunGovernor:
    """The rule above for one reader (a `runs_query.Governor`)."""

    def __init__(self, service: WorkbenchService, reader: Reader):
        self.service = service
        self.reader = reader
        self.user = reader.user

    def clause(self, experiments: Mapping[str, Mapping[str, str]]) -> str | None:
        """The search narrowed to the reader's own runs, when nothing else could show: not an auditor, and
        none of the experiments searched is shared with him (MLflow's filter has no OR). A listing uses it
        once a read of every run left its page short."""
        if self.reader.auditor or any(shared_with(tags, self.reader) for tags in experiments.values()):
            return None
        return runs_query.owner_clause(self.reader.user)

    def judge(self, facts: Sequence[RunFacts], experiments: Mapping[str, Mapping[str, str]]) -> list[Access | None]:
        linked = Ledger(self.service.store).datasets_of_mlflow_runs(f.run_id for f in facts)
        return [self.access(f, experiments.get(f.experiment_id, {}), linked.get(f.run_id, set())) for f in facts]

    def access(self, facts: RunFacts, experiment_tags: Mapping[str, str], checked: set[str]) -> Access | None:
        reader = self.reader
        datasets = {d.lower() for d in facts.datasets} | checked
        if not reader.may_read_all(datasets):
            return None
        own = facts.owner is not None and facts.owner == reader.user
        if not (own or reader.auditor or shared_with(experiment_tags, reader)):
            return None
        if own:
            return Access(True)
        owner = facts.owner or ""
        if datasets and facts.lineage_complete:
            if reader.covers(owner, sorted(datasets)):
                return Access(True)
            return Access(False, f"values withheld: {owner or 'its owner'} read {', '.join(sorted(datasets))} with "
                                 "other masks or another row filter than yours; only who, when and its check "
                                 "verdicts are shown")
        if facts.owner and reader.dominates(owner):
            return Access(True)
        return Access(False, f"values withheld: the run does not say which datasets it read, and "
                             f"{owner or 'its unknown owner'} may see data you may not; only who, when and its "
                             "check verdicts are shown")


class RunsManager:
    """Experiment-run reads of one workspace, each as a named reader."""

    def __init__(self, service: WorkbenchService):
        self.service = service
        self.views = Views(service)

    def governor(self, user: str) -> RunGovernor:
        """The visibility rule for `user` (an unknown user is refused: deny by default)."""
        return RunGovernor(self.service, self.views.reader(user))

    def page(self, user: str, *, experiment: str | None = None, notebook: str | None = None,
             filter_string: str | None = None, order_by: str | None = DEFAULT_ORDER, limit: int = 50,
             page_token: str | None = None) -> dict[str, Any]:
        """One page of the run summaries `user` may see, newest first by default, the token of the next, and
        where MLflow's UI is (for links)."""
        page = runs_query.list_runs(self.service.workspace, experiment=experiment, notebook=notebook,
                                    filter_string=filter_string, order_by=order_by, limit=limit,
                                    page_token=page_token, governor=self.governor(user))
        return {**page, "mlflow_ui": self.mlflow_ui_url()}

    def mlflow_ui_url(self) -> str | None:
        """Base URL of MLflow's UI as people open it (`tracking.ui_url`, `aios mlflow`'s default address)."""
        url = (self.service.workspace.config.tracking.ui_url or "").strip().rstrip("/")
        return url or None

    def compare(self, user: str, run_ids: list[str], *, metrics: list[str] | None = None) -> dict[str, Any]:
        """The parameters that differ between a few runs `user` may see and their metric histories."""
        return runs_query.compare_runs(self.service.workspace, run_ids, metrics=metrics,
                                       governor=self.governor(user))

    def access(self, user: str, runs: Sequence[RunFacts],
               experiments: Mapping[str, Mapping[str, str]] | None = None) -> list[Access | None]:
        """How `user` may see each run (None: not at all); for surfaces that hold MLflow's own answers."""
        if experiments is None:
            experiments = runs_query.experiment_tags(runs_query.mlflow_client(self.service.workspace))
        return self.governor(user).judge(runs, experiments)

    def run_access(self, user: str, run_id: str) -> Access | None:
        """How `user` may see run `run_id` (None: not at all, or there is no such run)."""
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            return None
        try:
            run = runs_query.run_entity(self.service.workspace, run_id)
        except NotFound:
            return None
        experiment = runs_query.mlflow_client(self.service.workspace).get_experiment(run.info.experiment_id)
        return self.access(user, [runs_query.facts_of(run)], {experiment.experiment_id: dict(experiment.tags)})[0]

    def visible_experiments(self, user: str) -> set[str] | None:
        """Ids of the experiments whose names `user` may see (None: all, for auditors): those shared with him
        and those holding a run of his."""
        governor = self.governor(user)
        if governor.reader.auditor:
            return None
        ws = self.service.workspace
        tags = runs_query.experiment_tags(runs_query.mlflow_client(ws))
        shared = {i for i, t in tags.items() if shared_with(t, governor.reader)}
        return shared | runs_query.experiments_owned_by(ws, user)

    def check_link(self, user: str, run_id: object, *, job_run_id: int | None = None) -> None:
        """Refuse to link a result to MLflow run `run_id` unless `user` owns it (its `aios.user` tag) or it
        belongs to his job run `job_run_id`."""
        fix = "send the id of the wb.run you started (run.id), or leave mlflow_run_id out"
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise UsageError(f"mlflow_run_id {str(run_id)[:80]!r} is not an MLflow run id (32 hexadecimal "
                             "characters)", fix=fix, input=str(run_id)[:80])
        try:
            run = runs_query.run_entity(self.service.workspace, run_id)
        except NotFound:
            run = None
        if run is None or run.info.lifecycle_stage != "active":
            raise UsageError(f"mlflow_run_id {run_id}: there is no such MLflow run in this workspace's tracking "
                             "store", fix=fix, input=run_id)
        tags = run.data.tags
        if tags.get(USER_TAG) == user:
            return
        if job_run_id is not None and tags.get(JOB_RUN_TAG) == str(job_run_id):
            return
        raise PermissionDenied(f"mlflow_run_id {run_id} is not a run of {user}: a check is filed only under an "
                               "MLflow run its caller started", fix=fix, input=run_id)

    def warm_up(self) -> None:
        """Import MLflow and open a client on the tracking store (seconds), so the first read does not pay."""
        runs_query.mlflow_client(self.service.workspace)


def create_tracking_store(workspace: Workspace) -> str:
    """Create or migrate the workspace's MLflow store (seconds, once: do it at `aios init`); its tracking URI."""
    return ensure_store(workspace)


def mlflow_ui_backend(workspace: Workspace) -> Backend:
    """MLflow's own server on the workspace's local tracking store, started on a private Unix socket (for
    `aios mlflow`, whose proxy authenticates and governs every request); `wait_ready()`, then `stop()`."""
    return Backend(workspace)
