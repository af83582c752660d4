"""Data and a throwaway workspace for the governed-query and result-transfer benchmarks.

The Parquet files are generated once with DuckDB into `.aios/bench/` (kept
between runs; the file name carries a version, bump it when the generator
changes). The workspace is built fresh in a temporary folder per process run
and removed at exit: a `files` source per file and a policy with two users,

- `bench_plain`: a grant and nothing else (no mask, no row filter): the pure
  cost of the governed path;
- `bench_governed`: the same grant, a hash mask on `customer_email` and a row
  filter `region = {user.region}` (region EU: a quarter of the rows).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".aios" / "bench"
BIG_ROWS = 10_000_000
SMALL_ROWS = 1_000
VERSION = 1

BIG_SOURCE, SMALL_SOURCE = "bench_big", "bench_small"
BIG_TABLE, SMALL_TABLE = f"{BIG_SOURCE}.main.orders", f"{SMALL_SOURCE}.main.orders"
PLAIN_USER, GOVERNED_USER = "bench_plain", "bench_governed"

# Ten columns: a key, the row-filter column, a string the policy masks, and the usual mix of types.
COLUMNS_SQL = """
    i AS id,
    (['EU', 'US', 'APAC', 'LATAM'])[1 + i % 4] AS region,
    'customer' || (i * 7919 % 1000003) || '@example.com' AS customer_email,
    (['tools', 'parts', 'office', 'food', 'energy', 'services'])[1 + (i // 4) % 6] AS category,
    round((hash(i) % 100000) / 100.0, 2) AS amount,
    CAST(1 + hash(i + 1) % 50 AS INTEGER) AS quantity,
    round((hash(i + 2) % 10000) / 100.0, 2) AS unit_price,
    TIMESTAMP '2024-01-01' + to_seconds(CAST(i % 31536000 AS BIGINT)) AS ordered_at,
    i % 3 = 0 AS shipped,
    CAST((hash(i + 3) % 30) AS DOUBLE) / 100 AS discount
"""

POLICY = f"""\
# Throwaway policy of the benchmarks (bench/governed_data.py).
datasets: {{}}
roles:
  plain: {{description: "grant only: no mask, no row filter"}}
  governed: {{description: "hash mask on customer_email, row filter on region"}}
users:
  {PLAIN_USER}:
    roles: [plain]
  {GOVERNED_USER}:
    roles: [governed]
    attributes: {{region: EU}}
grants:
  - {{role: plain, scope: {BIG_SOURCE}}}
  - {{role: plain, scope: {SMALL_SOURCE}}}
  - {{role: governed, scope: {BIG_SOURCE}}}
  - {{role: governed, scope: {SMALL_SOURCE}}}
masks:
  - {{column: {BIG_TABLE}.customer_email, method: hash, unmasked_for: [plain]}}
  - {{column: {SMALL_TABLE}.customer_email, method: hash, unmasked_for: [plain]}}
row_filters:
  - {{dataset: {BIG_TABLE}, predicate: "region = {{user.region}}", exempt_roles: [plain]}}
  - {{dataset: {SMALL_TABLE}, predicate: "region = {{user.region}}", exempt_roles: [plain]}}
"""


def parquet_file(rows: int) -> Path:
    """The cached Parquet file of `rows` rows, generated on first use (atomically)."""
    folder = CACHE / f"orders_{rows}"
    path = folder / f"orders_v{VERSION}.parquet"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".orders_v{VERSION}.parquet.partial"
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")   # DuckDB 1.5 refuses it as a connect() option
        con.execute(f"COPY (SELECT {COLUMNS_SQL} FROM range({rows}) t(i)) TO '{partial}' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 122880)")
    finally:
        con.close()
    partial.replace(path)
    print(f"generated {path} ({rows:,} rows, {path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def read_parquet(rows: int) -> str:
    """The raw baseline's FROM clause for the same data."""
    return f"read_parquet('{parquet_file(rows)}')"


_workspace: Path | None = None


def files_workspace(name: str, sources: dict[str, tuple[Path, str]], policy: str) -> Path:
    """A throwaway workspace (removed at exit) with one `files` source per Parquet file and `policy`,
    already scanned into its catalog. `sources` maps source name -> (file, dataset name)."""
    from aios_workbench.workspace.scaffold import init_workspace

    root = Path(tempfile.mkdtemp(prefix=f"aios-{name}-"))
    atexit.register(shutil.rmtree, root, True)
    init_workspace(root, name=name)
    for source, (path, dataset) in sources.items():
        (root / "connectors" / f"{source}.yaml").write_text(
            f"name: {source}\ntype: files\noptions:\n  path: '{path.parent}'\n  format: parquet\n"
            f"  glob: '{path.name}'\n  dataset: {dataset}\n")
    (root / "governance" / "policy.yaml").write_text(policy)
    _scan(root)
    return root


def service_over(root: Path):
    """A `WorkbenchService(mode="local")` on `root`, closed at exit."""
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    service = WorkbenchService(Workspace.load(root), mode="local")
    service.queries.refresh()
    atexit.register(service.close)
    return service


def workspace() -> Path:
    """The throwaway workspace (built once per process, removed at exit)."""
    global _workspace
    if _workspace is None:
        _workspace = files_workspace("bench", {BIG_SOURCE: (parquet_file(BIG_ROWS), "orders"),
                                               SMALL_SOURCE: (parquet_file(SMALL_ROWS), "orders")}, POLICY)
    return _workspace


def _scan(root: Path) -> None:
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.store import open_store
    from aios_workbench.workspace import Workspace

    ws = Workspace.load(root)
    store = open_store(ws.metadata_url)
    try:
        report = scan_catalog(ws, store)
    finally:
        store.close()
    if report.failed:
        raise RuntimeError(f"the benchmark workspace's scan failed: {report.failed}")


_service = None


def local_service():
    """A `WorkbenchService(mode="local")` over the throwaway workspace, shared by the in-process benchmarks."""
    global _service
    if _service is None:
        _service = service_over(workspace())
    return _service
