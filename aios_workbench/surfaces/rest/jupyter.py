"""The workbench service inside the Jupyter server, configured through traitlets.

Enabled by `jupyter-config/server-config/aios_workbench.json`; configure with e.g.
`jupyter lab --AIOSWorkbench.workspace=/path/to/workspace`.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from jupyter_server.base.handlers import APIHandler
from tornado import web
from traitlets import Bool, Enum, Float, Unicode
from traitlets.config import Configurable

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.service.core import UnavailableService, WorkbenchService
from aios_workbench.surfaces.rest.embedded_scheduler import start_embedded_scheduler
from aios_workbench.surfaces.rest.routes import mount
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


class JupyterAPIBase(APIHandler):
    """Jupyter's own authentication (token, password or identity provider) guards every verb."""

    def workbench_user(self) -> str:
        if self.settings.get("aios_user"):
            return self.settings["aios_user"]
        if self.settings["aios_identity"] == "jupyter":
            return self.current_user.username
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    # APIHandler.prepare itself drops JupyterHandler's `_redirect_to_login` keyword (and ignores the same
    # error): an API answers 403, it never redirects to a login page
    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.current_user is None:
            raise web.HTTPError(403, "authentication required")


def _load_jupyter_server_extension(serverapp) -> None:
    settings = AIOSWorkbench(config=serverapp.config)

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
    web_app.add_handlers(".*$", mount(JupyterAPIBase, web_app.settings["base_url"]))


# jupyter_server >= 2 looks these up on the module named in the extension point.
load_jupyter_server_extension = _load_jupyter_server_extension
