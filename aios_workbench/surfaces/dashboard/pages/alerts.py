"""Alerts: the attention feed (failed runs, failed monitors, pending approvals) with acknowledge.

The feed is the service's, as the user may see it: alerts about datasets they may not read are not
listed (nor counted). Acknowledging one is kept on the alert (who, when) and in the audit log; when
someone was quicker, the page says who and when instead.
"""

from __future__ import annotations

import json
import urllib.parse

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import card, esc, guarded, heading, problem

FEED_SIZE = 20   # newest first; each open alert is a row with its own button
SEVERITY_COLORS = {"critical": "#b42318", "error": "#b42318", "warning": "#9a6700", "info": "#0b6e99"}


class AlertsPage(param.Parameterized):
    """Open and acknowledged alerts, newest first, each with an Acknowledge button while open."""

    state: param.Selector[str] = param.Selector(default="open", objects=["open", "acknowledged", "resolved", "all"])

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data

    def _item(self, alert: dict, holder: pn.Column):
        color = SEVERITY_COLORS.get(alert["severity"], "#52606d")
        repeat = f" · seen {alert['count']}×, last {esc(alert['last_at'])}" if alert.get("count", 1) > 1 else ""
        ack = (f"<br>acknowledged by {esc(alert['acknowledged_by'])} at {esc(alert['acknowledged_at'])}"
               if alert.get("acknowledged_by") else "")
        text = pn.pane.HTML(
            f'<div data-testid="alert-item" data-alert-id="{alert["id"]}" data-state="{esc(alert["state"])}">'
            f'<b style="color:{color}">{esc(alert["severity"]).upper()}</b> #{alert["id"]} {esc(alert["title"])}'
            f'<div style="font-size:.85em;color:#52606d">{esc(alert["kind"])} · {esc(alert["at"])}{repeat}'
            f'{ack}</div>{_next_step(alert)}</div>', sizing_mode="stretch_width")
        if alert["state"] != "open":
            return pn.Row(text, sizing_mode="stretch_width")
        button = pn.widgets.Button(name=f"Acknowledge #{alert['id']}", button_type="primary", width=150,
                                   align="center")

        def acknowledge(_event) -> None:
            try:
                answer = self.data.acknowledge(alert["id"])
            except Exception as exc:  # noqa: BLE001 - e.g. no longer visible: say so
                holder.insert(0, problem(exc))
                return
            self._fill(holder)
            if answer.get("acknowledgement") not in (None, "acknowledged"):   # someone was quicker: say who
                holder.insert(0, pn.pane.Alert(answer.get("message") or "", alert_type="info",
                                               sizing_mode="stretch_width"))

        button.on_click(acknowledge)
        return pn.Row(text, button, sizing_mode="stretch_width", styles={"border-bottom": "1px solid #e4e7eb"})

    def _fill(self, holder: pn.Column) -> None:
        """Put the counts and the feed into `holder` (again after an acknowledge)."""
        counts = self.data.alert_counts()
        alerts = self.data.alerts(state=None if self.state == "all" else self.state, limit=FEED_SIZE)
        figures = pn.FlexBox(card("Open", counts.get("open", 0), "alerts-open",
                                  tone="bad" if counts.get("open") else "good"),
                             card("Acknowledged", counts.get("acknowledged", 0), "alerts-acknowledged"))
        items = [self._item(a, holder) for a in alerts] or [pn.pane.Markdown(f"No {self.state} alerts.")]
        holder[:] = [figures, *items]

    @param.depends("state")
    @guarded
    def _feed(self):
        holder = pn.Column(sizing_mode="stretch_width")
        self._fill(holder)
        return holder

    def __panel__(self):
        state = pn.widgets.RadioButtonGroup.from_param(self.param.state, button_type="light")
        return pn.Column(heading("Alerts", "page-alerts"), state, self._feed, sizing_mode="stretch_width")


def _next_step(alert: dict) -> str:
    """The decision app an alert points to (`detail.link`: an app and the values to open it with), as a link
    that opens it on the Apps page with those values (the Apps page's shareable link)."""
    link = (alert.get("detail") or {}).get("link") or {}
    app = link.get("app")
    if not isinstance(app, str) or not app:
        return ""
    query = urllib.parse.urlencode({"page": "apps", "app": app,
                                    "values": json.dumps(link.get("params") or {}, sort_keys=True)})
    label = app.replace("_", " ").capitalize()
    return (f'<div style="margin-top:.3em"><a data-testid="alert-next-step" href="?{esc(query)}">'
            f"Open the {esc(label)} app for this &rarr;</a></div>")
