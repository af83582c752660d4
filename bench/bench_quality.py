"""A 20-rule quality suite on 10M rows through the governed path vs 20 raw DuckDB queries.

Candidate: `Suite(...).run(governed_runner(queries, user=...))`: a `LIMIT 0`
schema probe per dataset, ONE aggregate statement computing all 20 failing
counts, then one `LIMIT 5` example query per failing rule, every statement
parsed, authorized, rewritten and audited. Baseline: the same 20 rule
aggregates as 20 separate queries on a plain `duckdb.connect()` over
`read_parquet(...)` of the same file (no examples, no governance).
Data and workspace: `bench/governed_data.py` (10M-row Parquet, cached in `.aios/bench/`).

Target (issue): a 20-check quality suite on 10M rows in < 5 s.
"""

from __future__ import annotations

import time

from bench import governed_data as data
from bench.bench_governed_query import raw_connection
from bench.harness import Comparison, benchmark, interleave

BASELINE = "20 raw DuckDB queries, read_parquet"
TARGET_SECONDS = 5.0


def suite():
    from aios_workbench.checks.quality import (
        AcceptedValues,
        Freshness,
        NotNull,
        Range,
        References,
        Regex,
        RowCount,
        SqlPredicate,
        Unique,
    )
    from aios_workbench.checks.suites import Suite

    return Suite(data.BIG_TABLE, name="orders_20", rules=[
        NotNull("id"), Unique("id"), NotNull("customer_email"), NotNull("category"), NotNull("ordered_at"),
        NotNull("amount"),
        AcceptedValues("region", values=["EU", "US", "APAC", "LATAM"]),
        AcceptedValues("category", values=["tools", "parts", "office", "food", "energy", "services"]),
        Range("amount", min=-1000, max=1000), Range("quantity", min=1, max=50), Range("unit_price", min=0, max=100),
        Range("discount", min=0, max=0.3, max_inclusive=False), Range("ordered_at", min="2024-01-01"),
        Regex("customer_email", pattern=r"^customer[0-9]+@example\.com$"),
        RowCount(min=1_000_000),
        Freshness("ordered_at", max_age="100000d"),
        Unique("customer_email", mostly=0.5),                                   # fails: emails repeat
        References("id", dataset=data.SMALL_TABLE, name="id_in_small"),          # fails: most ids are absent
        SqlPredicate("quantity * unit_price >= 0", name="value_not_negative"),
        SqlPredicate("shipped = (id % 3 = 0)", name="shipped_every_third"),
    ])


def raw_statements(queries, suite) -> list[str]:
    """Each rule's own aggregate as one statement over read_parquet (what a hand-written check would run)."""
    from sqlglot import exp

    from aios_workbench.checks.quality import DIALECT, Context, governed_runner

    ctx = Context(suite.name, suite.dataset, governed_runner(queries, user=data.PLAIN_USER, surface="bench"))
    replacements = {exp.table_(*reversed(t.split(".")), quoted=True).sql(DIALECT): data.read_parquet(rows)
                    for t, rows in ((data.BIG_TABLE, data.BIG_ROWS), (data.SMALL_TABLE, data.SMALL_ROWS))}
    statements = []
    for rule in suite.rules:
        ctx.rule = rule.label
        aggregates = rule.aggregates(ctx) or [exp.Count(this=exp.Star())]
        sql = exp.select(*aggregates).from_(ctx.table).sql(DIALECT)
        for quoted, parquet in replacements.items():
            sql = sql.replace(quoted, parquet)
        statements.append(sql)
    return statements


@benchmark("quality suite 20 rules 10M", baseline=BASELINE, repeat=5)
def quality_suite(repeat: int) -> Comparison:
    """20 quality rules over 10M Parquet rows: one governed batch (+ examples) vs 20 raw queries."""
    from aios_workbench.checks.quality import governed_runner

    service = data.local_service()
    checks = suite()
    run_sql = governed_runner(service.queries, user=data.PLAIN_USER, surface="bench")
    statements = raw_statements(service.queries, checks)
    con = raw_connection()
    results = []

    def candidate() -> None:
        results.append(checks.run(run_sql))

    def baseline() -> None:
        for sql in statements:
            con.execute(sql).fetchall()

    try:
        cand, base = interleave(candidate, baseline, repeat=repeat, warmup=1)
    finally:
        con.close()
    last = results[-1]
    failing = [i.name for i in last.items if i.status != "pass"]
    comparison = Comparison("quality suite 20 rules 10M", BASELINE, cand, base)
    comparison.notes.append(f"as `{data.PLAIN_USER}` (grant only); {len(last.items)} rules, failing as designed: "
                            f"{', '.join(failing)} (each adds a LIMIT 5 example query).")
    governed_run = governed_runner(service.queries, user=data.GOVERNED_USER, surface="bench")
    started = time.perf_counter()
    checks.run(governed_run)
    comparison.notes.append(f"as `{data.GOVERNED_USER}` (hash mask + EU row filter): "
                            f"{time.perf_counter() - started:.2f} s, one sample.")
    median = comparison.candidate.median
    comparison.notes.append(f"target < {TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'missed'} "
                            f"({median:.2f} s median).")
    return comparison
