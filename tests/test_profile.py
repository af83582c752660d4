"""Profiles: statistics computed in DuckDB through the governed path, equal to plain DuckDB/numpy on
unmasked columns; a masked column's profile reveals nothing of its values; row filters apply."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import duckdb
import numpy as np
import pytest

from aios_workbench.catalog.preview import RowCountCache
from aios_workbench.catalog.profile import HISTOGRAM_BINS, QUANTILES, profile
from aios_workbench.core.errors import PermissionDenied, UsageError
from tests.governed_fixtures import (
    EU_ROWS,
    FILTERED_MARKER,
    RAW_MARKERS,
    US_ROWS,
    build_governed_workspace,
    open_governed_service,
)

STATS_ROWS = 5_000
STATS_SQL = f"""
CREATE TABLE stats AS SELECT
    CASE WHEN i % 10 = 0 THEN NULL ELSE (hash(i) % 1000)::INTEGER - 300 END AS score,
    (hash(i + 1) % 100000) / 7.0 AS ratio,
    CAST((hash(i + 2) % 10000) / 100.0 AS DECIMAL(8, 2)) AS price,
    DATE '2020-01-01' + CAST(hash(i + 3) % 1500 AS INTEGER) AS day,
    (['red', 'green', 'blue', 'cyan'])[1 + (i * i) % 4] AS colour,
    i % 3 = 0 AS flag,
    'id-' || i AS code
FROM range({STATS_ROWS}) t(i)
"""
MASKED_COLUMNS = {"name": "partial", "email": "hash", "ssn": "redact", "salary": "null"}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = build_governed_workspace(tmp_path_factory.mktemp("profile") / "ws")
    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute(STATS_SQL)
    con.close()
    svc = open_governed_service(root)
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def raw(service, tmp_path_factory):
    """The same data opened with plain DuckDB, no governance: the reference."""
    copy = tmp_path_factory.mktemp("raw") / "hr.duckdb"
    shutil.copy(service.workspace.root / "hr.duckdb", copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield con
    con.close()


def column_values(raw, column: str) -> list:
    return [r[0] for r in raw.execute(f'SELECT "{column}" FROM stats').fetchall()]


# -- exact statistics equal plain DuckDB / numpy -------------------------------------------------

def test_numeric_statistics_equal_numpy(service, raw):
    result = profile(service.queries, "sam", "hr.main.stats")

    assert result.rows == STATS_ROWS and not result.approximate
    for name in ("score", "ratio", "price"):
        values = column_values(raw, name)
        present = np.array([float(v) for v in values if v is not None])
        col = result.column(name)
        assert col.nulls == len(values) - len(present)
        assert col.distinct == len({v for v in values if v is not None})
        assert float(col.min) == present.min() and float(col.max) == present.max()
        assert col.mean == pytest.approx(present.mean())
        assert col.std == pytest.approx(present.std(ddof=1))
        expected = np.quantile(present, QUANTILES)  # linear interpolation, as quantile_cont
        # quantiles of a DECIMAL(8, 2) column come back as DECIMAL(8, 2): cut to the cent
        tolerance = 0.01 if name == "price" else 1e-9
        assert [float(v) for v in col.quantiles.values()] == pytest.approx(list(expected), abs=tolerance)


def test_histograms_equal_numpy_with_right_closed_bins(service, raw):
    result = profile(service.queries, "sam", "hr.main.stats")

    for name in ("score", "ratio", "price"):
        present = np.array([float(v) for v in column_values(raw, name) if v is not None])
        bins = result.column(name).histogram
        edges = [b["low"] for b in bins] + [bins[-1]["high"]]
        assert len(bins) == HISTOGRAM_BINS
        assert edges[0] == present.min() and edges[-1] == pytest.approx(present.max())
        # bin i holds (edges[i], edges[i+1]]; the first also holds the minimum
        expected = np.bincount(np.searchsorted(edges[1:-1], present, side="left"), minlength=HISTOGRAM_BINS)
        assert [b["count"] for b in bins] == list(expected)
        assert sum(b["count"] for b in bins) == len(present)


def test_small_integer_ranges_get_one_bin_per_value(service):
    result = profile(service.queries, "sam", "hr.main.events")

    kind = result.column("kind")
    assert [(b["low"], b["high"]) for b in kind.histogram] == [(k - 0.5, k + 0.5) for k in range(7)]
    assert [b["count"] for b in kind.histogram] == [sum(1 for i in range(300_000) if i % 7 == k) for k in range(7)]


def test_other_types_equal_plain_duckdb(service, raw):
    result = profile(service.queries, "sam", "hr.main.stats")

    day = result.column("day")
    assert (day.min, day.max) == raw.execute("SELECT min(day), max(day) FROM stats").fetchone()
    assert list(day.quantiles.values()) == list(raw.execute(
        f"SELECT quantile_cont(day, {list(QUANTILES)}) FROM stats").fetchone()[0])
    assert day.histogram is None  # histograms are for numbers
    code = result.column("code")
    assert code.distinct == STATS_ROWS and code.top is None  # high cardinality: no top values
    assert (code.min, code.max) == raw.execute("SELECT min(code), max(code) FROM stats").fetchone()


def test_top_values_equal_counter_for_low_cardinality(service, raw):
    result = profile(service.queries, "sam", "hr.main.stats")

    for name in ("colour", "flag"):
        counts = Counter(column_values(raw, name))
        top = result.column(name).top
        assert {t["value"]: t["count"] for t in top} == dict(counts)
        assert [t["count"] for t in top] == sorted(counts.values(), reverse=True)


def test_profile_takes_few_statements(service):
    cache = RowCountCache()
    first = profile(service.queries, "sam", "hr.main.stats", counts=cache)
    second = profile(service.queries, "sam", "hr.main.stats", counts=cache)

    assert first.statements <= 3   # count, one wide aggregate, one for histograms and top values
    assert second.statements == 2  # the count is cached


# -- approximate above the threshold, samples ---------------------------------------------------------

def test_approximate_above_threshold(service, raw):
    result = profile(service.queries, "sam", "hr.main.stats", approximate_above=1_000)

    assert result.approximate
    code = result.column("code")
    assert code.distinct == pytest.approx(STATS_ROWS, rel=0.1)
    exact = raw.execute("SELECT quantile_cont(ratio, 0.5), min(ratio), max(ratio) FROM stats").fetchone()
    median = result.column("ratio").quantiles["p50"]
    assert median == pytest.approx(exact[0], rel=0.05)
    assert (result.column("ratio").min, result.column("ratio").max) == exact[1:]  # min/max stay exact


def test_sample_profiles_fewer_rows(service):
    result = profile(service.queries, "sam", "hr.main.stats", sample=500)

    assert result.profiled_rows == 500 and result.rows == STATS_ROWS
    assert sum(t["count"] for t in result.column("colour").top) == 500


@pytest.mark.parametrize("sample", [0, -5, 1.5, "10%", True])
def test_bad_sample_is_a_usage_error(service, sample):
    with pytest.raises(UsageError, match="sample"):
        profile(service.queries, "sam", "hr.main.stats", sample=sample)


# -- masks and row filters ----------------------------------------------------------------------------------

def test_masked_columns_reveal_only_that_they_are_masked(service):
    result = profile(service.queries, "ana", "hr.main.people").to_dict()

    by_name = {c["name"]: c for c in result["columns"]}
    for name, method in MASKED_COLUMNS.items():
        assert by_name[name] == {"name": name, "masked": True, "mask": method, "rows": EU_ROWS}


def scalars(value) -> list:
    if isinstance(value, dict):
        return [s for v in value.values() for s in scalars(v)]
    if isinstance(value, list):
        return [s for v in value for s in scalars(v)]
    return [value]


def test_profile_leaks_no_raw_value_frequency_or_filtered_row(service):
    body = profile(service.queries, "ana", "hr.main.people").to_dict()
    text = json.dumps(body)
    hashed = [r["email"] for r in service.queries.run("SELECT email FROM hr.main.people", user="ana",
                                                     surface="test").to_arrow().to_pylist()]
    raw_salaries = {50_000 + 1_000 * i for i in range(EU_ROWS + US_ROWS)}

    assert not any(marker in text for marker in (*RAW_MARKERS, FILTERED_MARKER))
    assert not any(h in text for h in hashed)       # not even the masked values or their frequencies
    assert not raw_salaries & {v for v in scalars(body) if isinstance(v, int)}


def test_row_filter_is_respected(service):
    analyst = profile(service.queries, "ana", "hr.main.people")
    steward = profile(service.queries, "sam", "hr.main.people")

    assert analyst.rows == EU_ROWS and steward.rows == EU_ROWS + US_ROWS
    assert analyst.column("id").max == EU_ROWS - 1
    assert analyst.column("region").top == [{"value": "EU", "count": EU_ROWS}]
    assert analyst.column("note").top == [{"value": "visible-row", "count": EU_ROWS}]
    assert not steward.column("email").masked and steward.column("salary").max == 50_000 + 1_000 * 11


def test_user_without_a_grant_is_refused(service):
    with pytest.raises(PermissionDenied):
        profile(service.queries, "otto", "hr.main.people")


def test_the_row_count_says_which_row_filter_made_it(service):
    analyst = profile(service.queries, "ana", "hr.main.people").to_dict()
    assert analyst["row_filter"] == "region = 'EU'"
    assert analyst["rows_label"] == f"{analyst['rows']:,} rows you can see (row filter: region = 'EU')"

    steward = profile(service.queries, "sam", "hr.main.people").to_dict()
    assert steward["row_filter"] is None and steward["rows_label"] == f"{steward['rows']:,} rows"
