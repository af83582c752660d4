"""The fairness check agrees with fairlearn, decides by its thresholds, and runs on the governed path."""

from __future__ import annotations

import json
import math
from functools import partial

import duckdb
import numpy as np
import pandas as pd
import pytest

from aios_workbench.checks.fairness import DEFAULT_THRESHOLDS, METRICS, fairness
from aios_workbench.core.errors import UsageError
from tests.governed_fixtures import EU_ROWS, US_ROWS, build_governed_workspace, open_governed_service

TOLERANCE = 1e-9
GROUP_RATES = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")


# ---------------------------------------------------------------- generated predictions

def predictions(seed: int, n: int, groups: dict[str, float], *, labels=(0, 1), positives_by_group=None,
                second_feature: list | None = None) -> pd.DataFrame:
    """Binary labels and predictions whose base and selection rates differ by group.

    `groups` maps a group to its share of rows; `positives_by_group` overrides a group's
    share of actual positives (0.0 makes a group with no positives)."""
    rng = np.random.default_rng(seed)
    names = list(groups)
    group = rng.choice(names, size=n, p=np.array(list(groups.values())) / sum(groups.values()))
    base = {g: (positives_by_group or {}).get(g, 0.2 + 0.6 * i / max(1, len(names) - 1)) for i, g in enumerate(names)}
    truth = rng.random(n) < np.vectorize(base.get)(group)
    # predictions: right most of the time, with a group-dependent error rate
    error = np.vectorize(lambda g: 0.1 + 0.05 * names.index(g))(group)
    pred = np.where(rng.random(n) < error, ~truth, truth)
    negative, positive = labels
    frame = pd.DataFrame({"group": group, "y_true": np.where(truth, positive, negative),
                          "y_pred": np.where(pred, positive, negative)})
    if second_feature is not None:
        frame["band"] = rng.choice(second_feature, size=n)
    return frame


def duckdb_runner(frame: pd.DataFrame):
    """`run_sql` over an in-memory DuckDB holding `frame` as table `preds` (the governed path is tested below)."""
    con = duckdb.connect()
    con.register("preds", frame)
    return lambda sql: con.execute(sql).to_arrow_table()


def fairlearn_reference(frame: pd.DataFrame, sensitive: list[str], pos_label) -> tuple[pd.DataFrame, dict]:
    """fairlearn's per-group table (observed groups only) and its dataset-level metrics on the same data."""
    from fairlearn import metrics as fm
    from sklearn.metrics import accuracy_score

    features = frame[sensitive] if len(sensitive) > 1 else frame[sensitive[0]]
    frame_metrics = {
        "selection_rate": partial(fm.selection_rate, pos_label=pos_label),
        "true_positive_rate": partial(fm.true_positive_rate, pos_label=pos_label),
        "false_positive_rate": partial(fm.false_positive_rate, pos_label=pos_label),
        "accuracy": accuracy_score,
    }
    mf = fm.MetricFrame(metrics=frame_metrics, y_true=frame["y_true"], y_pred=frame["y_pred"],
                        sensitive_features=features)
    # fairlearn's disparity functions take no pos_label (they assume 1): give them the same labels as 0/1
    y_true = (frame["y_true"] == pos_label).astype(int)
    y_pred = (frame["y_pred"] == pos_label).astype(int)
    dataset = {name: getattr(fm, name)(y_true, y_pred, sensitive_features=features) for name in METRICS}
    dataset["overall"] = mf.overall
    return mf.by_group.dropna(how="all"), dataset


def same(ours, theirs) -> bool:
    if ours is None or (isinstance(ours, float) and math.isnan(ours)):
        return bool(np.isnan(theirs))
    return abs(ours - float(theirs)) <= TOLERANCE


SCENARIOS = {
    "two balanced groups, 0/1 labels": dict(
        frame=lambda: predictions(1, 4_000, {"a": 0.5, "b": 0.5}), sensitive=["group"], pos_label=1),
    "five imbalanced groups, one without positives": dict(
        frame=lambda: predictions(2, 20_000, {"g1": 0.70, "g2": 0.20, "g3": 0.06, "g4": 0.03, "g5": 0.01},
                                  positives_by_group={"g4": 0.0}),
        sensitive=["group"], pos_label=1),
    "intersectional: string x integer feature": dict(
        frame=lambda: predictions(3, 10_000, {"x": 0.6, "y": 0.3, "z": 0.1}, second_feature=[1, 2, 3]),
        sensitive=["group", "band"], pos_label=1),
    "string labels with pos_label": dict(
        frame=lambda: predictions(4, 6_000, {"north": 0.8, "south": 0.15, "east": 0.05},
                                  labels=("denied", "approved")),
        sensitive=["group"], pos_label="approved"),
    "integer labels 2/7 with pos_label 7": dict(
        frame=lambda: predictions(5, 6_000, {"p": 0.3, "q": 0.3, "r": 0.4}, labels=(2, 7),
                                  positives_by_group={"r": 0.0}),
        sensitive=["group"], pos_label=np.int64(7)),
    "a group whose actual labels are all positive (FPR 0/0)": dict(
        frame=lambda: predictions(6, 3_000, {"a": 0.5, "b": 0.5}, positives_by_group={"b": 1.0}),
        sensitive=["group"], pos_label=1),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_group_and_dataset_metric_equals_fairlearn(scenario):
    spec = SCENARIOS[scenario]
    frame = spec["frame"]()

    result = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive=spec["sensitive"],
                      run_sql=duckdb_runner(frame), pos_label=spec["pos_label"])
    by_group, dataset = fairlearn_reference(frame, spec["sensitive"], spec["pos_label"])

    ours = {tuple(g["group"].values()): g for g in result.params["groups"]}
    expected_keys = {key if isinstance(key, tuple) else (key,) for key in by_group.index}
    assert set(ours) == expected_keys
    sizes = frame.groupby(spec["sensitive"]).size()
    for key, row in by_group.iterrows():
        group = ours[key if isinstance(key, tuple) else (key,)]
        assert group["count"] == sizes[key]
        for rate in GROUP_RATES:
            assert same(group[rate], row[rate]), (key, rate, group[rate], row[rate])
    for name in METRICS:
        assert same(result.params["metrics"][name], dataset[name]), (name, result.params["metrics"][name],
                                                                     dataset[name])
    for rate in GROUP_RATES:
        assert same(result.params["overall"][rate], dataset["overall"][rate])
    assert result.params["group_count"] == len(by_group) and result.inputs["preds"]["rows"] == len(frame)


def test_a_group_without_positives_has_tpr_zero_and_is_named_in_the_item():
    frame = SCENARIOS["five imbalanced groups, one without positives"]["frame"]()

    result = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(frame))

    g4 = next(g for g in result.params["groups"] if g["group"] == {"group": "g4"})
    assert g4["tp"] + g4["fn"] == 0 and g4["true_positive_rate"] == 0.0
    item = next(i for i in result.items if i.name == "equalized_odds_difference")
    assert item.detail["groups_without_positives"] == [{"group": "g4"}]
    assert item.status == "fail" and item.detail["rate"] == "true_positive_rate"


def test_no_selection_in_any_group_makes_the_ratio_undefined_like_fairlearn():
    frame = predictions(7, 2_000, {"a": 0.5, "b": 0.5})
    frame["y_pred"] = 0

    result = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(frame))
    _, dataset = fairlearn_reference(frame, ["group"], 1)

    assert np.isnan(dataset["demographic_parity_ratio"]) and result.params["metrics"]["demographic_parity_ratio"] is None
    item = next(i for i in result.items if i.name == "demographic_parity_ratio")
    assert item.status == "warn" and item.metrics["value"] is None and "undefined" in item.detail["note"]
    json.dumps(result.to_dict(), allow_nan=False)


# ---------------------------------------------------------------- thresholds

@pytest.fixture(scope="module")
def unfair():
    """Three groups with clearly different selection rates and error rates."""
    return predictions(8, 8_000, {"a": 0.5, "b": 0.3, "c": 0.2})


def test_default_thresholds_give_one_item_per_metric_with_value_threshold_and_direction(unfair):
    result = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(unfair))

    assert [i.name for i in result.items] == list(DEFAULT_THRESHOLDS)
    for item in result.items:
        assert item.metrics["threshold"] == DEFAULT_THRESHOLDS[item.name]
        assert item.metrics["value"] == result.params["metrics"][item.name]
        assert item.detail["direction"] == METRICS[item.name]
    assert result.kind == "fairness" and result.status == "fail" and not result.passed
    assert len(json.dumps(result.to_dict(), allow_nan=False)) < 5_000   # small, and valid JSON for the ledger


def test_thresholds_decide_pass_and_fail_on_either_side_of_the_value(unfair):
    run_sql = duckdb_runner(unfair)
    values = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=run_sql).params["metrics"]
    around = {name: (values[name] + 1e-6, values[name] - 1e-6) for name in METRICS}
    loose = {n: (above if METRICS[n] == "max" else below) for n, (above, below) in around.items()}
    strict = {n: (below if METRICS[n] == "max" else above) for n, (above, below) in around.items()}

    passing = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=run_sql, thresholds=loose)
    failing = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=run_sql, thresholds=strict)

    assert [i.status for i in passing.items] == ["pass"] * len(METRICS) and passing.passed
    assert [i.status for i in failing.items] == ["fail"] * len(METRICS) and not failing.passed
    assert passing.raise_on_fail() is passing


def test_a_threshold_of_none_drops_that_metric_and_others_keep_their_defaults(unfair):
    result = fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(unfair),
                      thresholds={"demographic_parity_ratio": None, "equal_opportunity_difference": 0.5},
                      name="loan model")

    assert {i.name for i in result.items} == {"demographic_parity_difference", "equalized_odds_difference",
                                              "equal_opportunity_difference"}
    assert result.name == "loan model" and result.params["thresholds"]["equal_opportunity_difference"] == 0.5


def test_an_unknown_metric_in_thresholds_lists_the_known_ones(unfair):
    with pytest.raises(UsageError, match="unknown fairness metric 'parity'") as caught:
        fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(unfair),
                 thresholds={"parity": 0.1})
    assert "demographic_parity_difference" in caught.value.fix


# ---------------------------------------------------------------- clear errors

@pytest.mark.parametrize("argument", ["y_true", "y_pred", "sensitive"])
def test_an_unknown_column_is_named_with_the_columns_to_choose_from(unfair, argument):
    columns = {"y_true": "y_true", "y_pred": "y_pred", "sensitive": "group", argument: "nope"}

    with pytest.raises(UsageError, match=f"{argument} column 'nope' is not in preds") as caught:
        fairness("preds", run_sql=duckdb_runner(unfair), **columns)
    assert "group, y_pred, y_true" in caught.value.fix


def test_labels_with_more_than_two_values_are_refused_naming_the_columns_and_the_fix(unfair):
    frame = unfair.assign(y_pred=unfair["y_pred"] + (unfair.index % 10 == 0))   # some 2s

    with pytest.raises(UsageError, match=r"labels in 'y_true' and 'y_pred' are not binary: .* hold 0, 2") as caught:
        fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(frame))
    assert "CASE WHEN" in caught.value.fix and "pos_label" in caught.value.fix


def test_a_pos_label_absent_from_two_labels_is_refused():
    frame = predictions(9, 500, {"a": 0.5, "b": 0.5}, labels=("No", "Yes"))

    with pytest.raises(UsageError, match=r"pos_label='yes' they hold 'No', 'Yes'"):
        fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(frame),
                 pos_label="yes")


def test_a_pos_label_of_the_wrong_type_is_refused(unfair):
    with pytest.raises(UsageError, match="pos_label='1' does not match y_true column 'y_true' of type int64"):
        fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(unfair),
                 pos_label="1")


def test_null_labels_and_null_groups_are_refused_with_a_fix():
    frame = predictions(10, 500, {"a": 0.5, "b": 0.5}).astype({"y_true": "float64", "group": "object"})
    frame.loc[3, "y_true"] = None

    with pytest.raises(UsageError, match="y_true column 'y_true' has 1 NULL values") as caught:
        fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(frame))
    assert "IS NOT NULL" in caught.value.fix

    frame.loc[3, "y_true"] = 1.0
    frame.loc[5, "group"] = None
    with pytest.raises(UsageError, match="sensitive column 'group' has NULL values") as caught:
        fairness("preds", y_true="y_true", y_pred="y_pred", sensitive="group", run_sql=duckdb_runner(frame))
    assert "coalesce" in caught.value.fix


def test_a_relation_that_is_neither_a_name_nor_a_parenthesised_select_is_refused(unfair):
    with pytest.raises(UsageError, match="not a dataset name or a parenthesised SELECT"):
        fairness("preds; DROP TABLE preds", y_true="y_true", y_pred="y_pred", sensitive="group",
                 run_sql=duckdb_runner(unfair))


# ---------------------------------------------------------------- through the governed query path

@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = open_governed_service(build_governed_workspace(tmp_path_factory.mktemp("fairness") / "ws"))
    yield svc
    svc.close()


PEOPLE = "(SELECT region, id % 2 AS approved, CAST(id >= 3 AS INTEGER) AS predicted FROM hr.main.people)"


def governed(service, user: str):
    return lambda sql: service.queries.run(sql, user=user, surface="check").to_arrow()


def test_the_check_runs_as_the_user_and_respects_the_row_filter(service):
    as_ana = fairness(PEOPLE, y_true="approved", y_pred="predicted", sensitive="region", run_sql=governed(service, "ana"))
    as_sam = fairness(PEOPLE, y_true="approved", y_pred="predicted", sensitive="region", run_sql=governed(service, "sam"))

    # ana's row filter keeps region EU only; sam (steward) is exempt and sees both regions
    assert [(g["group"], g["count"]) for g in as_ana.params["groups"]] == [({"region": "EU"}, EU_ROWS)]
    assert [(g["group"], g["count"]) for g in as_sam.params["groups"]] == [
        ({"region": "EU"}, EU_ROWS), ({"region": "US"}, US_ROWS)]
    assert as_ana.inputs["query"]["rows"] == EU_ROWS and as_sam.inputs["query"]["rows"] == EU_ROWS + US_ROWS
    assert as_ana.params["metrics"]["demographic_parity_difference"] == 0.0 and as_ana.passed
    record = service.audit.query(user="ana", limit=1)[0]
    assert record["surface"] == "check" and record["allowed"] and record["detail"]["datasets"] == ["hr.main.people"]


def test_column_masks_apply_to_the_checks_inputs(service):
    # salary is masked to NULL for analysts, so ana cannot derive predictions from it; sam can
    relation = "(SELECT region, id % 2 AS approved, CAST(salary > 54000 AS INTEGER) AS predicted FROM hr.main.people)"

    with pytest.raises(UsageError, match="y_pred column 'predicted' has 8 NULL values"):
        fairness(relation, y_true="approved", y_pred="predicted", sensitive="region", run_sql=governed(service, "ana"))
    as_sam = fairness(relation, y_true="approved", y_pred="predicted", sensitive="region",
                      run_sql=governed(service, "sam"))
    assert as_sam.params["group_count"] == 2


def test_on_300k_governed_rows_the_check_equals_fairlearn_on_the_same_rows(service):
    # kind = id % 7: even kinds have no actual positives, so TPR is 0 there
    relation = "(SELECT kind, CAST(kind % 2 AS INTEGER) AS y_true, CAST(id % 3 = 0 AS INTEGER) AS y_pred FROM hr.main.events)"

    result = fairness(relation, y_true="y_true", y_pred="y_pred", sensitive="kind", run_sql=governed(service, "ana"))
    frame = governed(service, "ana")(f"SELECT * FROM {relation} AS t").to_pandas()
    _, dataset = fairlearn_reference(frame, ["kind"], 1)

    assert result.params["group_count"] == 7 and result.inputs["query"]["rows"] == len(frame) == 300_000
    for name in METRICS:
        assert same(result.params["metrics"][name], dataset[name]), name


def test_an_unknown_column_on_a_governed_dataset_lists_only_visible_columns(service):
    with pytest.raises(UsageError, match="y_true column 'approved' is not in hr.main.people") as caught:
        fairness("hr.main.people", y_true="approved", y_pred="id", sensitive="region", run_sql=governed(service, "ana"))
    assert "region" in caught.value.fix
