"""Alerts: the attention feed (failed runs, failed monitors, pending approvals) with acknowledge.

The feed is the service's, as the user may see it: alerts about datasets they may not read are not
listed (nor counted). Each alert says what caused it and links to it (the service's `cause`: the failed
run's output, the monitor's check result on the Quality page, the job or action waiting for a decision),
with related evidence (the checks a failed run failed). Acknowledging one is kept on the alert (who, when)
and in the audit log; when someone was quicker, the page says who and when instead.
"""

from __future__ import annotations

import json
import urllib.parse

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import StateFeed, card, esc, problem, when

FEED_SIZE = 20   # newest first; each open alert is a row with its own button
SEVERITY_COLORS = {"critical": "var(--aios-bad, #b42318)", "error": "var(--aios-bad, #b42318)",
                   "warning": "var(--aios-warn, #9a6700)", "info": "var(--aios-accent, #0b6e99)"}
KIND_WORDS = {"run_failed": "failed run", "checks_failed": "failed checks", "monitor_failed": "failed monitor",
              "approval": "approval"}
STATE_WORDS = {"open": "open", "acknowledged": "acknowledged", "resolved": "resolved"}


class AlertsPage(StateFeed):
    """Open and acknowledged alerts, newest first, each with an Acknowledge button while open."""

    state: param.Selector[str] = param.Selector(default="open", objects=["open", "acknowledged", "resolved", "all"])
    page_title, page_testid = "Alerts", "page-alerts"

    def _item(self, alert: dict, holder: pn.Column):
        color = SEVERITY_COLORS.get(alert["severity"], "var(--aios-muted, #52606d)")
        repeat = f" · seen {alert['count']}×, last {esc(when(alert['last_at']))}" if alert.get("count", 1) > 1 else ""
        ack = (f"<br>acknowledged by {esc(alert['acknowledged_by'])} at {esc(when(alert['acknowledged_at']))}"
               if alert.get("acknowledged_by") else "")
        resolved = f" · resolved {esc(when(alert['resolved_at']))}" if alert.get("resolved_at") else ""
        kind = KIND_WORDS.get(alert["kind"], str(alert["kind"]).replace("_", " "))
        text = pn.pane.HTML(
            f'<div data-testid="alert-item" data-alert-id="{alert["id"]}" data-state="{esc(alert["state"])}">'
            f'<b style="color:{color}">{esc(alert["severity"]).upper()}</b> #{alert["id"]} {esc(alert["title"])}'
            f'<div style="font-size:.85em;color:var(--aios-muted, #52606d)">{esc(kind)} · raised <span data-testid="alert-at">'
            f'{esc(when(alert["at"]))}</span>{repeat}{resolved}{ack}</div>{causes_html(alert)}{_next_step(alert)}'
            f'</div>', sizing_mode="stretch_width")
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
        return pn.Row(text, button, sizing_mode="stretch_width", styles={"border-bottom": "1px solid var(--aios-rule, #e4e7eb)"})

    def _fill(self, holder: pn.Column) -> None:
        """Put the counts and the feed into `holder` (again after an acknowledge)."""
        counts = self.data.alert_counts()
        alerts = self.data.alerts(state=None if self.state == "all" else self.state, limit=FEED_SIZE)
        figures = pn.FlexBox(card("Open", counts.get("open", 0), "alerts-open",
                                  tone="bad" if counts.get("open") else "good"),
                             card("Acknowledged", counts.get("acknowledged", 0), "alerts-acknowledged"))
        items = [self._item(a, holder) for a in alerts] or [pn.pane.Markdown(f"No {self.state} alerts.")]
        holder[:] = [figures, *items]


def cause_href(target: dict | None) -> str | None:
    """Where a cause's target opens on the dashboard (None: nowhere here)."""
    if not target:
        return None
    opens = target.get("opens")
    if opens == "job_run_output" and target.get("run_id"):
        return f"./job-output/{int(target['run_id'])}"
    if opens == "check_result" and target.get("ledger_id"):
        return "?" + urllib.parse.urlencode({"page": "quality", "run": int(target["ledger_id"])})
    if opens == "check" and target.get("check"):
        return "?" + urllib.parse.urlencode({"page": "quality", "check": f'{target.get("kind") or "drift"}:'
                                                                         f'{target["check"]}'})
    if opens == "job" and target.get("job"):
        return "?" + urllib.parse.urlencode({"page": "jobs", "job": target["job"]})
    if opens == "action":
        return "?page=actions"
    if opens == "app" and target.get("app"):
        return "?" + urllib.parse.urlencode({"page": "apps", "app": target["app"],
                                             "values": json.dumps(target.get("params") or {}, sort_keys=True)})
    return None


def _cause_link(cause: dict, testid: str) -> str:
    href = cause_href(cause.get("target"))
    label = esc(cause.get("label"))
    note = f' <span style="color:var(--aios-muted, #52606d)">({esc(cause["note"])})</span>' if cause.get("note") else ""
    if href is None:
        return f'<span data-testid="{testid}" data-kind="{esc(cause.get("kind"))}">{label}</span>{note}'
    new_tab = ' target="_blank" rel="noopener"' if href.startswith("./") else ""
    return (f'<a data-testid="{testid}" data-kind="{esc(cause.get("kind"))}" href="{esc(href)}"{new_tab}>{label}</a>'
            f"{note}")


def causes_html(alert: dict) -> str:
    """"Cause: <the run, check result or decision, linked>" and the related evidence (the app a threshold
    monitor points to is the next step, shown apart)."""
    cause = alert.get("cause")
    related = [c for c in alert.get("related") or [] if c.get("kind") != "app"]
    if not cause and not related:
        return ""
    parts = []
    if cause:
        parts.append(f"<div>Cause: {_cause_link(cause, 'alert-cause')}</div>")
    if related:
        parts.append("<div>Evidence: " + " · ".join(_cause_link(c, "alert-related") for c in related) + "</div>")
    return f'<div style="margin-top:.3em">{"".join(parts)}</div>'


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
