"""`aios demo`: make a workspace ready to explore, data and stores included."""

from __future__ import annotations

import click

from ..store import open_store
from .generate import generate_demo_data


def prepare_demo(ws, *, seed: int = 7, scale: float = 1.0, progress: bool = True) -> dict:
    """Generate the procurement data into the state folder (skipped when already
    there for this seed and scale), migrate the metadata store, and check that
    every declared source answers."""
    from ..connectors.health import check_connector
    from ..errors import ConnectorError, UsageError

    def step(message: str) -> None:
        if progress:
            click.echo(f"  {message}", err=True)

    try:
        step("generating procurement data (suppliers, purchase orders, shipments)")
        manifest = generate_demo_data(ws.state_dir / "demo-data", seed=seed, scale=scale)
    except (ValueError, FileExistsError) as exc:
        raise UsageError(str(exc), fix="use a seed >= 0 and a scale in (0, 100]; remove a folder that is "
                         "not demo data from .aios/demo-data", input=f"seed={seed} scale={scale}") from None
    step("migrating the metadata store and scanning the catalog")
    from ..catalog import scan_catalog

    store = open_store(ws.metadata_url)
    try:
        scan = scan_catalog(ws, store)
    finally:
        store.close()
    step("creating the MLflow tracking store (once; its migrations take a few seconds)")
    from ..tracking import ensure_store

    tracking = ensure_store(ws)
    step("checking the data sources")
    health = [check_connector(d, workspace_root=ws.root, extension_dir=ws.extension_dir) for d in ws.connectors]
    broken = [h for h in health if not h.ok]
    if broken:
        raise ConnectorError(
            "demo sources do not answer: " + "; ".join(f"{h.name}: {h.error}" for h in broken),
            fix="check connectors/*.yaml against the generated files in .aios/demo-data", input=broken[0].name)
    return {
        "workspace": str(ws.root),
        "data_dir": str(manifest.root),
        "seed": manifest.seed,
        "scale": manifest.scale,
        "tables": dict(manifest.row_counts),
        "sources": [h.to_dict() for h in health],
        "catalog": scan.to_dict(),
        "tracking_uri": tracking,
    }
