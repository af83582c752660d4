"""Small building blocks shared by the pages: figure cards, tables, error boxes, a guarded render."""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import time
from datetime import date, datetime

import panel as pn
import param

from aios_workbench.core import incidents
from aios_workbench.core.errors import WorkbenchError
from aios_workbench.core.humanize import duration_words, moment_words, utc_moment

log = logging.getLogger(__name__)
PAGE_SIZE = 15


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


# -- human formatting: the one place every page formats moments, numbers, yes/no and details --------------
# Moments as every surface writes them ("Sun 6 Dec 2026, 19:45 UTC", `core/humanize.moment_words`), in UTC.
# `when(value, seconds=True)` for the audit log, where the order within a minute matters.
moment = utc_moment
when = moment_words


def day(value) -> str:
    """A day as "Tue 31 Mar 2026" (a date, a datetime or ISO text)."""
    found = value if isinstance(value, date) and not isinstance(value, datetime) else moment(value)
    if found is None:
        return str(value)
    return f"{found:%a} {found.day} {found:%b %Y}"


def number(value, *, digits: int = 3) -> str:
    """A number as people read it: whole numbers with thousands separators, others to `digits` significant
    digits ("6.32", "0.0421"), never "6.315095"; text stays text."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "n/a" if math.isnan(value) else ("∞" if value > 0 else "-∞")
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        text = f"{value:.{digits}g}"
        return f"{value:,.0f}" if abs(value) >= 1 and ("e" in text or abs(value) >= 10**digits) else text
    return "" if value is None else str(value)


def seconds_text(value) -> str:
    """A duration in seconds as "850 ms", "42 s", "3 min 5 s" or "2 h 10 min"."""
    return duration_words(value)


def yes_no(value) -> str:
    return "yes" if value else "no"


def words(value, *, nested: bool = False) -> str:
    """Any value as readable text: yes/no, numbers formatted, lists joined, mappings as `key: value` pairs
    (a mapping inside one in parentheses), ISO moments as dates: never `true`, a raw float or escaped JSON."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(words(v, nested=True) for v in value) or "none"
    if isinstance(value, dict):
        pairs = [f"{str(k).replace('_', ' ')}: {words(v, nested=True)}" for k, v in value.items()]
        if nested:
            return f"({', '.join(pairs)})" if pairs else "—"
        return "; ".join(pairs) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        return when(value, seconds=True)   # an ISO moment in a detail
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def details_text(detail: dict | None, *, limit: int = 400) -> str:
    """An audit record's or alert's detail as "key: value" text, one pair after another, cut at `limit`."""
    if not detail:
        return ""
    text = words(detail)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card(label: str, value, testid: str, note: str = "", *, tone: str = "neutral", href: str | None = None,
         drill: str = "") -> pn.pane.HTML:
    """A figure with its label: the Overview's building block. With `href` the figure is a link to the page
    that lists what it counts, and `drill` (e.g. "See the 3 failing checks") says where it leads."""
    colors = {"neutral": "var(--aios-accent, #0b6e99)", "good": "var(--aios-good, #1a7f37)", "bad": "var(--aios-bad, #b42318)",
              "warn": "var(--aios-warn, #9a6700)"}
    figure = esc(value)
    if href:
        figure = (f'<a href="{esc(href)}" data-testid="{esc(testid)}-link" title="{esc(drill or label)}" '
                  f'style="color:inherit;text-decoration:underline dotted">{figure}</a>')
    more = (f'<div style="font-size:.85em;margin-top:.2em"><a href="{esc(href)}" data-testid="{esc(testid)}-drill">'
            f"{esc(drill)} &rarr;</a></div>") if href and drill else ""
    return pn.pane.HTML(
        f'<div data-testid="{esc(testid)}" style="padding:.2em .4em">'
        f'<div style="font-size:.85em;color:var(--aios-muted, #52606d)">{esc(label)}</div>'
        f'<div data-testid="{esc(testid)}-value" style="font-size:1.9em;font-weight:600;color:{colors[tone]}">'
        f'{figure}</div><div style="font-size:.8em;color:var(--aios-muted, #52606d)">{esc(note)}</div>{more}</div>',
        width=290)


def table(rows: list[dict], *, columns: list[str] | None = None, page_size: int = PAGE_SIZE, name: str = "",
          **kwargs) -> pn.widgets.Tabulator:
    """A read-only, paged table of `rows` (only the visible page travels to the browser)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns) if columns else pd.DataFrame(rows)
    return pn.widgets.Tabulator(frame, disabled=True, show_index=False, pagination="remote", page_size=page_size,
                                sizing_mode="stretch_width", name=name, layout="fit_data_table", **kwargs)


def problem(exc: Exception) -> pn.pane.Alert:
    """A workbench error as the user should read it: what happened and what to do."""
    if isinstance(exc, WorkbenchError):
        text = f"**{exc.message}**" + (f"\n\nFix: {exc.fix}" if exc.fix else "")
        kind = "warning" if exc.code in ("permission_denied", "not_found", "bad_input") else "danger"
    else:
        error_id = incidents.report(exc, where="dashboard")   # the traceback goes to the log under this id
        text, kind = f"**{incidents.internal_message(error_id)}**", "danger"
    return pn.pane.Alert(text, alert_type=kind, sizing_mode="stretch_width")


def guarded(render):
    """Render a panel, or the error it raised as an alert box (one failing part never blanks a page)."""
    @functools.wraps(render)
    def wrapper(*args, **kwargs):
        try:
            return render(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged when unexpected
            return problem(exc)
    return wrapper


def settled(*widgets, timeout: float = 2.0) -> bool:
    """Wait until the browser's latest edits to `widgets` are applied, before a click handler reads them;
    False when one is still pending after `timeout` seconds (the handler then asks for the click again
    rather than act on the old value).

    Panel applies a widget's change 50 ms after it arrives, and with a thread pool (the dashboard has one) on
    a pool thread, while a button's click runs at once on another: a Run clicked right after ticking a box
    read the box's old value (a flaky CI run on 2026-12-07 found it). The click's message always comes after
    the edit's, so the edit is pending or applied by now: wait while it is pending (Panel's pending changes
    of the document, and each widget's queue of changes not yet applied)."""
    doc = pn.state.curdoc
    if doc is None:   # not in a served session: nothing arrives from a browser
        return True

    def pending() -> bool:
        return bool(pn.state._change_callbacks.get(doc) or any(getattr(w, "_events", None) for w in widgets))

    deadline = time.monotonic() + timeout
    while pending():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    time.sleep(0.01)   # a pool thread took the last edit off the queue: let it set the value (microseconds)
    return True


STILL_ARRIVING = "Your last change was still on its way to the server: nothing was done. Click again."


def heading(text: str, testid: str) -> pn.pane.HTML:
    """A page's title: its one <h1> (at the size the pages' titles always had)."""
    return pn.pane.HTML(f'<h1 data-testid="{esc(testid)}" style="margin:.2em 0;font-size:1.5em">{esc(text)}</h1>',
                        sizing_mode="stretch_width")


class StateFeed(param.Parameterized):
    """A page that is a feed of items in one state at a time (Alerts, Actions): its title, a switch of states
    and the items `_fill` puts into a holder, which an item's button refills in place after acting."""

    page_title = ""
    page_testid = ""
    state: param.Selector[str] = param.Selector(default="all", objects=["all"])

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data

    def _fill(self, holder: pn.Column) -> None:
        raise NotImplementedError

    @param.depends("state")
    @guarded
    def _feed(self):
        holder = pn.Column(sizing_mode="stretch_width")
        self._fill(holder)
        return holder

    def __panel__(self):
        state = pn.widgets.RadioButtonGroup.from_param(self.param.state, button_type="light")
        return pn.Column(heading(self.page_title, self.page_testid), state, self._feed, sizing_mode="stretch_width")
