"""Plain Bokeh figures for the pages: a dot per event on a time axis, one row per category.

Bokeh directly rather than hvPlot: these plots are simple, and building them without the
HoloViews layer halves their cost per page (measured with bench/bench_dashboard.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MIN_SPAN = timedelta(hours=1)   # a time axis never spans less: seconds-apart events read as "999000us" otherwise

STATUS_COLORS = {"pass": "#1a7f37", "warn": "#d4a72c", "fail": "#b42318", "error": "#6e7781",
                 "succeeded": "#1a7f37", "failed": "#b42318", "timed_out": "#b42318", "cancelled": "#6e7781",
                 "running": "#0b6e99", "queued": "#9aa5b1"}


HOVER_TIME = "%a %d %b %Y, %H:%M:%S UTC"   # the pages' moments (`common.when`), to the second


def _when(text: str) -> datetime:
    """An ISO moment as a naive UTC datetime (Bokeh draws naive times as given; the pages speak UTC)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=None) if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _time_axis(plot, moments: list[datetime]) -> None:
    """Readable time ticks: at least MIN_SPAN shown around the events, labels down to seconds."""
    from bokeh.models import DatetimeTickFormatter, Range1d

    if moments and max(moments) - min(moments) < MIN_SPAN:
        middle = min(moments) + (max(moments) - min(moments)) / 2
        plot.x_range = Range1d(start=middle - MIN_SPAN / 2, end=middle + MIN_SPAN / 2)
    plot.xaxis.formatter = DatetimeTickFormatter(seconds="%H:%M:%S", minsec="%H:%M:%S", minutes="%H:%M",
                                                 hourmin="%H:%M", hours="%H:%M", days="%a %d %b",
                                                 months="%b %Y", years="%Y")


def events_plot(points: list[dict], *, row: str, at: str = "at", color: str | None = None, size: int = 9,
                hover: tuple[str, ...] = (), marker: str = "circle", y_label: str = ""):
    """One dot per point: `at` across (ISO time), `row` down (categories), coloured by `color`'s status."""
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool
    from bokeh.plotting import figure

    rows = sorted({str(p[row]) for p in points})
    moments = [_when(p[at]) for p in points]
    data: dict[str, list] = {"x": moments, "y": [str(p[row]) for p in points],
            "color": [STATUS_COLORS.get(str(p.get(color)), "#0b6e99") if color else "#0b6e99" for p in points]}
    for key in hover:
        data[key] = [str(p.get(key, "")) for p in points]
    plot = figure(y_range=FactorRange(factors=rows), x_axis_type="datetime", height=max(150, 34 * len(rows) + 80),
                  sizing_mode="stretch_width", tools="pan,xwheel_zoom,reset,save", toolbar_location="right")
    dots = plot.scatter("x", "y", source=ColumnDataSource(data), size=size, color="color", marker=marker)
    plot.add_tools(HoverTool(renderers=[dots], tooltips=[(k, f"@{{{k}}}") for k in (row, *hover)]
                             + [("when", f"@x{{{HOVER_TIME}}}")], formatters={"@x": "datetime"}))
    _time_axis(plot, moments)
    plot.yaxis.axis_label = y_label
    plot.outline_line_color = None
    return plot


def series_plot(points: list[dict], *, x: str, y: str, by: str, y_label: str = "", hover: tuple[str, ...] = ()):
    """Lines with markers of `y` over time `x`, one per value of `by`."""
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.models.annotations.legends import Legend
    from bokeh.models.renderers.glyph_renderer import GlyphRenderer
    from bokeh.palettes import Category10_10
    from bokeh.plotting import figure

    plot = figure(x_axis_type="datetime", height=260, sizing_mode="stretch_width",
                  tools="pan,xwheel_zoom,reset,save", toolbar_location="right")
    items: list[tuple[str, list[GlyphRenderer]]] = []
    for i, group in enumerate(sorted({str(p[by]) for p in points})):
        mine = sorted((p for p in points if str(p[by]) == group), key=lambda p: p[x])
        data = {"x": [_when(p[x]) for p in mine], "y": [p[y] for p in mine], by: [group] * len(mine)}
        for key in hover:
            data[key] = [str(p.get(key, "")) for p in mine]
        source, color = ColumnDataSource(data), Category10_10[i % 10]
        line = plot.line("x", "y", source=source, color=color, line_width=2)
        dots = plot.scatter("x", "y", source=source, color=color, size=7)
        items.append((group, [line, dots]))
        plot.add_tools(HoverTool(renderers=[dots], tooltips=[(by, f"@{{{by}}}"), (y, "@y")]
                                 + [(k, f"@{{{k}}}") for k in hover] + [("when", f"@x{{{HOVER_TIME}}}")],
                                 formatters={"@x": "datetime"}))
    plot.add_layout(Legend(items=items, location="top_left"), "right")
    _time_axis(plot, [_when(p[x]) for p in points])
    plot.yaxis.axis_label = y_label
    plot.outline_line_color = None
    return plot


def scatter_plot(points: list[dict], *, x: str, y: str, color: str, y_label: str = "", hover: tuple[str, ...] = ()):
    """One glyph for all points: `y` over time `x`, coloured by status (cheap with many groups)."""
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    moments = [_when(p[x]) for p in points]
    data: dict[str, list] = {"x": moments, "y": [p[y] for p in points],
            "color": [STATUS_COLORS.get(str(p.get(color)), "#0b6e99") for p in points]}
    for key in (color, *hover):
        data[key] = [str(p.get(key, "")) for p in points]
    plot = figure(x_axis_type="datetime", height=240, sizing_mode="stretch_width",
                  tools="pan,xwheel_zoom,reset,save", toolbar_location="right")
    dots = plot.scatter("x", "y", source=ColumnDataSource(data), color="color", size=7)
    plot.add_tools(HoverTool(renderers=[dots], tooltips=[(k, f"@{{{k}}}") for k in (*hover, color)]
                             + [(y, "@y"), ("when", f"@x{{{HOVER_TIME}}}")], formatters={"@x": "datetime"}))
    _time_axis(plot, moments)
    plot.yaxis.axis_label = y_label
    plot.outline_line_color = None
    return plot
