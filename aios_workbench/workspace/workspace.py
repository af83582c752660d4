"""The loaded, validated workspace every surface works on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from aios_workbench.core.errors import ConfigError
from aios_workbench.core.yamlfile import load_model
from aios_workbench.workspace.config import CONFIG_FILE, WorkspaceConfig
from aios_workbench.workspace.locate import locate_workspace

if TYPE_CHECKING:
    from aios_workbench.connectors.declaration import ConnectorDeclaration
    from aios_workbench.policy.model import PolicyFile


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: WorkspaceConfig

    @classmethod
    def load(cls, root: str | Path | None = None) -> Workspace:
        """Locate (see `locate_workspace`) and load a workspace, validating every file.

        Any invalid config or governance file raises `ConfigError` before anything
        is used, so a broken edit never half-applies."""
        found = locate_workspace(root)
        config, _ = load_model(found / CONFIG_FILE, WorkspaceConfig)
        workspace = cls(found, config)
        workspace.validate()
        return workspace

    def validate(self) -> None:
        """Validate the connector declarations and the policy file."""
        _ = self.connectors, self.policy

    # -- folders ---------------------------------------------------------------
    def _path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def state_dir(self) -> Path:
        return self._path(self.config.paths.state)

    @property
    def connectors_dir(self) -> Path:
        return self._path(self.config.paths.connectors)

    @property
    def governance_dir(self) -> Path:
        return self._path(self.config.paths.governance)

    @property
    def notebooks_dir(self) -> Path:
        return self._path(self.config.paths.notebooks)

    @property
    def extension_dir(self) -> Path:
        """Where DuckDB extensions are installed from their wheels."""
        return self.state_dir / "duckdb_extensions"

    # -- stores ----------------------------------------------------------------
    @property
    def metadata_url(self) -> str:
        """SQLAlchemy URL of the metadata store (may hold a password: never log it raw)."""
        store = self.config.metadata_store
        if store.url_env:
            url = os.environ.get(store.url_env)
            if not url:
                raise ConfigError(
                    f"{self.root / CONFIG_FILE}: metadata_store.url_env names {store.url_env!r}, which is not set",
                    fix=f"export {store.url_env}=postgresql+psycopg://USER:PASSWORD@HOST/DB, or remove url_env "
                    "to use the SQLite store in the state folder",
                    input=store.url_env,
                )
            return url
        return store.url or f"sqlite:///{self.state_dir / 'metadata.db'}"

    # -- governance files --------------------------------------------------------
    @cached_property
    def connectors(self) -> list[ConnectorDeclaration]:
        # lazy: connectors package loads DuckDB; only when connectors are read
        from aios_workbench.connectors.declaration import load_declarations

        return load_declarations(self.connectors_dir)

    @cached_property
    def policy(self) -> PolicyFile:
        from aios_workbench.policy.model import load_policy  # lazy: policy model only when the policy is read

        return load_policy(self.governance_dir)
