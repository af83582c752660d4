"""Lineage: OpenLineage events for governed queries and jobs, their log, the graph, the HTTP transport, the CLI."""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from aios_workbench.catalog.model import CatalogEntry, ColumnInfo
from aios_workbench.lineage import (
    HttpTransport,
    LineageEmitter,
    LineageLog,
    downstream,
    emitter_for,
    job_event,
    log_path,
    query_event,
    upstream,
)
from aios_workbench.lineage.events import PRODUCER, SCHEMA_URL, is_result
from tests.conftest import free_port
from tests.governed_fixtures import RAW_MARKERS, build_governed_workspace, open_governed_service

REQUIRED_EVENT_KEYS = {"eventType", "eventTime", "run", "job", "inputs", "outputs", "producer", "schemaURL"}
PEOPLE = CatalogEntry("hr", "main", "people", "table", (
    ColumnInfo("id", "INTEGER"), ColumnInfo("name", "VARCHAR", ("pii.person_name",)),
    ColumnInfo("region", "VARCHAR"), ColumnInfo("salary", "INTEGER")))
EVENTS = CatalogEntry("hr", "main", "events", "table", (
    ColumnInfo("id", "BIGINT"), ColumnInfo("kind", "BIGINT"), ColumnInfo("label", "VARCHAR")))
JOIN_AGGREGATE = """
    SELECT p.region, count(e.kind) AS n, sum(p.salary) AS total, max(upper(p.name)) AS top
    FROM People p JOIN main.events e ON p.id = e.id
    WHERE e.kind > 2
    GROUP BY p.region
"""


def all_facets(event: dict):
    yield from event["run"]["facets"].values()
    yield from event["job"]["facets"].values()
    for ds in event["inputs"] + event["outputs"]:
        yield from ds["facets"].values()


def input_fields(event: dict, column: str) -> set[tuple[str, str, str]]:
    spec = event["outputs"][0]["facets"]["columnLineage"]["fields"][column]
    return {(f["name"], f["field"], f["transformations"][0]["subtype"]) for f in spec["inputFields"]}


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    root = build_governed_workspace(tmp_path_factory.mktemp("lineage") / "ws")
    service = open_governed_service(root)
    yield root, service
    service.close()


# -- events --------------------------------------------------------------------


def test_query_event_has_the_openlineage_run_event_shape():
    event = query_event("demo", "ana", "cli", "SELECT region FROM people", [PEOPLE], rows=3)

    assert REQUIRED_EVENT_KEYS <= event.keys()
    assert event["eventType"] == "COMPLETE"
    assert datetime.fromisoformat(event["eventTime"]).tzinfo is not None
    assert uuid.UUID(event["run"]["runId"]).version == 4
    assert event["job"] == {**event["job"], "namespace": "aios://demo", "name": "query:ana"}
    assert event["producer"] == PRODUCER and event["schemaURL"] == SCHEMA_URL
    assert event["job"]["facets"]["sql"]["query"] == "SELECT region FROM people"
    assert event["run"]["facets"]["aios_run"]["user"] == "ana"
    assert event["run"]["facets"]["aios_run"]["rows"] == 3
    for facet in all_facets(event):
        assert facet["_producer"] == PRODUCER
        assert facet["_schemaURL"].startswith("http")
    json.dumps(event)  # plain JSON all the way down


def test_run_ids_follow_mlflow_and_job_run_ids():
    mlflow_id = uuid.uuid4().hex
    first = query_event("demo", "ana", "kernel", "SELECT 1 AS x FROM people", [PEOPLE], run_id=mlflow_id)
    job_start = job_event("demo", "job:nightly", user="sam", event_type="START", run_id="nightly-42")
    job_end = job_event("demo", "job:nightly", user="sam", event_type="COMPLETE", run_id="nightly-42")

    assert uuid.UUID(first["run"]["runId"]).hex == mlflow_id
    assert first["run"]["facets"]["aios_run"]["externalRunId"] == mlflow_id
    assert job_start["run"]["runId"] == job_end["run"]["runId"]
    assert uuid.UUID(job_start["run"]["runId"])


def test_failed_query_event_carries_the_error_message():
    event = query_event("demo", "ana", "cli", "SELECT id FROM people", [PEOPLE], status="FAIL",
                        error=TimeoutError("query ran longer than 300 s"))

    assert event["eventType"] == "FAIL"
    assert event["run"]["facets"]["errorMessage"]["message"] == "TimeoutError"
    with pytest.raises(ValueError):
        query_event("demo", "ana", "cli", "SELECT id FROM people", [PEOPLE], status="DONE")


def test_inputs_carry_schema_facets_from_the_catalog(governed):
    _, service = governed
    catalog = service.queries.catalog()
    people = catalog.resolve(("hr", "main", "people"))
    events = catalog.resolve(("events",))

    event = query_event("governed", "ana", "cli", "SELECT p.id FROM people p JOIN events e USING (id)",
                        [people, events])

    by_name = {ds["name"]: ds for ds in event["inputs"]}
    assert set(by_name) == {"hr.main.people", "hr.main.events"}
    for entry in (people, events):
        ds = by_name[entry.full_name]
        assert ds["namespace"] == "aios://governed"
        assert ds["facets"]["schema"]["fields"] == [{"name": c.name, "type": c.data_type} for c in entry.columns]


def test_statements_the_workbench_writes_itself_keep_their_inputs_but_no_column_lineage(governed):
    from aios_workbench.lineage import LineageLog, log_path

    _, service = governed
    sql = "SELECT region, count(*) AS n FROM hr.main.people GROUP BY region"
    for surface in ("check", "cli"):
        service.queries.run(sql + f" -- {surface}", user="ana", surface=surface).to_arrow()
    service.queries.flush_lineage()

    events = {e["run"]["facets"]["aios_run"]["surface"]: e for e in LineageLog(log_path(service.workspace)).events()
              if e["job"]["facets"].get("sql", {}).get("query", "").endswith(tuple(f"-- {s}" for s in ("check", "cli")))}
    assert [d["name"] for d in events["check"]["inputs"]] == ["hr.main.people"] == \
        [d["name"] for d in events["cli"]["inputs"]]
    assert events["check"]["outputs"] == []                               # a check's aggregate: no column lineage
    assert "columnLineage" in events["cli"]["outputs"][0]["facets"]      # a person's query keeps it


def test_column_lineage_of_a_join_and_aggregate():
    event = query_event("demo", "ana", "cli", JOIN_AGGREGATE, [PEOPLE, EVENTS],
                        masked={"hr.main.people": ["name"]})

    result = event["outputs"][0]
    facet = result["facets"]["columnLineage"]
    assert is_result(result) and result["name"].startswith("query:")
    assert set(facet["fields"]) == {"region", "n", "total", "top"}
    assert input_fields(event, "region") == {("hr.main.people", "region", "IDENTITY")}
    assert input_fields(event, "n") == {("hr.main.events", "kind", "AGGREGATION")}
    assert input_fields(event, "total") == {("hr.main.people", "salary", "AGGREGATION")}
    assert input_fields(event, "top") == {("hr.main.people", "name", "AGGREGATION")}
    top = facet["fields"]["top"]["inputFields"][0]["transformations"][0]
    assert top["type"] == "DIRECT" and top["masking"] is True
    indirect = {(f["name"], f["field"], f["transformations"][0]["subtype"]) for f in facet["dataset"]}
    assert indirect == {("hr.main.people", "id", "JOIN"), ("hr.main.events", "id", "JOIN"),
                        ("hr.main.events", "kind", "FILTER"), ("hr.main.people", "region", "GROUP_BY")}


def test_column_lineage_through_a_cte_and_star():
    cte = query_event("demo", "ana", "cli", "WITH x AS (SELECT id, salary * 2 AS s FROM people) SELECT s FROM x",
                      [PEOPLE])
    star = query_event("demo", "ana", "cli", "SELECT * FROM hr.main.people", [PEOPLE])

    assert input_fields(cte, "s") == {("hr.main.people", "salary", "TRANSFORMATION")}
    assert set(star["outputs"][0]["facets"]["columnLineage"]["fields"]) == {"id", "name", "region", "salary"}
    assert input_fields(star, "name") == {("hr.main.people", "name", "IDENTITY")}


def test_events_hold_the_submitted_sql_redacted_never_the_rewritten_sql(governed, monkeypatch):
    from aios_workbench.connectors.secrets import resolve_secret

    _, service = governed
    monkeypatch.setenv("AIOS_LINEAGE_TEST_SECRET", "Zq9-secret-value-771")
    resolve_secret("AIOS_LINEAGE_TEST_SECRET")
    sql = ("SELECT name, email FROM people WHERE note <> 'password=hunter2' "
           "AND note <> 'postgresql://app:pgpass99@db/x' AND note <> 'Zq9-secret-value-771'")
    result = service.queries.run(sql, user="ana", surface="test")
    result.to_arrow()
    entries = [service.queries.catalog().resolve(tuple(name.split("."))) for name in result.datasets]

    event = query_event("governed", "ana", "test", sql, entries, rows=result.rows,
                        masked={"hr.main.people": ["email", "name", "salary", "ssn"]})

    text = json.dumps(event)
    assert event["job"]["facets"]["sql"]["query"].startswith("SELECT name, email FROM people WHERE")
    assert "aios_mask" not in text                       # the rewritten SQL's mask functions
    assert '"hr"."main"' not in text                     # the rewritten SQL's raw table references
    for leaked in ("hunter2", "pgpass99", "Zq9-secret-value-771", *RAW_MARKERS):
        assert leaked not in text
    email = event["outputs"][0]["facets"]["columnLineage"]["fields"]["email"]["inputFields"][0]
    assert email["transformations"][0]["masking"] is True


# -- the log and the transports ------------------------------------------------------------


def test_log_keeps_every_event_whole_under_concurrent_appends(tmp_path):
    path = tmp_path / "state" / "lineage.jsonl"
    writers = [LineageLog(path), LineageLog(path)]  # two instances on one file share the lock
    padding = "x" * 20_000  # bigger than a pipe buffer, so interleaving would show

    def write(worker: int) -> None:
        for i in range(100):
            event = job_event("demo", f"job:w{worker}", user="sam", event_type="COMPLETE", run_id=f"{worker}-{i}")
            event["run"]["facets"]["aios_run"]["padding"] = padding
            writers[worker % 2].append(event)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lines = path.read_bytes().splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == 800
    assert len({e["run"]["runId"] for e in events}) == 800
    assert all(e["run"]["facets"]["aios_run"]["padding"] == padding for e in events)


def test_log_reader_skips_a_line_cut_short_by_a_crash(tmp_path):
    log = LineageLog(tmp_path / "lineage.jsonl")
    log.append(job_event("demo", "job:a", user="sam", event_type="COMPLETE", run_id="1"))
    with log.path.open("a") as f:
        f.write('{"eventType": "COMPL')
    log.append(job_event("demo", "job:b", user="sam", event_type="COMPLETE", run_id="2"))

    assert [e["job"]["name"] for e in log.events()] == ["job:a", "job:b"]


class _Collector(BaseHTTPRequestHandler):
    bodies: list = []
    status = 201

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    handler = type("Handler", (_Collector,), {"bodies": [], "status": 201})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/lineage", handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_transport_posts_the_event_as_json(endpoint):
    url, handler = endpoint
    event = query_event("demo", "ana", "cli", JOIN_AGGREGATE, [PEOPLE, EVENTS])
    transport = HttpTransport(url, timeout=5)

    assert transport.send(event) is True
    transport.emit(event)
    assert transport.flush(timeout=10)

    assert handler.bodies == [("/api/v1/lineage", "application/json", event)] * 2
    assert transport.failures == 0


def test_http_transport_failures_never_raise(endpoint, caplog):
    url, handler = endpoint
    handler.status = 500
    unreachable = HttpTransport(f"http://user:pw123@127.0.0.1:{free_port()}/api/v1/lineage", timeout=2)
    refused = HttpTransport(url, timeout=2)
    event = job_event("demo", "job:x", user="sam", event_type="COMPLETE")

    assert unreachable.send(event) is False
    assert refused.send(event) is False
    unreachable.emit(event)
    assert unreachable.flush(timeout=10)

    assert unreachable.failures == 2 and refused.failures == 1
    assert "pw123" not in caplog.text and "did not take an event" in caplog.text


def test_emitter_writes_the_workspace_log_and_survives_a_broken_target(workspace, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    broken = LineageLog(blocker / "lineage.jsonl")  # its folder is a file: every append fails
    emitter = emitter_for(workspace)
    event = job_event(workspace.name, "job:x", user="sam", event_type="COMPLETE")

    LineageEmitter(broken, *emitter.targets).emit(event)

    assert emitter.log.path == workspace.state_dir / "lineage.jsonl" == log_path(workspace)
    assert list(emitter.log.events()) == [event]
    assert "could not record a lineage event" in caplog.text
    assert any(isinstance(t, HttpTransport) for t in emitter_for(workspace, url="http://127.0.0.1:1/x").targets)


# -- the graph -------------------------------------------------------------------------


def hand_built_log(path) -> LineageLog:
    """RAW -> job:load -> A -> job:etl -> B; A read by query:ana twice and query:sam once; B read by query:sam."""
    log = LineageLog(path)
    t = "2026-11-0{}T10:00:00.000+00:00".format
    for event in [
        job_event("demo", "job:load", user="sam", event_type="START", run_id="load-1", inputs=["raw.main.src"],
                  outputs=["wh.main.a"], event_time=t(1)),
        job_event("demo", "job:load", user="sam", event_type="COMPLETE", run_id="load-1",
                  inputs=["raw.main.src"], outputs=["wh.main.a"], event_time=t(1)),
        query_event("demo", "ana", "kernel", "SELECT x FROM a", [CatalogEntry("wh", "main", "a", "table", (
            ColumnInfo("x", "INTEGER"),))], event_time=t(2)),
        query_event("demo", "ana", "kernel", "SELECT x FROM a", [CatalogEntry("wh", "main", "a", "table", (
            ColumnInfo("x", "INTEGER"),))], event_time=t(4)),
        query_event("demo", "sam", "cli", "SELECT x FROM a", [CatalogEntry("wh", "main", "a", "table", (
            ColumnInfo("x", "INTEGER"),))], status="FAIL", event_time=t(3)),
        job_event("demo", "job:etl", user="sam", event_type="START", run_id="etl-1", inputs=["wh.main.a"],
                  outputs=["wh.main.b"], event_time=t(5)),
        job_event("demo", "job:etl", user="sam", event_type="COMPLETE", run_id="etl-1", inputs=["wh.main.a"],
                  outputs=["wh.main.b"], event_time=t(5)),
        job_event("demo", "query:sam", user="sam", event_type="COMPLETE", inputs=["wh.main.b"], event_time=t(6)),
        job_event("demo", "job:dedupe", user="sam", event_type="COMPLETE", inputs=["wh.main.b"],
                  outputs=["wh.main.b"], event_time=t(7)),
    ]:
        log.append(event)
    return log


def ids(graph: dict) -> set[str]:
    return {n["id"] for n in graph["nodes"]}


def edges(graph: dict) -> set[tuple[str, str]]:
    return {(e["from"], e["to"]) for e in graph["edges"]}


def test_downstream_follows_readers_and_what_they_wrote(tmp_path):
    log = hand_built_log(tmp_path / "lineage.jsonl")

    graph = downstream(log, "WH.MAIN.A")

    assert ids(graph) == {"dataset:wh.main.a", "job:query:ana", "job:query:sam", "job:job:etl", "dataset:wh.main.b",
                          "job:job:dedupe"}
    assert {("dataset:wh.main.a", "job:job:etl"), ("job:job:etl", "dataset:wh.main.b"),
            ("dataset:wh.main.b", "job:query:sam"), ("dataset:wh.main.b", "job:job:dedupe"),
            ("job:job:dedupe", "dataset:wh.main.b")} <= edges(graph)
    assert not any(node["name"].startswith("query:") and node["kind"] == "dataset" for node in graph["nodes"])
    counts = graph["counts"]
    assert counts["reads"] == 4  # three queries and one etl run (its START and COMPLETE are one run)
    assert counts["by_user"] == {"ana": 2, "sam": 2}
    assert counts["last_read"].startswith("2026-11-05")
    assert counts["failed"] == 1
    assert counts["columns"] == {"x": 3}
    ana = next(n for n in graph["nodes"] if n["id"] == "job:query:ana")
    assert ana["runs"] == 2 and ana["users"] == {"ana": 2} and ana["type"] == "QUERY"


def test_upstream_follows_writers_and_their_inputs_within_the_depth(tmp_path):
    log = hand_built_log(tmp_path / "lineage.jsonl")

    full = upstream(log, "wh.main.b")
    shallow = upstream(log, "wh.main.b", depth=1)

    assert {("dataset:wh.main.a", "job:job:etl"), ("job:job:etl", "dataset:wh.main.b"),
            ("job:job:load", "dataset:wh.main.a"), ("dataset:raw.main.src", "job:job:load")} <= edges(full)
    assert full["counts"]["writes"] == 2 and full["counts"]["by_job"] == {"job:etl": 1, "job:dedupe": 1}
    assert not full["truncated"]
    assert "job:job:load" not in ids(shallow) and shallow["truncated"]
    assert upstream(log, "raw.main.src")["nodes"] == [{"id": "dataset:raw.main.src", "kind": "dataset",
                                                       "name": "raw.main.src"}]


def test_the_index_reads_only_what_was_appended_and_starts_over_on_a_new_file(tmp_path):
    from aios_workbench.lineage.graph import lineage_of

    log = hand_built_log(tmp_path / "lineage.jsonl")
    before = lineage_of(log, "wh.main.b")
    log.append(job_event("demo", "job:report", user="ana", event_type="COMPLETE", inputs=["wh.main.b"],
                         outputs=["wh.main.report"]))
    with log.path.open("ab") as f:   # a writer still in the middle of its line: not read yet
        f.write(b'{"eventType": "COMPLETE", "job": {"name": "job:half"')

    after = lineage_of(log, "wh.main.b")

    assert "job:job:report" not in ids(before["downstream"])
    assert {"job:job:report", "dataset:wh.main.report"} <= ids(after["downstream"])
    assert "job:job:half" not in ids(after["downstream"])
    assert after == {**lineage_of(LineageLog(log.path), "wh.main.b")}      # the same as a fresh reading
    assert ids(after["downstream"]) == ids(downstream(log, "wh.main.b"))   # ... and as a full pass

    log.path.unlink()   # a new log (rotated, or another workspace at the same path): read from its start
    fresh = hand_built_log(tmp_path / "lineage.jsonl")
    assert "job:job:report" not in ids(lineage_of(fresh, "wh.main.b")["downstream"])


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def aios_cli():
    from aios_workbench.surfaces.cli.lineage_commands import lineage
    from aios_workbench.surfaces.cli.main import cli

    added = "lineage" not in cli.commands
    if added:  # until the lead registers the command in cli/main.py
        cli.add_command(lineage)
    yield cli
    if added:
        cli.commands.pop("lineage")


def test_cli_shows_upstream_and_downstream(governed, aios_cli):
    root, service = governed
    people = service.queries.catalog().resolve(("people",))
    log = LineageLog(log_path(service.workspace))
    log.append(query_event("governed", "ana", "cli", "SELECT region, count(*) AS n FROM people GROUP BY 1",
                           [people]))
    log.append(job_event("governed", "job:payroll", user="sam", event_type="COMPLETE", run_id="p-1",
                         inputs=[people], outputs=["hr.main.salaries"]))
    runner = CliRunner()

    as_json = runner.invoke(aios_cli, ["--workspace", str(root), "lineage", "PEOPLE", "--json"],
                            env={"AIOS_USER": "sam"})
    as_text = runner.invoke(aios_cli, ["--workspace", str(root), "lineage", "hr.main.people"],
                            env={"AIOS_USER": "sam"})
    as_ana = runner.invoke(aios_cli, ["--workspace", str(root), "lineage", "people", "--json"],
                           env={"AIOS_USER": "ana"})

    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["dataset"] == "hr.main.people"
    assert {"job:query:ana", "job:job:payroll", "dataset:hr.main.salaries"} <= ids(data["downstream"])
    by_user = data["downstream"]["counts"]["by_user"]
    assert by_user["sam"] == 1 and by_user["ana"] >= 1  # ana's real governed queries in this module count too
    assert as_text.exit_code == 0, as_text.output
    assert re.search(r"^   -> job:payroll .*\n      -> hr\.main\.salaries$", as_text.output, re.M)
    assert "(no recorded writer" in as_text.output
    ana_view = json.loads(as_ana.output)["downstream"]  # ana has no grant on hr.main.salaries
    assert "hr.main.salaries" not in json.dumps(ana_view)
    assert any(n.get("restricted") for n in ana_view["nodes"])


def test_cli_refuses_unknown_and_unreadable_datasets(governed, aios_cli):
    root, _ = governed
    runner = CliRunner()

    unknown = runner.invoke(aios_cli, ["--workspace", str(root), "lineage", "nope"], env={"AIOS_USER": "sam"})
    unreadable = runner.invoke(aios_cli, ["--workspace", str(root), "lineage", "salaries"],
                               env={"AIOS_USER": "ana"})

    assert unknown.exit_code == 66 and "unknown dataset 'nope'" in unknown.output
    assert unreadable.exit_code == 77 and "ana may not read hr.main.salaries" in unreadable.output
