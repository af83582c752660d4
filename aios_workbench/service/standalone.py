"""`aios serve`: the same REST API without a Jupyter server, guarded by bearer tokens.

For the dashboard, the scheduler and team deployments. Clients send
`Authorization: Bearer <token>` (or `token <token>`, as Jupyter clients do): the service's
own token acts as the identity it was started with; a per-user token (`tokens.py`,
`aios tokens add USER`) acts as its user.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import signal

from tornado import web
from tornado.httpserver import HTTPServer

from ..errors import AuthenticationRequired
from .core import WorkbenchService
from .routes import RouteMixin, mount

log = logging.getLogger(__name__)


class TokenAuthBase(web.RequestHandler):
    """Authenticates the request's token: the service token (constant-time compare) or a user's token."""

    def get_current_user(self):
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() in ("bearer", "token") and token:
            if hmac.compare_digest(token.encode(), self.settings["aios_token"].encode()):
                return self.settings["aios_user"]
            user_tokens = self.settings.get("aios_user_tokens")
            if user_tokens is not None:
                return user_tokens.user_for(token)
        return None

    def workbench_user(self) -> str:
        return self.current_user

    def prepare(self):
        if self.current_user is None:
            raise AuthenticationRequired(
                "this endpoint needs the service token",
                fix="send the header `Authorization: Bearer <token>` with the token `aios serve` was started with",
            )

    def _handle_request_exception(self, e):
        if isinstance(e, AuthenticationRequired):
            self.set_header("WWW-Authenticate", 'Bearer realm="aios-workbench"')
        super()._handle_request_exception(e)

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"error": "http_error", "message": self._reason, "fix": None}))

    def get_login_url(self):  # `web.authenticated` on an API answers 401 instead of redirecting
        raise AuthenticationRequired("this endpoint needs the service token",
                                     fix="send `Authorization: Bearer <token>`")


class NotFoundRoute(RouteMixin, TokenAuthBase):
    """Unknown paths answer a JSON 404, and only to authenticated callers."""

    def get(self, *args):
        raise web.HTTPError(404, "no such endpoint; see /aios/api/openapi.yaml")


def make_app(service: WorkbenchService, *, token: str, user: str) -> web.Application:
    from .tokens import ServiceTokens

    if not token:
        raise ValueError("the standalone service needs a non-empty token")
    return web.Application(
        mount(TokenAuthBase, ""),
        default_handler_class=NotFoundRoute,
        aios_service=service, aios_token=token, aios_user=user,
        aios_user_tokens=ServiceTokens(service.workspace.state_dir),
    )


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def serve(service: WorkbenchService, *, host: str, port: int, token: str, user: str,
                on_ready=None) -> None:
    """Serve until SIGINT/SIGTERM, then close the service cleanly."""
    server = HTTPServer(make_app(service, token=token, user=user))
    server.listen(port, address=host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if on_ready:
        on_ready()
    try:
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
        service.close()
