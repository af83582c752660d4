"""The explain check ranks features like scikit-learn's permutation importance, on a reproducible
governed sample, and can act as a gate."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from aios_workbench.checks.explain import bar_chart_svg, explain
from aios_workbench.checks.quality import governed_runner
from aios_workbench.checks.result import CheckFailed
from aios_workbench.core.errors import UsageError
from tests.governed_fixtures import EU_ROWS, US_ROWS, build_governed_workspace, open_governed_service

ROWS = 50_000
SAMPLE = 4_000


# ---------------------------------------------------------------- generated data

def generated(seed: int = 7, n: int = ROWS) -> pd.DataFrame:
    """y depends strongly on a, weakly on b, not at all on c."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, n))
    return pd.DataFrame({"a": a, "b": b, "c": c, "y": 3.0 * a + 0.5 * b + rng.normal(scale=0.5, size=n)})


def duckdb_runner(frame: pd.DataFrame):
    """`run_sql` over an in-memory DuckDB holding `frame` as table `data` (the governed path is tested below)."""
    con = duckdb.connect()
    con.register("data", frame)
    return lambda sql: con.execute(sql).to_arrow_table()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return generated()


@pytest.fixture(scope="module")
def model(data):
    # fitted on different rows than the ones explained
    train = generated(seed=99, n=5_000)
    return LinearRegression().fit(train[["a", "b", "c"]], train["y"])


def the_sample(run_sql, columns: str, relation: str, n: int, seed: int) -> pd.DataFrame:
    """The documented sampling statement, written out independently of the implementation."""
    return run_sql(f"SELECT {columns} FROM {relation} USING SAMPLE {n} ROWS (reservoir, {seed})").to_pandas()


def importances(result) -> dict[str, float]:
    return {item.name: item.metrics["importance_mean"] for item in result.items}


# ---------------------------------------------------------------- agreement with scikit-learn

def test_importances_rank_the_strong_feature_first_and_the_irrelevant_one_last(data, model):
    result = explain(model, "data", target="y", run_sql=duckdb_runner(data), sample=SAMPLE)

    assert result.kind == "explain" and result.passed and result.status == "pass"
    assert [item.name for item in result.items] == ["a", "b", "c"]
    assert [item.detail["rank"] for item in result.items] == [1, 2, 3]
    values = importances(result)
    assert values["a"] > 1.0 > values["b"] > 0.01 > abs(values["c"])
    assert all(item.status == "pass" and item.metrics["importance_std"] >= 0 for item in result.items)


def test_importances_equal_sklearn_on_the_same_sample_with_the_same_seed(data, model):
    run_sql = duckdb_runner(data)

    result = explain(model, "data", target="y", run_sql=run_sql, sample=SAMPLE, n_repeats=4, random_state=3)
    sample = the_sample(run_sql, '"a", "b", "c", "y"', "data", SAMPLE, 3)
    direct = permutation_importance(model, sample[["a", "b", "c"]], sample["y"].to_numpy(), n_repeats=4,
                                    random_state=3)

    assert {f: importances(result)[f] for f in "abc"} == dict(zip("abc", direct.importances_mean.tolist(), strict=False))
    stds = {item.name: item.metrics["importance_std"] for item in result.items}
    assert stds == dict(zip("abc", direct.importances_std.tolist(), strict=False))
    assert result.params["baseline_score"] == model.score(sample[["a", "b", "c"]], sample["y"])
    assert result.params["sample_rows"] == len(sample) == SAMPLE
    assert result.params["n_repeats"] == 4 and result.params["scoring"] == "score"


def test_a_classifier_with_a_named_scoring_equals_sklearn(data):
    frame = data.assign(label=(data["y"] > 0).astype(int)).drop(columns="y")
    classifier = LogisticRegression().fit(frame[["a", "b", "c"]], frame["label"])
    run_sql = duckdb_runner(frame)

    result = explain(classifier, "(SELECT a, b, c, label FROM data WHERE a > -2)", target="label",
                     run_sql=run_sql, sample=SAMPLE, scoring="balanced_accuracy", random_state=11)
    sample = the_sample(run_sql, '"a", "b", "c", "label"', "(SELECT a, b, c, label FROM data WHERE a > -2) AS t",
                        SAMPLE, 11)
    direct = permutation_importance(classifier, sample[["a", "b", "c"]], sample["label"].to_numpy(),
                                    scoring="balanced_accuracy", n_repeats=5, random_state=11)

    assert {f: importances(result)[f] for f in "abc"} == dict(zip("abc", direct.importances_mean.tolist(), strict=False))
    assert result.items[0].name == "a" and result.params["scoring"] == "balanced_accuracy"
    assert result.inputs == {"query": {"sql": "(SELECT a, b, c, label FROM data WHERE a > -2)",
                                       "sample_rows": SAMPLE}}


def test_a_model_fitted_without_feature_names_gets_the_listed_columns_in_order(data):
    train = generated(seed=5, n=2_000)
    unnamed = LinearRegression().fit(train[["c", "a"]].to_numpy(), train["y"].to_numpy())

    result = explain(unnamed, "data", target="y", features=["c", "a"], run_sql=duckdb_runner(data), sample=1_000)

    assert [item.name for item in result.items] == ["a", "c"] and result.params["features"] == ["c", "a"]


# ---------------------------------------------------------------- the sample

def test_the_sample_is_reproducible_and_follows_the_seed(data, model):
    run_sql = duckdb_runner(data)

    first = explain(model, "data", target="y", run_sql=run_sql, sample=SAMPLE, random_state=1)
    again = explain(model, "data", target="y", run_sql=run_sql, sample=SAMPLE, random_state=1)
    other = explain(model, "data", target="y", run_sql=run_sql, sample=SAMPLE, random_state=2)

    assert first.items == again.items and first.params == again.params
    assert first.params["baseline_score"] != other.params["baseline_score"]
    assert the_sample(run_sql, "*", "data", SAMPLE, 1).equals(the_sample(run_sql, "*", "data", SAMPLE, 1))
    assert first.params["sql"] == ('SELECT "a", "b", "c", "y" FROM data USING SAMPLE 4000 ROWS (reservoir, 1)')


def test_a_sample_larger_than_the_data_uses_every_row(data, model):
    small = data.head(300)

    result = explain(model, "data", target="y", run_sql=duckdb_runner(small), sample=20_000)

    assert result.params["sample"] == 20_000 and result.params["sample_rows"] == 300
    assert result.inputs == {"data": {"sample_rows": 300}}


# ---------------------------------------------------------------- the gate

def test_a_feature_above_its_max_importance_fails_the_check(data, model):
    run_sql = duckdb_runner(data)

    result = explain(model, "data", target="y", run_sql=run_sql, sample=SAMPLE, max_importance={"a": 0.01, "c": 0.01})

    by_name = {item.name: item for item in result.items}
    assert by_name["a"].status == "fail" and by_name["a"].detail["rule"] == "importance_mean <= 0.01"
    assert by_name["c"].status == "pass" and by_name["b"].status == "pass"
    assert result.status == "fail" and not result.passed
    with pytest.raises(CheckFailed, match="explain check .* failed: a\n"):
        result.raise_on_fail()


def test_a_feature_below_its_min_importance_fails_and_warn_severity_only_warns(data, model):
    result = explain(model, "data", target="y", run_sql=duckdb_runner(data), sample=SAMPLE,
                     min_importance={"A": 0.5, "b": 0.5})

    by_name = {item.name: item for item in result.items}
    assert by_name["a"].status == "pass" and by_name["b"].status == "fail" and by_name["c"].status == "pass"
    assert result.params["min_importance"] == {"a": 0.5, "b": 0.5}
    result.severity = "warn"
    assert result.status == "warn" and result.passed


# ---------------------------------------------------------------- usage errors

@pytest.mark.parametrize("arguments, message", [
    ({"target": "nope"}, "target column 'nope' is not in data"),
    ({"target": "y", "features": ["a", "ghost"]}, "feature column 'ghost' is not in data"),
    ({"target": "y", "features": ["a", "b", "c", "y"]}, "the target 'y' is also listed as a feature"),
    ({"target": "y", "max_importance": {"phantom": 0.1}}, "max_importance feature column 'phantom' is not in data"),
    ({"target": "y", "min_importance": {"a": float("nan")}}, "min_importance of 'a' must be a finite number"),
    ({"target": "y", "features": ["a", "b"]}, "do not match the columns the model was fitted on"),
    ({"target": "y", "sample": 0}, "sample must be a positive integer"),
    ({"target": "y", "scoring": ["r2", "max_error"]}, "one scoring at a time"),
])
def test_bad_arguments_give_a_usage_error_naming_the_input(data, model, arguments, message):
    with pytest.raises(UsageError, match=message) as caught:
        explain(model, "data", run_sql=duckdb_runner(data), **arguments)
    assert caught.value.fix


def test_an_unknown_column_error_lists_the_columns_there_are(data, model):
    with pytest.raises(UsageError) as caught:
        explain(model, "data", target="label", run_sql=duckdb_runner(data))
    assert caught.value.input == "label" and "a, b, c, y" in caught.value.fix


def test_a_relation_that_is_neither_a_name_nor_a_select_is_refused(data, model):
    with pytest.raises(UsageError, match="not a dataset name or a parenthesised SELECT"):
        explain(model, "data; DROP TABLE data", target="y", run_sql=duckdb_runner(data))


# ---------------------------------------------------------------- the chart

def test_the_chart_is_small_valid_svg_with_one_bar_per_feature(data, model):
    result = explain(model, "data", target="y", run_sql=duckdb_runner(data), sample=SAMPLE,
                     max_importance={"a": 0.01})

    svg = bar_chart_svg(result)
    root = ET.fromstring(svg)

    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == "320"
    assert len(svg.encode()) < 20_000
    rects = root.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 3 and rects[0].get("fill") == "#c0392b"   # a fails its gate: red
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] > widths[1] > widths[2]


def test_the_chart_escapes_feature_names_and_stays_small_with_many_features():
    rng = np.random.default_rng(0)
    columns = {"<script>": rng.normal(size=500), **{f"feature_{i:03d}_" + "x" * 60: rng.normal(size=500)
                                                    for i in range(150)}}
    frame = pd.DataFrame(columns)
    frame["y"] = 2 * frame["<script>"] + rng.normal(size=500)
    model = LinearRegression().fit(frame.drop(columns="y"), frame["y"])

    result = explain(model, "data", target="y", run_sql=duckdb_runner(frame), n_repeats=1)
    svg = bar_chart_svg(result, width=400)
    root = ET.fromstring(svg)

    assert result.items[0].name == "<script>"
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<script>" in "".join(root.itertext())
    assert len(svg.encode()) < 20_000 and "+121 more" in svg


def test_the_chart_refuses_other_kinds_of_result(data, model):
    result = explain(model, "data", target="y", run_sql=duckdb_runner(data), sample=500)
    result.kind = "drift"
    with pytest.raises(UsageError, match="draws explain results"):
        bar_chart_svg(result)


# ---------------------------------------------------------------- through the governed query path

@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = open_governed_service(build_governed_workspace(tmp_path_factory.mktemp("explain") / "ws"))
    yield svc
    svc.close()


EVENTS = "(SELECT id % 7 AS mod7, id % 2 AS parity, kind FROM hr.main.events)"


def test_end_to_end_on_governed_events_as_a_user(service):
    train = pd.DataFrame({"mod7": np.arange(700) % 7, "parity": np.arange(700) % 2})
    model = DecisionTreeClassifier(random_state=0).fit(train, train["mod7"])
    run_sql = governed_runner(service.queries, user="ana")

    result = explain(model, EVENTS, target="kind", run_sql=run_sql, sample=5_000, random_state=4)
    sample = the_sample(run_sql, '"mod7", "parity", "kind"', f"{EVENTS} AS t", 5_000, 4)
    direct = permutation_importance(model, sample[["mod7", "parity"]], sample["kind"].to_numpy(), n_repeats=5,
                                    random_state=4)

    assert [item.name for item in result.items] == ["mod7", "parity"]
    assert importances(result) == dict(zip(["mod7", "parity"], direct.importances_mean.tolist(), strict=False))
    assert result.params["baseline_score"] == 1.0 and importances(result)["parity"] == 0.0
    assert result.params["sample_rows"] == 5_000 and result.passed
    record = service.audit.query(user="ana", limit=1)[0]
    assert record["surface"] == "check" and record["allowed"] and record["detail"]["datasets"] == ["hr.main.events"]
    assert "USING SAMPLE 5000 ROWS (reservoir, 4)" in record["detail"]["sql"]
    assert bar_chart_svg(result).startswith("<svg")


def test_a_masked_feature_arrives_masked_and_explains_nothing(service):
    # salary is masked to NULL for analysts and row-filtered to the EU; sam, a steward, sees it raw
    relation = "(SELECT salary, CAST(id >= 5 AS INTEGER) AS senior FROM hr.main.people)"
    train = pd.DataFrame({"salary": [50_000 + 1_000 * i for i in range(12)]})
    model = DecisionTreeClassifier(random_state=0).fit(train, (train["salary"] >= 55_000).astype(int))

    as_sam = explain(model, relation, target="senior", run_sql=governed_runner(service.queries, user="sam"))
    as_ana = explain(model, relation, target="senior", run_sql=governed_runner(service.queries, user="ana"))

    assert as_sam.params["sample_rows"] == EU_ROWS + US_ROWS and as_ana.params["sample_rows"] == EU_ROWS
    assert as_sam.params["baseline_score"] == 1.0 and importances(as_sam)["salary"] > 0.3
    assert importances(as_ana)["salary"] == 0.0


def test_an_unknown_column_on_a_governed_dataset_lists_only_visible_columns(service):
    model = DecisionTreeClassifier().fit(pd.DataFrame({"id": [0, 1]}), [0, 1])
    with pytest.raises(UsageError, match="target column 'secret_label' is not in hr.main.events") as caught:
        explain(model, "hr.main.events", target="secret_label", run_sql=governed_runner(service.queries, user="ana"))
    assert caught.value.fix.endswith("id, kind, label")
