"""REST routes of the governed data: SQL as an Arrow stream, the catalog, the audit log."""

from __future__ import annotations

import asyncio
import io
import json

import pyarrow as pa
from tornado import web

from aios_workbench.core.errors import NotFound, UsageError
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


def _body(handler, example: str = '{"sql": "SELECT ..."}') -> dict:
    """The request's JSON object body; `example` shows the caller what to send instead."""
    try:
        body = json.loads(handler.request.body or b"{}")
    except ValueError:
        raise UsageError("the request body is not JSON", fix=f"send {example}") from None
    if not isinstance(body, dict):
        raise UsageError("the request body must be a JSON object", fix=f"send {example}")
    return body


class SqlRoute(RouteMixin):
    """POST sql: run one governed query; the result streams as Arrow IPC."""

    path = "sql"

    @web.authenticated
    async def post(self):
        body = _body(self)
        sql, as_user, max_rows = body.get("sql"), body.get("as_user"), body.get("max_rows")
        unknown = sorted(set(body) - {"sql", "as_user", "max_rows", "surface", "run_id"})
        if unknown:   # e.g. {"query": ...}: say so, rather than "the query is empty"
            raise UsageError(f"POST sql takes no {', '.join(map(repr, unknown))}", input=unknown[0],
                             fix='send {"sql": "SELECT ..."} (optional: as_user, max_rows, surface, run_id)')
        if max_rows is not None and (not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1):
            raise UsageError(f"max_rows must be a positive integer, got {max_rows!r}", fix="pass e.g. 10000",
                             input=str(max_rows))
        queries = self.service.queries
        result = await asyncio.to_thread(queries.run, sql, user=self.user_name, surface=body.get("surface", "api"),
                                         as_user=as_user, max_rows=max_rows, run_id=body.get("run_id"))
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

    @web.authenticated
    async def get(self):
        datasets = await asyncio.to_thread(self.service.readable_datasets, self.user_name)
        self.write_json({"datasets": datasets})


class DatasetRoute(RouteMixin):
    """GET catalog/dataset?name=...: one dataset as the caller sees it (masks, row filter)."""

    path = "catalog/dataset"

    @web.authenticated
    async def get(self):
        name = self.get_query_argument("name", "")
        if not name:
            raise UsageError("the `name` query parameter is missing", fix="pass ?name=source.schema.dataset")
        self.write_json(await asyncio.to_thread(self.service.explain, self.user_name, name))


class AuditRoute(RouteMixin):
    """GET audit: audit records, newest first; auditors see all, others their own."""

    path = "audit"

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
        records = await asyncio.to_thread(self.service.audit_records, self.user_name, **filters)
        self.write_json({"records": records})


ROUTES = [SqlRoute, CatalogRoute, DatasetRoute, AuditRoute]
__all__ = ["ROUTES", "NotFound"]
