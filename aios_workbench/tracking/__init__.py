"""Experiment tracking on MLflow: runs with provenance, buffered metrics and automatic dataset lineage.

Nothing here imports MLflow until a run starts or a store is created, so
`import aios_workbench` stays fast.
"""

from __future__ import annotations

from .lineage import digest_from_row, digest_sql, governed_describer, schema_sql
from .run import DisabledRun, RunSpec, WorkbenchRun, active_run, end_open_runs, run, set_experiment
from .store import artifact_root, check_reachable, ensure_store, tracking_uri

__all__ = ["DisabledRun", "RunSpec", "WorkbenchRun", "active_run", "artifact_root", "check_reachable",
           "digest_from_row", "digest_sql", "end_open_runs", "ensure_store", "governed_describer", "run",
           "schema_sql", "set_experiment", "tracking_uri"]
