"""Deterministic procurement demo data: suppliers (SQLite), purchase orders (DuckDB), shipments (Parquet),
external signals and supplier lanes (DuckDB).

`generate_demo_data(out_dir, seed=7, scale=1.0)` writes the four sources the
repository's `connectors/` declare (under `.aios/demo-data/` in a workspace) and a
`manifest.json`. The same (seed, scale, generator version) always yields the same
rows; Parquet files are byte-identical for the same pyarrow version.

What the data contains on purpose (see `tables.py` for the numbers):

* 15 months, 2025-01-01 .. 2026-03-31, seen from 2026-04-01 (late shipments in transit).
* Drift from 2025-10-01: delays up ~1.2 days, new carrier "Velocity Parcel" at ~30 %
  share, raw_materials unit prices +4 % a month.
* Fairness gap: minority-owned suppliers' on-time rate is ~7 points lower (scale 1, seed 7).
* Injected quality issues, each listed in `DemoManifest.injected_issues`:
  - suppliers.contact_phone: a few NULLs (9 at scale 1, at least 2);
  - suppliers.contact_email: a few addresses repeated up to letter case (6 pairs, at least 2);
  - purchase_orders.quantity: a few negative quantities and amounts (12, at least 3).
* Classifier label: shipments.late_delivery (delay_days >= 3), NULL while in transit.
* External signals (`signals.py`), built from the tables with a random stream of their own, so the
  three tables are the same as before they existed: weekly port congestion, severe weather and
  geopolitical events per region, following the very late shipments of history, and a disruption
  building in Southeast Asia from 2026-02-23; `supplier_lanes` says whose goods come through it.

A run is all-or-nothing: files are written to a staging sibling folder and renamed
into place, so an interrupted run leaves the previous dataset (or nothing).
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath

from aios_workbench.demo import storage
from aios_workbench.demo.signals import build_signals
from aios_workbench.demo.tables import AS_OF, CALENDAR_END, CALENDAR_START, DRIFT_START, InjectedIssue, build_tables

GENERATOR = "aios_workbench.demo"
GENERATOR_VERSION = "2"  # bump whenever the same seed would produce different rows
MANIFEST_FILE = "manifest.json"
DEMO_DATA_DIR = PurePosixPath(".aios/demo-data")  # relative to the workspace root
MAX_SCALE = 100.0


@dataclass(frozen=True)
class DemoManifest:
    """What a demo run wrote: the request, the files (relative to `root`) and rows per table."""

    seed: int
    scale: float
    generator_version: str
    row_counts: Mapping[str, int]
    files: tuple[str, ...]
    injected_issues: tuple[InjectedIssue, ...]
    calendar_start: str = str(CALENDAR_START)
    calendar_end: str = str(CALENDAR_END)
    drift_start: str = str(DRIFT_START)
    as_of: str = str(AS_OF)
    root: Path = field(default=Path("."), compare=False)

    def path(self, relative: str) -> Path:
        """Absolute path of one of `files`."""
        return self.root / relative

    def matches(self, seed: int, scale: float) -> bool:
        return (self.seed, self.scale, self.generator_version) == (seed, scale, GENERATOR_VERSION)

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "root"}
        data["row_counts"] = dict(self.row_counts)
        data["injected_issues"] = [asdict(issue) for issue in self.injected_issues]
        return json.dumps({"generator": GENERATOR, **data}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, root: Path) -> DemoManifest:
        data = json.loads(text)
        if data.pop("generator", None) != GENERATOR:
            raise ValueError("not a demo-data manifest")
        data["row_counts"] = types.MappingProxyType(dict(data["row_counts"]))
        data["files"] = tuple(data["files"])
        data["injected_issues"] = tuple(InjectedIssue(**issue) for issue in data["injected_issues"])
        return cls(**data, root=root)


def read_manifest(out_dir: Path) -> DemoManifest | None:
    """The manifest of a complete demo dataset in `out_dir`, or None if there is none."""
    try:
        manifest = DemoManifest.from_json((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"), out_dir)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not all(manifest.path(name).is_file() for name in manifest.files):
        return None
    return manifest


def generate_demo_data(out_dir: Path, *, seed: int = 7, scale: float = 1.0) -> DemoManifest:
    """Write the demo dataset to `out_dir` (unless an identical one is already there) and describe it.

    `scale` multiplies row counts (1.0: ~600 suppliers, 40,000 orders, ~38,700 shipments).
    An existing `out_dir` is replaced only if it holds a demo dataset (has our manifest)
    or is empty, so a mistyped path never deletes someone's folder.
    """
    out_dir = Path(out_dir).absolute()
    seed, scale = _checked_request(seed, scale)
    existing = read_manifest(out_dir)
    if existing is not None and existing.matches(seed, scale):
        return existing
    _refuse_foreign_folder(out_dir, existing)
    storage.remove_stale_staging(out_dir)

    tables = build_tables(seed, scale)
    signals = build_signals(seed, tables)   # after the tables and from them: their rows stay as they were
    with storage.staging_folder(out_dir) as staging:
        storage.write_suppliers_sqlite(tables.suppliers, staging / storage.SQLITE_FILE)
        storage.write_orders_duckdb(tables.purchase_orders, staging / storage.DUCKDB_FILE)
        parquet = storage.write_shipments_parquet(tables.shipments, staging / storage.SHIPMENTS_DIR)
        storage.write_signals_duckdb(signals.signals, signals.supplier_lanes, staging / storage.SIGNALS_FILE)
        files = (storage.SQLITE_FILE, storage.DUCKDB_FILE,
                 *(path.relative_to(staging).as_posix() for path in parquet), storage.SIGNALS_FILE)
        manifest = DemoManifest(
            seed=seed, scale=scale, generator_version=GENERATOR_VERSION,
            row_counts=types.MappingProxyType({
                "suppliers": tables.suppliers.num_rows,
                "purchase_orders": tables.purchase_orders.num_rows,
                "shipments": tables.shipments.num_rows,
                "signals": signals.signals.num_rows,
                "supplier_lanes": signals.supplier_lanes.num_rows,
            }),
            files=files, injected_issues=tables.issues, root=out_dir,
        )
        # The manifest goes last: its presence is what marks a dataset complete.
        (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        concurrent = read_manifest(out_dir)
        if concurrent is not None and concurrent.matches(seed, scale):
            return concurrent  # another process published the same data meanwhile
        storage.publish(staging, out_dir)
    return manifest


def _checked_request(seed: int, scale: float) -> tuple[int, float]:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a number, got {scale!r}") from None
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ValueError(f"scale must be > 0 and <= {MAX_SCALE:g} (1.0 = 40,000 orders), got {scale!r}")
    return seed, scale


def _refuse_foreign_folder(out_dir: Path, existing: DemoManifest | None) -> None:
    if not out_dir.exists() or existing is not None:
        return
    if not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a folder; pass another out_dir or remove it")
    has_old_manifest = (out_dir / MANIFEST_FILE).is_file()
    if any(out_dir.iterdir()) and not has_old_manifest:
        raise FileExistsError(
            f"{out_dir} is not empty and holds no demo-data {MANIFEST_FILE}; refusing to replace it. "
            "Pass an empty or new folder, or delete this one first.")
