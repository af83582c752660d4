"""Data: catalog search, and a dataset's description, owners, classification, masked preview,
profile, lineage graph and CSV download, all as the logged-in user sees them."""

from __future__ import annotations

import io
from collections.abc import Callable

import panel as pn
import param

from aios_workbench.core.humanize import column_description
from aios_workbench.surfaces.dashboard.pages.common import esc, guarded, heading, number, problem, table
from aios_workbench.surfaces.dashboard.pages.lineage_plot import lineage_figure

MAX_HITS = 50
PREVIEW_ROWS = 50
LEFT_ALIGNED = ".bk-btn { text-align: left; white-space: normal; overflow-wrap: anywhere; }"


def _text(value) -> str:
    """A profile's figure as people read it: numbers formatted (never 6.315095), moments and text as they are."""
    return number(value) if isinstance(value, (int, float)) else "" if value is None else str(value)


described = column_description   # the schema's Description column (the source's own comment marked as such)


def displayable(arrow_table):
    """A pandas frame the browser can show: decimals as floats, anything exotic (nested, binary,
    intervals, UUIDs) as text; Bokeh's serializer refuses those objects."""
    import pyarrow as pa

    columns = {}
    for name, column in zip(arrow_table.column_names, arrow_table.columns, strict=False):
        kind = column.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
                  or pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_date(kind)
                  or pa.types.is_timestamp(kind)):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        columns[name] = column
    return pa.table(columns).to_pandas()


class DataPage(param.Parameterized):
    """Search the catalog; pick a dataset to see it through your own masks and row filters."""

    query = param.String(default="", doc="catalog search text")
    dataset = param.String(default="", doc="the dataset shown in detail")

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        self._cursors: list[str | None] = [None]   # cursor of each preview page shown so far

    # -- search ----------------------------------------------------------------------------------------
    @param.depends("query")
    @guarded
    def _hits(self):
        if self.query.strip():
            hits = self.data.search(self.query, limit=MAX_HITS)
            note = f"{len(hits)} match{'es' if len(hits) != 1 else ''} for “{esc(self.query)}”"
        else:
            hits = self.data.datasets()
            note = f"{len(hits)} datasets you can read" + (f" (first {MAX_HITS} shown)" if len(hits) > MAX_HITS
                                                            else "")
            hits = hits[:MAX_HITS]
        buttons = []
        for hit in hits:
            # no hover tooltip with the description: it would cover the detail's buttons
            button = pn.widgets.Button(name=hit["name"], button_type="light", sizing_mode="stretch_width",
                                       stylesheets=[LEFT_ALIGNED])
            button.on_click(self._chooser(hit["name"]))
            buttons.append(button)
        return pn.Column(pn.pane.HTML(f'<div data-testid="data-hit-count">{note}</div>'), *buttons,
                         sizing_mode="stretch_width", scroll=True, max_height=640)

    def _chooser(self, name: str) -> Callable[[object], None]:
        """A button's click handler that shows dataset `name`."""
        return lambda _event: self._choose(name)

    def _choose(self, name: str) -> None:
        self._cursors = [None]
        self.dataset = name

    # -- detail ----------------------------------------------------------------------------------------
    @param.depends("dataset")
    def _detail(self):
        if not self.dataset:
            return pn.pane.Markdown("Pick a dataset on the left to see its description, preview, profile and "
                                    "lineage.", sizing_mode="stretch_width")
        entry = next((d for d in self.data.datasets() if d["name"].lower() == self.dataset.lower()), None)
        if entry is None:  # unknown, or not readable: say nothing more about it
            return pn.pane.Alert(f"{esc(self.dataset)} is not among the datasets you may read.",
                                 alert_type="warning")
        try:
            info = self.data.explain(entry["name"])
        except Exception as exc:  # noqa: BLE001 - shown as an alert
            return problem(exc)
        name = info["dataset"]
        def later(render):   # built when its tab is first opened: a profile or a preview costs queries
            return pn.param.ParamFunction(lambda: render(name), lazy=True)

        tabs = pn.Tabs(("Schema", self._schema(info)), ("Preview", later(self._preview)),
                       ("Profile", later(self._profile)), ("Lineage", later(self._lineage)), dynamic=True,
                       sizing_mode="stretch_width")
        download = pn.widgets.FileDownload(callback=lambda: self._csv(name), filename=f"{name}.csv",
                                           label="Download CSV (as you see it)", button_type="primary",
                                           embed=False, width=260)
        owners = ", ".join(entry["owners"]) or "none named"
        tags = ", ".join(entry["tags"]) or "none"
        rows = (f"{entry['row_count']:,}" if entry["row_count"] is not None
                else f"only those where {info['row_filter']['predicate']}" if info.get("row_filter") else "not counted")
        header = pn.pane.HTML(
            f'<h2 data-testid="dataset-title" style="font-size:1.17em;margin:0">{esc(name)}</h2>'
            f'<p data-testid="dataset-description">{esc(entry["description"]) or "<i>no description</i>"}</p>'
            f'<p><b>Owners:</b> <span data-testid="dataset-owners">{esc(owners)}</span> · <b>Tags:</b> {esc(tags)}'
            f' · <b>Rows:</b> {esc(rows)}</p><p><b>Your access:</b> {esc(info["rule"])}. {esc(info["summary"])}'
            + (f'<br><b>Row filter:</b> <span data-testid="dataset-row-filter">'
               f'{esc(info["row_filter"]["predicate"])}</span>' if info.get("row_filter") else "") + "</p>",
            sizing_mode="stretch_width")
        return pn.Column(header, download, tabs, sizing_mode="stretch_width")

    @staticmethod
    def _schema(info: dict):
        rows = [{"column": c["name"], "type": c["type"], "description": described(c),
                 "classification": ", ".join(c["classifications"]),
                 "what you see": f"masked: {c['shows']} (the rule ‘{c['rule']}’)" if c["mask"] else "raw value"}
                for c in info["columns"]]
        return table(rows, page_size=25, name="schema")

    @guarded
    def _preview(self, name: str):
        page = self.data.preview(name, limit=PREVIEW_ROWS, after=self._cursors[-1])
        frame = displayable(page.table)
        view = pn.widgets.Tabulator(frame, disabled=True, show_index=False, pagination="local",
                                    page_size=PREVIEW_ROWS, sizing_mode="stretch_width", height=480,
                                    layout="fit_data_table")
        shown = len(self._cursors)
        count = f" of {page.row_count:,}" if page.row_count is not None else ""
        note = pn.pane.HTML(f'<span data-testid="preview-page">page {shown} · {page.table.num_rows} rows{count} · '
                            f"{esc(page.applied)}</span>")
        more = pn.widgets.Button(name="Next page", disabled=page.next_cursor is None, width=110)
        back = pn.widgets.Button(name="Previous page", disabled=shown == 1, width=130)
        holder = pn.Column(sizing_mode="stretch_width")

        def move(forward: bool) -> None:
            if forward:
                self._cursors.append(page.next_cursor)
            else:
                self._cursors.pop()
            holder[:] = [self._preview(name)]

        more.on_click(lambda _e: move(True))
        back.on_click(lambda _e: move(False))
        holder[:] = [pn.Column(pn.Row(back, more, note), view, sizing_mode="stretch_width")]
        return holder

    @guarded
    def _profile(self, name: str):
        result = self.data.profile(name)
        rows = []
        for c in result["columns"]:
            if c["masked"]:
                rows.append({"column": c["name"], "type": "", "masked": f"yes ({c['mask']})", "nulls": "",
                             "distinct": "", "min": "", "max": "", "mean": ""})
                continue
            mean = c.get("mean")
            rows.append({"column": c["name"], "type": c.get("type"), "masked": "no", "nulls": _text(c.get("nulls")),
                         "distinct": _text(c.get("distinct")), "min": _text(c.get("min")), "max": _text(c.get("max")),
                         "mean": _text(mean)})
        approx = " (approximate)" if result["approximate"] else ""
        return pn.Column(pn.pane.Markdown(f"**{result['rows_label']}**{approx}; masked columns "
                                          "show nothing derived from their values."),
                         table(rows, page_size=30, name="profile"), sizing_mode="stretch_width")

    @guarded
    def _lineage(self, name: str):
        result = self.data.lineage(name)
        plot = lineage_figure(result)
        reads = result["downstream"]["counts"].get("reads", 0)
        summary = pn.pane.Markdown(f"Read {reads} times through the governed path; written by "
                                   f"{result['upstream']['counts'].get('writes', 0)} recorded job runs. "
                                   "Datasets you may not read appear as “(restricted)”.")
        return pn.Column(summary, pn.pane.Bokeh(plot, sizing_mode="stretch_width") if plot else
                         pn.pane.Markdown("No lineage recorded yet."), sizing_mode="stretch_width")

    def _csv(self, name: str):
        content, truncated = self.data.csv(name)
        if truncated:
            pn.state.notifications and pn.state.notifications.warning(
                "The download was cut at 100,000 rows; query the rest in a notebook.")
        return io.BytesIO(content)

    def __panel__(self):
        search = pn.widgets.TextInput.from_param(self.param.query, name="Search the catalog",
                                                 placeholder="name, column, description, tag…",
                                                 sizing_mode="stretch_width")
        left = pn.Column(search, self._hits, width=340)
        return pn.Column(heading("Data", "page-data"),
                         pn.Row(left, pn.Column(self._detail, sizing_mode="stretch_width"),
                                sizing_mode="stretch_width"), sizing_mode="stretch_width")
