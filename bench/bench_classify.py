"""PII discovery: the scan's classification (`classify.classify_listing`: sampling plus every detector) vs a
plain DuckDB read of the same samples (`classify.sample_table` only), on issue #19's oracle
(tests/oracles/pii_columns: 96 tables, 1,243 labelled columns). Notes carry the per-class precision, recall
and F1 on the oracle's DEV half (tables whose name's sha256 starts with an even byte) and HELD-OUT half.
Targets: 35 tables x ~12 columns classified under 5 s; a 10,000-column catalog under 2 minutes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path

import duckdb

from bench.harness import Comparison, benchmark, interleave

ORACLE = Path(__file__).resolve().parent.parent / "tests" / "oracles" / "pii_columns"
CLASSES = ("pii.person_name", "pii.email", "pii.phone", "pii.date_of_birth", "pii.address", "pii.national_id",
           "pii.iban", "pii.ip_address", "pii.payment_card")


def _connect(tables: list[str], copies: int = 1):
    """An in-memory `oracle` catalog with one view per table (per copy), and its listing as the scan builds it."""
    con = duckdb.connect(config={"threads": 1, "memory_limit": "512MB"})   # as the scan's connection
    con.execute("ATTACH ':memory:' AS oracle")
    for copy in range(copies):
        for t in tables:
            path = str(ORACLE / "tables" / f"{t}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW oracle.main.\"{t}_{copy}\" AS SELECT * FROM read_parquet('{path}')")
    rows = con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                       "WHERE database_name = 'oracle' ORDER BY table_name, column_index").fetchall()
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        by_table.setdefault(table, []).append((column, data_type))
    return con, [("main", t, "view", cols) for t, cols in by_table.items()]


def _read_samples(con, listing) -> None:
    from aios_workbench.catalog import classify

    for schema, name, _kind, columns in listing:
        classify.sample_table(con, f'"oracle"."{schema}"."{name}"', columns)


def _tables() -> list[str]:
    return sorted(p.stem for p in (ORACLE / "tables").glob("*.parquet"))


def _half(table: str) -> str:
    return "dev" if hashlib.sha256(table.encode()).digest()[0] % 2 == 0 else "held-out"


def quality_notes() -> list[str]:
    """Per-class precision / recall / F1 on the DEV and HELD-OUT halves, as markdown table rows."""
    from aios_workbench.catalog import classify

    labels = json.loads((ORACLE / "labels.json").read_text())
    con, listing = _connect(_tables())
    verdicts = classify.classify_listing(con, "oracle", listing)
    con.close()
    found = {(t[: -len("_0")], c): {v.tag for v in vs} for (_, t), per in verdicts.items() for c, vs in per.items()}
    notes = ["| half | class | tp | fp | fn | precision | recall | F1 |", "|---|---|---|---|---|---|---|---|"]
    for part in ("dev", "held-out"):
        tp, fp, fn = Counter(), Counter(), Counter()
        for r in labels:
            if _half(r["table"]) != part:
                continue
            got = found.get((r["table"], r["column"]), set()) & set(CLASSES)
            want = set(r["labels"])
            for tag in got & want:
                tp[tag] += 1
            for tag in got - want:
                fp[tag] += 1
            for tag in want - got:
                fn[tag] += 1
        for c in CLASSES:
            p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 1.0
            r_ = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 1.0
            f1 = 2 * p * r_ / (p + r_) if p + r_ else 0.0
            notes.append(f"| {part} | {c} | {tp[c]} | {fp[c]} | {fn[c]} | {p:.3f} | {r_:.3f} | {f1:.3f} |")
    return notes


@benchmark("PII classification 35 tables vs sample read", baseline="DuckDB read of the same samples", repeat=3)
def classify_35_tables(repeat: int) -> Comparison:
    """The scan's classification of 35 oracle tables (~12 columns each) vs reading their samples only."""
    from aios_workbench.catalog import classify

    con, listing = _connect(_tables()[:35])
    columns = sum(len(cols) for *_, cols in listing)

    def candidate() -> None:
        classify.classify_listing(con, "oracle", listing)

    def baseline() -> None:
        _read_samples(con, listing)

    try:
        cand, base = interleave(candidate, baseline, repeat=repeat, warmup=1)
    finally:
        con.close()
    result = Comparison("PII classification 35 tables vs sample read", "DuckDB read of the same samples", cand, base)
    result.notes.append(f"`classify_listing` over 35 oracle tables, {columns} columns, 200 rows each (target: "
                        f"under 5 s) vs `sample_table` alone on the same views.")
    result.notes.extend(quality_notes())
    return result


@benchmark("PII classification of a 10,000-column catalog", baseline="DuckDB read of the same samples", repeat=1)
def classify_10k_columns(repeat: int) -> Comparison:
    """The scan's classification of ~10,000 columns (the oracle's tables 8 times over) vs reading the samples."""
    from aios_workbench.catalog import classify

    con, listing = _connect(_tables(), copies=8)
    columns = sum(len(cols) for *_, cols in listing)
    started = time.perf_counter()

    def candidate() -> None:
        classify.classify_listing(con, "oracle", listing)

    def baseline() -> None:
        _read_samples(con, listing)

    try:
        cand, base = interleave(candidate, baseline, repeat=repeat, warmup=0)
    finally:
        con.close()
    result = Comparison("PII classification of a 10,000-column catalog", "DuckDB read of the same samples",
                        cand, base)
    result.notes.append(f"{len(listing)} views, {columns} columns (target: under 120 s); whole run "
                        f"{time.perf_counter() - started:.0f} s.")
    return result
