"""The independent PII test set (tests/oracles/pii_columns/) as the scan meets it: one place for the test of
its per-class floors and the classification benchmark."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

ORACLE = Path(__file__).parent / "oracles" / "pii_columns"


def tables() -> list[str]:
    return sorted(p.stem for p in (ORACLE / "tables").glob("*.parquet"))


def labels() -> list[dict]:
    return json.loads((ORACLE / "labels.json").read_text())


def half(table: str) -> str:
    """The deterministic split: DEV when the table name's sha256 starts with an even byte, else HELD-OUT."""
    return "dev" if hashlib.sha256(table.encode()).digest()[0] % 2 == 0 else "held-out"


def oracle_catalog(names: list[str] | None = None, *, copies: int = 1, config: dict | None = None):
    """A DuckDB connection with an in-memory `oracle` catalog holding one view per table (per copy, named
    TABLE_N when `copies` > 1), and its listing as the scan builds it: [(schema, name, kind, columns)]."""
    con = duckdb.connect(config=config or {})
    con.execute("ATTACH ':memory:' AS oracle")
    for copy in range(copies):
        for name in names or tables():
            path = str(ORACLE / "tables" / f"{name}.parquet").replace("'", "''")
            view = f"{name}_{copy}" if copies > 1 else name
            con.execute(f"CREATE VIEW oracle.main.\"{view}\" AS SELECT * FROM read_parquet('{path}')")
    rows = con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                       "WHERE database_name = 'oracle' ORDER BY table_name, column_index").fetchall()
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        by_table.setdefault(table, []).append((column, data_type))
    return con, [("main", t, "view", cols) for t, cols in by_table.items()]


CLASSES = ("pii.person_name", "pii.email", "pii.phone", "pii.date_of_birth", "pii.address", "pii.national_id",
           "pii.iban", "pii.ip_address", "pii.payment_card")


def classify_oracle(names: list[str] | None = None) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> tags, the way `aios catalog scan` finds them."""
    from aios_workbench.catalog import classify  # lazy: the detector only when classifying

    con, listing = oracle_catalog(names)
    try:
        verdicts = classify.classify_listing(con, "oracle", listing)
    finally:
        con.close()
    return {(t, c): {v.tag for v in found} for (_, t), per in verdicts.items() for c, found in per.items()}


def scores(found: dict[tuple[str, str], set[str]], part: str | None = None) -> dict[str, tuple[int, int, int]]:
    """Per class: (true positives, false positives, false negatives) of `found` against the labels, on the
    whole set or on one half ("dev", "held-out")."""
    counts = {c: [0, 0, 0] for c in CLASSES}
    for r in labels():
        if part is not None and half(r["table"]) != part:
            continue
        got = found.get((r["table"], r["column"]), set()) & set(CLASSES)
        want = set(r["labels"]) & set(CLASSES)
        for tag in got & want:
            counts[tag][0] += 1
        for tag in got - want:
            counts[tag][1] += 1
        for tag in want - got:
            counts[tag][2] += 1
    return {c: (tp, fp, fn) for c, (tp, fp, fn) in counts.items()}
