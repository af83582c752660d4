"""The sidebar never goes stale, in JupyterLab in headless Chromium as alice.

While the Checks section is open, a scheduled job's notebook records a quality result and a drift check
runs through the service: each appears within 5 seconds without a click, under its check's name in
words. A relative time ("just now") moves on by itself while the page stays open.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.conftest import AIOS, artifact, stop
from tests.test_browser_jobs import api, lab_on, lab_page, open_section, workspace_with_notebooks

pytestmark = pytest.mark.browser

QUALITY_JOB = [('suite = "shipments_basics"', ["parameters"]), "import aios_workbench as wb",
               "result = wb.quality(suite)"]
DRIFT = {"kind": "drift", "reference": "(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')",
         "current": "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')",
         "columns": ["delay_days", "lead_time_days", "carrier"]}
FRESH_WITHIN_MS = 5_000


@pytest.fixture(scope="module")
def root(demo_workspace, tmp_path_factory):
    return workspace_with_notebooks(demo_workspace, tmp_path_factory.mktemp("fresh") / "ws",
                                    {"quality_job": QUALITY_JOB})


@pytest.fixture(scope="module")
def lab(root, tmp_path_factory):
    with lab_on(root, tmp_path_factory.mktemp("lab"), log_name="jupyterlab-freshness.log", user="alice") as lab:
        yield lab


@pytest.fixture(scope="module")
def scheduler(root, lab):
    """A real `aios scheduler` on the workspace: a process apart from the Jupyter server, as in production."""
    log = artifact("scheduler-freshness.log").open("w")
    process = subprocess.Popen([AIOS, "--workspace", str(root), "scheduler", "--json", "--grace", "5"],
                               stdout=log, stderr=subprocess.STDOUT)
    yield process
    stop(process)
    log.close()


@pytest.fixture
def checks_page(chromium, lab):
    with lab_page(chromium, lab) as page:
        open_section(page, "checks")
        page.get_by_test_id("aios-checks-summary").wait_for(timeout=60_000)
        yield page


def newest_check_id(lab) -> int | None:
    status, body = api(lab, "GET", "checks/history?limit=1")
    assert status == 200, body
    return body["runs"][0]["id"] if body["runs"] else None


def wait_for_new_check(lab, before: int | None, timeout: float) -> int:
    """The id of the first ledger run newer than `before`, as soon as it is recorded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        newest = newest_check_id(lab)
        if newest is not None and newest != before:
            return newest
        time.sleep(0.2)
    raise AssertionError(f"no check result was recorded within {timeout} s")


def group_row(page, name: str):
    return page.get_by_test_id("aios-checks-tab").locator(f'[data-testid="aios-check-group"][data-name="{name}"]')


def test_a_result_a_job_records_appears_within_5_s_without_a_click(checks_page, lab, scheduler):
    page = checks_page
    row = group_row(page, "shipments_basics")
    row.wait_for(timeout=30_000)
    assert row.get_attribute("data-status") == "never"      # declared, not run yet in this workspace
    assert "not run yet" in row.inner_text()
    report = api(lab, "POST", "jobs/promote", {"notebook": "notebooks/quality_job.ipynb", "cron": "0 6 * * *",
                                               "timezone": "UTC"})[1]
    assert report["status"] != "refused", [g for g in report.get("gates", []) if g.get("verdict") != "passed"]
    before = newest_check_id(lab)
    status, queued = api(lab, "POST", "jobs/run", {"name": "quality_job"})
    assert status == 200, queued
    recorded = wait_for_new_check(lab, before, timeout=240)

    page.wait_for_function(
        """id => document.querySelector('[data-testid="aios-check-group"][data-name="shipments_basics"]')
                 ?.dataset.latestId === String(id)""", arg=recorded, timeout=FRESH_WITHIN_MS)
    assert row.get_attribute("data-status") == "pass"
    text = row.inner_text()
    assert re.search(r"\b\d+ runs?\b", text), text
    when = row.get_by_test_id("aios-check-latest-time")
    assert when.inner_text() == "just now"
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3,4} \d{4}, \d\d:\d\d \S+", when.get_attribute("title"))
    assert "passed" in page.get_by_test_id("aios-checks-summary").inner_text()
    page.screenshot(path=str(artifact("sidebar-checks-fresh.png")))


def test_a_check_run_through_the_service_appears_within_5_s_under_its_name_in_words(checks_page, lab):
    page = checks_page
    page.get_by_test_id("aios-check-group").first.wait_for(timeout=30_000)
    before = newest_check_id(lab)

    status, body = api(lab, "POST", "checks/run", DRIFT)
    assert status == 200, body
    recorded = body["results"][0]["ledger_id"]
    assert recorded != before

    page.wait_for_function(
        """id => [...document.querySelectorAll('[data-testid="aios-check-group"][data-category="drift"]')]
                 .some(row => row.dataset.latestId === String(id))""", arg=recorded, timeout=FRESH_WITHIN_MS)
    drift = page.locator(f'[data-testid="aios-check-group"][data-latest-id="{recorded}"]')
    assert "Drift: shipments where shipped_at before 2025-07-01 → shipments where shipped_at from 2026-01-01" \
        in drift.inner_text()
    assert "SELECT" not in drift.inner_text()
    headings = page.locator(".aios-check-category-title").all_inner_texts()
    assert any(h.startswith("Drift checks (") for h in headings), headings


def test_relative_times_move_on_while_the_page_stays_open(checks_page, lab):
    page = checks_page
    when = page.get_by_test_id("aios-checks-tab").get_by_test_id("aios-check-latest-time").first
    when.wait_for(timeout=30_000)
    shown = when.inner_text()
    datetime = when.get_attribute("datetime")

    # the ticker runs every 30 s: a time says something newer within 90 s, with no reload
    page.wait_for_function(
        """([at, shown]) => {
            const node = document.querySelector(`[data-testid="aios-check-latest-time"][datetime="${at}"]`);
            return node && node.textContent !== shown;
        }""", arg=[datetime, shown], timeout=100_000)
    moved = page.locator(f'[data-testid="aios-check-latest-time"][datetime="{datetime}"]').first.inner_text()
    assert re.fullmatch(r"\d+ (sec|min|hr)\. ago", moved), (shown, moved)
