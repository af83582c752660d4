"""Every alert says what caused it and where that opens, once, in the service (`service.alerts`, built by
`alerts/cause.py`), for every surface: the failed run (its output, for who may open it), the checks that run
failed (their ledger entries), the monitor's check result, the job version or action waiting for a decision,
the app a threshold monitor points to. The dashboard's Alerts page turns each into a link.

A private copy of the demo workspace: alice created the job `nightly_report`; bob (analyst) does not control
it; the run's failed quality suite is a real ledger entry over purchase orders."""

from __future__ import annotations

import urllib.parse
from types import SimpleNamespace

import pytest

from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.service.core import WorkbenchService
from aios_workbench.surfaces.dashboard.pages.alerts import cause_href, causes_html
from tests.conftest import copy_demo_workspace

ORDERS = "purchasing_warehouse.procurement.purchase_orders"
OUTPUT = ".aios/jobs/nightly_report/runs/3/output.html"


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    from tests.test_scheduler import make_job

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("alert-causes") / "demo")
    service = WorkbenchService(ws, mode="local")
    make_job(ws, service.store, "nightly_report", "record", creator="alice")
    failed = CheckResult(kind="quality", name="purchase_orders_basics", required=True,
                         items=[CheckItem("not_null(po_id)", "pass"),
                                CheckItem("range(quantity)", "fail", {"failing_rows": 3})],
                         inputs={ORDERS: {"digest": "d", "rows": 100}})
    ledger_id = Ledger(service.store).record(failed, user="alice", job_run_id=3, datasets=[ORDERS])
    run = service.alerts.raise_alert(key="job:nightly_report", kind="run_failed", severity="error",
                                     title="job nightly_report failed (run 3, attempt 1)",
                                     detail={"job": "nightly_report", "run_id": 3, "status": "failed", "attempt": 1,
                                             "error": "CheckFailed: quality check 'purchase_orders_basics' failed",
                                             "output": OUTPUT})
    monitor = service.alerts.raise_alert(key="monitor:orders_watch", kind="monitor_failed", severity="warning",
                                         title="12 orders at risk in Southeast Asia",
                                         detail={"monitor": "orders_watch", "datasets": [ORDERS],
                                                 "ledger_id": ledger_id, "drifted": ["quantity"],
                                                 "link": {"app": "switch_suppliers",
                                                          "params": {"region": "Southeast Asia"}}})
    approval = service.alerts.approval_pending("nightly_report", 2, notebook="notebooks/record.ipynb",
                                               promoted_by="alice", approver=None, digest=None)
    action = service.alerts.raise_alert(key="action:5", kind="approval", severity="info",
                                        title="E-mail proposed by alice waits for approval",
                                        detail={"action": 5, "kind": "email", "proposed_by": "alice"})
    try:
        yield SimpleNamespace(service=service, ledger_id=ledger_id, run=run, monitor=monitor, approval=approval,
                              action=action)
    finally:
        service.close()


def shown(env, user: str, alert: dict) -> dict:
    [found] = [a for a in env.service.alerts.list(user, limit=500) if a["id"] == alert["id"]]
    return found


def test_a_failed_run_names_the_run_and_opens_its_output_for_who_controls_the_job(env):
    alert = shown(env, "alice", env.run)

    assert alert["cause"] == {"kind": "job_run", "id": "3", "label": "Run 3 of job nightly_report failed",
                              "target": {"opens": "job_run_output", "job": "nightly_report", "run_id": 3,
                                         "href": "jobs/runs/output?id=3&format=html"}}
    # the check the run failed is its evidence, linked to its ledger entry
    assert alert["related"] == [{"kind": "check_result", "id": str(env.ledger_id),
                                 "label": f"purchase_orders_basics failed (result #{env.ledger_id})",
                                 "target": {"opens": "check_result", "ledger_id": env.ledger_id,
                                            "check": "purchase_orders_basics", "kind": "quality"}}]


def test_who_does_not_control_the_job_reads_the_cause_but_not_its_output_nor_its_checks(env):
    alert = shown(env, "bob", env.run)

    assert alert["cause"]["label"] == "Run 3 of job nightly_report failed"
    assert alert["cause"]["target"] == {"opens": "job", "job": "nightly_report", "run_id": 3}
    assert alert["cause"]["note"] == "its output is shown only to the job's creator, its identity and auditors"
    assert alert["related"] == [] and alert["detail"]["output"] is None


def test_a_monitor_names_its_check_result_and_the_app_it_points_to(env):
    alert = shown(env, "alice", env.monitor)

    assert alert["cause"] == {"kind": "monitor", "id": "orders_watch",
                              "label": f"Monitor orders_watch failed (result #{env.ledger_id}): 1 column drifted "
                                       "(quantity)",
                              "target": {"opens": "check_result", "ledger_id": env.ledger_id,
                                         "check": "monitor:orders_watch", "kind": "drift"}}
    assert alert["related"] == [{"kind": "app", "id": "switch_suppliers",
                                 "label": "Open the Switch suppliers app for this",
                                 "target": {"opens": "app", "app": "switch_suppliers",
                                            "params": {"region": "Southeast Asia"}}}]


def test_approvals_name_what_waits_for_a_decision(env):
    version = shown(env, "bob", env.approval)["cause"]
    action = shown(env, "bob", env.action)["cause"]

    assert version == {"kind": "job_version", "id": "nightly_report:v2",
                       "label": "Version 2 of job nightly_report, promoted by alice",
                       "target": {"opens": "job", "job": "nightly_report", "version": 2}}
    assert action == {"kind": "action", "id": "5", "label": "Proposed action #5 by alice",
                      "target": {"opens": "action", "action_id": 5}}


def test_an_acknowledgement_answers_with_the_cause_too(env):
    answer = env.service.alerts.acknowledge("alice", env.approval["id"], surface="api")

    assert answer["acknowledgement"] == "acknowledged"
    assert answer["cause"]["label"] == "Version 2 of job nightly_report, promoted by alice"


def test_the_alerts_page_links_each_cause_where_the_dashboard_opens_it(env):
    run = causes_html(shown(env, "alice", env.run))
    hidden = causes_html(shown(env, "bob", env.run))
    monitor = causes_html(shown(env, "alice", env.monitor))

    assert 'data-testid="alert-cause" data-kind="job_run" href="./job-output/3" target="_blank"' in run
    assert ">Run 3 of job nightly_report failed</a>" in run
    assert f'href="?page=quality&amp;run={env.ledger_id}"' in run            # the evidence: the failed check
    assert 'href="./job-output/3"' not in hidden and "shown only to the job&#x27;s creator" in hidden
    assert f'href="?page=quality&amp;run={env.ledger_id}"' in monitor
    assert "Switch suppliers" not in monitor   # the app is the next step, shown apart (`_next_step`)
    assert cause_href({"opens": "check", "check": "monitor:orders_watch", "kind": "drift"}) == \
        "?" + urllib.parse.urlencode({"page": "quality", "check": "drift:monitor:orders_watch"})
    assert cause_href({"opens": "job", "job": "nightly_report"}) == "?page=jobs&job=nightly_report"
    assert cause_href(None) is None


def test_every_alert_answer_matches_its_contract(env):
    from aios_workbench.schemas.alerts import Alert, AlertPage

    for user in ("alice", "bob", "carol"):
        page = AlertPage.model_validate(env.service.alerts.page(user, limit=50))   # GET alerts
        assert all(a.cause is not None for a in page.alerts)
    Alert.model_validate(env.service.alerts.acknowledge("bob", env.run["id"], surface="api"))   # POST alerts/ack
