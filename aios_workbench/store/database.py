"""Open the metadata store, migrate it to the current schema, report its health.

SQLite (the default) runs in WAL mode with `BEGIN IMMEDIATE` transactions and a
busy timeout, so the Jupyter server, the scheduler and the CLI can all write at
once: a writer waits for the lock instead of failing on a read-to-write upgrade.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aios_workbench.core.errors import StoreError
from aios_workbench.core.logs import redact

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "head"


@dataclass(frozen=True)
class StoreHealth:
    ok: bool
    backend: str
    revision: str | None
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _cause(exc: SQLAlchemyError) -> BaseException:
    """The driver's own error when there is one (its message names the problem), else `exc`."""
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class MetadataStore:
    """The engine and sessions of one metadata store."""

    def __init__(self, url: str):
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(f"metadata store URL {redact(url)!r} is not a valid SQLAlchemy URL",
                             fix="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
                             input=redact(url)) from None
        self.backend = parsed.get_backend_name()
        self.display_url = parsed.render_as_string(hide_password=True)
        if self.backend == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"cannot open metadata store {self.display_url}: {exc}",
                             fix="check the URL and that its database driver is installed",
                             input=self.display_url) from None
        if self.backend == "sqlite":
            _configure_sqlite(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def migrate(self, revision: str = HEAD) -> None:
        """Upgrade the schema to `revision`, keeping every existing row."""
        from alembic import command

        try:
            with self.engine.begin() as connection:
                command.upgrade(_alembic_config(connection), revision)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate metadata store {self.display_url}: {redact(str(_cause(exc)))}",
                             fix="check that the database is reachable and writable", input=self.display_url) from None

    def tables(self) -> set[str]:
        return set(inspect(self.engine).get_table_names())

    def health(self) -> StoreHealth:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return StoreHealth(True, self.backend, self.revision())
        except SQLAlchemyError as exc:
            message = str(_cause(exc)).splitlines()[0]
            return StoreHealth(False, self.backend, None, redact(message))

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, migrate: bool = True) -> MetadataStore:
    """Open the store at `url` and (by default) bring its schema up to date."""
    store = MetadataStore(url)
    if migrate:
        store.migrate()
    return store
