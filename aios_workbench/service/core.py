"""`WorkbenchService`: what the REST API answers, independent of how it is served."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn

from aios_workbench._version import __version__
from aios_workbench.audit import HEAD_FILE_NAME, AuditLog, Witness
from aios_workbench.connectors.health import check_connector
from aios_workbench.core.errors import WorkbenchError
from aios_workbench.policy.enforce import PolicyEngine
from aios_workbench.service.actions import ActionsManager
from aios_workbench.service.alerts import AlertsManager
from aios_workbench.service.apps import AppsManager
from aios_workbench.service.audit import AuditTrail
from aios_workbench.service.catalog import CatalogManager
from aios_workbench.service.checks import ChecksManager
from aios_workbench.service.jobs import JobsManager
from aios_workbench.service.models import ModelsManager
from aios_workbench.service.runs import RunsManager
from aios_workbench.service.status_versions import component_versions
from aios_workbench.store import open_store
from aios_workbench.workspace import Workspace
from aios_workbench.workspace.permissions import LoosePath, loose_state

if TYPE_CHECKING:
    from aios_workbench.query import QueryService


# Where the service runs for the workspace's own user (single-user mode): no boundary between people.
OWN_MODES = frozenset({"jupyter", "local"})


class WorkbenchService:
    """The one front door of a workspace: every business action is a method of this object or of one of
    its per-feature managers (`catalog`, `checks`, `alerts`, `jobs`, `models`, `runs`, `actions`,
    `apps`, `audit_trail`).
    REST routes, the CLI, the dashboard and the scheduler call only these; see docs/architecture.md."""

    def __init__(self, workspace: Workspace, *, mode: str, connector_health_ttl: float = 15.0):
        self.workspace = workspace
        self.mode = mode
        self.store = open_store(workspace.metadata_url)
        self.audit = AuditLog(self.store, workspace.state_dir / HEAD_FILE_NAME)
        self._policy_engine: PolicyEngine | None = None
        self.catalog = CatalogManager(self)
        self.checks = ChecksManager(self)
        self.alerts = AlertsManager(self)
        self.jobs = JobsManager(self)
        self.models = ModelsManager(self)
        self.runs = RunsManager(self)
        self.actions = ActionsManager(self)
        self.apps = AppsManager(self)
        self.audit_trail = AuditTrail(self)
        self.connector_health_ttl = connector_health_ttl
        self._connector_health: tuple[float, list[dict[str, Any]]] | None = None
        self._health_lock = asyncio.Lock()

    @cached_property
    def queries(self) -> QueryService:
        """The governed query path. Built on first use: it loads DuckDB, sqlglot and Arrow (about 0.3 s),
        which commands that only read the metadata store (`aios jobs ls`) never pay for."""
        # lazy: query engine (PyArrow, DuckDB); metadata-only commands (`aios jobs ls`) never pay
        from aios_workbench.query import QueryService

        cfg = self.workspace.config.query
        return QueryService(self.workspace, self.store, self.audit, max_rows=cfg.max_rows,
                            timeout=cfg.timeout_seconds)

    def warm_up(self) -> None:
        """Load the catalog before the first request needs it (1-2 s on a big catalog), e.g. on a thread
        started with the server; a failure here is only logged: the first request then reports it."""
        try:
            self.queries.catalog()
        except Exception:
            logging.getLogger(__name__).debug("warming the catalog failed", exc_info=True)

    def warm_up_in_background(self) -> None:
        threading.Thread(target=self.warm_up, name="aios-warm-up", daemon=True).start()

    async def connector_health(self) -> list[dict[str, Any]]:
        """Each declared source, probed in DuckDB; cached for `connector_health_ttl` seconds."""
        async with self._health_lock:
            cached = self._connector_health
            if cached and time.monotonic() - cached[0] < self.connector_health_ttl:
                return cached[1]
            ws = self.workspace

            def probe_all() -> list[dict[str, Any]]:
                return [check_connector(d, workspace_root=ws.root, extension_dir=ws.extension_dir).to_dict()
                        for d in ws.connectors]

            result = await asyncio.to_thread(probe_all)
            self._connector_health = (time.monotonic(), result)
            return result

    async def status(self, user: str) -> dict[str, Any]:
        """The service's health as `user` may see it. Where the workspace is the caller's own (his Jupyter
        server, his CLI) or he is an auditor: every source and the workspace's folder; where the service is a
        boundary between people (`aios serve`, the dashboard, a job): the sources he reads from, no folder."""
        store = await asyncio.to_thread(self.store.health)
        connectors = await self.connector_health()
        own = self.mode in OWN_MODES or self._is_auditor(user)   # a dict lookup in the cached policy
        if not own:
            connectors = [c for c in connectors if self._reads_from(user, c["name"])]
        return {
            "service": "aios-workbench",
            "version": __version__,
            "mode": self.mode,
            "user": user,
            "workspace": {"name": self.workspace.name, "path": str(self.workspace.root) if own else None},
            "store": store.to_dict(),
            "connectors": connectors,
            "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "components": component_versions(),
            **self._state_privacy(own),
        }

    def _state_privacy(self, own: bool) -> dict[str, Any]:
        """Whether the state is the service account's alone; which paths are not, to whom may see paths."""
        try:
            loose = state_exposure(self.workspace)
        except (OSError, WorkbenchError):   # a misplaced witness is reported by `aios audit verify`
            return {"state_private": None, "state_exposed": None}
        shown = [p.shown(self.workspace.root) for p in loose] if own else None
        return {"state_private": not loose, "state_exposed": shown}

    def _reads_from(self, user: str, source: str) -> bool:
        """Whether a read grant of `user`'s covers `source` or something in it (from the policy alone: cheap)."""
        try:
            policy = self.policy()
            roles = policy.principal(user).roles
        except WorkbenchError:
            return False
        return any(g.privilege == "read" and g.role in roles
                   and (g.scope == "*" or g.scope.lower().split(".", 1)[0] == source.lower())
                   for g in policy.policy.grants)

    def _is_auditor(self, user: str) -> bool:
        try:
            return self.policy().is_auditor(user)
        except WorkbenchError:   # not a policy user (a server's own account before any policy): no
            return False

    def policy(self) -> PolicyEngine:
        """The policy in force, as the engine that answers access questions; rebuilt only when the policy
        file was reloaded, so every manager asks the same object."""
        current = self.queries.policy.current()
        engine = self._policy_engine
        if engine is None or engine.policy is not current:
            engine = self._policy_engine = PolicyEngine(current)
        return engine

    def close(self) -> None:
        self.apps.close()          # shuts down the apps' warm kernels, if any were started
        self.audit_trail.close()   # signs the shutdown checkpoint of the audit chain
        self.queries.close()
        self.store.close()


class UnavailableService:
    """Stands in when the workspace could not be loaded: every call raises that error."""

    def __init__(self, error: WorkbenchError, mode: str):
        self.error = error
        self.mode = mode

    def __getattr__(self, name: str) -> NoReturn:
        raise self.error

    def close(self) -> None:
        pass


def state_exposure(workspace: Workspace) -> list[LoosePath]:
    """What of the workspace's state (its folder, store, key files, secrets file, audit witness) group or
    others may reach; team mode refuses to serve while anything is."""
    witness = Witness.for_workspace(workspace)
    return loose_state(workspace, also=[("audit witness folder", witness.path.parent),
                                        ("audit witness file", witness.path), ("audit witness key", witness.key_path)])


def prepare_store(workspace: Workspace) -> None:
    """Create the workspace's metadata store, or bring its schema up to date, before a server uses it."""
    open_store(workspace.metadata_url).close()
