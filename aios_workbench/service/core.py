"""`WorkbenchService`: what the REST API answers, independent of how it is served."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from aios_workbench._version import __version__
from aios_workbench.connectors.health import check_connector
from aios_workbench.core.errors import WorkbenchError
from aios_workbench.service.alerts import AlertsManager
from aios_workbench.service.audit import AuditTrail
from aios_workbench.service.catalog import CatalogManager
from aios_workbench.service.checks import ChecksManager
from aios_workbench.service.jobs import JobsManager
from aios_workbench.service.runs import RunsManager
from aios_workbench.store import open_store
from aios_workbench.workspace import Workspace


class WorkbenchService:
    """The one front door of a workspace: every business action is a method of this object or of one of
    its per-feature managers (`catalog`, `checks`, `alerts`, `jobs`, `models`, `runs`, `audit_trail`).
    REST routes, the CLI, the dashboard and the scheduler call only these; see docs/architecture.md."""

    def __init__(self, workspace: Workspace, *, mode: str, connector_health_ttl: float = 15.0):
        from aios_workbench.audit import AuditLog
        from aios_workbench.query import QueryService

        self.workspace = workspace
        self.mode = mode
        self.store = open_store(workspace.metadata_url)
        self.audit = AuditLog(self.store, workspace.state_dir / "audit.head")
        cfg = workspace.config.query
        self.queries = QueryService(workspace, self.store, self.audit, max_rows=cfg.max_rows,
                                    timeout=cfg.timeout_seconds)
        self.catalog = CatalogManager(self)
        self.checks = ChecksManager(self)
        self.alerts = AlertsManager(self)
        self.jobs = JobsManager(self)
        self.runs = RunsManager(self)
        self.audit_trail = AuditTrail(self)
        self.connector_health_ttl = connector_health_ttl
        self._connector_health: tuple[float, list[dict]] | None = None
        self._health_lock = asyncio.Lock()

    def warm_up(self) -> None:
        """Load the catalog before the first request needs it (1-2 s on a big catalog), e.g. on a thread
        started with the server; a failure here is only logged: the first request then reports it."""
        try:
            self.queries.catalog()
        except Exception:
            import logging

            logging.getLogger(__name__).debug("warming the catalog failed", exc_info=True)

    def warm_up_in_background(self) -> None:
        import threading

        threading.Thread(target=self.warm_up, name="aios-warm-up", daemon=True).start()

    async def connector_health(self) -> list[dict]:
        """Each declared source, probed in DuckDB; cached for `connector_health_ttl` seconds."""
        async with self._health_lock:
            cached = self._connector_health
            if cached and time.monotonic() - cached[0] < self.connector_health_ttl:
                return cached[1]
            ws = self.workspace

            def probe_all() -> list[dict]:
                return [check_connector(d, workspace_root=ws.root, extension_dir=ws.extension_dir).to_dict()
                        for d in ws.connectors]

            result = await asyncio.to_thread(probe_all)
            self._connector_health = (time.monotonic(), result)
            return result

    async def status(self, user: str) -> dict:
        store = await asyncio.to_thread(self.store.health)
        return {
            "service": "aios-workbench",
            "version": __version__,
            "mode": self.mode,
            "user": user,
            "workspace": {"name": self.workspace.name, "path": str(self.workspace.root)},
            "store": store.to_dict(),
            "connectors": await self.connector_health(),
            "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    # -- governed data ---------------------------------------------------------
    def readable_datasets(self, user: str) -> list[dict]:
        """Catalog entries `user` may read (deny by default hides the rest)."""
        from aios_workbench.policy.enforce import PolicyEngine

        policy = PolicyEngine(self.queries.policy.current())
        principal = policy.principal(user)
        out = []
        for entry in self.queries.catalog().entries:
            if not policy.grant_for(principal, entry):
                continue
            data = entry.to_dict()
            if policy.filters_rows(principal, entry):
                data["row_count"] = None  # the scan's count includes rows this user's filter hides
            out.append(data)
        return out

    def search(self, user: str, text: str, *, limit: int = 20) -> list[dict]:
        """Ranked catalog search over what `user` may read."""
        from aios_workbench.catalog.search import search
        from aios_workbench.policy.enforce import PolicyEngine

        policy = PolicyEngine(self.queries.policy.current())
        principal = policy.principal(user)
        hits = search(self.queries.catalog(), text, visible=lambda e: policy.grant_for(principal, e) is not None,
                      limit=limit)
        return [h.to_dict() for h in hits]

    def lineage(self, user: str, dataset: str, depth: int = 3) -> dict:
        """Upstream and downstream of `dataset` from the lineage log; datasets `user` may not
        read appear as restricted, and other people's queries only to auditors."""
        from aios_workbench.core.errors import PermissionDenied
        from aios_workbench.lineage import LineageLog, lineage_of, log_path, restrict
        from aios_workbench.lineage.graph import only_own_activity
        from aios_workbench.policy.enforce import PolicyEngine

        info = self.explain(user, dataset)  # unknown or ambiguous names raise here, with the fix
        if not info["allowed"]:
            raise PermissionDenied(f"{user} may not read {info['dataset']}: {info['rule']}",
                                   fix="ask a data steward for a grant in governance/policy.yaml",
                                   input=info["dataset"])
        readable = {d["name"].lower() for d in self.readable_datasets(user)}
        self.queries.flush_lineage()
        result = lineage_of(LineageLog(log_path(self.workspace)), info["dataset"], depth)
        result["dataset"] = info["dataset"]
        auditor = PolicyEngine(self.queries.policy.current()).is_auditor(user)
        for direction in ("upstream", "downstream"):
            result[direction] = restrict(result[direction], lambda name: name.lower() in readable)
            if not auditor:   # who else queried it is audit information: auditors only
                result[direction] = only_own_activity(result[direction], user)
        return result

    def write_dataset(self, user: str, target: str, table, *, mode: str = "replace", inputs=(),
                      run_id: str | None = None, surface: str = "api", strict_inputs: bool = True) -> dict:
        """Write an Arrow table as a dataset of a `datasets` source (write grant; classified; audited;
        traced from `inputs`)."""
        from aios_workbench.service.writes import write_dataset

        return write_dataset(self, user, target, table, mode=mode, inputs=inputs, run_id=run_id,
                             surface=surface, strict_inputs=strict_inputs).to_dict()

    def explain(self, user: str, dataset: str) -> dict:
        """What `user` sees of `dataset` and why: grant, masks, row filter."""
        from aios_workbench.policy.explain import explain

        return explain(self.queries.policy.current(), self.queries.catalog(), user, dataset)

    def audit_records(self, caller: str, **filters) -> list[dict]:
        """Audit records: everything for auditors, one's own records for everybody else."""
        from aios_workbench.policy.enforce import PolicyEngine

        policy = PolicyEngine(self.queries.policy.current())
        if not policy.is_auditor(caller):
            if filters.get("user") not in (None, caller):
                from aios_workbench.core.errors import PermissionDenied

                raise PermissionDenied(f"{caller} may read only their own audit records",
                                       fix="ask for a role with `audit: true` in governance/policy.yaml",
                                       input=filters["user"])
            filters["user"] = caller
        return self.audit.query(**filters)

    def models(self):
        """The gated model registry on this workspace's MLflow store."""
        from aios_workbench.tracking.registry import ModelRegistry

        if getattr(self, "_models", None) is None:
            self._models = ModelRegistry.for_workspace(self.workspace, self.store, self.audit,
                                                       policy=self.queries.policy.current)
        return self._models

    # -- checks ----------------------------------------------------------------
    def run_check(self, user: str, kind, spec: dict, *, mlflow_run_id=None, notebook=None) -> list[dict]:
        """Run a check as `user` through the governed path; every result goes to the ledger."""
        from aios_workbench.checks.runner import run_check
        from aios_workbench.core.errors import UsageError

        if not isinstance(kind, str) or not kind:
            raise UsageError("the check's `kind` is missing", fix="send kind: quality, drift or fairness")
        return run_check(self, user, kind, spec, mlflow_run_id=mlflow_run_id, notebook=notebook)

    def check_history(self, user: str, **filters) -> list[dict]:
        """Ledger runs, newest first. Failing example rows are shown only to whoever ran the check
        (or to auditors): they were fetched under that user's masks and row filters."""
        from aios_workbench.checks.ledger import Ledger
        from aios_workbench.policy.enforce import PolicyEngine

        auditor = PolicyEngine(self.queries.policy.current()).is_auditor(user)
        runs = Ledger(self.store).history(**filters)
        for run in runs:
            if not auditor and run["user"] != user:
                for item in run["items"] or []:
                    (item.get("detail") or {}).pop("examples", None)
        return runs

    def close(self) -> None:
        self.queries.close()
        self.store.close()


class UnavailableService:
    """Stands in when the workspace could not be loaded: every call raises that error."""

    def __init__(self, error: WorkbenchError, mode: str):
        self.error = error
        self.mode = mode

    def __getattr__(self, name):
        raise self.error

    def close(self) -> None:
        pass
