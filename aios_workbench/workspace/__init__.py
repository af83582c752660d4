"""A workspace: a folder with `aios.yaml`, governance files, notebooks and a state folder."""

from .config import CONFIG_FILE, WorkspaceConfig
from .locate import ENV_VAR, locate_workspace
from .workspace import Workspace

__all__ = ["CONFIG_FILE", "ENV_VAR", "Workspace", "WorkspaceConfig", "locate_workspace"]
