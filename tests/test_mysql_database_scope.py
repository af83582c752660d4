"""A MySQL/MariaDB source is the database its connector names, not every database its user can see."""

from __future__ import annotations

import uuid

import pytest

from aios_workbench.core.errors import PermissionDenied, UsageError

POLICY = """
roles: {{buyer: {{}}}}
users:
  bea: {{roles: [buyer]}}
grants:
  - {{role: buyer, scope: {source}}}
"""


@pytest.fixture
def other_database(mariadb_database):
    """A second database on the same server, which root also sees, holding a table with a marker value."""
    import pymysql

    name = f"aios_other_{uuid.uuid4().hex[:12]}"
    con = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    con.cursor().execute(f"CREATE DATABASE `{name}`")
    try:
        con.cursor().execute(f"CREATE TABLE `{name}`.payroll (id int, note varchar(40))")
        con.cursor().execute(f"INSERT INTO `{name}`.payroll VALUES (1, 'OTHER-DATABASE-MARKER')")
        yield name
    finally:
        con.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        con.close()


@pytest.mark.services
def test_only_the_named_database_becomes_datasets_and_others_are_unreadable(workspace, mariadb_database,
                                                                           other_database):
    import pymysql

    from aios_workbench.catalog import scan_catalog
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.store.models import Dataset, DatasetColumn
    from aios_workbench.workspace import Workspace

    con = pymysql.connect(host="127.0.0.1", user="root", password="", database=mariadb_database, autocommit=True)
    con.cursor().execute("CREATE TABLE vendors (id int, name varchar(40))")
    con.cursor().execute("INSERT INTO vendors VALUES (7, 'Named DB vendor')")
    con.close()
    (workspace.root / "connectors" / "shop.yaml").write_text(
        f"name: shop\ntype: mysql\noptions: {{port: 3306, database: {mariadb_database}, user: root}}\n")
    (workspace.root / "governance" / "policy.yaml").write_text(POLICY.format(source="shop"))
    service = WorkbenchService(Workspace.load(workspace.root), mode="local")
    try:
        report = scan_catalog(service.workspace, service.store)
        assert report.failed == {}, report.failed
        service.queries.refresh()
        shop = {(e.schema, e.name) for e in service.queries.catalog().entries if e.source == "shop"}
        assert shop == {(mariadb_database, "vendors")}   # no other database, no server catalog

        rows = service.queries.run(f"SELECT id, name FROM shop.{mariadb_database}.vendors", user="bea",
                                   surface="test").to_arrow().to_pylist()
        assert rows == [{"id": 7, "name": "Named DB vendor"}]

        # bea's grant covers the whole source, yet the other database is no part of it
        with pytest.raises(PermissionDenied, match="unknown dataset"):
            service.queries.run(f"SELECT * FROM shop.{other_database}.payroll", user="bea", surface="test").to_arrow()

        # nor is it readable when a catalog still names it (as a scan of an earlier version stored it):
        # the engine's attach does not see that database at all
        with service.store.session() as session, session.begin():
            stale = Dataset(source="shop", schema_name=other_database, name="payroll", kind="table")
            session.add(stale)
            session.flush()
            session.add_all(DatasetColumn(dataset_id=stale.id, name=c, data_type=t, position=i)
                            for i, (c, t) in enumerate([("id", "INTEGER"), ("note", "VARCHAR")]))
        service.queries.refresh()
        with pytest.raises(UsageError, match="does not exist") as refused:
            service.queries.run(f"SELECT * FROM shop.{other_database}.payroll", user="bea",
                                surface="test").to_arrow().to_pylist()
        assert "OTHER-DATABASE-MARKER" not in str(refused.value)

        # and the next scan drops the stale dataset
        scan_catalog(service.workspace, service.store, force=True)
        service.queries.refresh()
        assert {(e.schema, e.name) for e in service.queries.catalog().entries if e.source == "shop"} == shop
    finally:
        service.close()
