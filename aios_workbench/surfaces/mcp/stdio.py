"""`aios mcp`: the gateway over stdio, for an assistant that starts it as a subprocess on the user's machine.
The agent's token comes from AIOS_AGENT_TOKEN (or --token); it is checked again on every call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aios_workbench.surfaces.mcp.server import build_server

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


def serve_stdio(service: WorkbenchService, token: str | None) -> None:
    """Serve MCP on stdin/stdout until the client closes it."""
    build_server(service, lambda _headers: token).run("stdio")
