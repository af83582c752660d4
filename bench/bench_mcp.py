"""A governed query through the agent gateway's `query` tool against the same query through REST.

Candidate: an MCP session (the official SDK's client over streamable HTTP, one session kept open) calling
`query` on `aios serve`'s /aios/mcp as an agent acting for the analyst `ana`. Baseline: the same SELECT as
`POST /aios/api/sql` with ana's own token on the same server (Arrow answer). Both run the governed path
(rewrite, masks, row filter, audit); the difference is the gateway's overhead: MCP framing, identity and
limits, its own audit record, JSON results. Target (issue #22): <= 10 ms p50 added.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import tempfile
import urllib.request
from pathlib import Path

from bench.harness import Comparison, benchmark, interleave

BASELINE = "POST /aios/api/sql (REST, the user's token)"
TARGET_MS = 10.0
SQL = "SELECT id, name, email, region FROM hr.main.people WHERE id < 5"


@benchmark("MCP query tool vs REST", baseline=BASELINE, repeat=40)
def mcp_query(repeat: int) -> Comparison:
    """The gateway's query tool (MCP over HTTP, an agent acting for ana) vs the same governed SELECT over REST."""
    import anyio.from_thread
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from aios_workbench.service.tokens import ServiceTokens
    from tests.conftest import aios_serve
    from tests.governed_fixtures import build_governed_workspace, open_governed_service

    root = build_governed_workspace(Path(tempfile.mkdtemp(prefix="aios-bench-mcp-")) / "ws")
    open_governed_service(root).close()
    tokens = ServiceTokens(root / ".aios")
    _, agent = tokens.add("ana-agent", agent={"on_behalf_of": "ana",
                                              "limits": {"calls_per_minute": 100_000, "max_bytes": 10**12}})
    _, user = tokens.add("ana")

    with aios_serve(root, token="bench-mcp", user="sam") as url, \
            anyio.from_thread.start_blocking_portal() as portal, contextlib.ExitStack() as stack:
        http = portal.call(_client, httpx2, agent)
        streams = stack.enter_context(portal.wrap_async_context_manager(
            streamable_http_client(f"{url}/aios/mcp", http_client=http)))
        session = stack.enter_context(portal.wrap_async_context_manager(ClientSession(streams[0], streams[1])))
        portal.call(session.initialize)

        def candidate() -> None:
            result = portal.call(lambda: session.call_tool("query", {"sql": SQL}))
            if result.is_error:
                raise RuntimeError(result.content)

        def baseline() -> None:
            request = urllib.request.Request(f"{url}/aios/api/sql", method="POST",
                                             data=json.dumps({"sql": SQL}).encode(),
                                             headers={"Authorization": f"Bearer {user}",
                                                      "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()

        cand, base = interleave(candidate, baseline, repeat=repeat, warmup=3)
    result = Comparison("MCP query tool vs REST", BASELINE, cand, base)
    added_ms = (statistics.median(cand) - statistics.median(base)) * 1000
    result.notes.append(f"target <= {TARGET_MS:.0f} ms p50 added: {'met' if added_ms <= TARGET_MS else 'MISSED'} "
                        f"({added_ms:.1f} ms)")
    return result


async def _client(httpx2, token: str):
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
