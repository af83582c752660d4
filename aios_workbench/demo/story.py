"""The procurement story `aios demo` prepares (issue #21): the supply-risk model trained, approved by a second
person and made champion; the daily job scoring the open orders (whose run raises the risk alert); and the
decision app `switch_suppliers` published when its notebook is in the workspace.

Each step is skipped when already done (a champion exists, the job runs this content, the app is published),
because `aios demo --prepare-only` runs on every `./workbench start`. A step that fails is reported in the
summary, not raised: the rest of the demo stays usable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aios_workbench.core.errors import NotFound, WorkbenchError

SUPPLY_RISK_MODEL = "supply-risk"
TRAIN_NOTEBOOK = "notebooks/05_supply_risk.ipynb"
DEMO_SCIENTIST = "alice"   # trains, promotes the jobs, publishes the app
DEMO_APPROVER = "carol"    # the second person who approves the model (a steward)
Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoJob:
    """A notebook `aios demo` promotes as a job of alice's: on a schedule (`cron`, UTC) or, for an app, on demand."""

    name: str
    notebook: str
    cron: str | None = None
    app: bool = False


MONITOR_JOB = DemoJob("monitor_shipments", "notebooks/04_monitor_shipments.ipynb", "0 7 * * *")
SUPPLY_RISK_JOB = DemoJob("supply_risk", "notebooks/05_score_supply_risk.ipynb", "30 6 * * *")
SWITCH_SUPPLIERS_APP = DemoJob("switch_suppliers", "notebooks/06_switch_suppliers.ipynb", app=True)


def ensure_supply_risk_model(ws, *, say: Say) -> dict[str, Any]:
    """Make `models:/supply-risk@champion` exist: run notebook 05 as alice (it registers a candidate), then
    approve and promote that version as carol. Nothing runs when a champion already exists."""
    # lazy: WorkbenchService (DuckDB, SQLAlchemy, MLflow) and the execution engine only when preparing the story
    from aios_workbench.jobs.execute import execute_notebook
    from aios_workbench.service.core import WorkbenchService  # lazy: as above

    result: dict[str, Any] = {"model": SUPPLY_RISK_MODEL, "notebook": TRAIN_NOTEBOOK}
    path = ws.root / TRAIN_NOTEBOOK
    service = WorkbenchService(ws, mode="local")
    try:
        champion = _champion(service)
        if champion is not None:
            say(f"model {SUPPLY_RISK_MODEL} version {champion} is already the champion")
            return {**result, "status": "unchanged", "version": champion}
        if not path.is_file():
            say(f"no {TRAIN_NOTEBOOK} in this workspace: model {SUPPLY_RISK_MODEL} not trained")
            return {**result, "status": "skipped", "reason": f"{TRAIN_NOTEBOOK} does not exist"}
        say(f"training the supply-risk model: {TRAIN_NOTEBOOK} as {DEMO_SCIENTIST} (about 15 s)")
        before = _versions(service)
        run = execute_notebook(service, path, parameters={}, identity=DEMO_SCIENTIST,
                               output_dir=ws.state_dir / "demo-runs" / "05_supply_risk", job_name=None)
        if not run.ok:
            reason = f"{TRAIN_NOTEBOOK} {run.status}: {run.error or 'no error message'}"[:500]
            say(f"model {SUPPLY_RISK_MODEL} not trained: {reason}")
            return {**result, "status": "error", "reason": reason}
        new = sorted(set(_versions(service)) - set(before), key=int)
        if not new:
            return {**result, "status": "error", "reason": f"{TRAIN_NOTEBOOK} ran but registered no version"}
        version = new[-1]
        service.models.approve(SUPPLY_RISK_MODEL, version, DEMO_APPROVER, "demo: approved by the second person",
                               surface="cli")
        service.models.promote(SUPPLY_RISK_MODEL, version, DEMO_APPROVER, surface="cli")
        say(f"model {SUPPLY_RISK_MODEL} version {version}: approved and made champion by {DEMO_APPROVER}")
        return {**result, "status": "champion", "version": version}
    except WorkbenchError as exc:
        say(f"model {SUPPLY_RISK_MODEL} not made champion: {exc.message}")
        return {**result, "status": "error", "reason": exc.message}
    finally:
        service.close()


def _registered(service) -> list[dict[str, Any]]:
    """The model's versions; none before its first registration."""
    try:
        return list(service.models.versions(DEMO_APPROVER, SUPPLY_RISK_MODEL))
    except NotFound:
        return []


def _versions(service) -> list[str]:
    return [v["version"] for v in _registered(service)]


def _champion(service) -> str | None:
    return next((v["version"] for v in _registered(service) if "champion" in v.get("aliases", [])), None)


def publish_app(ws, job: DemoJob, *, say: Say) -> dict[str, Any]:
    """Publish the promoted job `job.name` as a decision app as alice, unless it already is."""
    # lazy: WorkbenchService only when publishing
    from aios_workbench.service.core import WorkbenchService

    service = WorkbenchService(ws, mode="local")
    try:
        if any(app.get("name") == job.name for app in service.apps.list(DEMO_SCIENTIST)):
            say(f"app {job.name} is already published")
            return {"app": job.name, "status": "unchanged"}
        shown = service.apps.publish(DEMO_SCIENTIST, job.name, surface="cli")
        say(f"app {job.name} published: {shown.get('title') or job.name}")
        return {"app": job.name, "status": "published"}
    except WorkbenchError as exc:
        say(f"app {job.name} not published: {exc.message}")
        return {"app": job.name, "status": "error", "reason": exc.message}
    finally:
        service.close()
