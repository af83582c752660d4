"""The REST API inside a real Jupyter server (pytest-jupyter), authenticated on every route."""

from __future__ import annotations

import getpass
import json

import pytest
import yaml
from tornado.httpclient import HTTPClientError

from aios_workbench.surfaces.rest.routes import API_PREFIX, all_routes

ROUTES = all_routes()

@pytest.fixture
def jp_server_config(workspace):
    return {
        "ServerApp": {"jpserver_extensions": {"aios_workbench": True}},
        "AIOSWorkbench": {"workspace": str(workspace.root)},
    }


async def test_status_reports_version_workspace_and_healthy_store(jp_fetch, workspace):
    response = await jp_fetch(API_PREFIX, "status")

    body = json.loads(response.body)
    assert response.code == 200
    assert body["service"] == "aios-workbench"
    assert body["mode"] == "jupyter"
    assert body["workspace"] == {"name": workspace.name, "path": str(workspace.root)}
    assert body["store"]["ok"] is True and body["store"]["revision"] == "0009_column_descriptions"
    assert [c["name"] for c in body["connectors"]] == ["outputs"]   # the scaffold's writable source, empty
    assert body["user"] == getpass.getuser()  # token logins are anonymous: the server's account is the user


@pytest.fixture
def declared_sources(workspace):
    """One reachable DuckDB source and one whose file is missing, declared before the server starts."""
    import duckdb

    duckdb.connect(str(workspace.root / "wh.duckdb")).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    (workspace.root / "connectors" / "wh.yaml").write_text("name: wh\ntype: duckdb\noptions: {path: wh.duckdb}\n")
    (workspace.root / "connectors" / "gone.yaml").write_text("name: gone\ntype: sqlite\noptions: {path: no.db}\n")


async def test_status_probes_each_declared_source(declared_sources, jp_fetch):
    response = await jp_fetch(API_PREFIX, "status")

    connectors = {c["name"]: c for c in json.loads(response.body)["connectors"]}
    assert connectors["wh"]["ok"] is True
    assert connectors["gone"]["ok"] is False
    assert "no.db" in connectors["gone"]["error"] and "does not exist" in connectors["gone"]["error"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
async def test_every_route_refuses_unauthenticated_requests(jp_fetch, route):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        if not hasattr(route, method.lower()):
            continue
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(API_PREFIX, route.path, method=method, headers={"Authorization": ""},
                           **({"body": "{}"} if method in ("POST", "PUT", "PATCH") else {}))
        assert info.value.code in (401, 403), (route.path, method)


async def test_openapi_document_lists_every_route(jp_fetch):
    response = await jp_fetch(API_PREFIX, "openapi.yaml")

    spec = yaml.safe_load(response.body)
    documented = set(spec["paths"])
    assert {f"/{r.path}" for r in ROUTES} == documented
    for route in ROUTES:
        verbs = {m for m in ("get", "post", "put", "patch", "delete") if hasattr(route, m)}
        assert verbs == set(spec["paths"][f"/{route.path}"]), route.path


@pytest.fixture
def broken_config(workspace):
    (workspace.root / "aios.yaml").write_text("name: demo\nservice:\n  port: lots\n")


async def test_broken_workspace_answers_a_readable_error_not_a_crash(broken_config, jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(API_PREFIX, "status")

    assert info.value.code == 422
    body = json.loads(info.value.response.body)
    assert body["error"] == "invalid_config"
    assert "aios.yaml line 3" in body["message"] and "service.port" in body["message"]
    assert body["fix"]


@pytest.fixture
def writable(workspace):
    """A `datasets` source the server's user may write, declared before the server starts."""
    user = getpass.getuser()
    (workspace.root / "connectors" / "outputs.yaml").write_text("name: outputs\ntype: datasets\noptions: {path: out}\n")
    (workspace.root / "governance" / "policy.yaml").write_text(
        f"roles:\n  writer: {{}}\nusers:\n  {user}: {{roles: [writer]}}\n"
        "grants:\n  - {role: writer, scope: outputs, privilege: write}\n  - {role: writer, scope: outputs}\n")
    return workspace


async def test_a_write_streams_through_jupyters_server_after_its_authentication(writable, jp_fetch):
    import pyarrow as pa

    table = pa.table({"id": list(range(1000)), "label": [f"row {i}" for i in range(1000)]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    body = sink.getvalue().to_pybytes()

    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(API_PREFIX, "datasets/write", method="POST", body=body, headers={"Authorization": ""},
                       params={"target": "outputs.labels"})
    assert refused.value.code in (401, 403)
    assert not (writable.root / "out" / "labels").exists()

    response = await jp_fetch(API_PREFIX, "datasets/write", method="POST", body=body,
                              params={"target": "outputs.labels"},
                              headers={"Content-Type": "application/vnd.apache.arrow.stream"})
    result = json.loads(response.body)
    assert response.code == 201 and result["rows"] == 1000 and result["dataset"] == "outputs.main.labels"
    assert not list((writable.state_dir / "tmp" / "writes").iterdir())
