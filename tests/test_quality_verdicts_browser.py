"""Check verdicts as people see them, in headless Chromium: the dashboard's Quality & drift page lists the
failing monitor, a drift and a fairness check beside the quality suites and counts them; a drift check opens
on a summary and its columns in words with distribution overlays; the Jobs page and the sidebar's job run
say "checks failed" for a run whose notebook succeeded while its monitor failed; the sidebar's check view
says why a check failed and lists the failing column first.

One private copy of the demo workspace, checked as alice and with the demo's daily job (notebook 04, whose
monitor fails by design while `fail_on_drift` is off) run once by a real `aios scheduler`.
"""

from __future__ import annotations

import contextlib
import re
import subprocess

import pytest

from tests.conftest import AIOS, artifact, copy_demo_workspace, free_port, run_aios, stop, wait_for_http
from tests.test_browser_jobs import lab_on, lab_page, open_section
from tests.test_dashboard import add_login, open_page, session, text_with
from tests.test_quality_verdicts import DRIFT_SQL, FAIRNESS_SQL, job_id_of
from tests.test_scheduler import queue_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

PASSWORD = "alice-verdicts-pw"
JOB = "monitor_shipments"


@pytest.fixture(scope="module")
def checked(demo_workspace, tmp_path_factory):
    """The copy with every kind of check run as alice and one run of the daily job whose monitor failed."""
    from aios_workbench.demo.prepare import promote_demo_job
    from aios_workbench.service.core import WorkbenchService

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("verdicts-browser") / "demo")
    service = WorkbenchService(ws, mode="test")
    try:
        service.checks.quality("alice")
        service.checks.drift("alice", *DRIFT_SQL, columns=["delay_days", "carrier", "on_time"])
        service.checks.fairness("alice", FAIRNESS_SQL, y_true="late", y_pred="flagged_late",
                                sensitive=["minority_owned"])
        promote_demo_job(ws, progress=False)   # its validation run records the failing monitor too
        run_id = queue_run(service.store, job_id_of(service, JOB))
    finally:
        service.close()
    done = run_aios("--workspace", str(ws.root), "scheduler", "--once", "--json", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    added = add_login(ws.root, "alice", PASSWORD)
    assert added.returncode == 0, added.stderr
    return ws, run_id


@pytest.fixture(scope="module")
def dashboard(checked):
    from types import SimpleNamespace

    ws, _ = checked
    port = free_port()
    log = artifact("dashboard-verdicts.log").open("w")
    process = subprocess.Popen([AIOS, "--workspace", str(ws.root), "dashboard", "--port", str(port),
                                "--address", "127.0.0.1", "--json"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/login", process=process, timeout=90)
        yield SimpleNamespace(url=url, secrets={"alice": PASSWORD})
    finally:
        stop(process)
        log.close()


def test_the_quality_page_counts_and_lists_every_kind_of_check(chromium, dashboard):
    with session(chromium, dashboard, "alice") as page:
        open_page(page, dashboard, "quality")
        summary = page.get_by_test_id("quality-summary").inner_text()
        text = text_with(page, "Monitor shipments_monthly_drift", "Fairness by minority_owned")
        page.screenshot(path=str(artifact("dashboard-quality-verdicts.png")), full_page=True)

        assert re.search(r"\b[1-9] failed\b", summary) and "1 monitor" in summary, summary
        monitor = page.locator('[data-testid="quality-check"][data-name="monitor:shipments_monthly_drift"]')
        assert monitor.get_attribute("data-status") == "fail"
        assert "Failed: 1 of 4 columns drifted (lead_time_days)" in monitor.inner_text()
        for category in ("quality", "drift", "monitor", "fairness"):
            assert page.get_by_test_id(f"quality-checks-{category}").count() == 1, category
        assert "Drift: shipments where shipped_at before 2025-07-01 → shipments where shipped_at from 2026-01-01" \
            in text
        assert "SELECT" not in page.get_by_test_id("quality-checks-drift").inner_text()


def test_a_drift_check_opens_on_its_summary_its_columns_in_words_and_their_distributions(chromium, dashboard):
    with session(chromium, dashboard, "alice") as page:
        open_page(page, dashboard, "quality")
        page.locator(".bk-tab", has_text="Open a check").click()
        page.locator("select").nth(1).select_option(label="failed: Monitor shipments_monthly_drift")
        page.get_by_test_id("drift-summary").wait_for()
        text = text_with(page, "Drifted columns: share of rows per value", "no drift: ")
        page.screenshot(path=str(artifact("dashboard-drift-check.png")), full_page=True)

        assert page.get_by_test_id("drift-summary").inner_text().startswith("1 of 4 columns drifted (25%")
        assert "The dataset as a whole did not drift" in page.get_by_test_id("drift-summary").inner_text()
        assert "Wasserstein distance (normed)" in text and "drifted: 0.18" in text
        assert not {"wasserstein_error_bound", "ref_nulls"} & set(re.findall(r"\w+", text))
        assert page.locator(".bk-Canvas, canvas").count() >= 1   # the overlay of the drifted column


def test_the_jobs_page_says_checks_failed_for_a_run_whose_notebook_succeeded(chromium, dashboard, checked):
    _, run_id = checked
    with session(chromium, dashboard, "alice") as page:
        open_page(page, dashboard, "jobs")
        text_with(page, JOB)
        assert page.get_by_test_id("jobs-checks-failed-value").inner_text() == "1"
        page.locator(".bk-tab", has_text="Run history").click()
        text = text_with(page, "checks failed: the notebook succeeded")
        page.screenshot(path=str(artifact("dashboard-jobs-checks-failed.png")), full_page=True)

        assert re.search(r"checks failed: the notebook succeeded, \d+ of \d+ checks it recorded failed \(monitor\)",
                         text)


@contextlib.contextmanager
def sidebar(chromium, checked, tmp_path_factory, section: str):
    ws, _ = checked
    with lab_on(ws.root, tmp_path_factory.mktemp("verdicts-lab"), log_name="jupyterlab-verdicts.log",
                user="alice") as lab, lab_page(chromium, lab) as page:
        open_section(page, section)
        yield page


def test_the_sidebar_job_run_says_checks_failed_and_its_check_says_why(chromium, checked, tmp_path_factory):
    _, run_id = checked
    with sidebar(chromium, checked, tmp_path_factory, "jobs") as page:
        job = page.get_by_test_id("aios-jobs-tab").locator(f'[data-testid="aios-job"][data-name="{JOB}"]')
        job.wait_for(timeout=60_000)
        assert job.get_attribute("data-state") == "checks_failed"
        job.locator("button").click()
        run = page.locator(f'[data-testid="aios-job-run"][data-id="{run_id}"]')
        run.wait_for(timeout=30_000)
        page.screenshot(path=str(artifact("sidebar-job-run-checks-failed.png")))

        assert (run.get_attribute("data-status"), run.get_attribute("data-verdict")) == ("succeeded", "checks_failed")
        assert run.locator(".aios-check-status").first.inner_text().lower() == "checks failed"
        assert re.fullmatch(r"The notebook succeeded, but \d+ of \d+ checks it recorded failed \(monitor\)\.",
                            run.get_by_test_id("aios-run-checks").inner_text())

        page.get_by_test_id("aios-tab-checks").click()      # the sidebar is open: its other section
        tab = page.get_by_test_id("aios-checks-tab")
        monitor = tab.locator('[data-testid="aios-check-group"]').filter(has_text="shipments_monthly_drift").first
        monitor.wait_for(timeout=60_000)
        assert "Monitor shipments_monthly_drift" in monitor.inner_text()
        monitor.locator("button").first.click()
        view = tab.get_by_test_id("aios-check-run-view")
        verdict = view.get_by_test_id("aios-check-verdict")
        verdict.wait_for(timeout=30_000)
        columns = view.get_by_test_id("aios-drift-column")
        columns.first.wait_for(timeout=30_000)
        page.screenshot(path=str(artifact("sidebar-check-verdict.png")))

        assert "Failed: 1 of 4 columns drifted (lead_time_days)." in verdict.inner_text()
        names = columns.evaluate_all("rows => rows.map(r => r.dataset.column)")
        assert names[0] == "lead_time_days"      # drifted columns first
        drifted = view.locator('[data-testid="aios-drift-column"][data-column="lead_time_days"]')
        assert "Wasserstein distance (normed)" in drifted.inner_text()
        why = drifted.get_by_test_id("aios-drift-why").inner_text()
        assert re.match(r"Drifted: 0\.18\d* ≥ threshold 0\.1", why), why
        assert "wasserstein_error_bound" not in tab.inner_text()
