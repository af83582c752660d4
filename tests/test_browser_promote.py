"""The Promote dialog in JupyterLab, in headless Chromium, as alice, on a private copy of the demo workspace.

alice opens a notebook, presses "Promote" in its toolbar (or runs "Promote notebook…" from the command
palette), builds a schedule whose next five runs are shown in her time zone, fills the typed
parameters form and submits. A notebook whose validation run fails is refused with every gate's
reason and nothing is stored; a good one is promoted and the dialog links to the new job.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import artifact
from tests.test_browser_jobs import (
    DAILY_SUMMARY,
    api,
    lab_on,
    lab_page,
    open_notebook,
    screenshot,
    workspace_with_notebooks,
)

pytestmark = pytest.mark.browser

# A report whose second cell divides by zero: its validation run fails.
BROKEN_REPORT = [
    ('region = "north"\nlimit = 10', ["parameters"]),
    "import aios_workbench as wb",
    "share = limit / 0",
]
GATES = ["parameters_cell", "parameters", "validation_run", "required_checks", "grants", "approval"]


@pytest.fixture(scope="module")
def lab(demo_workspace, tmp_path_factory):
    root = workspace_with_notebooks(demo_workspace, tmp_path_factory.mktemp("promote") / "ws",
                                    {"daily_summary": DAILY_SUMMARY, "broken_report": BROKEN_REPORT})
    with lab_on(root, tmp_path_factory.mktemp("lab"), log_name="jupyterlab-promote.log", user="alice",
                settings={"promoteTimeZone": "Europe/Berlin"}) as lab:
        yield lab


def dialog(page):
    return page.get_by_test_id("aios-promote-dialog")


def accept_button(page):
    return page.locator(".aios-promote-dialog .jp-Dialog-button.jp-mod-accept")


def gate_states(page) -> dict[str, str]:
    return dict(dialog(page).locator('[data-testid="aios-promote-gate"]').evaluate_all(
        "rows => rows.map(r => [r.dataset.name, r.dataset.state])"))


def test_a_refused_promotion_lists_every_gate_with_its_reason(chromium, lab):
    with lab_page(chromium, lab) as page:
        open_notebook(page, "broken_report.ipynb")
        page.get_by_test_id("aios-promote-button").click()
        form = dialog(page)
        form.wait_for(timeout=30_000)
        assert form.get_by_test_id("aios-promote-name").input_value() == "broken_report"
        assert form.get_by_test_id("aios-promote-timezone").input_value() == "Europe/Berlin"  # from the settings

        # Weekdays at 07:30 Berlin time: the schedule in words and the next five runs.
        form.get_by_test_id("aios-promote-preset").select_option("weekdays")
        form.get_by_test_id("aios-promote-time").fill("07:30")
        words = form.get_by_test_id("aios-schedule-words")
        page.wait_for_function("""() => {
            const w = document.querySelector('[data-testid="aios-schedule-words"]');
            return w && w.innerText.includes('07:30') && w.innerText.includes('Monday through Friday');
        }""", timeout=30_000)
        assert "(Europe/Berlin)" in words.inner_text()
        times = form.get_by_test_id("aios-next-runs").locator("time")
        assert times.count() == 5
        stamps = times.evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
        assert stamps == sorted(stamps) and len(set(stamps)) == 5
        assert all(re.search(r"T0[56]:30:00\+00:00$", s) for s in stamps), stamps  # 07:30 in Berlin is 05:30 or 06:30 UTC
        page.screenshot(path=str(artifact("promote-dialog-form.png")))

        # A raw cron expression the service rejects: its reason is shown and Promote is disabled.
        form.get_by_test_id("aios-promote-preset").select_option("cron")
        form.get_by_test_id("aios-promote-cron").fill("61 * * * *")
        error = form.get_by_test_id("aios-schedule-error")
        error.wait_for(timeout=30_000)
        assert "not valid" in error.inner_text() and "minute 0-59" in error.inner_text()
        page.wait_for_function("""() => document.querySelector(
            '.aios-promote-dialog .jp-Dialog-button.jp-mod-accept').disabled""", timeout=10_000)
        form.get_by_test_id("aios-promote-cron").fill("30 7 * * 1-5")
        page.wait_for_function("""() => !document.querySelector(
            '.aios-promote-dialog .jp-Dialog-button.jp-mod-accept').disabled""", timeout=30_000)

        form.locator('[data-testid="aios-param-input"][data-name="limit"]').wait_for(timeout=30_000)
        accept_button(page).click()
        headline = form.get_by_test_id("aios-promote-headline")
        headline.wait_for(timeout=300_000)
        assert headline.get_attribute("data-status") == "refused"
        assert "Nothing was stored" in headline.inner_text()
        states = gate_states(page)
        assert list(states) == GATES
        assert states["validation_run"] == "fail"
        assert states["grants"] == "not-run"   # the failed run kept it from finishing: not a second failure
        assert states["parameters_cell"] == "pass" and states["parameters"] == "pass"
        reason = form.locator('[data-testid="aios-promote-gate"][data-name="validation_run"]').inner_text()
        assert "ZeroDivisionError" in reason
        assert form.get_by_test_id("aios-promote-open-job").count() == 0
        assert accept_button(page).inner_text() == "Promote"  # fix and try again

    status, body = api(lab, "GET", "jobs/job?name=broken_report")
    assert status == 404, body


def test_a_promotion_through_the_palette_with_typed_parameters_links_to_the_job(chromium, lab):
    with lab_page(chromium, lab) as page:
        open_notebook(page, "daily_summary.ipynb")
        # Once the kernel is up JupyterLab focuses the notebook, which would close an open palette.
        page.locator(".jp-NotebookPanel [data-status='idle']").first.wait_for(timeout=120_000)
        palette = page.locator(".lm-CommandPalette-input")
        for _ in range(5):
            page.locator(".jp-NotebookPanel .jp-Notebook").first.click()
            page.keyboard.press("Control+Shift+C")
            try:
                palette.fill("Promote notebook", timeout=3_000)
                page.locator(".lm-CommandPalette-item", has_text="Promote notebook…").first.click(timeout=3_000)
                break
            except Exception:  # noqa: BLE001
                continue
        form = dialog(page)
        form.wait_for(timeout=30_000)

        # Daily at 06:00 UTC.
        form.get_by_test_id("aios-promote-preset").select_option("daily")
        form.get_by_test_id("aios-promote-time").fill("06:00")
        form.get_by_test_id("aios-promote-timezone").fill("UTC")
        page.wait_for_function("""() => {
            const w = document.querySelector('[data-testid="aios-schedule-words"]');
            return w && w.innerText.includes('06:00') && w.innerText.includes('(UTC)');
        }""", timeout=30_000)
        assert form.get_by_test_id("aios-next-runs").locator("time").count() == 5

        # Typed inputs from the parameters cell; a bad JSON list disables Promote until fixed.
        param = lambda name: form.locator(f'[data-testid="aios-param-input"][data-name="{name}"]')  # noqa: E731
        param("months").wait_for(timeout=30_000)
        assert param("months").get_attribute("type") == "number"
        assert param("verbose").get_attribute("type") == "checkbox"
        assert param("carriers").evaluate("n => n.tagName") == "TEXTAREA"
        assert param("carriers").input_value() == '["DHL"]'
        param("months").fill("2")
        param("verbose").check()
        param("carriers").fill('["DHL", "UPS"')
        assert "must be JSON" in form.locator(".aios-param-list .aios-field-error").inner_text()
        assert accept_button(page).is_disabled()
        param("carriers").fill('["DHL", "UPS"]')
        assert not accept_button(page).is_disabled()
        form.get_by_test_id("aios-promote-retries").fill("1")
        form.get_by_test_id("aios-promote-webhooks").fill("https://hooks.example.com/jobs")

        accept_button(page).click()
        headline = form.get_by_test_id("aios-promote-headline")
        headline.wait_for(timeout=300_000)
        assert headline.get_attribute("data-status") == "active", form.inner_text()
        states = gate_states(page)
        assert states.pop("approval") == "not-required" and set(states.values()) == {"pass"}
        assert list(gate_states(page)) == GATES
        assert accept_button(page).inner_text() == "Done"
        link = form.get_by_test_id("aios-promote-open-job")
        assert link.inner_text() == "Open job daily_summary in the Jobs section"
        form.get_by_test_id("aios-promote-report").scroll_into_view_if_needed()
        screenshot(page, "promote-dialog.png")

        link.click()
        form.wait_for(state="detached", timeout=10_000)
        view = page.get_by_test_id("aios-job-view")
        view.get_by_test_id("aios-job-schedule").wait_for(timeout=30_000)
        assert view.get_attribute("data-name") == "daily_summary"
        assert "At 06:00 AM (UTC)" in view.get_by_test_id("aios-job-schedule").inner_text()

    status, job = api(lab, "GET", "jobs/job?name=daily_summary")
    assert status == 200, job
    assert job["spec"]["parameters"] == {"months": 2, "verbose": True, "carriers": ["DHL", "UPS"]}
    assert job["spec"]["retries"]["max"] == 1
    assert job["spec"]["notifications"]["webhooks"] == ["https://hooks.example.com/jobs"]
    assert job["spec"]["schedule"]["cron"] == "0 6 * * *"
    assert job["spec"]["timeout_seconds"] == 3600
