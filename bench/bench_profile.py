"""Profile of a 10M-row, 25-column table through the governed path vs DuckDB's SUMMARIZE (raw).

Candidate: `profile(queries, "bench_plain", "bench_wide.main.wide")` (aios_workbench/catalog/profile.py):
a cached count, one wide aggregate (nulls, approx distinct, min/max, mean/std, approx quantiles), one
statement of `histogram` aggregates (20-bin histograms of the numbers, top values of low-cardinality
columns), all through `QueryService.run` (rewrite, locked engine, audit). Baseline: `SUMMARIZE SELECT *
FROM read_parquet(<same file>)` on a plain DuckDB connection with the governed engine's limits
(2 threads, 4 GB): min, max, approx_unique, avg, std, q25/q50/q75, count, null % per column, no
histograms, no top values.

The 25-column Parquet file is generated once into `.aios/bench/wide_10000000/`; the throwaway
workspace (one `files` source, one user with a grant) lives in a temporary folder for the process.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from bench import governed_data as data
from bench.harness import Comparison, benchmark, interleave

ROWS = 10_000_000
VERSION = 1
SOURCE, TABLE = "bench_wide", "bench_wide.main.wide"
USER = "bench_plain"

# 25 columns: keys, integers and floats of several spreads, decimals, dates and timestamps, low- and
# high-cardinality text, booleans, and NULLs in a few.
WIDE_SQL = """
    i AS id,
    (hash(i) % 1000)::INTEGER AS int_1k,
    (hash(i + 1) % 1000000)::BIGINT AS int_1m,
    CASE WHEN i % 10 = 0 THEN NULL ELSE (hash(i + 2) % 100)::SMALLINT END AS int_nulls,
    i % 7 AS weekday,
    (hash(i + 3) % 100000) / 100.0 AS amount,
    (hash(i + 4) % 1000) / 1000.0 AS ratio,
    CASE WHEN i % 4 = 0 THEN NULL ELSE (hash(i + 5) % 5000) / 10.0 END AS score,
    CAST((hash(i + 6) % 1000000) / 100.0 AS DECIMAL(12, 2)) AS price,
    CAST((hash(i + 7) % 10000) / 100.0 AS DECIMAL(6, 2)) AS rate,
    sqrt(CAST(hash(i + 8) % 1000000 AS DOUBLE)) AS root,
    DATE '2020-01-01' + CAST(hash(i + 9) % 2000 AS INTEGER) AS day,
    TIMESTAMP '2024-01-01' + to_seconds(CAST(i % 31536000 AS BIGINT)) AS ts,
    CASE WHEN i % 3 = 0 THEN NULL ELSE TIMESTAMP '2023-01-01' + to_minutes(CAST(hash(i + 10) % 500000 AS BIGINT)) END AS ts_nulls,
    (['EU', 'US', 'APAC', 'LATAM'])[1 + i % 4] AS region,
    (['tools', 'parts', 'office', 'food', 'energy', 'services'])[1 + (i // 4) % 6] AS category,
    'status-' || (hash(i + 11) % 12) AS status,
    'user' || (hash(i + 12) % 2000000) || '@example.com' AS email,
    md5(CAST(i AS VARCHAR)) AS token,
    CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || (i % 50) END AS note,
    'SKU-' || lpad(CAST(hash(i + 13) % 50000 AS VARCHAR), 6, '0') AS sku,
    i % 2 = 0 AS flag,
    CASE WHEN i % 9 = 0 THEN NULL ELSE hash(i + 14) % 3 = 0 END AS flag_nulls,
    (hash(i + 15) % 50)::TINYINT AS small,
    (hash(i + 16) % 100000000000)::BIGINT AS big
"""

POLICY = f"""\
# Throwaway policy of the profile benchmark (bench/bench_profile.py).
roles:
  plain: {{description: "grant only"}}
users:
  {USER}:
    roles: [plain]
grants:
  - {{role: plain, scope: {SOURCE}}}
"""


def parquet_file() -> Path:
    folder = data.CACHE / f"wide_{ROWS}"
    path = folder / f"wide_v{VERSION}.parquet"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".wide_v{VERSION}.parquet.partial"
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"COPY (SELECT {WIDE_SQL} FROM range({ROWS}) t(i)) TO '{partial}' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 122880)")
    finally:
        con.close()
    partial.replace(path)
    print(f"generated {path} ({ROWS:,} rows, {path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    return path


_service = None


def service():
    """A `WorkbenchService(mode="local")` over a throwaway workspace holding only the wide table."""
    global _service
    if _service is None:
        from bench.governed_data import files_workspace, service_over

        _service = service_over(files_workspace("bench-profile", {SOURCE: (parquet_file(), "wide")}, POLICY))
    return _service


@benchmark("profile 10M x 25 vs SUMMARIZE", baseline="raw DuckDB SUMMARIZE", repeat=3)
def profile_vs_summarize(repeat: int) -> Comparison:
    """Governed profile (stats, histograms, top values) of 10M x 25 vs raw `SUMMARIZE` of the same file."""
    from aios_workbench.catalog.preview import RowCountCache
    from aios_workbench.catalog.profile import profile

    queries = service().queries
    counts = RowCountCache(ttl=3600)  # counted in the warm-up round, then cached as in a live service
    last = {}

    def candidate() -> None:
        last["profile"] = profile(queries, USER, TABLE, counts=counts, surface="bench")

    con = duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})  # as GovernedEngine
    summarize = f"SUMMARIZE SELECT * FROM read_parquet('{parquet_file()}')"

    def baseline() -> None:
        if len(con.execute(summarize).fetchall()) != 25:
            raise RuntimeError("SUMMARIZE did not describe 25 columns")

    try:
        cand, base = interleave(candidate, baseline, repeat=repeat, warmup=1)
    finally:
        con.close()
    result = Comparison("profile 10M x 25 vs SUMMARIZE", "raw DuckDB SUMMARIZE", cand, base)
    p = last["profile"]
    histograms = sum(1 for c in p.columns if c.histogram)
    tops = sum(1 for c in p.columns if c.top)
    result.notes.append(
        f"`profile(queries, '{USER}', '{TABLE}')` (approximate: {p.approximate}; {p.statements} statements per "
        f"call with the row count cached; {histograms} histograms, {tops} top-value lists) vs "
        f"`SUMMARIZE SELECT * FROM read_parquet('.aios/bench/wide_{ROWS}/...')` on plain DuckDB (2 threads, 4 GB).")
    return result
