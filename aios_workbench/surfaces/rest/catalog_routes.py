"""REST routes of discovery: catalog search, masked previews with keyset paging, profiles."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import IO

from tornado import web
from tornado.http1connection import HTTP1Connection

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.catalog import (
    ARROW_STREAM,
    DatasetProfile,
    DatasetQuery,
    Lineage,
    LineageQuery,
    PreviewPage,
    PreviewQuery,
    SearchHits,
    SearchQuery,
    Untagged,
    UntagRequest,
    WriteQuery,
    WriteResult,
)
from aios_workbench.surfaces.rest.query_routes import dataset_name, job_run_of, query_surface
from aios_workbench.surfaces.rest.routes import RouteMixin


def _int_arg(handler, name: str, default: int, *, low: int, high: int) -> int:
    raw = handler.get_query_argument(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be an integer, got {raw!r}", fix=f"e.g. ?{name}={default}",
                         input=raw) from None
    if not low <= value <= high:
        raise UsageError(f"{name} must be from {low} to {high}, got {value}", fix=f"e.g. ?{name}={default}",
                         input=raw)
    return value




class SearchRoute(RouteMixin):
    """GET catalog/search?q=...: datasets the caller may read, ranked by relevance."""

    path = "catalog/search"
    query_model = {"get": SearchQuery}
    response_model = {"get": SearchHits}

    @web.authenticated
    async def get(self):
        text = self.get_query_argument("q", "")
        limit = _int_arg(self, "limit", 20, low=1, high=200)
        hits = await asyncio.to_thread(self.service.catalog.search, self.user_name, text, limit=limit)
        self.write_json({"hits": hits})


class PreviewRoute(RouteMixin):
    """GET catalog/preview?name=...&order_by=&desc=&after=&limit=: one masked, filtered page."""

    path = "catalog/preview"
    query_model = {"get": PreviewQuery}
    response_model = {"get": PreviewPage}

    @web.authenticated
    async def get(self):
        arg = self.get_query_argument
        page = await asyncio.to_thread(
            self.service.catalog.preview, self.user_name, dataset_name(self), order_by=arg("order_by", None) or None,
            descending=arg("desc", "0").lower() in ("1", "true", "yes"), after=arg("after", None) or None,
            limit=_int_arg(self, "limit", 50, low=1, high=1000), count=arg("count", "0") in ("1", "true"),
            surface="ui")
        self.write_json(page.to_dict())


class ProfileRoute(RouteMixin):
    """GET catalog/profile?name=...: the dataset's profile as the caller sees it (masked columns: nothing)."""

    path = "catalog/profile"
    query_model = {"get": DatasetQuery}
    response_model = {"get": DatasetProfile}

    @web.authenticated
    async def get(self):
        result = await asyncio.to_thread(self.service.catalog.profile, self.user_name, dataset_name(self), surface="ui")
        self.write_json(result)


class LineageRoute(RouteMixin):
    """GET lineage?name=...&depth=3: upstream and downstream of a dataset (unreadable ones restricted)."""

    path = "lineage"
    query_model = {"get": LineageQuery}
    response_model = {"get": Lineage}

    @web.authenticated
    async def get(self):
        result = await asyncio.to_thread(self.service.catalog.lineage, self.user_name, dataset_name(self),
                                         _int_arg(self, "depth", 3, low=1, high=20))
        self.write_json(result)


class WriteRoute(RouteMixin):
    """POST datasets/write?target=SOURCE.NAME&mode=replace|append&inputs=A,B&run_id=...: the body, an Arrow
    IPC stream, becomes a governed dataset of a `datasets` source (write grant needed). `infer_inputs=1`:
    the inputs are what the kernel read, and those it may no longer read are left out.

    The body is streamed to a file in the state folder as it arrives (not held in memory, and past the
    server's default request limit), up to `service.max_write_mb`; the caller is authenticated before a
    byte of it is accepted. A larger body is read and dropped, then refused (400 naming the setting)."""

    path = "datasets/write"
    request_model = {"post": ARROW_STREAM}
    query_model = {"post": WriteQuery}
    response_model = {"post": {201: WriteResult}}
    _stream_request_body = True   # what @web.stream_request_body sets; this mixin is no RequestHandler yet
    _spool: IO[bytes] | None = None
    _too_large: UsageError | None = None

    async def prepare(self):
        authenticated = super().prepare()   # the server's base: refuses a request without a valid token
        if authenticated is not None:
            await authenticated
        limit_mb = self.service.workspace.config.service.max_write_mb
        length = int(self.request.headers.get("Content-Length") or 0)
        if length > limit_mb * 2**20:
            # refused once the body is read (and dropped): a client still sending when the connection
            # closed would see a broken pipe instead of this answer
            self._too_large = UsageError(
                f"the data to write is {length / 2**20:,.0f} MB; this service takes at most {limit_mb:,} MB in one "
                f"write", input=self.get_query_argument("target", ""),
                fix="write it in parts with mode='append', or raise service.max_write_mb in aios.yaml")
            self._allow_body(length)
            return
        self._allow_body(limit_mb * 2**20)
        spool_dir = self.service.workspace.state_dir / "tmp" / "writes"
        spool_dir.mkdir(parents=True, exist_ok=True)
        self._spool = tempfile.NamedTemporaryFile(dir=spool_dir, prefix="write-", suffix=".arrows", delete=False)

    def _allow_body(self, size: int) -> None:
        """Let this request's body grow to `size` bytes (past the server's default limit)."""
        connection = self.request.connection
        assert isinstance(connection, HTTP1Connection)   # tornado serves HTTP/1 only: it holds the limit
        connection.set_max_body_size(size)

    def data_received(self, chunk: bytes) -> None:
        if self._spool is not None:
            self._spool.write(chunk)

    @web.authenticated
    async def post(self):
        import pyarrow as pa

        if self._too_large is not None:
            raise self._too_large
        arg = self.get_query_argument
        target = arg("target", "")
        if not target:
            raise UsageError("the `target` query parameter is missing", fix="pass ?target=outputs.my_dataset")
        assert self._spool is not None   # `prepare` opened it for every body not refused above
        self._spool.close()
        try:
            with pa.memory_map(self._spool.name) as source:
                table = pa.ipc.open_stream(source).read_all()
        except (pa.ArrowInvalid, OSError) as exc:
            raise UsageError(f"the request body is not an Arrow IPC stream: {exc}",
                             fix="send the table as application/vnd.apache.arrow.stream (wb.write does)",
                             input=target) from None
        inputs = [name for name in arg("inputs", "").split(",") if name.strip()]
        surface = query_surface(self)   # the service decides the labels, never the client
        run_id = await asyncio.to_thread(self.service.audit_trail.link_run, self.user_name, arg("run_id", None),
                                         sql=f"write {target}", surface=surface, job_run_id=job_run_of(self))
        result = await asyncio.to_thread(self.service.catalog.write, self.user_name, target, table,
                                         mode=arg("mode", "replace"), inputs=inputs, run_id=run_id, surface=surface,
                                         strict_inputs=arg("infer_inputs", "0") not in ("1", "true"))
        self.write_json(result, 201)

    def on_finish(self) -> None:
        self._discard_spool()

    def on_connection_close(self) -> None:
        self._discard_spool()
        super().on_connection_close()

    def _discard_spool(self) -> None:
        if self._spool is not None:
            self._spool.close()
            Path(self._spool.name).unlink(missing_ok=True)
            self._spool = None


class UntagRoute(RouteMixin):
    """POST catalog/untag {dataset, column, tag, reason}: a steward (`privilege: manage` on the dataset) removes a
    classification tag from a column; audited, allowed or denied. Tags otherwise only grow: no scan or write
    drops one. A tag confirmed in governance/policy.yaml is removed there (400 saying so)."""

    path = "catalog/untag"
    request_model = {"post": UntagRequest}
    response_model = {"post": Untagged}

    @web.authenticated
    async def post(self):
        body = self.json_body()   # validated by UntagRequest: all four keys, none empty
        result = await asyncio.to_thread(self.service.catalog.untag, self.user_name, body["dataset"], body["column"],
                                         body["tag"], reason=body["reason"], surface="api")
        self.write_json(result)


ROUTES = [SearchRoute, PreviewRoute, ProfileRoute, LineageRoute, WriteRoute, UntagRoute]
