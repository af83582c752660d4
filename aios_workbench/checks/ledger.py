"""The governance ledger: every check run, stored in the metadata store and read back newest first.

Each run is one `check_runs` row (kind, name, status, inputs, parameters,
per-item results, user, time, and the notebook / job run / MLflow run it
belongs to) plus one `check_run_datasets` row per dataset it read. The
datasets live in their own small table, not only in the `inputs` JSON, so
"history of this dataset" is an index range scan on (dataset, id) on SQLite
and PostgreSQL alike. Dataset keys are stored lower-case: the catalog resolves
names case-insensitively. Paging is keyset (`before_id`), never OFFSET.

The datasets of a run are those its queries read (the service passes them), so a drift over two
SELECTs is filed under the tables they read. Beside the inputs the service stores how its runner saw
each dataset (`VIEWS_KEY`: masked columns, row filter digest); a reader gets the values only when his
own view covers that one (service/visibility.py). `history(scopes=...)` keeps, in SQL, only runs
whose every dataset falls under one of the reader's read-grant scopes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from aios_workbench.checks.result import CheckResult
from aios_workbench.core.errors import UsageError
from aios_workbench.store.database import MetadataStore
from aios_workbench.store.models import CheckRun, CheckRunDataset

MAX_LIMIT = 500
_OTHER = aliased(CheckRunDataset, name="other_dataset")   # one alias, so SQLAlchemy's statement cache hits
VIEWS_KEY = "aios:views"   # in `inputs`: dataset -> the runner's view of it (no dataset name holds a colon)


def _when(started_at: str | None) -> datetime:
    if started_at:
        try:
            at = datetime.fromisoformat(started_at)
            return at if at.tzinfo else at.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _row_dict(run: CheckRun, datasets: list[str]) -> dict:
    inputs = run.inputs
    views = None
    if isinstance(inputs, dict) and VIEWS_KEY in inputs:
        inputs = dict(inputs)
        views = inputs.pop(VIEWS_KEY)
    return {
        "id": run.id, "at": run.at.isoformat(timespec="seconds"), "kind": run.kind, "name": run.name,
        "status": run.status, "passed": run.status in ("pass", "warn"), "required": run.required,
        "severity": run.severity, "user": run.user, "datasets": datasets, "inputs": inputs,
        "params": run.params, "items": run.items, "error": run.error, "duration_s": run.duration,
        "notebook": run.notebook, "job_run_id": run.job_run_id, "mlflow_run_id": run.mlflow_run_id,
        "writer_views": views,
    }


def _under(column, scope: str):
    """SQL: the lower-case dataset name in `column` falls under grant scope `scope` (a source, source.schema
    or source.schema.dataset). A prefix compare with substr, not LIKE, so `_` and `%` in names are literal."""
    if scope.count(".") >= 2:
        return column == scope
    prefix = scope + "."
    return func.substr(column, 1, len(prefix)) == prefix


@functools.lru_cache(maxsize=256)
def _only_under(scopes: tuple[str, ...]):
    """SQL: the run read no dataset outside `scopes` (built once per set of scopes: a reader's page pays
    only the look-up)."""
    readable = or_(*(_under(_OTHER.dataset, s) for s in scopes)) if scopes else false()
    return ~exists().where(and_(_OTHER.check_run_id == CheckRun.id, ~readable))


class Ledger:
    """Record check results and read their history, in one workspace's metadata store."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def record(self, result: CheckResult, *, user: str, notebook: str | None = None,
               job_run_id: int | None = None, mlflow_run_id: str | None = None,
               datasets: Iterable[str] | None = None, views: dict | None = None) -> int:
        """Store `result` as run by `user`; return the new run's id. `datasets`: what its queries read (default:
        the keys of its inputs); `views`: how `user` saw each of them (stored with the inputs)."""
        data = result.to_dict()
        inputs = data["inputs"]
        if views is not None:
            inputs = {**inputs, VIEWS_KEY: views}
        run = CheckRun(at=_when(result.started_at), kind=result.kind, name=result.name, status=result.status,
                       required=result.required, severity=result.severity, user=user,
                       inputs=inputs, params=data["params"], items=data["items"], error=result.error,
                       duration=float(result.duration_s), notebook=notebook, job_run_id=job_run_id,
                       mlflow_run_id=mlflow_run_id)
        datasets = sorted({str(name).lower() for name in (result.inputs if datasets is None else datasets)})
        with self.store.session() as session, session.begin():
            session.add(run)
            session.flush()
            session.add_all(CheckRunDataset(check_run_id=run.id, dataset=d) for d in datasets)
            return run.id

    def history(self, *, dataset: str | None = None, name: str | None = None, kind: str | None = None,
                limit: int = 50, before_id: int | None = None, scopes: list[str] | None = None) -> list[dict]:
        """Runs matching every filter given, newest first; pass the last id as `before_id` for the next page.
        `scopes` (lower-case read-grant scopes) keeps only runs whose every dataset falls under one of them;
        None keeps every run."""
        if not 1 <= limit <= MAX_LIMIT:
            raise UsageError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}",
                             fix="page with before_id instead of asking for more", input=limit)
        query = select(CheckRun)
        if dataset is not None:
            query = query.join(CheckRunDataset, CheckRunDataset.check_run_id == CheckRun.id) \
                         .where(CheckRunDataset.dataset == dataset.lower())
        if name is not None:
            query = query.where(CheckRun.name == name)
        if kind is not None:
            query = query.where(CheckRun.kind == kind)
        if before_id is not None:
            query = query.where(CheckRun.id < before_id)
        if scopes is not None:
            query = query.where(_only_under(tuple(scopes)))
        query = query.order_by(CheckRun.id.desc()).limit(limit)
        with self.store.session() as session:
            runs = list(session.scalars(query))
            return self._with_datasets(session, runs)

    def latest(self, dataset: str) -> list[dict]:
        """The newest run of each check (kind, name) that read `dataset`, newest first: its current standing."""
        newest = (select(func.max(CheckRun.id))
                  .join(CheckRunDataset, CheckRunDataset.check_run_id == CheckRun.id)
                  .where(CheckRunDataset.dataset == dataset.lower())
                  .group_by(CheckRun.kind, CheckRun.name))
        with self.store.session() as session:
            runs = list(session.scalars(select(CheckRun).where(CheckRun.id.in_(newest)).order_by(CheckRun.id.desc())))
            return self._with_datasets(session, runs)

    def get(self, run_id: int) -> dict | None:
        """One run by id, or None."""
        with self.store.session() as session:
            run = session.get(CheckRun, run_id)
            return self._with_datasets(session, [run])[0] if run else None

    def datasets_of_mlflow_runs(self, run_ids: Iterable[str]) -> dict[str, set[str]]:
        """MLflow run id -> the datasets of the check runs recorded with it (its checks are facts about them)."""
        ids = sorted(set(run_ids))
        out: dict[str, set[str]] = {}
        if not ids:
            return out
        query = (select(CheckRun.mlflow_run_id, CheckRunDataset.dataset)
                 .join(CheckRunDataset, CheckRunDataset.check_run_id == CheckRun.id)
                 .where(CheckRun.mlflow_run_id.in_(ids)))
        with self.store.session() as session:
            for run_id, dataset in session.execute(query):
                if run_id is not None:
                    out.setdefault(run_id, set()).add(dataset)
        return out

    @staticmethod
    def _with_datasets(session, runs: list[CheckRun]) -> list[dict]:
        ids = [r.id for r in runs]
        names: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            rows = session.execute(select(CheckRunDataset.check_run_id, CheckRunDataset.dataset)
                                   .where(CheckRunDataset.check_run_id.in_(ids))
                                   .order_by(CheckRunDataset.dataset))
            for run_id, dataset in rows:
                names[run_id].append(dataset)
        return [_row_dict(r, names[r.id]) for r in runs]
