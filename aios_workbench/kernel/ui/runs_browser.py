"""`wb.runs()`: tracked runs of a notebook or experiment as a sortable, filterable table (ipywidgets).

The table shows one page of runs from `GET runs` (paged in MLflow, so 10,000 runs cost what
50 do); clicking a column header orders by it, the filter box takes MLflow's search syntax,
and checked runs (kept across pages) are compared through `GET runs/compare`: the parameters
that differ, and small inline SVG plots of the chosen metrics' histories (only of metrics logged
at more than one step). A line above the table says whose runs it shows and how many exist
elsewhere ("wb.runs(all=True)"), so an empty notebook never reads as "no runs at all". Every
value from the service is HTML-escaped; colours are JupyterLab's theme variables (light and dark).
ipywidgets is imported when a browser is made.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aios_workbench.core.humanize import duration_words, moment_words
from aios_workbench.kernel.ui import render
from aios_workbench.kernel.ui.catalog_browser import SERVICE_ERRORS
from aios_workbench.kernel.ui.run_plots import params_diff_table, plots, run_label

if TYPE_CHECKING:  # ipywidgets is imported when a browser is built (it pulls in the widget machinery)
    import ipywidgets

PAGE_SIZE = 25
MAX_METRIC_COLUMNS = 5
MAX_PARAM_COLUMNS = 5
PLOTTED_BY_DEFAULT = 4
SCOPE_SAMPLE = 100   # runs read (one page) to say how many exist beyond the notebook's
RUNS_STYLE = """<style>
.aios-cb .aios-runs-scope{background:var(--jp-layout-color2,#f5f5f5);color:var(--jp-ui-font-color1,#212121);
 border-left:3px solid var(--jp-brand-color1,#1976d2);padding:4px 8px;margin:4px 0}
.aios-cb .aios-runs-scope code{color:inherit;background:var(--jp-layout-color3,#e0e0e0);padding:0 3px}
.aios-cb .aios-lineplot .aios-plot-frame{fill:var(--jp-layout-color1,#fafafa);stroke:var(--jp-border-color2,#ddd)}
</style>"""
FIXED_COLUMNS = (("Run", "attributes.run_name"), ("Status", "attributes.status"),
                 ("Started", "attributes.start_time"), ("Duration", None), ("User", None), ("Notebook", None),
                 ("Checks", None), ("Datasets", None))
# The first click on a column orders it this way; the next click flips it.
FIRST_DIRECTION = {"attributes.start_time": "DESC"}


def duration_text(summary: dict) -> str:
    """How long a run took: "< 1 s", "42 s", "3 min 5 s", "2 h 10 min"; "running" while it runs."""
    if summary.get("status") == "RUNNING":
        return "running"
    try:
        seconds = (datetime.fromisoformat(summary["end_time"])
                   - datetime.fromisoformat(summary["start_time"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return "—"
    if seconds < 1:   # the service's times are whole seconds
        return "< 1 s"
    return duration_words(seconds)


def scope_sentence(notebook: str | None, experiment: str | None, shown: int, shown_more: bool,
                   everywhere: int | None, everywhere_more: bool) -> str:
    """Whose runs the table shows, and how many exist beyond them: "Runs of notebooks/03_train.ipynb: 3 of
    the 12 runs you may see. wb.runs(all=True) shows them all." (`everywhere` None: not counted)."""
    def count(n: int, more: bool) -> str:
        return f"{n}+" if more else str(n)

    if notebook is None and experiment is None:
        if shown == 0:
            return "No run was tracked yet (none you may see). Track one with `with wb.run(\"name\"):`."
        return f"Every run you may see: {count(shown, shown_more)}."
    what = f"notebook {notebook}" if notebook else f"experiment {experiment}"
    if everywhere is None or (not everywhere_more and everywhere <= shown and not shown_more):
        if shown == 0:
            return f"No run of {what} yet, and none elsewhere you may see. Track one with `with wb.run(\"name\"):`."
        return f"Runs of {what}: {count(shown, shown_more)}."
    total = count(everywhere, everywhere_more)
    if shown == 0:
        return f"No run of {what} yet; {total} runs of other notebooks exist. `wb.runs(all=True)` shows them."
    return (f"Runs of {what}: {count(shown, shown_more)} of the {total} runs you may see. "
            "`wb.runs(all=True)` shows them all.")


def checks_cell(checks: dict | None) -> str:
    checks = checks or {}
    if checks.get("status") in (None, "none"):
        return '<span class="aios-muted">—</span>'
    names = ", ".join(f"{i['name']}: {i['status']}" for i in checks.get("items") or [])
    kind = "mask" if checks.get("failed") else "class"
    return render.badge(f"✓ {checks.get('passed', 0)} ✗ {checks.get('failed', 0)}", kind, title=names)


def datasets_cell(datasets: list[dict] | None) -> str:
    if not datasets:
        return '<span class="aios-muted">—</span>'
    return " ".join(render.badge(d.get("name") or "?", title=f"digest {d.get('digest')}") for d in datasets)


class RunsBrowser:
    """Runs of one notebook (or experiment, or all) as the workbench service reports them."""

    def __init__(self, client, *, notebook: str | None = None, experiment: str | None = None,
                 page_size: int = PAGE_SIZE):
        import ipywidgets as w

        self._w = w
        self.client = client
        self.notebook = notebook
        self.experiment = experiment
        self.page_size = page_size
        self.order_by = "attributes.start_time DESC"
        self.page: dict | None = None
        self.comparison_result: dict | None = None
        self.selected: dict[str, str] = {}          # run id -> label, kept across pages
        self.checkboxes: dict[str, ipywidgets.Checkbox] = {}     # run id -> its checkbox on this page
        self.sort_buttons: dict[str, object] = {}   # order key -> its header button on this page
        self._tokens: list[str | None] = [None]
        self._quiet = False

        self.filter = w.Text(placeholder="MLflow filter, e.g. metrics.rmse < 1 and params.alpha = '0.1'",
                             continuous_update=False, layout=w.Layout(width="60%"))
        self.reload_button = w.Button(description="Reload", icon="refresh", layout=w.Layout(width="auto"))
        self.scope = w.HTML()
        self.message = w.HTML()
        self.status = w.HTML()
        self.table = w.GridBox(layout=w.Layout(grid_gap="0 8px", overflow="auto"))
        self.previous_page = w.Button(description="‹ Previous page", disabled=True)
        self.next_page = w.Button(description="Next page ›", disabled=True)
        self.selection = w.HTML()
        self.compare_button = w.Button(description="Compare", icon="columns", disabled=True)
        self.clear_button = w.Button(description="Clear selection", disabled=True)
        self.metric_choice = w.SelectMultiple(options=[], rows=5, description="Plot")
        self.comparison = w.HTML()
        self.plots = w.HTML()
        self.widget = w.VBox([
            w.HTML(render.STYLE + RUNS_STYLE), self.scope, w.HBox([self.filter, self.reload_button]), self.message,
            self.status, self.table,
            w.HBox([self.previous_page, self.next_page]),
            w.HBox([self.compare_button, self.clear_button, self.selection]),
            self.comparison, self.metric_choice, self.plots])

        self.filter.observe(lambda _: self.reload(), names="value")
        self.reload_button.on_click(lambda _: self.reload(recount=True))
        self.next_page.on_click(lambda _: self._next())
        self.previous_page.on_click(lambda _: self._previous())
        self.compare_button.on_click(lambda _: self.compare())
        self.clear_button.on_click(lambda _: self._clear_selection())
        self.metric_choice.observe(lambda _: self._replot(), names="value")
        self.reload()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- the table -------------------------------------------------------------------------------
    def reload(self, *, recount: bool = False) -> None:
        """Back to the first page with the current filter and order (`recount`: also count the runs again
        for the line above the table, as at first and on Reload)."""
        self._tokens = [None]
        self._load()
        if recount or not self.scope.value:
            self._say_scope()

    def _count(self, **query: str) -> tuple[int, bool]:
        """How many runs a query finds, up to SCOPE_SAMPLE (and whether there are more)."""
        sample = self.client.get("runs?" + urlencode({"limit": SCOPE_SAMPLE, **query}))
        return len(sample.get("runs") or []), bool(sample.get("next_page_token"))

    def _say_scope(self) -> None:
        """The line above the table: whose runs these are, and how many the reader may see elsewhere (counted
        without the filter box, so it says what exists, not what matches)."""
        scope = {k: v for k, v in (("notebook", self.notebook), ("experiment", self.experiment)) if v}
        try:   # one page each, as fast as the table's own
            shown, shown_more = self._count(**scope)
            everywhere, everywhere_more = self._count() if scope else (None, False)
        except SERVICE_ERRORS:   # the table's own message says what failed
            self.scope.value = ""
            return
        sentence = scope_sentence(self.notebook, self.experiment, shown, shown_more, everywhere, everywhere_more)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", render.esc(sentence))
        self.scope.value = render.box(f'<p class="aios-runs-scope" role="note" data-testid="aios-runs-scope">'
                                      f"{text}</p>")

    def sort_by(self, key: str, direction: str | None = None) -> None:
        """Order by `key` (e.g. "metrics.`rmse`"); without `direction`, a repeated key flips it."""
        current, _, current_dir = self.order_by.rpartition(" ")
        if direction is None:
            direction = ("ASC" if current_dir == "DESC" else "DESC") if current == key \
                else FIRST_DIRECTION.get(key, "ASC")
        self.order_by = f"{key} {direction}"
        self.reload()

    def _load(self) -> None:
        query = {"limit": self.page_size, "order_by": self.order_by}
        for name, value in (("notebook", self.notebook), ("experiment", self.experiment),
                            ("filter", self.filter.value.strip()), ("page_token", self._tokens[-1])):
            if value:
                query[name] = value
        self.next_page.disabled = self.previous_page.disabled = True
        try:
            self.page = self.client.get("runs?" + urlencode(query))
        except SERVICE_ERRORS as exc:  # shown where the table would be: the view never goes blank
            self.page = None
            self.message.value = render.error("Cannot load the runs", exc)
            self.previous_page.disabled = len(self._tokens) <= 1
            return
        self.message.value = ""
        self._render_table()
        self.previous_page.disabled = len(self._tokens) <= 1
        self.next_page.disabled = not self.page.get("next_page_token")

    def _next(self) -> None:
        token = (self.page or {}).get("next_page_token")
        if token:
            self._tokens.append(token)
            self._load()

    def _previous(self) -> None:
        if len(self._tokens) > 1:
            self._tokens.pop()
            self._load()

    def columns(self, runs: list[dict]) -> list[tuple[str, str | None, str]]:
        """(title, order key, kind) of this page's columns: fixed ones, then the first metrics and params."""
        fixed = [(t, k, t.lower()) for t, k in FIXED_COLUMNS if not (t == "Notebook" and self.notebook)]
        metrics = sorted({m for r in runs for m in r.get("metrics") or {}})[:MAX_METRIC_COLUMNS]
        params = sorted({p for r in runs for p in r.get("params") or {}})[:MAX_PARAM_COLUMNS]
        return (fixed + [(m, f"metrics.`{m}`", "metric") for m in metrics]
                + [(p, f"params.`{p}`", "param") for p in params])

    def _cell(self, run: dict, title: str, kind: str) -> str:
        if kind == "metric":
            value = (run.get("metrics") or {}).get(title)
            return render.esc(render.short(value)) if value is not None else '<span class="aios-null">∅</span>'
        if kind == "param":
            value = (run.get("params") or {}).get(title)
            return render.esc(render.short(value)) if value is not None else '<span class="aios-null">∅</span>'
        if kind == "checks":
            return checks_cell(run.get("checks"))
        if kind == "datasets":
            return datasets_cell(run.get("datasets"))
        if kind == "started":
            return render.esc(moment_words(run.get("start_time")))
        if kind == "duration":
            return render.esc(duration_text(run))
        field = {"run": "name"}.get(kind, kind)
        value = run_label(run) if kind == "run" else run.get(field)
        text = render.esc(render.short(value, 32))
        return f'<span title="{render.esc(run.get("id"))}">{text}</span>' if kind == "run" else text

    def _render_table(self) -> None:
        w = self._w
        runs = (self.page or {}).get("runs") or []
        columns = self.columns(runs)
        order_key, _, direction = self.order_by.rpartition(" ")
        arrow = {"ASC": " ▲", "DESC": " ▼"}.get(direction, "")
        header: list = [w.HTML("")]
        self.sort_buttons = {}
        for title, key, _kind in columns:
            if key is None:
                header.append(w.HTML(f"<b>{render.esc(title)}</b>"))
                continue
            button = w.Button(description=title + (arrow if key == order_key else ""), tooltip=f"order by {key}",
                              layout=w.Layout(width="auto"))
            button.on_click(lambda _, k=key: self.sort_by(k))
            self.sort_buttons[key] = button
            header.append(button)
        cells: list = []
        self.checkboxes = {}
        for run in runs:
            box = w.Checkbox(value=run["id"] in self.selected, indent=False, layout=w.Layout(width="28px"))
            box.observe(lambda change, r=run: self._on_check(r, change["new"]), names="value")
            self.checkboxes[run["id"]] = box
            cells.append(box)
            cells.extend(w.HTML(render.box(self._cell(run, title, kind))) for title, _, kind in columns)
        self.table.layout.grid_template_columns = f"28px repeat({len(columns)}, auto)"
        self.table.children = header + cells
        first = (len(self._tokens) - 1) * self.page_size
        if runs:
            self.status.value = render.box(f'<span class="aios-muted">Runs {first + 1:,}–{first + len(runs):,}'
                                           f" · ordered by {render.esc(self.order_by)}</span>")
        elif len(self._tokens) == 1:
            # The scope line above says whether runs exist elsewhere: never "no runs" when they do.
            self.status.value = render.note("No run matches the filter.") if self.filter.value.strip() else ""
        else:
            self.status.value = render.note("No more runs.")
        self._show_selection()

    # -- selection and comparison ----------------------------------------------------------------
    def _on_check(self, run: dict, checked: bool) -> None:
        if self._quiet:
            return
        if checked:
            self.selected[run["id"]] = run_label(run)
        else:
            self.selected.pop(run["id"], None)
        self._show_selection()

    def _clear_selection(self) -> None:
        self.selected.clear()
        self._quiet = True
        try:
            for box in self.checkboxes.values():
                box.value = False
        finally:
            self._quiet = False
        self._show_selection()

    def _show_selection(self) -> None:
        n = len(self.selected)
        self.compare_button.disabled = n < 2
        self.clear_button.disabled = n == 0
        names = ", ".join(self.selected.values())
        self.selection.value = render.box(f'<span class="aios-muted">{n} selected{": " if n else ""}'
                                          f"{render.esc(render.short(names, 80)) if n else ''}</span>")

    def compare(self, metrics: list[str] | None = None) -> None:
        """Diff the selected runs' parameters and plot their metric histories."""
        if len(self.selected) < 2:
            self.comparison.value = render.note("Select two or more runs to compare.")
            return
        query = {"ids": ",".join(self.selected)}
        if metrics:
            query["metrics"] = ",".join(metrics)
        self.comparison.value = render.box('<span class="aios-muted">Comparing…</span>')
        try:
            result = self.client.get("runs/compare?" + urlencode(query))
        except SERVICE_ERRORS as exc:  # shown where the comparison would be
            self.comparison.value = render.error("Cannot compare the runs", exc)
            self.plots.value = ""
            return
        self.comparison_result = result
        self.comparison.value = params_diff_table(result)
        plotted = [m for m in result.get("histories") or {}]
        chosen = metrics or plotted[:PLOTTED_BY_DEFAULT]
        self._quiet = True
        try:
            self.metric_choice.options = result.get("metrics") or []
            self.metric_choice.value = tuple(m for m in chosen if m in self.metric_choice.options)
        finally:
            self._quiet = False
        self.plots.value = plots(result, list(self.metric_choice.value))

    def _replot(self) -> None:
        if self._quiet or self.comparison_result is None:
            return
        chosen = list(self.metric_choice.value)
        if all(m in (self.comparison_result.get("histories") or {}) for m in chosen):
            self.plots.value = plots(self.comparison_result, chosen)
        else:  # a metric beyond those fetched with the comparison
            self.compare(chosen)


def _this_notebook() -> str | None:
    """The running notebook's path relative to its workspace (as runs are tagged), when it can be told."""
    try:
        # lazy: provenance and workspace.locate (pydantic, PyYAML) only to find this notebook
        from aios_workbench.kernel.provenance import notebook_path
        from aios_workbench.workspace.locate import locate_workspace  # lazy: as above

        root = locate_workspace()
        path = notebook_path(root)
        return path.resolve().relative_to(root).as_posix() if path else None
    except Exception:  # noqa: BLE001 - best effort: without it the browser shows every run
        return None


def runs(client=None, notebook: str | None = None, *, experiment: str | None = None,
         all: bool = False) -> RunsBrowser:
    """A runs browser for `client` (default: the service `wb.connect()` found).

    By default it shows the runs of the running notebook (and says how many exist elsewhere);
    `experiment=` shows one experiment; `all=True` (or `notebook=""`) shows every run you may see."""
    if all:
        notebook, experiment = "", None
    if client is None:
        # lazy: HTTP client (urllib, ssl) only when no client is passed
        from aios_workbench.kernel import client as client_module

        client = client_module.service_client()
    if notebook is None and experiment is None:
        notebook = _this_notebook()
    return RunsBrowser(client, notebook=notebook or None, experiment=experiment)
