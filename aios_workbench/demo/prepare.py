"""`aios demo`: make a workspace ready to explore, data and stores included, its daily jobs promoted and the
procurement story (supply-risk model, its alert, the decision app) prepared."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aios_workbench.core.errors import ConnectorError, UsageError, WorkbenchError
from aios_workbench.demo.generate import generate_demo_data
from aios_workbench.demo.story import (
    DEMO_SCIENTIST,
    MONITOR_JOB,
    SUPPLY_RISK_JOB,
    SWITCH_SUPPLIERS_APP,
    DemoJob,
    ensure_supply_risk_model,
    publish_app,
)
from aios_workbench.jobs.notebook import VOLATILE_CELL_METADATA, load_notebook
from aios_workbench.store import open_store


def prepare_demo(ws, *, seed: int = 7, scale: float = 1.0, progress: bool = True, jobs: bool = False) -> dict:
    """Generate the procurement data into the state folder (skipped when already
    there for this seed and scale), migrate the metadata store, and check that
    every declared source answers. `jobs`: also promote the demo's daily jobs and prepare
    the procurement story (`prepare_jobs`); `aios demo` does, test fixtures (copies that
    start with no jobs, models and alerts) do not."""
    # lazy: connector engines (DuckDB, drivers): only prepare_demo needs them
    from aios_workbench.connectors.health import check_connector

    def step(message: str) -> None:
        if progress:
            click.echo(f"  {message}", err=True)

    try:
        step("generating procurement data (suppliers, purchase orders, shipments, external signals)")
        manifest = generate_demo_data(ws.state_dir / "demo-data", seed=seed, scale=scale)
    except (ValueError, FileExistsError) as exc:
        raise UsageError(str(exc), fix="use a seed >= 0 and a scale in (0, 100]; remove a folder that is "
                         "not demo data from .aios/demo-data", input=f"seed={seed} scale={scale}") from None
    step("migrating the metadata store and scanning the catalog")
    # lazy: catalog scan pulls in the connector engines; only prepare_demo needs it
    from aios_workbench.catalog import scan_catalog

    store = open_store(ws.metadata_url)
    try:
        scan = scan_catalog(ws, store)
    finally:
        store.close()
    step("creating the MLflow tracking store (once; its migrations take a few seconds)")
    # lazy: tracking-store helpers (MLflow); only prepare_demo needs them
    from aios_workbench.tracking import ensure_store

    tracking = ensure_store(ws)
    step("checking the data sources")
    health = [check_connector(d, workspace_root=ws.root, extension_dir=ws.extension_dir) for d in ws.connectors]
    broken = [h for h in health if not h.ok]
    if broken:
        raise ConnectorError(
            "demo sources do not answer: " + "; ".join(f"{h.name}: {h.error}" for h in broken),
            fix="check connectors/*.yaml against the generated files in .aios/demo-data", input=broken[0].name)
    prepared = prepare_jobs(ws, progress=progress) if jobs else {"jobs": [], "models": [], "apps": []}
    return {
        "workspace": str(ws.root),
        "data_dir": str(manifest.root),
        "seed": manifest.seed,
        "scale": manifest.scale,
        "tables": dict(manifest.row_counts),
        "sources": [h.to_dict() for h in health],
        "catalog": scan.to_dict(),
        "tracking_uri": tracking,
        **prepared,
    }


def prepare_jobs(ws, *, progress: bool = True) -> dict:
    """The daily monitoring job; the supply-risk model (trained, approved, champion), its daily scoring job
    (whose validation run raises the risk alert); and the app `switch_suppliers` when its notebook exists."""

    def say(message: str) -> None:
        if progress:
            click.echo(f"  {message}", err=True)

    jobs = [promote_demo_job(ws, progress=progress)]
    model = ensure_supply_risk_model(ws, say=say)
    if model["status"] in ("champion", "unchanged"):
        jobs.append(promote_demo_job(ws, progress=progress, job=SUPPLY_RISK_JOB))
    apps = []
    if (ws.root / SWITCH_SUPPLIERS_APP.notebook).is_file():
        promoted = promote_demo_job(ws, progress=progress, job=SWITCH_SUPPLIERS_APP)
        jobs.append(promoted)
        if promoted["status"] not in ("error", "refused", "skipped"):
            apps.append(publish_app(ws, SWITCH_SUPPLIERS_APP, say=say))
    return {"jobs": jobs, "models": [model], "apps": apps}


def running_version(store, name: str) -> tuple[str, Path] | None:
    """(digest, snapshot path) of the version job `name` runs; None when there is no such job."""
    from sqlalchemy import select

    # lazy: ORM models, loaded with sqlalchemy.select above only for this lookup
    from aios_workbench.store.models import Job, JobVersion

    with store.session() as session:
        row = session.execute(select(JobVersion.digest, JobVersion.snapshot_path)
                              .join(Job, Job.name == JobVersion.job_name)
                              .where(Job.name == name, JobVersion.version == Job.version)).first()
    return (row.digest, Path(row.snapshot_path)) if row else None


def _content(path: Path) -> dict | None:
    """The notebook's JSON without what promotion ignores (outputs, execution counts, volatile cell metadata,
    how sources are split into lines); None when unreadable. Equal contents mean equal digests, and reading
    them needs no nbformat, whose import (jsonschema's grammars) costs seconds."""

    try:
        data = json.loads(path.read_bytes())
        cells = []
        for cell in data["cells"]:
            cell = {k: v for k, v in cell.items() if k not in ("outputs", "execution_count")}
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
            cell["metadata"] = {k: v for k, v in (cell.get("metadata") or {}).items()
                                if k not in VOLATILE_CELL_METADATA}
            cells.append(cell)
        return {**data, "cells": cells}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def promote_demo_job(ws, *, progress: bool = True, job: DemoJob = MONITOR_JOB) -> dict:
    """Promote `job.notebook` as job `job.name` as alice (by default `notebooks/04_monitor_shipments.ipynb` as
    the daily job `monitor_shipments`, 07:00 UTC), unless the job already runs this content: promotion's
    validation run takes ~10 s, and `aios demo --prepare-only` runs on every `./workbench start` and
    `./workbench test`.

    A refused promotion is reported (every failed gate's reason), not raised: the demo stays usable."""

    def say(message: str) -> None:
        if progress:
            click.echo(f"  {message}", err=True)

    result = {"job": job.name, "notebook": job.notebook}
    path = ws.root / job.notebook
    if not path.is_file():
        say(f"no {job.notebook} in this workspace: job {job.name} not promoted")
        return {**result, "status": "skipped", "reason": f"{job.notebook} does not exist"}
    try:
        store = open_store(ws.metadata_url)
        try:
            running = running_version(store, job.name)
        finally:
            store.close()
        # the exact digest (nbformat) only when the quick comparison with the running snapshot differs
        same = running is not None and _content(path) is not None and _content(path) == _content(running[1])
        if not same:
            wanted = load_notebook(path, job.notebook).digest
            same = running is not None and running[0] == wanted
        if same and running is not None:
            say(f"job {job.name} already runs the current {job.notebook}")
            return {**result, "status": "unchanged", "digest": running[0]}
        when = f"the daily job {job.name} ({job.cron} UTC" if job.cron else f"the job {job.name} (on demand"
        say(f"promoting {job.notebook} as {when}, as {DEMO_SCIENTIST}; a validation run in a fresh kernel)")
        report = _promote(ws, job)
    except WorkbenchError as exc:
        say(f"job {job.name} not promoted: {exc.message}")
        return {**result, "status": "error", "reason": exc.message}
    if report.passed:
        upcoming = report.next_runs[0]["utc"] if report.next_runs else "none"
        say(f"job {job.name} version {report.version}: {report.status}; next run {upcoming}")
    else:
        say(f"job {job.name} not promoted: a gate refused it")
        for gate in report.gates:
            if not gate.passed:
                say(f"  {gate.name}: {gate.reason}")
    return {**result, "status": report.status, "version": report.version, "digest": report.digest,
            "refused_gates": {g.name: g.reason for g in report.gates if not g.passed}}


def _promote(ws, job: DemoJob):
    # lazy: promotion engine, schedules, WorkbenchService (DuckDB, SQLAlchemy): only when promoting
    from aios_workbench.jobs.promote import promote
    from aios_workbench.schemas.schedule import Schedule  # lazy: as above
    from aios_workbench.service.core import WorkbenchService  # lazy: as above

    service = WorkbenchService(ws, mode="local")
    try:
        schedule = Schedule.parse(job.cron, tz="UTC") if job.cron else None
        return promote(service, job.notebook, user=DEMO_SCIENTIST, name=job.name, schedule=schedule, surface="cli")
    finally:
        service.close()
