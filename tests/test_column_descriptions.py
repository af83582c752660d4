"""Column descriptions: read from the source's own comments by the scan, given by a steward in
governance/policy.yaml (the steward's word wins), shown wherever the column is, searchable, and seen
by exactly those who may read the dataset."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from aios_workbench.core.errors import ConfigError, PermissionDenied
from tests.conftest import run_aios
from tests.governed_fixtures import POLICY, build_governed_workspace, open_governed_service

SALARY_WORDS = "Gross yearly pay in euros, before payroll deductions."


def described_workspace(root: Path) -> Path:
    """The governed workspace with comments in its DuckDB file and a steward's descriptions in the policy."""
    build_governed_workspace(root)
    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute("COMMENT ON TABLE people IS 'People of the HR system (the source''s comment).'")
    con.execute("COMMENT ON COLUMN people.region IS 'Where the employee works: EU or US.'")
    con.execute("COMMENT ON COLUMN people.salary IS 'salary (the source''s comment, overridden)'")
    con.execute("COMMENT ON COLUMN salaries.note IS 'confidential payroll remark'")
    con.close()
    con = duckdb.connect(str(root / "fin.duckdb"))
    con.execute("COMMENT ON TABLE budget IS 'Budget lines of the finance team.'")
    con.close()
    policy = POLICY.replace("      name: [pii.person_name]\n",
                            "      name: [pii.person_name]\n    column_descriptions:\n"
                            f"      SALARY: {SALARY_WORDS}\n      Note: Free text typed by HR.\n")
    (root / "governance" / "policy.yaml").write_text(policy)
    return root


@pytest.fixture
def described(tmp_path):
    service = open_governed_service(described_workspace(tmp_path / "ws"))
    yield service
    service.close()


def by_name(columns: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in columns}


def test_the_scan_reads_comments_and_the_stewards_word_wins(described):
    shown = described.catalog.show("ana", "hr.main.people")
    columns = by_name(shown["columns"])

    assert (shown["description"], shown["description_origin"]) == ("Employees.", "policy")
    assert (columns["region"]["description"], columns["region"]["description_origin"]) == \
        ("Where the employee works: EU or US.", "source")
    assert (columns["salary"]["description"], columns["salary"]["description_origin"]) == (SALARY_WORDS, "policy")
    assert (columns["note"]["description"], columns["note"]["description_origin"]) == \
        ("Free text typed by HR.", "policy")   # policy keys match columns in any case
    assert (columns["id"]["description"], columns["id"]["description_origin"]) == ("", "")
    # the page's schema (the caller's view) carries them too
    access = by_name(shown["access"]["columns"])
    assert access["region"]["description"] == "Where the employee works: EU or US."
    assert access["salary"]["description_origin"] == "policy"

    budget = described.catalog.show("sam", "fin.main.budget")   # no policy entry: the table's comment
    assert (budget["description"], budget["description_origin"]) == ("Budget lines of the finance team.", "source")


def test_the_mcp_describe_dataset_tool_carries_the_descriptions(described):
    from aios_workbench.surfaces.mcp.tools import describe_dataset

    answer = describe_dataset(described, SimpleNamespace(user="ana"), "hr.main.people")

    assert by_name(answer["columns"])["salary"]["description"] == SALARY_WORDS
    assert by_name(answer["access"]["columns"])["region"]["description_origin"] == "source"


def test_search_finds_a_dataset_by_a_word_in_a_column_description_and_says_which(described):
    (hit,) = [h for h in described.catalog.search("ana", "deductions") if h["name"] == "hr.main.people"]

    (reason,) = hit["reasons"]
    assert reason["field"] == "column"
    assert reason["text"] == f'salary: "{SALARY_WORDS}"'
    start, end = reason["highlights"][0]
    assert reason["text"][start:end] == "deductions"
    assert hit["why"] == f'Matched: column salary: "{SALARY_WORDS}"'
    assert "salary" in hit["matched_columns"]


def test_descriptions_are_seen_only_by_those_who_may_read_the_dataset(described):
    # otto has no grant: no search hit by a described word, no listing, no show
    assert described.catalog.search("otto", "deductions") == []
    assert described.catalog.search("otto", "payroll remark") == []
    assert described.catalog.readable("otto") == []
    with pytest.raises(PermissionDenied):
        described.catalog.show("otto", "hr.main.people")
    # ana reads people but not salaries: that table's column comment does not reach her either
    assert all(h["name"] != "hr.main.salaries" for h in described.catalog.search("ana", "payroll remark"))
    assert "hr.main.salaries" not in {d["name"] for d in described.catalog.readable("ana")}
    sam = [h["name"] for h in described.catalog.search("sam", "payroll remark")]
    assert "hr.main.salaries" in sam   # a steward who reads it finds it by the comment


def test_a_masked_column_keeps_its_description_but_no_value_shows(described):
    access = by_name(described.catalog.show("ana", "hr.main.people")["access"]["columns"])

    assert access["salary"]["mask"] == "null" and access["salary"]["description"] == SALARY_WORDS
    assert "50000" not in str(access["salary"]) and "Rawname" not in str(access)


def test_a_description_of_a_column_the_dataset_lacks_is_a_warning_not_an_error(tmp_path):
    root = described_workspace(tmp_path / "ws")
    policy = root / "governance" / "policy.yaml"
    policy.write_text(policy.read_text().replace("      Note: Free", "      bonus: Yearly bonus.\n      Note: Free"))
    service = open_governed_service(root)
    try:
        catalog = service.queries.catalog()
        assert catalog.resolve(("hr", "main", "people")).column("salary").description == SALARY_WORDS
        assert [w for w in catalog.warnings if "'bonus'" in w] == [
            "governance/policy.yaml describes column 'bonus' of hr.main.people, which has no such column "
            "(its columns: id, name, email, ssn, region, salary, note)"]
    finally:
        service.close()


@pytest.mark.parametrize(("value", "message"), [
    ("12", r"datasets.hr.main.people`: .*the description of column 'salary' must be text, not int \(12\)"),
    ("x" * 501, r"datasets.hr.main.people`: .*the description of column 'salary' is 501 characters long: "
                r"keep it to 500"),
])
def test_a_description_that_is_not_short_text_is_refused_naming_dataset_and_column(tmp_path, value, message):
    from aios_workbench.policy.model import load_policy

    folder = tmp_path / "governance"
    folder.mkdir()
    (folder / "policy.yaml").write_text(f"datasets:\n  hr.main.people:\n    column_descriptions:\n      salary: {value}\n")

    with pytest.raises(ConfigError, match=message):
        load_policy(folder)


def test_catalog_show_prints_each_columns_description_under_it(tmp_path):
    root = described_workspace(tmp_path / "ws")
    open_governed_service(root).close()

    human = run_aios("--workspace", str(root), "catalog", "show", "people", env={"AIOS_USER": "ana"})
    as_json = run_aios("--workspace", str(root), "catalog", "show", "people", "--json", env={"AIOS_USER": "ana"})

    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    region = next(i for i, line in enumerate(lines) if line.strip().startswith("region "))
    assert lines[region + 1].strip() == "Where the employee works: EU or US. (from the source)"
    salary = next(i for i, line in enumerate(lines) if line.strip().startswith("salary "))
    assert lines[salary + 1].strip() == SALARY_WORDS   # a steward's word is not marked
    import json

    columns = by_name(json.loads(as_json.stdout)["columns"])
    assert columns["salary"]["description"] == SALARY_WORDS


def scan_server_source(workspace, connector_yaml: str):
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.catalog.load import load_catalog
    from aios_workbench.store import open_store

    (workspace.root / "connectors" / "erp.yaml").write_text(connector_yaml)
    store = open_store(workspace.metadata_url)
    try:
        report = scan_catalog(type(workspace).load(workspace.root), store, only={"erp"})
        return report, load_catalog(store, workspace.policy)
    finally:
        store.close()


@pytest.mark.services
def test_postgres_comments_are_scanned_and_an_edited_comment_is_rescanned(workspace, postgres_url):
    import psycopg

    database = postgres_url.rsplit("/", 1)[1]
    dsn = f"host=127.0.0.1 dbname={database} user=postgres"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("CREATE TABLE vendors (id int, lead_time_days int)")
        con.execute("COMMENT ON TABLE vendors IS 'Vendors we buy from'")
        con.execute("COMMENT ON COLUMN vendors.lead_time_days IS 'Days between order and delivery'")
    connector = f"name: erp\ntype: postgres\noptions: {{port: 5432, database: {database}, user: postgres}}\n"

    report, catalog = scan_server_source(workspace, connector)
    vendors = catalog.resolve(("erp", "public", "vendors"))
    assert report.scanned == ["erp"]
    assert (vendors.description, vendors.description_origin) == ("Vendors we buy from", "source")
    assert vendors.column("lead_time_days").description == "Days between order and delivery"

    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("COMMENT ON COLUMN vendors.lead_time_days IS 'Calendar days from order to delivery'")
    report, catalog = scan_server_source(workspace, connector)
    assert report.scanned == ["erp"]   # the comment moved the fingerprint
    assert catalog.resolve(("erp", "public", "vendors")).column("lead_time_days").description == \
        "Calendar days from order to delivery"
    assert scan_server_source(workspace, connector)[0].unchanged == ["erp"]


@pytest.mark.services
def test_mariadb_comments_are_scanned(workspace, mariadb_database):
    import pymysql

    con = pymysql.connect(host="127.0.0.1", user="root", password="", database=mariadb_database, autocommit=True)
    con.cursor().execute("CREATE TABLE shops (id int COMMENT 'Shop number', city varchar(40)) COMMENT='Our shops'")
    con.close()

    report, catalog = scan_server_source(
        workspace, f"name: erp\ntype: mysql\noptions: {{port: 3306, database: {mariadb_database}, user: root}}\n")

    shops = catalog.resolve(("erp", mariadb_database, "shops"))
    assert report.failed == {}
    assert (shops.description, shops.column("id").description, shops.column("city").description) == \
        ("Our shops", "Shop number", "")
    assert shops.column("id").description_origin == "source"


def test_the_notebook_and_dashboard_schemas_show_the_description_marked_by_origin(described):
    from aios_workbench.kernel.ui import render
    from aios_workbench.surfaces.dashboard.pages.data import described as dashboard_words

    view = described.catalog.explain("ana", "hr.main.people")
    view["columns"][0]["description"] = "<b>not markup</b>"   # a description is text, escaped like any other

    html = render.access(view)
    columns = by_name(view["columns"])

    assert "Where the employee works: EU or US.</span> <span class=\"aios-muted\" " in html
    assert "(from the source)" in html and SALARY_WORDS in html
    assert "<b>not markup</b>" not in html and "&lt;b&gt;not markup&lt;/b&gt;" in html
    assert dashboard_words(columns["region"]) == "Where the employee works: EU or US. (from the source)"
    assert dashboard_words(columns["salary"]) == SALARY_WORDS
    assert dashboard_words(columns["ssn"]) == ""


# pages.common.table passes Tabulator `name=`, which this Panel deprecates (not this test's concern)
@pytest.mark.filterwarnings("ignore:Widget.name is deprecated:PendingDeprecationWarning")
def test_the_dashboard_data_page_schema_has_a_description_column(described):
    from aios_workbench.surfaces.dashboard.pages.data import DataPage

    frame = DataPage._schema(described.catalog.explain("ana", "hr.main.people")).value

    assert list(frame.columns) == ["column", "type", "description", "classification", "what you see"]
    assert dict(zip(frame["column"], frame["description"], strict=True))["region"] == \
        "Where the employee works: EU or US. (from the source)"
