"""The AI OS sidebar's Runs section and the runs table in JupyterLab, in headless Chromium.

A data scientist opens notebooks/03_train_model.ipynb, finds the runs it tracked in the sidebar
(parameters, metrics, datasets, check status), selects two and compares them: the parameters that
differ, the latest metrics, and a chart per metric history. A run logged while the sidebar is open
shows up within seconds, without a click. "Open table" shows the runs in the main area: chosen metric
and parameter columns, ordered by any column, with links to MLflow's UI and the registered version;
its comparison adds parallel coordinates and a scatter of two metrics.

The runs are written into the MLflow store of a private copy of the demo workspace with MlflowClient,
carrying exactly the tags, params, metrics, dataset inputs and check metrics `wb.run` logs (training
the model three times would take minutes without testing anything more of the sidebar).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from aios_workbench.tracking.registry import AUTHOR_TAG, REGISTERED_BY_TAG, STATUS_TAG
from tests.conftest import copy_demo_workspace
from tests.test_browser_jobs import lab_on, lab_page, open_notebook, open_section, screenshot

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/03_train_model.ipynb"
OTHER_NOTEBOOK = "notebooks/01_explore_data.ipynb"


@pytest.fixture(scope="module")
def workspace(demo_workspace, tmp_path_factory):
    return copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("runs") / "ws")


@pytest.fixture(scope="module")
def tracked_runs(workspace):
    """Three runs of 03_train_model (max_depth 3, 4, 5) and one of 01_explore_data, newest last."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    from aios_workbench.tracking import artifact_root, ensure_store, tracking_uri
    from aios_workbench.tracking.lineage import dataset_input

    ensure_store(workspace)
    client = MlflowClient(tracking_uri(workspace))
    tag = uuid.uuid4().hex[:6]
    shipments = dataset_input(workspace.name, "shipment_files.main.shipments",
                              {"digest": "5b1f0c2e9a", "rows": 1200,
                               "schema": [{"name": "shipment_id", "type": "BIGINT"}]}, "training")
    names, ids = {}, []
    now = int(time.time() * 1000) - 60_000   # a minute ago: runs logged by the tests themselves come later
    for i, (notebook, depth) in enumerate([(OTHER_NOTEBOOK, None), (NOTEBOOK, 3), (NOTEBOOK, 4), (NOTEBOOK, 5)]):
        experiment = client.get_experiment_by_name(notebook)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(
            notebook, artifact_location=(artifact_root(workspace) / f"test-{i}").as_uri())
        name = f"late-delivery-{tag}-{i}" if depth else f"explore-{tag}"
        run_id = client.create_run(experiment_id, start_time=now + i * 1000, run_name=name,
                                   tags={"aios.notebook.path": notebook, "aios.user": "alice",
                                         "mlflow.user": "alice"}).info.run_id
        params = [Param("seed", "42")] + ([Param("max_depth", str(depth))] if depth else [])
        metrics = []
        if depth:
            metrics = [Metric("auc", 0.6 + depth * 0.03 + step * 0.01, now + i * 1000 + step, step)
                       for step in range(5)]
            metrics.append(Metric("f1", 0.5 + depth * 0.02, now + i * 1000, 0))   # one value: no history
            metrics.append(Metric("check.shipments_basics.passed", 1.0 if depth != 5 else 0.0, now, 0))
            client.log_inputs(run_id, datasets=[shipments])
        client.log_batch(run_id, metrics=metrics, params=params)
        client.set_terminated(run_id, "FINISHED", end_time=now + i * 1000 + 800)
        names[depth] = name
        ids.append(run_id)
    model = f"late-delivery-model-{tag}"   # the max_depth=4 run's model, registered as a candidate
    client.create_registered_model(model)
    client.create_model_version(model, f"runs:/{ids[2]}/model", run_id=ids[2],
                                tags={AUTHOR_TAG: "alice", STATUS_TAG: "candidate", REGISTERED_BY_TAG: "alice"})
    return SimpleNamespace(names=names, ids=ids, tag=tag, client=client, model=model)


def log_run(client, name: str, depth: int) -> str:
    """A finished run of 03_train_model, logged now (as a notebook or a job would while the sidebar is open)."""
    from mlflow.entities import Metric, Param

    experiment_id = client.get_experiment_by_name(NOTEBOOK).experiment_id
    run_id = client.create_run(experiment_id, run_name=name, tags={
        "aios.notebook.path": NOTEBOOK, "aios.user": "alice", "mlflow.user": "alice"}).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(run_id, params=[Param("seed", "42"), Param("max_depth", str(depth))],
                     metrics=[Metric("auc", 0.9, now, 0), Metric("f1", 0.6, now, 0)])
    client.set_terminated(run_id, "FINISHED")
    return run_id


@pytest.fixture(scope="module")
def lab(workspace, tracked_runs, tmp_path_factory):
    with lab_on(workspace.root, tmp_path_factory.mktemp("lab"), log_name="jupyterlab-runs.log", user="alice") as lab:
        yield lab


@pytest.fixture
def runs_page(chromium, lab):
    """JupyterLab with notebooks/03_train_model.ipynb open (through the file browser) and the
    AI OS sidebar on its Runs section."""
    with lab_page(chromium, lab) as page:
        open_notebook(page, "03_train_model.ipynb")
        open_section(page, "runs")
        yield page


def run_row(page, name: str):
    return page.get_by_test_id("aios-runs-tab").locator(f'[data-testid="aios-run"][data-name="{name}"]')


def test_lists_the_open_notebooks_runs_and_compares_two(runs_page, tracked_runs):
    page = runs_page
    tab = page.get_by_test_id("aios-runs-tab")
    names = tracked_runs.names
    run_row(page, names[5]).wait_for(timeout=60_000)

    assert NOTEBOOK in page.get_by_test_id("aios-runs-notebook").inner_text()
    listed = tab.locator('[data-testid="aios-run"]').evaluate_all("rows => rows.map(r => r.dataset.name)")
    assert [n for n in listed if n in names.values()] == [names[5], names[4], names[3]]  # newest first
    assert names[None] not in listed                                                  # another notebook's run

    newest = run_row(page, names[5])
    assert "auc=" in newest.inner_text() and "max_depth=5" in newest.inner_text()
    assert newest.locator(".aios-run-checks-badge").get_attribute("data-status") == "fail"  # its check failed
    newest.locator("summary").click()
    details = newest.locator(".aios-run-details")
    details.wait_for()
    assert "shipment_files.main.shipments" in details.inner_text()
    assert "shipments_basics" in details.inner_text()
    assert details.locator('tr[data-name="max_depth"] td').inner_text() == "5"

    compare = page.get_by_test_id("aios-runs-compare")
    assert compare.is_disabled()
    run_row(page, names[3]).get_by_test_id("aios-run-select").check()
    assert compare.is_disabled()  # one run is not a comparison
    newest.get_by_test_id("aios-run-select").check()
    assert compare.inner_text() == "Compare 2"
    compare.click()

    view = page.get_by_test_id("aios-run-compare")
    params = view.get_by_test_id("aios-compare-params")
    params.wait_for(timeout=30_000)
    assert params.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.name)") == ["max_depth"]
    assert sorted(params.locator('tr[data-name="max_depth"] td').all_inner_texts()) == ["3", "5"]
    assert "1 parameter is the same in every run" in view.inner_text()  # seed
    chart = view.locator('[data-testid="aios-compare-chart"][data-metric="auc"]')
    assert chart.locator("polyline").count() == 2                          # one line per run
    assert chart.locator("circle").count() == 10                           # five steps each
    assert view.get_by_test_id("aios-compare-run").count() == 2
    screenshot(page, "sidebar-runs.png")

    page.keyboard.press("Escape")  # back to the list, selection kept
    run_row(page, names[5]).wait_for()
    assert page.get_by_test_id("aios-runs-compare").inner_text() == "Compare 2"


def test_all_notebooks_shows_other_notebooks_runs(runs_page, tracked_runs):
    page = runs_page
    run_row(page, tracked_runs.names[5]).wait_for(timeout=60_000)
    page.get_by_test_id("aios-runs-scope").select_option("all")
    run_row(page, tracked_runs.names[None]).wait_for(timeout=30_000)
    assert "every notebook" in page.get_by_test_id("aios-runs-notebook").inner_text()


def test_service_errors_are_shown_as_readable_messages(runs_page):
    page = runs_page
    page.route(lambda url: urlparse(url).path.endswith("/aios/api/runs"), lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "unavailable", "message": "the MLflow store could not answer",
                         "fix": "check that the tracking store is reachable (`aios status`)"})))
    page.get_by_test_id("aios-runs-refresh").click()
    alert = page.get_by_test_id("aios-runs-tab").get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert "the MLflow store could not answer" in alert.inner_text()
    assert "aios status" in alert.inner_text()
    assert page.get_by_test_id("aios-runs-tab").locator('[data-testid="aios-run"]').count() == 0


def test_a_run_logged_while_the_sidebar_is_open_shows_within_5_seconds(runs_page, tracked_runs):
    page = runs_page
    names = tracked_runs.names
    run_row(page, names[5]).wait_for(timeout=60_000)
    run_row(page, names[3]).get_by_test_id("aios-run-select").check()
    run_row(page, names[4]).locator("summary").click()            # an open run stays open
    run_row(page, names[4]).locator(".aios-run-details").wait_for()

    name = f"fresh-{tracked_runs.tag}"
    log_run(tracked_runs.client, name, depth=7)
    logged = time.monotonic()
    run_row(page, name).wait_for(timeout=5_000)                    # no click: the tab polls while visible
    shown_after = time.monotonic() - logged

    assert shown_after < 5
    assert "max_depth=7" in run_row(page, name).inner_text()
    listed = page.get_by_test_id("aios-runs-tab").locator('[data-testid="aios-run"]').evaluate_all(
        "rows => rows.map(r => r.dataset.name)")
    assert listed[0] == name                                        # newest first
    assert run_row(page, names[3]).get_by_test_id("aios-run-select").is_checked()
    assert run_row(page, names[4]).locator("details").get_attribute("open") is not None
    assert page.get_by_test_id("aios-runs-tab").locator(".aios-loading").count() == 0


def table_labels(table) -> list[str]:
    return table.locator('[data-testid="aios-runs-table-row"] th').all_inner_texts()


def test_the_runs_table_sorts_by_any_column_and_links_to_mlflow(runs_page, tracked_runs):
    page = runs_page
    names = tracked_runs.names
    run_row(page, names[5]).wait_for(timeout=60_000)
    page.get_by_test_id("aios-runs-open-table").click()
    table = page.get_by_test_id("aios-runs-table")
    table.locator(f'tr[data-id="{tracked_runs.ids[3]}"]').wait_for(timeout=30_000)

    ours = [names[5], names[4], names[3]]
    assert [n for n in table_labels(table) if n in ours] == ours    # newest first
    assert names[None] not in table_labels(table)                   # another notebook's run
    assert NOTEBOOK in table.get_by_test_id("aios-runs-table-note").inner_text()
    headers = table.locator("thead th").all_inner_texts()
    assert {"Run", "Status", "Duration", "Data versions", "Checks", "auc", "f1", "max_depth", "seed"} <= set(headers)
    assert "Started ▼" in headers

    row = table.locator(f'tr[data-id="{tracked_runs.ids[3]}"]')
    cell = lambda key: row.locator(f'[data-column="{key}"]').inner_text()  # noqa: E731
    assert cell("status") == "finished"
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d", cell("started")), cell("started")
    assert cell("duration") in ("< 1 s", "1.0 s")
    assert cell("data") == "shipment_files.main.shipments @5b1f0c2e"
    assert cell("metric:auc") == "0.79" and cell("param:max_depth") == "5"
    assert cell("checks") == "0 passed, 1 failed"

    table.locator('button[data-column="metric:auc"]').click()       # lowest auc first
    assert [n for n in table_labels(table) if n in ours] == [names[3], names[4], names[5]]
    table.locator('button[data-column="metric:auc"]').click()       # then highest first
    assert [n for n in table_labels(table) if n in ours] == ours
    assert table.locator('th[aria-sort="descending"]').inner_text() == "auc ▼"
    table.locator('button[data-column="param:max_depth"]').click()  # numbers as numbers: 3 < 4 < 5 < 7
    assert [n for n in table_labels(table) if n in ours] == [names[3], names[4], names[5]]

    table.get_by_test_id("aios-runs-columns-toggle").click()        # the column picker
    table.locator('input[data-column="params:seed"]').uncheck()
    assert "seed" not in table.locator("thead th").all_inner_texts()
    table.get_by_test_id("aios-runs-columns-toggle").click()

    mlflow = row.get_by_test_id("aios-run-mlflow")
    experiment = tracked_runs.client.get_experiment_by_name(NOTEBOOK).experiment_id
    assert mlflow.get_attribute("href") == (f"http://127.0.0.1:5000/#/experiments/{experiment}/runs/"
                                            f"{tracked_runs.ids[3]}")
    assert row.get_by_test_id("aios-run-artifacts").get_attribute("href").endswith("/artifacts")
    registered = table.locator(f'tr[data-id="{tracked_runs.ids[2]}"]').get_by_test_id("aios-run-model")
    assert registered.inner_text() == f"{tracked_runs.model} v1 · candidate"
    assert registered.get_attribute("href").endswith(f"/runs/{tracked_runs.ids[2]}/artifactPath/model")
    assert row.get_by_test_id("aios-run-model").count() == 0
    screenshot(page, "runs-table.png")


def test_the_tables_comparison_plots_parallel_coordinates_and_a_scatter(runs_page, tracked_runs):
    page = runs_page
    names = tracked_runs.names
    run_row(page, names[5]).wait_for(timeout=60_000)
    page.get_by_test_id("aios-runs-open-table").click()
    table = page.get_by_test_id("aios-runs-table")
    for run_id in (tracked_runs.ids[1], tracked_runs.ids[3]):       # max_depth 3 and 5
        table.locator(f'tr[data-id="{run_id}"]').get_by_test_id("aios-runs-table-select").check()
    compare = table.get_by_test_id("aios-runs-table-compare")
    assert compare.inner_text() == "Compare 2"
    compare.click()

    view = table.get_by_test_id("aios-run-compare")
    view.get_by_test_id("aios-compare-params").wait_for(timeout=30_000)
    assert view.get_by_test_id("aios-compare-params").locator("tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.name)") == ["max_depth"]
    metrics = view.get_by_test_id("aios-compare-metrics")
    # runs side by side in the table's order (newest first): max_depth 5, then 3
    assert metrics.locator('tr[data-name="f1"] td').all_inner_texts() == ["0.6", "0.56"]
    parallel = view.get_by_test_id("aios-compare-parallel")
    assert parallel.locator(".aios-parallel-axis").all_text_contents() == ["max_depth", "auc", "f1"]
    assert parallel.locator("polyline").count() == 2
    scatter = view.get_by_test_id("aios-compare-scatter")
    assert scatter.locator("svg").get_attribute("aria-label") == "f1 against auc for 2 runs"
    assert scatter.locator("circle").count() == 2
    charts = view.locator('[data-testid="aios-compare-chart"]').evaluate_all("c => c.map(x => x.dataset.metric)")
    assert charts == ["auc"]                                        # f1 has one value per run: no "history"
    assert "f1 has one value per run (no history)" in view.get_by_test_id("aios-compare-histories").inner_text()
    links = view.get_by_test_id("aios-run-mlflow")
    assert [h.rsplit("/", 1)[1] for h in links.evaluate_all("a => a.map(x => x.href)")] == [
        tracked_runs.ids[3], tracked_runs.ids[1]]
    screenshot(page, "runs-compare.png")
    page.keyboard.press("Escape")
    table.locator(f'tr[data-id="{tracked_runs.ids[1]}"]').wait_for()
