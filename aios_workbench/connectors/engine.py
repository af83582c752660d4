"""DuckDB connections with extensions installed from the pip wheels, never downloaded."""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect(extension_dir: Path, *, database: str = ":memory:", threads: int = 2,
            memory_limit: str = "2GB", temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that cannot fetch extensions from the network. Past `memory_limit` it spills
    to `temp_directory` (DuckDB's default for an in-memory database is `.tmp` in the working folder)."""
    extension_dir.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {
        "extension_directory": str(extension_dir),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "threads": threads,
        "memory_limit": memory_limit,
    }
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_directory)
    return duckdb.connect(database, config=config)


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install `name` from its `duckdb-extension-<name>` wheel (once) and load it."""
    import duckdb_extensions

    installed = con.execute(
        "SELECT installed, loaded FROM duckdb_extensions() WHERE extension_name = ?", [name]
    ).fetchone()
    if installed and installed[1]:
        return
    if not (installed and installed[0]):
        duckdb_extensions.import_extension(name, con=con)
    con.execute(f"LOAD {name}")
