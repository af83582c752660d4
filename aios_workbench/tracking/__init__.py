"""Experiment tracking on MLflow, service side: the tracking store, dataset digests for lineage, the gated
model registry and the runs read model. The kernel's `wb.run` lives in `kernel/run.py`.

Nothing here imports MLflow until a run starts or a store is created, so
`import aios_workbench` stays fast.
"""

from __future__ import annotations

from aios_workbench.tracking.lineage import digest_from_row, digest_sql, governed_describer, schema_sql
from aios_workbench.tracking.store import artifact_root, check_reachable, ensure_store, import_mlflow, tracking_uri

__all__ = ["artifact_root", "check_reachable", "digest_from_row", "digest_sql", "ensure_store",
           "governed_describer", "import_mlflow", "schema_sql", "tracking_uri"]
