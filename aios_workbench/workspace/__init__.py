"""A workspace: a folder with `aios.yaml`, governance files, notebooks and a state folder."""

from aios_workbench.workspace.config import CONFIG_FILE, WorkspaceConfig
from aios_workbench.workspace.locate import ENV_VAR, locate_workspace
from aios_workbench.workspace.workspace import Workspace

__all__ = ["CONFIG_FILE", "ENV_VAR", "Workspace", "WorkspaceConfig", "locate_workspace"]
