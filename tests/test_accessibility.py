"""WCAG 2.1 AA of our own screens, in light and dark themes, checked by axe-core in headless Chromium.

axe-core comes bundled in the `axe-playwright-python` wheel (its axe.min.js is injected into the page), so
nothing is downloaded at run time. One seeded copy of the demo workspace (check results, MLflow runs and a
registered model, a job with a failed run, alerts, a published app, a proposed e-mail) serves both surfaces:

- JupyterLab (`aios lab`, as alice) in "JupyterLab Light" and "JupyterLab Dark" (switched through the
  Settings > Theme menu, as a user does): every AI OS sidebar section, the views they open (a dataset, a drift
  check, a job, a job run's output and an app in the main area), and the kernel widgets a notebook shows
  (`wb.runs()`, `wb.quality()`, `wb.catalog()`).
- The dashboard (`aios dashboard`) in Panel's default and dark themes (`?theme=dark`, what its theme switch
  loads): every page, as alice, and the Actions page as olivia, who may decide on the proposed e-mail.

A serious or critical violation fails the test, and on the dashboard also a page without its main landmark
or its <h1> (`PAGE_STRUCTURE`, moderate in axe); other moderate and minor ones are written, with the rest, to
test-artifacts/a11y-*.json. Out of scope, because they are not ours to fix: JupyterLab's own chrome (menu bar,
file browser, launcher, status bar: the scan covers the AI OS panel, our main-area widgets and our notebook
outputs), ipywidgets' own markup around our widgets' HTML, and the documents inside iframes (a job's output
notebook, an app's rendered page: users' content; the iframe element itself is checked).
"""

from __future__ import annotations

import contextlib
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.approvals import CONTACT, a_contact, approvals_workspace
from tests.axe_scan import Findings, axe, contrast
from tests.conftest import artifact, free_port, need
from tests.test_apps import BOARD, make_app_job
from tests.test_browser_jobs import lab_on, lab_page, open_notebook, write_notebook
from tests.test_dashboard import (
    add_login,
    seed_alerts,
    seed_checks,
    seed_jobs,
    seed_runs_and_models,
    try_login,
)

# importing mlflow.pyfunc (model registry) warns about MLflow's own pydantic models
pytestmark = pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")
browser = pytest.mark.browser

THEMES = ["light", "dark"]
LAB_THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
DASHBOARD_THEMES = {"light": "default", "dark": "dark"}
# Ours in JupyterLab: the AI OS panel and the main-area widgets it opens (ids start with "aios-").
LAB_SCOPE = [
    "#aios-workbench-sidebar",
    "#jp-main-dock-panel .lm-Widget[id^='aios-']",
    "[data-testid='aios-dataset-view']",
    "[data-testid='aios-job-view']",
    "[data-testid='aios-app-view']",
]
SUPPLIERS = "supplier_master.main.suppliers"
PASSWORDS = {"alice": "alice-a11y-pw-1", "olivia": "olivia-a11y-pw-1"}
DASHBOARD_PAGES = {
    "overview": "",
    "data": "",
    "quality": "",
    "jobs": "",
    "experiments": "",
    "audit": "",
    "alerts": "",
    "apps": "&app=supplier_board",
    "actions": "",
}
WIDGETS_NOTEBOOK = "a11y_widgets.ipynb"
# Moderate rules that fail the dashboard's scan all the same: every page has one main landmark (Panel's main
# area) and one <h1> naming the page, so a screen reader can jump to the content and knows where it is, and
# every text is in a landmark (the sidebar is the pages' navigation).
PAGE_STRUCTURE = ("landmark-one-main", "landmark-no-duplicate-main", "page-has-heading-one", "region")


# -- the workspace ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded(demo_workspace, tmp_path_factory):
    """A copy of the demo workspace with something on every screen."""
    # checked before the seeding, which takes a minute (the `chromium` fixture checks again)
    need(Path("/usr/bin/chromium").exists(), "Debian's chromium is not installed at /usr/bin/chromium")
    from aios_workbench.service.core import WorkbenchService

    ws = approvals_workspace(demo_workspace, tmp_path_factory.mktemp("a11y") / "demo", smtp_port=free_port())
    seed_checks(ws.root)
    seed_runs_and_models(ws)
    seed_jobs(ws)
    seed_alerts(ws)
    service = WorkbenchService(ws, mode="local")
    try:
        make_app_job(ws, service.store, "supplier_board", BOARD)
        service.apps.publish("alice", "supplier_board", description="Who to call in a region.", surface="api")
        service.actions.propose(
            "alice",
            kind="email",
            payload={"to": [a_contact(service)], "subject": "Capacity for Q3", "body": "Dear supplier"},
            reason="3 suppliers are at risk of long delays",
            evidence={"orders_at_risk": 14},
            sources={"to": CONTACT},
            surface="api",
        )
    finally:
        service.close()
    write_notebook(
        ws.root / "notebooks" / WIDGETS_NOTEBOOK,
        [
            "import aios_workbench as wb",
            "wb.runs()",
            "wb.quality()",
            "wb.catalog()",
        ],
    )
    for user, password in PASSWORDS.items():
        added = add_login(ws.root, user, password)
        assert added.returncode == 0, added.stderr
    return ws


# -- JupyterLab -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab(seeded, tmp_path_factory):
    with lab_on(seeded.root, tmp_path_factory.mktemp("a11y-lab"), log_name="jupyterlab-a11y.log", user="alice") as lab:
        yield lab


def use_lab_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme through Settings > Theme, as a user does, and wait until it is applied."""
    name = LAB_THEMES[theme]
    if page.evaluate("() => document.body.dataset.jpThemeName") != name:
        page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
        page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        page.locator(".lm-Menu-itemLabel", has_text=name).first.click()
    light = "true" if theme == "light" else "false"
    page.wait_for_function(
        """([name, light]) => document.body.dataset.jpThemeName === name && document.body.dataset.jpThemeLight === light
            && getComputedStyle(document.body).getPropertyValue('--jp-layout-color1').trim() !== ''""",
        arg=[name, light],
        timeout=60_000,
    )
    page.wait_for_timeout(1000)  # the theme's stylesheet is swapped in place: let it apply


def settled(page, scope: str = "#aios-workbench-sidebar", timeout: float = 20_000) -> None:
    """Wait until nothing in `scope` says it is loading (a screen that stays busy is scanned as it is)."""
    with contextlib.suppress(Exception):
        page.wait_for_function(
            """scope => !document.querySelector(`${scope} .aios-loading, ${scope} .aios-status-loading,
                                                  ${scope} [aria-busy="true"]`)""",
            arg=scope,
            timeout=timeout,
        )
    page.wait_for_timeout(500)


def section(page, tab: str) -> None:
    page.get_by_test_id(f"aios-tab-{tab}").click()
    settled(page)


def close_main_area_views(page) -> None:
    """Close our main-area views, so each is scanned with the screen that opened it."""
    close = page.locator("#jp-main-dock-panel .lm-TabBar-tab[data-id^='aios-'] .lm-TabBar-tabCloseIcon")
    for _ in range(close.count()):
        close.first.click()


def scan_lab(page, findings: Findings, where: str) -> None:
    findings.add(where, axe(page, LAB_SCOPE))


@browser
@pytest.mark.parametrize("theme", THEMES)
def test_every_sidebar_section_and_main_area_view_meets_wcag_aa(chromium, lab, theme):
    findings = Findings("lab", theme)
    with lab_page(chromium, lab) as page:
        use_lab_theme(page, theme)
        page.locator(".jp-SideBar [title='AI OS']").first.click()

        section(page, "status")
        page.wait_for_function(
            "() => document.querySelector('.aios-status-badge')?.dataset.health === 'ok'", timeout=60_000
        )
        scan_lab(page, findings, "Status")

        section(page, "data")
        item = page.locator(f'[data-testid="aios-dataset-item"][data-name="{SUPPLIERS}"]')
        item.wait_for(timeout=60_000)
        scan_lab(page, findings, "Data")
        item.click()
        page.get_by_test_id("aios-dataset-view").first.wait_for(timeout=60_000)
        settled(page, "[data-testid='aios-dataset-view']", timeout=60_000)
        scan_lab(page, findings, "Data: a dataset (suppliers)")
        close_main_area_views(page)

        section(page, "runs")
        scan_lab(page, findings, "Runs")
        page.get_by_test_id("aios-runs-open-table").click()
        page.get_by_test_id("aios-runs-table").wait_for(timeout=60_000)
        settled(page, "[data-testid='aios-runs-table']", timeout=30_000)
        scan_lab(page, findings, "Runs: the runs table (main area)")
        close_main_area_views(page)

        section(page, "checks")
        drift = page.locator('[data-testid="aios-check-group"][data-name="shipments_drift"] button').first
        drift.wait_for(timeout=60_000)
        scan_lab(page, findings, "Checks")
        drift.click()
        page.get_by_test_id("aios-check-run-view").first.wait_for(timeout=60_000)
        settled(page)
        scan_lab(page, findings, "Checks: a drift check")
        close_main_area_views(page)

        section(page, "jobs")
        job = page.locator('[data-testid="aios-job"][data-name="nightly_spend_report"]')
        job.wait_for(timeout=60_000)
        scan_lab(page, findings, "Jobs")
        job.locator("button").first.click()
        page.get_by_test_id("aios-job-view").first.wait_for(timeout=60_000)
        settled(page)
        scan_lab(page, findings, "Jobs: a job")
        output = page.get_by_test_id("aios-job-view").get_by_test_id("aios-run-open-output").first
        if output.count():  # the seeded failed run kept an HTML output
            output.click()
            page.locator("[data-testid='aios-output-frame']").first.wait_for(timeout=60_000)
            scan_lab(page, findings, "Jobs: a run's output (main area)")
            close_main_area_views(page)

        section(page, "alerts")
        page.get_by_test_id("aios-alert").first.wait_for(timeout=60_000)
        scan_lab(page, findings, "Alerts")

        section(page, "apps")
        page.get_by_test_id("aios-app-open-supplier_board").click(timeout=60_000)
        page.get_by_test_id("aios-app-run").wait_for(timeout=60_000)
        scan_lab(page, findings, "Apps (with an app in the main area)")
        page.screenshot(path=str(artifact(f"a11y-lab-{theme}.png")))
    findings.assert_clean()


@browser
@pytest.mark.parametrize("theme", THEMES)
def test_kernel_widgets_in_a_notebook_meet_wcag_aa(chromium, lab, theme):
    findings = Findings("notebook", theme)
    with lab_page(chromium, lab) as page:
        use_lab_theme(page, theme)
        open_notebook(page, WIDGETS_NOTEBOOK)
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        outputs = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
        page.wait_for_function(  # every code cell has run: its prompt shows an execution count
            """() => { const prompts = [...document.querySelectorAll(
                    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length === 4 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)); }""",
            timeout=180_000,
        )
        page.locator(outputs, has_text="Select a dataset").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # widgets fill in their first page of runs
        findings.add("wb.runs(), wb.quality(), wb.catalog()", axe(page, [outputs]))
        page.screenshot(path=str(artifact(f"a11y-notebook-{theme}.png")))
        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Shut Down Kernel").first.click()
    findings.assert_clean()


# -- the dashboard ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dashboard(seeded):
    import subprocess

    from tests.conftest import AIOS, stop, wait_for_http

    port = free_port()
    log = artifact("dashboard-a11y.log").open("w")
    process = subprocess.Popen(
        [AIOS, "--workspace", str(seeded.root), "dashboard", "--port", str(port), "--address", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/login", process=process, timeout=90)
        yield url
    finally:
        stop(process)
        log.close()


@contextlib.contextmanager
def dashboard_session(chromium, url: str, user: str):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    assert not try_login(page, type("D", (), {"url": url}), user, PASSWORDS[user])
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def scan_dashboard_page(page, url: str, key: str, theme: str) -> list[dict] | None:
    query = f"?page={key}{DASHBOARD_PAGES[key]}&theme={DASHBOARD_THEMES[theme]}"
    page.goto(f"{url}/{query}")
    page.get_by_test_id(f"page-{key}").wait_for()
    deadline = time.monotonic() + 30  # Panel fills a page's parts as their data arrive
    while time.monotonic() < deadline and page.evaluate(
        "() => !!document.querySelector('.pn-loading') || document.readyState !== 'complete'"
    ):
        page.wait_for_timeout(250)
    page.wait_for_timeout(2000)
    dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert (theme == "dark") == (dark not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")), (theme, dark)
    from aios_workbench.surfaces.dashboard.app import PAGES

    assert page.get_by_role("main").count() == 1, key
    assert page.get_by_role("heading", level=1).all_inner_texts() == [PAGES[key][0]], key
    return axe(page, ["html"])


def assert_page_structure(findings: Findings) -> None:
    """No dashboard page misses its main landmark or its <h1>, or has text outside a landmark (moderate in axe;
    required here)."""
    missing = [f"{findings.theme} {where}: {v['id']} ({v['help']})" for where, found in findings.scanned.items()
               for v in found if v["id"] in PAGE_STRUCTURE]
    assert not missing, "pages without their main landmark or <h1>:\n" + "\n".join(missing)


@browser
@pytest.mark.parametrize("theme", THEMES)
def test_every_dashboard_page_meets_wcag_aa(chromium, dashboard, theme):
    findings = Findings("dashboard", theme)
    with dashboard_session(chromium, dashboard, "alice") as page:
        for key in DASHBOARD_PAGES:
            findings.add(f"{key} (alice)", scan_dashboard_page(page, dashboard, key, theme))
            if key == "quality":
                page.screenshot(path=str(artifact(f"a11y-dashboard-quality-{theme}.png")), full_page=True)
    with dashboard_session(chromium, dashboard, "olivia") as page:
        findings.add("actions (olivia, who decides)", scan_dashboard_page(page, dashboard, "actions", theme))
        page.screenshot(path=str(artifact(f"a11y-dashboard-actions-{theme}.png")), full_page=True)
    findings.assert_clean()
    assert_page_structure(findings)


@browser
def test_the_dashboard_theme_switch_loads_the_dark_theme(chromium, dashboard):
    """The header's switch is how a person picks the dark theme: it reloads the same page with ?theme=dark."""
    with dashboard_session(chromium, dashboard, "alice") as page:
        page.goto(f"{dashboard}/?page=overview")
        page.get_by_test_id("page-overview").wait_for()
        page.get_by_role("button", name="Dark theme").click()
        page.wait_for_url(lambda u: urllib.parse.parse_qs(urllib.parse.urlparse(u).query).get("theme") == ["dark"])
        page.get_by_test_id("page-overview").wait_for()
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(24, 24, 24)"
        assert "page=overview" in page.url
        page.get_by_role("button", name="Light theme").wait_for()


# -- the dashboard's palette, without a browser -------------------------------------------------------------------
def test_every_dashboard_text_tone_reads_at_aa_on_its_themes_backgrounds():
    from aios_workbench.surfaces.dashboard.theme import TONES, stylesheet

    backgrounds = {"default": ["#ffffff", "#f7f7f7"], "dark": ["#181818", "#212121"]}  # page and cards
    for name, (light, dark) in TONES.items():
        if name == "rule":  # borders, not text
            continue
        for theme, colour in (("default", light), ("dark", dark)):
            for background in backgrounds[theme]:
                assert contrast(colour, background) >= 4.5, (name, theme, colour, background)
    assert "--aios-muted:#a3aeb9;" in stylesheet("dark") and "--aios-muted:#52606d;" in stylesheet("default")
