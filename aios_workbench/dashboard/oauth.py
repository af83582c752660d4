"""OAuth logins (`aios dashboard --oauth`): Panel's generic OAuth2 authorization-code flow against the
team's identity provider (Keycloak, Dex, Authentik, Okta, Entra ID...), configured with the variables
Panel users already know:

    PANEL_OAUTH_KEY, PANEL_OAUTH_SECRET            the dashboard's client id and secret at the provider
    PANEL_OAUTH_AUTHORIZE_URL, PANEL_OAUTH_TOKEN_URL   the provider's endpoints
    PANEL_OAUTH_USER_URL                           its userinfo endpoint (unless tokens carry an id_token)
    PANEL_OAUTH_JWT_USER                           the claim that names the user (default preferred_username)
    PANEL_OAUTH_REDIRECT_URI                       e.g. https://dashboard.example.com/login (register it)
    PANEL_OAUTH_SCOPE                              comma-separated (default openid,profile,email)

The provider's user name must be a policy user: everyone else is refused (403, and no login cookie is
left behind), and every outcome is audited like a password login. A name that leaves the policy loses
its session on its next request. The provider's tokens, kept by Panel in cookies, are encrypted with a
key derived from the dashboard's cookie secret.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os

from panel.auth import GenericLoginHandler, OAuthProvider
from panel.config import config as panel_config
from tornado.web import HTTPError

from ..errors import UsageError
from .auth import LOGOUT_TEMPLATE, LoginGate

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
    if not environ.get("PANEL_OAUTH_JWT_USER"):
        panel_config.oauth_jwt_user = DEFAULT_USER_CLAIM
    if not environ.get("PANEL_OAUTH_SCOPE") and not environ.get("PANEL_OAUTH_EXTRA_PARAMS"):
        panel_config.oauth_extra_params = {"scope": DEFAULT_SCOPE}
    # `pn.serve` ignores oauth_encryption_key (only `panel serve` uses it): set the cipher ourselves
    key = base64.urlsafe_b64encode(hashlib.sha256(f"aios-oauth:{secret}".encode()).digest())
    pn.state.encryption = Fernet(key)


class OAuthGate(LoginGate):
    """Who may stay logged in: any policy user the identity provider vouches for (no local password)."""

    def __init__(self, service):
        super().__init__(service, users=None)

    def check(self, name: str, password: str) -> tuple[bool, str]:
        return False, "password logins are off: this dashboard logs in through OAuth"

    def still_allowed(self, name: str, request_handler=None) -> bool:
        return name in self.policy_users()

    def record(self, name: str, allowed: bool, reason: str, remote_ip: str | None) -> None:
        """The provider's user name is recorded as is: it came from the provider, not typed into a form."""
        self.service.audit.append(user=name[:NAME_LIMIT], surface="dashboard", action="dashboard.login",
                                  allowed=allowed, detail={"reason": reason, "remote_ip": remote_ip})

    def auth_provider(self):
        return WorkbenchOAuthProvider(self)


def login_handler_for(gate: OAuthGate, endpoint: str, error_template):
    """Panel's generic OAuth handler, refusing and auditing as `gate` says."""

    class WorkbenchOAuthLoginHandler(GenericLoginHandler):
        _login_endpoint = endpoint
        _error_template = error_template or GenericLoginHandler._error_template

        async def get_authenticated_user(self, redirect_uri, client_id, state, client_secret=None, code=None):
            user = await super().get_authenticated_user(redirect_uri, client_id, state,
                                                        client_secret=client_secret, code=code)
            if not code:   # the first leg: the browser was sent to the provider
                return user
            allowed = bool(user) and await asyncio.to_thread(gate.still_allowed, user)
            reason = "identity provider vouched for a policy user" if allowed else "not a policy user"
            await asyncio.to_thread(gate.record, user or "(no user claim)", allowed, f"oauth: {reason}",
                                    self.request.remote_ip)
            if not allowed:
                for name in AUTH_COOKIES:   # Panel has set them already: a refusal must not leave a login
                    self.clear_cookie(name, path=panel_config.cookie_path)
                raise HTTPError(403, "not a workbench user", reason="Not a workbench user")
            return user

    return WorkbenchOAuthLoginHandler


class WorkbenchOAuthProvider(OAuthProvider):
    """Panel's OAuth provider with the generic handler, policy users only."""

    def __init__(self, gate: OAuthGate, **kwargs):
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
            if user and user != "guest" and await asyncio.to_thread(self.gate.still_allowed, user):
                return user
            return None
        return get_user
