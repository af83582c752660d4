"""The AI OS sidebar's Checks section in JupyterLab, in headless Chromium, as the policy user alice.

alice runs the demo workspace's quality suites from the command line, then finds their results in
the sidebar: one row per suite with its status, and a run opens on its items.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import AIOS, ROOT, aios_lab, artifact, sidebar_page

pytestmark = pytest.mark.browser

# governance/checks.yaml of the demo workspace, and the status each suite reaches on the demo data.
SUITES = {
    "shipments_basics": "pass",
    "shipments_carriers": "warn",
    "purchase_orders_basics": "pass",
    "purchase_orders_quantities": "warn",
    "suppliers_contacts": "pass",
}


@pytest.fixture(scope="module")
def seeded_ledger(demo_workspace):
    """The five demo suites run by alice, so the ledger's newest runs are hers."""
    result = subprocess.run([AIOS, "--workspace", str(ROOT), "check", "quality"],
                            env={**os.environ, "AIOS_USER": "alice"}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def lab_as_alice(seeded_ledger, tmp_path_factory):
    with aios_lab(log_name="jupyterlab-checks.log", user="alice",
                  layouts=tmp_path_factory.mktemp("lab-workspaces")) as lab:
        yield lab


@pytest.fixture
def checks_page(chromium, lab_as_alice):
    """JupyterLab loaded, the AI OS sidebar open on its Checks section; fails on any page error."""
    with sidebar_page(chromium, lab_as_alice, "checks") as page:
        yield page


def newest_statuses(page) -> dict[str, str]:
    """Suite name -> status of its newest listed run (the list is newest first)."""
    return page.evaluate("""() => {
        const seen = {};
        for (const row of document.querySelectorAll('[data-testid="aios-check-run"]')) {
            if (!(row.dataset.name in seen)) seen[row.dataset.name] = row.dataset.status;
        }
        return seen;
    }""")


def test_checks_tab_lists_the_suites_alice_ran_with_their_statuses(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    tab.locator('[data-testid="aios-check-run"]').first.wait_for(timeout=60_000)

    statuses = newest_statuses(page)
    assert {name: statuses.get(name) for name in SUITES} == SUITES
    carriers = tab.locator('[data-testid="aios-check-run"][data-name="shipments_carriers"]').first
    assert "alice" in carriers.inner_text()
    assert "shipment_files.main.shipments" in carriers.inner_text()
    basics = tab.locator('[data-testid="aios-check-run"][data-name="shipments_basics"]').first
    assert "required" in basics.inner_text()
    page.screenshot(path=str(artifact("checks-list.png")))


def test_a_run_drills_into_its_items_with_metrics_and_masked_examples(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    carriers = tab.locator('[data-testid="aios-check-run"][data-name="shipments_carriers"]').first
    carriers.wait_for(timeout=60_000)

    carriers.click()
    item = tab.locator('[data-testid="aios-check-item"][data-name="accepted_values(carrier)"]')
    item.wait_for(timeout=30_000)
    assert item.get_attribute("data-status") == "fail"
    assert re.search(r"[\d,]+ of [\d,]+ rows fail", item.get_by_test_id("aios-check-item-finding").inner_text())
    assert "failing_rows" not in item.inner_text()         # findings in words, not the ledger's keys
    examples = item.get_by_test_id("aios-check-examples")  # alice ran it, so she sees her own example rows
    assert examples.locator('tbody td[data-name="carrier"]').count() > 0
    page.screenshot(path=str(artifact("checks-tab.png")))

    page.get_by_test_id("aios-checks-back").click()
    carriers.wait_for(timeout=30_000)


def wait_until_loaded(page) -> None:
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="aios-checks-tab"]').hasAttribute('aria-busy')""",
        timeout=30_000)


def test_filters_by_dataset_and_kind(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    tab.locator('[data-testid="aios-check-run"]').first.wait_for(timeout=60_000)

    page.get_by_test_id("aios-checks-dataset").fill("supplier_master.main.suppliers")
    page.wait_for_function(
        """() => {
            const rows = [...document.querySelectorAll('[data-testid="aios-check-run"]')];
            return rows.length > 0 && rows.every(r => r.innerText.includes('supplier_master.main.suppliers'));
        }""", timeout=30_000)
    names = set(tab.locator('[data-testid="aios-check-run"]').evaluate_all("rows => rows.map(r => r.dataset.name)"))
    assert "suppliers_contacts" in names  # its own dataset
    assert "purchase_orders_basics" in names  # reads suppliers through its references rule
    assert not names & {"shipments_carriers", "purchase_orders_quantities"}, names

    page.get_by_test_id("aios-checks-dataset").fill("")
    page.get_by_test_id("aios-checks-kind").select_option("drift")  # the change reloads at once
    wait_until_loaded(page)
    kinds = tab.locator(".aios-check-run-kind").all_inner_texts()
    assert set(kinds) <= {"drift"}, kinds
    if not kinds:
        assert "No check run matches" in tab.inner_text()

    page.get_by_test_id("aios-checks-kind").select_option("quality")
    wait_until_loaded(page)
    assert newest_statuses(page)["shipments_carriers"] == "warn"


def synthetic_run(run_id: int) -> dict:
    return {"id": run_id, "at": "2026-03-01T12:00:00+00:00", "kind": "quality", "name": f"suite_{run_id:03d}",
            "status": "pass", "passed": True, "required": False, "severity": "warn", "user": "alice",
            "datasets": ["lake.main.table"], "inputs": {}, "params": {}, "items": [], "error": None,
            "duration_s": 0.1, "notebook": None, "job_run_id": None, "mlflow_run_id": None}


def test_load_more_pages_back_by_id_until_the_ledger_ends(checks_page):
    """A ledger of 120 runs (served by the test, honouring limit and before_id) arrives in pages of 50."""
    page = checks_page
    asked: list[dict] = []

    def history(route):
        query = parse_qs(urlparse(route.request.url).query)
        asked.append({k: v[0] for k, v in query.items()})
        before = int(query.get("before_id", ["121"])[0])
        limit = int(query["limit"][0])
        runs = [synthetic_run(i) for i in range(before - 1, 0, -1)][:limit]
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"runs": runs}))

    page.route(lambda url: urlparse(url).path.endswith("/aios/api/checks/history"), history)
    page.get_by_test_id("aios-checks-refresh").click()
    rows = page.get_by_test_id("aios-checks-tab").locator('[data-testid="aios-check-run"]')
    more = page.get_by_test_id("aios-checks-more")
    page.wait_for_function(
        """() => document.querySelector('[data-testid="aios-check-run"]')?.dataset.name === 'suite_120'""",
        timeout=30_000)
    assert rows.count() == 50

    more.click()
    page.wait_for_function("""() => document.querySelectorAll('[data-testid="aios-check-run"]').length === 100""",
                           timeout=30_000)
    more.click()
    page.wait_for_function("""() => document.querySelectorAll('[data-testid="aios-check-run"]').length === 120""",
                           timeout=30_000)

    ids = [int(i) for i in rows.evaluate_all("rows => rows.map(r => r.dataset.id)")]
    assert ids == list(range(120, 0, -1))
    assert [a.get("before_id") for a in asked[-3:]] == [None, "71", "21"]
    assert not more.is_visible()  # the last page was short: the ledger has ended


def test_service_errors_are_shown_as_readable_messages(checks_page):
    page = checks_page
    page.route(lambda url: urlparse(url).path.endswith("/aios/api/checks/history"), lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "unavailable", "message": "The ledger is unreachable",
                         "fix": "start the metadata database"})))
    page.get_by_test_id("aios-checks-refresh").click()
    alert = page.get_by_test_id("aios-checks-tab").get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert "The ledger is unreachable" in alert.inner_text()
    assert "start the metadata database" in alert.inner_text()
    assert page.get_by_test_id("aios-checks-tab").locator('[data-testid="aios-check-run"]').count() == 0
