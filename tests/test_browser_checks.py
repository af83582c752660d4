"""The AI OS sidebar's Checks section in JupyterLab, in headless Chromium, as the policy user alice.

alice runs the demo workspace's quality suites and a drift check from the command line, then finds them
in the sidebar as the dashboard's Quality page shows them: grouped by kind, one row per check with its
latest verdict and history; a check opens on its newest run in words (a drift run: its summary, and per
column the test, statistic, threshold and the reference and current distributions).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from urllib.parse import urlparse

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
DRIFT = ("(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')",
         "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')")
DRIFT_COLUMNS = "delay_days,lead_time_days,carrier"
DRIFT_LABEL = "Drift: shipments where shipped_at before 2025-07-01 → shipments where shipped_at from 2026-01-01"


@pytest.fixture(scope="module")
def seeded_ledger(demo_workspace):
    """The five demo suites and a drift check run by alice, so the ledger's newest runs are hers."""
    env = {**os.environ, "AIOS_USER": "alice"}
    result = subprocess.run([AIOS, "--workspace", str(ROOT), "check", "quality"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    drift = subprocess.run([AIOS, "--workspace", str(ROOT), "check", "drift", *DRIFT, "--columns", DRIFT_COLUMNS],
                           env=env, capture_output=True, text=True, timeout=300)
    assert drift.returncode in (0, 1), drift.stdout + drift.stderr   # 1: the demo's shipments drift
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


def latest_statuses(page) -> dict[str, str]:
    """Check name -> its latest status, as the Checks tab shows it."""
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('[data-testid="aios-check-group"]')].map(r => [r.dataset.name, r.dataset.status]))""")


def group_row(page, name: str):
    return page.get_by_test_id("aios-checks-tab").locator(f'[data-testid="aios-check-group"][data-name="{name}"]')


def test_checks_are_grouped_by_kind_with_their_latest_status_and_history(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    tab.get_by_test_id("aios-check-group").first.wait_for(timeout=60_000)

    statuses = latest_statuses(page)
    assert {name: statuses.get(name) for name in SUITES} == SUITES
    carriers = group_row(page, "shipments_carriers")
    assert "alice" in carriers.inner_text()
    assert "shipment_files.main.shipments" in carriers.inner_text()
    assert "required" in group_row(page, "shipments_basics").inner_text()
    strip = carriers.get_by_test_id("aios-check-history")
    assert strip.get_attribute("aria-label").startswith("Last ")
    assert "passed with warnings" in strip.get_attribute("aria-label")      # the service's words
    headings = tab.locator(".aios-check-category-title").all_inner_texts()
    assert headings[0].startswith("Quality suites (") and any(h.startswith("Drift checks (") for h in headings)
    assert re.match(r"\d+ checks: ", page.get_by_test_id("aios-checks-summary").inner_text())
    drift = tab.locator('[data-testid="aios-check-group"][data-category="drift"]').filter(has_text=DRIFT_LABEL)
    assert drift.count() >= 1 and "SELECT" not in drift.first.inner_text()   # named in words, not SQL
    page.screenshot(path=str(artifact("checks-list.png")))


def test_a_suite_opens_on_its_newest_run_with_items_in_words_and_masked_examples(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    carriers = group_row(page, "shipments_carriers")
    carriers.wait_for(timeout=60_000)

    carriers.locator("button").first.click()
    view = page.get_by_test_id("aios-check-run-view")
    item = view.locator('[data-testid="aios-check-item"][data-name="accepted_values(carrier)"]')
    item.wait_for(timeout=30_000)
    assert item.get_attribute("data-status") == "fail"
    assert re.search(r"[\d,]+ of [\d,]+ rows fail", item.get_by_test_id("aios-check-item-finding").inner_text())
    assert "failing_rows" not in item.inner_text()         # findings in words, not the ledger's keys
    examples = item.get_by_test_id("aios-check-examples")  # alice ran it, so she sees her own example rows
    assert examples.locator('tbody td[data-name="carrier"]').count() > 0
    assert view.get_by_test_id("aios-check-verdict").inner_text().strip()
    page.screenshot(path=str(artifact("checks-tab.png")))

    page.get_by_test_id("aios-checks-back").click()
    carriers.wait_for(timeout=30_000)
    assert tab.locator(".aios-check-group:focus-within").get_attribute("data-name") == "shipments_carriers"


def test_a_drift_check_shows_its_summary_and_per_column_test_statistic_threshold_and_distributions(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    drift = tab.locator('[data-testid="aios-check-group"][data-category="drift"]').filter(has_text=DRIFT_LABEL).first
    drift.wait_for(timeout=60_000)

    drift.locator("button").first.click()
    view = page.get_by_test_id("aios-check-run-view")
    summary = view.get_by_test_id("aios-drift-summary")
    summary.wait_for(timeout=30_000)
    assert re.search(r"Drifted columns\s*\d of 3 \(\d+%\)", summary.inner_text())
    assert re.search(r"Dataset drifts at\s*\d+%", summary.inner_text())
    columns = view.get_by_test_id("aios-drift-column")
    assert sorted(columns.evaluate_all("rows => rows.map(r => r.dataset.column)")) == \
        ["carrier", "delay_days", "lead_time_days"]
    first = columns.first
    text = first.inner_text()
    assert first.get_attribute("data-status") == "fail"      # drifted columns first
    for label in ("Test", "Statistic", "Threshold"):
        assert label in text, text
    assert re.search(r"Drifted: .*threshold", text) or "p-value" in text, text
    assert first.get_by_test_id("aios-drift-plot").locator("rect.aios-drift-ref").count() > 1
    assert "reference" in first.locator("svg").get_attribute("aria-label")
    shown = view.inner_text()
    for dump in ("wasserstein_error_bound", "ref_nulls", "cur_count", "stattest"):
        assert dump not in shown
    page.screenshot(path=str(artifact("checks-drift.png")))


def wait_until_loaded(page) -> None:
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="aios-checks-tab"]').hasAttribute('aria-busy')""",
        timeout=30_000)


def test_filters_by_dataset_and_kind(checks_page):
    page = checks_page
    tab = page.get_by_test_id("aios-checks-tab")
    tab.get_by_test_id("aios-check-group").first.wait_for(timeout=60_000)

    page.get_by_test_id("aios-checks-dataset").fill("supplier_master.main.suppliers")
    page.wait_for_function(
        """() => {
            const rows = [...document.querySelectorAll('[data-testid="aios-check-group"]')];
            return rows.length > 0 && rows.every(r => r.innerText.includes('supplier_master.main.suppliers'));
        }""", timeout=30_000)
    names = set(tab.get_by_test_id("aios-check-group").evaluate_all("rows => rows.map(r => r.dataset.name)"))
    assert "suppliers_contacts" in names  # its own dataset
    assert "purchase_orders_basics" in names  # reads suppliers through its references rule
    assert not names & {"shipments_carriers", "purchase_orders_quantities"}, names

    page.get_by_test_id("aios-checks-dataset").fill("")
    page.get_by_test_id("aios-checks-kind").select_option("drift")  # the change reloads at once
    wait_until_loaded(page)
    categories = set(tab.get_by_test_id("aios-check-group").evaluate_all("rows => rows.map(r => r.dataset.category)"))
    assert categories <= {"drift", "monitor"} and "drift" in categories, categories

    page.get_by_test_id("aios-checks-kind").select_option("quality")
    wait_until_loaded(page)
    assert latest_statuses(page)["shipments_carriers"] == "warn"


def test_service_errors_are_shown_as_readable_messages(checks_page):
    page = checks_page
    page.route(lambda url: urlparse(url).path.endswith("/aios/api/checks/overview"), lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "unavailable", "message": "The ledger is unreachable",
                         "fix": "start the metadata database"})))
    page.get_by_test_id("aios-checks-refresh").click()
    alert = page.get_by_test_id("aios-checks-tab").get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert "The ledger is unreachable" in alert.inner_text()
    assert "start the metadata database" in alert.inner_text()
    assert page.get_by_test_id("aios-checks-tab").get_by_test_id("aios-check-group").count() == 0
