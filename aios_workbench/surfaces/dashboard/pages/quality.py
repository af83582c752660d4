"""Quality & drift: every check result the user may see (quality suites, drift checks, monitors, fairness
checks, model explanations) grouped by check with its latest verdict and its history, a summary counting
all of them, and one check opened: a drift run as a summary (drifted share, verdict, why) and per column
the test, statistic, threshold and verdict in words, with reference-vs-current distributions.

The grouping, counts and wording are the service's (`service/dashboard/quality_view.py`, over the
governed `check_history`): this page only lays them out. Only runs over datasets the user may read are
shown; failing example rows appear only to whoever ran the check and to auditors.
"""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.service.dashboard import quality_view
from aios_workbench.surfaces.dashboard.pages.common import esc, guarded, heading, table, when
from aios_workbench.surfaces.dashboard.pages.plots import events_plot, series_plot

HISTORY_LIMIT = 300
STATUS_FILTERS = {"every check": "all", "failing now": "failing"}
FAILING = ("fail", "error")
# Badge colours with white text at 4.5:1 or more (WCAG AA); every badge also says its verdict in words.
BADGES = {"pass": "#1a7f37", "warn": "#8a4b00", "fail": "#b42318", "error": "#5a2d82", "never": "#52606d"}
REFERENCE, CURRENT = "#8c959f", "#0b6e99"
COLUMNS = ('<colgroup><col style="width:24%"><col style="width:13%"><col style="width:35%"><col style="width:12%">'
           '<col style="width:8%"><col style="width:8%"></colgroup>')   # the same columns in every section
LATEST = 0   # the run select's "its latest run" (a select shows None as an empty box)


def badge(status: str) -> str:
    word = quality_view.WORDS.get(status, status)
    return (f'<span class="aios-verdict" data-status="{esc(status)}" style="background:{BADGES.get(status, "#52606d")};'
            f'color:#fff;border-radius:3px;padding:0 .4em;white-space:nowrap">{esc(word)}</span>')


def history_strip(history: list[dict]) -> str:
    """The check's newest runs as small squares, oldest left, each titled with its time and verdict."""
    cells = [f'<span title="run #{h["id"]}, {esc(when(h["at"]))}: {esc(quality_view.WORDS.get(h["status"], "?"))}" '
             f'style="display:inline-block;width:9px;height:9px;margin-right:2px;'
             f'background:{BADGES.get(h["status"], "#52606d")}"></span>' for h in reversed(history)]
    return f'<span role="img" aria-label="verdicts of its newest {len(history)} runs">{"".join(cells)}</span>'


def checks_html(checks: list[dict]) -> str:
    """One table per kind of check: the check, its latest verdict and why, its datasets, when, its history."""
    sections = []
    for cat in quality_view.CATEGORIES:
        group = [c for c in checks if c["category"] == cat]
        if not group:
            continue
        failing = sum(c["status"] in ("fail", "error") for c in group)
        rows = []
        for c in group:
            latest = c["latest"] or {}
            why = latest.get("verdict") or c.get("description") or ""
            runs = f'{c["runs"]} run{"s" if c["runs"] != 1 else ""}' + (
                f', {c["failed_runs"]} failed' if c["failed_runs"] else "")
            rows.append(
                f'<tr data-testid="quality-check" data-category="{cat}" data-status="{esc(c["status"])}" '
                f'data-name="{esc(c["name"])}" style="vertical-align:top;border-top:1px solid var(--aios-rule, #d0d7de)">'
                f'<td title="{esc(c["name"])}"><b>{esc(c["label"])}</b></td>'
                f'<td>{badge(c["status"])}</td><td>{esc(why)}</td>'
                f'<td>{esc(", ".join(d.split(".")[-1] for d in c["datasets"]))}</td>'
                f'<td>{esc(when(latest.get("at")))}</td><td>{history_strip(c["history"])}<br>'
                f'<small>{esc(runs)}</small></td></tr>')
        title = f'{quality_view.TITLES[cat]} ({len(group)}' + (f", {failing} failing" if failing else "") + ")"
        sections.append(
            f'<h2 style="font-size:1.17em;margin:.6em 0 .2em">{esc(title)}</h2><table data-testid="quality-checks-{cat}" '
            f'style="border-collapse:collapse;width:100%;table-layout:fixed"><caption style="text-align:left;'
            f'position:absolute;left:-9999px">{esc(title)}</caption>{COLUMNS}'
            f'<thead><tr style="text-align:left;vertical-align:bottom"><th scope="col">check</th>'
            f'<th scope="col">latest verdict</th><th scope="col">why</th><th scope="col">datasets</th>'
            f'<th scope="col">last run</th><th scope="col">history (newest right)</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')
    return "".join(sections)


def distribution_plot(column: dict):
    """Reference and current shares of one column, overlaid: a histogram over its range, or its top values."""
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool
    from bokeh.plotting import figure

    dist = column["distribution"]
    ref, cur = dist["ref"], dist["cur"]
    title = column["column"]   # the legend and the heading above the plots say which is which
    if dist["kind"] == "histogram":
        lo, hi = dist["lo"], dist["hi"]
        step = (hi - lo) / len(ref) if hi > lo else 1.0
        left = [lo + i * step for i in range(len(ref))]
        source = ColumnDataSource({"left": left, "right": [x + step for x in left], "ref": ref, "cur": cur})
        plot = figure(height=190, width=360, title=title, toolbar_location=None, tools="")
        plot.quad(left="left", right="right", bottom=0, top="ref", source=source, color=REFERENCE, alpha=0.6,
                  legend_label="reference")
        plot.quad(left="left", right="right", bottom=0, top="cur", source=source, fill_color=None,
                  line_color=CURRENT, line_width=2, legend_label="current")
        plot.add_tools(HoverTool(tooltips=[("from", "@left{0.[00]}"), ("to", "@right{0.[00]}"),
                                           ("reference", "@ref{0.0%}"), ("current", "@cur{0.0%}")]))
    else:
        labels = dist["labels"]
        source = ColumnDataSource({"label": labels, "ref": ref, "cur": cur})
        plot = figure(x_range=FactorRange(factors=labels), height=190, width=360, title=title,
                      toolbar_location=None, tools="")
        plot.vbar(x="label", top="ref", width=0.8, source=source, color=REFERENCE, alpha=0.6,
                  legend_label="reference")
        plot.vbar(x="label", top="cur", width=0.5, source=source, fill_color=None, line_color=CURRENT,
                  line_width=2, legend_label="current")
        plot.add_tools(HoverTool(tooltips=[("value", "@label"), ("reference", "@ref{0.0%}"),
                                           ("current", "@cur{0.0%}")]))
        plot.xaxis.major_label_orientation = 0.6
    plot.yaxis.axis_label = "share of rows"
    plot.legend.label_text_font_size = "8pt"
    plot.legend.location = "top_right"
    plot.outline_line_color = None
    return plot


def drift_detail(run: dict) -> list:
    """A drift run: the summary a person reads, its columns in words, the drifted ones' distributions."""
    report = quality_view.drift_report(run)
    share, needed = report["share"], report["share_needed"]
    drifted = report["drifted"]
    whole = "The dataset drifted" if report["dataset_drifted"] else "The dataset as a whole did not drift"
    figures = (f'{len(drifted)} of {report["tested"]} columns drifted'
               + (f" ({share:.0%}; the dataset drifts at {needed:.0%})" if isinstance(share, (int, float))
                  and isinstance(needed, (int, float)) else "") + f". {whole}.")
    windows = report["windows"] or {}
    span = (f'<p>Current: {esc(when(windows.get("cur_from")))} to {esc(when(windows.get("cur_to")))}; reference: '
            f'{esc(when(windows.get("ref_from")))} to {esc(when(windows.get("ref_to")))}.</p>'
            if windows.get("cur_from") else "")
    skipped = report["skipped"]
    skipped_note = (f'<p>Not tested: {esc(", ".join(f"{c} ({why})" for c, why in skipped.items()))}.</p>'
                    if skipped else "")
    parts: list = [pn.pane.HTML(f'<p data-testid="drift-summary"><b>{esc(figures)}</b></p>{span}{skipped_note}',
                                sizing_mode="stretch_width")]
    rows = [{"column": c["column"], "verdict": c["verdict"], "test": c["test"], "statistic": c["statistic"],
             "threshold": "" if c["threshold"] is None else f'{c["threshold"]:g}', "why": c["why"]}
            for c in report["columns"]]
    if rows:
        parts.append(table(rows, page_size=20, name="drift columns"))
    plots = [pn.pane.Bokeh(distribution_plot(c), margin=(0, 16, 8, 0)) for c in report["columns"]
             if c["status"] == "fail" and c["distribution"] and c["distribution"].get("ref")]
    if plots:
        parts += [pn.pane.HTML("<b>Drifted columns: share of rows per value, reference (grey bars) vs current "
                               "(blue outline)</b>"), pn.FlexBox(*plots)]
    elif drifted and not report["withheld"]:
        parts.append(pn.pane.Markdown("This run stored no distributions to draw (it predates them)."))
    return parts


def items_detail(run: dict) -> list:
    """A quality, fairness or explanation run: its items in words, failing ones first, and failing examples."""
    rows, examples = [], []
    for item in run["rows"]:
        rows.append({"item": item["name"], "verdict": quality_view.WORDS.get(item["status"], item["status"]),
                     "test or rule": item["test"], "value": item["value"], "why": item["why"]})
        for example in item["examples"]:
            examples.append({"item": item["name"], **{k: str(v) for k, v in example.items()}})
    parts: list = [table(rows, page_size=20, name="items")] if rows else []
    if examples:
        parts += [pn.pane.Markdown("**Failing example rows** (as fetched for the user who ran the check)"),
                  table(examples[:200], page_size=10, name="examples")]
    return parts


def status_plot(runs: list[dict]):
    """Each run as a dot: time across, check down, coloured by status."""
    return events_plot([{"at": r["at"], "check": r.get("label") or r["name"], "status": r["status"], "id": r["id"],
                         "user": r["user"]} for r in runs], row="check", color="status", hover=("status", "id", "user"))


def rules_plot(runs: list[dict]):
    """Each quality rule of each run as a dot: time across, rule down (a rule names its column, e.g.
    `range(quantity)`), coloured by status, failing rows in the hover."""
    points = [{"at": r["at"], "rule": item["name"], "status": item["status"], "check": r["name"], "id": r["id"],
               "failing rows": (item.get("metrics") or {}).get("failing_rows", "")}
              for r in runs if r["kind"] == "quality" for item in r["items"] or []]
    if not points:
        return None
    return events_plot(points, row="rule", color="status", size=8, hover=("status", "failing rows", "check", "id"))


def drift_plot(runs: list[dict]):
    """The drift statistic of each column over time, with its threshold in the hover."""
    points = [{"at": r["at"], "column": item["name"], "statistic": item["metrics"]["statistic"],
               "threshold": item["metrics"].get("threshold"), "drifted": item["metrics"].get("drifted")}
              for r in runs if r["kind"] == "drift" for item in r["items"] or []
              if isinstance((item.get("metrics") or {}).get("statistic"), (int, float))]
    if not points:
        return None
    return series_plot(points, x="at", y="statistic", by="column", y_label="drift statistic",
                       hover=("threshold", "drifted"))


class QualityPage(param.Parameterized):
    """Every check of a dataset (or of all readable ones) with its verdict and history; one opened in full."""

    dataset: param.Selector[str] = param.Selector(default="", objects=[""])
    check: param.Selector[str | None] = param.Selector(default=None, objects=[None], allow_None=True)
    run: param.Selector[int | None] = param.Selector(default=None, objects=[None], allow_None=True)
    status: param.Selector[str] = param.Selector(default="all", objects=STATUS_FILTERS)

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        self._cached: tuple[str, list[dict], dict] | None = None   # (dataset, its runs, its overview)
        names = sorted(d["name"] for d in data.datasets())
        self.param.dataset.objects = {"all datasets you can read": "", **{n: n for n in names}}
        self._asked = _link_args()   # a link that lands here filtered or on one result
        if self._asked.get("status") == "failing":
            self.status = "failing"
        self._landing: dict | None = None   # the result a link asked for, once found

    def _overview(self) -> dict:
        """The selected dataset's checks (fetched once per selection: the tabs share them)."""
        if self._cached is None or self._cached[0] != self.dataset:
            runs = self.data.check_history(dataset=self.dataset or None, limit=HISTORY_LIMIT)
            declared = self.data.declared_checks()
            if self.dataset:
                declared = {k: [c for c in v if c["dataset"].lower() == self.dataset.lower()]
                            for k, v in declared.items()}
            overview = quality_view.overview(runs, declared)
            self._cached = (self.dataset, runs, overview)
            ran = [c for c in overview["checks"] if c["latest"]]
            self.param.check.objects = {"(pick a check)": None, **{
                f'{quality_view.WORDS[c["status"]]}: {c["label"]}': c["key"] for c in ran}}
            worst = sorted(ran, key=lambda c: {"error": 0, "fail": 0, "warn": 1}.get(c["status"], 2))
            asked = self._asked_check(ran)
            self.check = asked or (worst[0]["key"] if worst else None)   # else open the worst check first
        return self._cached[2]

    def _asked_check(self, ran: list[dict]) -> str | None:
        """The check a link asked for (`check=KIND:NAME`, or the check of result `run=ID`), if shown."""
        keys = {c["key"] for c in ran}
        if self._asked.get("check") in keys:
            return self._asked["check"]
        run_id = self._asked.get("run") or ""
        if not run_id.isdigit():
            return None
        if self._landing is None:
            try:
                self._landing = self.data.check_run(int(run_id))
            except Exception:  # noqa: BLE001 - not found or not visible: the page opens as usual and says so
                self._landing = {}
        key = f'{self._landing.get("kind")}:{self._landing.get("name")}' if self._landing else None
        return key if key in keys else None

    def _runs(self) -> list[dict]:
        self._overview()
        assert self._cached is not None   # set by _overview
        return self._cached[1]

    @param.depends("dataset")
    @guarded
    def _summary(self):
        summary = self._overview()["summary"]
        tone = "var(--aios-bad, #b42318)" if summary["failing"] else "var(--aios-good, #1a7f37)"
        return pn.pane.HTML(f'<p data-testid="quality-summary" style="font-size:1.1em;margin:.3em 0">'
                            f'<span style="color:{tone};font-weight:600">{esc(summary["sentence"])}</span> '
                            f'<small>(latest verdict of each check, from the newest {summary["runs"]} runs)</small>'
                            f'</p>', sizing_mode="stretch_width")

    @param.depends("dataset", "status")
    @guarded
    def _checks(self):
        checks = self._overview()["checks"]
        if self.status == "failing":
            failing = [c for c in checks if c["status"] in FAILING]
            shown = (f'<p data-testid="quality-filter">Showing the {len(failing)} check{"s" if len(failing) != 1 else ""}'
                     f' failing now, of {len(checks)}. Pick “every check” above to see them all.</p>')
            if not failing:
                return pn.pane.HTML(shown + "<p>No check is failing now.</p>", sizing_mode="stretch_width")
            return pn.pane.HTML(shown + checks_html(failing), sizing_mode="stretch_width")
        if not checks:
            return pn.pane.Markdown("No check results recorded for this selection yet. Run `aios check quality`, "
                                    "`aios check monitor` or `wb.quality(...)` in a notebook.")
        return pn.pane.HTML(checks_html(checks), sizing_mode="stretch_width")

    @param.depends("check", watch=True)
    def _check_runs(self):
        group = next((c for c in self._overview()["checks"] if c["key"] == self.check), None)
        history = group["history"] if group else []
        self.param.run.objects = {"(its latest run)": LATEST, **{
            f'#{h["id"]} {when(h["at"])}: {quality_view.WORDS.get(h["status"], h["status"])}': h["id"]
            for h in history}}
        landing = self._landing or {}
        if landing.get("id") and f'{landing["kind"]}:{landing["name"]}' == self.check:
            if landing["id"] not in self.param.run.objects.values():   # older than the strip's newest runs
                self.param.run.objects = {**self.param.run.objects, f'#{landing["id"]} {when(landing["at"])}: '
                                          f'{quality_view.WORDS.get(landing["status"], landing["status"])}': landing["id"]}
            self.run = landing["id"]
            return
        self.run = LATEST

    @param.depends("check", "run")
    @guarded
    def _detail(self):
        group = next((c for c in self._overview()["checks"] if c["key"] == self.check), None)
        if group is None or group["latest"] is None:
            return pn.pane.Markdown("Pick a check above to see its latest run in full.")
        landing = self._landing or {}
        run = (group["latest"] if self.run in (None, LATEST) else
               landing if landing.get("id") == self.run else self.data.check_run(self.run))
        head = (f'<h2 style="font-size:1.17em" data-testid="quality-drill-title" title="{esc(run["name"])}">{esc(group["label"])} '
                f'{badge(run["status"])}</h2><p data-testid="quality-drill-why">{esc(run.get("verdict"))}</p>'
                f'<p><small>Run #{run["id"]} by {esc(run["user"])} at {esc(when(run["at"]))} over '
                f'{esc(", ".join(run["datasets"]))}</small></p>'
                + (f'<p>{esc(run["withheld"])}</p>' if run.get("withheld") else "")
                + (f'<p>Error: {esc(run["error"])}</p>' if run.get("error") else ""))
        parts: list = [pn.pane.HTML(head, sizing_mode="stretch_width")]
        parts += drift_detail(run) if run["kind"] == "drift" else items_detail(quality_view.item_rows(run))
        return pn.Column(*parts, sizing_mode="stretch_width")

    @param.depends("dataset")
    @guarded
    def _history(self):
        runs = self._runs()
        if not runs:
            return pn.pane.Markdown("No check results recorded for this selection yet.")
        parts = [pn.pane.HTML("<b>Check results over time</b>"), pn.pane.Bokeh(status_plot(runs),
                                                                              sizing_mode="stretch_width")]
        rules = rules_plot(runs) if self.dataset else None   # all datasets at once: too many rows to read
        if rules is not None:
            parts += [pn.pane.HTML("<b>Quality rules per column over time</b>"),
                      pn.pane.Bokeh(rules, sizing_mode="stretch_width")]
        drift = drift_plot(runs)
        if drift is not None:
            parts += [pn.pane.HTML("<b>Drift statistic per column</b>"),
                      pn.pane.Bokeh(drift, sizing_mode="stretch_width")]
        return pn.Column(*parts, sizing_mode="stretch_width")

    @param.depends("dataset")
    @guarded
    def _table(self):
        rows = [{"id": r["id"], "at": when(r["at"]), "check": r.get("label") or r["name"],
                 "kind": quality_view.category(r), "verdict": quality_view.WORDS.get(r["status"], r["status"]),
                 "why": r.get("verdict") or "", "datasets": ", ".join(r["datasets"]), "by": r["user"],
                 "required": "yes" if r["required"] else "no"} for r in self._runs()]
        return table(rows, name="check runs") if rows else pn.pane.Markdown("No check results recorded yet.")

    def __panel__(self):
        pick = pn.widgets.Select.from_param(self.param.dataset, name="Dataset", width=420)
        self._overview()   # the checks to open, before the check's select is drawn
        self._check_runs()
        check = pn.widgets.Select.from_param(self.param.check, name="Check", width=620)
        run = pn.widgets.Select.from_param(self.param.run, name="Run of this check", width=420)
        status = pn.widgets.RadioButtonGroup.from_param(self.param.status, name="Show")
        lost = ""
        if self._asked.get("run") and not (self._landing or {}).get("id"):
            lost = (f'<p data-testid="quality-link-missing">Check result #{esc(self._asked["run"])} is not among the '
                    "results you may see; the page shows every check instead.</p>")
        tabs = pn.Tabs(("Checks", self._checks),
                       ("Open a check", pn.Column(pn.Row(check, run), pn.param.ParamMethod(self._detail, lazy=True),
                                                  sizing_mode="stretch_width")),
                       ("Over time", pn.param.ParamMethod(self._history, lazy=True)),
                       ("All runs", pn.param.ParamMethod(self._table, lazy=True)),
                       dynamic=True, sizing_mode="stretch_width",
                       active=1 if (self._landing or {}).get("id") or self._asked.get("check") else 0)
        parts = [heading("Quality & drift", "page-quality"), pick, status, self._summary]
        if lost:
            parts.append(pn.pane.HTML(lost, sizing_mode="stretch_width"))
        return pn.Column(*parts, tabs, sizing_mode="stretch_width")


def _link_args() -> dict[str, str]:
    """The page's own query arguments of the link it was opened with (`status`, `run`, `check`)."""
    args = pn.state.session_args or {}
    return {key: args[key][0].decode("utf-8", "replace") for key in ("status", "run", "check") if args.get(key)}
