"""A team deployment on this machine, as docs/deploy.md describes it, for tests/test_team_hub.py.

Real OS accounts (`useradd`): one service account owning a copy of the demo workspace (state folder mode
700), one account per person. Two `aios serve` replicas run as the service account with the workspace's `hub:`
section, on one PostgreSQL metadata store, behind Debian's haproxy (round robin): the hub's `AIOS_SERVICE_URL`
is the balancer's. JupyterHub (as root, with deploy/jupyterhub_config.py unchanged) spawns each person's server
as their own account. The only test-specific parts: the dummy authenticator with a password (an env switch of the
config) and an admin service token the tests drive the hub's REST API with (tests/hub.py's `Hub`).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import (
    ROOT,
    artifact,
    copy_demo_workspace,
    free_port,
    lab_settings_dir,
    need,
    postgres_database,
    stop,
    wait_for_http,
)
from tests.hub import JUPYTERHUB, PASSWORD, PROXY, Hub, HubError, wait_until_up

DEPLOY_CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
VENV_BIN = Path(sys.executable).parent
SERVICE_ACCOUNT = "aiostest_svc"
# hub user (= OS account) -> policy user of the demo's governance/policy.yaml, mapped by `hub.users`
PEOPLE = {"aiostest_alice": "alice", "aiostest_bob": "bob"}

OVERRIDES = """
c = get_config()  # noqa: F821
load_subconfig({deploy!r})  # noqa: F821  (the deployment's config, unchanged)
if not c.JupyterHub.services:
    raise SystemExit("deploy/jupyterhub_config.py was not loaded")
# the tests' administrator: creates users, starts servers and makes tokens through the REST API
c.JupyterHub.services.append({{"name": "test-admin", "api_token": {admin_token!r}}})
c.JupyterHub.load_roles.append({{"name": "test-admin", "services": ["test-admin"], "scopes": [
    "admin:users", "admin:servers", "tokens", "access:servers", "read:roles"]}})
"""


HAPROXY = Path("/usr/sbin/haproxy")
REPLICAS = ("a", "b")
BALANCER = """global
  maxconn 512
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 960s
  timeout server 960s
frontend aios
  bind 127.0.0.1:{port}
  log stdout format raw local0
  default_backend replicas
backend replicas
  balance roundrobin
{servers}
"""


def require_root_and_useradd() -> None:
    need(hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("useradd") is not None,
         "a team deployment needs root and useradd (it creates OS accounts for the service and its users)")
    need(PROXY.exists() and JUPYTERHUB.exists(),
         "JupyterHub or its proxy is missing (`./workbench setup` installs both; deploy/: `npm ci`)")


def reachable_by_everyone(path: Path) -> bool:
    """Whether any account may run `path` (every folder above it searchable by others, the file executable)."""
    real = Path(os.path.realpath(path))
    folders_ok = all(os.stat(folder).st_mode & stat.S_IXOTH for folder in real.parents)
    return folders_ok and bool(os.stat(real).st_mode & stat.S_IXOTH)


def accounts_python(folder: Path) -> Path:
    """A Python with the project's venv that the service and the people's accounts may run.

    The venv itself, when its interpreter is reachable; here it usually is not (pyenv's Python under /root,
    mode 700), so a venv of the system's Python of the same version shares the project's site-packages,
    share/ (JupyterLab, our lab extension) and etc/ (the server extension's config). A deployment installs
    its venv from an interpreter every account can run instead (docs/deploy.md)."""
    if reachable_by_everyone(VENV_BIN / "python"):
        return VENV_BIN / "python"
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    need(system.exists() and reachable_by_everyone(system),
         f"the venv's Python ({os.path.realpath(VENV_BIN / 'python')}) is not executable by other accounts and "
         f"there is no {system} to share its packages with")
    venv = folder / "venv"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (venv / "bin").mkdir(parents=True)
    (venv / "lib" / version).mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {system.parent}\ninclude-system-site-packages = false\n")
    (venv / "bin" / "python").symlink_to(system)
    (venv / "lib" / version / "site-packages").symlink_to(VENV_BIN.parent / "lib" / version / "site-packages")
    for shared in ("share", "etc"):
        (venv / shared).symlink_to(VENV_BIN.parent / shared)
    return venv / "bin" / "python"


def ensure_account(name: str) -> pwd.struct_passwd:
    """OS account `name` with its own group and a home; reused when a previous run made it."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name],
                   check=True, capture_output=True, text=True)
    return pwd.getpwnam(name)


def own(path: Path, account: pwd.struct_passwd, *, private: bool = False) -> None:
    """chown -R `path` to `account` (never through a symlink: the shared DuckDB extensions stay root's);
    `private` also takes every permission away from group and others."""
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, entry) for entry in dirs + files)]:
            os.chown(name, account.pw_uid, account.pw_gid, follow_symlinks=False)
            if private and not os.path.islink(name):
                os.chmod(name, stat.S_IMODE(os.lstat(name).st_mode) & 0o700)


def hub_section(hub_api_url: str) -> str:
    users = ", ".join(f"{hub_user}: {policy_user}" for hub_user, policy_user in PEOPLE.items())
    return (f"hub:\n  api_url: {hub_api_url}\n  service_name: aios\n  users: {{{users}}}\n")


@dataclass
class TeamDeployment:
    """What a test needs of the running deployment."""

    folder: Path
    workspace: Path
    hub: Hub
    service_url: str            # the balancer in front of the replicas
    service_token: str          # `aios serve`'s own token (AIOS_TOKEN), held by the service account
    replicas: dict[str, str]    # replica name -> its own URL (behind the balancer)
    balancer_log: Path          # haproxy's log: one line per request, naming the replica that answered
    service_account: pwd.struct_passwd
    people: dict[str, pwd.struct_passwd]
    python: Path                # the interpreter the accounts run (see `accounts_python`)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> Path:
        return self.workspace / ".aios"

    def token(self, hub_user: str) -> str:
        """An API token of `hub_user` made by the hub (its default scopes: what the user may do)."""
        if hub_user not in self.tokens:
            self.tokens[hub_user] = self.hub.api("POST", f"users/{hub_user}/tokens", {"note": "team test"})["token"]
        return self.tokens[hub_user]

    def start_servers(self, *hub_users: str, timeout: float = 150) -> dict[str, str]:
        """Start the people's Jupyter servers (each as their OS account, spawned at once) and wait until they
        are ready; {hub user: their server's URL through the hub's proxy}."""
        for hub_user in hub_users:
            with contextlib.suppress(HubError):   # 400: already running
                self.hub.api("POST", f"users/{hub_user}/server")
        started, ready = time.monotonic(), {}
        while len(ready) < len(hub_users):
            for hub_user in set(hub_users) - set(ready):
                server = self.hub.api("GET", f"users/{hub_user}").get("servers", {}).get("")
                if server and server.get("ready"):
                    ready[hub_user] = f"{self.hub.url}/user/{hub_user}"
                elif not (server and server.get("pending")) and time.monotonic() > started + 10:
                    # neither pending nor ready: the spawn failed; the hub's log says why
                    raise RuntimeError(f"{hub_user}'s server did not start:\n{self.hub_log()[-4000:]}")
            if time.monotonic() > started + timeout:
                raise TimeoutError(f"servers not ready within {timeout} s:\n{self.hub_log()[-4000:]}")
            time.sleep(0.5)
        return ready

    @contextlib.contextmanager
    def scheduler(self):
        """`aios scheduler` on the workspace as the service account (as its systemd unit would run it)."""
        log = artifact("team-scheduler.log")
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(self.python), "-m", "aios_workbench", "--workspace", str(self.workspace), "scheduler",
                 "--name", "team-test", "--grace", "5"], cwd=self.workspace,
                env=service_environment(self.service_account), user=self.service_account.pw_uid,
                group=self.service_account.pw_gid, extra_groups=[], stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            stop(process)

    def answered_by(self) -> dict[str, int]:
        """How many requests each replica answered, from the balancer's log."""
        log = self.balancer_log.read_text(errors="replace")
        return {name: log.count(f" replicas/{name} ") for name in self.replicas}

    def hub_log(self) -> str:
        return self.hub.log.read_text(errors="replace") if self.hub.log and self.hub.log.exists() else ""

    def aios_as_service(self, *args: str, env: dict[str, str] | None = None,
                        timeout: float = 120) -> subprocess.CompletedProcess:
        """An `aios` command on the workspace as the service account, as an administrator runs it."""
        return subprocess.run([str(self.python), "-m", "aios_workbench", "--workspace", str(self.workspace), *args], cwd=self.workspace,
                              env=service_environment(self.service_account, **(env or {})), user=self.service_account.pw_uid,
                              group=self.service_account.pw_gid, extra_groups=[], capture_output=True,
                              text=True, timeout=timeout)


def service_environment(account: pwd.struct_passwd, **extra: str) -> dict[str, str]:
    """The service account's environment: nothing of root's (tokens, the tests' witness folder)."""
    return {"PATH": "/usr/bin:/bin", "HOME": account.pw_dir, "USER": account.pw_name,
            "LANG": "C.UTF-8", "AIOS_VALIDATE_RESPONSES": os.environ.get("AIOS_VALIDATE_RESPONSES", "1"),
            **extra}


def prepare_workspace(demo, folder: Path, account: pwd.struct_passwd, *, service_port: int,
                      hub_api_url: str, metadata_url: str) -> Path:
    """A copy of the demo workspace owned by the service account, its metadata store on PostgreSQL: state
    folder and witness private."""
    workspace = copy_demo_workspace(demo, folder / "workspace", metadata_url=metadata_url).root
    config = (workspace / "aios.yaml").read_text()
    config = config.replace("port: 8765", f"port: {service_port}")
    (workspace / "aios.yaml").write_text(config + hub_section(hub_api_url))
    (workspace / ".aios-witness").mkdir()
    own(workspace, account)
    own(workspace / ".aios", account, private=True)
    own(workspace / ".aios-witness", account, private=True)
    return workspace


def prepare_home(account: pwd.struct_passwd) -> None:
    """The person's home as a fresh account has it, plus JupyterLab's news toast answered "no"."""
    settings = Path(account.pw_dir) / ".jupyter" / "lab" / "user-settings"
    lab_settings_dir(settings)
    own(Path(account.pw_dir) / ".jupyter", account)
    for leftover in Path(account.pw_dir).glob("*.ipynb"):   # a previous run's notebooks
        leftover.unlink()


def start_service(python: Path, workspace: Path, account: pwd.struct_passwd, *, port: int,
                  own_token: str, hub_token: str, log: Path) -> subprocess.Popen:
    env = service_environment(account, AIOS_TOKEN=own_token, JUPYTERHUB_API_TOKEN=hub_token)
    with log.open("w") as out:
        process = subprocess.Popen([str(python), "-m", "aios_workbench", "--workspace", str(workspace), "serve", "--port", str(port)],
                                   cwd=workspace, env=env, user=account.pw_uid, group=account.pw_gid,
                                   extra_groups=[], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/aios/api/status", process=process, timeout=90)
    except (RuntimeError, TimeoutError) as exc:
        stop(process)
        raise RuntimeError(f"`aios serve` as {account.pw_name} did not start: {exc}\n"
                           f"{log.read_text(errors='replace')[-4000:]}") from None
    return process


@contextlib.contextmanager
def balancer(replicas: dict[str, str], log: Path, *, port: int):
    """haproxy on `port`, round robin over `replicas` ({name: URL}); yields its URL."""
    config = log.with_suffix(".cfg")
    config.write_text(BALANCER.format(port=port, servers="\n".join(
        f"  server {name} {url.removeprefix('http://')}" for name, url in replicas.items())))
    with log.open("w") as out:
        process = subprocess.Popen([str(HAPROXY), "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/aios/api/status", process=process, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def start_hub(folder: Path, *, python: Path, service_url: str, service_token: str, log: Path,
              timeout: float = 90) -> Hub:
    """JupyterHub as root with deploy/jupyterhub_config.py, configured by its environment variables."""
    folder.mkdir(parents=True)
    port, hub_port, proxy_api_port = free_port(), free_port(), free_port()
    hub = Hub(url=f"http://127.0.0.1:{port}", api_url=f"http://127.0.0.1:{hub_port}/hub/api",
              admin_token=secrets.token_hex(32), service_url=service_url, service_token=service_token,
              folder=folder, log=log)
    config = folder / "jupyterhub_config.py"
    config.write_text(OVERRIDES.format(deploy=str(DEPLOY_CONFIG), admin_token=hub.admin_token))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTERHUB_", "AIOS_TOKEN", "AIOS_USER", "AIOS_SERVICE"))}
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32),
        "AIOS_HUB_SERVICE_TOKEN": service_token,
        "AIOS_SERVICE_URL": service_url,
        "AIOS_HUB_BIND_URL": hub.url,
        "AIOS_HUB_INTERNAL_URL": f"http://127.0.0.1:{hub_port}",
        "AIOS_HUB_PROXY_API_URL": f"http://127.0.0.1:{proxy_api_port}",
        "AIOS_HUB_STATE_DIR": str(folder),
        "AIOS_HUB_AUTHENTICATOR": "dummy",
        "AIOS_HUB_DUMMY_PASSWORD": PASSWORD,
        "AIOS_HUB_ALLOWED_USERS": ",".join(PEOPLE),
        "AIOS_HUB_SINGLEUSER": f"{python} -m jupyterhub.singleuser",
    })
    with log.open("w") as out:
        hub.process = subprocess.Popen([str(JUPYTERHUB), "-f", str(config)], cwd=folder, env=env, stdout=out,
                                       stderr=subprocess.STDOUT)
    return wait_until_up(hub, timeout)


@contextlib.contextmanager
def team_deployment(demo):
    """The whole deployment, torn down afterwards (the OS accounts stay, for the next run to reuse)."""
    require_root_and_useradd()
    need(HAPROXY.exists(), "haproxy is not installed (`./workbench test` installs Debian's)")
    service_account = ensure_account(SERVICE_ACCOUNT)
    people = {name: ensure_account(name) for name in PEOPLE}
    for account in people.values():
        prepare_home(account)
    folder = Path(tempfile.mkdtemp(prefix="aios-team-"))
    folder.chmod(0o755)   # the service account walks into its workspace; the hub's folder stays root's
    ports = {name: free_port() for name in REPLICAS}
    replicas = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    hub_token, own_token = secrets.token_hex(32), secrets.token_hex(32)
    python = accounts_python(folder)
    balancer_log = artifact("team-balancer.log")
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, True)
        metadata_url = stack.enter_context(postgres_database())
        service_url = f"http://127.0.0.1:{free_port()}"   # the balancer's, known before it starts
        hub = start_hub(folder / "hub", python=python, service_url=service_url, service_token=hub_token,
                        log=artifact("team-jupyterhub.log"))
        stack.callback(hub.stop)
        workspace = prepare_workspace(demo, folder, service_account, service_port=ports["a"],
                                      hub_api_url=hub.api_url, metadata_url=metadata_url)
        for name, port in ports.items():
            process = start_service(python, workspace, service_account, port=port, own_token=own_token,
                                    hub_token=hub_token, log=artifact(f"team-service-{name}.log"))
            stack.callback(stop, process)
        stack.enter_context(balancer(replicas, balancer_log, port=int(service_url.rsplit(":", 1)[1])))
        yield TeamDeployment(folder=folder, workspace=workspace, hub=hub, service_url=service_url,
                             service_token=own_token, replicas=replicas, balancer_log=balancer_log,
                             service_account=service_account, people=people, python=python)


# --- talking to a user's server and kernels, as JupyterLab does

def call(url: str, *, token: str, method: str = "GET", body: dict | None = None,
         headers: dict | None = None, timeout: float = 60) -> tuple[int, bytes, dict]:
    """One HTTP request with `Authorization: token ...`: (status, body, headers)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {token}", **(headers or {}),
                                              **({"Content-Type": "application/json"} if data else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:   # closed here, not by the garbage collector (an unclosed-socket warning fails a later test)
            return exc.code, exc.read(), dict(exc.headers)


def sql_rows(server_url: str, token: str, query: str) -> list[dict]:
    """POST aios/api/sql through `server_url`; the Arrow answer as rows."""
    import pyarrow as pa  # lazy: only the tests that query read Arrow

    status, body, _ = call(f"{server_url}/aios/api/sql", token=token, method="POST", body={"sql": query})
    assert status == 200, (status, body[:500])
    return pa.ipc.open_stream(body).read_all().to_pylist()


def run_in_kernel(server_url: str, token: str, code: str, *, timeout: float = 90) -> str:
    """Start a kernel on the user's server (REST), run `code` over its websocket, return its printed output
    (stdout, stderr and error tracebacks' names), then shut the kernel down."""
    import asyncio  # lazy: the websocket client below is the only async code of the helpers

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    status, body, _ = call(f"{server_url}/api/kernels", token=token, method="POST", body={"name": "python3"})
    assert status == 201, (status, body[:500])
    kernel_id = json.loads(body)["id"]

    async def execute() -> str:
        ws_url = server_url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        connection = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"},
                                                         connect_timeout=30))
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type":
                       "execute_request", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        output: list[str] = []
        try:
            while True:
                raw = await asyncio.wait_for(connection.read_message(), timeout)
                if raw is None:
                    raise RuntimeError("the kernel's websocket closed")
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = message["header"]["msg_type"], message["content"]
                if kind == "stream":
                    output.append(content["text"])
                elif kind == "error":
                    output.append(f"{content['ename']}: {content['evalue']}\n")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(output)
        finally:
            # close and wait until the socket is closed: asyncio.run ends the loop at once, and a socket the
            # loop never finished closing warns (unclosed socket) in whichever test the collector runs in
            connection.close()
            with contextlib.suppress(asyncio.TimeoutError):
                while await asyncio.wait_for(connection.read_message(), 5) is not None:
                    pass
            if connection.stream is not None:
                connection.stream.close()

    try:
        return asyncio.run(execute())
    finally:
        call(f"{server_url}/api/kernels/{kernel_id}", token=token, method="DELETE")
