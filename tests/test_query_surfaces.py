"""The governed query path from every surface: Jupyter REST, `aios serve` + kernel client, CLI.

Each surface goes through the same QueryService, so masks, row filters, denials
and audit records are the same everywhere; these tests check each surface's wiring.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from tornado.httpclient import HTTPClientError

from aios_workbench.surfaces.rest.routes import API_PREFIX
from tests.conftest import aios_serve, run_aios
from tests.governed_fixtures import (
    EU_ROWS,
    EVENT_ROWS,
    FILTERED_MARKER,
    RAW_MARKERS,
    build_governed_workspace,
    open_governed_service,
)

TOKEN = "surface-test-token-42"


@pytest.fixture(scope="module")
def governed_root(tmp_path_factory):
    root = build_governed_workspace(tmp_path_factory.mktemp("surfaces") / "ws")
    open_governed_service(root).close()  # scans the catalog
    return root


def assert_masked_and_filtered(rows: list[dict]) -> None:
    text = json.dumps(rows, default=str)
    for marker in (*RAW_MARKERS, FILTERED_MARKER):
        assert marker not in text
    assert len(rows) == EU_ROWS


# -- Jupyter server extension ---------------------------------------------------------------

@pytest.fixture
def jp_server_config(governed_root):
    return {"ServerApp": {"jpserver_extensions": {"aios_workbench": True}},
            "AIOSWorkbench": {"workspace": str(governed_root), "user": "ana"}}


async def test_jupyter_sql_streams_arrow_masked_and_filtered(jp_fetch):
    response = await jp_fetch(API_PREFIX, "sql", method="POST",
                              body=json.dumps({"sql": "SELECT * FROM hr.main.people"}))

    assert response.headers["Content-Type"] == "application/vnd.apache.arrow.stream"
    assert response.headers["X-AIOS-Datasets"] == "hr.main.people"
    assert_masked_and_filtered(pa.ipc.open_stream(response.body).read_all().to_pylist())


async def test_jupyter_denied_query_answers_403_with_the_rule(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(API_PREFIX, "sql", method="POST", body=json.dumps({"sql": "SELECT * FROM hr.main.salaries"}))

    assert info.value.code == 403
    body = json.loads(info.value.response.body)
    assert body["error"] == "query_denied" and "deny by default" in body["rule"]


@pytest.mark.parametrize(("body", "message"), [
    ("not json", "not JSON"),
    ('["SELECT 1"]', "JSON object"),
    ('{"sql": ""}', "empty"),
    ('{"sql": "SELECT 1", "max_rows": "ten"}', "max_rows must be a positive integer"),
    ('{"sql": "SELEC 1"}', "not valid SQL"),
    ('{"query": "SELECT 1"}', "POST sql takes no 'query'"),
])
async def test_jupyter_bad_requests_answer_400_naming_the_input(jp_fetch, body, message):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(API_PREFIX, "sql", method="POST", body=body)

    assert info.value.code == 400
    assert message in json.loads(info.value.response.body)["message"]


async def test_jupyter_catalog_lists_only_readable_datasets(jp_fetch):
    response = await jp_fetch(API_PREFIX, "catalog")

    names = [d["name"] for d in json.loads(response.body)["datasets"]]
    assert names == ["hr.main.events", "hr.main.people"]


async def test_jupyter_dataset_view_explains_masks_and_filter(jp_fetch):
    response = await jp_fetch(API_PREFIX, "catalog/dataset", params={"name": "hr.main.people"})

    view = json.loads(response.body)
    masks = {c["name"]: c["mask"] for c in view["columns"]}
    assert masks["email"] == "hash" and masks["ssn"] == "redact" and masks["id"] is None
    assert view["row_filter"]["predicate"] == "region = 'EU'"


async def test_jupyter_audit_shows_a_non_auditor_only_their_own_records(jp_fetch):
    await jp_fetch(API_PREFIX, "sql", method="POST", body=json.dumps({"sql": "SELECT 1 AS x"}))

    records = json.loads((await jp_fetch(API_PREFIX, "audit")).body)["records"]
    assert records and {r["user"] for r in records} == {"ana"}
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(API_PREFIX, "audit", params={"user": "sam"})
    assert info.value.code == 403


# -- standalone service and the kernel client ----------------------------------------------

@pytest.fixture(scope="module")
def served(governed_root):
    with aios_serve(governed_root, token=TOKEN, user="ana") as url:
        yield url


def test_kernel_client_returns_polars_pandas_and_arrow(served, monkeypatch):
    import polars as pl

    import aios_workbench as wb

    monkeypatch.setenv("AIOS_SERVICE_URL", served)
    monkeypatch.setenv("AIOS_TOKEN", TOKEN)
    wb.connect(served, TOKEN)

    frame = wb.sql("SELECT * FROM hr.main.people ORDER BY id")
    assert isinstance(frame, pl.DataFrame)
    assert_masked_and_filtered(frame.to_dicts())
    assert wb.sql("SELECT id FROM people", as_="pandas")["id"].tolist() == list(range(EU_ROWS))
    assert wb.table("hr.main.people", as_="arrow").num_rows == EU_ROWS


def test_kernel_client_streams_a_large_result_whole(served):
    from aios_workbench.kernel.client import ServiceClient

    table = ServiceClient(served, TOKEN).query_arrow("SELECT * FROM hr.main.events")

    assert table.num_rows == EVENT_ROWS
    assert table.column("id").to_pylist()[-1] == EVENT_ROWS - 1 or sorted(table.column("id").to_pylist()) == list(
        range(EVENT_ROWS))


def test_max_rows_caps_the_result(served):
    from aios_workbench.kernel.client import ServiceClient

    assert ServiceClient(served, TOKEN).query_arrow("SELECT * FROM hr.main.events", max_rows=1000).num_rows == 1000


def test_kernel_client_errors_carry_message_fix_and_rule(served):
    import aios_workbench as wb
    from aios_workbench.core.errors import WorkbenchError

    wb.connect(served, TOKEN)
    with pytest.raises(WorkbenchError) as info:
        wb.sql("SELECT * FROM read_csv('/etc/passwd')")
    assert info.value.rule == "no_table_functions" and info.value.fix
    with pytest.raises(WorkbenchError, match="not a dataset name"):
        wb.table("hr.main.people; DROP TABLE x")


def test_impersonation_through_the_service_needs_the_policy(served):
    from aios_workbench.core.errors import WorkbenchError
    from aios_workbench.kernel.client import ServiceClient

    with pytest.raises(WorkbenchError, match="may not act as"):
        ServiceClient(served, TOKEN).query_arrow("SELECT 1", as_user="sam")


# -- CLI -------------------------------------------------------------------------------------------

def cli(root, *args, user="ana"):
    return run_aios("--workspace", str(root), *args, env={"AIOS_USER": user})


def test_cli_sql_formats(governed_root, tmp_path):
    csv = cli(governed_root, "sql", "SELECT id, email FROM hr.main.people ORDER BY id", "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.strip().splitlines()
    assert lines[0] == "id,email" and len(lines) == EU_ROWS + 1 and "secret.example" not in csv.stdout

    out = tmp_path / "people.parquet"
    parquet = cli(governed_root, "sql", "SELECT * FROM hr.main.people", "--format", "parquet", "--out", str(out))
    assert parquet.returncode == 0, parquet.stderr
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == EU_ROWS

    as_json = cli(governed_root, "sql", "SELECT count(*) AS n FROM people", "--format", "json")
    assert json.loads(as_json.stdout) == [{"n": EU_ROWS}]
    flag = cli(governed_root, "sql", "SELECT count(*) AS n FROM people", "--json")   # as every command has
    assert json.loads(flag.stdout) == [{"n": EU_ROWS}]


def test_cli_sql_denial_exits_77_and_writes_no_file(governed_root, tmp_path):
    out = tmp_path / "x.csv"

    result = cli(governed_root, "sql", "SELECT * FROM hr.main.salaries", "--format", "csv", "--out", str(out))

    assert result.returncode == 77
    assert "may not read hr.main.salaries" in result.stderr and "fix:" in result.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cli_parquet_needs_out(governed_root):
    result = cli(governed_root, "sql", "SELECT 1", "--format", "parquet")

    assert result.returncode == 64 and "--out" in result.stderr


def test_cli_catalog_policy_and_audit(governed_root):
    listing = json.loads(cli(governed_root, "catalog", "ls", "--json").stdout)
    assert [d["name"] for d in listing] == ["hr.main.events", "hr.main.people"]

    explained = json.loads(cli(governed_root, "policy", "explain", "ana", "hr.main.people", "--json").stdout)
    assert explained["allowed"] and explained["row_filter"]["predicate"] == "region = 'EU'"
    denied = json.loads(cli(governed_root, "policy", "explain", "otto", "hr.main.people", "--json").stdout)
    assert not denied["allowed"] and "deny by default" in denied["rule"]

    shown = cli(governed_root, "catalog", "show", "people")
    assert shown.returncode == 0 and "masked: hash" in shown.stdout
    as_json = json.loads(cli(governed_root, "catalog", "show", "people", "--json").stdout)
    assert as_json["row_count"] is None          # the scan's count includes rows ana's filter hides
    refused = cli(governed_root, "catalog", "show", "people", user="otto")   # no grant: nothing of it shown
    assert refused.returncode != 0 and "otto may not read hr.main.people" in refused.stderr
    assert "email" not in refused.stdout + refused.stderr.split("fix:")[0]

    assert cli(governed_root, "audit", "verify").returncode == 0


def test_catalog_scan_is_incremental(tmp_path):
    import duckdb

    governed_root = build_governed_workspace(tmp_path / "ws")
    cli(governed_root, "catalog", "scan")
    first = json.loads(cli(governed_root, "catalog", "scan", "--json").stdout)
    assert set(first["unchanged"]) == {"hr", "fin"}

    con = duckdb.connect(str(governed_root / "fin.duckdb"))
    con.execute("CREATE TABLE forecast AS SELECT 1 AS id")
    con.close()
    second = json.loads(cli(governed_root, "catalog", "scan", "--json").stdout)

    # the scaffold's `outputs` source holds no dataset yet to keep its fingerprint on: it is scanned each time
    assert [s for s in second["scanned"] if s != "outputs"] == ["fin"] and second["unchanged"] == ["hr"]
    assert second["datasets"] == first["datasets"] + 1


def test_broken_policy_edit_keeps_the_previous_policy_in_force(tmp_path):
    root = build_governed_workspace(tmp_path / "ws")
    service = open_governed_service(root)
    try:
        policy = root / "governance" / "policy.yaml"
        good = policy.read_text()
        policy.write_text(good.replace("grants:", "grants: [oops"))

        table = service.queries.run("SELECT count(*) AS n FROM hr.main.people", user="ana", surface="test").to_arrow()

        assert table.column("n").to_pylist() == [EU_ROWS]
        assert "policy.yaml line" in str(service.queries.policy.last_error)
        policy.write_text(good.replace("  - {role: analyst, scope: hr.main.people}\n", ""))
        with pytest.raises(Exception, match="deny by default"):
            service.queries.run("SELECT count(*) FROM hr.main.people", user="ana", surface="test")
    finally:
        service.close()


def test_status_never_returns_a_source_credential(tmp_path, monkeypatch):
    from aios_workbench.workspace import Workspace
    from aios_workbench.workspace.scaffold import init_workspace

    root = init_workspace(tmp_path / "ws")
    (root / "connectors" / "erp.yaml").write_text(
        "name: erp\ntype: postgres\noptions: {port: 1, database: erp, user: etl, password_secret: ERP_PW}\n")
    monkeypatch.setenv("ERP_PW", "pw-never-shown-77")

    result = run_aios("--workspace", str(root), "status", "--json", env={"ERP_PW": "pw-never-shown-77"})

    assert result.returncode == 69
    assert "pw-never-shown-77" not in result.stdout + result.stderr
    assert Workspace.load(root).connectors[0].options["password_secret"] == "ERP_PW"


def test_reads_inside_a_run_become_mlflow_dataset_inputs_and_audit_carries_the_run(served, governed_root,
                                                                                     monkeypatch):
    import mlflow

    import aios_workbench as wb
    from aios_workbench.tracking import ensure_store, tracking_uri
    from aios_workbench.workspace import Workspace

    ws = Workspace.load(governed_root)
    ensure_store(ws)
    monkeypatch.setenv("AIOS_WORKSPACE", str(governed_root))
    wb.connect(served, TOKEN)

    with wb.run("lineage-test", params={"alpha": 0.5}) as run:
        wb.sql("SELECT id, email FROM hr.main.people")
        wb.table("hr.main.people")  # the same dataset again: logged once
        run.log_metrics({"rmse": 1.25})

    logged = mlflow.MlflowClient(tracking_uri(ws)).get_run(run.id)
    inputs = [(d.dataset.name, d.dataset.source_type) for d in logged.inputs.dataset_inputs]
    assert inputs == [("hr.main.people", "aios")]
    assert logged.data.params["alpha"] == "0.5" and logged.data.metrics["rmse"] == 1.25
    assert logged.data.tags["aios.user"] == "ana"  # the service's identity, not the kernel's OS account
    from aios_workbench.audit import AuditLog
    from aios_workbench.store import open_store

    store = open_store(ws.metadata_url)
    try:
        records = AuditLog(store, ws.state_dir / "audit.head").query(user="ana", limit=20)
    finally:
        store.close()
    # the service names the surface from how the caller signed in: `aios serve`'s bearer token is "api"
    assert any(r["detail"].get("run_id") == run.id and r["surface"] == "api" for r in records)


async def test_jupyter_preview_pages_by_cursor_and_masks(jp_fetch):
    first = json.loads((await jp_fetch(API_PREFIX, "catalog/preview", params={
        "name": "hr.main.people", "order_by": "id", "limit": "5"})).body)

    assert [r["id"] for r in first["rows"]] == [0, 1, 2, 3, 4] and first["next_cursor"]
    assert "secret.example" not in json.dumps(first["rows"])
    second = json.loads((await jp_fetch(API_PREFIX, "catalog/preview", params={
        "name": "hr.main.people", "order_by": "id", "limit": "5", "after": first["next_cursor"]})).body)
    assert [r["id"] for r in second["rows"]] == [5, 6, 7] and second["next_cursor"] is None
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(API_PREFIX, "catalog/preview", params={"name": "hr.main.people", "after": "forged"})
    assert info.value.code == 400


async def test_jupyter_profile_and_search(jp_fetch):
    profile = json.loads((await jp_fetch(API_PREFIX, "catalog/profile", params={"name": "hr.main.people"})).body)
    columns = {c["name"]: c for c in profile["columns"]}
    assert columns["email"]["masked"] is True and "top_values" not in columns["email"]
    assert profile["rows"] == EU_ROWS

    hits = json.loads((await jp_fetch(API_PREFIX, "catalog/search", params={"q": "people"})).body)["hits"]
    assert [h["name"] for h in hits] == ["hr.main.people"]
    found = json.loads((await jp_fetch(API_PREFIX, "catalog/search", params={"q": "salaries budget"})).body)["hits"]
    assert {"hr.main.salaries", "fin.main.budget"}.isdisjoint(h["name"] for h in found)  # ungranted: never found


def test_governed_queries_leave_lineage_events_readable_over_rest(served):
    from aios_workbench.kernel.client import ServiceClient

    client = ServiceClient(served, TOKEN)
    client.query_arrow("SELECT region, count(*) AS n FROM hr.main.people GROUP BY region")

    graph = client.get("lineage?name=hr.main.people")
    assert graph["dataset"] == "hr.main.people"
    assert graph["downstream"]["counts"]["by_user"].get("ana", 0) >= 1
    assert "aios_mask" not in json.dumps(graph)


def test_catalog_row_counts_come_from_the_scan_but_never_reveal_filtered_rows(governed_root):
    ana = json.loads(cli(governed_root, "catalog", "ls", "--json").stdout)
    sam = json.loads(cli(governed_root, "catalog", "ls", "--json", user="sam").stdout)

    assert {d["name"]: d["row_count"] for d in ana} == {"hr.main.events": EVENT_ROWS, "hr.main.people": None}
    assert {d["name"]: d["row_count"] for d in sam}["hr.main.people"] == 12
