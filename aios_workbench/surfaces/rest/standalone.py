"""`aios serve`: the same REST API without a Jupyter server, guarded by bearer tokens.

For the dashboard, the scheduler and team deployments. Clients send
`Authorization: Bearer <token>` (or `token <token>`, as Jupyter clients do): the service's
own token acts as the identity it was started with; a per-user token (`tokens.py`,
`aios tokens add USER`) acts as its user; a delegate token (`aios tokens add NAME --delegate`) acts for
the policy user named in `X-AIOS-Act-As`, on the dashboard's views only.

Team mode (`hub:` in aios.yaml): any other token is taken to the JupyterHub the service is registered
with (`service/hub.py`), which says whose it is; it acts as that hub user's policy user, never for anyone
else (no `X-AIOS-Act-As`). The routes are served at `/aios/api/...` and, for the hub's proxy, which forwards
the full path to an external service, at `/services/<service_name>/aios/api/...` too.
"""

from __future__ import annotations

import hmac
import json
import logging
import urllib.parse
from typing import Any

from tornado import web

from aios_workbench.core.errors import AuthenticationRequired, PermissionDenied
from aios_workbench.service.core import WorkbenchService
from aios_workbench.service.hub import HubIdentities
from aios_workbench.service.tokens import ACT_AS, ServiceTokens
from aios_workbench.surfaces.mcp.http import mcp_routes
from aios_workbench.surfaces.rest.routes import RouteMixin, mount
from aios_workbench.surfaces.rest.serving import serve_until_stopped

log = logging.getLogger(__name__)
NAME_LIMIT = 64
EMAIL_LIMIT = 320   # the longest e-mail address a provider may name a user by


class TokenAuthBase(web.RequestHandler):
    """Authenticates the request's token: the service token (constant-time compare), a user's token, or a
    delegate token acting for the user its front end names."""

    delegable = False                  # routes a delegate token may call (the dashboard's views) say so
    delegated_by: dict | None = None   # the delegate token's entry, when one acts for the user
    _refusal: Exception | None = None

    _unknown_token: str | None = None   # a token neither the service's nor `aios tokens`': maybe the hub's

    def get_current_user(self):
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        acting_for = self.request.headers.get(ACT_AS)
        if scheme.lower() not in ("bearer", "token") or not token:
            return None
        entry: dict[str, Any] | None
        if hmac.compare_digest(token.encode(), self.settings["aios_token"].encode()):
            entry = {"user": self.settings["aios_user"]}
        else:
            user_tokens = self.settings.get("aios_user_tokens")
            entry = user_tokens.entry_for(token) if user_tokens is not None else None
        if entry is None:
            self._unknown_token = token
            return None
        if entry.get("agent"):   # an agent's calls go through the gateway's tools, limits and audit: no side door
            self._refusal = PermissionDenied(
                f"token {entry['id']} is agent {entry['user']}'s: agent tokens reach the MCP gateway only",
                fix="connect the agent to `aios mcp` (stdio) or to /aios/mcp (HTTP); see docs/agents.md",
                input="Authorization")
            return None
        if entry.get("delegate"):
            return self._delegated(entry, acting_for)
        if acting_for is not None:
            self._refusal = PermissionDenied(
                f"{ACT_AS} is only for delegate tokens: this token is {entry['user']}'s own",
                fix="drop the header (the token acts as its user), or use a delegate token "
                    "(`aios tokens add NAME --delegate`)", input=ACT_AS)
            return None
        return entry["user"]

    def _delegated(self, entry: dict, acting_for: str | None) -> str | None:
        """The user a delegate token acts for: a policy user, named in the header, on a dashboard view."""
        name = urllib.parse.unquote((acting_for or "").strip())   # percent-encoded: headers are Latin-1
        if not name:
            self._refusal = PermissionDenied(
                f"token {entry['id']} ({entry['user']}) is a delegate token: it acts for a user, never as itself",
                fix=f"name the policy user in the {ACT_AS} header", input=ACT_AS)
        elif not self.delegable:
            self._refusal = PermissionDenied(
                f"delegate token {entry['id']} ({entry['user']}) reaches the dashboard's views only, "
                f"not {self.request.path}", fix="use the user's own token (`aios tokens add USER`)",
                input=self.request.path)
        else:
            policy = self.settings["aios_service"].queries.policy.current()
            # the user's name, or (an identity provider's e-mail login) the user whose `email` it is
            user_name = policy.user_signed_in_as(name) if len(name) <= EMAIL_LIMIT else None
            user = policy.users.get(user_name) if user_name else None
            only = entry.get("for_roles")
            if user is None:
                self._refusal = PermissionDenied(
                    f"{ACT_AS} names no policy user", fix="name a user of governance/policy.yaml", input=ACT_AS)
            elif only and not set(user.roles) & set(only):
                self._refusal = PermissionDenied(
                    f"delegate token {entry['id']} ({entry['user']}) acts only for users with the role "
                    f"{' or '.join(only)}", fix="give the user one of those roles, or make the token with more "
                    "(`aios tokens add NAME --delegate --for-role ROLE`)", input=ACT_AS)
            else:
                self.delegated_by = {**entry, "signed_in_as": name} if name != user_name else entry
                return user_name
            self.settings["aios_service"].audit.append(
                user=(user_name or name)[:NAME_LIMIT], surface="api", action="act_as", target=entry["user"],
                allowed=False, detail={"reason": "not a policy user" if user is None else
                                       "no role the token may act for",
                                       "via": f"{entry['user']} (token {entry['id']})"})
        return None

    def workbench_user(self) -> str:
        return self.current_user

    async def prepare(self):
        hub = self.settings.get("aios_hub")
        if self.current_user is None and self._refusal is None and hub is not None and self._unknown_token:
            user = await hub.user_for(self._unknown_token)   # raises the hub's refusal, or that it is down
            if self.request.headers.get(ACT_AS) is not None:
                raise PermissionDenied(f"{ACT_AS} is refused with a JupyterHub token: it always acts as its own "
                                       "hub user", fix="drop the header", input=ACT_AS)
            self.current_user = user
        if self.current_user is None:
            if self._refusal is not None:
                raise self._refusal
            if self.request.headers.get("Authorization"):
                raise AuthenticationRequired(
                    "the token sent is not valid here (mistyped, revoked, or another service's)",
                    fix="send the token `aios serve` was started with, or a current one from `aios tokens add USER`")
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


def make_app(service: WorkbenchService, *, token: str, user: str,
             hub: HubIdentities | None = None) -> web.Application:
    """The service's application; with `hub`, hub tokens are accepted and every route is also served under the
    hub's prefix for this service (`/services/<name>/`)."""
    if not token:
        raise ValueError("the standalone service needs a non-empty token")
    routes = mount(TokenAuthBase, "")
    prefixes = [""]
    if hub is not None:
        routes += mount(TokenAuthBase, hub_prefix(hub.settings.service_name))
        prefixes.append(hub_prefix(hub.settings.service_name))
    gateway, bridge = mcp_routes(service, prefixes)   # the agent gateway (MCP over streamable HTTP)
    return web.Application(
        [*gateway, *routes],
        default_handler_class=NotFoundRoute,
        aios_service=service, aios_token=token, aios_user=user, aios_hub=hub,
        aios_user_tokens=ServiceTokens(service.workspace.state_dir), aios_mcp=bridge,
    )


def hub_prefix(service_name: str) -> str:
    """Where JupyterHub's proxy serves an external service: it forwards the full path, prefix included."""
    return f"/services/{urllib.parse.quote(service_name)}"


async def serve(service: WorkbenchService, *, host: str, port: int, token: str, user: str,
                hub: HubIdentities | None = None, on_ready=None) -> None:
    """Serve until SIGINT/SIGTERM, then close the service cleanly."""
    app = make_app(service, token=token, user=user, hub=hub)

    def close() -> None:
        app.settings["aios_mcp"].close()
        service.close()

    await serve_until_stopped(app, host=host, port=port, close=close, on_ready=on_ready)
