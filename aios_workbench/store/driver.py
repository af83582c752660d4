"""Statements on a hot path: compiled once by SQLAlchemy, run on the driver's own cursor.

SQLAlchemy's execution path (a pooled `Connection`, `begin`, compiling the cached statement's parameters,
wrapping the result) costs ~0.1 ms of Python per statement and as much again per transaction: on every
query's audit append that was ~0.5 ms of a small query's ~1 ms. A `DriverStatement` keeps what makes
SQLAlchemy worth having (the dialect's SQL text and paramstyle, and each column type's own conversion, so a
value is stored exactly as an ORM write or read of the same column expects) and leaves out the rest.
`driver_transaction` is the matching transaction: the backend's write lock taken the way its `begin` takes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


class DriverStatement:
    """`statement` compiled for `engine`'s dialect; `execute`/`executemany` on a DBAPI cursor."""

    def __init__(self, statement: ClauseElement, engine: Engine):
        dialect = engine.dialect
        self.compiled = compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = compiled.string
        self._order: Sequence[str] | None = compiled.positiontup if compiled.positional else None
        self._convert: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                self._convert[name] = convert

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """`values` by name, plus the statement's own literals (a LIMIT), converted and in the paramstyle's form."""
        named = dict(self.compiled.construct_params(dict(values)) or {})
        for name, convert in self._convert.items():
            if name in named:
                named[name] = convert(named[name])
        return tuple(named[name] for name in self._order) if self._order is not None else named

    def execute(self, cursor, values: Mapping[str, Any] | None = None):
        cursor.execute(self.sql, self.parameters(values or {}))
        return cursor

    def executemany(self, cursor, rows: Sequence[Mapping[str, Any]]):
        cursor.executemany(self.sql, [self.parameters(row) for row in rows])
        return cursor


@contextlib.contextmanager
def driver_transaction(engine: Engine) -> Iterator[Any]:
    """A DBAPI cursor in one transaction on a pooled connection: committed when the block ends, rolled back
    when it raises. SQLite's connections run in autocommit (`store.database`): BEGIN IMMEDIATE takes the
    write lock at once, as the store's `begin` does; PostgreSQL's driver opens the transaction itself."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            connection.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                cursor.close()
            try:
                connection.rollback()
            except Exception:  # noqa: BLE001 - a lost connection: dropped from the pool; the first error stands
                connection.invalidate()
            raise
        cursor.close()
    finally:
        connection.close()   # back to the pool


def driver_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """The driver's own error classes (a `DriverStatement` raises them, not SQLAlchemy's)."""
    return (engine.dialect.loaded_dbapi.Error,)
