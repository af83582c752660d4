"""A real JupyterHub for tests: `.venv/bin/jupyterhub` with configurable-http-proxy from deploy/ (npm).

`start_hub(tmp_path)` writes a config into `tmp_path`, starts the hub on free ports and waits until its REST
API answers. The hub authenticates with the dummy authenticator (one shared password), declares the workbench
as the external service `aios` (its url and api_token are on the returned `Hub`), gives every user's role the
scope `access:services!service=aios`, and holds an admin service token the test uses to create users and
tokens through the hub's REST API, as an administrator would. `extra_config` is appended to the config
(Python), e.g. a spawner for tests that start users' servers.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT, free_port, need, stop

PROXY = ROOT / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy"
JUPYTERHUB = Path(sys.executable).parent / "jupyterhub"
SERVICE_NAME = "aios"
PASSWORD = "hub-test-password"

CONFIG = """
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{folder}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.services = [
    {{"name": {service!r}, "url": {service_url!r}, "api_token": {service_token!r}}},
    {{"name": "test-admin", "api_token": {admin_token!r}}},
]
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", "access:services!service={service}"]}},
    {{"name": "workbench", "scopes": ["read:users:name", "read:users:groups"], "services": [{service!r}]}},
    {{"name": "test-admin", "scopes": ["admin:users", "admin:servers", "tokens", "admin:groups",
                                       "read:roles", "access:services"], "services": ["test-admin"]}},
]
"""


class HubError(RuntimeError):
    """The hub answered an admin call with an error status."""


@dataclass
class Hub:
    """A running JupyterHub: its public URL (the proxy), its REST API and the admin token to drive it."""

    url: str                 # the proxy's public URL, e.g. http://127.0.0.1:PORT (the hub at /hub/)
    api_url: str             # the hub's REST API, e.g. http://127.0.0.1:HUB_PORT/hub/api
    admin_token: str
    service_url: str         # where the hub's proxy sends /services/aios/ to
    service_token: str       # the `aios` service's own hub API token (JUPYTERHUB_API_TOKEN of the service)
    folder: Path
    process: subprocess.Popen | None = None
    log: Path | None = None
    _users: set[str] = field(default_factory=set)

    def api(self, method: str, path: str, body: dict | None = None, *, token: str | None = None):
        """Call the hub's REST API (as the admin service unless `token` says otherwise); the JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.api_url}/{path.lstrip('/')}", data=data, method=method,
                                         headers={"Authorization": f"token {token or self.admin_token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            with exc:   # closed here: an open error answer warns later, in whichever test runs then
                raise HubError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from None
        return json.loads(text) if text else None

    def create_user(self, name: str, password: str | None = None) -> dict:
        """Create hub user `name` (the dummy authenticator accepts the hub's one password for everybody,
        so `password` is only checked to be that one)."""
        if password is not None and password != PASSWORD:
            raise ValueError(f"the dummy authenticator's password is {PASSWORD!r}")
        if name in self._users:
            return self.api("GET", f"users/{name}")
        self._users.add(name)
        return self.api("POST", f"users/{name}")

    def add_to_group(self, group: str, *names: str) -> None:
        """Put hub users `names` (created first if needed) in hub group `group` (created if needed)."""
        for name in names:
            self.create_user(name)
        try:
            self.api("POST", f"groups/{group}")
        except HubError as exc:
            if " 409 " not in str(exc):   # it exists already
                raise
        self.api("POST", f"groups/{group}/users", {"users": list(names)})

    def remove_from_group(self, group: str, *names: str) -> None:
        self.api("DELETE", f"groups/{group}/users", {"users": list(names)})

    def token_for(self, name: str, scopes: list[str] | None = None, *, note: str = "test") -> str:
        """A new API token of hub user `name` (created first if needed) with `scopes` (default: access to
        the `aios` service)."""
        self.create_user(name)
        scopes = [f"access:services!service={SERVICE_NAME}"] if scopes is None else scopes
        answer = self.api("POST", f"users/{name}/tokens", {"scopes": scopes, "note": note})
        return answer["token"]

    def revoke(self, name: str, token: str) -> None:
        """Revoke `name`'s token `token` at the hub (the hub tells a token's id to the token itself)."""
        token_id = self.api("GET", "user", token=token)["token_id"]
        self.api("DELETE", f"users/{name}/tokens/{token_id}")

    def stop(self) -> str:
        """Stop the hub (and the proxy it started); what it logged."""
        if self.process is not None:
            stop(self.process)
            self.process = None
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""


def proxy_available() -> bool:
    return PROXY.exists() and JUPYTERHUB.exists()


def start_hub(tmp_path: Path, extra_config: str = "", *, timeout: float = 60) -> Hub:
    """Start a JupyterHub in `tmp_path`/hub (skips, or fails under AIOS_REQUIRE_SERVICES=1, when the proxy or
    JupyterHub is not installed: `./workbench setup` installs both)."""
    need(proxy_available(), f"JupyterHub's proxy is not installed ({PROXY.relative_to(ROOT)}: run `npm ci` in "
         "deploy/, as the set-up does) or jupyterhub is missing from the venv")
    folder = tmp_path / "hub"
    folder.mkdir(parents=True, exist_ok=True)
    port, hub_port, proxy_api_port, service_port = free_port(), free_port(), free_port(), free_port()
    hub = Hub(url=f"http://127.0.0.1:{port}", api_url=f"http://127.0.0.1:{hub_port}/hub/api",
              admin_token=secrets.token_hex(32), service_url=f"http://127.0.0.1:{service_port}",
              service_token=secrets.token_hex(32), folder=folder, log=folder / "jupyterhub.log")
    config = CONFIG.format(port=port, hub_port=hub_port, proxy_api_port=proxy_api_port, proxy=str(PROXY),
                           folder=folder, password=PASSWORD, service=SERVICE_NAME, service_url=hub.service_url,
                           service_token=hub.service_token, admin_token=hub.admin_token)
    (folder / "jupyterhub_config.py").write_text(config + "\n" + extra_config)
    env = {**os.environ, "PATH": f"{PROXY.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}",
           "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32)}
    for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL", "JUPYTERHUB_SERVICE_NAME"):
        env.pop(name, None)
    with hub.log.open("w") as log:
        hub.process = subprocess.Popen([str(JUPYTERHUB), "-f", str(folder / "jupyterhub_config.py")],
                                       cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    return wait_until_up(hub, timeout)


def wait_until_up(hub: Hub, timeout: float) -> Hub:
    """`hub` once its REST API answers, directly and through its proxy; its log in the error when it exits or
    does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if hub.process is not None and hub.process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with {hub.process.returncode}:\n{hub.stop()[-4000:]}")
        try:
            hub.api("GET", "")
            with urllib.request.urlopen(f"{hub.url}/hub/api", timeout=2):   # and through the proxy (closed here:
                pass                                                         # a socket left open warns later)
            return hub
        except urllib.error.HTTPError as exc:   # the proxy answers before its route to the hub is in
            exc.close()
        except (OSError, HubError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"JupyterHub did not answer within {timeout} s:\n{hub.stop()[-4000:]}")
        time.sleep(0.25)
