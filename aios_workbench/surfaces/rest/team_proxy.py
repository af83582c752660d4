"""Proxy mode of the server extension: a user's Jupyter server forwards the workbench API to the central service.

In a team deployment each user's single-user server (started by JupyterHub under the user's account) opens no
workspace. The sidebar still calls `<base_url>aios/api/*` on its own server; `TeamProxyRoute` forwards each
call to `<service_url>/aios/api/*` with `Authorization: token <credential>`, the server's hub token, which
tells the service who the user is. What the browser sends to prove itself to Jupyter (Authorization, cookies,
a `token` query argument, `_xsrf`) and any header claiming another identity (X-AIOS-Act-As) stay here: the
service hears only the method, the path, the query, the body and its Content-Type.

Bodies stream both ways (Arrow query results, run outputs, `datasets/write` uploads): nothing is held whole
here except the small JSON bodies of the calls whose notebook this server fills in. A notebook lives in the
user's folder, which the service cannot read, so `POST jobs/promote` and `notebooks/parameters` are sent with
the notebook's content, read through this server's contents manager as the user.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tornado import httputil, web
from tornado.http1connection import HTTP1Connection
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.queues import Queue

from aios_workbench.core import incidents
from aios_workbench.core.errors import (
    ConnectorError,
    NotFound,
    PermissionDenied,
    UsageError,
    WorkbenchError,
    http_status,
)

log = logging.getLogger(__name__)

API_PATH = "aios/api/"
# Headers of the service's answer the browser needs: what the body is, how to save it, the sandbox of an
# executed notebook's HTML, and the workbench's own (X-AIOS-Datasets). Never its cookies or auth challenges.
ANSWER_HEADERS = ("Content-Type", "Content-Disposition", "Content-Security-Policy", "X-Content-Type-Options")
ANSWER_PREFIX = "X-AIOS-"
# Query arguments that authenticate the browser to Jupyter: they are Jupyter's, never the service's.
JUPYTER_QUERY = ("token", "_xsrf")
MAX_FILLED_BODY = 8 * 2**20     # the JSON bodies read here to add the notebook (a promotion's options)
MAX_NOTEBOOK = 64 * 2**20       # a notebook sent to the service (outputs included; the snapshot drops them)
BODY_QUEUE = 16                 # chunks of an upload waiting for the service: the browser waits beyond that
CONNECT_TIMEOUT = 10.0
# A promotion waits for its validation run (jobs.validation_timeout_seconds, 600 s by default); a query may
# stream for long: the service's own limits end them, this only ends a call that hangs.
REQUEST_TIMEOUT = 3600.0
WRITE_ENDPOINT = "datasets/write"
HUGE = 2**50                    # no size limit here on what streams through: the service sets the limits


class ServiceUnreachable(ConnectorError):
    """The central workbench service did not answer this Jupyter server."""

    code = "service_unreachable"


@dataclass
class ServiceLink:
    """The central service this server forwards to, and the credential it sends (the user's hub token)."""

    url: str
    token: str
    token_env: str
    _client: AsyncHTTPClient | None = field(default=None, repr=False)

    def client(self) -> AsyncHTTPClient:
        # one client of our own (not the shared per-loop instance): no body size limit, since bodies stream
        if self._client is None:
            self._client = AsyncHTTPClient(force_instance=True, max_body_size=HUGE)
        return self._client


if TYPE_CHECKING:   # mounted after Jupyter's APIHandler (see jupyter.py), which authenticates
    from jupyter_server.base.handlers import APIHandler as _Handler
else:
    _Handler = object


def forwarded_endpoint(request_path: str, base_url: str) -> str:
    """The part of `request_path` after `<base_url>aios/api/`, still percent-encoded as the browser sent it;
    a `.` or `..` segment is refused (the service's URL space above aios/api/ is not the caller's)."""
    prefix = base_url.rstrip("/") + "/" + API_PATH
    endpoint = request_path[len(prefix):] if request_path.startswith(prefix) else request_path.split(API_PATH, 1)[-1]
    if any(urllib.parse.unquote(segment) in (".", "..") for segment in endpoint.split("/")):
        raise UsageError("the path holds a `.` or `..` segment", input=endpoint,
                         fix="call the endpoint by its documented path, e.g. aios/api/status")
    return endpoint


def forwarded_query(arguments: dict[str, list[bytes]]) -> str:
    """The query string without Jupyter's own arguments (its token would otherwise reach the service)."""
    return urllib.parse.urlencode([(name, value) for name, values in arguments.items() if name not in JUPYTER_QUERY
                                   for value in values])


class TeamProxyRoute(_Handler):
    """`<base_url>aios/api/(.*)` in proxy mode: every verb forwarded to the central service as this server's user.

    Jupyter's authentication (the base class) runs first: a caller without this server's token or login cookie
    is refused here and nothing reaches the service."""

    SUPPORTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
    _stream_request_body = True   # what @web.stream_request_body sets; this mixin is no RequestHandler yet
    _buffer: list[bytes] | None = None
    _buffered = 0
    _queue: Queue | None = None
    _upstream: asyncio.Future | None = None
    _status: tuple[int, str] | None = None
    _answer_headers: httputil.HTTPHeaders | None = None
    _started = False
    _endpoint = ""

    @property
    def link(self) -> ServiceLink:
        return self.settings["aios_service_link"]

    def _connection(self) -> HTTP1Connection:
        connection = self.request.connection
        assert isinstance(connection, HTTP1Connection)   # tornado serves HTTP/1 only
        return connection

    async def prepare(self):  # type: ignore[override]   # Jupyter's `_redirect_to_login`: an API never redirects
        authenticated = super().prepare()   # Jupyter's auth (and XSRF for cookies) before any byte is read
        if inspect.isawaitable(authenticated):
            await authenticated
        if self._finished:
            return
        self._endpoint = forwarded_endpoint(self.request.path, self.settings.get("base_url", "/"))
        if not self.link.token:
            raise ServiceUnreachable(
                f"this Jupyter server holds no credential for the workbench service (${self.link.token_env} is "
                "empty)", input=self.link.token_env,
                fix="start it through JupyterHub (which sets it), or name the variable holding a workbench token "
                    "with AIOSWorkbench.service_token_env")
        if self._fills_notebook():
            self._buffer = []
        elif self.request.method in ("POST", "PUT", "PATCH"):
            if self._endpoint.rstrip("/") == WRITE_ENDPOINT:   # past Jupyter's limit: the service holds its own
                self._connection().set_max_body_size(HUGE)     # (service.max_write_mb), as `aios lab` does
            self._queue = Queue(maxsize=BODY_QUEUE)
            length = self.request.headers.get("Content-Length")
            self._upstream = asyncio.ensure_future(self._forward(
                self.request.method, self._endpoint, forwarded_query(self.request.query_arguments),
                content_type=self.request.headers.get("Content-Type"), length=length,
                body_producer=self._produce_body))
            self._upstream.add_done_callback(lambda _: self._drop_queue())

    def _fills_notebook(self) -> bool:
        """Whether this call names a notebook whose content this server adds (see the module docstring)."""
        endpoint = self._endpoint.rstrip("/")
        return (self.request.method, endpoint) in (("POST", "jobs/promote"), ("GET", "notebooks/parameters"),
                                                  ("POST", "notebooks/parameters"))

    async def data_received(self, chunk: bytes) -> None:
        if self._buffer is not None:
            self._buffered += len(chunk)
            if self._buffered <= MAX_FILLED_BODY:
                self._buffer.append(chunk)
        elif self._queue is not None:
            await self._queue.put(chunk)   # waits while the service is slower than the browser

    async def _produce_body(self, write) -> None:
        assert self._queue is not None
        while (chunk := await self._queue.get()) is not None:
            await write(chunk)

    def _drop_queue(self) -> None:
        """The service answered (or failed) before the upload ended: unblock and discard the rest of it."""
        queue, self._queue = self._queue, None
        while queue is not None and not queue.empty():
            queue.get_nowait()

    # -- the verbs -------------------------------------------------------------------------------------------
    async def get(self, _path: str) -> None:
        await self._answer()

    async def post(self, _path: str) -> None:
        await self._answer()

    async def put(self, _path: str) -> None:
        await self._answer()

    async def patch(self, _path: str) -> None:
        await self._answer()

    async def delete(self, _path: str) -> None:
        await self._answer()

    async def _answer(self) -> None:
        if self._upstream is not None:     # an upload streaming since `prepare`
            if self._queue is not None:
                await self._queue.put(None)
            await self._upstream
        elif self._buffer is not None:
            endpoint, body = await self._with_notebook()
            await self._forward("POST", endpoint, "", body=body, content_type="application/json")
        else:
            await self._forward(self.request.method, self._endpoint, forwarded_query(self.request.query_arguments),
                                body=self.request.body or None, content_type=self.request.headers.get("Content-Type"))
        if self._started or self._status is not None:
            self.finish(set_content_type=self._content_type())

    # -- the notebook's content --------------------------------------------------------------------------------
    async def _with_notebook(self) -> tuple[str, bytes]:
        """(endpoint, JSON body) of this call as a POST with the notebook's content added."""
        if self._buffered > MAX_FILLED_BODY:
            raise UsageError(f"the request body is over {MAX_FILLED_BODY // 2**20} MB", input=self._endpoint,
                             fix="send the promotion's options only; this server adds the notebook")
        endpoint = self._endpoint.rstrip("/")
        if self.request.method == "GET":   # the sidebar's GET notebooks/parameters?path=: asked as a POST
            path = self.get_query_argument("path", "")
            if not path:
                raise UsageError("the `path` query parameter is missing", fix="pass ?path=NAME.ipynb")
            body: dict[str, Any] = {"path": path}
        else:
            try:
                body = json.loads(b"".join(self._buffer or []) or b"{}")
            except ValueError:
                raise UsageError(f"the body of POST {endpoint} is not JSON", input=endpoint,
                                 fix="send a JSON object, e.g. {\"notebook\": \"NAME.ipynb\"}") from None
        key = "notebook" if endpoint == "jobs/promote" else "path"
        if isinstance(body, dict) and isinstance(body.get(key), str) and body.get("content") is None:
            body["content"] = await self._notebook_content(body[key])
        return endpoint, json.dumps(body).encode()

    async def _notebook_content(self, path: str) -> dict[str, Any]:
        """The notebook at `path` (relative to this server's root, as the sidebar names it), read as the user."""
        # lazy: jupyter_core's helper, only when a notebook is read for the service
        from jupyter_core.utils import ensure_async

        name = path.strip().lstrip("/")
        if not name.endswith(".ipynb"):
            raise UsageError(f"{path} is not a notebook (.ipynb)", input=path,
                             fix="promote a Jupyter notebook file ending in .ipynb")
        if not self.authorizer.is_authorized(self, self.current_user, "read", "contents"):
            raise PermissionDenied(f"you may not read files on this Jupyter server, so {name} cannot be sent",
                                   input=name, fix="ask the administrator of your Jupyter server")
        try:
            model = await ensure_async(self.contents_manager.get(name, content=True, type="notebook"))
        except web.HTTPError as exc:
            if exc.status_code == 404:
                raise NotFound(f"notebook {name} does not exist on your Jupyter server", input=name,
                               fix="pass its path relative to the file browser's root folder") from None
            raise UsageError(f"{name} cannot be read as a notebook (Jupyter answered {exc.status_code})", input=name,
                             fix="open it in JupyterLab and save it again") from None
        content = json.loads(json.dumps(model["content"]))   # nbformat's node as plain JSON
        if len(json.dumps(content)) > MAX_NOTEBOOK:
            raise UsageError(f"{name} is over {MAX_NOTEBOOK // 2**20} MB", input=name,
                             fix="clear its outputs (Edit > Clear Outputs of All Cells), save, and promote again")
        return content

    # -- talking to the service ----------------------------------------------------------------------------------
    async def _forward(self, method: str, endpoint: str, query: str, *, body: bytes | None = None,
                       body_producer=None, content_type: str | None = None, length: str | None = None) -> None:
        """Send the call to the service; its answer streams to the browser as it comes."""
        headers = {"Authorization": f"token {self.link.token}"}
        if content_type and (body is not None or body_producer is not None):
            headers["Content-Type"] = content_type
        if length and body_producer is not None:
            headers["Content-Length"] = length
        url = f"{self.link.url.rstrip('/')}/{API_PATH}{endpoint}" + (f"?{query}" if query else "")
        request = HTTPRequest(url, method=method, headers=headers, body=body, body_producer=body_producer,
                              header_callback=self._answer_header, streaming_callback=self._answer_chunk,
                              follow_redirects=False, allow_nonstandard_methods=True,
                              connect_timeout=CONNECT_TIMEOUT, request_timeout=REQUEST_TIMEOUT)
        try:
            await self.link.client().fetch(request, raise_error=False)
        except Exception as exc:  # noqa: BLE001 - refused connections, timeouts, resets: all mean no answer
            self._no_answer(exc)
            return
        if not self._started and self._status is None:
            self._no_answer(None)

    def _no_answer(self, exc: BaseException | None) -> None:
        """The service failed: a 502 in the product's shape before the answer began, else a cut connection
        (finishing the stream would make a truncated result look whole)."""
        reason = getattr(exc, "strerror", None) or getattr(exc, "message", None) or type(exc).__name__
        log.warning("aios-workbench: %s %s: the service at %s failed: %s", self.request.method, self._endpoint,
                    self.link.url, reason)
        if self._started:
            self._connection().close()
            return
        raise ServiceUnreachable(f"the workbench service at {self.link.url} did not answer ({reason})",
                                 input=self.link.url,
                                 fix="try again in a moment; if it persists, ask your administrator whether the "
                                     "workbench service (`aios serve`) runs")

    def _answer_header(self, line: str) -> None:
        if self._status is None and line.startswith("HTTP/"):
            start = httputil.parse_response_start_line(line.strip())
            self._status, self._answer_headers = (start.code, start.reason), httputil.HTTPHeaders()
        elif line.strip() and self._answer_headers is not None:
            self._answer_headers.parse_line(line)
        elif not line.strip() and self._status is not None:
            self._apply_answer_headers()

    def _apply_answer_headers(self) -> None:
        assert self._status is not None and self._answer_headers is not None
        code, reason = self._status
        self.set_status(code, reason or None)
        for name, value in self._answer_headers.get_all():
            if name in ANSWER_HEADERS or name.upper().startswith(ANSWER_PREFIX):
                self.set_header(name, value)

    def _content_type(self) -> str:
        headers = self._answer_headers
        return (headers.get("Content-Type") if headers is not None else None) or "application/json"

    def _answer_chunk(self, chunk: bytes) -> None:
        if self._connection().stream.closed():
            raise ConnectionAbortedError("the browser went away")   # ends the call to the service as well
        if not self._started:
            self.set_header("Content-Type", self._content_type())   # APIHandler would say JSON otherwise
            self._started = True
        self.write(chunk)
        self.flush().add_done_callback(_ignore_closed)

    # -- errors --------------------------------------------------------------------------------------------------
    def _handle_request_exception(self, e: BaseException) -> None:
        if self._finished or self._headers_written or isinstance(e, (web.HTTPError, web.Finish)) \
                or not isinstance(e, Exception):
            super()._handle_request_exception(e)
            return
        if isinstance(e, WorkbenchError):
            body, status = e.to_dict(), http_status(e)
        else:
            body, status = incidents.internal_error_body(
                incidents.report(e, where=f"{self.request.method} {self.request.path}", user=None, state_dir=None)), 500
        self.clear()
        self.set_status(status)
        self.finish(json.dumps(body), set_content_type="application/json; charset=UTF-8")


def _ignore_closed(future: asyncio.Future) -> None:
    future.exception()   # a browser gone mid-answer: nothing to tell it (`_answer_chunk` stops the service call)
