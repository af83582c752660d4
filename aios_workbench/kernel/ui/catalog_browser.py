"""`wb.catalog()`: browse, search and inspect the governed catalog in a notebook (ipywidgets).

The browser mirrors the JupyterLab sidebar (extension/src/data.ts, datasetView.ts, preview.ts,
profile.ts) over the same REST endpoints, so masks, row filters and grants are applied by the
service; the kernel never receives a raw masked value. ipywidgets is imported when a browser is
made, not when `aios_workbench` is imported.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlencode

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.kernel.ui import render
from aios_workbench.kernel.ui.tree import (
    PAGE_SIZE,
    TreeNode,
    build_tree,
    default_expansion,
    filter_datasets,
    flat_rows,
    row_label,
    visible_rows,
)

# What a call to the service can raise (ServiceClient maps HTTP and network failures to
# WorkbenchError; a body that is not JSON is a ValueError); each is shown where the answer would be.
SERVICE_ERRORS = (WorkbenchError, ValueError)
PREVIEW_ROWS = 50
SEARCH_LIMIT = 200
SEARCH_DELAY = 0.25
TABS = ("Schema", "Preview", "Profile", "Lineage")
PROFILE_TAB, LINEAGE_TAB = 2, 3


def is_missing_endpoint(exc: BaseException) -> bool:
    """A 404 without the workbench's JSON error code: the service has no such endpoint (yet)."""
    code = getattr(exc, "code", None)
    message = str(getattr(exc, "message", exc))
    return code in ("http_error", "workbench_error") and ("Not Found" in message or "HTTP 404" in message)


class Debounce:
    """Call `action` once `delay` seconds after the last trigger (at once when `delay` is 0).

    In a kernel the asyncio loop runs the call; elsewhere (scripts, tests) a timer thread does."""

    def __init__(self, delay: float, action):
        self.delay = delay
        self.action = action
        self._pending: asyncio.TimerHandle | threading.Timer | None = None

    def __call__(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.delay <= 0:
            self.action()
            return
        try:
            self._pending = asyncio.get_running_loop().call_later(self.delay, self.action)
        except RuntimeError:
            timer = threading.Timer(self.delay, self.action)
            timer.daemon = True
            timer.start()
            self._pending = timer


class CatalogBrowser:
    """The catalog of one workbench service as the calling user may see it.

    Left: a search box and the source > schema > dataset tree (search hits ranked, flat), paged
    200 rows at a time. Right: the selected dataset's description, owners and tags, and tabs for
    the schema with classification and mask badges, the masked preview (keyset paging, sorting),
    the profile with small histograms (loaded when opened) and the lineage."""

    lineage_endpoint = "lineage"

    def __init__(self, client, *, debounce: float = SEARCH_DELAY, preview_rows: int = PREVIEW_ROWS):
        import ipywidgets as w

        self.client = client
        self.preview_rows = preview_rows
        self._datasets: list[dict] = []
        self._by_name: dict[str, dict] = {}
        self._rows: list[TreeNode] = []
        self._nodes: dict = {}
        self._roots: list[TreeNode] = []
        self._expanded: set[str] = set()
        self._offset = 0
        self._search_ticket = 0
        self._quiet = False  # set while the browser itself changes a widget value
        self._current: dict | None = None
        self._masked: set[str] = set()
        self._cursors: list[str | None] = [None]
        self._page: dict | None = None
        self._loaded: dict[int, str] = {}

        self.search = w.Text(placeholder="Search names, descriptions, tags, owners, columns…",
                             continuous_update=True, layout=w.Layout(width="100%"))
        self.reload_button = w.Button(description="Reload", icon="refresh", layout=w.Layout(width="auto"))
        self.count = w.HTML()
        self.message = w.HTML()
        self.datasets = w.Select(options=[], rows=20, description="Datasets", layout=w.Layout(width="100%"),
                                 style={"description_width": "initial"})   # the label names the list (WCAG)
        self.previous_rows = w.Button(description=f"‹ Previous {PAGE_SIZE}", disabled=True)
        self.more_rows = w.Button(description=f"Next {PAGE_SIZE} ›", disabled=True)
        self.rows_status = w.HTML()

        self.header = w.HTML(render.note("Select a dataset to see its schema, preview, profile and lineage."))
        self.schema = w.HTML()
        self.sort = w.Dropdown(options=[("(unsorted)", "")], value="", description="Sort by")
        self.descending = w.Checkbox(value=False, description="descending", indent=False)
        self.previous_page = w.Button(description="‹ Previous", disabled=True)
        self.next_page = w.Button(description="Next ›", disabled=True)
        self.preview = w.HTML()
        self.profile = w.HTML()
        self.lineage = w.HTML()
        preview_box = w.VBox([w.HBox([self.sort, self.descending, self.previous_page, self.next_page]),
                              self.preview])
        self.tabs = w.Tab(children=[self.schema, preview_box, self.profile, self.lineage], titles=TABS)

        left = w.VBox([w.HBox([self.search, self.reload_button]), self.count, self.message, self.datasets,
                       w.HBox([self.previous_rows, self.more_rows]), self.rows_status],
                      layout=w.Layout(width="34%", min_width="240px"))
        right = w.VBox([self.header, self.tabs], layout=w.Layout(width="66%"))
        self.widget = w.VBox([w.HTML(render.STYLE), w.HBox([left, right])])

        self._schedule_search = Debounce(debounce, self._run_search)
        self.search.observe(lambda _: self._schedule_search(), names="value")
        self.reload_button.on_click(lambda _: self.reload())
        self.datasets.observe(self._on_select, names="value")
        self.previous_rows.on_click(lambda _: self._move_window(-PAGE_SIZE))
        self.more_rows.on_click(lambda _: self._move_window(PAGE_SIZE))
        self.sort.observe(self._on_sort, names="value")
        self.descending.observe(self._on_sort, names="value")
        self.next_page.on_click(lambda _: self._next_preview_page())
        self.previous_page.on_click(lambda _: self._previous_preview_page())
        self.tabs.observe(lambda _: self._load_tab(), names="selected_index")
        self.reload()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- the list --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the catalog again and re-run the current search."""
        self.count.value = render.box('<span class="aios-muted">Loading the catalog…</span>')
        try:
            self._datasets = self.client.get("catalog").get("datasets") or []
        except SERVICE_ERRORS as exc:  # shown to the user: the view never goes blank
            self._datasets = []
            self._by_name = {}
            self.count.value = ""
            self.message.value = render.error("Cannot load the catalog", exc)
            self._set_rows([], searching=False)
            return
        self._by_name = {d["name"]: d for d in self._datasets}
        self._run_search()

    def _run_search(self) -> None:
        self._search_ticket += 1
        ticket = self._search_ticket
        text = self.search.value.strip()
        if not text:
            self._show(self._datasets, searching=False)
            return
        note = None
        try:
            hits = self.client.get("catalog/search?" + urlencode({"q": text, "limit": SEARCH_LIMIT}))
            # ranked by the service; each keeps why it matched (the option text shows it)
            found = [{**(self._by_name.get(h.get("name")) or h), "why": h.get("why") or ""}
                     for h in hits.get("hits") or []]
        except SERVICE_ERRORS as exc:  # fall back to matching text here, like the sidebar
            if not is_missing_endpoint(exc):
                note = f"Search failed ({getattr(exc, 'message', exc)}); showing text matches instead."
            found = filter_datasets(self._datasets, text)
        if ticket == self._search_ticket:  # a newer search has not overtaken this one
            self._show(found, searching=True, note=note)

    def _show(self, datasets: list[dict], *, searching: bool, note: str | None = None) -> None:
        total = len(self._datasets)
        if searching:
            more = " (best matches)" if len(datasets) >= SEARCH_LIMIT else ""
            self.count.value = render.box(f"{len(datasets):,} of {total:,} datasets match{more}")
        else:
            self.count.value = render.box(f"{total:,} dataset{'' if total == 1 else 's'} you may read")
        messages = [note] if note else []
        if total == 0:
            messages.append("No datasets are readable for you. Ask a data steward for a grant.")
        elif not datasets:
            messages.append("No dataset matches the search.")
        self.message.value = "".join(render.note(m) for m in messages)
        self._set_rows(datasets, searching=searching)

    def _set_rows(self, datasets: list[dict], *, searching: bool) -> None:
        if searching:
            self._roots, self._expanded = [], set()
            self._rows = flat_rows(datasets)
        else:
            self._roots = build_tree(datasets)
            self._expanded = default_expansion(self._roots)
            self._rows = visible_rows(self._roots, self._expanded)
        self._offset = 0
        self._render_rows()

    def _render_rows(self) -> None:
        window = self._rows[self._offset:self._offset + PAGE_SIZE]
        self._nodes = {n.key: n for n in window}
        selected = f"d:{self._current.get('name')}" if self._current else None
        self._quiet = True
        try:
            self.datasets.options = [(row_label(n, self._expanded), n.key) for n in window]
            self.datasets.value = selected if selected in self._nodes else None
        finally:
            self._quiet = False
        total = len(self._rows)
        self.previous_rows.disabled = self._offset == 0
        self.more_rows.disabled = self._offset + PAGE_SIZE >= total
        self.rows_status.value = (render.box(f'<span class="aios-muted">Rows {self._offset + 1:,}–'
                                             f"{self._offset + len(window):,} of {total:,}</span>")
                                  if total > PAGE_SIZE else "")

    def _move_window(self, step: int) -> None:
        self._offset = max(0, min(self._offset + step, max(0, len(self._rows) - 1)))
        self._render_rows()

    def _on_select(self, change) -> None:
        if self._quiet or change["new"] is None:
            return
        node = self._nodes.get(change["new"])
        if node is None:
            return
        if node.is_group:
            self._expanded ^= {node.key}
            self._rows = visible_rows(self._roots, self._expanded)
            index = self._rows.index(node)
            if not self._offset <= index < self._offset + PAGE_SIZE:
                self._offset = index - index % PAGE_SIZE
            self._render_rows()  # clears the selection, so the same group can be toggled again
        else:
            self.open(node.dataset)

    # -- the dataset view ------------------------------------------------------------------------
    def open(self, dataset: dict | str) -> None:
        """Show one dataset (a catalog entry, or its name)."""
        if isinstance(dataset, str):
            dataset = self._by_name.get(dataset) or {"name": dataset}
        self._current = dataset
        self._loaded = {}
        self.header.value = render.header(dataset)
        self._masked = set()
        self.schema.value = render.box('<span class="aios-muted">Loading…</span>')
        try:
            view = self.client.get("catalog/dataset?" + urlencode({"name": dataset["name"]}))
            self._masked = {c.get("name") for c in view.get("columns") or [] if c.get("mask")}
            self.schema.value = render.access(view)
            columns = [c.get("name") for c in view.get("columns") or []]
        except SERVICE_ERRORS as exc:  # shown to the user: the view never goes blank
            self.schema.value = render.error("Cannot load the schema", exc)
            columns = [c.get("name") for c in dataset.get("columns") or []]
        self._quiet = True
        try:
            self.sort.options = [("(unsorted)", "")] + [(str(c), c) for c in columns]
            self.sort.value = ""
            self.descending.value = False
        finally:
            self._quiet = False
        self._cursors = [None]
        self._load_preview()
        self.profile.value = self.lineage.value = ""
        self._load_tab()

    def _on_sort(self, _change) -> None:
        if self._quiet or self._current is None:
            return
        self._cursors = [None]
        self._load_preview()

    def _next_preview_page(self) -> None:
        cursor = (self._page or {}).get("next_cursor")
        if cursor:
            self._cursors.append(cursor)
            self._load_preview()

    def _previous_preview_page(self) -> None:
        if len(self._cursors) > 1:
            self._cursors.pop()
            self._load_preview()

    def _load_preview(self) -> None:
        if self._current is None:   # no dataset is selected
            return
        query = {"name": self._current["name"], "limit": self.preview_rows}
        order_by = self.sort.value or None
        if order_by:
            query.update(order_by=order_by, desc="1" if self.descending.value else "0")
        if self._cursors[-1]:
            query["after"] = self._cursors[-1]
        self.previous_page.disabled = self.next_page.disabled = True
        try:
            self._page = self.client.get("catalog/preview?" + urlencode(query))
        except SERVICE_ERRORS as exc:  # shown to the user: the view never goes blank
            self._page = None
            self.preview.value = render.error("Cannot load the preview", exc)
            self.previous_page.disabled = len(self._cursors) <= 1
            return
        self.preview.value = render.preview(self._page, page_index=len(self._cursors) - 1,
                                            page_size=self.preview_rows, masked=self._masked,
                                            order_by=order_by, descending=self.descending.value)
        self.previous_page.disabled = len(self._cursors) <= 1
        self.next_page.disabled = not self._page.get("next_cursor")

    def _load_tab(self) -> None:
        """Profile and lineage are fetched when their tab is opened, once per dataset."""
        index = self.tabs.selected_index
        if self._current is None or index not in (PROFILE_TAB, LINEAGE_TAB) or index in self._loaded:
            return
        name = self._current["name"]
        self._loaded[index] = name
        target = self.profile if index == PROFILE_TAB else self.lineage
        target.value = render.box('<span class="aios-muted">Loading…</span>')
        query = urlencode({"name": name})
        try:
            if index == PROFILE_TAB:
                target.value = render.profile(self.client.get("catalog/profile?" + query))
            else:
                target.value = render.lineage(self.client.get(f"{self.lineage_endpoint}?{query}"))
        except SERVICE_ERRORS as exc:  # shown to the user: the view never goes blank
            if index == LINEAGE_TAB and is_missing_endpoint(exc):
                target.value = render.note("Lineage is not available: this workbench service does not offer "
                                           f"{self.lineage_endpoint}. Try `aios lineage {name}`.")
            else:
                target.value = render.error(f"Cannot load the {TABS[index].lower()}", exc)


def catalog(client=None) -> CatalogBrowser:
    """A catalog browser for `client` (default: the service `wb.connect()` found)."""
    if client is None:
        # lazy: HTTP client (urllib, ssl) only when no client is passed
        from aios_workbench.kernel import client as client_module

        client = client_module.service_client()
    return CatalogBrowser(client)
