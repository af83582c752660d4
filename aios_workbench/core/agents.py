"""Names every layer agrees on for AI agents (the MCP gateway, `surfaces/mcp`).

Calls that come through the gateway carry the audit surface AGENT_SURFACE; the governed path then adds the
role AGENT_ROLE to the caller's roles, so a policy can hold back from agents what people may see: a mask
with `only_for: [agent]` (e.g. free-text columns, tag `text.free`, nulled for agents only)."""

AGENT_SURFACE = "mcp"
AGENT_ROLE = "agent"


def through_agent(surface: str | None) -> bool:
    """Whether a call on `surface` is an agent's."""
    return surface == AGENT_SURFACE
