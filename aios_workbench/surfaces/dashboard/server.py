"""Serving the dashboard: one Panel (Bokeh/Tornado) server over an in-process `WorkbenchService`.

Local mode: one `WorkbenchService` in this process, shared by all sessions, each reading as its
logged-in user. Team mode: no workspace here; each session reads through a workbench service's
REST API with its user's own token. Logins go through `auth.WorkbenchAuthProvider` (the gate
decides); job output notebooks are served by `output_handlers` (a page with the run's header, the notebook
sandboxed below it) to those allowed to see them.
"""

from __future__ import annotations

import logging
import signal
import threading

from aios_workbench.surfaces.rest.serving import cannot_listen

log = logging.getLogger(__name__)
THREADS = 4   # Panel's thread pool: sessions are built and callbacks run off the IO loop


def _warm_imports(service=None) -> None:
    """Import Bokeh's plotting and pandas (and, in local mode, MLflow: `service`) in the background (seconds
    each), so the first plot and the first Experiments page do not pay for them."""
    try:
        import bokeh.plotting  # noqa: F401
        import pandas  # noqa: F401

        if service is not None:
            service.runs.warm_up()
    except Exception:
        log.debug("warming the imports failed", exc_info=True)


def output_handlers(data_for) -> list[tuple[str, type]]:
    """Tornado routes for a job run's output, to allowed users only; `data_for(request_handler)` is the
    logged-in user's `DashboardData`. `/job-output/<id>`: a page with the run's header and the notebook below
    (`pages/job_output.py`); `/job-output/<id>/notebook`: the output itself (HTML, else the notebook file),
    sandboxed as data. Both refuse as `job_output` does (who may not open it, a run that kept nothing)."""
    import asyncio

    import tornado.web
    from bokeh.server.views.auth_request_handler import AuthRequestHandler

    # lazy: light; kept with this factory's Tornado/Bokeh imports
    from aios_workbench.core.errors import WorkbenchError, http_status
    from aios_workbench.surfaces.dashboard.pages.job_output import PAGE_CSP, output_page  # lazy: as above
    from aios_workbench.surfaces.rest.routes import SANDBOXED_HTML_CSP  # lazy: Tornado + API schemas; only when serving

    class OutputBase(AuthRequestHandler):
        async def load(self, work):
            """`work(data)` off the IO loop (a store read locally, a REST call in team mode); a refusal as its
            HTTP status with the service's words."""
            try:
                return await asyncio.to_thread(lambda: work(data_for(self)))
            except WorkbenchError as exc:
                raise tornado.web.HTTPError(http_status(exc), reason=exc.message.splitlines()[0][:200]) from None

        def common_headers(self, csp: str) -> None:
            self.set_header("Content-Security-Policy", csp)
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Cache-Control", "no-store")   # what a viewer may open can change; never reuse it

    class JobOutputNotebook(OutputBase):
        @tornado.web.authenticated
        async def get(self, run_id: str):
            kind, content = await self.load(lambda data: data.job_output(int(run_id)))
            self.set_header("Content-Type", f"{kind}; charset=utf-8")
            if kind != "text/html":
                self.set_header("Content-Disposition", f'attachment; filename="run-{int(run_id)}.ipynb"')
            self.common_headers(SANDBOXED_HTML_CSP)
            self.write(content)

    class JobOutputPage(OutputBase):
        @tornado.web.authenticated
        async def get(self, run_id: str):
            number = int(run_id)

            def page(data):
                kind, _ = data.job_output(number)   # refused exactly as the notebook itself is
                run = next((r for r in data.job_runs(limit=1, before_id=number + 1) if r["id"] == number), None)
                if run is None:   # deleted between the two reads
                    raise tornado.web.HTTPError(404, reason=f"no job run {number}")
                return output_page(run, html_output=kind == "text/html", theme=self.get_query_argument("theme", None))

            html = await self.load(page)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.common_headers(PAGE_CSP)
            self.write(html)

    return [(r"/job-output/(\d+)", JobOutputPage), (r"/job-output/(\d+)/notebook", JobOutputNotebook)]


def local_gate(ws, *, oauth: bool = False):
    """Local mode: a governed service in this process; logins from `aios dashboard users`, or through
    the team's OAuth identity provider (`oauth`)."""
    # lazy: WorkbenchService engines (DuckDB, SQLAlchemy): local mode only
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.surfaces.dashboard.auth import LoginGate  # lazy: auth imports Panel; only when serving
    from aios_workbench.surfaces.dashboard.users import DashboardUsers, cookie_secret  # lazy: logins file; local mode

    secret = cookie_secret(ws.state_dir)
    if oauth:
        # lazy: Panel's OAuth handlers; only with --oauth
        from aios_workbench.surfaces.dashboard import oauth as oauth_logins

        oauth_logins.configure(secret)   # refuses a half-configured provider before anything starts
    service = WorkbenchService(ws, mode="dashboard")
    service.warm_up_in_background()
    threading.Thread(target=_warm_imports, args=(service,), name="warm-imports", daemon=True).start()
    gate = oauth_logins.OAuthGate(service) if oauth else LoginGate(service, DashboardUsers(ws.state_dir))
    return gate, secret, service.close


def team_gate(service_url: str, *, delegate_token: str | None = None):
    """Team mode: every read goes to the workbench service at `service_url` with the user's own token,
    or, with OAuth logins, with the dashboard's `delegate_token` acting for the signed-in user.
    Sessions (and their tokens) live in this process only, so a new cookie secret per start costs
    nothing (OAuth users sign in again at their provider, usually without typing anything)."""
    import secrets

    from panel.config import config as panel_config

    # lazy: auth imports Panel; only when serving
    from aios_workbench.surfaces.dashboard.auth import TeamLoginGate, TokenSessions

    secret = secrets.token_urlsafe(48)
    threading.Thread(target=_warm_imports, name="warm-imports", daemon=True).start()
    if delegate_token:
        # lazy: Panel's OAuth handlers; only with OAuth logins
        from aios_workbench.surfaces.dashboard import oauth as oauth_logins

        oauth_logins.configure(secret)
        return oauth_logins.TeamOAuthGate(service_url, delegate_token), secret, lambda: None
    sessions = TokenSessions(ttl_seconds=panel_config.oauth_expiry * 86400)
    return TeamLoginGate(service_url, sessions), secret, lambda: None


def serve_dashboard(gate, secret: str, *, port: int, address: str, show: bool, title: str, on_ready,
                    on_close=lambda: None) -> None:
    """Serve the dashboard until interrupted (SIGINT/SIGTERM); `gate` decides logins and whose data a
    session reads (`local_gate`, `team_gate`)."""
    import panel as pn

    # lazy: the app builds the Panel pages; only when serving
    from aios_workbench.surfaces.dashboard.app import session_view
    from aios_workbench.surfaces.dashboard.auth import configure_cookie, handler_cookie  # lazy: as above

    configure_cookie(secret)
    # Panel's config declares `nthreads` a read-only property, yet its __setattr__ stores the value (the
    # documented way to set it)
    pn.config.nthreads = THREADS   # type: ignore[misc]
    pn.extension("tabulator", notifications=True)

    origins = [f"{address}:{port}"] + ([f"localhost:{port}"] if address in ("127.0.0.1", "localhost") else [])
    outputs = output_handlers(lambda handler: gate.data_for(handler.current_user, handler_cookie(handler)))
    try:
        server = pn.serve({"/": lambda: session_view(gate, title=title)}, port=port, address=address,
                          websocket_origin=origins, show=show, start=False, title=title, cookie_secret=secret,
                          auth_provider=gate.auth_provider(),
                          verbose=False, extra_patterns=outputs)
    except OSError as exc:   # the port is taken, privileged, or the address is not this machine's
        on_close()
        raise cannot_listen(exc, address=address, port=port, address_option="--address") from None
    loop = server.io_loop

    def stop(*_args):
        loop.asyncio_loop.call_soon_threadsafe(loop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start()
    on_ready(f"http://{address}:{server.port}/")
    try:
        loop.start()
    finally:
        server.stop()
        on_close()
