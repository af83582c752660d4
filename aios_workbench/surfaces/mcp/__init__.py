"""The agent gateway: AI assistants and agents reach the workbench over the Model Context Protocol as governed
users (`aios mcp` over stdio, `/aios/mcp` over streamable HTTP on `aios serve`). A thin surface over the
service: the same grants, masks, row filters, audit and approval queue as people, no side door."""
