"""The governance ledger: every check run, stored in the metadata store and read back newest first.

Each run is one `check_runs` row (kind, name, status, inputs, parameters,
per-item results, user, time, and the notebook / job run / MLflow run it
belongs to) plus one `check_run_datasets` row per dataset it read. The
datasets live in their own small table, not only in the `inputs` JSON, so
"history of this dataset" is an index range scan on (dataset, id) on SQLite
and PostgreSQL alike. Dataset keys are stored lower-case: the catalog resolves
names case-insensitively. Paging is keyset (`before_id`), never OFFSET.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from aios_workbench.checks.result import CheckResult
from aios_workbench.core.errors import UsageError
from aios_workbench.store.database import MetadataStore
from aios_workbench.store.models import CheckRun, CheckRunDataset

MAX_LIMIT = 500


def _when(started_at: str | None) -> datetime:
    if started_at:
        try:
            at = datetime.fromisoformat(started_at)
            return at if at.tzinfo else at.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _row_dict(run: CheckRun, datasets: list[str]) -> dict:
    return {
        "id": run.id, "at": run.at.isoformat(timespec="seconds"), "kind": run.kind, "name": run.name,
        "status": run.status, "passed": run.status in ("pass", "warn"), "required": run.required,
        "severity": run.severity, "user": run.user, "datasets": datasets, "inputs": run.inputs,
        "params": run.params, "items": run.items, "error": run.error, "duration_s": run.duration,
        "notebook": run.notebook, "job_run_id": run.job_run_id, "mlflow_run_id": run.mlflow_run_id,
    }


class Ledger:
    """Record check results and read their history, in one workspace's metadata store."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def record(self, result: CheckResult, *, user: str, notebook: str | None = None,
               job_run_id: int | None = None, mlflow_run_id: str | None = None) -> int:
        """Store `result` as run by `user`; return the new run's id."""
        data = result.to_dict()
        run = CheckRun(at=_when(result.started_at), kind=result.kind, name=result.name, status=result.status,
                       required=result.required, severity=result.severity, user=user,
                       inputs=data["inputs"], params=data["params"], items=data["items"], error=result.error,
                       duration=float(result.duration_s), notebook=notebook, job_run_id=job_run_id,
                       mlflow_run_id=mlflow_run_id)
        datasets = sorted({str(name).lower() for name in result.inputs})
        with self.store.session() as session, session.begin():
            session.add(run)
            session.flush()
            session.add_all(CheckRunDataset(check_run_id=run.id, dataset=d) for d in datasets)
            return run.id

    def history(self, *, dataset: str | None = None, name: str | None = None, kind: str | None = None,
                limit: int = 50, before_id: int | None = None) -> list[dict]:
        """Runs matching every filter given, newest first; pass the last id as `before_id` for the next page."""
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
