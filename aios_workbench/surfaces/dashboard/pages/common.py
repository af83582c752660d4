"""Small building blocks shared by the pages: figure cards, tables, error boxes, a guarded render."""

from __future__ import annotations

import functools
import html
import logging

import panel as pn

from aios_workbench.core import incidents
from aios_workbench.core.errors import WorkbenchError

log = logging.getLogger(__name__)
PAGE_SIZE = 15


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def card(label: str, value, testid: str, note: str = "", *, tone: str = "neutral") -> pn.pane.HTML:
    """A figure with its label: the Overview's building block."""
    colors = {"neutral": "#0b6e99", "good": "#1a7f37", "bad": "#b42318", "warn": "#9a6700"}
    return pn.pane.HTML(
        f'<div data-testid="{esc(testid)}" style="padding:.2em .4em">'
        f'<div style="font-size:.85em;color:#52606d">{esc(label)}</div>'
        f'<div data-testid="{esc(testid)}-value" style="font-size:1.9em;font-weight:600;color:{colors[tone]}">'
        f'{esc(value)}</div><div style="font-size:.8em;color:#52606d">{esc(note)}</div></div>',
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


def heading(text: str, testid: str) -> pn.pane.HTML:
    return pn.pane.HTML(f'<h2 data-testid="{esc(testid)}" style="margin:.2em 0">{esc(text)}</h2>',
                        sizing_mode="stretch_width")


def trend(title: str, days: list[str], values: list, *, unit: str = ""):
    """A small daily bar sparkline with a hover per day (a day without data shows no bar)."""
    from bokeh.models import ColumnDataSource, DataRange1d, FactorRange, HoverTool
    from bokeh.models.annotations.labels import Title
    from bokeh.plotting import figure

    labels = [d[5:] for d in days]
    source = ColumnDataSource({"day": days, "label": labels,
                               "value": [0 if v is None else v for v in values],
                               "shown": ["no data" if v is None else f"{v}{unit}" for v in values]})
    plot = figure(x_range=FactorRange(factors=labels), y_range=DataRange1d(start=0), height=90, width=300,
                  toolbar_location=None, tools="", title=Title(text=title, text_font_size="8pt",
                                                               text_font_style="normal"))
    plot.vbar(x="label", top="value", width=0.8, source=source, color="#0b6e99")
    plot.add_tools(HoverTool(tooltips=[("day", "@day"), ("", "@shown")]))
    plot.xaxis.visible = False
    plot.yaxis.minor_tick_line_color = None
    plot.yaxis.major_label_text_font_size = "7pt"
    plot.grid.visible = False
    plot.outline_line_color = None
    return pn.pane.Bokeh(plot)
