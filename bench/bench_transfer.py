"""Result transfer service -> kernel: 1M rows x 10 columns as Arrow IPC over HTTP, into polars.

Candidate: `aios serve --user bench_plain` (a subprocess, token from AIOS_TOKEN)
on the throwaway workspace of `bench/governed_data.py`; this process is the
kernel: `ServiceClient(url, token).query_arrow(SQL)` then `polars.from_arrow`.
Baseline: in-process DuckDB, `con.execute(same SQL over read_parquet).pl()`.
Throughput is `table.nbytes` (the Arrow result) per second, for both sides.

Target (issue #18): the service path reaches >= 85% of in-process throughput, i.e.
a time ratio candidate/baseline <= 1.18 (issue #17's was 50%). The route streams
each record batch as it is fetched (the next one is fetched and encoded while
this one is sent, and sent without copies); the client's reader reads each batch
once, into the buffer it then lives in.
"""

from __future__ import annotations

import json
import secrets
import statistics
import time
import urllib.request

import duckdb
import pyarrow as pa

from bench import governed_data as data
from bench.bench_status import aios_cli
from bench.harness import Comparison, benchmark, interleave
from bench.servers import HOST, Endpoint, free_port, running

ROWS = 1_000_000
SQL = f"SELECT * FROM {{table}} LIMIT {ROWS}"
BASELINE = "in-process DuckDB .pl()"
THROUGHPUT_TARGET = 0.85


def mb_per_s(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6


@benchmark("transfer 1M x 10 service -> kernel", baseline=BASELINE, repeat=6)
def transfer(repeat: int) -> Comparison:
    """`ServiceClient.query_arrow` + `polars.from_arrow` from `aios serve`, vs in-process DuckDB `.pl()`."""
    import polars as pl

    from aios_workbench.kernel.client import ServiceClient

    root = data.workspace()
    governed_sql = SQL.format(table=data.BIG_TABLE)
    raw_sql = SQL.format(table=data.read_parquet(data.BIG_ROWS))
    port, token = free_port(), secrets.token_urlsafe(32)
    args = [aios_cli(), "--workspace", str(root), "serve", "--host", HOST, "--port", str(port),
            "--user", data.PLAIN_USER]
    status = Endpoint(port, "/aios/api/status", {"Authorization": f"Bearer {token}"})
    client = ServiceClient(f"http://{HOST}:{port}", token, timeout=120)
    con = duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})
    sizes: dict[str, int] = {}

    def candidate() -> None:
        table = client.query_arrow(governed_sql, surface="bench")
        frame = pl.from_arrow(table)
        sizes["candidate"] = table.nbytes
        if frame.height != ROWS:
            raise RuntimeError(f"the service returned {frame.height} rows, expected {ROWS}")

    def baseline() -> None:
        frame = con.execute(raw_sql).pl()
        if frame.height != ROWS:
            raise RuntimeError(f"in-process DuckDB returned {frame.height} rows, expected {ROWS}")

    with running(args, status, env={"AIOS_TOKEN": token}):
        cand, base = interleave(candidate, baseline, repeat=repeat, warmup=1)
        phases = profile(client, port, token, governed_sql)
    # the baseline's bytes, counted as the candidate's: the Arrow table DuckDB hands over (outside the timing)
    sizes["baseline"] = con.execute(raw_sql).to_arrow_table().nbytes
    con.close()

    result = Comparison("transfer 1M x 10 service -> kernel", BASELINE, cand, base)
    cand_mbs = mb_per_s(sizes["candidate"], result.candidate.median)
    base_mbs = mb_per_s(sizes["baseline"], result.reference.median)
    share = 1 / result.ratio
    verdict = "met" if share >= THROUGHPUT_TARGET else "missed"
    result.notes.append(f"`{governed_sql}` as `{data.PLAIN_USER}` (grant only); result {sizes['candidate'] / 1e6:.0f} MB "
                        f"as Arrow from the service, {sizes['baseline'] / 1e6:.0f} MB from in-process DuckDB (`table.nbytes` of the "
                        "Arrow table, before polars).")
    result.notes.append(f"throughput (medians): service -> kernel {cand_mbs:.0f} MB/s, in-process {base_mbs:.0f} MB/s; "
                        f"service reaches {share:.0%} of in-process (per-round median); "
                        f"target >= {THROUGHPUT_TARGET:.0%}: {verdict}.")
    result.notes.append(phases)
    return result


def profile(client, port: int, token: str, sql: str, samples: int = 3) -> str:
    """Where the service path's time goes: the same query timed in stages (medians)."""
    import polars as pl

    def median_of(fn) -> tuple[float, object]:
        runs, value = [], None
        for _ in range(samples):
            started = time.perf_counter()
            value = fn()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs), value

    def http_bytes() -> bytes:
        request = urllib.request.Request(f"http://{HOST}:{port}/aios/api/sql", method="POST",
                                         data=json.dumps({"sql": sql, "surface": "bench"}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()

    in_process = data.local_service().queries
    governed, _ = median_of(lambda: in_process.run(sql, user=data.PLAIN_USER, surface="bench").to_arrow())
    fetch, body = median_of(http_bytes)
    decode, table = median_of(lambda: pa.ipc.open_stream(pa.py_buffer(body)).read_all())
    convert, _ = median_of(lambda: pl.from_arrow(table))
    streamed, _ = median_of(lambda: client.query_arrow(sql, surface="bench"))
    return (f"stages (medians of {samples}): governed query in-process, no HTTP (`queries.run().to_arrow()`) "
            f"{governed * 1e3:.0f} ms; HTTP POST, whole body read as bytes {fetch * 1e3:.0f} ms "
            f"({len(body) / 1e6:.0f} MB IPC, {table.num_rows:,} rows in {len(table.to_batches())} batches); "
            f"IPC decode from memory {decode * 1e3:.0f} ms; polars.from_arrow {convert * 1e3:.0f} ms; "
            f"`query_arrow` (IPC read straight off the urllib response) {streamed * 1e3:.0f} ms.")
