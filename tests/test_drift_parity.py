"""Drift agrees with Evidently 0.7.23 and scipy on real data shipped inside PyPI packages.

The data: scikit-learn's bundled datasets (diabetes, wine, breast cancer, iris, digits) and
statsmodels' (RAND health insurance experiment, Fair's affairs survey), all read from files
inside the installed wheels (no download). Each reference/current pair is split on a real
attribute (sex, class, diagnosis, plan, health, children), so some columns drift strongly
(K-S p-values down to 1e-80 and below) and some barely; two pairs split on row parity, where
nothing should drift.

Column by column we require Evidently's stat test, threshold and verdict exactly, the dataset
verdict exactly, and the statistic within 1e-9 relative; K-S p-values and Wasserstein distances
are also checked against scipy's `ks_2samp` and `wasserstein_distance` on the same values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.test_drift import evidently, pytestmark, run_evidently, run_ours  # noqa: F401  (fixture, marks)

REL = 1e-9
TINY = 1e-300   # below the normal doubles p-values lose digits in scipy too: compared absolutely there


def _sklearn(name: str) -> pd.DataFrame:
    datasets = pytest.importorskip("sklearn.datasets")
    return getattr(datasets, f"load_{name}")(as_frame=True).frame


def _statsmodels(name: str) -> pd.DataFrame:
    datasets = pytest.importorskip("statsmodels.datasets")
    return getattr(datasets, name).load_pandas().data


def _split(frame: pd.DataFrame, reference_rows, drop: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame.drop(columns=list(drop))
    mask = np.asarray(reference_rows, dtype=bool)
    return frame[mask].reset_index(drop=True), frame[~mask].reset_index(drop=True)


def _pairs():
    """(reference, current) pairs, built lazily so a missing package skips only its pairs."""
    def diabetes_by_sex():
        d = _sklearn("diabetes")
        return _split(d, d["sex"] > 0, drop=("sex",))

    def diabetes_by_row_parity():
        d = _sklearn("diabetes")
        return _split(d, np.arange(len(d)) % 2 == 0)

    def wine_class_0_vs_1():
        d = _sklearn("wine")
        d = d[d["target"] < 2]
        return _split(d, d["target"] == 0, drop=("target",))

    def breast_cancer_by_diagnosis():
        d = _sklearn("breast_cancer")
        return _split(d, d["target"] == 1, drop=("target",))

    def iris_setosa_vs_rest():
        d = _sklearn("iris")
        return _split(d, d["target"] == 0, drop=("target",))

    def digits_low_vs_high():
        d = _sklearn("digits")
        return _split(d, d["target"] < 5, drop=("target",))

    def randhie_by_plan():
        d = _statsmodels("randhie")
        return _split(d, d["idp"] == 0, drop=("idp",))

    def randhie_poor_health_vs_rest():   # 302 vs 19,888 rows: K-S in scipy's asymptotic mode
        d = _statsmodels("randhie")
        return _split(d, d["hlthp"] == 1, drop=("hlthp",))

    def randhie_by_row_parity():
        d = _statsmodels("randhie")
        return _split(d, np.arange(len(d)) % 2 == 0)

    def fair_by_children():
        d = _statsmodels("fair")
        return _split(d, d["children"] > 0, drop=("children",))

    return [diabetes_by_sex, diabetes_by_row_parity, wine_class_0_vs_1, breast_cancer_by_diagnosis,
            iris_setosa_vs_rest, digits_low_vs_high, randhie_by_plan, randhie_poor_health_vs_rest,
            randhie_by_row_parity, fair_by_children]


def _close(ours: float, theirs: float) -> bool:
    if abs(theirs) < TINY:
        return abs(ours - theirs) < TINY
    return math.isclose(ours, theirs, rel_tol=REL, abs_tol=0.0)


@pytest.mark.parametrize("make_pair", _pairs(), ids=lambda f: f.__name__)
def test_statistics_and_verdicts_match_evidently_and_scipy(evidently, make_pair):  # noqa: F811
    from scipy.stats import ks_2samp, wasserstein_distance

    ref, cur = make_pair()
    expected = run_evidently(evidently, ref, cur, {})
    result = run_ours(ref, cur, {})

    ours = {i.name: i for i in result.items if i.name != "dataset drift"}
    assert set(ours) == set(expected["columns"])
    mismatches = []
    for column, ev in expected["columns"].items():
        item = ours[column]
        got = (item.detail["stattest"], item.metrics["threshold"], item.metrics["drifted"])
        if got != (ev["stattest"], ev["threshold"], ev["drifted"]) or not _close(item.metrics["statistic"], ev["score"]):
            mismatches.append((column, got, item.metrics["statistic"], ev))
            continue
        a, b = ref[column].dropna().to_numpy(float), cur[column].dropna().to_numpy(float)
        if item.detail["stattest"] == "ks":
            p = ks_2samp(a, b).pvalue
            assert _close(item.metrics["p_value"], p), (column, item.metrics, p)
        elif item.detail["stattest"] == "wasserstein":
            assert item.metrics["method"] == "exact"
            w = wasserstein_distance(a, b) / max(np.std(a), 0.001)
            assert _close(item.metrics["statistic"], w), (column, item.metrics, w)
    assert not mismatches, mismatches
    assert (result.items[0].status == "fail") == expected["dataset"]


def test_the_pairs_cover_tiny_p_values_exact_and_asymptotic_ks_and_wasserstein(evidently):  # noqa: F811
    """The pairs exercise what the issue found wrong: K-S p-values far below 1e-15 (exact and asymptotic
    mode) and Wasserstein distances on references above 1000 values, drifted and not."""
    seen = {"exact_tiny": 0, "asymp_tiny": 0, "wasserstein_drift": 0, "wasserstein_stable": 0}
    for make_pair in _pairs():
        ref, cur = make_pair()
        for item in run_ours(ref, cur, {}).items[1:]:
            m = item.metrics
            if item.detail.get("stattest") == "ks" and m["p_value"] < 1e-15:
                seen["exact_tiny" if m["ks_mode"] == "exact" else "asymp_tiny"] += 1
            if item.detail.get("stattest") == "wasserstein":
                seen["wasserstein_drift" if m["drifted"] else "wasserstein_stable"] += 1
    assert all(seen.values()), seen
