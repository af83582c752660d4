"""A full Evidently drift report, only on request: saved as a file, never embedded in a notebook.

Evidently 0.7 needs pandas frames, so each side is a reservoir sample (100,000 rows by default) read
through the governed path as the caller: masks and row filters hold in the report too. Our own drift
check stays the fast, recorded verdict; this report is for a human who wants Evidently's views.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from aios_workbench.checks.relation import quote, relation_sql
from aios_workbench.core.errors import UsageError

DEFAULT_SAMPLE = 100_000
MAX_SAMPLE = 1_000_000


def _sample_sql(relation: str, columns: list[str] | None, rows: int) -> str:
    cols = ", ".join(quote(c) for c in columns) if columns else "*"
    return (f"SELECT {cols} FROM (SELECT * FROM {relation_sql(relation, 'r')}) AS s "
            f"USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE (7)")


def evidently_html(reference: str, current: str, *, run_sql, columns: list[str] | None = None,
                   sample_rows: int = DEFAULT_SAMPLE) -> tuple[str, dict]:
    """Evidently's DataDriftPreset report of `current` against `reference` as HTML, and what it read."""
    if not isinstance(sample_rows, int) or isinstance(sample_rows, bool) or not 1 <= sample_rows <= MAX_SAMPLE:
        raise UsageError(f"sample_rows must be a whole number from 1 to {MAX_SAMPLE:,}", input=str(sample_rows),
                         fix="pass e.g. sample_rows=100_000")
    started = time.perf_counter()
    ref = run_sql(_sample_sql(reference, columns, sample_rows)).to_pandas()
    cur = run_sql(_sample_sql(current, columns, sample_rows)).to_pandas()
    with warnings.catch_warnings():      # Evidently's own deprecation noise is not the caller's problem
        warnings.simplefilter("ignore")
        from evidently import Report
        from evidently.presets import DataDriftPreset

        html = Report([DataDriftPreset()]).run(cur, ref).get_html_str(as_iframe=False)
    return html, {"rows": {"reference": len(ref), "current": len(cur)}, "sample_rows": sample_rows,
                  "seconds": round(time.perf_counter() - started, 2)}


def save_report(html: str, path: str | Path) -> Path:
    """Write the report atomically (a half-written 4 MB file never appears under its name)."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"the report is HTML: {str(path)!r} should end in .html", input=str(path),
                         fix="e.g. report='drift_report.html'")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
