"""OAuth logins (`aios dashboard --oauth`): Panel's generic OAuth2 authorization-code flow against the
team's identity provider (Keycloak, Dex, Authentik, Okta, Entra ID...), configured with the variables
Panel users already know:

    PANEL_OAUTH_KEY, PANEL_OAUTH_SECRET            the dashboard's client id and secret at the provider
    PANEL_OAUTH_AUTHORIZE_URL, PANEL_OAUTH_TOKEN_URL   the provider's endpoints
    PANEL_OAUTH_USER_URL                           its userinfo endpoint (unless tokens carry an id_token)
    PANEL_OAUTH_JWT_USER                           the claim that names the user (default preferred_username)
    PANEL_OAUTH_REDIRECT_URI                       e.g. https://dashboard.example.com/login (register it)
    PANEL_OAUTH_SCOPE                              comma-separated (default openid,profile,email)

The provider's user name must be a policy user, or the `email` attribute of exactly one (matched in any
case, for providers whose user names are e-mail addresses): everyone else is refused (403, and no login
cookie is left behind), and every outcome is audited like a password login. A name that leaves the policy loses
its session on its next request. The provider's tokens, kept by Panel in cookies, are encrypted with a
key derived from the dashboard's cookie secret.

In team mode (`--service-url` with `--oauth`) the dashboard holds a delegate token of the service
(`aios tokens add dashboard --delegate`, given as AIOS_DASHBOARD_SERVICE_TOKEN) and names the signed-in
user in each call; the service decides whether that is a policy user, applies that user's permissions
and audits the login (`TeamOAuthGate`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os

from panel.auth import GenericLoginHandler, OAuthProvider
from panel.config import config as panel_config
from tornado.web import HTTPError

from aios_workbench.core.errors import (
    AuthenticationRequired,
    ConnectorError,
    PermissionDenied,
    UsageError,
    WorkbenchError,
)
from aios_workbench.surfaces.dashboard.auth import LOGOUT_TEMPLATE, UNREACHABLE, Handover

log = logging.getLogger(__name__)
REQUIRED = ("PANEL_OAUTH_KEY", "PANEL_OAUTH_SECRET", "PANEL_OAUTH_AUTHORIZE_URL", "PANEL_OAUTH_TOKEN_URL")
DEFAULT_USER_CLAIM = "preferred_username"
DEFAULT_SCOPE = ["openid", "profile", "email"]
NAME_LIMIT = 64
AUTH_COOKIES = ("user", "id_token", "access_token", "refresh_token", "oauth_expiry")


def check_settings(environ=os.environ) -> None:
    """Refuse to start with a half-configured provider, naming what is missing."""
    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise UsageError(f"OAuth logins need {', '.join(missing)} in the environment",
                         fix="set them to the dashboard's client at your identity provider (see `aios dashboard "
                             "--help` and docs/workspace.md, Dashboard), or drop --oauth to use password logins",
                         input=missing[0])


def configure(secret: str, environ=os.environ) -> None:
    """Panel's OAuth settings for this process: the user claim, the scope, cookie encryption."""
    import panel as pn
    from cryptography.fernet import Fernet

    check_settings(environ)
    # Panel's config routes these assignments to its `_oauth_...` parameters; the properties have no setter
    if not environ.get("PANEL_OAUTH_JWT_USER"):
        panel_config.oauth_jwt_user = DEFAULT_USER_CLAIM  # type: ignore[misc]
    if not environ.get("PANEL_OAUTH_SCOPE") and not environ.get("PANEL_OAUTH_EXTRA_PARAMS"):
        panel_config.oauth_extra_params = {"scope": DEFAULT_SCOPE}  # type: ignore[misc]
    # `pn.serve` ignores oauth_encryption_key (only `panel serve` uses it): set the cipher ourselves
    key = base64.urlsafe_b64encode(hashlib.sha256(f"aios-oauth:{secret}".encode()).digest())
    pn.state.encryption = Fernet(key)


class OAuthGate:
    """Who may stay logged in: any policy user the identity provider vouches for (no local password)."""

    def __init__(self, service):
        self.service = service

    def check(self, name: str, password: str) -> tuple[bool, str]:
        return False, "password logins are off: this dashboard logs in through OAuth"

    def policy_user(self, name: str) -> str | None:
        """The policy user the provider's `name` stands for (its name, or its `email` attribute)."""
        return self.service.queries.policy.current().user_signed_in_as(name)

    def admit(self, name: str) -> tuple[bool, str]:
        """Whether the provider's user `name` may log in, and why (the reason is audited)."""
        if self.policy_user(name) is not None:
            return True, "identity provider vouched for a policy user"
        return False, "not a policy user"

    def still_allowed(self, name: str, request_handler=None) -> bool:
        return self.policy_user(name) is not None

    def data_for(self, name: str, cookie):
        from aios_workbench.service.dashboard.views import DashboardData  # lazy: service-layer views: local mode only

        user = self.policy_user(name)
        if user is None:
            raise AuthenticationRequired(f"{name} is no policy user any more", fix="ask an admin")
        return DashboardData(self.service, user)

    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None:
        """The provider's user name is recorded as is (it came from the provider, not typed into a form), or
        the policy user it stands for, with the name it signed in as."""
        user = self.policy_user(name)
        detail = {"reason": reason, "remote_ip": remote_ip}
        if user is not None and user != name:
            detail["signed_in_as"] = name[:200]
        self.service.audit.append(user=(user or name)[:NAME_LIMIT], surface="dashboard", action="dashboard.login",
                                  allowed=allowed, detail=detail)

    def logged_in(self, request_handler, name: str, secret: str) -> None:
        """Nothing to keep: Panel's signed `user` cookie names the user."""

    def logged_out(self, request_handler) -> None:
        """Panel clears its own cookies."""

    def auth_provider(self):
        return WorkbenchOAuthProvider(self)


class TeamOAuthGate:
    """Team mode with OAuth logins: the service, called with the dashboard's delegate token acting for the
    provider's user, says whether that user is a policy user, records the login, and answers every read
    with that user's permissions. The delegate token stays in this process."""

    def __init__(self, service_url: str, delegate_token: str):
        self.service_url = service_url
        self.delegate_token = delegate_token
        self._checked = Handover()   # by the provider's user name

    def _connect(self, name: str, **kwargs):
        # lazy: team mode only: REST client and view schemas
        from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

        return RemoteDashboardData.connect(self.service_url, self.delegate_token, act_as=name, **kwargs)

    def admit(self, name: str) -> tuple[bool, str]:
        """Raises ConnectorError when the service is unreachable."""

        try:
            self._connect(name, login=True, timeout=10)   # the service audits the login
        except PermissionDenied:
            return False, "not a policy user of the service"
        except AuthenticationRequired:
            log.error("the workbench service refused the dashboard's delegate token (AIOS_DASHBOARD_SERVICE_TOKEN)")
            return False, "the service refused the dashboard's delegate token"
        except ConnectorError:
            raise
        except WorkbenchError as exc:
            return False, f"the service refused: {exc.message}"
        return True, "identity provider vouched for a policy user of the service"

    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None:
        if not allowed:   # the service records logins, and refusals of names that are no policy user
            log.warning("dashboard login refused for %s from %s: %s", name[:NAME_LIMIT], remote_ip, reason)

    def still_allowed(self, name: str, request_handler=None) -> bool:
        """On a page load (not its websocket) the service must still know `name` as a policy user."""
        from tornado.websocket import WebSocketHandler


        if request_handler is None or isinstance(request_handler, WebSocketHandler):
            return True
        try:
            checked = self._connect(name, timeout=10)
        except (AuthenticationRequired, PermissionDenied):
            return False
        except WorkbenchError:
            return True   # unreachable: the page says so, and the session survives the outage
        self._checked.keep(name, checked)
        return True

    def data_for(self, name: str, cookie):
        # keyed by the provider's name, which may be a user's e-mail: the service said whose it is
        return self._checked.take(name) or self._connect(name)

    def logged_in(self, request_handler, name: str, secret: str) -> None:
        """Nothing to keep: Panel's signed `user` cookie names the user."""

    def logged_out(self, request_handler) -> None:
        """Panel clears its own cookies."""

    def auth_provider(self):
        return WorkbenchOAuthProvider(self)


def login_handler_for(gate, endpoint: str, error_template):
    """Panel's generic OAuth handler, refusing and auditing as `gate` says."""

    class WorkbenchOAuthLoginHandler(GenericLoginHandler):
        _login_endpoint = endpoint
        _error_template = error_template or GenericLoginHandler._error_template

        async def get_authenticated_user(self, redirect_uri, client_id, state, client_secret=None, code=None):
            user = await super().get_authenticated_user(redirect_uri, client_id, state,
                                                        client_secret=client_secret, code=code)
            if not code:   # the first leg: the browser was sent to the provider
                return user
            status = 403
            try:
                allowed, reason = await asyncio.to_thread(gate.admit, user) if user else (False, "no user claim")
            except ConnectorError:
                allowed, reason, status = False, "the workbench service is unreachable", 503
            await asyncio.to_thread(gate.record, user or "(no user claim)", allowed, f"oauth: {reason}",
                                    self.request.remote_ip)
            if not allowed:
                for name in AUTH_COOKIES:   # Panel has set them already: a refusal must not leave a login
                    self.clear_cookie(name, path=panel_config.cookie_path)
                if status == 503:
                    raise HTTPError(503, "service unreachable", reason=UNREACHABLE)
                raise HTTPError(403, "not a workbench user", reason="Not a workbench user")
            return user

    return WorkbenchOAuthLoginHandler


class WorkbenchOAuthProvider(OAuthProvider):
    """Panel's OAuth provider with the generic handler, policy users only."""

    def __init__(self, gate, **kwargs):
        self.gate = gate   # before super().__init__: Bokeh validates the provider's handlers there
        super().__init__(logout_template=str(LOGOUT_TEMPLATE), **kwargs)

    @property
    def login_handler(self):
        return login_handler_for(self.gate, self._login_endpoint, self._error_template)

    @property
    def get_user_async(self):
        signed = super().get_user_async

        async def get_user(request_handler):
            user = await signed(request_handler)
            if user and user != "guest" and await asyncio.to_thread(self.gate.still_allowed, user, request_handler):
                return user
            return None
        return get_user
