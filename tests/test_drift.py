"""Drift agrees with Evidently 0.7.23 on generated data, and runs through the governed path.

Each scenario builds a reference and a current frame with numpy (seeded), runs our
`drift` over DuckDB (the same data registered as Arrow tables) and Evidently's
`Report([DataDriftPreset(...)], include_tests=True)` on the pandas frames, then asserts:

- the same columns are tested, with the same stat test and the same verdict;
- the same dataset-drift verdict;
- the same statistic within 1e-9 relative (every test is computed exactly: K-S p-values
  as a direct sum of the paths' exit probabilities, so tiny ones keep their digits;
  Wasserstein distances exactly by default). The opt-in histogram Wasserstein
  (`wasserstein="histogram"`) stays within the error bound it reports (proved in
  `drift_stats.wasserstein_from_histogram`), plus 1e-9.
Real-data parity (scikit-learn's and statsmodels' bundled datasets): tests/test_drift_parity.py.
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from aios_workbench.checks.drift import drift

# Evidently 0.7.23 warns while importing (filtered narrowly, nothing else is silenced):
# - its legacy test utils touch `numpy.core` (deprecated in numpy 2);
# - a docstring in evidently/descriptors/text_match.py has an invalid escape sequence;
# - litestar (its UI server dependency) deprecates `Dependency`/`DependencyKwarg`, which evidently uses.
pytestmark = [
    pytest.mark.filterwarnings("ignore:numpy.core is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:invalid escape sequence:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Call to deprecated function 'Dependency':DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Use of deprecated class 'DependencyKwarg':DeprecationWarning"),
]

EXACT_REL, EXACT_ABS = 1e-9, 1e-300   # absolute only for p-values below the normal doubles
TEST_NAMES = {"K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z",
              "Wasserstein distance (normed)": "wasserstein", "Jensen-Shannon distance": "jensenshannon",
              "PSI": "psi"}
TEST_NAMES.update({name: name for name in TEST_NAMES.values()})   # explicit methods keep their short name


@pytest.fixture(scope="module")
def evidently():
    """Evidently's Report and DataDriftPreset, imported once per module (~6 s)."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    return Report, DataDriftPreset


def run_evidently(evidently, ref: pd.DataFrame, cur: pd.DataFrame, overrides: dict) -> dict:
    Report, DataDriftPreset = evidently
    preset = DataDriftPreset(
        per_column_method={k: v["stattest"] for k, v in overrides.items() if "stattest" in v} or None,
        per_column_threshold={k: v["threshold"] for k, v in overrides.items() if "threshold" in v} or None)
    with warnings.catch_warnings():
        # scipy's chisquare divides by a zero expected count when the current data has a category
        # the reference lacks (statistic inf, p-value 0): the behaviour under test, not a defect.
        warnings.filterwarnings("ignore", "divide by zero encountered in divide", RuntimeWarning)
        # numpy's corrcoef of a constant column (Evidently correlates numeric columns for its plots).
        warnings.filterwarnings("ignore", "invalid value encountered in divide", RuntimeWarning)
        snapshot = Report([preset], include_tests=True).run(cur, ref).dict()
    columns = {}
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            columns[config["column"]] = {"stattest": TEST_NAMES[config["method"]], "score": metric["value"],
                                         "threshold": config["threshold"]}
    dataset = None
    for test in snapshot["tests"]:
        if test["name"].startswith("Value Drift for column "):
            columns[test["name"].removeprefix("Value Drift for column ")]["drifted"] = test["status"] == "FAIL"
        elif test["name"].startswith("Share of Drifted Columns"):
            dataset = test["status"] == "FAIL"
    return {"columns": columns, "dataset": dataset}


def run_ours(ref: pd.DataFrame, cur: pd.DataFrame, overrides: dict):
    con = duckdb.connect()
    con.register("ref_table", pa.Table.from_pandas(ref, preserve_index=False))
    con.register("cur_table", pa.Table.from_pandas(cur, preserve_index=False))
    try:
        return drift("ref_table", "cur_table", run_sql=lambda sql: con.execute(sql).to_arrow_table(),
                     overrides=overrides)
    finally:
        con.close()


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def with_nulls(values: np.ndarray, share: float, seed: int) -> np.ndarray:
    values = values.astype(object if values.dtype.kind in "OU" else float)
    values[rng(seed).random(len(values)) < share] = None if values.dtype == object else np.nan
    return values


def cats(r, names, n, p=None):
    return r.choice(np.array(names, dtype=object), n, p=p)


def scenario(name, make_ref, make_cur, overrides=None):
    return pytest.param(make_ref, make_cur, overrides or {}, id=name)


SCENARIOS = [
    scenario("small numeric stable",
             lambda r: {"x": r.normal(0, 1, 500), "y": r.uniform(0, 10, 500)},
             lambda r: {"x": r.normal(0, 1, 700), "y": r.uniform(0, 10, 700)}),
    scenario("small numeric drifted",
             lambda r: {"x": r.normal(0, 1, 400), "y": r.exponential(2, 400)},
             lambda r: {"x": r.normal(0.5, 1, 300), "y": r.exponential(3, 300)}),
    scenario("small categorical stable",
             lambda r: {"c": cats(r, list("abcd"), 600)},
             lambda r: {"c": cats(r, list("abcd"), 800)}),
    scenario("small categorical with a new category",
             lambda r: {"c": cats(r, list("abc"), 300)},
             lambda r: {"c": cats(r, list("abcd"), 300)}),
    scenario("small binary drifted and stable",
             lambda r: {"b": cats(r, ["yes", "no"], 500, [0.5, 0.5]), "s": cats(r, ["u", "v"], 500)},
             lambda r: {"b": cats(r, ["yes", "no"], 500, [0.7, 0.3]), "s": cats(r, ["u", "v"], 500)}),
    scenario("small low-cardinality integers are categorical",
             lambda r: {"i": r.integers(0, 4, 800), "j": r.integers(0, 8, 800)},
             lambda r: {"i": r.integers(0, 4, 900), "j": r.integers(1, 9, 900)}),
    scenario("small low-cardinality floats",
             lambda r: {"f3": r.choice([0.5, 1.5, 2.5], 700), "f2": r.choice([0.0, 1.0], 700),
                        "f5": r.choice([1.0, 2.0, 3.0, 4.0, 5.0], 700)},
             lambda r: {"f3": r.choice([0.5, 1.5, 2.5], 500, p=[0.2, 0.3, 0.5]), "f2": r.choice([0.0, 1.0], 500),
                        "f5": r.choice([1.0, 2.0, 3.0, 4.0, 5.0], 500)}),
    scenario("small reference, large current (K-S asymptotic)",
             lambda r: {"x": r.normal(0, 1, 300)},
             lambda r: {"x": r.normal(0.1, 1, 20_000)}),
    scenario("reference of exactly 1000 values",
             lambda r: {"x": r.normal(0, 1, 1000), "c": cats(r, list("pqrs"), 1000)},
             lambda r: {"x": r.normal(0.05, 1, 1200), "c": cats(r, list("pqrs"), 1200)}),
    scenario("reference of 1001 values",
             lambda r: {"x": r.normal(0, 1, 1001), "c": cats(r, list("pqrs"), 1001)},
             lambda r: {"x": r.normal(0.05, 1, 1200), "c": cats(r, list("pqrs"), 1200)}),
    scenario("nulls bring a large reference under 1000 values",
             lambda r: {"x": with_nulls(r.normal(0, 1, 1100), 0.2, 5), "c": with_nulls(cats(r, list("abc"), 1100), 0.2, 6)},
             lambda r: {"x": with_nulls(r.normal(0.3, 1, 900), 0.1, 7), "c": with_nulls(cats(r, list("abc"), 900), 0.1, 8)}),
    scenario("large numeric stable",
             lambda r: {"x": r.normal(0, 1, 5000), "u": r.uniform(-5, 5, 5000), "g": r.gamma(2, 2, 5000)},
             lambda r: {"x": r.normal(0, 1, 4000), "u": r.uniform(-5, 5, 4000), "g": r.gamma(2, 2, 4000)}),
    scenario("large numeric drifted",
             lambda r: {"x": r.normal(0, 1, 20_000), "l": r.lognormal(0, 1, 20_000), "w": r.normal(0, 1, 20_000)},
             lambda r: {"x": r.normal(0.3, 1, 30_000), "l": r.lognormal(0, 1, 30_000) * 1.5,
                        "w": r.normal(0, 1.6, 30_000)}),
    scenario("large numeric near the Wasserstein threshold",
             lambda r: {"x": r.normal(0, 1, 50_000), "y": r.normal(0, 1, 50_000)},
             lambda r: {"x": r.normal(0.1, 1, 50_000), "y": r.normal(0.098, 1, 50_000)}),
    scenario("large categorical stable and drifted",
             lambda r: {"a": cats(r, [f"k{i}" for i in range(10)], 8000), "b": cats(r, list("xyz"), 8000)},
             lambda r: {"a": cats(r, [f"k{i}" for i in range(10)], 6000),
                        "b": cats(r, list("xyz"), 6000, [0.6, 0.3, 0.1])}),
    scenario("large binary",
             lambda r: {"b": cats(r, ["t", "f"], 3000, [0.4, 0.6])},
             lambda r: {"b": cats(r, ["t", "f"], 3000, [0.55, 0.45])}),
    scenario("large low-cardinality floats and integers",
             lambda r: {"f": r.choice([1.0, 2.0, 4.0, 8.0], 5000), "i": r.integers(0, 8, 5000),
                        "h": r.integers(0, 500, 5000)},
             lambda r: {"f": r.choice([1.0, 2.0, 4.0, 8.0], 5000, p=[0.1, 0.2, 0.3, 0.4]),
                        "i": r.integers(0, 8, 5000), "h": r.integers(50, 550, 5000)}),
    scenario("large with nulls on both sides",
             lambda r: {"x": with_nulls(r.normal(0, 1, 6000), 0.1, 1), "c": with_nulls(cats(r, list("abcde"), 6000), 0.05, 2)},
             lambda r: {"x": with_nulls(r.normal(0.2, 1, 6000), 0.3, 3), "c": with_nulls(cats(r, list("abcde"), 6000), 0.2, 4)}),
    scenario("constant columns",
             lambda r: {"k": np.full(500, 3.0), "s": np.array(["same"] * 500, dtype=object), "x": r.normal(0, 1, 500)},
             lambda r: {"k": np.full(400, 3.0), "s": np.array(["same"] * 400, dtype=object), "x": r.normal(0, 1, 400)}),
    scenario("half the columns drift: dataset drift",
             lambda r: {"a": r.normal(0, 1, 2000), "b": r.normal(0, 1, 2000), "c": cats(r, list("abc"), 2000),
                        "d": cats(r, list("abc"), 2000)},
             lambda r: {"a": r.normal(1, 1, 2000), "b": r.normal(0, 1, 2000),
                        "c": cats(r, list("abc"), 2000, [0.8, 0.1, 0.1]), "d": cats(r, list("abc"), 2000)}),
    scenario("overrides on numeric columns",
             lambda r: {"p": r.normal(0, 1, 3000), "j": r.normal(0, 1, 3000), "k": r.normal(0, 1, 3000),
                        "t": r.normal(0, 1, 3000), "q": r.choice([1.0, 2.0, 3.0, 4.0], 3000)},
             lambda r: {"p": r.normal(0.2, 1, 2500), "j": r.normal(0.1, 1, 2500), "k": r.normal(0.05, 1, 2500),
                        "t": r.normal(0.15, 1, 2500),
                        "q": r.choice([1.0, 2.0, 3.0, 4.0], 2500, p=[0.3, 0.3, 0.2, 0.2])},
             {"p": {"stattest": "psi"}, "j": {"stattest": "jensenshannon", "threshold": 0.05},
              "k": {"stattest": "ks"}, "t": {"threshold": 0.2},
              "q": {"stattest": "psi", "threshold": 0.02}}),
    scenario("overrides on categorical columns",
             lambda r: {"a": cats(r, list("abcdef"), 3000), "b": cats(r, list("ab"), 3000), "c": cats(r, list("abc"), 3000)},
             lambda r: {"a": cats(r, list("abcdef"), 2000, [0.25, 0.15, 0.15, 0.15, 0.15, 0.15]),
                        "b": cats(r, list("ab"), 2000), "c": cats(r, list("abc"), 2000)},
             {"a": {"stattest": "psi"}, "b": {"stattest": "chisquare"}, "c": {"stattest": "z"}}),
    scenario("small-reference overrides",
             lambda r: {"w": r.normal(0, 1, 600), "j": r.normal(0, 1, 600), "c": cats(r, list("abcd"), 600)},
             lambda r: {"w": r.normal(0.2, 1, 700), "j": r.normal(0.1, 1, 700), "c": cats(r, list("abcd"), 700)},
             {"w": {"stattest": "wasserstein"}, "j": {"stattest": "jensenshannon"},
              "c": {"stattest": "jensenshannon", "threshold": 0.02}}),
    scenario("low-cardinality numeric under psi and jensenshannon",
             lambda r: {"p": r.integers(0, 15, 4000).astype(float), "j": r.integers(0, 15, 4000).astype(float)},
             lambda r: {"p": r.integers(2, 17, 4000).astype(float), "j": r.integers(0, 15, 4000).astype(float)},
             {"p": {"stattest": "psi"}, "j": {"stattest": "jensenshannon"}}),
]


@pytest.mark.parametrize(("make_ref", "make_cur", "overrides"), SCENARIOS)
def test_matches_evidently(evidently, make_ref, make_cur, overrides, request):
    seed = sum(map(ord, request.node.callspec.id))
    ref, cur = pd.DataFrame(make_ref(rng(seed))), pd.DataFrame(make_cur(rng(seed + 1)))

    expected = run_evidently(evidently, ref, cur, overrides)
    result = run_ours(ref, cur, overrides)

    ours = {i.name: i for i in result.items if i.name != "dataset drift"}
    assert set(ours) == set(expected["columns"])
    for column, ev in expected["columns"].items():
        item = ours[column]
        assert item.detail["stattest"] == ev["stattest"], column
        assert item.metrics["drifted"] == ev["drifted"], (column, item.metrics, ev)
        assert item.metrics["threshold"] == pytest.approx(ev["threshold"])
        score = item.metrics["statistic"]
        if item.metrics.get("method") == "histogram":
            assert abs(score - ev["score"]) <= item.metrics["wasserstein_error_bound"] + 1e-9, (column, score, ev)
        else:
            assert score == pytest.approx(ev["score"], rel=EXACT_REL, abs=EXACT_ABS), (column, item.metrics, ev)
    dataset = result.items[0]
    assert (dataset.status == "fail") == expected["dataset"]


def test_exact_ks_at_scipy_exact_limit(evidently):
    """Reference 1000 and current 9000 values: scipy's exact mode, matched by our lattice-path computation."""
    r = rng(7)
    ref, cur = pd.DataFrame({"x": r.normal(0, 1, 1000)}), pd.DataFrame({"x": r.normal(0.08, 1, 9000)})
    expected = run_evidently(evidently, ref, cur, {})["columns"]["x"]
    item = run_ours(ref, cur, {}).items[1]
    assert item.metrics["ks_mode"] == "exact"
    assert item.metrics["p_value"] == pytest.approx(expected["score"], rel=EXACT_REL, abs=EXACT_ABS)
    assert item.metrics["drifted"] == expected["drifted"]


def test_histogram_wasserstein_is_an_opt_in_with_its_error_bound(evidently):
    """`wasserstein="histogram"` estimates from the 8192-bin histograms and reports its bound; the default is
    exact (bound 0) and equals scipy's distance to 1e-9."""
    r = rng(11)
    ref = pd.DataFrame({"x": r.normal(0, 1, 20_000), "y": r.normal(0, 1, 20_000)})
    cur = pd.DataFrame({"x": r.normal(0.5, 1, 20_000), "y": r.normal(0.0, 1, 20_000)})
    expected = run_evidently(evidently, ref, cur, {})["columns"]
    con = duckdb.connect()
    con.register("ref_table", pa.Table.from_pandas(ref, preserve_index=False))
    con.register("cur_table", pa.Table.from_pandas(cur, preserve_index=False))
    run = lambda sql: con.execute(sql).to_arrow_table()  # noqa: E731
    exact = {i.name: i for i in drift("ref_table", "cur_table", run_sql=run).items}
    estimated = drift("ref_table", "cur_table", run_sql=run, wasserstein="histogram")
    assert estimated.params["wasserstein"] == "histogram"
    for column in ("x", "y"):
        assert exact[column].metrics["method"] == "exact" and exact[column].metrics["wasserstein_error_bound"] == 0
        assert exact[column].metrics["statistic"] == pytest.approx(expected[column]["score"], rel=1e-9, abs=0)
        item = {i.name: i for i in estimated.items}[column]
        assert item.metrics["method"] == "histogram" and 0 < item.metrics["wasserstein_error_bound"] < 0.01
        assert abs(item.metrics["statistic"] - expected[column]["score"]) <= item.metrics["wasserstein_error_bound"]
        assert item.metrics["drifted"] == expected[column]["drifted"]
    from aios_workbench.core.errors import UsageError

    with pytest.raises(UsageError, match="unknown Wasserstein method 'sorted'") as refused:
        drift("ref_table", "cur_table", run_sql=run, wasserstein="sorted")
    assert "exact" in refused.value.fix


def test_exact_ks_p_values_keep_their_digits_far_below_1e_15(evidently):
    """Two well-separated samples of 600 and 800 values: scipy's exact p-value is about 1e-100; ours agrees
    to 1e-9 (it used to come out as 0, computed as 1 - P(inside))."""
    r = rng(12)
    ref, cur = pd.DataFrame({"x": r.normal(0, 1, 600)}), pd.DataFrame({"x": r.normal(1.6, 1, 800)})
    expected = run_evidently(evidently, ref, cur, {})["columns"]["x"]
    item = run_ours(ref, cur, {}).items[1]
    assert item.metrics["ks_mode"] == "exact" and 0 < expected["score"] < 1e-60
    assert item.metrics["p_value"] == pytest.approx(expected["score"], rel=1e-9, abs=0)


def test_result_shape_and_psi():
    r = rng(3)
    ref = pd.DataFrame({"x": r.normal(0, 1, 5000), "c": cats(r, list("abc"), 5000)})
    cur = pd.DataFrame({"x": r.normal(1, 1, 5000), "c": cats(r, list("abc"), 5000)})
    result = run_ours(ref, cur, {})
    assert result.kind == "drift"
    assert result.inputs["reference"]["rows"] == 5000 and result.inputs["current"]["rows"] == 5000
    x = next(i for i in result.items if i.name == "x")
    c = next(i for i in result.items if i.name == "c")
    assert x.status == "fail" and x.metrics["psi"] > 0.25      # a one-sigma shift is a large PSI
    assert c.status == "pass" and c.metrics["psi"] < 0.01
    assert result.items[0].metrics["share"] == 0.5 and result.status == "fail"
    assert result.to_dict()["items"][0]["name"] == "dataset drift"


def test_bad_inputs_say_what_to_do():
    from aios_workbench.core.errors import UsageError

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x, 'a' AS c FROM range(100)")
    run = lambda sql: con.execute(sql).to_arrow_table()  # noqa: E731
    with pytest.raises(UsageError, match="parenthesised SELECT"):
        drift("t; DROP TABLE t", "t", run_sql=run)
    with pytest.raises(UsageError, match="unknown stattest"):
        drift("t", "t", run_sql=run, overrides={"x": {"stattest": "magic"}})
    with pytest.raises(UsageError, match="needs a numeric column"):
        drift("t", "t", run_sql=run, overrides={"c": {"stattest": "ks"}})
    with pytest.raises(UsageError, match="not in both"):
        drift("t", "t", run_sql=run, columns=["nope"])


def test_impossible_thresholds_and_nothing_to_compare_are_refused():
    from aios_workbench.core.errors import UsageError

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x, 'a' AS c FROM range(100)")
    con.execute("CREATE TABLE u AS SELECT range AS y FROM range(100)")
    run = lambda sql: con.execute(sql).to_arrow_table()  # noqa: E731
    for spec, message in (({"stattest": "psi", "threshold": -0.1}, "is negative"),
                          ({"stattest": "ks", "threshold": 1.5}, "not a p-value between 0 and 1"),
                          ({"stattest": "psi", "threshold": "0.2"}, "is not a number"),
                          ({"stattest": "wasserstein", "threshold": float("inf")}, "not a finite number"),
                          ({"threshold": 2.0}, "not a p-value between 0 and 1")):   # ks, chosen for 100 values
        with pytest.raises(UsageError, match=message) as refused:
            drift("t", "t", run_sql=run, overrides={"x": spec})
        assert "'x'" in str(refused.value) and refused.value.fix
    assert drift("t", "t", run_sql=run, overrides={"x": {"stattest": "psi", "threshold": 0}}).items[1].status == "fail"
    with pytest.raises(UsageError, match="t and u share no column") as refused:
        drift("t", "u", run_sql=run)
    assert "x, c" in str(refused.value) and "y" in str(refused.value)
    with pytest.raises(UsageError, match="list of columns is empty"):
        drift("t", "t", run_sql=run, columns=[])
    con.execute("CREATE TABLE days AS SELECT DATE '2025-01-01' + range::INT AS d FROM range(100)")
    with pytest.raises(UsageError, match=r"no column of days and days can be tested for drift: d \(date32"):
        drift("days", "days", run_sql=run)                  # dates only: nothing compared, so no PASS either


def test_governed_drift_sees_masked_values_only(tmp_path):
    """As `ana` (EU rows only; email hashed, salary masked to null) drift runs on what she may see."""
    from tests.governed_fixtures import RAW_MARKERS, build_governed_workspace, open_governed_service

    service = open_governed_service(build_governed_workspace(tmp_path / "ws"))
    seen: list[pa.Table] = []

    def runner(user):
        def run(sql):
            table = service.queries.run(sql, user=user, surface="check").to_arrow()
            seen.append(table)
            return table
        return run

    try:
        reference = "(SELECT * FROM hr.main.people WHERE id < 4)"
        current = "(SELECT * FROM hr.main.people WHERE id >= 4)"
        as_ana = drift(reference, current, run_sql=runner("ana"), columns=["email", "salary", "region"])
        ana_tables = list(seen)
        as_sam = drift(reference, current, run_sql=runner("sam"), columns=["email", "salary", "region"])
        events = drift("(SELECT * FROM hr.main.events WHERE id < 150000)",
                       "(SELECT * FROM hr.main.events WHERE id >= 150000)", run_sql=runner("ana"))
    finally:
        service.close()

    items = {i.name: i for i in as_ana.items}
    assert as_ana.inputs["reference"]["rows"] + as_ana.inputs["current"]["rows"] == 8   # EU rows only
    assert as_sam.inputs["reference"]["rows"] + as_sam.inputs["current"]["rows"] == 12
    assert items["salary"].status == "error"                  # masked to null: nothing to compare
    assert {i.name: i for i in as_sam.items}["salary"].status != "error"
    assert items["email"].detail["stattest"] == "chisquare"   # 8 distinct hashes, tested as categories
    assert items["region"].detail["stattest"] == "z"          # only EU visible
    dumped = " ".join(str(t.to_pylist()) for t in ana_tables)
    assert not any(marker in dumped for marker in RAW_MARKERS)
    kind = {i.name: i for i in events.items}["kind"]
    assert {k: v for k, v in kind.detail.items() if k != "distribution"} == {
        "stattest": "jensenshannon", "stattest_display": "Jensen-Shannon distance", "kind": "categorical"}
    # the inline plot's categories are what ana sees: hashes, never a raw e-mail address
    assert items["email"].detail["distribution"]["kind"] == "categories"
    assert not any(marker in str(items["email"].detail["distribution"]) for marker in RAW_MARKERS)
    assert kind.status == "pass"


def test_a_small_query_max_rows_does_not_cut_a_checks_own_statements(tmp_path):
    """`query.max_rows` caps answers that leave the service; a drift's histograms and sorted values stay in it
    (only statistics leave), so a small cap must not cut them: before, the statistics came out of a cut-off
    answer, silently wrong. The same drift under a cap of 100 rows and under the default agrees exactly."""
    import yaml

    from tests.governed_fixtures import build_governed_workspace, open_governed_service

    reference = "(SELECT id % 5000 AS v FROM hr.main.events WHERE id < 150000)"
    current = "(SELECT (id * 7) % 5003 AS v FROM hr.main.events WHERE id >= 150000)"
    results = {}
    for cap in (None, 100):
        root = build_governed_workspace(tmp_path / f"ws{cap}")
        if cap:
            config = yaml.safe_load((root / "aios.yaml").read_text())
            config["query"] = {**(config.get("query") or {}), "max_rows": cap}
            (root / "aios.yaml").write_text(yaml.safe_dump(config))
        service = open_governed_service(root)
        try:
            for mode in ("exact", "histogram"):
                found = service.checks.drift("sam", reference, current, wasserstein=mode, record=False)
                results[cap, mode] = [_rounded({"name": i.get("name"), "status": i.get("status"),
                                                "metrics": i.get("metrics")}) for i in found["items"]]
            answer = service.queries.run("SELECT * FROM hr.main.events", user="sam", surface="api").to_arrow()
            assert answer.num_rows == (cap or 300_000)   # answers that leave are still capped
        finally:
            service.close()
    assert results[None, "exact"] == results[100, "exact"]
    assert results[None, "histogram"] == results[100, "histogram"]


def _rounded(value):
    """`value` with its floats to 9 significant digits (DuckDB's parallel sums may differ in the last bits)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value
