"""The AI OS sidebar's Jobs and Alerts sections and the jobs' main-area pages in JupyterLab, in headless
Chromium, as alice.

On a private copy of the demo workspace, with a real `aios scheduler` process: alice opens a promoted job's
page from the sidebar's list, runs it now, follows its progress (cell n of m) to completion and opens its
output notebook under a header that leads back to the job; pauses and resumes it; cancels a queued run. The
job page says the schedule in words, the typed parameters, retries, notifications (a webhook by its host
only) and the versions with what each changed; Edit opens the Promote dialog on the job's definition;
Rollback changes the current version; the runs of every job filter by status words; Delete, once
confirmed, removes the job from the list. A job that fails in production raises an alert: a count badge
appears on the Alerts tab and on the AI OS icon, and alice acknowledges it. A promotion waiting for
a second user's approval cannot be approved by its promoter: the refusal's reason is shown.

The jobs are promoted through the REST API the Promote dialog uses (tests/test_browser_promote.py
drives the dialog itself); everything after that goes through the sidebar.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import (
    AIOS,
    artifact,
    copy_demo_workspace,
    free_port,
    lab_settings_dir,
    stop,
    wait_for_http,
    widen_sidebar,
)

pytestmark = pytest.mark.browser

# Fast polling so the test sees progress and the badge without waiting the default 30 s.
LAB_SETTINGS = {"alertPollSeconds": 2, "jobPollSeconds": 1}


# -- helpers shared with test_browser_promote.py --------------------------------------------------------------
def write_notebook(path: Path, cells: list) -> None:
    """A Python notebook; a cell given as (source, tags) carries those tags."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                     "language": "python"}, "language_info": {"name": "python"}})
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, ())
        notebook.cells.append(new_code_cell(source, metadata={"tags": list(tags)} if tags else {}))
    nbformat.write(notebook, str(path))


# A report that reads governed data and takes a few seconds, so its progress can be watched.
DAILY_SUMMARY = [
    ('months = 3\nlabel = "daily"\nthreshold: float = 0.5\nverbose = False\ncarriers = ["DHL"]', ["parameters"]),
    "import time\nimport aios_workbench as wb",
    'rows = wb.sql("SELECT count(*) AS n FROM shipments")\nprint("shipments:", rows["n"][0])',
    "time.sleep(2)\nprint('label:', label, 'months:', months, 'carriers:', carriers)",
    "time.sleep(2)\nprint('summary done')",
]
# Passes its validation run but fails in production: the upstream extract it needs is only missing
# there (a job run carries AIOS_JOB_RUN_ID; the validation run does not).
UPSTREAM_EXTRACT = [
    ('day = "today"', ["parameters"]),
    "import os",
    'if os.environ.get("AIOS_JOB_RUN_ID"):\n    raise FileNotFoundError(f"the upstream extract for {day} is missing")\n'
    'print("extract found")',
]


# A quick report with typed parameters, promoted twice (two versions) for the job page's test.
WEEKLY_DIGEST = [
    ('months = 3\nlabel = "weekly"\nverbose = False', ["parameters"]),
    "print('digest', label, months, verbose)",
]


def workspace_with_notebooks(demo_workspace, target: Path, notebooks: dict[str, list]) -> Path:
    """A private copy of the demo workspace with extra notebooks under notebooks/."""
    ws = copy_demo_workspace(demo_workspace, target)
    for name, cells in notebooks.items():
        write_notebook(ws.root / "notebooks" / f"{name}.ipynb", cells)
    return ws.root


@contextlib.contextmanager
def lab_on(root: Path, tmp: Path, *, log_name: str, user: str, settings: dict | None = None):
    """`aios lab` on workspace `root` as `user`, with its own layouts and user settings (the AI OS
    plugin's `settings`); yields (base URL, token)."""
    port, token = free_port(), f"lab-token-{log_name}"
    settings_dir = lab_settings_dir(tmp / "lab-settings")
    if settings:
        (settings_dir / "aios-workbench").mkdir(parents=True, exist_ok=True)
        (settings_dir / "aios-workbench" / "plugin.jupyterlab-settings").write_text(json.dumps(settings))
    args = [AIOS, "--workspace", str(root), "lab", "--port", str(port), "--no-browser", "--user", user,
            "--", f"--LabApp.workspaces_dir={tmp / 'layouts'}"]
    env = {**os.environ, "AIOS_LAB_TOKEN": token, "JUPYTERLAB_SETTINGS_DIR": str(settings_dir)}
    log = artifact(log_name).open("w")
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", process=process, timeout=120)
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop(process)
        log.close()


def api(lab, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """Call the workbench REST API of `lab` as its user: (status, JSON body)."""
    url, token = lab
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/aios/api/{path}", data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:   # closed here: an open error answer warns in a later test
            return error.code, json.loads(error.read() or b"null")


def promote(lab, notebook: str, **fields) -> dict:
    status, report = api(lab, "POST", "jobs/promote", {"notebook": notebook, **fields})
    assert status == 200, report
    return report


@contextlib.contextmanager
def lab_page(chromium, lab):
    """JupyterLab loaded in Chromium; fails the test on any page error."""
    url, token = lab
    page = chromium.new_page(viewport={"width": 1500, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/lab?reset&token={token}", timeout=120_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=120_000)
    yield page
    page.close()
    assert not errors, errors


def open_section(page, tab: str) -> None:
    """Show the AI OS sidebar on section `tab`, widened as a user would."""
    page.locator(".jp-SideBar [title='AI OS']").first.click()
    page.get_by_test_id(f"aios-tab-{tab}").click()
    widen_sidebar(page, 560)


def open_notebook(page, name: str) -> None:
    """Open notebooks/`name` through the file browser (shown first if another panel is)."""
    tab = page.locator(".jp-SideBar .lm-TabBar-tab[data-id='filebrowser']")
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    page.locator("#filebrowser").wait_for(state="visible", timeout=30_000)
    page.locator(".jp-DirListing-item[title^='Name: notebooks']").dblclick()
    page.locator(f".jp-DirListing-item[title^='Name: {name}']").dblclick()
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)


def screenshot(page, name: str) -> None:
    """Into test-artifacts/ (the README's images in docs/images/ are copied from there by hand)."""
    page.screenshot(path=str(artifact(name)))


# -- fixtures -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jobs_root(demo_workspace, tmp_path_factory):
    return workspace_with_notebooks(demo_workspace, tmp_path_factory.mktemp("jobs") / "ws",
                                    {"daily_summary": DAILY_SUMMARY, "upstream_extract": UPSTREAM_EXTRACT,
                                     "weekly_digest": WEEKLY_DIGEST})


@pytest.fixture(scope="module")
def lab(jobs_root, tmp_path_factory):
    with lab_on(jobs_root, tmp_path_factory.mktemp("lab"), log_name="jupyterlab-jobs.log", user="alice",
                settings=LAB_SETTINGS) as lab:
        yield lab


@pytest.fixture(scope="module")
def scheduler(jobs_root, lab):
    """A real `aios scheduler` on the workspace, independent of the Jupyter server."""
    log = artifact("scheduler-jobs.log").open("w")
    process = subprocess.Popen([AIOS, "--workspace", str(jobs_root), "scheduler", "--json", "--grace", "5"],
                               stdout=log, stderr=subprocess.STDOUT)
    yield process
    stop(process)
    log.close()


@pytest.fixture(scope="module")
def daily_summary(lab):
    """notebooks/daily_summary.ipynb promoted by alice, daily at 06:00 UTC."""
    return promote(lab, "notebooks/daily_summary.ipynb", cron="0 6 * * *", timezone="UTC")


@pytest.fixture
def jobs_page(chromium, lab):
    with lab_page(chromium, lab) as page:
        open_section(page, "jobs")
        yield page


def job_row(page, name: str):
    return page.get_by_test_id("aios-jobs-tab").locator(f'[data-testid="aios-job"][data-name="{name}"]')


def run_rows(page):
    return page.get_by_test_id("aios-job-view").locator('[data-testid="aios-job-run"]')


def wait_for_run_status(page, run_id: str, statuses: set[str], timeout: float = 240_000) -> str:
    page.wait_for_function(
        """([id, wanted]) => {
            const row = document.querySelector(`[data-testid="aios-job-run"][data-id="${id}"]`);
            return row && wanted.includes(row.dataset.status);
        }""", arg=[run_id, sorted(statuses)], timeout=timeout)
    return page.locator(f'[data-testid="aios-job-run"][data-id="{run_id}"]').get_attribute("data-status")


# -- tests ----------------------------------------------------------------------------------------------------
def test_run_now_shows_progress_completes_and_opens_the_output(jobs_page, daily_summary, scheduler):
    page = jobs_page
    row = job_row(page, "daily_summary")
    row.wait_for(timeout=60_000)
    assert "At 06:00 AM (UTC)" in row.inner_text()
    assert row.get_attribute("data-state") == "never run"
    assert "next" in row.inner_text()

    row.locator("button").click()
    view = page.get_by_test_id("aios-job-view")
    view.get_by_test_id("aios-job-schedule").wait_for(timeout=30_000)
    assert "notebooks/daily_summary.ipynb" in view.inner_text()
    before = {r for r in run_rows(page).evaluate_all("rows => rows.map(r => r.dataset.id)")}
    view.get_by_test_id("aios-job-run-now").click()
    page.wait_for_function("n => document.querySelectorAll('[data-testid=\"aios-job-run\"]').length > n",
                           arg=len(before), timeout=30_000)
    run_id = run_rows(page).first.get_attribute("data-id")
    assert run_id not in before

    # A second run of the same job waits (one at a time) and can be cancelled while queued.
    view.get_by_test_id("aios-job-run-now").click()
    page.wait_for_function("n => document.querySelectorAll('[data-testid=\"aios-job-run\"]').length > n",
                           arg=len(before) + 1, timeout=30_000)
    second = run_rows(page).first
    second_id = second.get_attribute("data-id")
    assert second_id != run_id and second.get_attribute("data-status") == "queued"
    second.get_by_test_id("aios-run-cancel").click()
    assert wait_for_run_status(page, second_id, {"cancelled"}, timeout=60_000) == "cancelled"

    # Live progress while it runs: the section polls (every second with this lab's settings).
    page.wait_for_function(
        """id => {
            const row = document.querySelector(`[data-testid="aios-job-run"][data-id="${id}"]`);
            const progress = row && row.querySelector('[data-testid="aios-run-progress"]');
            return row && row.dataset.status === 'running' && progress && /cell \\d+ of 5/.test(progress.innerText);
        }""", arg=run_id, timeout=180_000)
    screenshot(page, "sidebar-jobs.png")
    assert wait_for_run_status(page, run_id, {"succeeded", "failed", "timed_out", "cancelled"}) == "succeeded"
    finished = page.locator(f'[data-testid="aios-job-run"][data-id="{run_id}"]')
    assert re.search(r"\d+(\.\d)? s|\d+ min", finished.locator(".aios-job-run-duration").inner_text())
    assert finished.get_by_test_id("aios-run-progress").count() == 0

    finished.get_by_test_id("aios-run-open-output").click()
    frame = page.frame_locator('[data-testid="aios-output-frame"]')
    frame.locator("body").get_by_text("label: daily months: 3").first.wait_for(timeout=60_000)
    assert "summary done" in frame.locator("body").inner_text()
    assert page.locator(".lm-TabBar-tab", has_text=f"daily_summary · run {run_id}").count() == 1
    header = page.get_by_test_id("aios-output-header")
    assert header.locator("h3").inner_text() == f"daily_summary · run {run_id}"
    assert header.locator('dd[data-field="status"]').inner_text().lower() == "succeeded"   # a badge: CSS capitals
    assert re.fullmatch(r"\d+ ms|\d+(\.\d)? s|\d+ min( \d+ s)?", header.locator('dd[data-field="duration"]').inner_text())
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d \S+",
                        header.locator('dd[data-field="started"]').inner_text())
    assert header.locator('dd[data-field="parameters"]').inner_text() == "none set: the notebook’s defaults"
    header.get_by_test_id("aios-output-back").click()       # the way back: the job's page again
    finished.wait_for(state="visible", timeout=30_000)

    finished.get_by_text("Log").click()
    log = finished.locator(".aios-log")
    log.wait_for(timeout=30_000)
    assert log.inner_text().strip()


def test_pause_and_resume(jobs_page, daily_summary):
    page = jobs_page
    job_row(page, "daily_summary").locator("button").click()
    view = page.get_by_test_id("aios-job-view")
    view.get_by_test_id("aios-job-pause").click()
    view.get_by_test_id("aios-job-resume").wait_for(timeout=30_000)
    assert view.locator('dd[data-field="next-run"]').inner_text() == "paused"

    view.get_by_test_id("aios-job-resume").click()
    view.get_by_test_id("aios-job-pause").wait_for(timeout=30_000)
    next_run = view.locator('dd[data-field="next-run"] time').first
    assert next_run.get_attribute("datetime").endswith("06:00:00+00:00")

    view.get_by_test_id("aios-job-back").click()
    assert job_row(page, "daily_summary").get_attribute("data-state") != "paused"


def test_a_failing_job_raises_an_alert_with_a_badge_that_alice_acknowledges(chromium, lab, scheduler):
    promote(lab, "notebooks/upstream_extract.ipynb")  # validation passes; production runs fail
    with lab_page(chromium, lab) as page:
        open_section(page, "jobs")
        job_row(page, "upstream_extract").locator("button").click()
        view = page.get_by_test_id("aios-job-view")
        view.get_by_test_id("aios-job-run-now").click()
        run_rows(page).first.wait_for(timeout=30_000)
        run_id = run_rows(page).first.get_attribute("data-id")
        assert wait_for_run_status(page, run_id, {"succeeded", "failed", "timed_out"}) == "failed"
        failed = page.locator(f'[data-testid="aios-job-run"][data-id="{run_id}"]')
        assert "the upstream extract for today is missing" in failed.get_by_test_id("aios-run-error").inner_text()

        # The badge: on the Alerts tab and on the AI OS icon of the left bar.
        badge = page.get_by_test_id("aios-tab-alerts-badge")
        badge.wait_for(state="visible", timeout=30_000)
        assert badge.inner_text() == "1"
        icon = page.locator(".jp-SideBar .lm-TabBar-tab[data-id='aios-workbench-sidebar']")
        assert icon.get_attribute("data-aios-alerts") == "1"
        assert page.get_by_test_id("aios-tab-alerts").get_attribute("aria-label") == "Alerts, 1 open alerts"

        page.get_by_test_id("aios-tab-alerts").click()
        alert = page.get_by_test_id("aios-alerts-tab").locator('[data-testid="aios-alert"][data-kind="run_failed"]')
        alert.wait_for(timeout=30_000)
        assert f"job upstream_extract failed (run {run_id}, attempt 1)" in alert.inner_text()
        assert "the upstream extract for today is missing" in alert.inner_text()
        screenshot(page, "sidebar-alerts.png")

        alert.get_by_test_id("aios-alert-ack").click()
        alert.wait_for(state="detached", timeout=30_000)  # gone from the open alerts
        badge.wait_for(state="hidden", timeout=30_000)
        assert icon.get_attribute("data-aios-alerts") is None
        page.get_by_test_id("aios-alerts-state").select_option("acknowledged")
        seen = page.get_by_test_id("aios-alerts-tab").locator('[data-testid="aios-alert"][data-state="acknowledged"]')
        seen.first.wait_for(timeout=30_000)
        assert "Acknowledged by alice" in seen.first.inner_text()

        alert_open_job = seen.first.get_by_test_id("aios-alert-open-job")
        alert_open_job.click()
        page.get_by_test_id("aios-job-view").get_by_text("upstream_extract").first.wait_for(timeout=30_000)


def test_the_promoter_cannot_approve_her_own_promotion(chromium, lab):
    report = promote(lab, "notebooks/daily_summary.ipynb", name="daily_summary_reviewed", approver="bob")
    assert report["status"] == "pending_approval"
    with lab_page(chromium, lab) as page:
        open_section(page, "alerts")
        alert = page.get_by_test_id("aios-alerts-tab").locator(
            '[data-testid="aios-alert"][data-key="approval:daily_summary_reviewed:v1"]')
        alert.wait_for(timeout=30_000)
        assert "waits for approval by bob" in alert.inner_text()
        alert.get_by_test_id("aios-alert-approve").click()
        refusal = alert.get_by_role("alert")
        refusal.wait_for(timeout=30_000)
        assert "Approval was refused" in refusal.inner_text()
        assert "alice" in refusal.inner_text()
    status, job = api(lab, "GET", "jobs/job?name=daily_summary_reviewed")
    assert status == 404, job  # still waiting: no job runs it


def test_service_errors_are_shown_as_readable_messages(jobs_page):
    page = jobs_page
    page.route(lambda url: urlparse(url).path.endswith("/aios/api/jobs"), lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "unavailable", "message": "the metadata store is unreachable",
                         "fix": "start the metadata database"})))
    page.get_by_test_id("aios-jobs-refresh").click()
    alert = page.get_by_test_id("aios-jobs-tab").get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert "the metadata store is unreachable" in alert.inner_text()
    assert "start the metadata database" in alert.inner_text()


def test_the_named_approver_approves_from_his_own_sidebar(chromium, lab, jobs_root, tmp_path):
    promote(lab, "notebooks/daily_summary.ipynb", name="daily_summary_approved", approver="bob")
    with lab_on(jobs_root, tmp_path, log_name="jupyterlab-jobs-bob.log", user="bob", settings=LAB_SETTINGS) as bobs:
        with lab_page(chromium, bobs) as page:
            open_section(page, "alerts")
            alert = page.get_by_test_id("aios-alerts-tab").locator(
                '[data-testid="aios-alert"][data-key="approval:daily_summary_approved:v1"]')
            alert.wait_for(timeout=30_000)
            alert.get_by_test_id("aios-alert-approve").click()
            alert.wait_for(state="detached", timeout=30_000)    # approved: no longer waiting
    status, job = api(lab, "GET", "jobs/job?name=daily_summary_approved")
    assert status == 200 and job["version"] == 1 and job["version_status"] == "active", job


# -- the job page, the runs of every job, delete -------------------------------------------------------------
@pytest.fixture(scope="module")
def weekly_digest(lab):
    """notebooks/weekly_digest.ipynb promoted twice by alice: version 2 (current) changes retries, a
    parameter and notifications (a webhook whose path holds a token)."""
    promote(lab, "notebooks/weekly_digest.ipynb", cron="0 6 * * 1", timezone="UTC")
    report = promote(lab, "notebooks/weekly_digest.ipynb", cron="0 6 * * 1", timezone="UTC", retries=2,
                     parameters={"months": 6}, notifications={"on": ["failure", "recovery"],
                                                              "emails": ["ops@example.com"],
                                                              "webhooks": ["https://hooks.example.com/T0/s3cret"]})
    assert report["version"] == 2, report
    return report


def job_page(page, name: str):
    """Job `name`'s page in the main area, opened from the sidebar's list."""
    job_row(page, name).locator("button").click()
    view = page.locator(f'[data-testid="aios-job-view"][data-name="{name}"]')
    view.get_by_test_id("aios-job-schedule").wait_for(timeout=30_000)
    view.get_by_test_id("aios-job-versions").wait_for(timeout=30_000)
    return view


def test_the_job_page_says_schedule_parameters_settings_and_versions_and_edit_starts_from_them(
        jobs_page, weekly_digest):
    page = jobs_page
    view = job_page(page, "weekly_digest")
    assert page.locator("#jp-main-dock-panel [data-testid='aios-job-view'][data-name='weekly_digest']").count() == 1
    field = lambda name: view.locator(f'dd[data-field="{name}"]').inner_text()   # noqa: E731
    setting = lambda name: view.locator(f'dd[data-setting="{name}"]').inner_text()   # noqa: E731

    assert field("schedule") == "At 06:00 AM, only on Monday (UTC)"
    assert re.fullmatch(r"Mon \d{1,2} \w{3} \d{4}, 06:00 UTC \((in|tomorrow).*\)", field("next-run")), field("next-run")
    assert field("version") == "2"
    parameters = {row.get_attribute("data-parameter"): [c.inner_text() for c in row.locator("td").all()]
                  for row in view.locator('[data-testid="aios-job-parameters"] tbody tr').all()}
    assert parameters["months"][:2] == ["int", "6"]
    assert parameters["label"][:2] == ["str", "“weekly” (notebook default)"]
    assert parameters["verbose"][:2] == ["bool", "no (notebook default)"]
    assert setting("Retries: Retries") == "up to 2 more attempts"
    assert setting("Retries: Wait between attempts") == "30 s, ×2 each time, at most 1 h"
    assert setting("Time limits: Whole notebook") == "1 h"
    assert setting("Notifications: On failure") == "the alert feed, ops@example.com and a webhook to hooks.example.com"
    assert setting("Notifications: On success") == "nobody"
    text = view.inner_text()
    assert "s3cret" not in text and "false" not in text.lower().split() and "true" not in text.lower().split()

    versions = view.locator('[data-testid="aios-job-version"]')
    assert [v.get_attribute("data-version") for v in versions.all()] == ["2", "1"]     # newest first
    assert versions.first.get_attribute("data-current") == "true" and "current" in versions.first.inner_text()
    changed = versions.first.locator("li").all_inner_texts()
    assert "retries: 0 → 2" in changed and "parameter months: the notebook's default → 6" in changed
    assert "The first version." in versions.nth(1).inner_text()
    screenshot(page, "job-page.png")

    # Edit: the job's notebook opens with the Promote dialog started from its current definition
    view.get_by_test_id("aios-job-edit").click()
    dialog = page.get_by_test_id("aios-promote-dialog")
    dialog.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('[data-testid=\"aios-promote-name\"]')?.value "
                           "=== 'weekly_digest' && /version 2/.test(document.body.innerText)", timeout=60_000)
    assert "This notebook runs as job weekly_digest, version 2" in dialog.inner_text()
    page.locator(".jp-Dialog-button", has_text="Close").click()
    dialog.wait_for(state="detached", timeout=10_000)


def test_rollback_changes_the_current_version(jobs_page, weekly_digest, lab):
    page = jobs_page
    view = job_page(page, "weekly_digest")
    first = view.locator('[data-testid="aios-job-version"][data-version="1"]')
    assert view.locator('[data-testid="aios-job-version"][data-version="2"] [data-testid="aios-job-rollback"]'
                        ).count() == 0                                   # the current version has none
    first.get_by_role("button", name="Roll back to version 1").click()
    page.wait_for_function("() => document.querySelector('[data-testid=\"aios-job-version\"][data-version=\"1\"]')"
                           "?.dataset.current === 'true'", timeout=30_000)
    assert view.locator('dd[data-field="version"]').inner_text() == "1"
    assert view.locator('dd[data-setting="Retries: Retries"]').inner_text() == "none: a failed run stays failed"
    status, job = api(lab, "GET", "jobs/job?name=weekly_digest")
    assert status == 200 and job["version"] == 1


def test_the_runs_of_every_job_filter_by_status_and_open_an_output_with_its_header(jobs_page, weekly_digest,
                                                                                    scheduler):
    page = jobs_page
    view = job_page(page, "weekly_digest")
    view.get_by_test_id("aios-job-run-now").click()
    run = view.locator('[data-testid="aios-job-run"]').first
    run.wait_for(timeout=30_000)
    run_id = run.get_attribute("data-id")
    assert wait_for_run_status(page, run_id, {"succeeded", "failed", "timed_out"}) == "succeeded"
    # the sidebar's list follows what happened on the job page, without a click
    page.wait_for_function("() => document.querySelector('[data-testid=\"aios-job\"][data-name=\"weekly_digest\"]')"
                           "?.dataset.state === 'succeeded'", timeout=15_000)

    page.get_by_test_id("aios-jobs-all-runs").click()
    runs = page.get_by_test_id("aios-job-runs-page")
    runs.get_by_test_id("aios-runs-row").first.wait_for(timeout=30_000)
    statuses = [o.inner_text() for o in runs.get_by_test_id("aios-runs-filter-status").locator("option").all()]
    assert statuses == ["any status", "queued", "running", "succeeded", "checks failed", "failed", "timed out",
                        "cancelled"]
    runs.get_by_test_id("aios-runs-filter-job").select_option("weekly_digest")
    runs.get_by_test_id("aios-runs-filter-status").select_option("succeeded")
    row = runs.locator(f'[data-testid="aios-runs-row"][data-id="{run_id}"]')
    row.wait_for(timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"aios-runs-row\"]')]"
                           ".every(r => r.dataset.job === 'weekly_digest' && r.dataset.verdict === 'succeeded')",
                           timeout=30_000)
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == f"#{run_id}" and cells[1] == "weekly_digest v1" and cells[2].lower() == "succeeded"
    # a duration in words: "987 ms" for a run under a second, else "2.4 s"
    assert re.fullmatch(r"\d+ ms|\d+(\.\d)? s", cells[4]) and cells[5] == "run now"
    screenshot(page, "job-runs.png")
    runs.get_by_test_id("aios-runs-filter-status").select_option("failed")
    runs.get_by_text("No run matches these filters.").wait_for(timeout=30_000)
    runs.get_by_test_id("aios-runs-filter-status").select_option("")
    row.wait_for(timeout=30_000)

    row.get_by_test_id("aios-run-open-output").click()
    header = page.get_by_test_id("aios-output-header")
    header.wait_for(timeout=60_000)
    assert header.locator("h3").inner_text() == f"weekly_digest · run {run_id}"
    assert header.locator('dd[data-field="version"]').inner_text() == "1"
    assert header.locator('dd[data-field="trigger"]').inner_text() == "run now"
    page.frame_locator('[data-testid="aios-output-frame"]').locator("body").get_by_text("digest weekly 3 False") \
        .first.wait_for(timeout=60_000)
    screenshot(page, "job-output.png")
    header.get_by_test_id("aios-output-back").click()
    page.locator('[data-testid="aios-job-view"][data-name="weekly_digest"]').wait_for(state="visible",
                                                                                     timeout=30_000)


def test_delete_asks_naming_the_job_then_removes_it_from_the_list(jobs_page, weekly_digest, daily_summary, lab):
    page = jobs_page
    view = job_page(page, "weekly_digest")
    view.get_by_test_id("aios-job-delete").click()
    box = view.get_by_test_id("aios-job-delete-box")
    assert "Delete job weekly_digest?" in box.inner_text()
    assert "every run of it with its output notebooks and logs" in box.inner_text()
    box.get_by_role("button", name="Keep it").click()
    box.wait_for(state="detached", timeout=10_000)
    assert job_row(page, "weekly_digest").count() == 1

    view.get_by_test_id("aios-job-delete").click()
    view.get_by_test_id("aios-job-delete-confirm").click()
    job_row(page, "weekly_digest").wait_for(state="detached", timeout=30_000)
    view.wait_for(state="detached", timeout=30_000)                     # its page closed
    assert job_row(page, "daily_summary").count() == 1
    status, _ = api(lab, "GET", "jobs/job?name=weekly_digest")
    assert status == 404
