"""The governed engine over server databases, and its limits: timeout, row cap, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aios_workbench.core.errors import PermissionDenied, UsageError
from aios_workbench.query.engine import QueryTimeout
from tests.governed_fixtures import build_governed_workspace, open_governed_service

POLICY = """
datasets:
  {source}.{schema}.vendors:
    columns: {{email: [pii.email]}}
roles: {{buyer: {{}}}}
users:
  bea: {{roles: [buyer], attributes: {{country: DE}}}}
grants:
  - {{role: buyer, scope: {source}}}
masks:
  - {{tag: pii.email, method: redact}}
row_filters:
  - {{dataset: {source}.{schema}.vendors, predicate: "country = {{user.country}}"}}
"""


def governed_query_over(workspace, source: str, schema: str, connector_yaml: str, *, system: tuple[str, ...] = ()):
    """bea's rows of SOURCE.SCHEMA.vendors; and, bea holding a grant on the whole source, that the server's own
    catalogs (`system`: tables the DuckDB extension lists beside the data) are no datasets and cannot be read."""
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    (workspace.root / "connectors" / f"{source}.yaml").write_text(connector_yaml)
    (workspace.root / "governance" / "policy.yaml").write_text(POLICY.format(source=source, schema=schema))
    service = WorkbenchService(Workspace.load(workspace.root), mode="local")
    try:
        report = scan_catalog(service.workspace, service.store)
        assert report.failed == {}, report.failed
        if system:   # as a scan of an earlier version left them: never served, rescanned or not
            from aios_workbench.store.models import Dataset

            with service.store.session() as session, session.begin():
                stale_schema, stale_name = system[0].split(".")
                session.add(Dataset(source=source, schema_name=stale_schema, name=stale_name, kind="table"))
        service.queries.refresh()
        schemas = {e.schema.lower() for e in service.queries.catalog().entries if e.source == source}
        assert schema.lower() in schemas and not schemas & {t.split(".")[0] for t in system}
        for table in system:
            with pytest.raises(PermissionDenied, match="unknown dataset|system catalog"):
                service.queries.run(f"SELECT * FROM {source}.{table}", user="bea", surface="test").to_arrow()
        return service.queries.run(f"SELECT * FROM {source}.{schema}.vendors ORDER BY id", user="bea",
                                   surface="test").to_arrow().to_pylist()
    finally:
        service.close()


VENDORS = [(1, "vendor-one@raw.example", "DE"), (2, "vendor-two@raw.example", "FR"), (3, "v3@raw.example", "DE")]


@pytest.mark.services
def test_postgres_tables_are_governed_like_any_other(workspace, postgres_url):
    import psycopg

    database = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 dbname={database} user=postgres", autocommit=True) as con:
        con.execute("CREATE TABLE vendors (id int, email text, country text)")
        con.cursor().executemany("INSERT INTO vendors VALUES (%s, %s, %s)", VENDORS)

    rows = governed_query_over(workspace, "erp", "public",
                               f"name: erp\ntype: postgres\noptions: {{port: 5432, database: {database}, user: postgres}}\n",
                               system=("pg_catalog.pg_authid", "information_schema.tables", "pg_toast.pg_toast_1260"))

    assert rows == [{"id": 1, "email": "***", "country": "DE"}, {"id": 3, "email": "***", "country": "DE"}]


@pytest.mark.services
def test_mariadb_tables_are_governed_like_any_other(workspace, mariadb_database):
    import pymysql

    con = pymysql.connect(host="127.0.0.1", user="root", password="", database=mariadb_database, autocommit=True)
    con.cursor().execute("CREATE TABLE vendors (id int, email varchar(64), country varchar(2))")
    con.cursor().executemany("INSERT INTO vendors VALUES (%s, %s, %s)", VENDORS)
    con.close()

    rows = governed_query_over(workspace, "shop", mariadb_database,
                               f"name: shop\ntype: mysql\noptions: {{port: 3306, database: {mariadb_database}, user: root}}\n",
                               system=("mysql.user", "mysql.global_priv", "performance_schema.users", "sys.version",
                                       "information_schema.tables"))

    assert [(r["id"], r["email"], r["country"]) for r in rows] == [(1, "***", "DE"), (3, "***", "DE")]
    assert "raw.example" not in json.dumps(rows)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = open_governed_service(build_governed_workspace(tmp_path_factory.mktemp("engine") / "ws"))
    yield svc
    svc.close()


def test_a_query_running_past_the_timeout_is_stopped_and_audited(service):
    service.queries.timeout = 0.5
    try:
        with pytest.raises(QueryTimeout, match="longer than 0.5 s"):
            service.queries.run("SELECT count(*) FROM hr.main.events a, hr.main.events b WHERE a.label < b.label",
                                user="ana", surface="test").to_arrow()
    finally:
        service.queries.timeout = 300
    record = service.audit.query(user="ana", limit=1)[0]
    assert "longer than" in record["detail"]["error"]


def test_results_are_cut_at_max_rows_and_flagged(service):
    result = service.queries.run("SELECT * FROM hr.main.events", user="ana", surface="test", max_rows=70_000)

    table = result.to_arrow()
    assert table.num_rows == 70_000 and result.truncated
    assert service.audit.query(user="ana", limit=1)[0]["detail"]["truncated"] is True


def test_only_cursors_of_queries_that_ran_to_their_end_are_reused(service):
    """A finished query's cursor serves the next query; a stopped, failed or half-read one is closed, so no
    query inherits an interrupt or a pending result."""
    queries, engine = service.queries, service.queries.engine
    queries.run("SELECT 1 AS n FROM hr.main.events LIMIT 1", user="ana", surface="test").to_arrow()
    idle = list(engine._idle)
    queries.run("SELECT 2 AS n FROM hr.main.events LIMIT 1", user="ana", surface="test").to_arrow()
    assert engine._idle == idle and idle   # the same cursor went out and came back

    while engine._idle:
        engine._idle.pop().close()
    queries.timeout = 0.5
    try:
        with pytest.raises(QueryTimeout):
            queries.run("SELECT count(*) FROM hr.main.events a, hr.main.events b WHERE a.label < b.label",
                        user="ana", surface="test").to_arrow()
    finally:
        queries.timeout = 300
    with pytest.raises(UsageError):
        queries.run("SELECT CAST(label AS INTEGER) FROM hr.main.events", user="ana", surface="test").to_arrow()
    half_read = queries.run("SELECT * FROM hr.main.events", user="ana", surface="test", max_rows=10)
    assert half_read.to_arrow().num_rows == 10 and half_read.truncated
    assert engine._idle == []   # none of the three came back

    table = queries.run("SELECT count(*) AS n FROM hr.main.events", user="ana", surface="test").to_arrow()
    assert table.column("n")[0].as_py() > 0 and len(engine._idle) == 1


def test_a_pivots_cursor_is_not_reused_so_its_values_do_not_stay_behind(service):
    """A PIVOT without an IN list leaves a temporary ENUM of every value it saw on its cursor (DuckDB never
    drops it): that cursor is closed, and the cursors that serve later queries hold no such type."""
    queries, engine = service.queries, service.queries.engine
    while engine._idle:
        engine._idle.pop().close()

    pivoted = queries.run("SELECT * FROM (PIVOT hr.main.events ON kind USING count(*))", user="ana",
                          surface="test").to_arrow()
    assert pivoted.num_rows >= 1 and engine._idle == []   # closed, not kept

    queries.run("SELECT 1 AS n FROM hr.main.events LIMIT 1", user="ana", surface="test").to_arrow()
    (kept,) = engine._idle
    leftovers = kept.execute("SELECT count(*) FROM duckdb_types() WHERE type_name LIKE '__pivot_enum%'").fetchone()
    assert leftovers == (0,)


def test_engine_is_locked_against_configuration_changes(service):
    con = service.queries.engine.con
    import duckdb

    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM read_text('/etc/passwd')").fetchall()


def test_memory_and_thread_limits_come_from_the_workspace_config(tmp_path):
    from aios_workbench.core.errors import ConfigError
    from aios_workbench.workspace import Workspace

    root = build_governed_workspace(tmp_path / "ws")
    (root / "aios.yaml").write_text("query:\n  threads: 1\n  memory_limit: 512MB\n")
    svc = open_governed_service(root)
    try:
        settings = dict(svc.queries.engine.con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit')").fetchall())
        assert settings["threads"] == "1" and settings["memory_limit"].startswith("488")
    finally:
        svc.close()
    (root / "aios.yaml").write_text("query:\n  memory_limit: lots\n")
    with pytest.raises(ConfigError, match="aios.yaml line 2: key `query.memory_limit`"):
        Workspace.load(root)


def test_a_query_bigger_than_the_memory_limit_spills_to_the_workspace_state_and_completes(tmp_path):
    import duckdb

    root = build_governed_workspace(tmp_path / "ws")
    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute("CREATE TABLE tokens AS SELECT i AS id, md5(i::VARCHAR) AS token FROM range(1500000) t(i)")
    con.close()
    (root / "aios.yaml").write_text("query:\n  memory_limit: 40MB\n")
    svc = open_governed_service(root)
    try:
        # ~1.5M distinct 32-character strings: a hash table several times the limit
        rows = svc.queries.run("SELECT count(DISTINCT token) AS n, max(token) AS top FROM hr.main.tokens",
                               user="sam", surface="test").to_arrow().to_pylist()
        spill = Path(svc.workspace.state_dir) / "tmp" / "duckdb"
        assert spill.is_dir()
    finally:
        svc.close()

    expected = duckdb.sql("SELECT count(DISTINCT md5(i::VARCHAR)), max(md5(i::VARCHAR)) FROM range(1500000) t(i)")
    assert [(r["n"], r["top"]) for r in rows] == expected.fetchall()
    assert not (root / ".tmp").exists()          # not DuckDB's default spill folder in the workspace root


def test_the_default_memory_limit_is_one_gigabyte(tmp_path):
    root = build_governed_workspace(tmp_path / "ws")
    svc = open_governed_service(root)
    try:
        value = svc.queries.engine.con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'").fetchone()[0]
    finally:
        svc.close()
    assert value == "953.6 MiB"   # DuckDB's rendering of 1GB (10^9 bytes)


def test_a_query_on_a_source_that_is_down_says_why_not_that_a_catalog_is_missing(workspace):
    """The SQLite file moved away after the scan: the query names the source, its attach error and the fix,
    instead of DuckDB's "Catalog ... does not exist" with a hint about column names."""
    import sqlite3

    from aios_workbench.core.errors import ConnectorError
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    db = workspace.root / "vendors.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE vendors (id int, email text, country text)")
        con.executemany("INSERT INTO vendors VALUES (?, ?, ?)", VENDORS)
    governed_query_over(workspace, "crm", "main", f"name: crm\ntype: sqlite\noptions: {{path: '{db}'}}\n")
    db.rename(workspace.root / "moved.sqlite")

    service = WorkbenchService(Workspace.load(workspace.root), mode="local")
    try:
        with pytest.raises(ConnectorError) as down:
            service.queries.run("SELECT * FROM crm.main.vendors", user="bea", surface="test").to_arrow()
    finally:
        service.close()
    assert down.value.message.startswith("data source crm is unavailable: ")
    assert down.value.input == "crm" and "connectors/crm.yaml" in down.value.fix
