"""REST routes of the governed data: SQL as an Arrow stream, the catalog, the audit log."""

from __future__ import annotations

import asyncio
import io

import pyarrow as pa
from tornado import web

from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.schemas.catalog import ARROW_STREAM as ARROW_TABLE
from aios_workbench.schemas.catalog import DatasetList, DatasetQuery, DatasetView
from aios_workbench.schemas.query import AuditQuery, AuditRecords, SqlRequest
from aios_workbench.surfaces.rest.routes import RouteMixin

ARROW_STREAM = "application/vnd.apache.arrow.stream"


class _Chunks(io.RawIOBase):
    """A write-only sink that hands each IPC chunk to the response."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def query_surface(handler) -> str:
    """The audit `surface` of a call, decided by how the caller reached the service, never by what it sends:
    a job's run token ("job"); inside a Jupyter server, a token (a kernel: "kernel") or the browser's
    session cookie ("ui"); a bearer token of `aios serve` ("api"). A server base may name its channel
    itself with an `auth_surface` attribute (e.g. a per-kernel credential)."""
    declared = getattr(handler, "auth_surface", None)
    if isinstance(declared, str) and declared:
        return declared
    mode = getattr(handler.service, "mode", None)
    if mode == "job":
        return "job"
    if mode == "jupyter":
        request = handler.request
        return "kernel" if request.headers.get("Authorization") or "token" in request.query_arguments else "ui"
    return "api"


def job_run_of(handler) -> int | None:
    """The job run whose token authenticated this call (only on a job's runtime endpoint)."""
    if getattr(handler.service, "mode", None) != "job":
        return None
    grant = getattr(handler.service, "_grant", None)   # the job runtime's view of the service holds its grant
    return getattr(grant, "job_run_id", None)


def _body(handler, example: str | None = None) -> dict:
    """The request's JSON object body, as the verb's declared request model validated it
    (`RouteMixin.json_body`; the model's `example` shows a caller what to send instead)."""
    return handler.json_body()


class SqlRoute(RouteMixin):
    """POST sql: run one governed query; the result streams as Arrow IPC.

    The query is parsed, authorized, rewritten (row filters and column masks applied inside every governed
    table reference), executed on the locked DuckDB engine and audited, allowed or denied. Results longer
    than `max_rows` (or the workspace's `query.max_rows`) are cut off; header X-AIOS-Datasets lists the
    datasets read. The audit record's `surface` comes from how the caller authenticated (`query_surface`), and
    a `run_id` must name the caller's own MLflow run (or, from a job kernel, its job run): another is refused
    (403/404, audited with rule `run_link`)."""

    path = "sql"
    request_model = {"post": SqlRequest}
    response_model = {"post": ARROW_TABLE}

    @web.authenticated
    async def post(self):
        body = _body(self)   # unknown keys, a bad max_rows: refused by SqlRequest before this runs
        sql, as_user, max_rows = body.get("sql"), body.get("as_user"), body.get("max_rows")
        surface = query_surface(self)   # a `surface` in the body is ignored: clients do not label the audit
        run_id = body.get("run_id")
        if run_id:   # checked against the caller's own runs (cached after the first query of a run)
            run_id = await asyncio.to_thread(self.service.audit_trail.link_run, self.user_name, run_id,
                                             sql=sql, surface=surface, job_run_id=job_run_of(self))
        queries = self.service.queries
        result = await asyncio.to_thread(queries.run, sql, user=self.user_name, surface=surface,
                                         as_user=as_user, max_rows=max_rows, run_id=run_id)
        batches = result.batches()
        first = await asyncio.to_thread(next, batches, None)  # errors before any byte is sent get a status
        sink = _Chunks()
        self.set_header("Content-Type", ARROW_STREAM)
        self.set_header("X-AIOS-Datasets", ",".join(result.datasets))
        with pa.ipc.new_stream(sink, result.schema) as writer:
            batch = first
            while batch is not None:
                writer.write_batch(batch)
                self.write(sink.take())
                await self.flush()
                batch = await asyncio.to_thread(next, batches, None)
        self.write(sink.take())
        self.finish()


class CatalogRoute(RouteMixin):
    """GET catalog: the datasets the caller may read."""

    path = "catalog"
    response_model = {"get": DatasetList}

    @web.authenticated
    async def get(self):
        datasets = await asyncio.to_thread(self.service.catalog.readable, self.user_name)
        self.write_json({"datasets": datasets})


class DatasetRoute(RouteMixin):
    """GET catalog/dataset?name=...: one dataset as the caller sees it (masks, row filter)."""

    path = "catalog/dataset"
    query_model = {"get": DatasetQuery}
    response_model = {"get": DatasetView}

    @web.authenticated
    async def get(self):
        name = self.get_query_argument("name", "")
        if not name:
            raise UsageError("the `name` query parameter is missing", fix="pass ?name=source.schema.dataset")
        self.write_json(await asyncio.to_thread(self.service.catalog.explain, self.user_name, name))


class AuditRoute(RouteMixin):
    """GET audit: audit records, newest first; auditors see all, others their own (the SQL of a record that is
    not the caller's own, e.g. from before impersonation was recorded as the impersonator, without literals)."""

    path = "audit"
    query_model = {"get": AuditQuery}
    response_model = {"get": AuditRecords}

    @web.authenticated
    async def get(self):
        arg = self.get_query_argument
        allowed = arg("allowed", None)
        try:
            limit = int(arg("limit", "100"))
            before = int(arg("before_id")) if arg("before_id", None) else None
        except ValueError:
            raise UsageError("limit and before_id must be integers", fix="e.g. ?limit=50&before_id=1200") from None
        filters = {"user": arg("user", None), "dataset": arg("dataset", None), "since": arg("since", None),
                   "allowed": None if allowed is None else allowed.lower() in ("1", "true", "yes"),
                   "limit": min(max(limit, 1), 1000), "before_id": before}
        records = await asyncio.to_thread(self.service.audit_trail.records, self.user_name, **filters)
        self.write_json({"records": records})


ROUTES = [SqlRoute, CatalogRoute, DatasetRoute, AuditRoute]
__all__ = ["ROUTES", "NotFound", "job_run_of", "query_surface"]
