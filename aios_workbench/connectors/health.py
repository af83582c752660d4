"""Is a declared data source reachable? Answered by really attaching it in DuckDB."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from aios_workbench.connectors.declaration import ConnectorDeclaration
from aios_workbench.connectors.engine import connect
from aios_workbench.connectors.secrets import scrub
from aios_workbench.core.errors import WorkbenchError
from aios_workbench.core.logs import redact


@dataclass(frozen=True)
class ConnectorHealth:
    name: str
    type: str
    ok: bool
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def check_connector(decl: ConnectorDeclaration, *, workspace_root: Path, extension_dir: Path) -> ConnectorHealth:
    """Attach the source in a throw-away DuckDB connection and run a probe query."""
    con = connect(extension_dir, threads=1, memory_limit="256MB")
    try:
        decl.connector().probe(con, alias=decl.name, root=workspace_root)
        return ConnectorHealth(decl.name, decl.type, True)
    except WorkbenchError as exc:
        return ConnectorHealth(decl.name, decl.type, False, scrub(redact(str(exc))))
    except Exception as exc:  # noqa: BLE001 - the source's own error, cleaned of any credential
        return ConnectorHealth(decl.name, decl.type, False, scrub(redact(f"{type(exc).__name__}: {exc}")))
    finally:
        con.close()
