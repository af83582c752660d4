"""Promote on a notebook that already runs as a job, and a refusal from one cause, in headless Chromium.

alice promoted `weekly_report` (as job `weekly_sales`: weekdays 07:30 New York time, 2 retries, an e-mail,
months = 2). Reopening Promote must start from that definition, say that nothing changed, then, after she
raises the retries, that Promote makes version 2 and what it changes. A notebook without a parameters cell
is refused with one failed gate; the gates that could not run because of it say "not run", not "failed".
"""

from __future__ import annotations

import pytest

from tests.test_browser_jobs import api, lab_on, lab_page, open_notebook, promote, screenshot, workspace_with_notebooks

pytestmark = pytest.mark.browser

WEEKLY_REPORT = [
    ('months = 3\ncarriers = ["DHL"]', ["parameters"]),
    "import aios_workbench as wb",
    'rows = wb.sql("SELECT count(*) AS n FROM shipments")\nprint("shipments:", rows["n"][0], months, carriers)',
]
NO_PARAMETERS = [
    "import aios_workbench as wb",
    'print(wb.sql("SELECT count(*) AS n FROM shipments"))',
]


@pytest.fixture(scope="module")
def lab(demo_workspace, tmp_path_factory):
    root = workspace_with_notebooks(demo_workspace, tmp_path_factory.mktemp("promote-again") / "ws",
                                    {"weekly_report": WEEKLY_REPORT, "untagged_report": NO_PARAMETERS})
    with lab_on(root, tmp_path_factory.mktemp("lab"), log_name="jupyterlab-promote-again.log", user="alice",
                settings={"promoteTimeZone": "Europe/Berlin"}) as lab:
        yield lab


def open_promote(page, notebook: str):
    open_notebook(page, notebook)
    page.get_by_test_id("aios-promote-button").click()
    form = page.get_by_test_id("aios-promote-dialog")
    form.wait_for(timeout=30_000)
    return form


def accept_button(page):
    return page.locator(".aios-promote-dialog .jp-Dialog-button.jp-mod-accept")


def wait_for_text(page, test_id: str, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function("""([id, text]) => {
        const node = document.querySelector(`[data-testid="${id}"]`);
        return node && node.innerText.includes(text);
    }""", arg=[test_id, text], timeout=timeout)


def test_promote_on_a_promoted_notebook_starts_from_the_job_and_says_what_changes(chromium, lab):
    first = promote(lab, "notebooks/weekly_report.ipynb", name="weekly_sales", cron="30 7 * * 1-5",
                    timezone="America/New_York", retries=2, parameters={"months": 2},
                    notifications={"emails": ["ops@example.com"], "on": ["failure"]})
    assert (first["status"], first["version"]) == ("active", 1), first

    with lab_page(chromium, lab) as page:
        form = open_promote(page, "weekly_report.ipynb")
        field = form.get_by_test_id
        wait_for_text(page, "aios-promote-current", "This notebook runs as job weekly_sales, version 1")
        # the job's definition, not the dialog's defaults (manual, the settings' zone, 0 retries)
        assert field("aios-promote-name").input_value() == "weekly_sales"
        assert field("aios-promote-preset").input_value() == "weekdays"
        assert field("aios-promote-time").input_value() == "07:30"
        assert field("aios-promote-timezone").input_value() == "America/New_York"
        assert field("aios-promote-retries").input_value() == "2"
        assert field("aios-promote-emails").input_value() == "ops@example.com"
        assert form.locator('[data-testid="aios-param-input"][data-name="months"]').input_value() == "2"
        wait_for_text(page, "aios-schedule-words", "Monday through Friday")
        assert "(America/New_York)" in field("aios-schedule-words").inner_text()
        wait_for_text(page, "aios-promote-plan", "Nothing changed against version 1 of job weekly_sales")
        assert accept_button(page).inner_text() == "Promote (nothing changed)"

        field("aios-promote-retries").fill("3")
        wait_for_text(page, "aios-promote-plan", "Promote creates version 2 of job weekly_sales.")
        plan = field("aios-promote-plan").inner_text()
        assert "Changes against version 1:" in plan and "retries: 2 → 3" in plan
        assert "schedule" not in plan   # nothing else changes: the schedule is kept
        assert accept_button(page).inner_text() == "Promote as version 2"
        screenshot(page, "promote-dialog-again.png")

        accept_button(page).click()
        headline = field("aios-promote-headline")
        headline.wait_for(timeout=300_000)
        assert headline.get_attribute("data-status") == "active", form.inner_text()
        assert "as job weekly_sales, version 2" in headline.inner_text()
        assert "retries: 2 → 3" in field("aios-promote-changes").inner_text()

    status, job = api(lab, "GET", "jobs/job?name=weekly_sales")
    assert status == 200, job
    spec = job["spec"]
    assert job["version"] == 2
    assert spec["schedule"] == {"kind": "cron", "cron": "30 7 * * 1-5", "timezone": "America/New_York", "at": None}
    assert spec["retries"]["max"] == 3 and spec["parameters"] == {"months": 2}
    assert spec["notifications"] == {"on": ["failure"], "webhooks": [], "emails": ["ops@example.com"]}


def test_gates_behind_a_failed_one_say_not_run_and_the_cause_is_named_once(chromium, lab):
    with lab_page(chromium, lab) as page:
        form = open_promote(page, "untagged_report.ipynb")
        accept_button(page).click()
        headline = form.get_by_test_id("aios-promote-headline")
        headline.wait_for(timeout=300_000)

        assert headline.get_attribute("data-status") == "refused"
        assert headline.inner_text().endswith(
            "Promotion refused: 1 failed, 3 not run, 1 passed, 1 not required. Nothing was stored.")
        cause = form.get_by_test_id("aios-promote-cause").inner_text()
        assert cause.startswith("Cause: gate 1 (a cell tagged `parameters` exists) failed:")
        gates = form.locator('[data-testid="aios-promote-gate"]')
        verdicts = dict(gates.evaluate_all("rows => rows.map(r => [r.dataset.name, r.dataset.verdict])"))
        assert verdicts == {"parameters_cell": "failed", "parameters": "not_run", "validation_run": "not_run",
                            "required_checks": "passed", "grants": "not_run", "approval": "not_required"}
        run = form.locator('[data-testid="aios-promote-gate"][data-name="validation_run"]')
        assert "— not run" in run.inner_text() and "not run because gate 1 failed" in run.inner_text()
        assert "failed" not in run.locator(".aios-gate-title").inner_text()
        # only the cause is red
        assert form.locator('[data-testid="aios-promote-gate"][data-state="fail"]').count() == 1
        approval = form.locator('[data-testid="aios-promote-gate"][data-name="approval"]')
        assert "not required" in approval.inner_text() and "passed" not in approval.inner_text()
        screenshot(page, "promote-dialog-not-run.png")
