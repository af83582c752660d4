"""A job run's verdict, the one place it is decided for every surface: its status, except that a run whose
notebook succeeded while checks it recorded failed is `checks_failed`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aios_workbench.store import MetadataStore
from aios_workbench.store.models import CheckRun, CheckRunDataset
from aios_workbench.tracking.registry import DECISION_KINDS

CHECKS_FAILED = "checks_failed"   # a job run's verdict: its notebook succeeded, checks it recorded failed
FAILED_STATUSES = ("fail", "error")
_CHUNK = 900   # SQLite's bound-parameter limit


def job_run_verdict(status: str, checks_failed: int) -> str:
    """What a job run's outcome says: its status, except that a run whose notebook succeeded while checks it
    recorded failed is `checks_failed` (the notebook ran to its end; its data did not pass)."""
    return CHECKS_FAILED if status == "succeeded" and checks_failed else status


def _no_checks() -> dict[str, Any]:
    return {"total": 0, "failed": 0, "failed_kinds": []}


def of_job_runs(store: MetadataStore, run_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Per job run, the checks it recorded: {"total", "failed", "failed_kinds"} (a check failed when its
    status is fail or error; a warn-severity check reports, it does not fail). Statuses and kinds only:
    the runs themselves are read through the ledger's history, under its visibility."""
    ids = sorted({int(i) for i in run_ids})
    out: dict[int, dict[str, Any]] = {i: _no_checks() for i in ids}
    with store.session() as session:
        for chunk in range(0, len(ids), _CHUNK):
            query = (select(CheckRun.job_run_id, CheckRun.kind, CheckRun.name, CheckRun.status)
                     .where(CheckRun.job_run_id.in_(ids[chunk:chunk + _CHUNK]),
                            CheckRun.kind.not_in(DECISION_KINDS)))
            for run_id, kind, name, status in session.execute(query):
                figures = out[run_id or 0]
                figures["total"] += 1
                if status in FAILED_STATUSES:
                    figures["failed"] += 1
                    shown = "monitor" if str(name).startswith("monitor:") else kind
                    if shown not in figures["failed_kinds"]:
                        figures["failed_kinds"].append(shown)
    return out


def checks_of_run(session: Session, run_id: int) -> dict[str, Any]:
    """The checks one job run recorded, as its alert needs them (`scheduler.loop`): {"total", "failed" (count),
    "failed_checks" [{id, kind, name, status}], "datasets"}. The datasets are those of every check the run
    recorded: they decide who sees the alert, as a failed monitor's dataset decides who sees its alert."""
    rows = session.execute(select(CheckRun.id, CheckRun.kind, CheckRun.name, CheckRun.status)
                           .where(CheckRun.job_run_id == run_id, CheckRun.kind.not_in(DECISION_KINDS))
                           .order_by(CheckRun.id)).all()
    failed = [{"id": r.id, "kind": r.kind, "name": r.name, "status": r.status}
              for r in rows if r.status in FAILED_STATUSES]
    datasets: list[str] = []
    if rows:
        datasets = sorted(set(session.scalars(select(CheckRunDataset.dataset).where(
            CheckRunDataset.check_run_id.in_([r.id for r in rows])))))
    return {"total": len(rows), "failed": len(failed), "failed_checks": failed, "datasets": datasets}


def with_job_verdicts(store: MetadataStore, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`runs` (job run dicts with `id` and `status`) each with `checks` (`of_job_runs`) and `verdict`
    (`job_run_verdict`)."""
    figures = of_job_runs(store, (r["id"] for r in runs if r.get("id") is not None))
    for run in runs:
        checks = figures.get(run.get("id") or 0, _no_checks())
        run["checks"] = checks
        run["verdict"] = job_run_verdict(run["status"], checks["failed"])
    return runs
