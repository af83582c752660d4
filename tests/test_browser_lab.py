"""JupyterLab on the demo workspace, in headless Chromium: the AI OS panel shows the live status."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, aios_lab, artifact

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab_url(demo_workspace):
    with aios_lab(log_name="jupyterlab.log", user="alice") as lab:
        yield lab


def test_sidebar_panel_shows_the_live_service_status(chromium, lab_url):
    url, token = lab_url
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{url}/lab?token={token}", timeout=120_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=120_000)
    page.locator(".jp-SideBar [title='AI OS']").first.click()
    badge = page.locator(".aios-status-badge")
    badge.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.aios-status-badge')?.dataset.health === 'ok'", timeout=60_000)

    assert page.get_by_test_id("aios-workspace-name").inner_text() == "procurement-demo"
    assert "SQLite, reachable" in page.get_by_test_id("aios-store").inner_text()
    assert re.fullmatch(r"AI OS workbench \S+", page.get_by_test_id("aios-version").inner_text())
    assert page.get_by_test_id("aios-mode").inner_text() == "Inside this Jupyter server"
    assert re.search(r"Python \d+\.\d+.* · DuckDB \d", page.get_by_test_id("aios-components").inner_text())
    sources = {row.get_attribute("data-name"): row.get_attribute("data-ok")
               for row in page.get_by_test_id("aios-connector").all()}
    assert sources == {"purchasing_warehouse": "true", "shipment_files": "true", "supplier_master": "true",
                       "external_signals": "true", "outputs": "true"}
    assert "Data sources (5 of 5 reachable)" in page.locator(".aios-status-panel").inner_text()
    assert "reachable" in page.get_by_test_id("aios-connector").first.inner_text()
    # no migration ids or internal names: the store's revision is for administrators
    revision = page.evaluate("""async () => {
        const base = document.body.dataset.baseUrl || '/';
        const token = new URLSearchParams(location.search).get('token');
        const answer = await fetch(`${base}aios/api/status` + (token ? `?token=${token}` : ''));
        return (await answer.json()).store.revision;
    }""")
    if revision:
        assert revision not in page.locator(".aios-status-panel").inner_text()
    page.screenshot(path=str(artifact("lab-sidebar.png")))
    assert not errors, errors


def test_welcome_notebook_reaches_the_service_from_a_real_kernel(lab_url):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "notebooks" / "00_welcome.ipynb", as_version=4)

    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()

    html = notebook.cells[1].outputs[0]["data"]["text/html"]
    assert "healthy" in html and "procurement-demo" in html
    assert "supplier_master" in html
