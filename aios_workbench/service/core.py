"""`WorkbenchService`: what the REST API answers, independent of how it is served."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from .. import __version__
from ..connectors.health import check_connector
from ..errors import WorkbenchError
from ..store import open_store
from ..workspace import Workspace


class WorkbenchService:
    """One workspace's service state: its metadata store and cached source health."""

    def __init__(self, workspace: Workspace, *, mode: str, connector_health_ttl: float = 15.0):
        self.workspace = workspace
        self.mode = mode
        self.store = open_store(workspace.metadata_url)
        self.connector_health_ttl = connector_health_ttl
        self._connector_health: tuple[float, list[dict]] | None = None
        self._health_lock = asyncio.Lock()

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
            "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def close(self) -> None:
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
