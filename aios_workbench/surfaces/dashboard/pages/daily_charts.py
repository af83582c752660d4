"""The Overview's small daily charts: a date axis people read ("23 Nov"), and days without data drawn as
gaps, never as a drop to zero.

A day is None when nothing happened that could be measured (no check ran, no job run finished): a rate
has no value then, so its line breaks, the day is shaded and its hover says "no runs". A count that is
really zero (no alert raised that day) is zero. Plain Bokeh, as in `plots.py`, for the page's first render.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aios_workbench.surfaces.dashboard.pages.common import day as day_text

DAY_MS = 24 * 3600 * 1000
NO_DATA = "#eef1f4"   # the shade behind a day without data
BAR = "#0b6e99"
FAILED = "#b42318"


def _midnight(day: str) -> datetime:
    return datetime.fromisoformat(day[:10])


def _figure(title: str, days: list[str], *, y_end: float | None = None, height: int = 110):
    """A small figure over `days` with a date axis: three or four labels ("23 Nov"), a y axis from zero (whole
    numbers unless `y_end` sets a scale)."""
    from bokeh.models import BasicTicker, DataRange1d, DatetimeTickFormatter, FixedTicker, Range1d
    from bokeh.models.annotations.labels import Title
    from bokeh.plotting import figure

    start, end = _midnight(days[0]), _midnight(days[-1]) + timedelta(days=1)
    plot = figure(x_axis_type="datetime", x_range=Range1d(start=start, end=end), height=height, width=300,
                  y_range=Range1d(start=0, end=y_end) if y_end is not None else DataRange1d(start=0),
                  toolbar_location=None, tools="",
                  title=Title(text=title, text_font_size="8pt", text_font_style="normal"))
    step = max(1, len(days) // 3)
    ticks = [(_midnight(d) + timedelta(hours=12)).timestamp() * 1000 for d in days[::step]]
    plot.xaxis.ticker = FixedTicker(ticks=ticks)
    plot.xaxis.formatter = DatetimeTickFormatter(days="%d %b", months="%d %b", hours="%d %b")
    plot.xaxis.major_label_text_font_size = "7pt"
    plot.xaxis.minor_tick_line_color = None
    plot.yaxis.minor_tick_line_color = None
    plot.yaxis.major_label_text_font_size = "7pt"
    if y_end is None:   # counts: no "0.2 runs"
        plot.yaxis.ticker = BasicTicker(desired_num_ticks=3, min_interval=1)
    plot.grid.visible = False
    plot.outline_line_color = None
    return plot


def _gaps(plot, days: list[str], missing: list[bool], top: float) -> None:
    """Shade the days without data (one glyph for all: a page's first render pays per model), so a gap reads as
    "no runs", not as zero."""
    from bokeh.models import ColumnDataSource

    starts = [_midnight(d) for d, gap in zip(days, missing, strict=True) if gap]
    if starts:
        source = ColumnDataSource({"left": starts, "right": [d + timedelta(days=1) for d in starts]})
        plot.quad(left="left", right="right", bottom=0, top=top, source=source, fill_color=NO_DATA,
                  line_color=None, level="underlay")


def rate_chart(title: str, days: list[str], rates: list[float | None], runs: list[int]):
    """A daily rate (0-1) as a line with dots, broken on days without runs (shaded, hover "no runs")."""
    from bokeh.models import ColumnDataSource, HoverTool

    values = [float("nan") if r is None else 100 * r for r in rates]
    shown = ["no runs" if r is None else f"{100 * r:.0f}% of {n} run{'s' if n != 1 else ''}"
             for r, n in zip(rates, runs, strict=True)]
    source = ColumnDataSource({"x": [_midnight(d) + timedelta(hours=12) for d in days], "y": values,
                               "day": [day_text(d) for d in days], "shown": shown})
    plot = _figure(title, days, y_end=105)
    _gaps(plot, days, [r is None for r in rates], 105)
    plot.line("x", "y", source=source, color=BAR, line_width=2)
    dots = plot.scatter("x", "y", source=source, color=BAR, size=5)
    plot.add_tools(HoverTool(renderers=[dots], tooltips=[("day", "@day"), ("", "@shown")]))
    plot.yaxis.ticker = [0, 50, 100]
    plot.yaxis.major_label_overrides = {0: "0%", 50: "50%", 100: "100%"}
    return plot


def runs_chart(title: str, days: list[str], finished: list[int], failed: list[int]):
    """Finished runs per day as bars, their failed part in red; a day without runs is shaded ("no runs")."""
    from bokeh.models import ColumnDataSource, HoverTool

    nan = float("nan")   # a day without runs draws nothing (a zero-high bar would read as "0 runs")
    ok: list[float] = [f - x if f else nan for f, x in zip(finished, failed, strict=True)]
    bad: list[float] = [x if f else nan for f, x in zip(finished, failed, strict=True)]
    shown = ["no runs" if f == 0 else f"{f} run{'s' if f != 1 else ''}, {x} failed"
             for f, x in zip(finished, failed, strict=True)]
    source = ColumnDataSource({"x": [_midnight(d) + timedelta(hours=12) for d in days], "ok": ok, "failed": bad,
                               "day": [day_text(d) for d in days], "shown": shown})
    plot = _figure(title, days)
    _gaps(plot, days, [f == 0 for f in finished], max([*finished, 1]))
    bars = plot.vbar_stack(["failed", "ok"], x="x", width=0.8 * DAY_MS, color=[FAILED, BAR], source=source)
    plot.add_tools(HoverTool(renderers=bars, tooltips=[("day", "@day"), ("", "@shown")]))
    return plot


def count_chart(title: str, days: list[str], counts: list[int], *, noun: str):
    """A count per day as bars (a zero is a zero: every day was observed)."""
    from bokeh.models import ColumnDataSource, HoverTool

    source = ColumnDataSource({"x": [_midnight(d) + timedelta(hours=12) for d in days], "y": counts,
                               "day": [day_text(d) for d in days],
                               "shown": [f"{n} {noun}{'s' if n != 1 else ''}" for n in counts]})
    plot = _figure(title, days)
    bars = plot.vbar(x="x", top="y", width=0.8 * DAY_MS, source=source, color=BAR)
    plot.add_tools(HoverTool(renderers=[bars], tooltips=[("day", "@day"), ("", "@shown")]))
    return plot
