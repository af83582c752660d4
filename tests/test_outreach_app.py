"""notebooks/06_switch_suppliers.ipynb as the decision app `switch_suppliers`: each person who runs it sees the
alternates their grants show them, and "Draft outreach" proposes e-mails to the best two for approval.

A private copy of the demo workspace (its policy's procurement officer olivia; bob, an analyst of Northern
Europe who may not read the shipments and sees contacts masked), an SMTP server in this process, and the
notebook promoted by alice and published as an app, as `aios demo` does."""

from __future__ import annotations

import json
import re
import statistics
import time
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from aios_workbench.service.core import WorkbenchService
from aios_workbench.workspace import Workspace
from tests.approvals import smtp_server
from tests.conftest import ROOT, copy_demo_workspace

APP = "switch_suppliers"
NOTEBOOK = "notebooks/06_switch_suppliers.ipynb"
ROW = re.compile(r"<tr><td>(\d)</td><td>(.*?)</td><td>(.*?), (.*?)</td>.*?<td>([^<]*)<br><small>([^<]*)</small></td></tr>")


def story_workspace(demo, folder: Path, *, smtp_port: int, writer: dict | None = None):
    """A private copy of the demo workspace whose e-mail goes to `smtp_port` (and, given `writer`, with
    `actions.writer`), where analysts may read the external signals (the app's region choices come from them)."""
    ws = copy_demo_workspace(demo, folder)
    config = yaml.safe_load((ws.root / "aios.yaml").read_text())
    config["notifications"] = {"smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "aios@example.com"}}
    if writer is not None:
        config["actions"] = {**config.get("actions", {}), "writer": writer}
    (ws.root / "aios.yaml").write_text(yaml.safe_dump(config))
    policy_file = ws.root / "governance" / "policy.yaml"
    policy = yaml.safe_load(policy_file.read_text())
    if {"role": "analyst", "scope": "external_signals"} not in policy["grants"]:
        policy["grants"].append({"role": "analyst", "scope": "external_signals"})
        policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))
    return Workspace.load(ws.root)


def publish_app(service) -> None:
    """notebooks/06 promoted by alice as job `switch_suppliers` (every gate, a validation run among them) and
    published as an app, unless `aios demo` already did."""
    if any(a["name"] == APP for a in service.apps.list("alice")):
        return
    report = service.jobs.promote("alice", NOTEBOOK, surface="api", name=APP).to_dict()
    assert report["status"] != "refused", report.get("cause")
    service.apps.publish("alice", APP, surface="api")


def alternates(page: str) -> list[dict]:
    """The rows of the app's table of the best alternates, as the page shows them."""
    return [{"rank": int(m[0]), "name": unescape(m[1]), "country": m[2], "region": m[3], "contact": unescape(m[4]),
             "email": unescape(m[5])} for m in ROW.findall(page)]


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    with smtp_server() as (port, inbox):
        ws = story_workspace(demo_workspace, tmp_path_factory.mktemp("switch") / "demo", smtp_port=port)
        service = WorkbenchService(ws, mode="local")
        try:
            publish_app(service)
            yield SimpleNamespace(ws=ws, service=service, inbox=inbox)
        finally:
            service.close()


def steward(env, sql: str) -> list[dict]:
    return env.service.queries.run(sql, user="carol", surface="api").to_arrow().to_pylist()


def test_the_notebook_is_in_the_demo_workspace():
    assert (ROOT / NOTEBOOK).is_file()
    cells = json.loads((ROOT / NOTEBOOK).read_text())["cells"]
    assert any("parameters" in c["metadata"].get("tags", []) for c in cells)


def test_the_form_offers_regions_categories_and_ranges(env):
    fields = {f["name"]: f for f in env.service.apps.show("olivia", APP)["fields"]}
    assert "Southeast Asia" in fields["region"]["choices"] and fields["region"]["default"] == "Southeast Asia"
    assert fields["category"]["type"] == "choice" and "electronics" in fields["category"]["choices"]
    assert (fields["share"]["minimum"], fields["share"]["maximum"]) == (0, 100)
    assert fields["share"]["help"] == "Share of their volume to move, in percent."
    assert fields["draft_outreach"]["type"] == "boolean" and fields["draft_outreach"]["default"] is False


def test_each_viewer_sees_the_alternates_their_grants_show_them(env):
    values = {"region": "Southeast Asia", "category": "electronics", "share": 10.0}
    officer = env.service.apps.run("olivia", APP, values, surface="api")
    analyst = env.service.apps.run("bob", APP, values, surface="api")
    assert officer["ok"], officer["error"]
    assert analyst["ok"], analyst["error"]

    raw = {r["supplier_name"]: r for r in steward(env, "SELECT supplier_name, region, contact_name, contact_email "
                                                       "FROM suppliers")}
    hers, his = alternates(officer["html"]), alternates(analyst["html"])
    assert [r["rank"] for r in hers] == [1, 2, 3] and [r["rank"] for r in his] == [1, 2, 3]
    for row in hers:                                   # every supplier, contacts in full
        assert row["contact"] == raw[row["name"]]["contact_name"] and row["email"] == raw[row["name"]]["contact_email"]
    for row in his:                                    # his region only, contacts masked
        assert row["region"] == raw[row["name"]]["region"] == "Northern Europe"
        assert row["email"] != raw[row["name"]]["contact_email"] and "@" not in row["email"]
    assert not any(r["contact_email"] in analyst["html"] for r in raw.values() if r["contact_email"])

    hit = steward(env, "SELECT count(*) AS n FROM suppliers s JOIN supplier_lanes l USING (supplier_id) "
                       "WHERE l.origin_region = 'Southeast Asia'")[0]["n"]
    hit_north = steward(env, "SELECT count(*) AS n FROM suppliers s JOIN supplier_lanes l USING (supplier_id) "
                             "WHERE l.origin_region = 'Southeast Asia' AND s.region = 'Northern Europe'")[0]["n"]
    assert f"The disruption hits <strong>{hit} suppliers</strong>" in officer["html"]
    assert f"The disruption hits <strong>{hit_north} suppliers</strong>" in analyst["html"]
    assert "on time" in officer["html"] and "<svg" in officer["html"]          # simulated, and drawn
    assert "which you may not read" in analyst["html"] and "<svg" in analyst["html"]
    assert "shipment_files.main.shipments" in officer["datasets_read"]
    assert "shipment_files.main.shipments" not in analyst["datasets_read"]
    assert "import aios_workbench" not in officer["html"]                        # outputs, not code

    runs = [r for r in env.service.audit_trail.records("carol", limit=2000) if r["action"] == "app.run"]
    assert {"olivia", "bob"} <= {r["user"] for r in runs}
    reads = [r for r in env.service.audit_trail.records("carol", limit=2000)
             if r["action"] == "query" and r["user"] in ("olivia", "bob") and r.get("surface") == "app"]
    assert {"olivia", "bob"} <= {r["user"] for r in reads}                      # every read audited as theirs


def test_a_run_returns_fast_on_a_warm_kernel(env):
    seconds = []
    for share in (11.0, 12.0, 13.0, 14.0, 15.0):     # new values each time: nothing from the cache
        started = time.monotonic()
        result = env.service.apps.run("olivia", APP, {"share": share}, surface="api")
        seconds.append(time.monotonic() - started)
        assert result["ok"] and not result["cached"], result["error"]
    print(f"switch_suppliers runs as olivia: {', '.join(f'{s:.2f}' for s in seconds)} s")
    # target 1.5 s p50 (measured about 1.3 s on an idle 2-core machine); the bound leaves room for a busy one
    assert statistics.median(seconds) < 2.5


def test_a_wrong_supplier_id_is_named(env):
    result = env.service.apps.run("olivia", APP, {"supplier": "x'; DROP TABLE suppliers"}, surface="api")
    assert not result["ok"] and "supplier must be a supplier id such as SUP-00042" in result["error"]


def test_draft_outreach_proposes_emails_to_the_top_two_for_approval(env):
    values = {"region": "Southeast Asia", "category": "electronics", "share": 10.0, "draft_outreach": True}
    before = len(env.inbox.messages)
    officer = env.service.apps.run("olivia", APP, values, surface="api")
    assert officer["ok"], officer["error"]
    assert "Drafted for approval" in officer["html"]
    top_two = alternates(officer["html"])[:2]
    drafts = [a for a in env.service.actions.page("olivia", state="pending")["actions"]
              if a["proposed_via"] == f"app:{APP}" and a["proposed_by"] == "olivia"][:2]
    assert sorted(a["payload"]["to"][0] for a in drafts) == sorted(r["email"] for r in top_two)
    for action in drafts:
        row = next(r for r in top_two if r["email"] == action["payload"]["to"][0])
        assert action["payload"]["body"].startswith(f"Dear {row['contact']},")
        assert row["name"] in action["payload"]["body"] and "{{" not in json.dumps(action["payload"])
        assert action["sources"] == {"to": "supplier_master.main.suppliers.contact_email",
                                     "body": "supplier_master.main.suppliers.contact_name"}
        assert action["evidence"]["rank"] in (1, 2) and "price_band_pct" in action["evidence"]
        assert action["evidence"]["drafting"].startswith("written from the template")
        assert f"action {action['id']}, waiting for approval" in officer["html"]
        assert row["contact"] not in action["reason"] and row["email"] not in action["title"]
    assert len(env.inbox.messages) == before                                     # nothing sent yet

    analyst = env.service.apps.run("bob", APP, values, surface="api")
    assert analyst["ok"], analyst["error"]
    assert "you may not see their contact unmasked" in analyst["html"]
    assert not [a for a in env.service.actions.page("carol", state="pending")["actions"] if a["proposed_by"] == "bob"]
