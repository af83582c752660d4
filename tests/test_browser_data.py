"""The AI OS sidebar's Data section in JupyterLab, in headless Chromium, as the policy user alice.

alice is a data scientist: she reads every demo dataset, with PII masked.
"""

from __future__ import annotations

import contextlib
import json
import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import ROOT, aios_lab, artifact, sidebar_page

pytestmark = pytest.mark.browser

DEMO_DATASETS = {
    "supplier_master.main.suppliers",
    "purchasing_warehouse.procurement.purchase_orders",
    "shipment_files.main.shipments",
    "external_signals.main.signals",
    "external_signals.main.supplier_lanes",
}
# `aios demo` (./workbench start and test) runs the demo's jobs once, which write datasets of `outputs` into the
# repository's workspace; the assertions here are about the demo's sources, so they leave those out.
JOB_OUTPUTS = "outputs."
SUPPLIERS = "supplier_master.main.suppliers"


@pytest.fixture(scope="module")
def lab_as_alice(demo_workspace, tmp_path_factory):
    with aios_lab(log_name="jupyterlab-data.log", user="alice",
                  layouts=tmp_path_factory.mktemp("lab-workspaces")) as lab:
        yield lab


def api_status(lab, endpoint: str) -> int:
    """HTTP status of GET <lab>/aios/api/<endpoint>, to tell a missing endpoint from a broken UI."""
    import urllib.error
    import urllib.request

    url, token = lab
    request = urllib.request.Request(f"{url}/aios/api/{endpoint}", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:   # closed here: an open error answer warns in a later test
            return error.code


@pytest.fixture
def lab_page(chromium, lab_as_alice):
    """JupyterLab loaded, the AI OS sidebar open on its Data section; fails on any page error."""
    with sidebar_page(chromium, lab_as_alice, "data") as page:
        yield page


def listed(page) -> set[str]:
    return {name for item in page.get_by_test_id("aios-dataset-item").all()
            if not (name := item.get_attribute("data-name") or "").startswith(JOB_OUTPUTS)}


def wait_for_listed(page, expected: set[str]) -> None:
    page.wait_for_function(
        """expected => {
            const names = [...document.querySelectorAll('[data-testid="aios-dataset-item"]')]
                .map(n => n.dataset.name).filter(n => !n.startsWith("outputs.")).sort();
            return JSON.stringify(names) === JSON.stringify(expected);
        }""", arg=sorted(expected), timeout=60_000)


def test_data_section_lists_the_readable_datasets_and_search_narrows_them(lab_page):
    page = lab_page

    wait_for_listed(page, DEMO_DATASETS)
    assert page.get_by_role("tree", name="Datasets").is_visible()
    page.screenshot(path=str(artifact("data-tree.png")))

    page.get_by_test_id("aios-data-search").fill("master")
    wait_for_listed(page, {SUPPLIERS})
    page.get_by_test_id("aios-data-search").fill("shipment")
    # purchase orders match through a column's description ("po_id: ... shipments refer to it")
    wait_for_listed(page, {"shipment_files.main.shipments", "purchasing_warehouse.procurement.purchase_orders"})
    page.screenshot(path=str(artifact("data-search.png")))
    page.get_by_test_id("aios-data-search").fill("")
    wait_for_listed(page, DEMO_DATASETS)


def test_tree_is_keyboard_navigable(lab_page):
    page = lab_page
    wait_for_listed(page, DEMO_DATASETS)
    tree = page.get_by_role("tree", name="Datasets")
    # JupyterLab focuses its launcher once it has opened it, which can be after the tree is listed: let it, then
    # focus the tree (else the keys go to the launcher half way down)
    page.locator(".jp-Launcher").first.wait_for(timeout=60_000)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("() => document.activeElement?.closest('.jp-Launcher') !== null", timeout=5_000)

    tree.focus()
    page.keyboard.press("End")
    active = tree.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("data-testid") == "aios-dataset-item"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowLeft")  # collapse the first source (external_signals: signals, supplier_lanes)
    first = page.locator(f"#{tree.get_attribute('aria-activedescendant')}")
    assert first.get_attribute("aria-expanded") == "false"
    assert len(listed(page)) == 3
    page.keyboard.press("ArrowRight")  # expand it again
    wait_for_listed(page, DEMO_DATASETS)

    for _ in range(page.locator('[role="treeitem"]').count()):   # at most every row of the tree
        if page.locator(f"#{tree.get_attribute('aria-activedescendant')}").get_attribute("data-name") == SUPPLIERS:
            break
        page.keyboard.press("ArrowDown")
    else:
        pytest.fail(f"ArrowDown never reached {SUPPLIERS}; focus is on "
                    + page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)"))
    page.keyboard.press("Enter")
    view = page.get_by_test_id("aios-dataset-view")
    view.wait_for(timeout=30_000)
    assert view.get_attribute("data-name") == SUPPLIERS


def test_suppliers_show_masked_pii_in_schema_and_preview(lab_page, lab_as_alice):
    page = lab_page
    wait_for_listed(page, DEMO_DATASETS)

    page.locator(f'[data-testid="aios-dataset-item"][data-name="{SUPPLIERS}"]').click()
    view = page.get_by_test_id("aios-dataset-view")
    email = view.locator('[data-testid="aios-column-row"][data-name="contact_email"]')
    email.wait_for(timeout=60_000)

    assert email.get_attribute("data-mask") == "hash"
    assert "pii.email" in email.inner_text()
    assert view.locator('[data-testid="aios-column-row"][data-name="supplier_id"]').get_attribute(
        "data-mask") == "none"
    assert view.get_by_test_id("aios-row-filter").count() == 0  # data scientists are exempt from the filter

    if api_status(lab_as_alice, f"catalog/preview?name={SUPPLIERS}&limit=1") == 404:
        page.get_by_test_id("aios-preview-unavailable").wait_for(timeout=30_000)
        page.screenshot(path=str(artifact("data-suppliers.png")))
        pytest.skip("GET catalog/preview is not served yet (404); the UI shows its 'not available yet' note")

    table = page.get_by_test_id("aios-preview-table")
    table.wait_for(timeout=60_000)
    emails = table.locator('tbody td[data-name="contact_email"]').all_inner_texts()
    assert emails, "the preview shows rows"
    assert not any("@" in value for value in emails), emails
    page.screenshot(path=str(artifact("data-suppliers.png")))

    first_row = table.locator("tbody tr").first.inner_text()
    page.get_by_test_id("aios-preview-next").click()
    page.wait_for_function(
        """first => {
            const row = document.querySelector('[data-testid="aios-preview-table"] tbody tr');
            return row && row.innerText !== first;
        }""", arg=first_row, timeout=30_000)
    second_page_emails = table.locator('tbody td[data-name="contact_email"]').all_inner_texts()
    assert not any("@" in value for value in second_page_emails)

    table.locator('th[data-name="supplier_id"] button').click()
    page.wait_for_function(
        """() => document.querySelector('[data-testid="aios-preview-table"] th[data-name="supplier_id"]')
                 ?.getAttribute('aria-sort') === 'ascending'""", timeout=30_000)
    page.screenshot(path=str(artifact("data-preview-sorted.png")))


def test_a_dataset_shows_its_lineage_and_check_history(lab_page):
    page = lab_page
    wait_for_listed(page, DEMO_DATASETS)

    page.locator(f'[data-testid="aios-dataset-item"][data-name="{SUPPLIERS}"]').click()
    view = page.get_by_test_id("aios-dataset-view")
    lineage = view.get_by_test_id("aios-dataset-lineage")
    lineage.get_by_test_id("aios-lineage-downstream").wait_for(timeout=60_000)
    assert "Upstream" in lineage.inner_text() and "Cannot load" not in lineage.inner_text()
    checks = view.get_by_test_id("aios-dataset-checks")
    page.wait_for_function(
        """() => { const n = document.querySelector('[data-testid="aios-dataset-checks"]');
                   return n && !n.textContent.includes('Loading'); }""", timeout=60_000)
    text = checks.inner_text()
    assert "Cannot load" not in text
    assert "No checks recorded on this dataset." in text or checks.locator("table").count() == 1


@pytest.fixture
def new_notebooks():
    """Removes the notebooks a test creates through the launcher (JupyterLab serves the workspace root)."""
    before = set(ROOT.glob("Untitled*.ipynb"))
    yield
    for path in set(ROOT.glob("Untitled*.ipynb")) - before:
        path.unlink()


def test_insert_query_adds_a_wb_sql_cell_that_runs_in_a_new_notebook(new_notebooks, lab_page):
    page = lab_page
    wait_for_listed(page, DEMO_DATASETS)
    page.locator(f'[data-testid="aios-dataset-item"][data-name="{SUPPLIERS}"]').click()
    insert = page.get_by_test_id("aios-insert-query")
    insert.wait_for(timeout=30_000)
    assert insert.is_disabled()
    assert "notebook" in insert.get_attribute("title").lower()

    page.locator('.jp-LauncherCard[data-category="Notebook"]').first.click()
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
    page.wait_for_function(   # a new notebook's panel can take long on a busy 2-core machine
        """() => !document.querySelector('[data-testid="aios-insert-query"]').disabled""", timeout=90_000)
    insert.click()

    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-editor')]
                 .some(n => n.innerText.includes('wb.sql('))""", timeout=90_000)
    code = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-editor").all_inner_texts()
    query = f'wb.sql("SELECT * FROM {SUPPLIERS} LIMIT 100")'
    assert any(query in cell for cell in code), code
    assert any("import aios_workbench as wb" in cell for cell in code), code
    page.screenshot(path=str(artifact("data-insert-query.png")))

    # run it as a user would, once the status bar says the new notebook's kernel is idle (on a busy machine
    # JupyterLab may take long to attach one), with Run > Run All Cells: the governed rows arrive, masked
    page.wait_for_function(
        """() => (document.querySelector('#jp-main-statusbar')?.innerText || '').includes('| Idle')""",
        timeout=180_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    try:
        page.wait_for_function(   # the rows, or an error (then the assertion below shows it)
            """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]
                     .some(n => n.innerText.includes('contact_email') || n.innerText.includes('Error'))""",
            timeout=120_000)
    except Exception:
        page.screenshot(path=str(artifact("data-insert-query-timeout.png")))   # what the page showed instead
        raise
    output = "\n".join(page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_inner_texts())
    assert "Error" not in output, output
    assert "@" not in output, output      # contact_email is masked for this user
    page.screenshot(path=str(artifact("data-insert-query-run.png")))


def test_a_catalog_of_10000_datasets_stays_windowed(lab_page):
    """The tree renders only the rows near the viewport, so a huge catalog stays smooth."""
    page = lab_page
    datasets = [{"name": f"lake{s}.schema{k}.table{i:05d}", "source": f"lake{s}", "schema": f"schema{k}",
                 "dataset": f"table{i:05d}", "kind": "table", "description": "", "owners": [], "tags": [],
                 "row_count": i, "columns": []}
                for s in range(4) for k in range(5) for i in range(500)]
    page.route(lambda url: urlparse(url).path.endswith("/aios/api/catalog"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"datasets": datasets})))
    page.get_by_role("button", name="Reload the catalog").click()
    page.get_by_text("10,000 datasets you may read").wait_for(timeout=30_000)

    tree = page.get_by_role("tree", name="Datasets")
    tree.focus()
    page.keyboard.press("ArrowRight")  # expand lake0's first schema path
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    rendered = page.locator('[role="treeitem"]').count()
    assert 0 < rendered < 120, rendered

    # A service without catalog/search: the browser filters the 10,000 datasets itself.
    page.route(lambda url: urlparse(url).path.endswith("/aios/api/catalog/search"),
               lambda route: route.fulfill(status=404, content_type="text/html", body="<h1>Not Found</h1>"))
    page.get_by_test_id("aios-data-search").fill("table00499")
    page.get_by_text("20 of 10,000 datasets match").wait_for(timeout=30_000)
    assert len(listed(page)) == 20


def test_profile_draws_histograms_and_hides_statistics_of_masked_columns(lab_page):
    page = lab_page
    orders = "purchasing_warehouse.procurement.purchase_orders"
    wait_for_listed(page, DEMO_DATASETS)
    page.locator(f'[data-testid="aios-dataset-item"][data-name="{orders}"]').click()
    profile = page.get_by_test_id("aios-profile")
    amount = profile.locator('[data-testid="aios-profile-row"][data-name="amount"]')
    amount.wait_for(timeout=60_000)

    assert amount.locator("svg.aios-histogram rect").count() > 1
    buyer = profile.locator('[data-testid="aios-profile-row"][data-name="buyer_email"]')
    assert buyer.get_attribute("data-masked") == "true"
    assert "masked" in buyer.inner_text() and "@" not in buyer.inner_text()
    profile.scroll_into_view_if_needed()
    profile.screenshot(path=str(artifact("data-profile.png")))


# -- the full-page dataset view, search with reasons, rules in words (issue #20) ---------------------------------

EMAIL_RULE = "e-mails hashed for everyone but stewards and procurement officers"
REGION_RULE = "analysts see only the suppliers of their own region"
PII_COLUMNS = {"contact_name", "contact_email", "contact_phone", "street_address", "iban"}


def open_full_page(page, name: str):
    """Open `name` in the sidebar, then full page in the main area with the view's button."""
    page.locator(f'[data-testid="aios-dataset-item"][data-name="{name}"]').click()
    page.get_by_test_id("aios-open-dataset-page").click()
    full = page.locator(f'[data-testid="aios-dataset-page"][data-name="{name}"]')
    full.wait_for(timeout=60_000)
    full.locator('[data-testid="aios-preview-table"]').wait_for(timeout=60_000)
    page.wait_for_function(   # the profile has answered (its count fills the header too)
        """() => document.querySelector('[data-testid="aios-dataset-page"] [data-testid="aios-profile-rows"]')""",
        timeout=60_000)
    return full


def column_access(full, column: str) -> str:
    return full.locator(f'[data-testid="aios-column-row"][data-name="{column}"] '
                        '[data-testid="aios-column-access"]').inner_text()


def assert_every_column_previewed_pii_masked(full) -> None:
    schema = full.locator('[data-testid="aios-column-row"]')
    columns = [schema.nth(i).get_attribute("data-name") for i in range(schema.count())]
    table = full.locator('[data-testid="aios-preview-table"]')
    headers = [h.get_attribute("data-name") for h in table.locator("thead th").all()]
    assert headers == columns and PII_COLUMNS <= set(headers), headers   # every column, masked ones too
    for column in PII_COLUMNS:
        cells = table.locator(f'tbody td[data-name="{column}"]')
        assert cells.count() > 0 and {c.get_attribute("data-masked") for c in cells.all()} == {"true"}, column
    assert not any("@" in v for v in table.locator('tbody td[data-name="contact_email"]').all_inner_texts())


def test_full_page_view_shows_every_column_and_each_rule_in_words_for_alice(lab_page):
    page = lab_page
    wait_for_listed(page, DEMO_DATASETS)
    full = open_full_page(page, SUPPLIERS)

    assert page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first \
        .inner_text().strip() == "suppliers"   # a main-area tab of its own
    assert full.get_by_test_id("aios-access-grant").inner_text() == \
        "You (alice) may read it by the rule ‘data scientists read every dataset’."
    summary = full.get_by_test_id("aios-access-summary").inner_text()
    assert summary.startswith("5 columns masked for you (") and "rows where" not in summary, summary
    assert full.get_by_test_id("aios-row-filter").count() == 0      # data scientists see every region
    assert column_access(full, "contact_email").startswith(f"Masked (hash), by the rule ‘{EMAIL_RULE}’: you see "
                                                           "a keyed hash")
    assert column_access(full, "supplier_id") == "Raw values"
    email = full.locator('[data-testid="aios-column-row"][data-name="contact_email"]')
    assert email.get_by_test_id("aios-column-about").inner_text() == "e-mail addresses"
    supplier_id = full.locator('[data-testid="aios-column-row"][data-name="supplier_id"]')   # a steward's words
    assert supplier_id.get_by_test_id("aios-column-description").inner_text() == \
        "Stable supplier key, e.g. SUP-00042; purchase orders and supplier lanes refer to it."
    tag = email.get_by_test_id("aios-tag")
    assert tag.locator("summary").inner_text().strip() == "pii.email confirmed"
    tag.locator("summary").click()   # expands to its evidence
    assert "confirmed in governance/policy.yaml; the scan agrees (1.00)" in tag.inner_text()

    assert_every_column_previewed_pii_masked(full)
    assert full.get_by_test_id("aios-preview-applied").inner_text() == summary
    assert full.get_by_test_id("aios-profile-rows").inner_text().endswith("rows")   # no filter: just the count
    text = full.inner_text()
    for raw_rule in ("masks[", "grants[", "row_filters[", "hidden by your row filter"):
        assert raw_rule not in text, raw_rule
    full.get_by_test_id("aios-lineage-downstream").wait_for(timeout=60_000)
    assert "Cannot load" not in full.get_by_test_id("aios-page-lineage").inner_text()
    page.screenshot(path=str(artifact("data-full-page-alice.png")))


def test_search_ranks_hits_highlights_the_match_and_says_why(lab_page):
    page = lab_page
    wait_for_listed(page, DEMO_DATASETS)

    page.get_by_test_id("aios-data-search").fill("email")
    page.locator(f'.aios-hit[data-name="{SUPPLIERS}"]').wait_for(timeout=30_000)
    hit = page.locator(f'.aios-hit[data-name="{SUPPLIERS}"]')
    assert "column contact_email" in hit.get_by_test_id("aios-hit-why").inner_text()
    assert {m.lower() for m in hit.locator("mark").all_inner_texts()} == {"email"}
    assert "contact_email" in hit.locator('li[data-field="column"]').inner_text()

    page.get_by_test_id("aios-data-search").fill("supplier")
    page.wait_for_function("""() => document.querySelector('.aios-hit')?.dataset.name
                              === 'supplier_master.main.suppliers'""", timeout=30_000)
    first = page.locator(".aios-hit").first
    assert first.get_attribute("data-rank") == "1"
    # the name's match marked: the whole word, as search ignores a plural -s
    assert first.locator(".aios-hit-name mark").inner_text().lower() == "suppliers"
    assert "best first" in page.locator(".aios-data-count").inner_text()
    page.screenshot(path=str(artifact("data-search-reasons.png")))

    first.dblclick()   # a double-click opens the full page
    page.locator(f'[data-testid="aios-dataset-page"][data-name="{SUPPLIERS}"]').wait_for(timeout=60_000)


@pytest.fixture(scope="module")
def lab_as_bob(demo_workspace, tmp_path_factory):
    with aios_lab(log_name="jupyterlab-data-bob.log", user="bob",
                  layouts=tmp_path_factory.mktemp("lab-workspaces-bob")) as lab:
        yield lab


def test_full_page_view_says_what_bobs_row_filter_and_masks_do(chromium, lab_as_bob):
    with sidebar_page(chromium, lab_as_bob, "data") as page:
        wait_for_listed(page, {SUPPLIERS, "purchasing_warehouse.procurement.purchase_orders",
                               "external_signals.main.signals", "external_signals.main.supplier_lanes"})
        full = open_full_page(page, SUPPLIERS)

        assert full.get_by_test_id("aios-access-grant").inner_text() == \
            "You (bob) may read it by the rule ‘analysts read the supplier master’."
        assert full.get_by_test_id("aios-row-filter").inner_text() == \
            f"You see only rows where region = 'Northern Europe', by the rule ‘{REGION_RULE}’."
        assert full.get_by_test_id("aios-access-summary").inner_text().endswith(
            "; you see only rows where region = 'Northern Europe'.")
        assert column_access(full, "contact_email").startswith(f"Masked (hash), by the rule ‘{EMAIL_RULE}’")
        assert_every_column_previewed_pii_masked(full)
        regions = full.locator('[data-testid="aios-preview-table"] tbody td[data-name="region"]').all_inner_texts()
        assert regions and set(regions) == {"Northern Europe"}

        rows = full.get_by_test_id("aios-profile-rows").inner_text()
        assert re.fullmatch(r"[\d,]+ rows you can see \(row filter: region = 'Northern Europe'\)", rows), rows
        assert full.get_by_test_id("aios-page-rows").inner_text() == rows   # the header says the same
        assert "hidden by your row filter" not in full.inner_text()
        page.screenshot(path=str(artifact("data-full-page-bob.png")))
