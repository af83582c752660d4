"""The workbench service inside the Jupyter server, configured through traitlets.

Enabled by `jupyter-config/server-config/aios_workbench.json`; configure with e.g.
`jupyter lab --AIOSWorkbench.workspace=/path/to/workspace`.

The extension also governs the server's kernels (`lab_kernels.py`): each starts with a minimal
environment and a token of its own, which this module's handlers accept (on the workbench's routes
only) as the kernel's user.

Team mode: with `AIOSWorkbench.service_url` set (default $AIOS_SERVICE_URL; JupyterHub's spawner sets it) the
extension is a proxy (`team_proxy.py`): no workspace is opened here and no scheduler started; the workbench's
routes are forwarded to the central service as this server's user, and kernels talk to that service directly.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from jupyter_server.auth.identity import User
from jupyter_server.base.call_context import CallContext
from jupyter_server.base.handlers import APIHandler
from tornado import web
from traitlets import Bool, Enum, Float, List, Unicode, default
from traitlets.config import Configurable

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.core.logs import setup_logging
from aios_workbench.service.core import UnavailableService, WorkbenchService
from aios_workbench.surfaces.rest import lab_kernels
from aios_workbench.surfaces.rest.embedded_scheduler import start_embedded_scheduler
from aios_workbench.surfaces.rest.routes import API_PREFIX, mount
from aios_workbench.surfaces.rest.team_proxy import ServiceLink, TeamProxyRoute
from aios_workbench.workspace import Workspace, locate_workspace


class AIOSWorkbench(Configurable):
    """Settings of the aios-workbench server extension."""

    workspace = Unicode(
        "", config=True,
        help="Workspace folder. Default: $AIOS_WORKSPACE, else the nearest folder at or above the "
        "server's root_dir holding an aios.yaml.",
    )
    connector_health_ttl = Float(15.0, config=True, help="Seconds a data source health probe is cached.")
    user = Unicode(
        "", config=True,
        help="Act as this policy user for every request of this single-user server (overrides `identity`). "
        "`aios lab --user NAME` sets it.",
    )
    scheduler = Bool(
        False, config=True,
        help="Also run `aios scheduler` for the workspace as a child of this server (promoted jobs run on "
        "time while JupyterLab is up). `aios lab --scheduler` and `aios demo` set it; for production run "
        "`aios scheduler` as a service of its own.",
    )
    identity = Enum(
        ["server-account", "jupyter"], "server-account", config=True,
        help="Whom governance treats as the user. 'server-account': the account running this single-user "
        "server ($JUPYTERHUB_USER under JupyterHub, else the OS user), since token logins are anonymous. "
        "'jupyter': the username of Jupyter's identity provider (for custom authenticators).",
    )
    kernel_environment_keep = List(
        Unicode(), [], config=True,
        help="More environment variables the server's kernels may inherit, beyond the allow-list (system, locale, "
        "Python and Jupyter paths, proxies, CA bundles, thread limits), e.g. CUDA_VISIBLE_DEVICES or HF_TOKEN. "
        "Never the workspace's secrets nor the service's, Jupyter's or JupyterHub's tokens.",
    )
    service_url = Unicode(
        config=True,
        help="Team mode: the URL of the central workbench service (`aios serve`). When set, this server opens no "
        "workspace: its aios/api/* calls are forwarded there as this server's user, and its kernels call it "
        "directly. Default: $AIOS_SERVICE_URL; empty: the workspace is served here (single-user mode).",
    )
    service_token_env = Unicode(
        "JUPYTERHUB_API_TOKEN", config=True,
        help="Team mode: the environment variable holding the credential sent to the service (the server's hub "
        "token, which identifies its user there; or a token of `aios tokens add USER`). Kernels get it as "
        "AIOS_TOKEN.",
    )

    @default("service_url")
    def _service_url_default(self) -> str:
        return os.environ.get("AIOS_SERVICE_URL", "")


def server_user(settings: dict) -> str | None:
    """The policy user a request (or a kernel started by one) acts as: `AIOSWorkbench.user`, else the server's
    account, else (identity 'jupyter') the user Jupyter authenticated for the request being handled."""
    if settings.get("aios_user"):
        return settings["aios_user"]
    if settings["aios_identity"] == "jupyter":
        handler = CallContext.get(CallContext.JUPYTER_HANDLER)
        user = getattr(handler, "current_user", None)
        return getattr(user, "username", None)
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


class JupyterAPIBase(APIHandler):
    """Jupyter's own authentication (token, password or identity provider) guards every verb; a kernel's own
    token (`lab_kernels.py`) is accepted too, as the user its kernel acts as."""

    _kernel_user: str | None = None

    def workbench_user(self) -> str:
        if self._kernel_user is not None:
            return self._kernel_user
        if self.settings.get("aios_user"):
            return self.settings["aios_user"]
        if self.settings["aios_identity"] == "jupyter":
            return self.current_user.username
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    def _kernel_credential(self) -> str | None:
        """The user of the kernel token this request carries (`Authorization: token|Bearer <token>`), if any."""
        credentials = self.settings.get("aios_kernel_credentials")
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if credentials is None or scheme.lower() not in ("token", "bearer"):
            return None
        return credentials.user_of(token.strip())

    # APIHandler.prepare itself drops JupyterHandler's `_redirect_to_login` keyword (and ignores the same
    # error): an API answers 403, it never redirects to a login page
    async def prepare(self) -> None:  # type: ignore[override]
        kernel_user = self._kernel_credential()
        if kernel_user is not None:   # a kernel's token: no cookie, so no XSRF to check; Jupyter's host check
            if not self.check_host():
                raise web.HTTPError(403)
            self._kernel_user = kernel_user
            self.current_user = self._jupyter_current_user = User(username=kernel_user)
            return
        await super().prepare()
        if self.current_user is None:
            raise web.HTTPError(403, "authentication required")


def _load_jupyter_server_extension(serverapp) -> None:
    settings = AIOSWorkbench(config=serverapp.config)
    setup_logging()   # the workbench's log lines (internal errors under their ids) go to the server's stderr
    if settings.service_url.strip():
        _load_proxy_mode(serverapp, settings)
        return

    service: WorkbenchService | UnavailableService
    try:
        root = locate_workspace(settings.workspace or None, cwd=Path(serverapp.root_dir))
        service = WorkbenchService(Workspace.load(root), mode="jupyter",
                                   connector_health_ttl=settings.connector_health_ttl)
        serverapp.log.info("aios-workbench: serving workspace %s", service.workspace.root)
        service.warm_up_in_background()
        if settings.scheduler:
            child = start_embedded_scheduler(service.workspace)
            serverapp.log.info("aios-workbench: scheduler running as process %s (log: %s)", child.pid,
                               service.workspace.state_dir / "logs" / "scheduler.log")
    except WorkbenchError as exc:
        service = UnavailableService(exc, mode="jupyter")
        serverapp.log.warning("aios-workbench: workspace unavailable: %s", exc)
    web_app = serverapp.web_app
    web_app.settings["aios_service"] = service
    web_app.settings["aios_identity"] = settings.identity
    web_app.settings["aios_user"] = settings.user
    web_app.settings["aios_kernel_credentials"] = lab_kernels.install(
        serverapp, workspace=getattr(service, "workspace", None) if isinstance(service, WorkbenchService) else None,
        user_for_kernel=lambda: server_user(web_app.settings), keep=tuple(settings.kernel_environment_keep))
    web_app.add_handlers(".*$", mount(JupyterAPIBase, web_app.settings["base_url"]))


def _load_proxy_mode(serverapp, settings: AIOSWorkbench) -> None:
    """Team mode: forward the workbench's routes to the central service; kernels get its URL and the user's
    credential there. Nothing of a workspace is opened, so nothing here can read governed data by itself."""
    url = settings.service_url.strip().rstrip("/")
    token = os.environ.get(settings.service_token_env, "").strip()
    ignored = [name for name in ("workspace", "user", "scheduler") if getattr(settings, name)]
    if ignored:   # the service decides who the user is and runs the jobs; nothing here may claim otherwise
        serverapp.log.warning("aios-workbench: team mode ignores AIOSWorkbench.%s", ", AIOSWorkbench.".join(ignored))
    if not token:
        serverapp.log.warning("aios-workbench: $%s is empty: calls to the workbench service will be refused",
                              settings.service_token_env)
    web_app = serverapp.web_app
    web_app.settings["aios_service_link"] = ServiceLink(url, token, settings.service_token_env)
    web_app.settings["aios_kernel_credentials"] = None   # kernels hold the user's service credential, not ours
    lab_kernels.install(serverapp, workspace=None, user_for_kernel=lambda: None,
                        keep=tuple(settings.kernel_environment_keep), team=lab_kernels.TeamService(url, token))
    handler = type("TeamProxyHandler", (TeamProxyRoute, JupyterAPIBase), {})
    prefix = web_app.settings["base_url"].rstrip("/")
    web_app.add_handlers(".*$", [(f"{prefix}/{API_PREFIX}/(.*)", handler)])
    serverapp.log.info("aios-workbench: team mode: forwarding %s/%s/ to the workbench service at %s", prefix,
                       API_PREFIX, url)


# jupyter_server >= 2 looks these up on the module named in the extension point.
load_jupyter_server_extension = _load_jupyter_server_extension
