"""Local mode of `import aios_workbench as wb`: the workspace's service inside the calling process.

A plain Python script, or a notebook run by Papermill outside JupyterLab, finds no service to talk to; the
CLI in that situation runs the service in its own process, as `$AIOS_USER` or the OS account. This module
does the same for `wb`: it opens the WorkbenchService of the workspace (mode "local") and serves the same
REST routes as `aios serve` on 127.0.0.1, on a random port, to one random token that acts as the chosen
user, from a background thread. The client then talks to it exactly as to any other service, so every
query goes through the one governed path (masks, row filters, audit).

Like the CLI, it is a convenience for one person, not a security boundary: whoever runs the process can
read the workspace's files.
"""

from __future__ import annotations

import asyncio
import atexit
import secrets
import threading
from dataclasses import dataclass

from aios_workbench.core.errors import WorkbenchError

HOST = "127.0.0.1"


@dataclass
class LocalEndpoint:
    """A running local endpoint: where it listens and the token that acts as its user."""

    url: str
    token: str
    user: str
    workspace_name: str
    workspace_root: str


def start_local_endpoint(workspace, user: str, *, timeout: float = 60.0) -> LocalEndpoint:
    """Serve `workspace`'s REST API in this process, as `user`, until the interpreter exits."""
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    # lazy: the service (DuckDB, SQLAlchemy) and the routes load only when a process chooses local mode
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.surfaces.rest.standalone import make_app  # lazy: as above

    service = WorkbenchService(workspace, mode="local")
    token = secrets.token_urlsafe(32)
    ready = threading.Event()
    state: dict = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        state["loop"] = loop

        async def listen():
            sockets = bind_sockets(0, HOST)
            HTTPServer(make_app(service, token=token, user=user)).add_sockets(sockets)
            state["port"] = sockets[0].getsockname()[1]

        try:
            loop.run_until_complete(listen())
        except BaseException as exc:  # noqa: BLE001 - reported to the thread waiting below
            state["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, name="aios-local-endpoint", daemon=True).start()
    if not ready.wait(timeout) or "error" in state:
        service.close()
        raise WorkbenchError(f"the local workbench endpoint did not start: {state.get('error', 'timeout')}",
                             fix="check that 127.0.0.1 accepts local connections, or connect to a running "
                                 "service with $AIOS_SERVICE_URL")

    def stop() -> None:
        loop = state.get("loop")
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        service.close()

    atexit.register(stop)
    return LocalEndpoint(f"http://{HOST}:{state['port']}", token, user, workspace.name, str(workspace.root))
