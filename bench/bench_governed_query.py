"""Governed query vs the same query on raw DuckDB, in one process.

Candidate: `WorkbenchService(mode="local").queries.run(SQL, user=..., surface="bench").to_arrow()`:
parse, authorize, rewrite, run on the locked engine, audit. Baseline: a plain
`duckdb.connect()` (same thread and memory limits as the governed engine)
running the same SQL over `read_parquet(...)` of the same file, `.to_arrow_table()`.
Data and workspace: `bench/governed_data.py` (10M-row Parquet, cached in `.aios/bench/`).

Targets (issue): aggregate over 10M rows with a grant only, ratio <= 1.05;
small queries (point lookup, LIMIT 10), added latency p50 <= 5 ms.
"""

from __future__ import annotations

import statistics
import time

import duckdb

from bench import governed_data as data
from bench.harness import Comparison, benchmark, interleave

BASELINE = "raw DuckDB, read_parquet"
AGGREGATE = "SELECT region, count(*) AS n, avg(amount) AS avg_amount, sum(quantity) AS quantity FROM {table} GROUP BY region"
POINT = "SELECT * FROM {table} WHERE id = 421"
LIMIT = "SELECT * FROM {table} LIMIT 10"
AGGREGATE_RATIO_TARGET = 1.05
SMALL_ADDED_TARGET = 0.005


def raw_connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})  # as GovernedEngine


def governed(sql: str, user: str):
    queries = data.local_service().queries

    def run() -> None:
        table = queries.run(sql, user=user, surface="bench").to_arrow()
        if table.num_rows == 0:
            raise RuntimeError(f"the governed query returned no rows: {sql}")
    return run


def raw(con: duckdb.DuckDBPyConnection, sql: str):
    def run() -> None:
        table = con.execute(sql).to_arrow_table()
        if table.num_rows == 0:
            raise RuntimeError(f"the raw query returned no rows: {sql}")
    return run


def shown(sql: str) -> str:
    for rows in (data.BIG_ROWS, data.SMALL_ROWS):
        sql = sql.replace(data.read_parquet(rows), f"read_parquet('.aios/bench/orders_{rows}/...')")
    return sql


def compare(name: str, governed_sql: str, user: str, raw_sql: str, repeat: int, warmup: int) -> Comparison:
    service = data.local_service()
    con = raw_connection()
    try:
        cand, base = interleave(governed(governed_sql, user), raw(con, raw_sql), repeat=repeat, warmup=warmup)
    finally:
        con.close()
    result = Comparison(name, BASELINE, cand, base)
    result.notes.append(f"`{governed_sql}` as `{user}`; baseline `{shown(raw_sql)}`.")
    if service.queries.engine.failed:
        result.notes.append(f"sources unavailable in the governed engine: {service.queries.engine.failed}")
    return result


@benchmark("governed aggregate 10M, grant only", baseline=BASELINE, repeat=8)
def aggregate_grant_only(repeat: int) -> Comparison:
    """GROUP BY region over 10M Parquet rows, governed (grant, no mask/filter) vs raw DuckDB."""
    sql = AGGREGATE.format(table=data.BIG_TABLE)
    result = compare("governed aggregate 10M, grant only", sql, data.PLAIN_USER,
                     AGGREGATE.format(table=data.read_parquet(data.BIG_ROWS)), repeat, warmup=1)
    verdict = "met" if result.ratio <= AGGREGATE_RATIO_TARGET else "missed"
    result.notes.append(f"target ratio <= {AGGREGATE_RATIO_TARGET}: {verdict} ({result.ratio:.3f}).")
    return result


@benchmark("governed aggregate 10M, mask + row filter", baseline=BASELINE + ", filter by hand", repeat=8)
def aggregate_masked(repeat: int) -> Comparison:
    """The same aggregate as a user with a hash mask and a row filter, vs raw DuckDB with the filter written by hand."""
    sql = AGGREGATE.format(table=data.BIG_TABLE)
    by_hand = AGGREGATE.format(table=f"(SELECT * FROM {data.read_parquet(data.BIG_ROWS)} WHERE region = 'EU')")
    result = compare("governed aggregate 10M, mask + row filter", sql, data.GOVERNED_USER, by_hand,
                     repeat, warmup=1)
    result.baseline = BASELINE + ", filter by hand"
    result.notes.append("the policy keeps region EU (a quarter of the rows) and hashes customer_email; the baseline "
                        "applies the same filter by hand. The aggregate does not read customer_email, so DuckDB "
                        "prunes the mask expression: this measures the row filter and the path's own overhead.")
    return result


def small(name: str, template: str, repeat: int) -> Comparison:
    sql = template.format(table=data.SMALL_TABLE)
    result = compare(name, sql, data.PLAIN_USER, template.format(table=data.read_parquet(data.SMALL_ROWS)),
                     repeat, warmup=5)
    verdict = "met" if result.added <= SMALL_ADDED_TARGET else "missed"
    result.notes.append(f"added p50 {result.added * 1e3:.2f} ms; target <= {SMALL_ADDED_TARGET * 1e3:.0f} ms: {verdict}.")
    result.notes.append(breakdown(sql, data.PLAIN_USER))
    return result


def breakdown(sql: str, user: str, samples: int = 30) -> str:
    """Medians of the governed path's own steps, timed one by one (rewrite, audit append)."""
    from aios_workbench.policy.enforce import PolicyEngine
    from aios_workbench.query.rewrite import rewrite

    queries = data.local_service().queries
    engine = queries.engine

    def timed(fn) -> float:
        runs = []
        for _ in range(samples):
            started = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    def do_rewrite():
        policy = PolicyEngine(queries.policy.current())
        rewrite(sql, catalog=queries.catalog(), policy=policy, principal=policy.principal(user),
                builtin_functions=engine.builtin_functions)

    def do_audit():
        queries.audit.append(user=user, surface="bench", action="query", target=data.SMALL_TABLE, allowed=True,
                             detail={"sql": sql, "datasets": [data.SMALL_TABLE], "rows": 10, "truncated": False})

    return (f"where the added time goes (medians of {samples} isolated calls): policy lookup + parse + rewrite "
            f"{timed(do_rewrite) * 1e3:.2f} ms, audit append (SQLite, hash chain) {timed(do_audit) * 1e3:.2f} ms.")


@benchmark("governed point lookup, 1k rows", baseline=BASELINE, repeat=40)
def point_lookup(repeat: int) -> Comparison:
    """`WHERE id = 421` on a 1,000-row Parquet table, governed vs raw DuckDB."""
    return small("governed point lookup, 1k rows", POINT, repeat)


@benchmark("governed LIMIT 10, 1k rows", baseline=BASELINE, repeat=40)
def limit_ten(repeat: int) -> Comparison:
    """`SELECT * ... LIMIT 10` on a 1,000-row Parquet table, governed vs raw DuckDB."""
    return small("governed LIMIT 10, 1k rows", LIMIT, repeat)
