"""Dashboard identity: Panel's basic-auth login form, with passwords checked against salted scrypt
hashes (`users.DashboardUsers`) and names checked against the policy.

Panel's own `--basic-auth` compares plain-text passwords from a file; its `BasicAuthProvider`
is the hook that lets us verify them ourselves: `WorkbenchAuthProvider` swaps in a login
handler that checks the hash and that the name is a policy user, audits every attempt
(surface "dashboard", action "dashboard.login"), and a `get_user` that drops a still-signed
cookie once the user has lost its login or left the policy. The signed `user` cookie is what
`pn.state.user` reads in every session.

A gate decides: `LoginGate` (local mode: password logins), `TeamLoginGate` (team mode: the user's
own service token, checked by the service, kept in `TokenSessions` in this process only) and
`oauth.OAuthGate` (the team's identity provider). Each says who may log in, whether a session
still stands, and gives the session its data facade (`data_for`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import tornado.escape
from panel.auth import BasicAuthProvider, BasicLoginHandler, LogoutHandler
from panel.config import config as panel_config

from aios_workbench.core.errors import AuthenticationRequired, ConnectorError, WorkbenchError
from aios_workbench.surfaces.dashboard.users import DashboardUsers

if TYPE_CHECKING:  # team mode only: imported where a session connects
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

log = logging.getLogger(__name__)
LOGIN_TEMPLATE = Path(__file__).with_name("login.html")
LOGOUT_TEMPLATE = Path(__file__).with_name("logout.html")   # Panel's own loads its logo from a CDN
UNREACHABLE = "The workbench service is unreachable: try again later"
FAILED_LOGIN_DELAY = 0.5   # seconds: slows guessing without annoying a person who mistyped


def unknown_name(name: str) -> str:
    """How a login name that is no policy user is recorded: people paste passwords and tokens into the
    name field, so never the text itself; a short digest still tells repeated attempts apart."""
    if not name:
        return "(empty)"
    return f"(unknown name {hashlib.sha256(name.encode()).hexdigest()[:10]})"


def safe_next(url: str | None) -> str:
    """Where to go after logging in: a path on this server only (never `//host` or `http://...`)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


class FormGate(Protocol):
    """What the login form asks of a gate (`LoginGate` locally, `TeamLoginGate` in team mode)."""

    secret_label: str
    secret_hint: str
    failure_message: str

    def check(self, name: str, secret: str) -> tuple[bool, str]: ...
    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None: ...
    def logged_in(self, request_handler: Any, name: str, secret: str) -> None: ...
    def logged_out(self, request_handler: Any) -> None: ...
    def still_allowed(self, name: str, request_handler: Any = None) -> bool: ...


class LoginGate:
    """Decides who may log in and whether a signed cookie still stands for an allowed user."""

    secret_label, secret_hint = "Password", ""
    failure_message = "Invalid username or password"

    def __init__(self, service, users: DashboardUsers):
        self.service = service
        self.users = users

    def policy_users(self) -> set[str]:
        return set(self.service.queries.policy.current().users)

    def check(self, name: str, password: str) -> tuple[bool, str]:
        """(allowed, reason). The hash is always computed, so unknown names take as long as known ones."""
        password_ok = self.users.verify(name, password)
        if name not in self.policy_users():
            return False, "not a policy user"
        if not password_ok:
            return False, "wrong password or no dashboard login"
        return True, "password verified"

    def still_allowed(self, name: str, request_handler=None) -> bool:
        return name in self.policy_users() and any(u["user"] == name for u in self.users.list())

    def logged_in(self, request_handler, name: str, password: str) -> None:
        """After a successful login (nothing more to keep: the `user` cookie says who it is)."""

    def logged_out(self, request_handler) -> None:
        """On logout (Panel clears its own cookies)."""

    def auth_provider(self):
        return WorkbenchAuthProvider(self)

    def data_for(self, name: str, cookie):
        """The `DashboardData` of logged-in `name` (`cookie(NAME)` reads a signed cookie of the request);
        raises AuthenticationRequired once the login was removed or the name left the policy."""
        from aios_workbench.service.dashboard.views import DashboardData  # lazy: service-layer views: local mode only

        if not self.still_allowed(name):
            raise AuthenticationRequired(f"{name} has no dashboard login any more", fix="log in again")
        return DashboardData(self.service, name)

    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None:
        shown = name if name in self.policy_users() else unknown_name(name)
        self.service.audit.append(user=shown, surface="dashboard", action="dashboard.login", allowed=allowed,
                                  detail={"reason": reason, "remote_ip": remote_ip})


class TokenSessions:
    """Team mode: each browser's service token, kept in this process only (never in a cookie or a log).
    The browser holds a random session id in a signed cookie; a restart of the dashboard logs everyone out."""

    COOKIE = "aios_session"

    def __init__(self, ttl_seconds: float):
        self.ttl = ttl_seconds
        self._sessions: dict[str, tuple[str, str, float]] = {}   # id -> (user, token, expires at)
        self._lock = threading.Lock()

    def open(self, user: str, token: str) -> str:
        session_id = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v[2] > now}   # drop expired ones
            self._sessions[session_id] = (user, token, now + self.ttl)
        return session_id

    def token(self, session_id: str | None, user: str) -> str | None:
        """The token of `session_id`, if that session is `user`'s and not expired."""
        with self._lock:
            found = self._sessions.get(session_id or "")
        if found and found[0] == user and found[2] > time.monotonic():
            return found[1]
        return None

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)


class Handover:
    """The service's answer to a page load's check, kept briefly for the session that load opens, which
    takes it (once) instead of asking the service again: one round trip per page load, not two."""

    SECONDS = 10.0

    def __init__(self):
        self._kept: dict[str, tuple[RemoteDashboardData, float]] = {}   # session id or user -> (facade, when)
        self._lock = threading.Lock()

    def keep(self, key: str, data: RemoteDashboardData) -> None:
        now = time.monotonic()
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if now - v[1] < self.SECONDS}
            self._kept[key] = (data, now)

    def take(self, key: str, user: str | None = None) -> RemoteDashboardData | None:
        """The facade kept under `key` (and of `user`, when given), if fresh; else None."""
        # lazy: team mode only: the REST client and view schemas stay out of local mode
        from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

        with self._lock:
            kept = self._kept.pop(key, None)
        if kept is None:
            return None
        data, at = kept
        if (user is not None and data.user != user) or time.monotonic() - at >= self.SECONDS:
            return None
        data.client.timeout = RemoteDashboardData.TIMEOUT   # the check's own timeout was short
        return data

    def peek(self, key: str):
        with self._lock:
            return self._kept.get(key, (None, 0.0))[0]

    def __len__(self) -> int:
        return len(self._kept)


class TeamLoginGate:
    """Team mode: a user logs in with their name and their own service token (`aios tokens add USER` on
    the service); the service says whose token it is, and records the login in its audit log."""

    secret_label = "Service token"
    secret_hint = "This dashboard reads a shared workbench service: log in with the token its admin gave you."
    failure_message = "Invalid username or token"

    def __init__(self, service_url: str, sessions: TokenSessions):
        self.service_url = service_url
        self.sessions = sessions
        self._checked = Handover()   # by session id

    def check(self, name: str, token: str) -> tuple[bool, str]:
        from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData  # lazy: team mode only (REST client)

        try:
            me = RemoteDashboardData.connect(self.service_url, token)
            if me.user != name:
                return False, "the token is another user's"
            RemoteDashboardData.connect(self.service_url, token, login=True)   # audited by the service
        except AuthenticationRequired:
            return False, "the service refused the token"
        except ConnectorError:
            return False, UNREACHABLE
        return True, "service token verified"

    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None:
        if not allowed:   # the service records successful logins; refusals are only known here
            log.warning("dashboard login refused for %s from %s: %s", unknown_name(name), remote_ip, reason)

    def logged_in(self, request_handler, name: str, token: str) -> None:
        request_handler.set_secure_cookie(TokenSessions.COOKIE, self.sessions.open(name, token), httponly=True,
                                          expires_days=panel_config.oauth_expiry, samesite="Lax")

    def logged_out(self, request_handler) -> None:
        self.sessions.close(handler_cookie(request_handler)(TokenSessions.COOKIE))
        request_handler.clear_cookie(TokenSessions.COOKIE)

    def still_allowed(self, name: str, request_handler=None) -> bool:
        """A live session of `name`; on a page load (not its websocket) the service must still accept the
        token, so a revoked token sends the browser back to the login form."""
        from tornado.websocket import WebSocketHandler

        from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData  # lazy: team mode only (REST client)

        if request_handler is None:
            return True
        session_id = handler_cookie(request_handler)(TokenSessions.COOKIE)
        token = self.sessions.token(session_id, name)
        if token is None or isinstance(request_handler, WebSocketHandler):
            return token is not None
        try:
            checked = RemoteDashboardData.connect(self.service_url, token, timeout=10)
        except AuthenticationRequired:
            self.sessions.close(session_id)
            return False
        except WorkbenchError:
            return True   # unreachable: the page says so, and the session survives the outage
        self._checked.keep(session_id, checked)
        return True

    def auth_provider(self):
        return TeamAuthProvider(self)

    def data_for(self, name: str, cookie):
        """Raises AuthenticationRequired once the token was revoked on the service."""
        from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData  # lazy: team mode only (REST client)

        session_id = cookie(TokenSessions.COOKIE)
        token = self.sessions.token(session_id, name)
        if token is None:
            raise AuthenticationRequired("your dashboard session has ended", fix="log in again")
        return self._checked.take(session_id, name) or RemoteDashboardData.connect(self.service_url, token)


def logout_handler_for(gate, panel_logout: type[LogoutHandler]):
    """Panel's logout handler, telling `gate` first (team mode forgets the session's token)."""

    # the base is the provider's own handler class, known only at run time (mypy needs static bases)
    class WorkbenchLogoutHandler(panel_logout):  # type: ignore[valid-type, misc]
        def get(self):
            gate.logged_out(self)
            super().get()

    return WorkbenchLogoutHandler


def login_handler_for(gate: FormGate, template, endpoint: str):
    """A `BasicLoginHandler` subclass bound to `gate` (Panel instantiates handler classes itself)."""

    class WorkbenchLoginHandler(BasicLoginHandler):
        _login_endpoint = endpoint
        _login_template = template

        def get(self):
            next_url = safe_next(self.get_argument("next", "/"))
            if next_url != "/":
                self.set_cookie("next_url", next_url, httponly=True)
            self.write(self._login_template.render(login_endpoint=self._login_endpoint,
                                                   errormessage=self.get_argument("error", ""),
                                                   secret_label=gate.secret_label, secret_hint=gate.secret_hint))

        async def post(self):
            name = self.get_argument("username", "").strip()
            password = self.get_argument("password", "")
            allowed, reason = await asyncio.to_thread(gate.check, name, password)
            await asyncio.to_thread(gate.record, name, allowed, reason, self.request.remote_ip)
            if not allowed:
                await asyncio.sleep(FAILED_LOGIN_DELAY)
                message = tornado.escape.url_escape(gate.failure_message if reason != UNREACHABLE else reason)
                self.redirect(f"{self.request.path}?error={message}")
                return
            self.set_current_user(name)
            gate.logged_in(self, name, password)
            self.redirect(safe_next(self.get_cookie("next_url", "/")))

    return WorkbenchLoginHandler


class WorkbenchAuthProvider(BasicAuthProvider):
    """Panel's basic auth provider with hashed passwords and policy users only."""

    def __init__(self, gate: FormGate, **kwargs):
        self.gate = gate  # before super().__init__: Bokeh validates the provider's handlers there
        super().__init__(login_template=str(LOGIN_TEMPLATE), logout_template=str(LOGOUT_TEMPLATE), **kwargs)

    @property
    def login_handler(self):
        return login_handler_for(self.gate, self._login_template, self._login_endpoint)

    @property
    def logout_handler(self):
        return logout_handler_for(self.gate, super().logout_handler)

    @property
    def get_user(self):
        signed = super().get_user

        def get_user(request_handler):
            user = signed(request_handler)
            if user and user != "guest" and self.gate.still_allowed(user, request_handler):
                return user
            return None
        return get_user


def session_cookie(name: str) -> str | None:
    """A signed cookie of the current Panel session's request, verified, or None."""
    import panel as pn
    from tornado.web import decode_signed_value

    raw = (pn.state.cookies or {}).get(name)
    value = decode_signed_value(panel_config.cookie_secret, name, raw) if raw else None
    return value.decode() if value else None


def handler_cookie(request_handler):
    """`cookie(NAME)` for a Tornado request handler: its signed cookie NAME, verified, or None."""
    def cookie(name: str) -> str | None:
        value = request_handler.get_secure_cookie(name)
        return value.decode() if value else None
    return cookie


def configure_cookie(secret: str) -> None:
    """Panel reads `config.cookie_secret` to decode `pn.state.user`; `pn.serve` also sets it."""
    # Panel's config routes the assignment to its `_cookie_secret` parameter; the property has no setter
    panel_config.cookie_secret = secret  # type: ignore[misc]


class TeamAuthProvider(WorkbenchAuthProvider):
    """Team mode: whether a session still stands asks the service (a blocking call), so it runs off the
    IO loop through Bokeh's `get_user_async` (a provider defines one of the two)."""

    @property
    def get_user(self):
        return None

    @property
    def get_user_async(self):
        signed = super(WorkbenchAuthProvider, self).get_user   # Panel's: the signed cookie only

        async def get_user(request_handler):
            user = signed(request_handler)
            if user and user != "guest" and await asyncio.to_thread(self.gate.still_allowed, user, request_handler):
                return user
            return None
        return get_user
