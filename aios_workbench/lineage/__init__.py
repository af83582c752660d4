"""Lineage: OpenLineage run events for governed queries and jobs, their log, and the dataset graph."""

from aios_workbench.lineage.events import PRODUCER, SCHEMA_URL, job_event, query_event, run_event
from aios_workbench.lineage.graph import LineageIndex, downstream, lineage_of, restrict, upstream
from aios_workbench.lineage.log import HttpTransport, LineageEmitter, LineageLog, emitter_for, log_path

__all__ = ["PRODUCER", "SCHEMA_URL", "HttpTransport", "LineageEmitter", "LineageIndex", "LineageLog",
           "downstream", "emitter_for", "job_event", "lineage_of", "log_path", "query_event", "restrict",
           "run_event", "upstream"]
