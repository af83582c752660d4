"""Data sources: declarations in the workspace, connector plugins, the DuckDB engine."""

from .declaration import ConnectorDeclaration, load_declarations
from .health import ConnectorHealth, check_connector

__all__ = ["ConnectorDeclaration", "ConnectorHealth", "check_connector", "load_declarations"]
