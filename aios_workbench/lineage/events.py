"""OpenLineage run events for governed queries, notebooks and jobs, as plain dicts.

The events follow the OpenLineage 2-0-2 RunEvent schema, written here without a
client library. Datasets are named as the catalog names them (`source.schema.name`)
in the namespace `aios://<workspace>`: connection details never appear, so no
host, user or password can leak through a lineage consumer.

The SQL in an event is the SQL as the user submitted it, redacted; never the
rewritten SQL, which names raw tables and the mask functions.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from aios_workbench._version import __version__
from aios_workbench.catalog.model import CatalogEntry
from aios_workbench.connectors.secrets import scrub
from aios_workbench.core.logs import redact
from aios_workbench.lineage.columns import column_lineage

PRODUCER = f"https://example.invalid/aios-workbench/{__version__}"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
SCHEME = "aios://"
RESULTS_SUFFIX = "/results"  # namespace of the virtual output a query's result set is

_FACETS = "https://openlineage.io/spec/facets"
FACET_SCHEMAS = {
    "schema": f"{_FACETS}/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "columnLineage": f"{_FACETS}/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
    "sql": f"{_FACETS}/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet",
    "jobType": f"{_FACETS}/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "errorMessage": f"{_FACETS}/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "outputStatistics": f"{_FACETS}/1-0-2/OutputStatisticsOutputDatasetFacet.json"
                        "#/$defs/OutputStatisticsOutputDatasetFacet",
    # our own facets: OpenLineage asks custom facets to carry a producer prefix
    "aios_run": f"{PRODUCER}/facets/AiosRunFacet.json",
}
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def facet(kind: str, **fields) -> dict:
    """A facet with the `_producer` and `_schemaURL` every OpenLineage facet carries."""
    return {"_producer": PRODUCER, "_schemaURL": FACET_SCHEMAS[kind], **fields}


def namespace(workspace: str) -> str:
    """The OpenLineage namespace of a workspace's jobs and datasets."""
    return f"{SCHEME}{workspace}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def run_uuid(run_id: str | None) -> str:
    """An OpenLineage runId (a UUID): new, an MLflow run id (32 hex) as a UUID, or derived from any other id."""
    if not run_id:
        return str(uuid.uuid4())
    if _HEX32.fullmatch(run_id):
        return str(uuid.UUID(hex=run_id))
    try:
        return str(uuid.UUID(run_id))
    except ValueError:  # a job run id of another shape: the same id always maps to the same UUID
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aios-run:{run_id}"))


def safe_text(text: str) -> str:
    """`text` without resolved secret values or credential-looking parts."""
    return redact(scrub(text))


def schema_facet(entry: CatalogEntry) -> dict:
    return facet("schema", fields=[{"name": c.name, "type": c.data_type} for c in entry.columns])


def dataset(workspace: str, entry: CatalogEntry | str, **facets) -> dict:
    """An input or output dataset; a catalog entry brings its schema facet."""
    if isinstance(entry, CatalogEntry):
        facets = {"schema": schema_facet(entry), **facets}
        name = entry.full_name
    else:
        name = entry
    return {"namespace": namespace(workspace), "name": name, "facets": facets}


def is_result(ds: dict) -> bool:
    """Whether `ds` is the virtual output of a query (its result set), not a catalog dataset."""
    return str(ds.get("namespace", "")).endswith(RESULTS_SUFFIX)


def run_event(workspace: str, job: str, *, event_type: str = "COMPLETE", run_id: str | None = None,
              inputs: Sequence[dict] = (), outputs: Sequence[dict] = (), job_facets: dict | None = None,
              run_facets: dict | None = None, event_time: str | None = None) -> dict:
    """One OpenLineage RunEvent for `job` (e.g. ``query:ana``, ``notebook:etl.ipynb``, ``job:nightly``)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"eventType must be one of {EVENT_TYPES}, not {event_type!r}")
    return {
        "eventType": event_type,
        "eventTime": event_time or now_iso(),
        "run": {"runId": run_uuid(run_id), "facets": run_facets or {}},
        "job": {"namespace": namespace(workspace), "name": job, "facets": job_facets or {}},
        "inputs": list(inputs),
        "outputs": list(outputs),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
    }


def _aios_run_facet(user: str, surface: str, run_id: str | None, rows: int | None, extra: dict) -> dict:
    fields = {"user": user, "surface": surface, **extra}
    if run_id:
        fields["externalRunId"] = run_id  # the MLflow or job run id as given
    if rows is not None:
        fields["rows"] = rows
    return facet("aios_run", **fields)


def _error_facet(error) -> dict:
    if isinstance(error, str):
        message = error
    else:
        message = getattr(error, "message", None) or (type(error).__name__ if error is not None else "failed")
    return facet("errorMessage", message=safe_text(str(message)), programmingLanguage="python")


def query_hash(sql: str) -> str:
    """A short, stable name for a query's result set (whitespace-insensitive)."""
    return hashlib.sha256(" ".join(sql.split()).encode()).hexdigest()[:16]


def query_event(workspace: str, user: str, surface: str, sql: str, datasets: Iterable[CatalogEntry], *,
                run_id: str | None = None, rows: int | None = None, status: str = "COMPLETE",
                job: str | None = None, masked: dict[str, list[str]] | None = None, error=None,
                event_time: str | None = None, columns: bool = True) -> dict:
    """The run event of one governed query by `user`.

    Inputs are the catalog datasets it read, with their schema facets. The
    result set is a virtual output `query:<hash>` in the `.../results` namespace
    carrying the `columnLineage` facet, because OpenLineage defines column
    lineage on output datasets only and a query's output is its result set;
    the separate namespace keeps it out of the dataset graph. `masked` (dataset ->
    columns masked for this user) marks those inputs' transformations `masking`.
    `sql` must be the SQL as submitted; it is scrubbed and redacted here. `columns=False` leaves the
    column lineage out (the datasets read are still the inputs)."""
    entries = list(datasets)
    text = safe_text(sql)
    inputs = [dataset(workspace, e) for e in entries]
    outputs = []
    lineage = column_lineage(sql, entries, namespace(workspace), masked or {}) if columns else None
    if lineage is not None:
        result_facets = {"columnLineage": facet("columnLineage", **lineage)}
        if rows is not None:
            result_facets["outputStatistics"] = facet("outputStatistics", rowCount=rows)
        outputs.append({"namespace": namespace(workspace) + RESULTS_SUFFIX, "name": f"query:{query_hash(text)}",
                        "facets": result_facets})
    run_facets = {"aios_run": _aios_run_facet(user, surface, run_id, rows, {})}
    if status == "FAIL":
        run_facets["errorMessage"] = _error_facet(error)
    job_facets = {"sql": facet("sql", query=text, dialect="duckdb"),
                  "jobType": facet("jobType", processingType="BATCH", integration="AIOS", jobType="QUERY")}
    return run_event(workspace, job or f"query:{user}", event_type=status, run_id=run_id, inputs=inputs,
                     outputs=outputs, job_facets=job_facets, run_facets=run_facets, event_time=event_time)


def job_event(workspace: str, job: str, *, user: str, event_type: str, run_id: str | None = None,
              inputs: Iterable[CatalogEntry | str] = (), outputs: Iterable[CatalogEntry | str] = (),
              job_type: str = "JOB", error=None, event_time: str | None = None) -> dict:
    """A START/COMPLETE/FAIL event of a notebook or job run that read `inputs` and wrote `outputs`.

    Pass the same `run_id` to the START and the terminal event so consumers pair them."""
    run_facets = {"aios_run": _aios_run_facet(user, "job", run_id, None, {})}
    if event_type == "FAIL":
        run_facets["errorMessage"] = _error_facet(error)
    job_facets = {"jobType": facet("jobType", processingType="BATCH", integration="AIOS", jobType=job_type)}
    return run_event(workspace, job, event_type=event_type, run_id=run_id,
                     inputs=[dataset(workspace, d) for d in inputs],
                     outputs=[dataset(workspace, d) for d in outputs],
                     job_facets=job_facets, run_facets=run_facets, event_time=event_time)
