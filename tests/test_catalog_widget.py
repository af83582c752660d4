"""`wb.catalog()`: the ipywidgets catalog browser, driven programmatically against a real `aios serve`."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from aios_workbench.kernel.client import ServiceClient
from aios_workbench.kernel.ui import render
from aios_workbench.kernel.ui.catalog_browser import CatalogBrowser, catalog
from aios_workbench.kernel.ui.tree import (
    PAGE_SIZE,
    build_tree,
    default_expansion,
    visible_rows,
)
from tests.conftest import aios_serve
from tests.governed_fixtures import POLICY, RAW_MARKERS, build_governed_workspace, open_governed_service

TOKEN = "widget-test-token"
HOSTILE = "<script>alert('x')</script> & <b>bold</b>"


@pytest.fixture(scope="module")
def service_url(tmp_path_factory):
    """The governed workspace served for `ana`; events carries a description with markup in it."""
    root = build_governed_workspace(tmp_path_factory.mktemp("catalog-widget") / "ws")
    policy = POLICY.replace("datasets:\n", "datasets:\n  hr.main.events:\n"
                            f"    description: \"{HOSTILE}\"\n    owners: [\"ops@example.com\"]\n", 1)
    (root / "governance" / "policy.yaml").write_text(policy)
    open_governed_service(root).close()
    with aios_serve(root, token=TOKEN, user="ana") as url:
        yield url


@pytest.fixture
def browser(service_url):
    return CatalogBrowser(ServiceClient(service_url, TOKEN), debounce=0)


def labels(browser: CatalogBrowser) -> list[str]:
    """The dataset names listed (a search hit's option also says why it matched, after " — ")."""
    return [label.split(" — ")[0].strip("\u00a0 ▾▸") for label, _ in browser.datasets.options]


def choose(browser: CatalogBrowser, name: str) -> None:
    browser.datasets.value = f"d:{name}"


def preview_ids(browser: CatalogBrowser) -> list[str]:
    return re.findall(r"<tr><td>(\d+)</td>", browser.preview.value)


def test_lists_the_readable_datasets_as_a_source_tree(browser):
    options = [value for _, value in browser.datasets.options]

    assert options == ["s:hr", "s:hr/main", "d:hr.main.events", "d:hr.main.people"]
    assert "2 datasets you may read" in browser.count.value
    assert not any("fin" in v or "salaries" in v for v in options)  # ungranted datasets stay hidden


def test_selecting_a_group_collapses_it_and_selecting_again_expands_it(browser):
    browser.datasets.value = "s:hr/main"
    assert [v for _, v in browser.datasets.options] == ["s:hr", "s:hr/main"]
    assert browser.datasets.value is None

    browser.datasets.value = "s:hr/main"
    assert len(browser.datasets.options) == 4


def test_search_narrows_the_list_and_clearing_it_restores_the_tree(browser):
    browser.search.value = "people"
    assert labels(browser) == ["hr.main.people"]
    assert browser.datasets.options[0][0].strip("\u00a0") == "hr.main.people — Matched: name"   # and why
    assert "1 of 2 datasets match" in browser.count.value

    browser.search.value = "no-such-dataset-anywhere"
    assert browser.datasets.options == ()
    assert "No dataset matches the search." in browser.message.value

    browser.search.value = ""
    assert len(browser.datasets.options) == 4


def test_search_is_debounced(service_url):
    browser = CatalogBrowser(ServiceClient(service_url, TOKEN), debounce=0.05)

    for text in ("p", "pe", "peo", "people"):
        browser.search.value = text
    assert len(browser.datasets.options) == 4  # nothing searched while typing
    deadline = time.monotonic() + 10
    while labels(browser) != ["hr.main.people"] and time.monotonic() < deadline:
        time.sleep(0.02)

    assert labels(browser) == ["hr.main.people"]


def test_dataset_view_shows_owners_schema_badges_and_row_filter(browser):
    choose(browser, "hr.main.people")

    assert "Employees." in browser.header.value and "hr@example.com" in browser.header.value
    schema = browser.schema.value
    assert 'data-name="email" data-mask="hash"' in schema
    assert "mask: hash" in schema and "mask: redact" in schema and "mask: partial" in schema
    assert "pii.email" in schema and "aios-badge-pii" in schema
    # each rule in words (no policy.yaml description here: the generated sentence), never `masks[0]`
    assert ("You see only rows where <code>region = &#x27;EU&#x27;</code>, by the rule ‘only rows where region = "
            "the reader&#x27;s region, for everyone but stewards’.") in schema
    assert "Masked (hash), by the rule ‘e-mail addresses hashed (pii.email) for everyone but stewards’" in schema
    assert "You (ana) may read it by the rule ‘analysts may read hr.main.people’." in schema
    assert re.search(r"4 columns masked for you \([a-z_, ]+ and [a-z_]+\); you see only rows where region = "
                     r"&#x27;EU&#x27;\.", schema)
    assert "[" not in re.sub(r"<[^>]+>", "", schema)


def test_preview_is_masked_and_row_filtered(browser):
    choose(browser, "hr.main.people")

    html = browser.preview.value
    assert "<table" in html and "visible-row" in html
    for marker in RAW_MARKERS:
        assert marker not in html
    assert "FILTERED-OUT-MARKER" not in html
    assert 'data-name="email">email<span class="aios-badge aios-badge-mask">masked</span>' in html


def test_preview_pages_forward_and_back_with_cursors(browser):
    browser.preview_rows = 3
    choose(browser, "hr.main.people")
    first = preview_ids(browser)
    assert first == ["0", "1", "2"] and browser.previous_page.disabled and not browser.next_page.disabled

    browser.next_page.click()
    second = preview_ids(browser)
    assert second == ["3", "4", "5"]
    assert "Rows 4–6" in browser.preview.value and not browser.previous_page.disabled

    browser.next_page.click()
    assert preview_ids(browser) == ["6", "7"] and browser.next_page.disabled  # 8 EU rows in all

    browser.previous_page.click()
    browser.previous_page.click()
    assert preview_ids(browser) == first and browser.previous_page.disabled


def test_sorting_orders_the_preview_and_restarts_paging(browser):
    browser.preview_rows = 3
    choose(browser, "hr.main.events")
    browser.next_page.click()

    browser.sort.value = "id"
    browser.descending.value = True

    assert preview_ids(browser) == ["299999", "299998", "299997"]
    assert "Rows 1–3" in browser.preview.value and "id ▼" in browser.preview.value
    browser.next_page.click()
    assert preview_ids(browser) == ["299996", "299995", "299994"]


def test_profile_loads_on_its_tab_with_histograms_and_reveals_nothing_masked(browser):
    choose(browser, "hr.main.people")
    assert browser.profile.value == ""  # not fetched until its tab is opened

    browser.tabs.selected_index = 2

    html = browser.profile.value
    email_row = re.search(r'<tr data-name="email"[^>]*>.*?</tr>', html).group(0)
    assert 'data-masked="true"' in email_row and ">masked (hash)</span>" in email_row
    assert '<tr data-name="id" data-masked="false">' in html and "<svg class=\"aios-histogram\"" in html
    assert "8 rows you can see (row filter: region = &#x27;EU&#x27;)" in html   # the count and why it is 8
    for marker in RAW_MARKERS:
        assert marker not in html


def test_lineage_tab_never_shows_an_empty_view(browser):
    choose(browser, "hr.main.people")

    browser.tabs.selected_index = 3

    assert browser.lineage.value and ("Upstream" in browser.lineage.value or "not available" in browser.lineage.value)


def test_dataset_descriptions_are_escaped(browser):
    choose(browser, "hr.main.events")

    assert "<script>" not in browser.header.value and "<b>bold</b>" not in browser.header.value
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in browser.header.value


def test_a_service_error_is_shown_with_its_fix(browser):
    browser.open("hr.main.salaries")  # exists, but ana has no grant

    assert "may not read hr.main.salaries" in browser.schema.value and "deny by default" in browser.schema.value
    assert 'class="aios-error"' in browser.preview.value and "Cannot load the preview" in browser.preview.value
    assert "fix:" in browser.preview.value and "UNGRANTED-MARKER" not in browser.preview.value


def test_an_unreachable_service_is_a_readable_error():
    from tests.conftest import free_port

    browser = CatalogBrowser(ServiceClient(f"http://127.0.0.1:{free_port()}", TOKEN), debounce=0)

    assert "Cannot load the catalog" in browser.message.value and "cannot reach the workbench service" in \
        browser.message.value
    assert browser.datasets.options == ()


def test_catalog_uses_the_given_client(service_url):
    browser = catalog(ServiceClient(service_url, TOKEN))

    assert isinstance(browser, CatalogBrowser) and browser.widget.children


def test_a_10000_dataset_catalog_shows_one_page_of_rows_at_a_time(browser):
    datasets = [{"name": f"src{i % 4}.sch{i % 25}.t{i:05d}", "source": f"src{i % 4}", "schema": f"sch{i % 25}",
                 "dataset": f"t{i:05d}", "columns": []} for i in range(10_000)]
    started = time.perf_counter()
    browser._datasets = datasets
    browser._by_name = {d["name"]: d for d in datasets}
    browser._show(datasets, searching=False)
    for _ in range(3):
        browser.datasets.value = browser.datasets.options[-1][1]  # expand the last source, then its schemas
    elapsed = time.perf_counter() - started

    assert len(browser.datasets.options) <= PAGE_SIZE
    assert not browser.more_rows.disabled
    browser.more_rows.click()
    assert "Rows 201–" in browser.rows_status.value
    assert elapsed < 2.0


def test_tree_opens_sources_only_when_the_catalog_is_big():
    datasets = [{"name": f"s{i % 3}.m.t{i}", "source": f"s{i % 3}", "schema": "m"} for i in range(600)]
    roots = build_tree(datasets)

    rows = visible_rows(roots, default_expansion(roots))

    assert [r.key for r in rows] == ["s:s0", "s:s0/m", "s:s1", "s:s1/m", "s:s2", "s:s2/m"]


def test_histogram_svg_escapes_bin_labels():
    svg = render.histogram_svg([{"low": "<a>", "high": "z", "count": 3}, {"lo": 1, "hi": 2, "count": 0}])

    assert svg.count("<rect") == 2 and "&lt;a&gt;" in svg and "<a>" not in svg


def test_importing_the_package_does_not_import_ipywidgets():
    code = "import sys, aios_workbench, aios_workbench.kernel.ui; assert 'ipywidgets' not in sys.modules"

    assert subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0


def test_lineage_lists_jobs_and_datasets_of_both_directions_escaped():
    walk = {"nodes": [{"id": "dataset:hr.main.people", "kind": "dataset", "name": "hr.main.people"},
                      {"id": "job:nightly", "kind": "job", "name": "nightly<x>", "runs": 3},
                      {"id": "dataset:restricted-1", "kind": "dataset", "name": "(restricted)", "restricted": True}],
            "edges": [], "truncated": True, "counts": {}}
    html = render.lineage({"dataset": "hr.main.people", "recorded": True, "upstream": walk,
                           "downstream": {"nodes": [], "edges": [], "truncated": False}})

    upstream, downstream = html.split("<h4")[1:]
    assert "nightly&lt;x&gt; (job, 3 runs)" in upstream and "(restricted)" in upstream
    assert "hr.main.people" not in upstream and "more beyond this depth" in upstream
    assert "none recorded" in downstream
    assert "No lineage recorded" in render.lineage({"dataset": "hr.main.events", "recorded": False})


def test_lineage_shows_the_services_one_count_the_sidebar_shows_too(browser):
    """The sidebar (extension/src/datasetActivity.ts) asks the same endpoint with the same default depth and
    shows these same sentences: the two surfaces cannot count differently."""
    choose(browser, "hr.main.people")
    browser.tabs.selected_index = 3

    served = browser.client.get("lineage?name=hr.main.people")
    for direction in ("upstream", "downstream"):
        summary = served[direction]["summary"]
        assert summary.endswith(".") and "[" not in summary
        assert render.esc(summary) in browser.lineage.value


def test_lineage_summary_counts_jobs_queries_and_datasets_once():
    from aios_workbench.service.catalog import lineage_summary

    graph = {"dataset": "Hr.Main.People", "direction": "downstream", "truncated": False,
             "counts": {"reads": 14},
             "nodes": [{"id": "dataset:hr.main.people", "kind": "dataset", "name": "hr.main.people"},
                       {"id": "job:nightly", "kind": "job", "name": "nightly"},
                       {"id": "job:query:ana", "kind": "job", "name": "query:ana"},
                       {"id": "dataset:hr.main.report", "kind": "dataset", "name": "hr.main.report"}]}
    assert lineage_summary(graph) == "Read by 1 job and ad-hoc queries, which wrote 1 dataset; 14 reads recorded."
    upstream = {**graph, "direction": "upstream", "nodes": graph["nodes"][:1], "counts": {"writes": 0}}
    assert lineage_summary(upstream) == "No recorded job or query wrote it."
