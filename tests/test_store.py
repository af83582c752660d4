"""The metadata store: migrations keep data, SQLite takes concurrent writers, PostgreSQL works."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from aios_workbench.core.errors import StoreError
from aios_workbench.store import open_store
from aios_workbench.store.models import AuditEvent, Base, Job, JobRun


def test_upgrade_from_the_first_schema_keeps_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    old = open_store(url, migrate=False)
    old.migrate("0001_initial")
    assert "jobs" not in old.tables()
    with old.engine.begin() as con:
        con.execute(text(
            "INSERT INTO datasets (source, schema_name, name, kind, description, scanned_at) "
            "VALUES ('wh', 'main', 'orders', 'table', 'kept', '2026-01-01 00:00:00')"))
        con.execute(text(
            "INSERT INTO audit_events (at, user, surface, action, target, allowed, detail, prev_hash, hash) "
            "VALUES ('2026-01-01 00:00:00', 'ann', 'cli', 'query', 'wh.main.orders', 1, '{}', '', 'h1')"))
    old.close()

    upgraded = open_store(url)

    assert upgraded.revision() == "0009_column_descriptions"
    with upgraded.engine.connect() as con:
        assert con.execute(text("SELECT description FROM datasets")).scalar_one() == "kept"
        assert con.execute(text("SELECT user FROM audit_events")).scalar_one() == "ann"
    with upgraded.session() as s, s.begin():
        s.add(Job(name="nightly", notebook="notebooks/n.ipynb", version=1, identity="ann", created_by="ann"))
    with upgraded.session() as s:
        assert s.scalar(select(Job.name)) == "nightly"


def test_migrations_build_exactly_the_models(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'meta.db'}")

    assert store.tables() - {"alembic_version"} == set(Base.metadata.tables)
    from sqlalchemy import inspect

    inspector = inspect(store.engine)
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == set(table.columns.keys()), name


def _write_audit_rows(url: str, writer: int, count: int) -> None:
    store = open_store(url, migrate=False)
    for i in range(count):
        with store.session() as s, s.begin():
            previous = s.scalar(select(func.count(AuditEvent.id)))
            s.add(AuditEvent(user=f"w{writer}", surface="test", action="write", target=str(i), allowed=True,
                             detail={"seen": previous}, prev_hash="", hash=""))
    store.close()


def test_sqlite_store_takes_concurrent_writers_from_several_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    open_store(url).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_audit_rows, args=(url, w, 150)) for w in range(4)]

    for p in writers:
        p.start()
    for p in writers:
        p.join(timeout=120)

    assert [p.exitcode for p in writers] == [0, 0, 0, 0]
    store = open_store(url)
    with store.session() as s:
        assert s.scalar(select(func.count(AuditEvent.id))) == 600
        assert s.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"


@pytest.mark.services
def test_postgresql_store_migrates_and_reports_health(postgres_url):
    store = open_store(postgres_url)

    health = store.health()
    assert (health.ok, health.backend, health.revision) == (True, "postgresql", "0009_column_descriptions")
    with store.session() as s, s.begin():
        job = Job(name="weekly", notebook="notebooks/w.ipynb", version=1, spec={"parameters": {"n": 1}},
                  identity="bo", created_by="bo")
        s.add(job)
        s.flush()
        s.add(JobRun(job_id=job.id, version=1, trigger="schedule", status="queued", requested_by="bo",
                     occurrence=datetime.now(UTC)))
    with store.session() as s:
        assert s.scalar(select(JobRun.status)) == "queued"
    store.close()


def test_unreachable_store_reports_unhealthy_without_its_password(tmp_path):
    store = open_store("postgresql+psycopg://aios:s3cr3t-pw@127.0.0.1:1/nowhere", migrate=False)

    health = store.health()
    assert not health.ok and health.error
    assert "s3cr3t-pw" not in health.error
    with pytest.raises(StoreError) as info:
        store.migrate()
    assert "s3cr3t-pw" not in str(info.value) and "***" in str(info.value)


def test_malformed_store_url_is_a_clear_error():
    with pytest.raises(StoreError, match="not a valid SQLAlchemy URL") as info:
        open_store("not a url at all")
    assert "sqlite:///" in info.value.fix
