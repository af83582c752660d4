"""The gateway over streamable HTTP, mounted on `aios serve` at /aios/mcp (and under the hub's prefix).

The SDK serves MCP as an ASGI application; `aios serve` is Tornado. `McpRoute` hands each request to that
application (the ASGI HTTP exchange: one request body in, a status, headers and body parts out) on
Tornado's own asyncio loop. Stateless JSON mode: every request carries the agent's token and is checked
again, so a revoked token stops working mid-session, and no session state outlives a request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from tornado import web

from aios_workbench.core.errors import WorkbenchError, http_status
from aios_workbench.service.tokens import ServiceTokens
from aios_workbench.surfaces.mcp import identity
from aios_workbench.surfaces.mcp.identity import bearer, short

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

PATH = "aios/mcp"


class Bridge:
    """The MCP application of one service, started on first use (its session manager needs a running task)."""

    def __init__(self, service: WorkbenchService):
        self.service = service
        self.app: Any = None   # the SDK's application, built on first use: `aios serve`, job runtimes and
        # local mode mount this route, and importing the SDK costs ~1 s that only agents' calls should pay
        self.tokens = self.server_tokens()
        self._ready: asyncio.Event | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def server_tokens(self) -> ServiceTokens:
        return ServiceTokens(self.service.workspace.state_dir)

    def _build(self) -> Any:
        # lazy: the MCP SDK (Starlette, pydantic models): ~1 s of imports, paid on the first agent call only
        from mcp.server.transport_security import TransportSecuritySettings

        from aios_workbench.surfaces.mcp.server import build_server  # lazy: as above

        # tokens, not browsers' origins, authenticate here: a page cannot send an agent's bearer token, so the
        # SDK's Host/Origin checks (meant for unauthenticated local servers) would only refuse proxied agents
        return build_server(self.service, bearer).streamable_http_app(
            streamable_http_path="/mcp", json_response=True, stateless_http=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))

    async def started(self) -> None:
        if self.app is None:
            self.app = self._build()
        if self._ready is None:
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._lifespan(self._ready))
        await self._ready.wait()

    async def _lifespan(self, ready: asyncio.Event) -> None:
        async with self.app.router.lifespan_context(self.app):
            ready.set()
            await self._stop.wait()

    def close(self) -> None:
        self._stop.set()


class McpRoute(web.RequestHandler):
    """POST (and GET/DELETE) /aios/mcp: one MCP exchange as the agent whose token it carries."""

    SUPPORTED_METHODS = ("GET", "POST", "DELETE")

    def initialize(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def check_xsrf_cookie(self) -> None:   # bearer tokens only, never cookies
        return

    async def _refused(self) -> bool:
        """Answer 401/403 at once when the request carries no agent token (before any MCP handshake)."""
        try:
            identity.resolve(self.bridge.tokens, bearer(self.request.headers))
        except WorkbenchError as exc:
            self.set_status(http_status(exc))
            if self.get_status() == 401:
                self.set_header("WWW-Authenticate", 'Bearer realm="aios-workbench"')
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"error": exc.code, "message": short(exc)}))
            return True
        return False

    async def _exchange(self) -> None:
        if await self._refused():
            return
        await self.bridge.started()
        request = self.request
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "scheme": request.protocol, "path": "/mcp", "raw_path": b"/mcp", "root_path": "",
            "query_string": request.query.encode("latin-1"),
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.get_all()],
            "client": (request.remote_ip or "", 0), "server": (request.host_name, 0)}
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": request.body or b"", "more_body": False}
            await asyncio.Event().wait()   # the client stays connected until the answer is sent
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.set_status(message["status"])
                self.clear_header("Content-Type")
                for name, value in message.get("headers", []):
                    self.add_header(name.decode("latin-1"), value.decode("latin-1"))
            elif message["type"] == "http.response.body":
                self.write(message.get("body", b""))
                if message.get("more_body"):
                    await self.flush()

        await self.bridge.app(scope, receive, send)

    get = post = delete = _exchange


def mcp_routes(service: WorkbenchService, prefixes: list[str]) -> tuple[list[tuple[str, type, dict[str, Any]]], Bridge]:
    """Tornado specs for /aios/mcp under each prefix, and the bridge (close it with the service)."""
    bridge = Bridge(service)
    return [(f"{prefix.rstrip('/')}/{PATH}", McpRoute, {"bridge": bridge}) for prefix in prefixes], bridge
