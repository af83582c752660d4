"""The built-in connector types, registered exactly as plugins register theirs.

Each type declares its `Options` (validated when the workspace loads) and knows
how to attach its source to a DuckDB connection read-only and how to probe it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from aios_workbench.connectors.engine import load_extension
from aios_workbench.connectors.secrets import resolve_secret
from aios_workbench.core.errors import ConnectorError
from aios_workbench.core.registry import connectors


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _local_path(root: Path, path: str) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (root / candidate)


class Connector:
    """Base of connector plugins: validated options plus attach/probe."""

    Options: type[_Options] = _Options
    duckdb_extension: str | None = None
    # the server's own catalogs, which DuckDB's extensions list beside the data (PostgreSQL's pg_catalog holds
    # pg_authid, MySQL's `mysql` schema its users' password hashes): never datasets, whatever a grant says
    system_schemas: frozenset[str] = frozenset()

    def __init__(self, options: dict[str, Any]):
        self.options = self.Options.model_validate(options)

    def attach(self, con: duckdb.DuckDBPyConnection, *, alias: str, root: Path) -> None:
        raise NotImplementedError

    def probe(self, con: duckdb.DuckDBPyConnection, *, alias: str, root: Path) -> None:
        """Attach and list the tables: raises if the source cannot answer."""
        self.attach(con, alias=alias, root=root)
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ?", [alias]).fetchone()


@connectors.register("files")
class FilesConnector(Connector):
    """CSV, Parquet or JSON files in a folder, selected by a glob."""

    class Options(_Options):
        path: str
        format: Literal["parquet", "csv", "json"] = "parquet"
        glob: str = Field("*", description="which files of the folder belong to the dataset")
        dataset: str | None = None

    options: Options
    _readers = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json_auto"}

    def files(self, root: Path) -> list[Path]:
        folder = _local_path(root, self.options.path)
        if not folder.is_dir():
            raise ConnectorError(f"folder {folder} does not exist", fix="create it or fix `options.path`",
                                 input=str(folder))
        found = sorted(folder.glob(self.options.glob))
        if not found:
            raise ConnectorError(f"no file in {folder} matches {self.options.glob!r}",
                                 fix="fix `options.glob`, or generate the data (`aios demo --prepare-only`)",
                                 input=self.options.glob)
        return found

    def attach(self, con, *, alias, root):
        files = self.files(root)
        reader = self._readers[self.options.format]
        file_list = "[" + ", ".join(_quote(str(f)) for f in files) + "]"
        con.execute(f"ATTACH ':memory:' AS {alias}")
        dataset = self.options.dataset or Path(self.options.path).name
        con.execute(f"CREATE VIEW {alias}.main.{dataset} AS SELECT * FROM {reader}({file_list})")

    def probe(self, con, *, alias, root):
        self.attach(con, alias=alias, root=root)
        dataset = self.options.dataset or Path(self.options.path).name
        con.execute(f"SELECT * FROM {alias}.main.{dataset} LIMIT 0").fetchall()


@connectors.register("datasets")
class DatasetsConnector(Connector):
    """Datasets written through the workbench (`wb.write`, `POST datasets/write`): a folder with one
    sub-folder of Parquet files per dataset, each a view `SOURCE.main.NAME`. An empty or missing folder
    is a source with no datasets yet."""

    class Options(_Options):
        path: str

    options: Options
    NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")

    def folder(self, root: Path) -> Path:
        """The datasets' folder. The governed engine may read it as a whole (datasets written after it was
        locked), so it must not hold the workspace (its state folder keeps salts, tokens and logins)."""
        folder = _local_path(root, self.options.path).resolve()
        workspace = Path(root).resolve()
        if folder == workspace or folder in workspace.parents:
            raise ConnectorError(f"the datasets folder {self.options.path!r} holds the whole workspace",
                                 fix="use a folder of its own, e.g. `path: outputs`", input=self.options.path)
        return folder

    def datasets(self, root: Path) -> dict[str, list[Path]]:
        """Each dataset's Parquet files (sub-folders being written, named `.NAME...`, are skipped)."""
        folder = self.folder(root)
        if not folder.is_dir():
            return {}
        found = {}
        for sub in sorted(folder.iterdir()):
            files = self.files_of(root, sub.name) if sub.is_dir() and self.NAME.fullmatch(sub.name) else []
            if files:
                found[sub.name] = files
        return found

    def files_of(self, root: Path, name: str) -> list[Path]:
        """One dataset's Parquet files (none when it does not exist)."""
        return sorted((self.folder(root) / name).glob("*.parquet"))

    def files(self, root: Path) -> list[Path]:
        return [f for files in self.datasets(root).values() for f in files]

    def attach(self, con, *, alias, root):
        con.execute(f"ATTACH ':memory:' AS {alias}")
        for name in self.datasets(root):
            self.refresh_view(con, alias=alias, root=root, name=name)

    def refresh_view(self, con, *, alias, root, name) -> None:
        """(Re)create the view of dataset `name` over its current files (after a write)."""
        files = self.files_of(root, name)
        if not files:
            con.execute(f"DROP VIEW IF EXISTS {alias}.main.{name}")
            return
        file_list = "[" + ", ".join(_quote(str(f)) for f in files) + "]"
        con.execute(f"CREATE OR REPLACE VIEW {alias}.main.{name} AS SELECT * FROM read_parquet({file_list})")


class _FileDatabase(Connector):
    class Options(_Options):
        path: str

    options: Options
    attach_type = ""

    def attach(self, con, *, alias, root):
        path = _local_path(root, self.options.path)
        if not path.is_file():
            raise ConnectorError(f"database file {path} does not exist", fix="fix `options.path`",
                                 input=str(path))
        if self.duckdb_extension:
            load_extension(con, self.duckdb_extension)
        kind = f"TYPE {self.attach_type}, " if self.attach_type else ""
        con.execute(f"ATTACH {_quote(str(path))} AS {alias} ({kind}READ_ONLY)")


@connectors.register("duckdb")
class DuckDBFileConnector(_FileDatabase):
    """A DuckDB database file, attached read-only."""


@connectors.register("sqlite")
class SQLiteConnector(_FileDatabase):
    """A SQLite database file, attached read-only through DuckDB's sqlite extension."""

    duckdb_extension = "sqlite"
    attach_type = "sqlite"


class _ServerDatabase(Connector):
    class Options(_Options):
        host: str = "127.0.0.1"
        port: int | None = None
        database: str
        user: str
        password_secret: str | None = Field(None, description="name of the secret holding the password")
        schema_: str | None = Field(None, alias="schema")

    options: Options
    duckdb_extension: str  # each server type names the DuckDB extension that attaches it
    attach_type = ""

    def connection_string(self) -> str:
        o = self.options
        parts = {"host": o.host, "port": o.port, "dbname" if self.attach_type == "postgres" else "database": o.database,
                 "user": o.user}
        if o.password_secret:
            parts["password"] = resolve_secret(o.password_secret)
        return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)

    def attached_schema(self) -> str | None:
        """The only schema DuckDB is to see of the server (`options.schema`), or None for all of them."""
        return self.options.schema_

    def attach(self, con, *, alias, root):
        load_extension(con, self.duckdb_extension)
        only = self.attached_schema()
        schema = f", SCHEMA {_quote(only)}" if only else ""
        try:
            con.execute(f"ATTACH {_quote(self.connection_string())} AS {alias} "
                        f"(TYPE {self.attach_type}, READ_ONLY{schema})")
        except duckdb.Error as exc:
            o = self.options
            raise ConnectorError(
                f"cannot connect to {self.attach_type} at {o.host}:{o.port or 'default port'} "
                f"database {o.database!r} as {o.user!r}: {str(exc).splitlines()[0]}",
                fix="check that the server runs and the host, port, database, user and password secret are right",
                input=alias,
            ) from None


@connectors.register("postgres")
class PostgresConnector(_ServerDatabase):
    """A PostgreSQL database, attached read-only through DuckDB's postgres extension."""

    duckdb_extension = "postgres"
    attach_type = "postgres"
    system_schemas = frozenset({"pg_catalog", "information_schema", "pg_toast"})


@connectors.register("mysql")
class MySQLConnector(_ServerDatabase):
    """A MySQL or MariaDB database, attached read-only through DuckDB's mysql extension."""

    duckdb_extension = "mysql"
    attach_type = "mysql"
    system_schemas = frozenset({"information_schema", "mysql", "performance_schema", "sys"})

    def attached_schema(self) -> str | None:
        """A MySQL database is a schema of the server, and DuckDB's extension lists every one the user sees
        whatever the connection's `database`: the source is its `options.database` only (or `options.schema`
        where given), so no other database becomes a dataset or is readable through the governed engine."""
        return self.options.schema_ or self.options.database
