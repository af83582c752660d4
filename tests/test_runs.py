"""Run comparison: paged run queries, parameter diffs with metric histories, and the `wb.runs()` widget."""

from __future__ import annotations

import getpass
import json
import re
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest

from aios_workbench.core.errors import NotFound, UsageError, WorkbenchError
from aios_workbench.kernel.ui.catalog_browser import is_missing_endpoint
from aios_workbench.kernel.ui.run_plots import line_plot_svg
from aios_workbench.kernel.ui.runs_browser import RunsBrowser, scope_sentence
from aios_workbench.surfaces.rest.run_routes import compare_arguments, list_arguments
from aios_workbench.tracking import ensure_store, tracking_uri
from aios_workbench.tracking.lineage import dataset_input
from aios_workbench.tracking.runs_query import MAX_COMPARE_RUNS, compare_runs, list_runs
from aios_workbench.workspace import Workspace
from tests.conftest import aios_serve

TOKEN = "runs-test-token"
HOSTILE = "<script>alert('x')</script> & <b>bold</b>"
NOTEBOOK_A, NOTEBOOK_B = "notebooks/a.ipynb", "notebooks/b.ipynb"
RUNS_A, RUNS_B = 20, 10
HISTORY_STEPS = 5


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """A workspace whose MLflow store holds 30 runs in two notebook experiments, made through
    MlflowClient with the tags `wb.run` sets (fast: no provenance scan per run).

    Run i: params alpha = (i % 3) / 10 and seed = i; metric rmse falling over 5 steps to the
    final value 100 - i; check.basics.passed = i % 2; runs 0-2 read sales.orders; run 0 carries
    markup in a parameter."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    from aios_workbench.workspace.scaffold import init_workspace

    ws = Workspace.load(init_workspace(tmp_path_factory.mktemp("runs") / "ws"))
    ensure_store(ws)
    client = MlflowClient(tracking_uri(ws))
    experiments = {nb: client.create_experiment(nb) for nb in (NOTEBOOK_A, NOTEBOOK_B)}
    orders = dataset_input(ws.name, "sales.orders", {"digest": "d1g3st", "rows": 3,
                                                     "schema": [{"name": "id", "type": "BIGINT"}]}, "training")
    base = 1_700_000_000_000
    ids = []
    for i in range(RUNS_A + RUNS_B):
        notebook = NOTEBOOK_A if i < RUNS_A else NOTEBOOK_B
        user = "alice" if i % 2 else "bob"
        run_id = client.create_run(experiments[notebook], start_time=base + i * 1000, run_name=f"run-{i:02d}",
                                   tags={"aios.notebook.path": notebook, "aios.user": user,
                                         "mlflow.user": user}).info.run_id
        params = [Param("alpha", str((i % 3) / 10)), Param("seed", str(i))]
        if i == 0:
            params.append(Param("note", HOSTILE))
        final = 100.0 - i
        metrics = [Metric("rmse", final + (HISTORY_STEPS - 1 - step) * 2.0, base + i * 1000 + step, step)
                   for step in range(HISTORY_STEPS)]
        metrics.append(Metric("check.basics.passed", float(i % 2), base + i * 1000, 0))
        client.log_batch(run_id, metrics=metrics, params=params)
        if i < 3:
            client.log_inputs(run_id, datasets=[orders])
        client.set_terminated(run_id, "FINISHED", end_time=base + i * 1000 + 500)
        ids.append(run_id)
    return SimpleNamespace(ws=ws, ids=ids, root=ws.root)


class DirectClient:
    """Answers the widget's GETs by calling what the REST routes call, with the routes' own argument
    parsing, and a JSON round trip like HTTP's. An adapter for tests before the routes are mounted."""

    def __init__(self, ws):
        self.ws = ws
        self.calls: list[str] = []

    def get(self, endpoint: str) -> dict:
        self.calls.append(endpoint)
        path, _, query_string = endpoint.partition("?")
        query = dict(parse_qsl(query_string))
        if path == "runs":
            result = list_runs(self.ws, **list_arguments(query))
        elif path == "runs/compare":
            result = compare_runs(self.ws, **compare_arguments(query))
        else:
            raise NotFound(f"no endpoint {path}", input=path)
        return json.loads(json.dumps(result, default=str))


def all_pages(ws, **kwargs) -> list[list[dict]]:
    pages, token = [], None
    while True:
        page = list_runs(ws, page_token=token, **kwargs)
        pages.append(page["runs"])
        token = page["next_page_token"]
        if not token:
            return pages


# -- list_runs -------------------------------------------------------------------------------------
def test_paging_returns_every_run_exactly_once(tracked):
    pages = all_pages(tracked.ws, limit=7)

    seen = [r["id"] for page in pages for r in page]
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    assert sorted(seen) == sorted(tracked.ids) and len(set(seen)) == len(seen)
    assert isinstance(list_runs(tracked.ws, limit=7)["next_page_token"], str)   # JSON-safe, as REST sends it
    assert seen == list(reversed(tracked.ids))   # newest first by default


def test_a_run_summary_has_who_where_params_metrics_datasets_and_checks(tracked):
    [first] = list_runs(tracked.ws, filter_string="attributes.run_name = 'run-01'")["runs"]

    assert first["id"] == tracked.ids[1] and first["name"] == "run-01"
    assert first["experiment"] == NOTEBOOK_A and first["notebook"] == NOTEBOOK_A
    assert first["user"] == "alice" and first["status"] == "FINISHED"
    assert first["start_time"].startswith("2023-11-14T22:13:21") and first["end_time"]
    assert first["params"] == {"alpha": "0.1", "seed": "1"}
    assert first["metrics"] == {"rmse": 99.0}     # latest value; check.* metrics live under checks
    assert first["datasets"] == [{"name": "sales.orders", "digest": "d1g3st", "context": "training"}]
    assert first["checks"] == {"status": "pass", "passed": 1, "failed": 0,
                               "items": [{"name": "basics", "passed": True, "status": "pass"}]}


def test_notebook_and_experiment_narrow_the_runs(tracked):
    by_notebook = [r for page in all_pages(tracked.ws, notebook=NOTEBOOK_B, limit=50) for r in page]
    by_experiment = list_runs(tracked.ws, experiment=NOTEBOOK_A, limit=50)["runs"]

    assert {r["id"] for r in by_notebook} == set(tracked.ids[RUNS_A:])
    assert {r["id"] for r in by_experiment} == set(tracked.ids[:RUNS_A])


def test_ordering_by_a_metric(tracked):
    ascending = list_runs(tracked.ws, order_by="metrics.rmse ASC", limit=5)["runs"]
    descending = list_runs(tracked.ws, order_by="metrics.`rmse` DESC", limit=5)["runs"]

    assert [r["metrics"]["rmse"] for r in ascending] == [71.0, 72.0, 73.0, 74.0, 75.0]
    assert [r["metrics"]["rmse"] for r in descending] == [100.0, 99.0, 98.0, 97.0, 96.0]


def test_filter_string_is_anded_with_the_notebook(tracked):
    runs = list_runs(tracked.ws, notebook=NOTEBOOK_A, filter_string="params.alpha = '0.2' and metrics.rmse > 90",
                     limit=50)["runs"]

    assert sorted(r["name"] for r in runs) == ["run-02", "run-05", "run-08"]


def test_bad_queries_say_what_to_fix(tracked):
    with pytest.raises(UsageError, match="MLflow rejected the run search") as bad_filter:
        list_runs(tracked.ws, filter_string="metrics.rmse <<< 3")
    with pytest.raises(UsageError, match="limit must be between 1 and 500"):
        list_runs(tracked.ws, limit=0)
    with pytest.raises(NotFound, match="no MLflow experiment named 'nope'") as unknown:
        list_runs(tracked.ws, experiment="nope")

    assert bad_filter.value.input == "metrics.rmse <<< 3" and bad_filter.value.fix
    assert NOTEBOOK_A in unknown.value.fix


# -- compare_runs ----------------------------------------------------------------------------------
def test_compare_diffs_parameters_and_returns_histories(tracked):
    a, b, c = tracked.ids[0], tracked.ids[3], tracked.ids[4]

    result = compare_runs(tracked.ws, [a, b, c])

    assert [r["id"] for r in result["runs"]] == [a, b, c]
    assert result["params_diff"] == {"alpha": {a: "0.0", b: "0.0", c: "0.1"}, "note": {a: HOSTILE, b: None, c: None},
                                     "seed": {a: "0", b: "3", c: "4"}}
    assert result["params_same"] == 0 and result["metrics"] == ["rmse"]
    assert result["histories"]["rmse"][b] == [[s, 97.0 + (HISTORY_STEPS - 1 - s) * 2.0] for s in range(5)]


def test_compare_thins_long_histories_and_keeps_the_last_point(tracked):
    result = compare_runs(tracked.ws, tracked.ids[:2], metrics=["rmse"], max_points=3)

    assert result["histories"]["rmse"][tracked.ids[1]] == [[0, 107.0], [2, 103.0], [4, 99.0]]


def test_compare_refuses_too_few_too_many_or_unknown_runs(tracked):
    with pytest.raises(UsageError, match="2 to 10 distinct run ids, got 1"):
        compare_runs(tracked.ws, [tracked.ids[0], tracked.ids[0]])
    with pytest.raises(UsageError, match="got 11"):
        compare_runs(tracked.ws, tracked.ids[:MAX_COMPARE_RUNS + 1])
    with pytest.raises(NotFound, match="run 0{32} not found") as unknown:
        compare_runs(tracked.ws, [tracked.ids[0], "0" * 32])
    assert unknown.value.input == "0" * 32


def test_route_arguments_reject_bad_query_strings():
    assert list_arguments({})["limit"] == 50 and list_arguments({})["order_by"] == "start_time DESC"
    assert list_arguments({"filter": "params.a = '1'", "limit": "7"})["filter_string"] == "params.a = '1'"
    for limit in ("0", "501", "ten"):
        with pytest.raises(UsageError, match="limit must be a whole number from 1 to 500"):
            list_arguments({"limit": limit})
    with pytest.raises(UsageError, match="ids must name 2 to 10 distinct runs, got 1"):
        compare_arguments({"ids": "abc"})
    with pytest.raises(UsageError, match="got 11"):
        compare_arguments({"ids": ",".join(str(i) for i in range(11))})
    assert compare_arguments({"ids": "a, b", "metrics": "rmse,"}) == {"run_ids": ["a", "b"], "metrics": ["rmse"]}


# -- the widget ------------------------------------------------------------------------------------
def shown_names(browser: RunsBrowser) -> list[str]:
    return [r["name"] for r in browser.page["runs"]]


def table_html(browser: RunsBrowser) -> str:
    return "".join(c.value for c in browser.table.children if isinstance(getattr(c, "value", None), str))


@pytest.fixture
def browser(tracked):
    return RunsBrowser(DirectClient(tracked.ws), notebook=NOTEBOOK_A, page_size=8)


def test_widget_pages_through_a_notebooks_runs(browser):
    first = shown_names(browser)
    browser.next_page.click()
    second = shown_names(browser)
    browser.next_page.click()
    third = shown_names(browser)

    assert first == [f"run-{i:02d}" for i in range(19, 11, -1)] and len(second) == 8 and len(third) == 4
    assert browser.next_page.disabled and not browser.previous_page.disabled
    assert "Runs 17–20" in browser.status.value
    browser.previous_page.click()
    assert shown_names(browser) == second


def test_clicking_a_metric_header_orders_by_it_and_clicking_again_flips(browser):
    browser.sort_buttons["metrics.`rmse`"].click()
    ascending = shown_names(browser)
    browser.sort_buttons["metrics.`rmse`"].click()

    assert browser.order_by == "metrics.`rmse` DESC"
    assert ascending[0] == "run-19" and shown_names(browser)[0] == "run-00"
    assert browser.sort_buttons["metrics.`rmse`"].description == "rmse ▼"


def test_the_filter_box_takes_mlflow_syntax_and_shows_errors_readably(browser):
    browser.filter.value = "params.alpha = '0.1'"
    assert sorted(shown_names(browser)) == ["run-01", "run-04", "run-07", "run-10", "run-13", "run-16", "run-19"]

    browser.filter.value = "params.alpha === nonsense"
    assert "Cannot load the runs" in browser.message.value and "MLflow rejected the run search" in \
        browser.message.value and 'role="alert"' in browser.message.value


def test_table_cells_are_escaped(browser):
    browser.filter.value = "attributes.run_name = 'run-00'"
    html = table_html(browser)

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "sales.orders" in html and "✓ 0 ✗ 1" in html


def test_selecting_runs_and_comparing_shows_a_params_diff_and_plots(browser, tracked):
    assert browser.compare_button.disabled
    browser.checkboxes[tracked.ids[19]].value = True
    browser.next_page.click()                              # the selection survives paging
    browser.checkboxes[tracked.ids[8]].value = True
    assert not browser.compare_button.disabled and "2 selected" in browser.selection.value

    browser.compare_button.click()

    assert "2 parameters differ, 0 are the same" in browser.comparison.value
    assert re.search(r"<th>seed</th><td>19</td><td>8</td>", browser.comparison.value)
    assert browser.metric_choice.value == ("rmse",)
    assert browser.plots.value.count("<polyline") == 2 and "run-19" in browser.plots.value
    browser.metric_choice.value = ()
    assert "Choose metrics to plot" in browser.plots.value


def test_comparing_a_run_with_markup_escapes_it(browser, tracked):
    browser.filter.value = "metrics.rmse >= 99"
    for box in browser.checkboxes.values():
        box.value = True
    browser.compare()

    assert "&lt;script&gt;" in browser.comparison.value and "<script>" not in browser.comparison.value


def test_line_plot_handles_single_points_and_non_finite_values():
    svg = line_plot_svg("<m>", {"a": [[0, 1.0]], "b": [[0, float("nan")], [1, 2.0], [2, 3.0]]},
                        {"a": "A", "b": "B"}, {"a": "#111", "b": "#222"})

    assert "<circle" in svg and svg.count("<polyline") == 1 and "&lt;m&gt;" in svg and "<m>" not in svg
    assert "No values to plot" in line_plot_svg("x", {"a": []}, {}, {})


# -- over REST -------------------------------------------------------------------------------------
def test_widget_against_a_real_aios_serve(tracked):
    """Enabled once the lead mounts service/run_routes.py; until then the routes answer 404."""
    from mlflow import MlflowClient

    from aios_workbench.kernel.client import ServiceClient

    # runs are private to their readers (service/runs.py): share notebook B's experiment with the admin role
    # the served user holds, and make its runs' owners policy users, so their values may be shown to him
    policy = tracked.root / "governance" / "policy.yaml"
    policy.write_text(policy.read_text().replace("users:\n", "users:\n  alice: {roles: []}\n  bob: {roles: []}\n", 1))
    client = MlflowClient(tracking_uri(tracked.ws))
    client.set_experiment_tag(client.get_experiment_by_name(NOTEBOOK_B).experiment_id, "aios.readers", "role:admin")
    with aios_serve(tracked.root, token=TOKEN, user=getpass.getuser()) as url:
        client = ServiceClient(url, TOKEN)
        try:
            client.get("runs?limit=1")
        except WorkbenchError as exc:
            if is_missing_endpoint(exc):
                pytest.skip("run routes not registered yet")
            raise
        with pytest.raises(WorkbenchError, match="limit must be a whole number") as bad:
            client.get("runs?limit=0")
        assert bad.value.code == "bad_input"

        browser = RunsBrowser(client, notebook=NOTEBOOK_B, page_size=4)
        assert shown_names(browser) == ["run-29", "run-28", "run-27", "run-26"]
        browser.checkboxes[tracked.ids[29]].value = browser.checkboxes[tracked.ids[28]].value = True
        browser.compare_button.click()

    assert "<th>seed</th><td>29</td><td>28</td>" in browser.comparison.value
    assert browser.plots.value.count("<polyline") == 2


# -- whose runs wb.runs() shows, labels, human times ----------------------------------------------
def test_the_widget_says_whose_runs_it_shows_and_how_many_exist_elsewhere(tracked):
    browser = RunsBrowser(DirectClient(tracked.ws), notebook=NOTEBOOK_B, page_size=25)

    assert "Runs of notebook notebooks/b.ipynb: 10 of the 30 runs you may see" in browser.scope.value
    assert "<code>wb.runs(all=True)</code> shows them all" in browser.scope.value
    assert "No runs" not in browser.status.value


def test_an_empty_notebook_never_reads_as_no_runs_at_all(tracked):
    browser = RunsBrowser(DirectClient(tracked.ws), notebook="notebooks/never_ran.ipynb")

    assert browser.page["runs"] == []
    assert ("No run of notebook notebooks/never_ran.ipynb yet; 30 runs of other notebooks exist. "
            "<code>wb.runs(all=True)</code> shows them.") in browser.scope.value
    assert "No run" not in browser.status.value


def test_all_runs_and_scope_sentences():
    assert scope_sentence(None, None, 25, True, None, False) == "Every run you may see: 25+."
    assert scope_sentence("nb.ipynb", None, 3, False, 3, False) == "Runs of notebook nb.ipynb: 3."
    assert scope_sentence("nb.ipynb", None, 3, False, 100, True).startswith(
        "Runs of notebook nb.ipynb: 3 of the 100+ runs you may see.")
    assert "none elsewhere" in scope_sentence("nb.ipynb", None, 0, False, 0, False)


def test_the_scope_notice_uses_jupyterlab_theme_colours(browser):
    style = browser.widget.children[0].value
    notice = re.search(r"\.aios-runs-scope\{([^}]*)\}", style).group(1)

    assert "var(--jp-layout-color2" in notice and "color:var(--jp-ui-font-color1" in notice
    assert 'class="aios-runs-scope"' in browser.scope.value


def test_started_and_duration_are_human(browser):
    html = table_html(browser)

    assert "Tue 14 Nov 2023, 22:13 UTC" in html                    # run-19 started 2023-11-14T22:13:39
    assert "T22:" not in html and "+00:00" not in html
    assert "&lt; 1 s" in html                                      # each run took half a second


def test_same_named_runs_get_labels_that_tell_them_apart():
    from aios_workbench.tracking.run_labels import unique_labels

    runs = [{"id": "a" * 32, "name": "train", "params": {"max_depth": "3", "seed": "1"}},
            {"id": "b" * 32, "name": "train", "params": {"max_depth": "5", "seed": "1"}},
            {"id": "c" * 32, "name": "fit", "params": {}}, {"id": "d" * 32, "name": "fit", "params": {}},
            {"id": "e" * 32, "name": None, "params": {}}]

    assert unique_labels(runs) == {"a" * 32: "train (max_depth=3)", "b" * 32: "train (max_depth=5)",
                                   "c" * 32: "fit · cccccccc", "d" * 32: "fit · dddddddd", "e" * 32: "eeeeeeee"}


def test_a_listing_labels_its_runs_uniquely(tracked):
    runs = list_runs(tracked.ws, limit=50)["runs"]

    assert len({r["label"] for r in runs}) == len(runs)
    assert runs[0]["label"] == "run-29"


def test_comparing_single_valued_metrics_shows_values_not_a_history(browser, tracked):
    from aios_workbench.kernel.ui.run_plots import plots

    result = {"runs": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
              "histories": {"auc": {"a": [[0, 0.8]], "b": [[0, 0.7]]},
                            "loss": {"a": [[0, 1.0], [1, 0.5]], "b": [[0, 2.0], [1, 1.5]]}}}
    html = plots(result, ["auc", "loss"])

    assert html.count("<svg") == 1 and "History of loss" in html and "History of auc" not in html
    assert "auc: one value per run (no history)" in html and "<td>0.8</td>" in html


# -- the dashboard's Experiments page -----------------------------------------------------------------
class PageData:
    """What the Experiments page reads (`DashboardData.runs`, `.model_versions`), answered from the real
    MLflow store with the service's own listing (the dashboard's view adds only the caller's governance)."""

    def __init__(self, ws):
        self.ws = ws

    def runs(self, *, metric=None, descending=True, limit=50, page_token=None, experiment=None):
        order = f"metrics.`{metric}` {'DESC' if descending else 'ASC'}" if metric else "start_time DESC"
        page = list_runs(self.ws, order_by=order, limit=limit, page_token=page_token, experiment=experiment)
        return {**page, "mlflow_ui": "http://127.0.0.1:5000"}

    def model_versions(self):
        return []


# common.table names its Tabulator (`name=`), which Panel 1.9 marks as pending deprecation
@pytest.mark.filterwarnings("ignore:Widget.name is deprecated:PendingDeprecationWarning")
def test_experiments_page_shows_labels_chosen_columns_human_times_and_links(tracked):
    from aios_workbench.surfaces.dashboard.pages.experiments import ExperimentsPage

    page = ExperimentsPage(PageData(tracked.ws))
    board = page._leaderboard()
    frame = board[1].value

    assert page.metric_columns == ["rmse"] and page.param_columns == ["alpha", "note", "seed"]
    assert list(frame.columns) == ["#", "run", "rmse", "param alpha", "param note", "param seed", "links", "status",
                                   "started", "duration", "by", "notebook", "data versions", "checks"]
    best = frame.iloc[0]   # ranked by rmse, highest first: run-00 (100 - 0)
    assert best["run"] == "run-00" and best["rmse"] == 100.0 and best["status"] == "finished"
    assert best["started"] == "Tue 14 Nov 2023, 22:13 UTC"   # as every page writes moments
    assert best["duration"] == "< 1 s" and best["data versions"] == "sales.orders @d1g3st"
    assert best["checks"] == "0 passed, 1 failed"
    assert 'href="http://127.0.0.1:5000/#/experiments/' in best["links"] and tracked.ids[0] in best["links"]
    page.param_columns = ["seed"]
    assert [c for c in page._leaderboard()[1].value.columns if c.startswith("param ")] == ["param seed"]


def test_listing_and_comparison_answer_what_their_models_declare(tracked):
    from aios_workbench.schemas.runs import RunComparison, RunsPage

    page = RunsPage.model_validate({**json.loads(json.dumps(list_runs(tracked.ws, limit=5))),
                                    "mlflow_ui": "http://127.0.0.1:5000"})
    compared = RunComparison.model_validate(json.loads(json.dumps(compare_runs(tracked.ws, tracked.ids[:2]))))

    assert [r.label for r in page.runs] == ["run-29", "run-28", "run-27", "run-26", "run-25"]
    assert {r.label for r in compared.runs} == {"run-00", "run-01"}
