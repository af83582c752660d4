"""Previews: first page without the full query, keyset paging of sorted previews, cursors, row counts.

Real components: the governed fixture workspace (tests/governed_fixtures.py) plus
two tables made here, scanned into the catalog and read through `QueryService`.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
from collections import Counter

import duckdb
import pytest

from aios_workbench.catalog.cursor import encode_cursor
from aios_workbench.catalog.preview import RowCountCache, count_rows, preview
from aios_workbench.core.errors import PermissionDenied, UsageError
from tests.governed_fixtures import (
    EU_ROWS,
    EVENT_ROWS,
    FILTERED_MARKER,
    RAW_MARKERS,
    US_ROWS,
    build_governed_workspace,
    open_governed_service,
)

PAGING_ROWS = 2_003   # a prime: no page size divides it
DUPE_ROWS = 1_000

# ties everywhere: grp has 37 values and NULL every 11th row; exact duplicate rows in `dupes`
PAGING_SQL = f"""
CREATE TABLE paging AS SELECT
    i AS id,
    CASE WHEN i % 11 = 0 THEN NULL ELSE i % 37 END AS grp,
    'label-' || (i % 13) AS label,
    CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 23) / 4.0 END AS amount,
    CAST(round(i % 50, 0) AS DECIMAL(9, 2)) AS price,
    TIMESTAMP '2024-01-01' + to_hours(CAST(i % 29 AS BIGINT)) AS ts,
    DATE '2024-01-01' + CAST(i % 7 AS INTEGER) AS day,
    [i % 3, i % 5] AS tags
FROM range({PAGING_ROWS}) t(i)
"""
DUPES_SQL = f"""
CREATE TABLE dupes AS SELECT
    CASE WHEN i % 9 = 0 THEN NULL ELSE i % 4 END AS grp,
    'v' || (i % 3) AS label
FROM range({DUPE_ROWS}) t(i)
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = build_governed_workspace(tmp_path_factory.mktemp("preview") / "ws")
    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute(PAGING_SQL)
    con.execute(DUPES_SQL)
    con.close()
    svc = open_governed_service(root)
    yield svc
    svc.close()


def all_pages(service, user, dataset, **kwargs) -> list[list[dict]]:
    pages, after = [], None
    while True:
        page = preview(service.queries, user, dataset, after=after, **kwargs)
        pages.append(page.rows)
        assert len(pages) < 10_000, "paging did not end"
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


def governed_rows(service, user, sql) -> list[dict]:
    return service.queries.run(sql, user=user, surface="test").to_arrow().to_pylist()


def as_key(row: dict) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(row.items()))


def assert_sorted_nulls_last(values: list, descending: bool) -> None:
    present = [v for v in values if v is not None]
    nulls = len(values) - len(present)
    assert values[len(present):] == [None] * nulls, "NULLs must come last"
    assert present == sorted(present, reverse=descending)


# -- keyset paging -------------------------------------------------------------------------------

@pytest.mark.parametrize("order_by, descending, page_size", [
    ("grp", False, 13), ("grp", True, 50), ("label", False, 128), ("amount", True, 97),
    ("ts", False, 333), ("price", True, 64), ("day", False, 1000),
])
def test_sorted_paging_returns_every_row_exactly_once(service, order_by, descending, page_size):
    pages = all_pages(service, "sam", "hr.main.paging", order_by=order_by, descending=descending,
                      limit=page_size)

    rows = [r for page in pages for r in page]
    expected = governed_rows(service, "sam", "SELECT * FROM hr.main.paging")
    assert Counter(map(as_key, rows)) == Counter(map(as_key, expected))
    assert len(pages) == math.ceil(PAGING_ROWS / page_size)
    assert all(len(p) == page_size for p in pages[:-1])
    assert_sorted_nulls_last([r[order_by] for r in rows], descending)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("page_size", [7, 10, 64, 333])
def test_identical_rows_are_each_returned_once(service, descending, page_size):
    # `dupes` has no unique column: whole rows repeat up to ~90 times and straddle page boundaries
    rows = [r for page in all_pages(service, "sam", "dupes", order_by="grp", descending=descending,
                                    limit=page_size) for r in page]

    expected = governed_rows(service, "sam", "SELECT * FROM hr.main.dupes")
    assert Counter(map(as_key, rows)) == Counter(map(as_key, expected))
    assert len(rows) == DUPE_ROWS
    assert_sorted_nulls_last([r["grp"] for r in rows], descending)


def test_nulls_sort_last_in_both_directions(service):
    ascending = [r for p in all_pages(service, "sam", "paging", order_by="grp", limit=500) for r in p]
    descending = [r for p in all_pages(service, "sam", "paging", order_by="grp", descending=True, limit=500)
                  for r in p]

    nulls = sum(1 for i in range(PAGING_ROWS) if i % 11 == 0)
    for rows in (ascending, descending):
        assert [r["grp"] for r in rows[-nulls:]] == [None] * nulls
        assert None not in [r["grp"] for r in rows[:-nulls]]
    assert ascending[0]["grp"] == 0 and descending[0]["grp"] == 36


def test_deep_pages_use_a_key_predicate_never_offset(service):
    first = preview(service.queries, "sam", "paging", order_by="grp", limit=100)
    second = preview(service.queries, "sam", "paging", order_by="grp", limit=100, after=first.next_cursor)

    assert "OFFSET" not in first.sql.upper() and "OFFSET" not in second.sql.upper()
    assert re.search(r'WHERE \("grp" >= \d+ OR "grp" IS NULL\) AND', second.sql), second.sql
    assert re.search(r'LIMIT \d+\) AS "page" ORDER BY', second.sql), second.sql


def test_unsorted_preview_pages_through_every_row(service):
    pages = all_pages(service, "sam", "hr.main.paging", limit=250)

    rows = [r for p in pages for r in p]
    assert Counter(map(as_key, rows)) == Counter(
        map(as_key, governed_rows(service, "sam", "SELECT * FROM hr.main.paging")))


# -- the first page does not run the full query ------------------------------------------------------

def test_first_page_pushes_limit_down_and_does_not_sort(service):
    page = preview(service.queries, "ana", "hr.main.events", limit=50)

    assert page.sql == 'SELECT * FROM "hr"."main"."events" LIMIT 51'
    assert page.table.num_rows == 50 and page.next_cursor


def test_first_page_scans_a_fraction_of_the_table(service, tmp_path):
    from aios_workbench.policy.enforce import PolicyEngine
    from aios_workbench.query.rewrite import rewrite

    page = preview(service.queries, "ana", "hr.main.events", limit=50)
    queries = service.queries
    policy = PolicyEngine(queries.policy.current())
    executed = rewrite(page.sql, catalog=queries.catalog(), policy=policy, principal=policy.principal("ana"),
                       builtin_functions=queries.engine.builtin_functions).sql
    copy = tmp_path / "hr.duckdb"
    shutil.copy(service.workspace.root / "hr.duckdb", copy)
    con = duckdb.connect()
    con.execute(f"ATTACH '{copy}' AS hr (READ_ONLY)")

    plan = con.execute(f"EXPLAIN ANALYZE {executed}").fetchall()[0][1]
    con.close()

    # DuckDB may add an ORDER_BY on rowid (late materialization); it never sorts by a column (TOP_N)
    assert "LIMIT" in plan and "TOP_N" not in plan
    scanned = max(int(n.replace(",", "")) for n in re.findall(r"([\d,]+) rows", plan))
    assert scanned < EVENT_ROWS / 10, plan


# -- masks, row filters, identity ----------------------------------------------------------------------

def test_sorting_by_a_masked_column_sorts_by_masked_values(service):
    rows = [r for p in all_pages(service, "ana", "people", order_by="email", limit=3) for r in p]

    masked = [r["email"] for r in rows]
    assert masked == sorted(masked)
    assert len(rows) == EU_ROWS
    raw_order = sorted(range(EU_ROWS), key=lambda i: f"raw.email.{i}@secret.example")
    assert [r["id"] for r in rows] != raw_order
    text = json.dumps(rows)
    assert not any(marker in text for marker in (*RAW_MARKERS, FILTERED_MARKER))


def test_sorting_by_a_redacted_column_falls_back_to_the_tiebreaker(service):
    # raw ssn order is the reverse of id order; redacted, every ssn is '***', so ties break by id
    rows = [r for p in all_pages(service, "ana", "people", order_by="ssn", descending=True, limit=5) for r in p]

    assert {r["ssn"] for r in rows} == {"***"}
    assert [r["id"] for r in rows] == sorted(range(EU_ROWS), reverse=True)


def test_row_filter_applies_to_every_page(service):
    rows = [r for p in all_pages(service, "ana", "people", order_by="id", limit=3) for r in p]
    raw = [r for p in all_pages(service, "sam", "people", order_by="id", limit=3) for r in p]

    assert [r["id"] for r in rows] == list(range(EU_ROWS))
    assert len(raw) == EU_ROWS + US_ROWS


def test_user_without_a_grant_is_refused_and_audited(service):
    with pytest.raises(PermissionDenied):
        preview(service.queries, "otto", "hr.main.people")

    denied = service.audit.query(user="otto", allowed=False, limit=5)
    assert denied and denied[0]["surface"] == "preview"


# -- cursors ----------------------------------------------------------------------------------------------

def test_tampered_cursor_is_a_usage_error(service):
    page = preview(service.queries, "sam", "paging", order_by="label", limit=10)
    body, mac = page.next_cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"][0] = ["str", "x' OR 1=1 --"]
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + mac

    for bad in (forged, page.next_cursor[:-3] + "AAA", "not-a-cursor", "a.b.c", page.next_cursor + "!"):
        with pytest.raises(UsageError, match="cursor is not valid"):
            preview(service.queries, "sam", "paging", order_by="label", limit=10, after=bad)


def test_cursor_is_bound_to_its_user_and_preview(service):
    page = preview(service.queries, "sam", "people", order_by="id", limit=3)

    with pytest.raises(UsageError, match="another user"):
        preview(service.queries, "ana", "people", order_by="id", limit=3, after=page.next_cursor)
    with pytest.raises(UsageError, match="another preview"):
        preview(service.queries, "sam", "people", order_by="name", limit=3, after=page.next_cursor)
    with pytest.raises(UsageError, match="another preview"):
        preview(service.queries, "sam", "people", order_by="id", descending=True, limit=3, after=page.next_cursor)


def test_cursor_values_become_literals_not_sql(service):
    # even a correctly signed cursor carrying SQL in a key value only ever compares against it
    first = preview(service.queries, "sam", "paging", order_by="label", limit=10)
    payload = json.loads(base64.urlsafe_b64decode(first.next_cursor.split(".")[0] + "=="))
    payload["k"][0] = ["str", "label-9' OR 1=1; DROP TABLE paging; --"]
    signed = encode_cursor(service.queries, "sam", payload)

    page = preview(service.queries, "sam", "paging", order_by="label", limit=10, after=signed)

    assert "'label-9'' OR 1=1; DROP TABLE paging; --'" in page.sql
    assert all(r["label"] >= "label-9' OR 1=1; DROP TABLE paging; --" for r in page.rows)
    payload["k"][0] = ["int", 5]  # the wrong kind for a text column
    with pytest.raises(UsageError, match="wrong type"):
        preview(service.queries, "sam", "paging", order_by="label", limit=10,
                after=encode_cursor(service.queries, "sam", payload))


# -- arguments ----------------------------------------------------------------------------------------------

def test_unknown_order_column_names_the_column(service):
    with pytest.raises(UsageError, match="no column 'nope'") as raised:
        preview(service.queries, "sam", "people", order_by="nope")
    assert "email" in raised.value.fix


def test_order_column_is_case_insensitive(service):
    page = preview(service.queries, "sam", "people", order_by="ID", limit=2)
    assert page.order_by == "id" and [r["id"] for r in page.rows] == [0, 1]


@pytest.mark.parametrize("limit", [0, -1, 10_001, 2.5, True])
def test_bad_limit_is_a_usage_error(service, limit):
    with pytest.raises(UsageError, match="limit"):
        preview(service.queries, "sam", "people", limit=limit)


def test_sorting_by_a_nested_column_is_refused(service):
    with pytest.raises(UsageError, match="cannot sort a preview by tags"):
        preview(service.queries, "sam", "paging", order_by="tags")


# -- row counts -------------------------------------------------------------------------------------------------

def test_row_counts_are_cached_per_row_filter(service):
    cache = RowCountCache(ttl=60)
    first = preview(service.queries, "ana", "people", limit=2, counts=cache)
    assert first.row_count is None  # nothing cached, and a row filter applies: no guess

    counted = preview(service.queries, "ana", "people", limit=2, count=True, counts=cache)
    before = len(service.audit.query(user="ana", limit=500))
    again = preview(service.queries, "ana", "people", limit=2, counts=cache)
    after = len(service.audit.query(user="ana", limit=500))
    steward = preview(service.queries, "sam", "people", limit=2, count=True, counts=cache)

    assert (counted.row_count, counted.row_count_source) == (EU_ROWS, "count")
    assert again.row_count == EU_ROWS and after == before + 1  # the page only, no second count
    assert steward.row_count == EU_ROWS + US_ROWS


def test_row_count_cache_expires(service):
    cache = RowCountCache(ttl=0)
    assert count_rows(service.queries, "sam", "people", cache=cache) == EU_ROWS + US_ROWS
    assert preview(service.queries, "sam", "people", limit=1, counts=cache).row_count_source != "count"


def test_page_serialises_to_json(service):
    page = preview(service.queries, "sam", "paging", order_by="ts", limit=5)

    body = json.loads(json.dumps(page.to_dict()))
    assert body["rows"][0]["ts"].startswith("2024-01-01")
    assert [c["name"] for c in body["columns"]][:3] == ["id", "grp", "label"]


def test_a_page_says_what_governance_did_for_this_reader_and_nothing_when_nothing_applied(service):
    analyst = preview(service.queries, "ana", "hr.main.people", limit=2)
    assert re.fullmatch(r"4 columns masked for you \([a-z_, ]+ and [a-z_]+\); you see only rows where "
                        r"region = 'EU'\.", analyst.applied), analyst.applied
    assert analyst.to_dict()["applied"] == analyst.applied

    steward = preview(service.queries, "sam", "hr.main.people", limit=2)   # raw values, every row: say so
    assert steward.applied == "Nothing is masked or filtered for you: you see every row and raw values."
