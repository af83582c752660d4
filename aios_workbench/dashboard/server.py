"""Serving the dashboard: one Panel (Bokeh/Tornado) server over an in-process `WorkbenchService`.

The service is shared by all sessions; each session reads as its logged-in user. Logins go
through `auth.WorkbenchAuthProvider`; job output notebooks are served by `JobOutputHandler`
to those allowed to see them.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

log = logging.getLogger(__name__)
THREADS = 4   # Panel's thread pool: sessions are built and callbacks run off the IO loop


def _warm_imports(ws) -> None:
    """Import Bokeh's plotting, pandas and MLflow in the background (seconds each), so the first plot
    and the first Experiments page do not pay for them."""
    try:
        import bokeh.plotting  # noqa: F401
        import pandas  # noqa: F401

        from ..tracking.runs_query import _client

        _client(ws)
    except Exception:  # noqa: BLE001 - only a head start; the pages import what they need
        log.debug("warming the imports failed", exc_info=True)


def output_handler(service, gate):
    """A Tornado handler serving a job run's output (HTML, else the notebook) to allowed users only."""
    import tornado.web
    from bokeh.server.views.auth_request_handler import AuthRequestHandler

    from .data import DashboardData
    from .jobs_query import output_file

    class JobOutputHandler(AuthRequestHandler):
        @tornado.web.authenticated
        def get(self, run_id: str):
            run, path = output_file(service.store, int(run_id))
            if not run:
                raise tornado.web.HTTPError(404, reason="no such job run")
            if not DashboardData(service, self.current_user).may_open_output(run):
                raise tornado.web.HTTPError(403, reason="only the job's identity, its creator and auditors "
                                                        "may open its output")
            if not path:
                raise tornado.web.HTTPError(404, reason="this run kept no output")
            file = Path(path) if Path(path).is_absolute() else service.workspace.root / path
            state = service.workspace.state_dir.resolve()
            file = file.resolve()
            if not file.is_file() or state not in file.parents:   # outputs live in the state folder only
                raise tornado.web.HTTPError(404, reason="the output file is gone (retention may have removed it)")
            kind = "text/html" if file.suffix == ".html" else "application/x-ipynb+json"
            self.set_header("Content-Type", f"{kind}; charset=utf-8")
            # an output notebook's HTML is data, not part of the dashboard: no scripts, no same-origin access
            self.set_header("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; "
                                                       "style-src 'unsafe-inline'")
            self.write(file.read_bytes())

    return JobOutputHandler


def serve_dashboard(ws, *, port: int, address: str, show: bool, title: str, on_ready) -> None:
    """Serve the dashboard of workspace `ws` until interrupted (SIGINT/SIGTERM)."""
    import panel as pn

    from ..service.core import WorkbenchService
    from .app import session_view
    from .auth import LoginGate, WorkbenchAuthProvider, configure_cookie
    from .users import DashboardUsers, cookie_secret

    service = WorkbenchService(ws, mode="dashboard")
    service.warm_up_in_background()
    gate = LoginGate(service, DashboardUsers(ws.state_dir))
    secret = cookie_secret(ws.state_dir)
    configure_cookie(secret)
    pn.config.nthreads = THREADS
    pn.extension("tabulator", notifications=True)

    origins = [f"{address}:{port}"] + ([f"localhost:{port}"] if address in ("127.0.0.1", "localhost") else [])
    server = pn.serve({"/": lambda: session_view(service, gate, title=title)}, port=port, address=address,
                      websocket_origin=origins, show=show, start=False, title=title, cookie_secret=secret,
                      auth_provider=WorkbenchAuthProvider(gate),
                      verbose=False, extra_patterns=[(r"/job-output/(\d+)", output_handler(service, gate))])
    loop = server.io_loop

    def stop(*_args):
        loop.asyncio_loop.call_soon_threadsafe(loop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start()
    threading.Thread(target=_warm_imports, args=(ws,), name="warm-imports", daemon=True).start()
    on_ready(f"http://{address}:{server.port}/")
    try:
        loop.start()
    finally:
        server.stop()
        service.close()
