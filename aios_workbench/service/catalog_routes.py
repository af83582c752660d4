"""REST routes of discovery: catalog search, masked previews with keyset paging, profiles."""

from __future__ import annotations

import asyncio

from tornado import web

from ..errors import UsageError
from .routes import RouteMixin


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


def _name(handler) -> str:
    name = handler.get_query_argument("name", "")
    if not name:
        raise UsageError("the `name` query parameter is missing", fix="pass ?name=source.schema.dataset")
    return name


class SearchRoute(RouteMixin):
    """GET catalog/search?q=...: datasets the caller may read, ranked by relevance."""

    path = "catalog/search"

    @web.authenticated
    async def get(self):
        text = self.get_query_argument("q", "")
        limit = _int_arg(self, "limit", 20, low=1, high=200)
        hits = await asyncio.to_thread(self.service.search, self.user_name, text, limit=limit)
        self.write_json({"hits": hits})


class PreviewRoute(RouteMixin):
    """GET catalog/preview?name=...&order_by=&desc=&after=&limit=: one masked, filtered page."""

    path = "catalog/preview"

    @web.authenticated
    async def get(self):
        from ..catalog.preview import preview

        arg = self.get_query_argument
        page = await asyncio.to_thread(
            preview, self.service.queries, self.user_name, _name(self), order_by=arg("order_by", None) or None,
            descending=arg("desc", "0").lower() in ("1", "true", "yes"), after=arg("after", None) or None,
            limit=_int_arg(self, "limit", 50, low=1, high=1000), count=arg("count", "0") in ("1", "true"),
            surface="ui")
        self.write_json(page.to_dict())


class ProfileRoute(RouteMixin):
    """GET catalog/profile?name=...: the dataset's profile as the caller sees it (masked columns: nothing)."""

    path = "catalog/profile"

    @web.authenticated
    async def get(self):
        from ..catalog.profile import profile

        result = await asyncio.to_thread(profile, self.service.queries, self.user_name, _name(self), surface="ui")
        self.write_json(result.to_dict())


class LineageRoute(RouteMixin):
    """GET lineage?name=...&depth=3: upstream and downstream of a dataset (unreadable ones restricted)."""

    path = "lineage"

    @web.authenticated
    async def get(self):
        result = await asyncio.to_thread(self.service.lineage, self.user_name, _name(self),
                                         _int_arg(self, "depth", 3, low=1, high=20))
        self.write_json(result)


class WriteRoute(RouteMixin):
    """POST datasets/write?target=SOURCE.NAME&mode=replace|append&inputs=A,B&run_id=...: the body, an Arrow
    IPC stream, becomes a governed dataset of a `datasets` source (write grant needed). `infer_inputs=1`:
    the inputs are what the kernel read, and those it may no longer read are left out."""

    path = "datasets/write"

    @web.authenticated
    async def post(self):
        import pyarrow as pa

        arg = self.get_query_argument
        target = arg("target", "")
        if not target:
            raise UsageError("the `target` query parameter is missing", fix="pass ?target=outputs.my_dataset")
        try:
            table = pa.ipc.open_stream(self.request.body).read_all()
        except (pa.ArrowInvalid, OSError) as exc:
            raise UsageError(f"the request body is not an Arrow IPC stream: {exc}",
                             fix="send the table as application/vnd.apache.arrow.stream (wb.write does)",
                             input=target) from None
        inputs = [name for name in arg("inputs", "").split(",") if name.strip()]
        result = await asyncio.to_thread(self.service.write_dataset, self.user_name, target, table,
                                         mode=arg("mode", "replace"), inputs=inputs, run_id=arg("run_id", None),
                                         surface=arg("surface", "api"),
                                         strict_inputs=arg("infer_inputs", "0") not in ("1", "true"))
        self.write_json(result, 201)


ROUTES = [SearchRoute, PreviewRoute, ProfileRoute, LineageRoute, WriteRoute]
