"""Writers for the demo sources, and the staging folder that makes a run all-or-nothing.

Each table lands in the storage its connector type expects: suppliers in a SQLite
file, purchase orders in a DuckDB file (schema `procurement`), shipments as one
zstd Parquet file per month of `shipped_at`, the external signals and supplier lanes
in a DuckDB file of their own (schema `main`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SQLITE_FILE = "procurement.sqlite"
DUCKDB_FILE = "warehouse.duckdb"
SHIPMENTS_DIR = "shipments"
SIGNALS_FILE = "signals.duckdb"

_SUPPLIERS_DDL = """
CREATE TABLE suppliers (
    supplier_id      TEXT PRIMARY KEY NOT NULL,
    supplier_name    TEXT NOT NULL,
    contact_name     TEXT NOT NULL,
    contact_email    TEXT NOT NULL,
    contact_phone    TEXT,
    street_address   TEXT NOT NULL,
    city             TEXT NOT NULL,
    postal_code      TEXT NOT NULL,
    country          TEXT NOT NULL,
    iban             TEXT NOT NULL,
    region           TEXT NOT NULL,
    size_band        TEXT NOT NULL CHECK (size_band IN ('small', 'medium', 'large')),
    minority_owned   BOOLEAN NOT NULL CHECK (minority_owned IN (0, 1)),  -- 0/1: DuckDB reads it as BIGINT
    onboarded_on     DATE NOT NULL,
    credit_rating    TEXT NOT NULL,
    primary_category TEXT NOT NULL
)
"""

_ORDERS_DDL = """
CREATE SCHEMA procurement;
CREATE TABLE procurement.purchase_orders (
    po_id       VARCHAR PRIMARY KEY,
    supplier_id VARCHAR NOT NULL,
    category    VARCHAR NOT NULL,
    ordered_at  TIMESTAMP NOT NULL,
    quantity    INTEGER NOT NULL,
    unit_price  DECIMAL(12, 2) NOT NULL,
    amount      DECIMAL(14, 2) NOT NULL,
    currency    VARCHAR NOT NULL,
    buyer_email VARCHAR NOT NULL,
    approved    BOOLEAN NOT NULL
);
COMMENT ON TABLE procurement.purchase_orders IS 'Demo purchase orders, one row per order (synthetic).';
COMMENT ON COLUMN procurement.purchase_orders.supplier_id IS 'References suppliers.supplier_id in procurement.sqlite.';
COMMENT ON COLUMN procurement.purchase_orders.amount IS 'quantity * unit_price, in currency.';
COMMENT ON COLUMN procurement.purchase_orders.buyer_email IS 'PII: email of the employee who placed the order.';
"""


def write_suppliers_sqlite(table: pa.Table, path: Path) -> None:
    """Suppliers as a SQLite table; booleans as 0/1 and dates as ISO text, SQLite's conventions."""
    rows = table.to_pylist()
    for row in rows:
        row["minority_owned"] = int(row["minority_owned"])
        row["onboarded_on"] = row["onboarded_on"].isoformat()
    placeholders = ", ".join(f":{name}" for name in table.column_names)
    with contextlib.closing(sqlite3.connect(path)) as con:
        with con:
            con.execute(_SUPPLIERS_DDL)
            con.executemany(f"INSERT INTO suppliers VALUES ({placeholders})", rows)


def write_orders_duckdb(table: pa.Table, path: Path) -> None:
    """Purchase orders as `procurement.purchase_orders` in a fresh DuckDB database file."""
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False})
    try:
        con.execute(_ORDERS_DDL)
        con.register("staged_orders", table)
        con.execute("INSERT INTO procurement.purchase_orders SELECT * FROM staged_orders ORDER BY po_id")
        con.unregister("staged_orders")
        con.execute("CHECKPOINT")
    finally:
        con.close()


_SIGNALS_DDL = """
CREATE TABLE signals (
    week                DATE NOT NULL,
    region              VARCHAR NOT NULL,
    port_congestion     DOUBLE NOT NULL,
    severe_weather      DOUBLE NOT NULL,
    geopolitical_events INTEGER NOT NULL,
    headline            VARCHAR NOT NULL,
    PRIMARY KEY (week, region)
);
CREATE TABLE supplier_lanes (
    supplier_id      VARCHAR PRIMARY KEY,
    origin_region    VARCHAR NOT NULL,
    origin_port      VARCHAR,
    destination_port VARCHAR,
    mode             VARCHAR NOT NULL CHECK (mode IN ('sea', 'road')),
    transit_days     INTEGER NOT NULL
);
COMMENT ON TABLE signals IS 'Weekly external signals per region (synthetic): indices 0-100 and a headline.';
COMMENT ON COLUMN signals.week IS 'Monday of the week the signal describes.';
COMMENT ON COLUMN signals.port_congestion IS 'Port congestion index, 0 (idle) to 100 (gridlock).';
COMMENT ON COLUMN signals.severe_weather IS 'Severe weather index, 0 (calm) to 100 (ports closed).';
COMMENT ON COLUMN signals.geopolitical_events IS 'Geopolitical events reported that week (strikes, customs, sanctions).';
COMMENT ON TABLE supplier_lanes IS 'Inbound lane of each supplier''s goods (synthetic): origin region and port.';
COMMENT ON COLUMN supplier_lanes.supplier_id IS 'References suppliers.supplier_id in procurement.sqlite.';
"""


def write_signals_duckdb(signals: pa.Table, lanes: pa.Table, path: Path) -> None:
    """Weekly signals and supplier lanes as tables `signals` and `supplier_lanes` of a fresh DuckDB file."""
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False})
    try:
        con.execute(_SIGNALS_DDL)
        for name, table, key in (("signals", signals, "week, region"), ("supplier_lanes", lanes, "supplier_id")):
            con.register("staged", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM staged ORDER BY {key}")
            con.unregister("staged")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def write_shipments_parquet(table: pa.Table, folder: Path) -> list[Path]:
    """One `shipments_YYYY_MM.parquet` per month of `shipped_at`; `table` must be sorted by it."""
    folder.mkdir()
    months = table.column("shipped_at").to_numpy().astype("datetime64[M]")
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    ends = np.r_[starts[1:], months.size]
    written = []
    for start, end in zip(starts, ends, strict=False):
        year, month = str(months[start]).split("-")
        path = folder / f"shipments_{year}_{month}.parquet"
        pq.write_table(table.slice(start, end - start), path, compression="zstd",
                       row_group_size=64_000, write_statistics=True)
        written.append(path)
    return written


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(out_dir: Path) -> None:
    """Delete staging and retired folders left by runs killed outright (their process is gone)."""
    if not out_dir.parent.is_dir():
        return
    for kind in ("partial", "retired"):
        prefix = f".{out_dir.name}.{kind}-"
        for candidate in out_dir.parent.glob(prefix + "*"):
            pid_text = candidate.name[len(prefix):].split("-", 1)[0]
            if pid_text.isdigit() and not _pid_alive(int(pid_text)):
                shutil.rmtree(candidate, ignore_errors=True)


@contextlib.contextmanager
def staging_folder(out_dir: Path) -> Iterator[Path]:
    """A fresh sibling folder of `out_dir` to write into; removed if the block raises.

    A sibling (not a system temp folder) keeps the final rename on one file system,
    so publishing is a rename, never a copy.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if staging.exists():  # not published: the caller kept the existing dataset
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, out_dir: Path) -> None:
    """Move a finished staging folder to `out_dir`, replacing (then deleting) an older dataset.

    Readers see the old dataset or the new one, never a mix; between the two renames
    `out_dir` is briefly absent (POSIX has no portable atomic directory swap).
    """
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = out_dir.with_name(f".{out_dir.name}.retired-{os.getpid()}-{secrets.token_hex(4)}")
    out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except BaseException:
        retired.rename(out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)
