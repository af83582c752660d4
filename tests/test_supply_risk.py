"""The procurement story's data side (issue #21): the supply-risk model that `aios demo` trains and has approved,
the daily job that scores the open orders into `outputs.supply_risk`, the threshold monitor whose alert tells
the evidence and links to the app, and the procurement officer olivia.

Everything happens on a private copy of the prepared demo workspace (the job's runs open alerts and write
outputs, which must not touch the repository's own state). Seed 7, scale 1: the disruption building in
Southeast Asia puts a dozen open orders past the threshold of `governance/checks.yaml`.
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
import yaml

from aios_workbench.core.errors import PermissionDenied, UsageError
from tests.conftest import AIOS, copy_demo_workspace

ALERT = "monitor:supply_risk"
EVIDENCE = re.compile(r"^risk of > 7 days delay for (\d+) open orders from (\d+) suppliers in Southeast Asia; "
                      r"drivers: port congestion, carrier (.+)$")
SCORE_COLUMNS = ["scored_at", "shipment_id", "po_id", "supplier_id", "supplier_name", "category", "carrier",
                 "origin_region", "origin_port", "shipped_at", "promised_at", "risk", "driver", "model_version"]


@pytest.fixture(scope="module")
def story(demo_workspace, tmp_path_factory):
    """The copy with what `aios demo` prepares for the story: the champion model, then the daily job (whose
    validation run scores the open orders and opens the alert)."""
    from aios_workbench.demo.prepare import promote_demo_job
    from aios_workbench.demo.story import SUPPLY_RISK_JOB, ensure_supply_risk_model

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("supply-risk") / "demo")
    forget_the_model(ws)   # the repository's store has one once `aios demo` ran there; the copy starts without
    said: list[str] = []
    model = ensure_supply_risk_model(ws, say=said.append)
    job = promote_demo_job(ws, progress=False, job=SUPPLY_RISK_JOB)
    return ws, model, job, said


def forget_the_model(ws) -> None:
    """Delete the registered model `supply-risk` from the copy's own MLflow store (rows only, no artifacts)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from aios_workbench.tracking import tracking_uri

    try:
        mlflow.MlflowClient(tracking_uri(ws)).delete_registered_model("supply-risk")
    except MlflowException:
        pass   # never registered there


@pytest.fixture(scope="module")
def service(story):
    from aios_workbench.service.core import WorkbenchService

    service = WorkbenchService(story[0], mode="local")
    yield service
    service.close()


def rows(service, sql: str, user: str = "alice") -> list[dict]:
    return service.queries.run(sql, user=user, surface="api").to_arrow().to_pylist()


def open_alert(service, user: str) -> dict | None:
    return next((a for a in service.alerts.list(user) if a["key"] == ALERT and a["state"] != "resolved"), None)


# -- the model: trained by alice, approved and made champion by carol --------------------------------------
def test_aios_demo_trains_the_model_and_a_second_person_makes_it_champion(story, service):
    ws, model, _, said = story
    from aios_workbench.demo.story import ensure_supply_risk_model

    assert model["status"] == "champion", model
    [version] = service.models.versions("carol", "supply-risk")
    assert version["aliases"] == ["champion"] and version["author"] == "alice"
    assert [a["user"] for a in version["approvals"]] == ["carol"]
    assert version["checks"]["failed"] == 0 and version["checks"]["passed"] >= 1
    assert any("approved and made champion by carol" in line for line in said)

    started = time.monotonic()
    again = ensure_supply_risk_model(ws, say=said.append)
    assert again == {**again, "status": "unchanged", "version": version["version"]}
    assert time.monotonic() - started < 10                 # no second training on the next `aios demo`


# -- the daily job and what it writes ----------------------------------------------------------------------
def test_the_daily_job_scores_every_open_order_into_outputs(story, service):
    _, _, job, _ = story
    assert (job["job"], job["status"], job["refused_gates"]) == ("supply_risk", "active", {})
    shown = service.jobs.show("alice", "supply_risk")
    assert (shown["notebook"], shown["identity"]) == ("notebooks/05_score_supply_risk.ipynb", "alice")
    assert shown["spec"]["schedule"]["cron"] == "30 6 * * *"

    scores = rows(service, "SELECT * FROM outputs.supply_risk ORDER BY shipment_id")
    in_transit = rows(service, "SELECT count(*) AS n FROM shipments WHERE delivered_at IS NULL")[0]["n"]
    by_region = {r["origin_region"]: r for r in rows(service, """
        SELECT origin_region, avg(risk) AS mean_risk, max(risk) AS max_risk FROM outputs.supply_risk GROUP BY 1""")}
    suppliers = rows(service, "SELECT sum(open_orders) AS n, count(*) AS suppliers FROM outputs.supply_risk_suppliers")

    assert list(scores[0]) == SCORE_COLUMNS
    assert len(scores) == in_transit > 500                   # every open order, once
    assert all(0 <= r["risk"] <= 1 and r["model_version"] == "supply-risk/1" for r in scores)
    assert by_region["Southeast Asia"]["mean_risk"] > 10 * max(
        r["mean_risk"] for name, r in by_region.items() if name != "Southeast Asia")
    assert suppliers[0]["n"] == in_transit
    assert {r["driver"] for r in scores if r["origin_region"] == "Southeast Asia" and r["risk"] >= 0.15} == \
        {"port congestion"}


# -- the alert: its evidence in words, its link to the app, who sees it ------------------------------------
def test_the_alert_tells_how_many_orders_from_how_many_suppliers_and_why(service):
    alert = open_alert(service, "olivia")
    assert alert is not None, "the job's run opened no supply-risk alert"
    match = EVIDENCE.match(alert["title"])
    assert match, alert["title"]
    at_risk = rows(service, """SELECT count(*) AS orders, count(DISTINCT supplier_id) AS suppliers,
                                      mode(carrier) AS carrier
                               FROM outputs.supply_risk WHERE risk >= 0.15 AND origin_region = 'Southeast Asia'""")[0]

    assert (int(match[1]), int(match[2]), match[3]) == (at_risk["orders"], at_risk["suppliers"], at_risk["carrier"])
    assert at_risk["orders"] >= 5 and at_risk["suppliers"] >= 3
    assert alert["kind"] == "monitor_failed" and alert["severity"] == "warning"
    assert alert["detail"]["link"] == {"app": "switch_suppliers", "params": {"region": "Southeast Asia"}}
    assert alert["detail"]["evidence"]["above"] == 0.15 and alert["detail"]["datasets"] == ["outputs.main.supply_risk"]


def test_only_people_who_may_read_the_scores_see_the_alert(service):
    assert open_alert(service, "alice") is not None and open_alert(service, "carol") is not None
    assert open_alert(service, "bob") is None                # an analyst without a grant on outputs


def test_a_broken_alert_sentence_is_refused_naming_the_placeholder(story, service):
    ws = story[0]
    checks = ws.root / "governance" / "checks.yaml"
    original = checks.read_text()
    config = yaml.safe_load(original)
    config["monitors"]["supply_risk"]["threshold"]["alert"] = "{rows} orders; {nonsense}"
    checks.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        with pytest.raises(UsageError) as refused:
            service.checks.run("alice", "monitor", {"name": "supply_risk"})
    finally:
        checks.write_text(original)

    assert "'nonsense'" in refused.value.message and "evidence" in refused.value.fix


def test_a_monitor_with_neither_windows_nor_threshold_is_refused():
    from pydantic import ValidationError

    from aios_workbench.checks.monitors import MonitorSpec

    with pytest.raises(ValidationError, match="needs time_column, current and reference .* or a threshold"):
        MonitorSpec(dataset="outputs.supply_risk")


def test_the_alert_resolves_when_no_region_crosses_the_threshold_and_reopens_when_one_does(story, service):
    ws = story[0]
    checks = ws.root / "governance" / "checks.yaml"
    original = checks.read_text()
    config = yaml.safe_load(original)
    config["monitors"]["supply_risk"]["threshold"]["above"] = 0.99
    checks.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        [calm] = service.checks.run("alice", "monitor", {"name": "supply_risk"})
        assert calm["status"] == "pass" and open_alert(service, "olivia") is None
    finally:
        checks.write_text(original)

    [risky] = service.checks.run("alice", "monitor", {"name": "supply_risk"})
    assert risky["status"] == "fail" and EVIDENCE.match(open_alert(service, "olivia")["title"])


# -- the procurement officer ----------------------------------------------------------------------------
def test_the_officer_sees_every_supplier_contact_unmasked_and_the_analyst_masked(service):
    sql = "SELECT supplier_id, region, contact_name, contact_email FROM suppliers ORDER BY supplier_id"
    raw = {r["supplier_id"]: r for r in rows(service, sql, "carol")}
    olivia, bob = rows(service, sql, "olivia"), rows(service, sql, "bob")

    assert len(olivia) == len(raw)                                   # every region, not only hers
    assert all(r == raw[r["supplier_id"]] for r in olivia)           # names and e-mails as they are
    assert bob and {r["region"] for r in bob} == {"Northern Europe"}
    assert not any("@" in r["contact_email"] for r in bob)           # hashed
    assert not any(r["contact_name"] == raw[r["supplier_id"]]["contact_name"] for r in bob)


def test_the_officer_reads_the_signals_and_scores_and_approves_emails(service):
    policy = service.policy()
    latest = rows(service, "SELECT region, port_congestion, headline FROM signals "
                           "WHERE week = (SELECT max(week) FROM signals) AND region = 'Southeast Asia'", "olivia")
    scores = rows(service, "SELECT count(*) AS n FROM outputs.supply_risk_suppliers", "olivia")

    assert latest[0]["port_congestion"] > 80 and latest[0]["headline"]
    assert scores[0]["n"] > 0
    assert policy.approves("olivia", "email") and not policy.approves("bob", "email")
    assert rows(service, "SELECT count(*) AS n FROM signals", "bob")[0]["n"] > 0   # no personal data: analysts too
    with pytest.raises(PermissionDenied):                         # the risk scores are the officer's and builders'
        rows(service, "SELECT * FROM outputs.supply_risk", "bob")


def test_the_officer_can_be_given_a_dashboard_login(story):
    from aios_workbench.surfaces.dashboard.users import DashboardUsers

    ws = story[0]
    added = subprocess.run([AIOS, "--workspace", str(ws.root), "dashboard", "users", "add", "olivia",
                            "--password-stdin", "--json"], input="olivia-demo-pw\n", capture_output=True, text=True,
                           timeout=120)

    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"user": "olivia", "created": True}
    assert DashboardUsers(ws.state_dir).verify("olivia", "olivia-demo-pw")
