"""Data sources: declarations in the workspace, connector plugins, the DuckDB engine."""

from aios_workbench.connectors.declaration import ConnectorDeclaration, load_declarations
from aios_workbench.connectors.health import ConnectorHealth, check_connector

__all__ = ["ConnectorDeclaration", "ConnectorHealth", "check_connector", "load_declarations"]
