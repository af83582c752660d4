"""Decision apps as business actions: publish a promoted job as an app, list and open apps, run one.

The rules, the same from every surface (REST `apps*`, `aios apps`, the dashboard's Apps page):

- Who may change a job (its creator, its identity, auditors) may publish or unpublish it as an app.
- Every signed-in user sees the published apps and their forms; a `choices:` query of a form runs as the
  viewer, so each is offered only values they may read.
- A run executes the job's current active version with the viewer's parameters, in a warm kernel of its own,
  as the viewer (`apps/runner.py`): their grants, masks and row filters apply to every query, audited as
  theirs with the surface "app", in lineage like any read. It is audited as `app.run`.
- Results are kept per viewer, version, parameters and data (the catalog's fingerprints of what the version
  read) for `apps.cache_seconds` (aios.yaml): opening the same link again answers at once, and never another
  viewer's page.
"""

from __future__ import annotations

import builtins
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aios_workbench.apps import form
from aios_workbench.apps.render import page
from aios_workbench.apps.runner import APP_SURFACE, canonical_parameters, run_app
from aios_workbench.core.agents import AGENT_SURFACE, through_agent
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError, WorkbenchError
from aios_workbench.jobs.manage import get_job
from aios_workbench.service.manager import Manager
from aios_workbench.store.models import App, Dataset, Job, JobVersion

if TYPE_CHECKING:
    from aios_workbench.apps.kernels import WarmKernels
    from aios_workbench.service.core import WorkbenchService

APP_CACHE_ENTRIES = 128


class AppsManager(Manager):
    """The decision apps of one workspace."""

    def __init__(self, service: WorkbenchService) -> None:
        super().__init__(service)
        self._cache: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._cache_lock = threading.Lock()

    @cached_property
    def kernels(self) -> WarmKernels:
        """Warm kernels for app runs, started on the first run (and kept warm from then on)."""
        from aios_workbench.apps.kernels import WarmKernels  # lazy: jupyter_client loads on the first app run

        return WarmKernels(self.service.workspace, size=self.service.workspace.config.apps.warm_kernels)

    # -- publishing -------------------------------------------------------------------------------------
    def publish(self, user: str, job: str, *, title: str | None = None, description: str = "",
                surface: str) -> dict[str, Any]:
        """Publish job `job` as an app (its creator, identity or an auditor)."""
        with self.service.store.session() as session:
            row = get_job(session, job)   # NotFound naming the known jobs
            version = self._version(session, job, row.version)
        self._require_control(user, row, "publish", surface)
        with self.service.store.session() as session, session.begin():
            app = session.get(App, job) or App(name=job, published_by=user)
            app.title = (title or _title_of(version) or job)[:256]
            app.description = description or ""
            app.published_by, app.published_at = user, datetime.now(UTC)
            session.merge(app)
        self.service.audit.append(user=user, surface=surface, action="app.publish", target=f"app:{job}",
                                  allowed=True, detail={"version": row.version})
        return self.show(user, job)

    def unpublish(self, user: str, name: str, *, surface: str) -> dict[str, Any]:
        with self.service.store.session() as session:
            row = get_job(session, name)
            if session.get(App, name) is None:
                raise NotFound(f"there is no app {name!r}", fix="list the apps: `aios apps ls`", input=name)
        self._require_control(user, row, "unpublish", surface)
        with self.service.store.session() as session, session.begin():
            session.delete(session.get(App, name))
        self.service.audit.append(user=user, surface=surface, action="app.unpublish", target=f"app:{name}",
                                  allowed=True, detail={})
        return {"name": name, "published": False}

    def _require_control(self, user: str, job: Job, verb: str, surface: str) -> None:
        if not self.service.jobs.control.may_control(job, user):
            self.service.audit.append(user=user, surface=surface, action=f"app.{verb}", target=f"app:{job.name}",
                                      allowed=False, detail={"reason": "does not control the job"})
            raise PermissionDenied(f"you may not {verb} job {job.name!r} as an app: only its creator, its identity "
                                   "and auditors may", fix=f"ask {job.created_by}", input=job.name)

    # -- reading ----------------------------------------------------------------------------------------
    def list(self, user: str) -> list[dict[str, Any]]:
        """Every published app (title, description, job version); forms come with `show`."""
        with self.service.store.session() as session:
            apps = session.scalars(select(App).order_by(App.title)).all()
            return [self._summary(session, app) for app in apps]

    def show(self, user: str, name: str) -> dict[str, Any]:
        """One app with its form as `user` fills it (choices from governed queries run as `user`)."""
        with self.service.store.session() as session:
            app = self._app(session, name)
            summary = self._summary(session, app)
            version = self._version(session, name)
        return {**summary, "fields": form.fields(version.parameter_schema, self._choices_for(user))}

    def _summary(self, session: Session, app: App) -> dict[str, Any]:
        job = get_job(session, app.name)
        return {"name": app.name, "title": app.title, "description": app.description, "job": app.name,
                "version": job.version, "published_by": app.published_by,
                "published_at": app.published_at.isoformat() if app.published_at else None}

    def _app(self, session: Session, name: str) -> App:
        app: App | None = session.get(App, name)
        if app is None:
            known = session.scalars(select(App.name).order_by(App.name).limit(20)).all()
            raise NotFound(f"there is no app {name!r} (apps: {', '.join(known) or 'none'})",
                           fix="list the apps with `aios apps ls`; publish a job with `aios apps publish JOB`",
                           input=name)
        return app

    def _version(self, session: Session, name: str, number: int | None = None) -> JobVersion:
        job = get_job(session, name)
        version: JobVersion | None = session.scalars(select(JobVersion).where(JobVersion.job_name == name,
                                                           JobVersion.version == (number or job.version))).first()
        if version is None or version.status != "active":
            raise UsageError(f"job {name!r} has no active version to run as an app",
                             fix=f"promote its notebook again or approve its pending version (`aios jobs versions {name}`)",
                             input=name)
        return version

    def _choices_for(self, user: str) -> Callable[[str], builtins.list[Any]]:
        def choices(sql: str) -> builtins.list[Any]:
            try:
                table = self.service.queries.run(sql, user=user, surface="app", max_rows=form.MAX_CHOICES).to_arrow()
            except WorkbenchError as refused:   # data the viewer may not read offers them nothing (and names nothing)
                if refused.code in ("query_denied", "permission_denied"):
                    return []
                raise
            return table.column(0).to_pylist() if table.num_columns else []
        return choices

    # -- running ----------------------------------------------------------------------------------------
    def run(self, user: str, name: str, parameters: dict[str, Any] | None = None, *,
            surface: str, from_text: bool = False) -> dict[str, Any]:
        """Run app `name` with `parameters` as `user`; its page, from the cache when the same viewer ran the
        same version with the same parameters on the same data within `apps.cache_seconds`."""
        self.service.policy().principal(user)   # PermissionDenied for who is not in the policy
        with self.service.store.session() as session:
            app = self._app(session, name)
            title = app.title
            version = self._version(session, name)
            fingerprints = self._data_version(session, version.datasets_read or [])
        values = form.checked(version.parameter_schema, form.fields(version.parameter_schema, self._choices_for(user)),
                              parameters, from_text=from_text)
        canonical = canonical_parameters(values)
        agent = through_agent(surface)   # an agent's page may hide more (masks `only_for: [agent]`): cached apart
        key = hashlib.sha256("\x00".join((name, str(version.version), version.digest, user, canonical,
                                          fingerprints, "agent" if agent else "")).encode()).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            self.service.audit.append(user=user, surface=surface, action="app.run", target=f"app:{name}",
                                      allowed=True, detail={"version": version.version, "cached": True,
                                                            "parameters": sorted(values)})
            return {**cached, "cached": True}
        snapshot = Path(version.snapshot_path)
        if not snapshot.is_file():
            raise WorkbenchError(f"the notebook of version {version.version} of {name!r} is missing from the store",
                                 fix=f"promote it again (`aios promote {version.notebook}`)", input=name)
        outcome = run_app(self.service, self.kernels, snapshot, app=name, viewer=user, parameters=values,
                          cell_timeout=self.service.workspace.config.apps.cell_timeout_seconds,
                          surface=AGENT_SURFACE if agent else APP_SURFACE)
        result = {"name": name, "title": title, "version": version.version, "parameters": values,
                  "ok": outcome.ok, "error": outcome.error, "seconds": outcome.seconds,
                  "datasets_read": outcome.datasets_read, "html": page(outcome.notebook, title=title,
                                                                       error=outcome.error), "cached": False}
        self.service.audit.append(user=user, surface=surface, action="app.run", target=f"app:{name}", allowed=True,
                                  detail={"version": version.version, "cached": False, "ok": outcome.ok,
                                          "parameters": sorted(values), "seconds": outcome.seconds,
                                          "datasets": outcome.datasets_read})
        if outcome.ok:
            self._remember(key, result)
        return result

    def _data_version(self, session: Session, datasets: builtins.list[str]) -> str:
        """What the data a version reads looks like now (its datasets' fingerprints and sizes)."""
        rows = session.execute(select(Dataset.source, Dataset.schema_name, Dataset.name, Dataset.fingerprint,
                                      Dataset.row_count)).all()
        wanted = {d.lower() for d in datasets}
        return ";".join(f"{s}.{c}.{n}:{f}:{r}" for s, c, n, f, r in sorted(rows)
                        if f"{s}.{c}.{n}".lower() in wanted)

    def _cached(self, key: str) -> dict[str, Any] | None:
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is None or time.monotonic() - hit[0] > self.service.workspace.config.apps.cache_seconds:
                self._cache.pop(key, None)
                return None
            self._cache.move_to_end(key)
            return hit[1]

    def _remember(self, key: str, result: dict[str, Any]) -> None:
        with self._cache_lock:
            self._cache[key] = (time.monotonic(), result)
            while len(self._cache) > APP_CACHE_ENTRIES:
                self._cache.popitem(last=False)

    def close(self) -> None:
        if "kernels" in self.__dict__:
            self.kernels.close()


def _title_of(version: JobVersion) -> str | None:
    """The notebook's first heading, as the app's title."""
    import nbformat

    try:
        notebook = nbformat.read(version.snapshot_path, as_version=4)  # type: ignore[no-untyped-call]
    except Exception:   # noqa: BLE001 - no title then; the job's name serves
        return None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or None
    return None
