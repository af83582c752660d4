"""The AI OS sidebar's Runs section in JupyterLab, in headless Chromium.

A data scientist opens notebooks/03_train_model.ipynb, finds the runs it tracked in the sidebar
(parameters, metrics, datasets, check status), selects two and compares them: the parameters that
differ, the latest metrics, and a chart per metric history.

The runs are written into the MLflow store of a private copy of the demo workspace with MlflowClient,
carrying exactly the tags, params, metrics, dataset inputs and check metrics `wb.run` logs (training
the model three times would take minutes without testing anything more of the sidebar).
"""

from __future__ import annotations

import json
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

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
    now = int(time.time() * 1000)
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
            metrics.append(Metric("check.shipments_basics.passed", 1.0 if depth != 5 else 0.0, now, 0))
            client.log_inputs(run_id, datasets=[shipments])
        client.log_batch(run_id, metrics=metrics, params=params)
        client.set_terminated(run_id, "FINISHED", end_time=now + i * 1000 + 800)
        names[depth] = name
        ids.append(run_id)
    return SimpleNamespace(names=names, ids=ids)


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
