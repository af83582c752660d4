"""Sorted previews of a 10M-row table: keyset paging vs OFFSET, both through the governed path.

Candidate: `preview(queries, "bench_plain", "bench_big.main.orders", order_by="id", after=cursor, limit=50)`
(aios_workbench/catalog/preview.py): the next page is `WHERE (id >= v OR id IS NULL) AND
create_sort_key(...) >= <last key> ORDER BY <key> LIMIT ...`, so DuckDB prunes Parquet row groups
by their min/max. Baseline: the same sorted page by `ORDER BY id, <every column> LIMIT 50 OFFSET n`
through the same `QueryService.run(...).to_arrow()` (rewrite, locked engine, audit), the approach
previews take elsewhere. Data: `bench/governed_data.py` (10M rows, sorted by id on disk; the catalog
knows no unique column, so the tiebreaker is every column on both sides).

Target (issue): first page and a deep page (page 1000) <= 50 ms each.
"""

from __future__ import annotations

import time

from bench import governed_data as data
from bench.harness import Comparison, benchmark, interleave

PAGE = 50
DEEP_PAGE = 1_000
TARGET = 0.050
USER = data.PLAIN_USER
BASELINE = "governed ORDER BY ... LIMIT/OFFSET"


def _queries():
    return data.local_service().queries


def _columns() -> list[str]:
    entry = _queries().catalog().resolve(tuple(data.BIG_TABLE.split(".")))
    return [c.name for c in entry.columns]


def offset_sql(offset: int) -> str:
    rest = ", ".join(f'"{c}"' for c in _columns() if c != "id")
    return f"SELECT * FROM {data.BIG_TABLE} ORDER BY id, {rest} LIMIT {PAGE} OFFSET {offset}"


def cursor_before(row: int) -> str:
    """The cursor a reader holds after paging through `row` rows, made in one step: the sort key of
    row `row` - 1 is read once (one OFFSET query, untimed) instead of walking `row / 50` pages."""
    from aios_workbench.catalog.cursor import CURSOR_VERSION, encode_cursor, tag_value
    from aios_workbench.catalog.preview import governed, key_columns, sort_key, tag_sort_key

    queries = _queries()
    g = governed(queries, USER, data.BIG_TABLE, as_user=None, surface="bench")
    columns = key_columns(g, g.column("id"))
    key = sort_key(columns, False).sql("duckdb")
    order = ", ".join(f'"{c.name}"' for c in columns)
    sql = f"SELECT id, {key} AS k FROM {data.BIG_TABLE} ORDER BY {order} LIMIT 1 OFFSET {row - 1}"
    last = queries.run(sql, user=USER, surface="bench").to_arrow().to_pylist()[0]
    return encode_cursor(queries, g.identity, {"v": CURSOR_VERSION, "d": g.entry.full_name, "o": "id",
                                               "desc": False, "m": "key",
                                               "k": [tag_value("int", last["id"]), tag_sort_key(last["k"])], "n": 1})


def keyset(after: str | None, first_id: int):
    from aios_workbench.catalog.preview import preview

    queries = _queries()

    def run() -> None:
        page = preview(queries, USER, data.BIG_TABLE, order_by="id", after=after, limit=PAGE, surface="bench")
        if page.table.num_rows != PAGE or page.table.column("id")[0].as_py() != first_id:
            raise RuntimeError(f"the keyset page starts at the wrong row: {page.table.column('id')[0]}")
    return run


def offset(n: int, first_id: int):
    queries = _queries()
    sql = offset_sql(n)

    def run() -> None:
        table = queries.run(sql, user=USER, surface="bench").to_arrow()
        if table.num_rows != PAGE or table.column("id")[0].as_py() != first_id:
            raise RuntimeError("the OFFSET page starts at the wrong row")
    return run


def verdict(result: Comparison) -> str:
    met = "met" if result.candidate.median <= TARGET else "missed"
    return f"target median <= {TARGET * 1e3:.0f} ms: {met} ({result.candidate.median * 1e3:.1f} ms)."


@benchmark("preview 10M sorted, first page", baseline=BASELINE, repeat=15)
def first_page(repeat: int) -> Comparison:
    """First page of a preview sorted by id, 10M rows, governed: keyset (no cursor) vs OFFSET 0."""
    cand, base = interleave(keyset(None, 0), offset(0, 0), repeat=repeat, warmup=2)
    result = Comparison("preview 10M sorted, first page", BASELINE, cand, base)
    result.notes.append(f"`preview(order_by='id', limit={PAGE})` as `{USER}` vs `{offset_sql(0)}`; "
                        "the first page has no predicate, so both are the same Top-N plus the preview's "
                        "sort-key column and cursor.")
    result.notes.append(verdict(result))
    return result


@benchmark("preview 10M sorted, page 1000", baseline=BASELINE, repeat=15)
def deep_page(repeat: int) -> Comparison:
    """Page 1000 (rows 49,951-50,000) of a preview sorted by id, 10M rows, governed: keyset vs OFFSET."""
    row = (DEEP_PAGE - 1) * PAGE
    after = cursor_before(row)
    cand, base = interleave(keyset(after, row), offset(row, row), repeat=repeat, warmup=2)
    result = Comparison("preview 10M sorted, page 1000", BASELINE, cand, base)
    result.notes.append(f"keyset page after row {row:,} vs `... OFFSET {row}`; same rows checked on both sides.")
    result.notes.append(verdict(result))
    result.notes.append(far_page())
    return result


def far_page(row: int = 5_000_000) -> str:
    """One untimed-by-the-harness look much deeper, where OFFSET has to skip half the table."""
    after = cursor_before(row)
    timings = {}
    for name, fn in (("keyset", keyset(after, row)), ("OFFSET", offset(row, row))):
        fn()  # warm
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
        timings[name] = sorted(samples)[1]
    return (f"deeper, page {row // PAGE + 1:,} (after row {row:,}; medians of 3): keyset "
            f"{timings['keyset'] * 1e3:.1f} ms, OFFSET {timings['OFFSET'] * 1e3:.1f} ms.")
