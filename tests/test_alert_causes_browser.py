"""The JupyterLab sidebar's Alerts section says what caused each alert and opens it where the sidebar already
opens such things: the failed run's output in a main-area tab, the check the run failed in the Checks section.

A private copy of the demo workspace, seeded as the dashboard's tests seed it (`tests/test_dashboard.py`): the
job `nightly_spend_report` (alice's) with a failed run that kept an HTML output, the quality suite that run
failed on shipments (a real ledger entry), and the alert the scheduler raises for it."""

from __future__ import annotations

import pytest

from tests.conftest import copy_demo_workspace
from tests.test_browser_jobs import LAB_SETTINGS, lab_on, lab_page, open_section, screenshot
from tests.test_dashboard import JOB, OUTPUT_MARKER, seed_alerts, seed_jobs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(demo_workspace, tmp_path_factory):
    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("alert-causes") / "ws")
    jobs = seed_jobs(ws)
    alerts = seed_alerts(ws)
    return ws, jobs["failed_run"], alerts[0]


def test_the_sidebar_opens_an_alerts_failed_run_and_the_check_it_failed(chromium, seeded, tmp_path):
    ws, run_id, failed = seeded
    with lab_on(ws.root, tmp_path, log_name="jupyterlab-alert-causes.log", user="alice",
                settings=LAB_SETTINGS) as lab, lab_page(chromium, lab) as page:
        open_section(page, "alerts")
        alert = page.get_by_test_id("aios-alerts-tab").locator(f'[data-testid="aios-alert"][data-id="{failed["id"]}"]')
        alert.wait_for(timeout=30_000)
        cause = alert.get_by_test_id("aios-alert-cause")
        assert cause.inner_text() == f"Run {run_id} of job {JOB} failed"
        assert "Cause: " in alert.inner_text()
        evidence = alert.get_by_test_id("aios-alert-related")
        assert evidence.inner_text().startswith("shipments_basics failed (result #")
        ledger_id = int(evidence.inner_text().rsplit("#", 1)[1].rstrip(")"))
        screenshot(page, "sidebar-alert-cause.png")

        cause.click()   # the run's output, read-only, in a main-area tab
        frame = page.frame_locator('[data-testid="aios-output-frame"]')
        frame.get_by_text(OUTPUT_MARKER).wait_for(timeout=60_000)
        assert page.locator(".lm-TabBar-tab", has_text=f"{JOB} · run {run_id}").count() == 1

        evidence.click()   # the check the run failed, opened in the Checks section
        page.locator('[data-testid="aios-tab-checks"][aria-selected="true"]').wait_for(timeout=30_000)
        shown = page.get_by_test_id("aios-check-run-view")
        shown.get_by_text("delivered_after_shipped").first.wait_for(timeout=30_000)
        assert "shipments_basics" in shown.inner_text()
        screenshot(page, "sidebar-alert-cause-check.png")
        assert ledger_id > 0
