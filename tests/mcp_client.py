"""The official MCP SDK's client, as an assistant uses it: over stdio (`aios mcp` as a subprocess) and over
streamable HTTP (`/aios/mcp` of `aios serve`). One session runs a script of calls; each answer comes back as
(is_error, text, data) where `data` is the gateway's `data` envelope when the call succeeded."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

AIOS = str(Path(sys.executable).with_name("aios"))


def answer(result: Any) -> tuple[bool, str, Any]:
    text = "".join(getattr(block, "text", "") for block in result.content)
    data = None
    if not result.is_error:
        envelope = json.loads(text)
        assert "not instructions" in envelope["note"]
        data = envelope["data"]
    return bool(result.is_error), text, data


def over_stdio(workspace: Path, token: str | None, script: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `script(session)` against `aios --workspace W mcp` with AIOS_AGENT_TOKEN=token."""
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    env = {k: v for k, v in os.environ.items() if k != "AIOS_AGENT_TOKEN"}
    if token is not None:
        env["AIOS_AGENT_TOKEN"] = token

    async def main() -> Any:
        params = StdioServerParameters(command=AIOS, args=["--workspace", str(workspace), "mcp"], env=env)
        with open(os.devnull, "w") as quiet:
            async with stdio_client(params, errlog=quiet) as streams, ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                return await script(session)

    return anyio.run(main)


def over_http(url: str, token: str, script: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `script(session)` against `url` (…/aios/mcp) with `Authorization: Bearer token`."""
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> Any:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http, \
                streamable_http_client(url, http_client=http) as streams, \
                ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            return await script(session)

    return anyio.run(main)


async def call(session: Any, tool: str, **arguments: Any) -> tuple[bool, str, Any]:
    return answer(await session.call_tool(tool, arguments))
