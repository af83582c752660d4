"""A small OAuth2 identity provider for the tests (authorization-code flow), served by Tornado on 127.0.0.1
in a thread: a sign-in form at /authorize, /token (client secret in the body, as Panel sends it) and
/userinfo (Bearer). It checks the client, the redirect URI and each code once, as a real provider does."""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import threading
from urllib.parse import urlencode

import tornado.web

CLIENT_ID, CLIENT_SECRET = "aios-dashboard", "dashboard-client-secret"


class IdentityProvider:
    def __init__(self):
        self.codes: dict[str, tuple[str, str]] = {}     # code -> (user, redirect_uri)
        self.tokens: dict[str, str] = {}                # access token -> user
        self.requests: list[str] = []
        self.url = ""
        self._loop = None

    def app(self) -> tornado.web.Application:
        idp = self

        class Authorize(tornado.web.RequestHandler):
            def get(self):
                idp.requests.append("authorize")
                if self.get_argument("client_id", "") != CLIENT_ID or self.get_argument("response_type", "") != "code":
                    raise tornado.web.HTTPError(400, reason="bad client or response type")
                hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(self.get_argument(k))}">'
                                 for k in ("redirect_uri", "state"))
                self.write(f'<form method="post" action="/authorize">{hidden}<label>User '
                           f'<input id="idp-user" name="user"></label>'
                           f'<button id="idp-sign-in" type="submit">Sign in</button></form>')

            def post(self):
                code = secrets.token_urlsafe(16)
                redirect_uri = self.get_argument("redirect_uri")
                idp.codes[code] = (self.get_argument("user"), redirect_uri)
                self.redirect(f"{redirect_uri}?{urlencode({'code': code, 'state': self.get_argument('state')})}")

            def check_xsrf_cookie(self):
                pass

        class Token(tornado.web.RequestHandler):
            def post(self):
                idp.requests.append("token")
                arg = self.get_body_argument
                if arg("client_id", "") != CLIENT_ID or arg("client_secret", "") != CLIENT_SECRET:
                    raise tornado.web.HTTPError(401, reason="bad client credentials")
                found = idp.codes.pop(arg("code", ""), None)   # a code is good once
                if found is None or found[1] != arg("redirect_uri", ""):
                    self.set_status(400)
                    self.write({"error": "invalid_grant"})
                    return
                token = secrets.token_urlsafe(24)
                idp.tokens[token] = found[0]
                self.write({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

            def check_xsrf_cookie(self):
                pass

        class UserInfo(tornado.web.RequestHandler):
            def get(self):
                idp.requests.append("userinfo")
                header = self.request.headers.get("Authorization", "")
                user = idp.tokens.get(header.removeprefix("Bearer ").strip())
                if user is None:
                    raise tornado.web.HTTPError(401, reason="bad token")
                self.set_header("Content-Type", "application/json")
                self.write(json.dumps({"sub": f"id-{user}", "preferred_username": user,
                                       "email": f"{user}@example.com"}))

        return tornado.web.Application([("/authorize", Authorize), ("/token", Token), ("/userinfo", UserInfo)])

    def start(self, port: int) -> IdentityProvider:
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self.app().listen(port, address="127.0.0.1")
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, name="test-idp", daemon=True).start()
        assert ready.wait(10)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def environment(self, dashboard_url: str) -> dict:
        """What the dashboard's admin sets: Panel's OAuth variables for this provider."""
        return {"PANEL_OAUTH_KEY": CLIENT_ID, "PANEL_OAUTH_SECRET": CLIENT_SECRET,
                "PANEL_OAUTH_AUTHORIZE_URL": f"{self.url}/authorize", "PANEL_OAUTH_TOKEN_URL": f"{self.url}/token",
                "PANEL_OAUTH_USER_URL": f"{self.url}/userinfo", "PANEL_OAUTH_REDIRECT_URI": f"{dashboard_url}/login"}
