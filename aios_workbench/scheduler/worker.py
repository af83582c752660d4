"""Execute one claimed job run: `run_job_run(workspace_root, run_id)`, or
`python -m aios_workbench.scheduler.worker RUN_ID --workspace ROOT` (what the local executor starts).

The scheduler has already set the run to 'running'. The worker opens its own WorkbenchService (so
governance is enforced in the worker's process, where the connector credentials are), runs the job
version's snapshot with the run's parameters, streams progress into the row, stops when the row asks
for it (cancel_requested, or no longer 'running'), and writes the outcome only while the row is still
'running': a scheduler that already declared the run lost wins.

Exit codes of the module: 0 when the outcome was recorded (whatever the notebook did, or the row was
already decided by someone else); otherwise the workbench's usual codes (64 usage, 66 no such run,
69 store unavailable, 78 configuration) or 1, with the reason on stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from aios_workbench.core.errors import NotFound, UsageError

log = logging.getLogger(__name__)

JOB_RUN_TAG = "aios.job.run_id"   # set by wb.run in a job kernel (tracking/run.py)


def _now() -> datetime:
    return datetime.now(UTC)


class _RunRow:
    """The job_runs row of one run, read and written in short transactions."""

    def __init__(self, store, run_id: int):
        self.store, self.run_id = store, run_id

    def update(self, *, only_running: bool = True, **values) -> bool:
        from sqlalchemy import update

        # lazy: SQLAlchemy models; worker's top level stays light (warm parent runs _skip_slow_imports first)
        from aios_workbench.store.models import JobRun

        query = update(JobRun).where(JobRun.id == self.run_id)
        if only_running:
            query = query.where(JobRun.status == "running")
        with self.store.session() as session, session.begin():
            return session.execute(query.values(**values)).rowcount == 1

    def should_stop(self) -> bool:
        """Cancel requested, decided by someone else (lost, cancelled), or deleted with its job."""
        from sqlalchemy import select

        # lazy: as in update: SQLAlchemy models kept off the worker's top level
        from aios_workbench.store.models import JobRun

        with self.store.session() as session:
            row = session.execute(select(JobRun.status, JobRun.cancel_requested)
                                  .where(JobRun.id == self.run_id)).first()
        return row is None or row.status != "running" or bool(row.cancel_requested)


def _load(store, run_id: int):
    """The run (which must be 'running'), its job and the job version it runs."""
    from sqlalchemy import select

    # lazy: as in _RunRow.update: SQLAlchemy models kept off the worker's top level
    from aios_workbench.store.models import Job, JobRun, JobVersion

    with store.session() as session:
        run = session.get(JobRun, run_id)
        if run is None:
            raise NotFound(f"job run {run_id} does not exist", fix="use a run id from `aios jobs history NAME`",
                           input=str(run_id))
        job = session.get(Job, run.job_id)
        version = session.scalars(select(JobVersion).where(JobVersion.job_name == job.name,
                                                           JobVersion.version == run.version)).first()
        session.expunge_all()
    if run.status != "running":
        raise UsageError(f"job run {run_id} is {run.status!r}, not 'running': nothing was executed",
                         fix="the scheduler claims a run (status 'running') before it starts a worker",
                         input=str(run_id))
    return run, job, version


def run_job_run(workspace_root: str | Path, run_id: int):
    """Execute job run `run_id` of the workspace at `workspace_root`; return its ExecutionResult."""
    # lazy: Papermill/nbclient, the service and the workspace load after _skip_slow_imports()
    from aios_workbench.jobs.execute import ExecutionResult, execute_notebook
    from aios_workbench.schemas.job_spec import JobSpec  # lazy: as above
    from aios_workbench.service.core import WorkbenchService  # lazy: as above
    from aios_workbench.workspace import Workspace  # lazy: as above

    workspace = Workspace.load(workspace_root)
    service = WorkbenchService(workspace, mode="job")
    try:
        run, job, version = _load(service.store, int(run_id))
        row = _RunRow(service.store, run.id)
        output_dir = workspace.state_dir / "jobs" / job.name / "runs" / str(run.id)
        problem = None
        if version is None:
            problem = f"job {job.name!r} has no version {run.version}"
        elif not Path(version.snapshot_path).is_file():
            problem = f"the snapshot of {job.name!r} version {run.version} is missing: {version.snapshot_path}"
        if problem:  # recorded like any failed run, so the scheduler's retry/alert policy applies
            result = ExecutionResult(ok=False, status="failed", error=f"{problem}; promote the notebook again")
        else:
            spec = JobSpec.model_validate(version.spec or job.spec)
            row.update(only_running=True, started_at=run.started_at or _now())
            _lineage(service, job, run, "START")
            result = execute_notebook(
                service, Path(version.snapshot_path), parameters={**spec.parameters, **(run.parameters or {})},
                identity=job.identity or spec.identity or "", output_dir=output_dir, kernel=spec.kernel,
                timeout=spec.timeout_seconds, cell_timeout=spec.cell_timeout_seconds, secrets=dict(spec.secrets),
                job_run_id=run.id, job_name=job.name, env={"AIOS_EXPERIMENT": _experiment(workspace, job.notebook)},
                progress=lambda done, total: row.update(cells_done=done, cells_total=total),
                should_cancel=row.should_stop)
        if not problem:
            _lineage(service, job, run, "COMPLETE" if result.ok else "FAIL", result)
        mlflow_run_id = _attach_to_mlflow(workspace, run.id, result.output_path) if result.output_path else None
        recorded = row.update(status=result.status, finished_at=_now(), error=result.error,
                              failing_cell=result.failing_cell, cells_done=result.cells_done,
                              cells_total=result.cells_total, mlflow_run_id=mlflow_run_id,
                              output_path=_text(result.output_path), html_path=_text(result.html_path),
                              log_path=_text(result.log_path))
        if not recorded:
            log.warning("job run %s ended %s, but its row was no longer 'running' (declared lost, cancelled or "
                        "deleted): the recorded outcome stands", run.id, result.status)
        return result
    finally:
        _flush_lineage(service)
        service.close()


def _flush_lineage(service, timeout: float = 10.0) -> None:
    """Send what is queued for an OpenLineage HTTP endpoint before the worker exits: its sender is a daemon
    thread, which the process's end would cut off (the lineage log file is written synchronously)."""
    try:
        service.queries.flush_lineage(timeout)
        for target in service.queries.lineage.targets:
            flush = getattr(target, "flush", None)
            if callable(flush):
                flush(timeout)
    except Exception:  # lineage is best-effort: the run's outcome is already recorded
        log.warning("lineage events of this worker may not all have been sent", exc_info=True)


def _lineage(service, job, run, event_type: str, result=None) -> None:
    """An OpenLineage START/COMPLETE/FAIL event of the job run; its inputs are the datasets it read, its
    outputs those it wrote (`wb.write`)."""
    # lazy: lineage package (catalog, DuckDB connectors) only when the run writes lineage
    from aios_workbench.lineage import job_event

    event = job_event(service.workspace.name, f"job:{job.name}", user=job.identity or job.created_by,
                      event_type=event_type, run_id=f"job-run:{run.id}",
                      inputs=result.datasets_read if result else (),
                      outputs=result.datasets_written if result else (), job_type="NOTEBOOK",
                      error=result.error if result and not result.ok else None)
    service.queries.lineage.emit(event)


def _experiment(workspace, notebook: str) -> str:
    """The job's runs go to the experiment of the notebook it was promoted from (as interactive runs do)."""
    path = Path(notebook)
    if path.is_absolute():
        try:
            return path.relative_to(workspace.root).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _attach_to_mlflow(workspace, run_id: int, output: Path) -> str | None:
    """Log the executed notebook into the MLflow runs the notebook opened (found by their job tag);
    the first run's id, or None when the notebook opened none. Never fails the job run."""
    try:
        ids = _mlflow_runs_of(workspace, run_id)
        if ids:
            from mlflow.tracking import MlflowClient

            # lazy: tracking store helpers only when the notebook opened MLflow runs
            from aios_workbench.tracking import tracking_uri

            client = MlflowClient(tracking_uri(workspace))
            for mlflow_run in ids:
                client.log_artifact(mlflow_run, str(output), "job")
        return ids[0] if ids else None
    except Exception:
        log.warning("the executed notebook of job run %s was not logged to MLflow", run_id, exc_info=True)
        return None


def _mlflow_runs_of(workspace, run_id: int) -> list[str]:
    """MLflow runs tagged with this job run, oldest first. A local SQLite store is read directly, so a
    notebook that never touched MLflow costs no MLflow import."""
    # lazy: tracking store helpers (sqlite3), no MLflow; only after a run
    from aios_workbench.tracking.store import _sqlite_path, is_local_sqlite, tracking_uri

    uri = tracking_uri(workspace)
    if is_local_sqlite(uri):
        import sqlite3

        db = _sqlite_path(uri)
        if not db.exists():
            return []
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute(
                "SELECT r.run_uuid FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid "
                "JOIN tags w ON w.run_uuid = r.run_uuid AND w.key = 'aios.workspace' AND w.value = ? "
                "WHERE t.key = ? AND t.value = ? ORDER BY r.start_time",
                (workspace.name, JOB_RUN_TAG, str(run_id))).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows]
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, filter_string=f"tags.`{JOB_RUN_TAG}` = '{int(run_id)}' and "
                                                         f"tags.`aios.workspace` = '{workspace.name}'",
                              order_by=["attributes.start_time ASC"])
    return [r.info.run_id for r in runs]


def main(argv: list[str] | None = None) -> int:
    import argparse

    # lazy: cheap (core.errors is imported at top); only main needs exit_code
    from aios_workbench.core.errors import WorkbenchError, exit_code

    parser = argparse.ArgumentParser(prog="python -m aios_workbench.scheduler.worker",
                                     description="Execute one job run the scheduler has claimed ('running').")
    parser.add_argument("run_id", type=int, help="the job run's id")
    parser.add_argument("--workspace", default=None, help="workspace root (default: $AIOS_WORKSPACE or upward)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    from aios_workbench.core.logs import setup_logging  # lazy: logging setup only for the command-line entry point

    setup_logging()
    _skip_slow_imports()
    try:
        result = run_job_run(args.workspace, args.run_id)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    if args.json:
        print(json.dumps(result.to_dict(), default=str))
    else:
        print(f"job run {args.run_id}: {result.status}" + (f": {result.error}" if result.error else ""))
    return 0


def _text(path: Path | None) -> str | None:
    """A path as the run row stores it; no path (or an empty one) as NULL."""
    return str(path) if path else None


def _skip_slow_imports() -> None:
    """jsonschema (which nbformat imports) builds some 38 Lark grammars of `rfc3987_syntax` on import: 1-3 s
    of CPU in every worker, for the `iri` formats no notebook schema uses (python-jsonschema/jsonschema#1428).
    A worker process only validates notebooks, so it goes without them (jsonschema treats the import as absent)."""
    # None in sys.modules makes an import fail (the import system's documented rule); typeshed allows modules only
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _exit(code: int) -> None:
    """End the worker process once its outcome is recorded and its service closed, without the interpreter's
    teardown of a large heap (0.5-1 s a run on a busy machine): what remains is flushing the output."""
    import logging
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
