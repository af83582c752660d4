"""Data sources are probed for real in DuckDB, and credentials never leak into errors."""

from __future__ import annotations

import pytest

from aios_workbench.connectors import check_connector, load_declarations
from aios_workbench.connectors.secrets import resolve_secret
from aios_workbench.core.errors import ConfigError
from aios_workbench.core.registry import connectors


def declare(workspace, name: str, text: str):
    (workspace.root / "connectors" / f"{name}.yaml").write_text(text)
    (decl,) = [d for d in load_declarations(workspace.connectors_dir) if d.name == name]
    return check_connector(decl, workspace_root=workspace.root, extension_dir=workspace.extension_dir)


def test_demo_sources_all_answer(demo_workspace):
    health = [check_connector(d, workspace_root=demo_workspace.root, extension_dir=demo_workspace.extension_dir)
              for d in demo_workspace.connectors]

    assert {h.name: (h.type, h.ok, h.error) for h in health} == {
        "supplier_master": ("sqlite", True, None),
        "purchasing_warehouse": ("duckdb", True, None),
        "shipment_files": ("files", True, None),
        "external_signals": ("duckdb", True, None),
        "outputs": ("datasets", True, None),   # no dataset written yet: still a healthy source
    }


def test_sqlite_extension_comes_from_the_wheel_into_the_workspace(demo_workspace):
    installed = list(demo_workspace.extension_dir.rglob("sqlite*.duckdb_extension"))

    assert installed, "the sqlite extension should be installed into .aios/duckdb_extensions"


def test_files_source_with_no_matching_file_says_what_to_fix(workspace):
    (workspace.root / "exports").mkdir()

    health = declare(workspace, "exports", "name: exports\ntype: files\noptions: {path: exports, glob: '*.csv', format: csv}\n")

    assert not health.ok
    assert "no file in" in health.error and "'*.csv'" in health.error


@pytest.mark.services
def test_postgres_source_answers(workspace, postgres_url):
    database = postgres_url.rsplit("/", 1)[1]
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 dbname={database} user=postgres", autocommit=True) as con:
        con.execute("CREATE TABLE vendors (id int primary key, name text)")

    health = declare(workspace, "erp", f"name: erp\ntype: postgres\noptions:\n  port: 5432\n  database: {database}\n"
                     "  user: postgres\n")

    assert (health.ok, health.error) == (True, None)


@pytest.mark.services
def test_mariadb_source_answers(workspace, mariadb_database):
    health = declare(workspace, "shop", f"name: shop\ntype: mysql\noptions:\n  port: 3306\n"
                     f"  database: {mariadb_database}\n  user: root\n")

    assert (health.ok, health.error) == (True, None)


@pytest.mark.services
def test_wrong_credentials_are_reported_without_the_password(workspace, mariadb_database, monkeypatch):
    monkeypatch.setenv("SHOP_PASSWORD", "pw-Tr0ub4dor-3")

    health = declare(workspace, "shop", f"name: shop\ntype: mysql\noptions:\n  port: 3306\n"
                     f"  database: {mariadb_database}\n  user: nobody_here\n  password_secret: SHOP_PASSWORD\n")

    assert not health.ok
    assert "cannot connect to mysql at 127.0.0.1:3306" in health.error
    assert "pw-Tr0ub4dor-3" not in health.error


def test_unreachable_server_names_host_and_port(workspace, monkeypatch):
    monkeypatch.setenv("ERP_PASSWORD", "pw-unreachable-9")

    health = declare(workspace, "erp", "name: erp\ntype: postgres\noptions:\n  port: 1\n  database: erp\n"
                     "  user: etl\n  password_secret: ERP_PASSWORD\n")

    assert not health.ok
    assert "127.0.0.1:1" in health.error
    assert "pw-unreachable-9" not in health.error


def test_missing_secret_names_the_secret_and_where_to_set_it(monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    monkeypatch.delenv("AIOS_SECRETS_FILE", raising=False)

    with pytest.raises(ConfigError, match="secret 'NOT_SET_ANYWHERE' is not set") as info:
        resolve_secret("NOT_SET_ANYWHERE")
    assert "AIOS_SECRETS_FILE" in info.value.fix


def test_secrets_file_outside_the_workspace(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("WAREHOUSE_PASSWORD: from-the-file\n")
    monkeypatch.setenv("AIOS_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("WAREHOUSE_PASSWORD", raising=False)

    assert resolve_secret("WAREHOUSE_PASSWORD") == "from-the-file"

    secrets.write_text("WAREHOUSE_PASSWORD: first-value\nWAREHOUSE_PASSWORD: second-value\n")
    with pytest.raises(ConfigError, match="line 2: duplicate key `WAREHOUSE_PASSWORD`") as twice:
        resolve_secret("WAREHOUSE_PASSWORD")
    assert "first-value" not in str(twice.value) and "second-value" not in str(twice.value)   # never a secret


def test_built_in_connector_types_are_registered_like_plugins():
    import aios_workbench.connectors.builtin  # noqa: F401

    assert {"files", "duckdb", "sqlite", "postgres", "mysql"} <= set(connectors.names())
