"""A data source as declared in the workspace's `connectors/*.yaml` files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from aios_workbench.core.errors import ConfigError
from aios_workbench.core.registry import connectors
from aios_workbench.core.yamlfile import load_model, validate_part

if TYPE_CHECKING:
    from aios_workbench.connectors.builtin import Connector


class ConnectorDeclaration(BaseModel):
    """One data source: a name, a connector type and that type's options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    type: str
    description: str = ""
    owner: str | None = None
    tags: tuple[str, ...] = ()
    options: dict[str, Any] = {}
    source_file: str = Field("", exclude=True)

    def connector(self) -> Connector:
        """The connector plugin, constructed from the validated options."""
        return connectors.get(self.type)(self.options)


def load_declarations(folder: Path) -> list[ConnectorDeclaration]:
    """Every declaration in `folder`, validated; any error names file and line."""
    # lazy: registers the built-in connector types; builtin/s3 load the connectors package (circular)
    from aios_workbench.connectors import builtin, s3  # noqa: F401

    declarations: dict[str, ConnectorDeclaration] = {}
    if not folder.is_dir():
        return []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        decl, lines = load_model(path, ConnectorDeclaration)
        if decl.type not in connectors:
            raise ConfigError(
                f"{path} line {lines.get(('type',), 1)}: key `type`: unknown connector type {decl.type!r}",
                fix=f"use one of: {', '.join(connectors.names())}",
                input=str(path),
            )
        options_model = connectors.get(decl.type).Options
        validate_part(decl.options, options_model, path=path, lines=lines, at=("options",))
        if decl.name in declarations:
            raise ConfigError(
                f"{path} line {lines.get(('name',), 1)}: connector name {decl.name!r} is already declared "
                f"in {declarations[decl.name].source_file}",
                fix="give each data source a unique name",
                input=str(path),
            )
        declarations[decl.name] = decl.model_copy(update={"source_file": str(path)})
    return list(declarations.values())
