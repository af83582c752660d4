"""Dashboard identity: Panel's basic-auth login form, with passwords checked against salted scrypt
hashes (`users.DashboardUsers`) and names checked against the policy.

Panel's own `--basic-auth` compares plain-text passwords from a file; its `BasicAuthProvider`
is the hook that lets us verify them ourselves: `WorkbenchAuthProvider` swaps in a login
handler that checks the hash and that the name is a policy user, audits every attempt
(surface "dashboard", action "dashboard.login"), and a `get_user` that drops a still-signed
cookie once the user has lost its login or left the policy. The signed `user` cookie is what
`pn.state.user` reads in every session.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import tornado.escape
from panel.auth import BasicAuthProvider, BasicLoginHandler
from panel.config import config as panel_config

from .users import DashboardUsers

LOGIN_TEMPLATE = Path(__file__).with_name("login.html")
LOGOUT_TEMPLATE = Path(__file__).with_name("logout.html")   # Panel's own loads its logo from a CDN
FAILED_LOGIN_DELAY = 0.5   # seconds: slows guessing without annoying a person who mistyped
AUDIT_NAME_LIMIT = 64


def safe_next(url: str | None) -> str:
    """Where to go after logging in: a path on this server only (never `//host` or `http://...`)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


class LoginGate:
    """Decides who may log in and whether a signed cookie still stands for an allowed user."""

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

    def still_allowed(self, name: str) -> bool:
        return name in self.policy_users() and any(u["user"] == name for u in self.users.list())

    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None:
        self.service.audit.append(user=(name or "(empty)")[:AUDIT_NAME_LIMIT], surface="dashboard",
                                  action="dashboard.login", allowed=allowed,
                                  detail={"reason": reason, "remote_ip": remote_ip})


def login_handler_for(gate: LoginGate, template, endpoint: str):
    """A `BasicLoginHandler` subclass bound to `gate` (Panel instantiates handler classes itself)."""

    class WorkbenchLoginHandler(BasicLoginHandler):
        _login_endpoint = endpoint
        _login_template = template

        async def post(self):
            name = self.get_argument("username", "").strip()
            password = self.get_argument("password", "")
            allowed, reason = await asyncio.to_thread(gate.check, name, password)
            await asyncio.to_thread(gate.record, name, allowed, reason, self.request.remote_ip)
            if not allowed:
                await asyncio.sleep(FAILED_LOGIN_DELAY)
                message = tornado.escape.url_escape("Invalid username or password")
                self.redirect(f"{self.request.path}?error={message}")
                return
            self.set_current_user(name)
            self.redirect(safe_next(self.get_cookie("next_url", "/")))

    return WorkbenchLoginHandler


class WorkbenchAuthProvider(BasicAuthProvider):
    """Panel's basic auth provider with hashed passwords and policy users only."""

    def __init__(self, gate: LoginGate, **kwargs):
        self.gate = gate  # before super().__init__: Bokeh validates the provider's handlers there
        super().__init__(login_template=str(LOGIN_TEMPLATE), logout_template=str(LOGOUT_TEMPLATE), **kwargs)

    @property
    def login_handler(self):
        return login_handler_for(self.gate, self._login_template, self._login_endpoint)

    @property
    def get_user(self):
        signed = super().get_user

        def get_user(request_handler):
            user = signed(request_handler)
            if user and user != "guest" and self.gate.still_allowed(user):
                return user
            return None
        return get_user


def configure_cookie(secret: str) -> None:
    """Panel reads `config.cookie_secret` to decode `pn.state.user`; `pn.serve` also sets it."""
    panel_config.cookie_secret = secret
