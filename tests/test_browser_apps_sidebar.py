"""Decision apps in the JupyterLab sidebar, in headless Chromium: the Apps section lists the apps published to the
user; one opens in the main area as a form from the notebook's typed parameters (a choice from a governed query,
a number with its range); Run executes it as the user, and the page shows that user's rows only.

alice (data scientist: every region) and bob (analyst: Northern Europe only, e-mails masked) run the same app."""

from __future__ import annotations

import pytest

from aios_workbench.service.core import WorkbenchService
from tests.conftest import copy_demo_workspace
from tests.test_apps import BOARD, make_app_job
from tests.test_browser_jobs import LAB_SETTINGS, lab_on, lab_page, open_section, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ws(demo_workspace, tmp_path_factory):
    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("browser-apps") / "demo")
    service = WorkbenchService(ws, mode="local")
    try:
        make_app_job(ws, service.store, "supplier_board", BOARD)
        service.apps.publish("alice", "supplier_board", surface="api")
    finally:
        service.close()
    return ws


def run_board(page, top: str) -> tuple[str, str, str]:
    """Open the supplier board from the Apps section, run it with `top`: (the section's text, the status line,
    the page's text)."""
    open_section(page, "apps")
    panel = page.get_by_test_id("aios-apps-tab")
    panel.get_by_text("Supplier board").wait_for(timeout=30_000)
    listed = panel.inner_text()
    panel.get_by_test_id("aios-app-open-supplier_board").click(timeout=30_000)
    view = page.get_by_test_id("aios-app-view")
    view.get_by_text("Supplier board").first.wait_for(timeout=30_000)
    field = view.locator('[data-field="top"]')
    assert field.get_attribute("min") == "1" and field.get_attribute("max") == "20"   # its range, from the notebook
    field.fill(top)
    view.get_by_test_id("aios-app-run").click()
    status = view.get_by_test_id("aios-app-status")
    page.wait_for_function("el => el.textContent.startsWith('Ran') || el.textContent.includes('stopped')",
                           arg=status.element_handle(), timeout=120_000)
    frame = page.frame_locator('[data-testid="aios-app-page"]')
    return listed, status.inner_text(), frame.locator("body").inner_text(timeout=30_000)


def test_an_app_opens_from_the_sidebar_and_runs_as_its_viewer(chromium, ws, tmp_path):
    with lab_on(ws.root, tmp_path, log_name="jupyterlab-apps-bob.log", user="bob", settings=LAB_SETTINGS) as lab, \
            lab_page(chromium, lab) as page:
        listed, status, text = run_board(page, "3")
        choices = page.get_by_test_id("aios-app-view").locator('[data-field="region"] option').all_inner_texts()
        screenshot(page, "sidebar-app.png")
    assert "published by alice" in listed
    assert status.startswith("Ran in") and "as you" in status
    assert "rows: 3" in text
    assert choices == ["Northern Europe"]        # the choices query ran as bob: his region only
    assert "@" not in text                       # contacts masked for him


def test_the_same_app_shows_another_viewer_their_own_view(chromium, ws, tmp_path):
    with lab_on(ws.root, tmp_path, log_name="jupyterlab-apps-alice.log", user="alice", settings=LAB_SETTINGS) as lab, \
            lab_page(chromium, lab) as page:
        _, status, text = run_board(page, "2")
        choices = page.get_by_test_id("aios-app-view").locator('[data-field="region"] option').all_inner_texts()
    assert status.startswith("Ran") and "rows: 2" in text
    assert len(choices) > 1                      # every region for a data scientist
