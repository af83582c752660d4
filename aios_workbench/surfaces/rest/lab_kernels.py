"""JupyterLab kernels of the workbench: a minimal environment and a credential of their own.

A notebook kernel runs a person's code. Started by a plain Jupyter server it would inherit the server's
whole environment: the service's token (AIOS_TOKEN), the lab's (AIOS_LAB_TOKEN), JupyterHub's API token,
any database password the server was given. The server extension (`jupyter.py`) installs
`GovernedKernelManager` as the kernel manager class instead, so each kernel starts with:

- what `workspace.kernel_env.inherited_environment` lets through (system, locale, Python and Jupyter
  paths, ...; never a credential), plus Jupyter's own JPY_* variables (JPY_SESSION_NAME: the notebook);
- AIOS_SERVICE_URL (this server), AIOS_WORKSPACE, AIOS_USER and AIOS_TOKEN: a token made for this kernel,
  acting as the kernel's user on the workbench's routes only (`aios/api/*`; never Jupyter's own API:
  no terminals, no contents, no other kernels). It stops working when the kernel shuts down or dies.

In team mode (the server extension in proxy mode, `team_proxy.py`) there is no workspace here: a kernel
gets AIOS_SERVICE_URL (the central service) and AIOS_TOKEN (this server's hub token, which identifies its
user to the service) instead, and no AIOS_WORKSPACE; the allow-list is the same.

What stays out of reach: in single-user mode the kernel runs as the same OS account as the server, so it
can still read the files that account can read (Jupyter's runtime folder holds the server's token); that
is the single-user mode's known limit, the team deployment (kernels under the users' own accounts) makes
the boundary real.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

from aios_workbench.service.tokens import new_token
from aios_workbench.workspace.kernel_env import inherited_environment

TOKEN_PREFIX = "aios-kernel-"        # recognisable in a leak report; the rest is 32 random bytes
KERNEL_VARIABLES = ("AIOS_EXPERIMENT", "AIOS_LOG_LEVEL")   # settings of the workbench a kernel may inherit
JUPYTER_PREFIX = "JPY_"              # Jupyter's own per-kernel variables (JPY_SESSION_NAME, JPY_PARENT_PID)
WILDCARD_IPS = ("", "0.0.0.0", "*", "::", "[::]")


@dataclass(frozen=True)
class KernelCredential:
    kernel_id: str
    user: str
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KernelCredentials:
    """The live per-kernel tokens of one Jupyter server: issued at kernel start, revoked at its end; a token
    is honoured only while its kernel is one the server still runs (`alive`)."""

    def __init__(self, alive: Callable[[str], bool]):
        self._alive = alive
        self._by_digest: dict[str, KernelCredential] = {}
        self._by_kernel: dict[str, KernelCredential] = {}
        self._lock = threading.Lock()

    def issue(self, kernel_id: str, user: str) -> KernelCredential:
        """The kernel's credential acting as `user`: the one it has (a restart keeps it), else a new one."""
        with self._lock:
            held = self._by_kernel.get(kernel_id)
            if held is not None and held.user == user:
                return held
            if held is not None:
                self._by_digest.pop(_digest(held.token), None)
            credential = KernelCredential(kernel_id, user, TOKEN_PREFIX + new_token())
            self._by_kernel[kernel_id] = credential
            self._by_digest[_digest(credential.token)] = credential
            return credential

    def revoke(self, kernel_id: str) -> None:
        with self._lock:
            held = self._by_kernel.pop(kernel_id, None)
            if held is not None:
                self._by_digest.pop(_digest(held.token), None)

    def user_of(self, token: str) -> str | None:
        """The user a kernel's token acts as, while its kernel runs; None for anything else."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._lock:
            held = self._by_digest.get(_digest(token))
        if held is None or not hmac.compare_digest(held.token.encode(), token.encode()):
            return None
        if not self._alive(held.kernel_id):
            self.revoke(held.kernel_id)
            return None
        return held.user

    def __len__(self) -> int:
        return len(self._by_kernel)


@dataclass(frozen=True)
class TeamService:
    """The central workbench service of a team deployment, and the credential this server's user holds there."""

    url: str
    token: str


@dataclass
class KernelSettings:
    """What the server extension tells its kernel managers (held by the mapping kernel manager)."""

    workspace: Any                              # the Workspace, or None when it could not be loaded
    credentials: KernelCredentials
    service_url: Callable[[], str | None]       # this server's URL for kernels (known once it listens)
    user_for_kernel: Callable[[], str | None]   # whom a kernel started now acts as (None: no credential)
    keep: tuple[str, ...] = ()                  # variables an administrator lets through as well
    team: TeamService | None = None             # proxy mode: kernels talk to the central service directly


SETTINGS_ATTRIBUTE = "aios_kernel_settings"


def kernel_environment(settings: KernelSettings | None, given: dict[str, str] | None, kernel_id: str | None,
                       ) -> dict[str, str]:
    """The whole environment of a kernel: `given` (what Jupyter meant to pass: the server's environment
    and JPY_*) cut down to the allow-list, plus the workbench's variables and the kernel's credential."""
    given = dict(os.environ if given is None else given)
    workspace = settings.workspace if settings is not None else None
    env = inherited_environment(workspace, given, keep=settings.keep if settings is not None else ())
    env.update({name: value for name, value in given.items()
                if name.startswith(JUPYTER_PREFIX) or name in KERNEL_VARIABLES})
    if settings is not None and settings.team is not None:
        env["AIOS_SERVICE_URL"] = settings.team.url
        if settings.team.token:
            env["AIOS_TOKEN"] = settings.team.token
        return env
    if settings is None or workspace is None:
        return env
    env["AIOS_WORKSPACE"] = str(workspace.root)
    url, user = settings.service_url(), settings.user_for_kernel()
    if url and user and kernel_id:
        credential = settings.credentials.issue(kernel_id, user)
        env.update({"AIOS_SERVICE_URL": url, "AIOS_TOKEN": credential.token, "AIOS_USER": user})
    return env


class GovernedKernelManager(ServerKernelManager):
    """Jupyter's kernel manager, starting each kernel with `kernel_environment` and revoking its credential
    when it shuts down for good."""

    def _kernel_settings(self) -> KernelSettings | None:
        return getattr(self.parent, SETTINGS_ATTRIBUTE, None)

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        kernel_id = self.kernel_id or kw.get("kernel_id")
        kw["env"] = kernel_environment(self._kernel_settings(), kw.get("env"), kernel_id)
        return await super()._async_pre_start_kernel(**kw)

    pre_start_kernel = _async_pre_start_kernel   # type: ignore[assignment]

    def update_env(self, *, env: dict[str, str]) -> None:
        """A session renamed or moved: only Jupyter's own variables change (Jupyter sends the server's
        whole environment with them)."""
        super().update_env(env={name: value for name, value in env.items() if name.startswith(JUPYTER_PREFIX)})

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        settings = self._kernel_settings()
        if not restart and settings is not None and self.kernel_id:
            settings.credentials.revoke(self.kernel_id)

    cleanup_resources = _async_cleanup_resources   # type: ignore[assignment]


def install(serverapp, *, workspace, user_for_kernel: Callable[[], str | None],
            keep: tuple[str, ...] = (), team: TeamService | None = None) -> KernelCredentials | None:
    """Make `serverapp` start its kernels with `GovernedKernelManager`; the credentials it will honour.
    None when its kernels are not local processes this server starts (a kernel gateway). With `team`, kernels
    get the central service's URL and the user's credential there instead of a workspace and a token of this
    server (which then honours none)."""
    kernels = serverapp.kernel_manager
    gateway = getattr(serverapp, "gateway_config", None)
    if not hasattr(kernels, "kernel_manager_class") or getattr(gateway, "gateway_enabled", False):
        return None
    credentials = KernelCredentials(alive=lambda kernel_id: kernel_id in kernels)
    setattr(kernels, SETTINGS_ATTRIBUTE, KernelSettings(
        workspace=workspace, credentials=credentials, service_url=lambda: service_url(serverapp),
        user_for_kernel=user_for_kernel, keep=keep, team=team))
    configured = kernels.kernel_manager_class
    if configured != f"{__name__}.{GovernedKernelManager.__name__}":
        kernels.kernel_manager_class = f"{__name__}.{_governed_class(configured).__name__}"
    return credentials


def _governed_class(dotted: str) -> type:
    """`GovernedKernelManager`, or (a server configured with its own kernel manager class) that class with
    the same environment rule mixed in, registered in this module so Jupyter can import it by name."""
    # lazy: traitlets' importer only when the server extension loads
    from traitlets.utils.importstring import import_item

    base = import_item(dotted)
    if base is ServerKernelManager:
        return GovernedKernelManager
    name = f"Governed{base.__name__}"
    if name not in globals():
        members = {key: value for key, value in vars(GovernedKernelManager).items()
                   if key in ("_kernel_settings", "_async_pre_start_kernel", "pre_start_kernel", "update_env",
                              "_async_cleanup_resources", "cleanup_resources")}
        globals()[name] = type(name, (base,), {**members, "__module__": __name__})
    return globals()[name]


def service_url(serverapp) -> str | None:
    """This server's URL as a kernel on the same machine reaches it (base URL included); None when it
    listens on a Unix socket (the kernel client speaks HTTP over TCP)."""
    if getattr(serverapp, "sock", ""):
        return None
    ip = serverapp.ip or ""
    host = "127.0.0.1" if ip in WILDCARD_IPS or ip == "localhost" else (f"[{ip}]" if ":" in ip else ip)
    scheme = "https" if serverapp.certfile else "http"
    return f"{scheme}://{host}:{serverapp.port}{serverapp.base_url}".rstrip("/")
