"""JupyterHub configuration of a team deployment of aios-workbench (tested by tests/test_team_hub.py).

The hub authenticates people and starts each user's Jupyter server as the user's own OS account; the
workbench service (`aios serve`, its own OS account) is the hub's external service `aios`. Users' servers
run the workbench's server extension in proxy mode (AIOS_SERVICE_URL): the sidebar's calls and the kernels
go to the service with the user's hub token, and the service decides what each user sees.

Every value comes from an environment variable with a default for a single-machine deployment, so the
tests and an administrator run this same file (see docs/deploy.md):

  AIOS_HUB_SERVICE_TOKEN   required: the `aios` service's hub API token (the service reads the same value
                           as JUPYTERHUB_API_TOKEN); `openssl rand -hex 32`
  AIOS_SERVICE_URL         where `aios serve` listens                       [http://127.0.0.1:8765]
  AIOS_HUB_BIND_URL        the public address (the proxy)                   [http://:8000]
  AIOS_HUB_INTERNAL_URL    the hub's own address, for the proxy and servers [http://127.0.0.1:8081]
  AIOS_HUB_PROXY_API_URL   configurable-http-proxy's REST API               [http://127.0.0.1:8001]
  AIOS_HUB_STATE_DIR       the hub's database, cookie secret and pid file   [/srv/jupyterhub]
  AIOS_HUB_PROXY_COMMAND   configurable-http-proxy                          [deploy/node_modules/.bin/...]
  AIOS_HUB_SINGLEUSER      the users' server command (split like a shell)   [jupyterhub-singleuser beside
                                                                             this hub's Python]
  AIOS_HUB_AUTHENTICATOR   pam (the machine's accounts), dummy (tests only), or an entry point name such as
                           github / generic-oauth / native (see docs/deploy.md)  [pam]
  AIOS_HUB_DUMMY_PASSWORD  the one password of the dummy authenticator (required with `dummy`)
  AIOS_HUB_ALLOWED_USERS   comma-separated hub users who may sign in         [nobody but the groups below]
  AIOS_HUB_ALLOWED_GROUPS  comma-separated Unix groups whose members may sign in (pam)  [aios-users]
  AIOS_HUB_ADMIN_USERS     comma-separated hub administrators               [none]
"""

import os
import shlex
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub's config loader defines it)

SERVICE_NAME = "aios"   # the workbench's hub.service_name in aios.yaml (its default)
HERE = Path(__file__).resolve().parent


def setting(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def names(name: str, default: str = "") -> set[str]:
    return {item.strip() for item in setting(name, default).split(",") if item.strip()}


service_token = os.environ.get("AIOS_HUB_SERVICE_TOKEN", "").strip()
if len(service_token) < 32:
    # the hub would otherwise start with a service nobody can authenticate as
    raise SystemExit("AIOS_HUB_SERVICE_TOKEN is unset or shorter than 32 characters: set it to the workbench "
                     "service's hub API token (e.g. `openssl rand -hex 32`; the service gets the same value "
                     "as JUPYTERHUB_API_TOKEN, see docs/deploy.md)")
service_url = setting("AIOS_SERVICE_URL", "http://127.0.0.1:8765")
state_dir = Path(setting("AIOS_HUB_STATE_DIR", "/srv/jupyterhub"))

# --- where the hub, its proxy and its state live
c.JupyterHub.bind_url = setting("AIOS_HUB_BIND_URL", "http://:8000")
c.JupyterHub.hub_bind_url = setting("AIOS_HUB_INTERNAL_URL", "http://127.0.0.1:8081")
c.ConfigurableHTTPProxy.api_url = setting("AIOS_HUB_PROXY_API_URL", "http://127.0.0.1:8001")
bundled_proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"   # `npm ci` in deploy/
c.ConfigurableHTTPProxy.command = [setting("AIOS_HUB_PROXY_COMMAND",
                                           str(bundled_proxy) if bundled_proxy.exists() else "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{state_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state_dir / "jupyterhub.pid")

# --- the workbench service: external (it runs as its own account, started by systemd, not by the hub)
c.JupyterHub.services = [
    {"name": SERVICE_NAME, "url": service_url, "api_token": service_token, "display": False},
]
c.JupyterHub.load_roles = [
    # users (and so the tokens they make) may call the workbench; it maps each hub user to a policy user
    {"name": "user", "scopes": ["self", f"access:services!service={SERVICE_NAME}"]},
    # the service resolves hub users and their groups (hub.users / group mapping); nothing else
    {"name": "aios-service", "scopes": ["read:users:name", "read:users:groups"], "services": [SERVICE_NAME]},
]

# --- users' servers: each as the user's own OS account, in proxy mode towards the service
singleuser = shlex.split(setting("AIOS_HUB_SINGLEUSER",
                                 shlex.quote(str(Path(sys.executable).with_name("jupyterhub-singleuser")))))
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = singleuser
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# The server's own hub token ($JUPYTERHUB_API_TOKEN) identifies the user to the workbench: the server role's
# defaults plus access to the service (the hub gives a token only the scopes its user holds).
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server",
                                 f"access:services!service={SERVICE_NAME}"]
c.Spawner.environment = {
    "AIOS_SERVICE_URL": service_url,   # AIOSWorkbench.service_url's default: proxy mode, no local workspace
    # the hub passes on no variable of its own (JupyterHub's env_keep), so the server's PATH is set here:
    # the venv holding jupyterhub-singleuser, the server extension and the kernels' Python first
    "PATH": os.pathsep.join([str(Path(singleuser[0]).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
    "LANG": setting("LANG", "C.UTF-8"),
}

# --- who may sign in
authenticator = setting("AIOS_HUB_AUTHENTICATOR", "pam")
if authenticator == "dummy":
    password = os.environ.get("AIOS_HUB_DUMMY_PASSWORD", "")
    if not password:
        raise SystemExit("AIOS_HUB_AUTHENTICATOR=dummy needs AIOS_HUB_DUMMY_PASSWORD (the dummy authenticator "
                         "is for tests: anyone knowing that one password signs in as any allowed user)")
    c.DummyAuthenticator.password = password
c.JupyterHub.authenticator_class = authenticator
c.Authenticator.allowed_users = names("AIOS_HUB_ALLOWED_USERS")
c.Authenticator.admin_users = names("AIOS_HUB_ADMIN_USERS")
if authenticator == "pam":
    c.PAMAuthenticator.allowed_groups = names("AIOS_HUB_ALLOWED_GROUPS", "aios-users")
