"""Apps: promoted notebooks anyone runs as themselves, from a form.

The list and forms are the service's (`service/apps.py`); a form's choices are the values the viewer may
read. Run executes the app as the viewer and shows its page in a sandboxed frame (no scripts). The page's URL
carries the app and its values (`?page=apps&app=NAME&values=...`), so a link shares the question, and
whoever opens it gets the answer their own permissions allow.
"""

from __future__ import annotations

import json
from datetime import date
from html import escape

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import STILL_ARRIVING, esc, guarded, heading, problem, settled

FRAME_HEIGHT = 720


def _widget(field: dict, value):
    name = field["label"]
    kind = field["type"]
    if kind == "choice":
        options = list(field.get("choices") or [])
        return pn.widgets.Select(name=name, options=options, value=value if value in options else
                                 (options[0] if options else None))
    if kind in ("integer", "number") and field.get("minimum") is not None:
        if kind == "integer":
            low, high = int(field["minimum"]), int(field["maximum"])
            return pn.widgets.IntSlider(name=name, start=low, end=high, step=1,
                                        value=int(value) if value is not None else low)
        start, end = float(field["minimum"]), float(field["maximum"])
        return pn.widgets.FloatSlider(name=name, start=start, end=end, step=(end - start) / 100 or 0.01,
                                      value=float(value) if value is not None else start)
    if kind == "integer":
        return pn.widgets.IntInput(name=name, value=value)
    if kind == "number":
        return pn.widgets.FloatInput(name=name, value=value)
    if kind == "boolean":
        return pn.widgets.Checkbox(name=name, value=bool(value))
    if kind == "date":
        return pn.widgets.DatePicker(name=name, value=date.fromisoformat(value) if isinstance(value, str) else value)
    return pn.widgets.TextInput(name=name, value="" if value is None else
                                (value if isinstance(value, str) else json.dumps(value)))


def _read(field: dict, widget):
    value = widget.value
    if field["type"] == "date" and isinstance(value, date):
        return value.isoformat()
    if field["type"] in ("list", "json") and isinstance(value, str):
        return json.loads(value) if value.strip() else None
    return value


class AppsPage(param.Parameterized):
    """The apps list; an opened app's form, Run, and its page."""

    app: param.String = param.String(default="")
    values: param.String = param.String(default="", doc="the form's values as JSON (the shareable link)")

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        args = pn.state.session_args or {}   # a shared link: ?page=apps&app=NAME&values=JSON
        for key in ("app", "values"):
            if args.get(key):
                setattr(self, key, args[key][0].decode("utf-8", "replace"))
        if pn.state.location is not None:
            pn.state.location.sync(self, {"app": "app", "values": "values"}, on_error=lambda _e: None)

    @param.depends("app")
    @guarded
    def _body(self):
        if not self.app:
            apps = self.data.apps()
            if not apps:
                return pn.pane.Markdown("No apps yet. Publish a promoted notebook as one: `aios apps publish JOB`.")
            buttons = []
            for item in apps:
                button = pn.widgets.Button(name=item["title"], button_type="light", width=280)
                button.on_click(self._opener(item["name"]))
                note = pn.pane.HTML(f'<div style="color:var(--aios-muted, #52606d)">{esc(item["description"] or "")} · version '
                                    f'{item["version"]}, published by {esc(item["published_by"])}</div>')
                buttons.append(pn.Row(button, note, sizing_mode="stretch_width"))
            return pn.Column(*buttons, sizing_mode="stretch_width")
        return self._app_view(self.data.app(self.app))

    def _app_view(self, app: dict):
        given = {}
        if self.values:
            try:
                given = json.loads(self.values)
            except ValueError:
                given = {}
        widgets = {f["name"]: _widget(f, given.get(f["name"], f["default"])) for f in app["fields"]}
        helps = {f["name"]: f["help"] for f in app["fields"]}
        form = [pn.Column(w, *([pn.pane.HTML(f'<div style="color:var(--aios-muted, #52606d);font-size:.85em">{esc(helps[n])}</div>')]
                               if helps[n] else [])) for n, w in widgets.items()]
        run = pn.widgets.Button(name="Run", button_type="primary", width=120)
        output = pn.Column(sizing_mode="stretch_width")
        back = pn.widgets.Button(name="All apps", button_type="light", width=120)
        back.on_click(self._opener(""))

        def execute(_event=None) -> None:
            if _event is not None and not settled(*widgets.values()):
                output[:] = [pn.pane.Alert(STILL_ARRIVING, alert_type="warning")]
                return
            try:
                values = {f["name"]: _read(f, widgets[f["name"]]) for f in app["fields"]}
            except ValueError as exc:
                output[:] = [problem(exc)]
                return
            self.values = json.dumps(values, sort_keys=True, default=str)
            output.loading = True
            try:
                result = self.data.run_app(app["name"], parameters=values)
            except Exception as exc:  # noqa: BLE001 - refused values, a failed run: said in place
                output[:] = [problem(exc)]
                return
            finally:
                output.loading = False
            status = (f'Ran as you in {result["seconds"]:.1f} s' + (" (from the cache)" if result["cached"] else "")
                      + ("" if result["ok"] else f' · the app stopped: {result["error"]}'))
            frame = (f'<iframe title="{escape(app["title"])}" sandbox srcdoc="{escape(result["html"], quote=True)}" '
                     f'style="width:100%;height:{FRAME_HEIGHT}px;border:1px solid #cbd2d9;border-radius:4px"></iframe>')
            output[:] = [pn.pane.HTML(f'<div data-testid="app-status" style="color:var(--aios-muted, #52606d)">{esc(status)}</div>'),
                         pn.pane.HTML(frame, sizing_mode="stretch_width")]

        run.on_click(execute)
        if self.values:   # a shared link: answer it at once
            execute()
        description = f"<p>{esc(app['description'])}</p>" if app["description"] else ""
        return pn.Column(pn.pane.HTML(f'<h2 data-testid="app-title">{esc(app["title"])}</h2>{description}'),
                         pn.FlexBox(*form), pn.Row(run, back), output, sizing_mode="stretch_width")

    def _opener(self, name: str):
        """A click handler that opens app `name` (the list for "") with its form's defaults."""
        def open_app(_event) -> None:
            self.values = ""
            self.app = name
        return open_app

    def __panel__(self):
        return pn.Column(heading("Apps", "page-apps"), self._body, sizing_mode="stretch_width")
