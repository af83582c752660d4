"""`aios mcp`: the agent gateway over stdio (an assistant starts it; see docs/agents.md)."""

from __future__ import annotations

import os

import click


@click.command("mcp")
@click.option("--token", default=None, help="The agent's token (default: $AIOS_AGENT_TOKEN); from `aios tokens add NAME "
              "--agent`. Prefer the variable: a command line is visible to other users of the machine.")
@click.pass_context
def mcp(ctx, token):
    """Serve the Model Context Protocol on stdin/stdout for an AI assistant acting as a governed user.

    The assistant starts this command itself (its MCP configuration names `aios mcp` and sets AIOS_AGENT_TOKEN).
    Tools: search_catalog, describe_dataset, query, preview_dataset, profile_dataset, explain_policy,
    run_quality, check_drift, list_alerts, explain_alert, job_status, job_run, list_apps, run_app,
    propose_action, action_status. Remote agents use streamable HTTP at /aios/mcp of `aios serve` instead."""
    from aios_workbench.surfaces.cli.data_commands import local_service  # lazy: the service's engines
    from aios_workbench.surfaces.mcp.stdio import serve_stdio  # lazy: the MCP SDK, `aios mcp` only

    token = token or os.environ.get("AIOS_AGENT_TOKEN")
    if not token:
        raise click.UsageError("no agent token: set AIOS_AGENT_TOKEN (or pass --token) to a token from "
                               "`aios tokens add NAME --agent`")
    service = local_service(ctx)
    try:
        serve_stdio(service, token)
    finally:
        service.close()


COMMANDS = [mcp]
