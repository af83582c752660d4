"""The dashboard app: one `FastListTemplate` per browser session, for the logged-in user.

The sidebar switches pages; the page is kept in the URL (`?page=audit`), so a page can be
bookmarked or linked. Each page is built when it is shown (fresh figures, and a session
only pays for the pages it opens): the first one with the session, so it arrives with the
shell in one document (a round trip and a re-layout less: 0.8 s less for the Quality page
in the benchmark), later ones in Panel's thread pool behind a loading spinner.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import panel as pn
import param

from aios_workbench.core.errors import AuthenticationRequired, WorkbenchError
from aios_workbench.surfaces.dashboard import theme
from aios_workbench.surfaces.dashboard.auth import session_cookie
from aios_workbench.surfaces.dashboard.pages.common import esc, problem

# page key -> (label in the sidebar, module under pages/, class)
PAGES = {
    "overview": ("Overview", "overview", "OverviewPage"),
    "data": ("Data", "data", "DataPage"),
    "quality": ("Quality & drift", "quality", "QualityPage"),
    "jobs": ("Jobs", "jobs", "JobsPage"),
    "experiments": ("Experiments & models", "experiments", "ExperimentsPage"),
    "audit": ("Audit", "audit", "AuditPage"),
    "alerts": ("Alerts", "alerts", "AlertsPage"),
    "apps": ("Apps", "apps", "AppsPage"),
    "actions": ("Actions", "actions", "ActionsPage"),
}
TITLE = "AI OS dashboard"


def offline_design():
    """Panel's Fast design without its Google Fonts link: the dashboard must work with no internet."""
    from panel.theme.fast import Fast

    # Same class name: Panel finds a design's bundled files by the lower-cased class name.
    return type("Fast", (Fast,), {"_resources": {**Fast._resources, "font": {}}, "__module__": __name__,
                                  "modifiers": theme.design_modifiers()})


class DashboardTemplate(pn.template.FastListTemplate):
    """Panel's FastListTemplate whose main area is the page's main landmark (`dashboard_template.html` extends
    Panel's own template and only adds `role="main"`); each page's title in it is the page's one <h1>
    (`pages.common.heading`)."""

    _template = Path(__file__).with_name("dashboard_template.html")


class DashboardApp(param.Parameterized):
    """Navigation state of one session: which page is shown."""

    page: param.Selector[str] = param.Selector(default="overview",
                                               objects={label: key for key, (label, _, _) in PAGES.items()})

    def __init__(self, data, *, title: str = TITLE, **params):
        super().__init__(**params)
        self.data = data
        self.title = title
        self._main = pn.Column(sizing_mode="stretch_width", min_height=400, stylesheets=[theme.stylesheet()])
        self._lock = threading.Lock()
        self._shown = None   # the key of the page in the main area

    def build_page(self, key: str):
        """A new instance of page `key` (its module is imported on first use)."""
        _, module, cls = PAGES[key]
        page_class = getattr(importlib.import_module(f".pages.{module}", __package__), cls)
        return page_class(self.data)

    @param.depends("page", watch=True)
    def _page_changed(self) -> None:
        self.show()

    def show(self) -> None:
        """Build the selected page and put it in the main area, unless another page was picked
        meanwhile (a slow page finishing late must not replace the one the user asked for last)."""
        key = self.page
        self._main.loading = True
        try:
            content = pn.panel(self.build_page(key), sizing_mode="stretch_width")
        except Exception as exc:  # noqa: BLE001 - one broken page must not take the app down
            content = problem(exc)
        with self._lock:
            if key == self.page:
                self._main[:] = [content]
                self._main.loading = False
                self._shown = key

    def view(self) -> DashboardTemplate:
        nav = pn.widgets.RadioButtonGroup.from_param(self.param.page, orientation="vertical", button_type="light",
                                                     button_style="outline", sizing_mode="stretch_width",
                                                     name="Pages")
        roles = ", ".join(self.data.roles) or "no roles"
        who = pn.pane.HTML(
            f'<div style="color:white;text-align:right;font-size:.95em">'
            f'<span data-testid="current-user">{esc(self.data.user)}</span> ({esc(roles)}) · '
            f'<a href="./logout" style="color:white" data-testid="logout">Log out</a></div>',
            sizing_mode="stretch_width", align="center")
        note = pn.pane.HTML(f'<p style="font-size:.8em;color:{theme.tone("muted")}">Everything here is read through '
                            "the governed path as you: masks and row filters apply on every page and every download."
                            "</p>", stylesheets=[theme.stylesheet()])
        if pn.state.location is not None:
            pn.state.location.sync(self, {"page": "page"})
        if self._shown is None:   # syncing a `?page=` from the URL has shown it already
            self.show()
        return DashboardTemplate(
            title=self.title, sidebar=[nav, note], header=[who, theme.switch()], sidebar_width=230,
            main=[self._main],
            accent="#0b6e99", font="system-ui, -apple-system, 'Segoe UI', sans-serif", font_url="",
            theme_toggle=False, main_layout=None, design=offline_design())


def session_view(gate, *, title: str = TITLE):
    """What one browser session gets: the app for its logged-in user, else a refusal."""

    user = pn.state.user
    try:
        if not user:
            raise AuthenticationRequired("not logged in", fix="log in")
        data = gate.data_for(user, session_cookie)
    except AuthenticationRequired:
        return pn.pane.Alert("You are not logged in as a workbench user. Log in again at ./login.",
                             alert_type="danger")
    except WorkbenchError as exc:   # e.g. the team's workbench service is unreachable
        return problem(exc)
    return DashboardApp(data, title=title).view()
