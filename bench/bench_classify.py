"""PII discovery: the scan's classification (`classify.classify_listing`: sampling plus every detector) vs a
plain DuckDB read of the same samples (`classify.sample_table` only), on issue #19's oracle
(tests/oracles/pii_columns: 96 tables, 1,243 labelled columns). Notes carry the per-class precision, recall
and F1 on the oracle's DEV half (tables whose name's sha256 starts with an even byte) and HELD-OUT half.
Targets: 35 tables x ~12 columns classified under 5 s; a 10,000-column catalog under 2 minutes.
"""

from __future__ import annotations

import time

from bench.harness import Comparison, benchmark, interleave
from tests.pii_oracle import classify_oracle, oracle_catalog, scores, tables

SCAN_CONFIG = {"threads": 1, "memory_limit": "512MB"}   # as the scan's connection


def _read_samples(con, listing) -> None:
    from aios_workbench.catalog import classify

    for schema, name, _kind, columns in listing:
        classify.sample_table(con, f'"oracle"."{schema}"."{name}"', columns)


def quality_notes() -> list[str]:
    """Per-class precision / recall / F1 on the DEV and HELD-OUT halves, as markdown table rows."""
    found = classify_oracle()
    notes = ["| half | class | tp | fp | fn | precision | recall | F1 |", "|---|---|---|---|---|---|---|---|"]
    for part in ("dev", "held-out"):
        for c, (tp, fp, fn) in scores(found, part).items():
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            notes.append(f"| {part} | {c} | {tp} | {fp} | {fn} | {p:.3f} | {r:.3f} | {f1:.3f} |")
    return notes


@benchmark("PII classification 35 tables vs sample read", baseline="DuckDB read of the same samples", repeat=3)
def classify_35_tables(repeat: int) -> Comparison:
    """The scan's classification of 35 oracle tables (~12 columns each) vs reading their samples only."""
    from aios_workbench.catalog import classify

    con, listing = oracle_catalog(tables()[:35], copies=1, config=SCAN_CONFIG)
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

    con, listing = oracle_catalog(tables(), copies=8, config=SCAN_CONFIG)
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
