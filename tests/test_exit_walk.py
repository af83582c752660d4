"""Every exit, walked: each route of the OpenAPI document, called by a user who may not see what others left
behind, answers nothing of it.

The demo workspace is served. carol (a steward: raw values, every dataset) and alice (a data scientist) leave
facts about `shipment_files.main.shipments` (on which bob, an analyst, has no grant) and raw PII (which bob
sees masked) in every store the workbench keeps: audit records (carol's probes, some made `--as bob`), the
check ledger (a failing quality suite over shipments with examples, a drift check over raw buyer e-mails),
MLflow (a run whose param is a raw e-mail), lineage (a join of purchase orders with shipments), a job that
reads shipments and shows carriers in its output. Then bob calls every route and dashboard view, with the
arguments an attacker would pick (the names and ids of those facts), and no answer may carry a marker: the
ungranted dataset's name, its values, or a raw value of a masked column. The table of calls must name every
route and verb of the document, so a route added later is walked too (or declared to answer no facts).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest
import yaml

from aios_workbench.schemas.dashboard import VIEWS
from aios_workbench.surfaces.rest.routes import API_PREFIX, OPENAPI_FILE
from tests.conftest import aios_serve, run_aios
from tests.test_promotion import build_demo_copy

TOKEN = "exit-walk-carol-1618"
SHIPMENTS = "shipment_files.main.shipments"
ORDERS = "purchasing_warehouse.procurement.purchase_orders"
SUPPLIERS = "supplier_master.main.suppliers"
CARRIERS = ("Nordline Freight", "Alpen Express", "Rhine Cargo", "Baltic Carriers", "Iberia Logistics")

# What names the ungranted dataset in a request of bob's: the dataset itself, or the notebook that reads it
# (his own promotion's validation run says which dataset it could not read).
NAMING = (SHIPMENTS, "shipment_files", "notebooks/good.ipynb")

# Routes that answer no fact about any dataset, whoever calls them (each with why).
NO_DATASET_FACTS = {
    ("openapi.yaml", "get"): "the API's own description",
    ("schedule/preview", "get"): "occurrences of a cron expression the caller sends",
}


@dataclass
class Answer:
    status: int
    raw: bytes
    request: str = ""   # what was asked: the dataset a caller names himself may be echoed in the answer

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def call(served, who: str, verb: str, endpoint: str, body: Any = None, *, raw: bytes | None = None,
         **query) -> Answer:
    address = f"{served.url}/{API_PREFIX}/{endpoint}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(address, data=data, method=verb.upper(),
                                     headers={"Authorization": f"Bearer {served.tokens[who]}"})
    asked = f"{verb.upper()} {endpoint} {query} {body}"
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return Answer(response.status, response.read(), asked)
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.read(), asked)


def _arrow(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _rows(answer: Answer) -> pa.Table:
    assert answer.status == 200, answer.text[:2000]
    return pa.ipc.open_stream(answer.raw).read_all()


def _carols_run(root, raw_email: str) -> str:
    """An MLflow run of carol's that logged a raw e-mail as a parameter (a steward's slip)."""
    from mlflow.tracking import MlflowClient

    from aios_workbench.kernel.run import end_open_runs, run
    from aios_workbench.tracking import ensure_store, tracking_uri
    from aios_workbench.workspace import Workspace

    ws = Workspace.load(root)
    ensure_store(ws)
    with run("supplier_outreach", workspace=ws, experiment="stewardship",
             tags={"aios.user": "carol", "mlflow.user": "carol"}, params={"contact": raw_email}) as tracked:
        tracked.log_metrics({"reached": 1.0})
    end_open_runs()
    MlflowClient(tracking_uri(ws)).set_tag(tracked.id, "note", f"called {raw_email}")
    return tracked.id


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = build_demo_copy(tmp_path_factory.mktemp("exit-walk") / "ws")
    tokens = {"carol": TOKEN}
    for user in ("alice", "bob"):
        done = run_aios("--workspace", str(root), "tokens", "add", user, "--json")
        assert done.returncode == 0, done.stderr
        tokens[user] = json.loads(done.stdout)["token"]
    with aios_serve(root, token=TOKEN, user="carol") as url:
        s = SimpleNamespace(url=url, root=root, tokens=tokens)
        raw = _rows(call(s, "carol", "post", "sql", {"sql": f"SELECT DISTINCT buyer_email FROM {ORDERS} "
                                                         "ORDER BY 1 LIMIT 40"}))
        raw_emails = [v for v in raw.column("buyer_email").to_pylist() if v]
        suppliers = _rows(call(s, "carol", "post", "sql", {
            "sql": f"SELECT contact_email, iban, contact_phone FROM {SUPPLIERS} ORDER BY supplier_id LIMIT 40"}))
        raw_values = raw_emails + [v for c in suppliers.columns for v in c.to_pylist() if v]
        s.names = (SHIPMENTS, "shipment_files")
        s.markers = (*CARRIERS, *raw_values, *{e.split("@")[0] for e in raw_emails if len(e.split("@")[0]) >= 8})
        s.facts = _leave_facts(s, raw_emails[0], suppliers.column("iban")[0].as_py())
        yield s


def _leave_facts(s, raw_email: str, raw_iban: str) -> dict:
    """What carol and alice leave behind in every store (ids for bob to aim at)."""
    facts: dict[str, Any] = {}
    # audit: carol's probes, one of them as bob, with raw literals
    _rows(call(s, "carol", "post", "sql", {"sql": f"SELECT count(*) FROM {ORDERS} WHERE buyer_email = '{raw_email}'",
                                           "as_user": "bob"}))
    _rows(call(s, "carol", "post", "sql", {"sql": f"SELECT * FROM {SUPPLIERS} WHERE iban = '{raw_iban}'"}))
    # lineage: a join of purchase orders (bob may read) with shipments (he may not)
    _rows(call(s, "carol", "post", "sql", {"sql": f"SELECT o.po_id, s.carrier FROM {ORDERS} o JOIN {SHIPMENTS} s "
                                                  "USING (po_id) LIMIT 5"}))
    # ledger: a failing suite over shipments (examples: full rows), drift over raw buyer e-mails
    facts["run"] = run_id = _carols_run(s.root, raw_email)
    results = call(s, "carol", "post", "checks/run", {"kind": "quality", "suites": ["shipments_strict"],
                                                       "mlflow_run_id": run_id}).json
    facts["quality"] = results["results"][0]["ledger_id"]
    drift = call(s, "carol", "post", "checks/run", {
        "kind": "drift", "columns": ["buyer_email", "supplier_id"],
        "reference": f"(SELECT * FROM {ORDERS} WHERE ordered_at < TIMESTAMP '2025-07-01')",
        "current": f"(SELECT * FROM {ORDERS} WHERE ordered_at >= TIMESTAMP '2025-07-01')"})
    assert drift.status == 200, drift.text[:2000]
    facts["drift"] = drift.json["results"][0]["ledger_id"]
    # a job of alice's that reads shipments and shows carriers; one run fails in a cell
    promoted = call(s, "alice", "post", "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "late_carriers"})
    assert promoted.status == 200, promoted.text[:2000]
    facts["job_run"] = call(s, "alice", "post", "jobs/run", {"name": "late_carriers"}).json["id"]
    facts["failed_run"] = call(s, "alice", "post", "jobs/run",
                               {"name": "late_carriers", "parameters": {"month": "1999-01"}}).json["id"]
    done = run_aios("--workspace", str(s.root), "scheduler", "--once", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    output = call(s, "alice", "get", "jobs/runs/output", id=facts["job_run"])
    assert output.status == 200 and any(c in output.text for c in CARRIERS), "the job's output shows no carrier"
    # a dataset alice wrote from shipments
    written = call(s, "alice", "post", "datasets/write", raw=_arrow(pa.table({"carrier": list(CARRIERS)})),
                   target="outputs.carriers_seen", inputs=SHIPMENTS)
    assert written.status == 201, written.text[:2000]
    # an action alice proposes, its reason and evidence drawn from shipments; her job published as an app
    proposed = call(s, "alice", "post", "actions", {
        "kind": "job_run", "payload": {"job": "late_carriers"}, "reason": f"late deliveries in {SHIPMENTS}",
        "evidence": {"carriers": list(CARRIERS)}})
    assert proposed.status == 200, proposed.text[:2000]
    facts["action"] = proposed.json["id"]
    published = call(s, "alice", "post", "apps", {"job": "late_carriers", "title": "Late carriers"})
    assert published.status == 200, published.text[:2000]
    return facts


def _dashboard_arguments(f: dict) -> dict[str, dict]:
    """bob's arguments for each dashboard view that answers a GET."""
    return {
        "whoami": {}, "datasets": {}, "catalog_figures": {}, "search": {"text": "shipment", "limit": 20},
        "explain": {"dataset": SHIPMENTS}, "preview": {"dataset": SHIPMENTS, "limit": 5},
        "profile": {"dataset": SHIPMENTS}, "lineage": {"dataset": ORDERS, "depth": 3},
        "csv": {"dataset": SHIPMENTS}, "check_history": {"limit": 200},
        "check_run": {"run_id": f["quality"]}, "check_figures": {"run_id": f["drift"]}, "declared_checks": {},
        "audit": {"limit": 500},
        "runs": {"limit": 100}, "model_versions": {}, "jobs": {}, "job_runs": {"job": "late_carriers"},
        "job_health": {}, "upcoming": {}, "job_output": {"run_id": f["job_run"]}, "alerts": {"limit": 200},
        "alert_counts": {}, "alert_trend": {}, "actions": {"limit": 200}, "action": {"action_id": f["action"]},
        "apps": {}, "app": {"name": "late_carriers"}}


def _bobs_calls(s) -> dict[tuple[str, str], list[Answer]]:
    """Every route and verb, called by bob with the arguments an attacker would pick."""
    f = s.facts

    def bob(verb, endpoint, body=None, **query):
        return call(s, "bob", verb, endpoint, body, **query)

    run_id = f["run"]
    return {
        ("status", "get"): [bob("get", "status")],   # the sources he reads from, not the others
        ("sql", "post"): [bob("post", "sql", {"sql": f"SELECT * FROM {SHIPMENTS} LIMIT 5"}),
                          bob("post", "sql", {"sql": f"SELECT buyer_email FROM {ORDERS} LIMIT 5"})],
        ("catalog", "get"): [bob("get", "catalog")],
        ("catalog/dataset", "get"): [bob("get", "catalog/dataset", name=SHIPMENTS)],
        ("catalog/show", "get"): [bob("get", "catalog/show", name=SHIPMENTS), bob("get", "catalog/show", name=ORDERS)],
        ("catalog/untag", "post"): [bob("post", "catalog/untag", {"dataset": SUPPLIERS, "column": "contact_email",
                                                                  "tag": "pii.email", "reason": "I want to read it"})],
        ("catalog/search", "get"): [bob("get", "catalog/search", q="shipment carrier", limit=20)],
        ("catalog/preview", "get"): [bob("get", "catalog/preview", name=SHIPMENTS, limit=5),
                                     bob("get", "catalog/preview", name=ORDERS, limit=50)],
        ("catalog/profile", "get"): [bob("get", "catalog/profile", name=SHIPMENTS),
                                     bob("get", "catalog/profile", name=ORDERS)],
        ("lineage", "get"): [bob("get", "lineage", name=ORDERS, depth=3), bob("get", "lineage", name=SHIPMENTS)],
        ("audit", "get"): [bob("get", "audit", limit=500), bob("get", "audit", limit=500, dataset=ORDERS)],
        ("datasets/write", "post"): [call(s, "bob", "post", "datasets/write", raw=_arrow(pa.table({"x": [1]})),
                                          target="outputs.carriers_seen", inputs=SHIPMENTS)],
        ("checks/run", "post"): [bob("post", "checks/run", {"kind": "quality", "suites": ["shipments_strict"]}),
                                 bob("post", "checks/run", {"kind": "quality", "suites": ["shipments_carriers"],
                                                            "mlflow_run_id": run_id})],
        ("checks/history", "get"): [bob("get", "checks/history", limit=200),
                                    bob("get", "checks/history", dataset=SHIPMENTS, limit=200)],
        ("checks/suites", "get"): [bob("get", "checks/suites")],
        ("checks/overview", "get"): [bob("get", "checks/overview", limit=200),
                                     bob("get", "checks/overview", dataset=SHIPMENTS, limit=200)],
        ("checks/report", "get"): [bob("get", "checks/report", id=f["quality"]),
                                   bob("get", "checks/report", id=f["drift"])],
        ("checks/evidently", "post"): [bob("post", "checks/evidently", {
            "reference": f"(SELECT carrier FROM {SHIPMENTS} LIMIT 100)",
            "current": f"(SELECT carrier FROM {SHIPMENTS} LIMIT 100 OFFSET 100)", "sample_rows": 100})],
        ("models", "get"): [bob("get", "models")],
        ("models/version", "get"): [bob("get", "models/version", name="late_carriers", version=1)],
        ("models/register", "post"): [bob("post", "models/register", {"run_id": run_id, "name": "stolen"})],
        ("models/approval", "post"): [bob("post", "models/approval", {"name": "stolen", "version": 1,
                                                                      "decision": "approve"})],
        ("models/promote", "post"): [bob("post", "models/promote", {"name": "stolen", "version": 1})],
        ("runs", "get"): [bob("get", "runs", limit=100), bob("get", "runs", limit=100, experiment="stewardship")],
        ("runs/compare", "get"): [bob("get", "runs/compare", ids=f"{run_id},{run_id}")],
        ("jobs/promote", "post"): [bob("post", "jobs/promote", {"notebook": "notebooks/good.ipynb",
                                                                "name": "bobs_copy"})],
        ("notebooks/parameters", "get"): [bob("get", "notebooks/parameters", path="notebooks/good.ipynb")],
        ("notebooks/parameters", "post"): [bob("post", "notebooks/parameters", {"path": "notebooks/good.ipynb"})],
        ("jobs/versions", "get"): [bob("get", "jobs/versions", name="late_carriers")],
        ("jobs/rollback", "post"): [bob("post", "jobs/rollback", {"name": "late_carriers", "version": 1})],
        ("jobs/approval", "post"): [bob("post", "jobs/approval", {"name": "late_carriers", "version": 1,
                                                                  "decision": "approve"})],
        ("jobs", "get"): [bob("get", "jobs")],
        ("jobs/job", "get"): [bob("get", "jobs/job", name="late_carriers")],
        ("jobs/job", "delete"): [bob("delete", "jobs/job", name="late_carriers")],
        ("jobs/run", "post"): [bob("post", "jobs/run", {"name": "late_carriers"})],
        ("jobs/pause", "post"): [bob("post", "jobs/pause", {"name": "late_carriers"})],
        ("jobs/resume", "post"): [bob("post", "jobs/resume", {"name": "late_carriers"})],
        ("jobs/history", "get"): [bob("get", "jobs/history", name="late_carriers", limit=50)],
        ("jobs/runs", "get"): [bob("get", "jobs/runs", limit=200),
                               bob("get", "jobs/runs", job="late_carriers", status="failed", limit=200)],
        ("jobs/runs/run", "get"): [bob("get", "jobs/runs/run", id=f["job_run"]),
                                   bob("get", "jobs/runs/run", id=f["failed_run"])],
        ("jobs/runs/log", "get"): [bob("get", "jobs/runs/log", id=f["job_run"], tail=200)],
        ("jobs/runs/output", "get"): [bob("get", "jobs/runs/output", id=f["job_run"]),
                                      bob("get", "jobs/runs/output", id=f["job_run"], format="ipynb")],
        ("jobs/runs/cancel", "post"): [bob("post", "jobs/runs/cancel", {"id": f["job_run"]})],
        ("jobs/runs/rerun", "post"): [bob("post", "jobs/runs/rerun", {"id": f["job_run"]})],
        ("alerts", "get"): [bob("get", "alerts", limit=200)],
        ("alerts/ack", "post"): [bob("post", "alerts/ack", {"id": n}) for n in range(1, 6)],
        ("actions", "get"): [bob("get", "actions"), bob("get", "actions", state="pending", limit=500)],
        ("actions", "post"): [bob("post", "actions", {"kind": "job_run", "payload": {"job": "late_carriers"},
                                                      "sources": {"job": f"{SHIPMENTS}.carrier"}})],
        ("actions/action", "get"): [bob("get", "actions/action", id=f["action"])],
        ("actions/approve", "post"): [bob("post", "actions/approve", {"id": f["action"]})],
        ("actions/reject", "post"): [bob("post", "actions/reject", {"id": f["action"], "reason": "mine now"})],
        ("actions/kinds", "get"): [bob("get", "actions/kinds")],
        ("apps", "get"): [bob("get", "apps")],
        ("apps", "post"): [bob("post", "apps", {"job": "late_carriers"})],
        ("apps/app", "get"): [bob("get", "apps/app", name="late_carriers")],
        ("apps/unpublish", "post"): [bob("post", "apps/unpublish", {"name": "late_carriers"})],
        ("apps/run", "post"): [bob("post", "apps/run", {"name": "late_carriers"})],
        ("dashboard/{view}", "get"): [bob("get", f"dashboard/{name}", **args)
                                       for name, args in _dashboard_arguments(f).items()],
        ("dashboard/{view}", "post"): [bob("post", "dashboard/acknowledge", {"alert_id": n}) for n in range(1, 6)]
        + [bob("post", "dashboard/verify_audit_chain", {}), bob("post", "dashboard/login", {}),
           bob("post", "dashboard/approve_action", {"action_id": f["action"]}),
           bob("post", "dashboard/reject_action", {"action_id": f["action"], "reason": "mine"}),
           bob("post", "dashboard/run_app", {"name": "late_carriers"})],
    }


def test_the_walk_names_every_route_of_the_document(served):
    document = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    listed = {(path.removeprefix(f"/{API_PREFIX}").lstrip("/"), verb) for path, item in document["paths"].items()
              for verb in item
              if verb in ("get", "post", "put", "patch", "delete")}
    served.calls = _bobs_calls(served)
    walked = set(served.calls) | set(NO_DATASET_FACTS)
    assert listed <= walked, f"routes the walk does not call as bob: {sorted(listed - walked)}"
    get_views = {v.name for v in VIEWS.values() if v.verb == "get"}
    assert get_views == set(_dashboard_arguments(served.facts)), "the walk calls every dashboard view"


def _own_records_only(answer: Answer) -> bool:
    """An audit answer holding bob's own records alone (his denied queries name what he asked for)."""
    try:
        data = answer.json
    except ValueError:
        return False
    records = data.get("records", data.get("result")) if isinstance(data, dict) else None
    return isinstance(records, list) and all(r.get("user") == "bob" for r in records)


def test_no_answer_to_bob_carries_what_he_may_not_see(served):
    """No value of the ungranted dataset and no raw value of a masked column, anywhere; the ungranted dataset's
    name only where bob named it himself (a refusal says what it refused) or in his own audit records."""
    calls = getattr(served, "calls", None) or _bobs_calls(served)
    leaks = []
    for (path, verb), answers in calls.items():
        for answer in answers:
            assert answer.status < 500, f"{verb.upper()} {path} failed: {answer.text[:500]}"
            found = [m for m in served.markers if m and m in answer.text]
            if not any(name in answer.request for name in NAMING) and not _own_records_only(answer):
                found += [m for m in served.names if m in answer.text]
            if found:
                leaks.append(f"{answer.request[:160]} -> {answer.status}: {sorted(set(found))[:4]}")
    assert not leaks, "bob read what he may not see:\n" + "\n".join(leaks)


def test_bob_still_reads_what_he_may(served):
    """The walk is not passed by refusing everything: bob's own data and reads still answer."""
    orders = _rows(call(served, "bob", "post", "sql", {"sql": f"SELECT buyer_email FROM {ORDERS} LIMIT 5"}))
    assert orders.num_rows == 5
    assert all(value not in served.markers for value in orders.column("buyer_email").to_pylist())
    catalog = call(served, "bob", "get", "catalog").text
    assert ORDERS in catalog and SUPPLIERS in catalog
    history = call(served, "bob", "get", "checks/history", limit=200)
    assert history.status == 200
