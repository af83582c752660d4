"""Quality & drift: check results over time from the governance ledger (per check; per rule and column
once a dataset is picked; drift per column), and a drill into one run.

Only runs over datasets the user may read are shown; failing example rows appear only to
whoever ran the check and to auditors (the service strips them for everyone else).
"""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import esc, guarded, heading, table
from aios_workbench.surfaces.dashboard.pages.plots import events_plot, series_plot

HISTORY_LIMIT = 300


def status_plot(runs: list[dict]):
    """Each run as a dot: time across, check down, coloured by status."""
    return events_plot([{"at": r["at"], "check": f"{r['kind']}: {r['name']}", "status": r["status"], "id": r["id"],
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
    """Check history of a dataset (or of all readable ones), plots, and a failing run's items."""

    dataset: param.Selector[str] = param.Selector(default="", objects=[""])
    run: param.Selector[int | None] = param.Selector(default=None, objects=[None], allow_None=True)

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        self._cached = None   # (dataset, its runs)
        names = sorted(d["name"] for d in data.datasets())
        self.param.dataset.objects = {"all datasets you can read": "", **{n: n for n in names}}

    def _runs(self) -> list[dict]:
        """The selected dataset's ledger runs (fetched once per selection: the tabs share them)."""
        if self._cached is None or self._cached[0] != self.dataset:
            runs = self.data.check_history(dataset=self.dataset or None, limit=HISTORY_LIMIT)
            failing = [r for r in runs if r["status"] in ("fail", "warn", "error")]
            self.param.run.objects = {"(pick a run)": None, **{
                f"#{r['id']} {r['kind']} {r['name']}: {r['status']} ({r['at']})": r["id"] for r in failing}}
            self.run = failing[0]["id"] if failing else None
            self._cached = (self.dataset, runs)
        return self._cached[1]

    @param.depends("dataset")
    @guarded
    def _history(self):
        runs = self._runs()
        if not runs:
            return pn.pane.Markdown("No check results recorded for this selection yet. Run `aios check quality` "
                                    "or `wb.quality(...)` in a notebook.")
        passed = sum(r["passed"] for r in runs)
        warned = sum(r["status"] == "warn" for r in runs)   # a warn-severity check passes, with a warning
        warnings = f" ({warned} with warnings)" if warned else ""
        summary = pn.pane.HTML(f'<p data-testid="quality-summary">{len(runs)} runs shown · {passed} passed{warnings}'
                               f' · {len(runs) - passed} failed</p>')
        parts = [summary, pn.pane.HTML("<b>Check results over time</b>"),
                 pn.pane.Bokeh(status_plot(runs), sizing_mode="stretch_width")]
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
        rows = [{"id": r["id"], "at": r["at"], "kind": r["kind"], "check": r["name"], "status": r["status"],
                 "datasets": ", ".join(r["datasets"]), "by": r["user"], "required": r["required"],
                 "failing items": sum(1 for i in r["items"] or [] if i.get("status") not in ("pass", None))}
                for r in self._runs()]
        return table(rows, name="check runs") if rows else pn.pane.Markdown("No check results recorded yet.")

    @param.depends("run")
    @guarded
    def _drill(self):
        if self.run is None:
            return pn.pane.Markdown("No failing or warning run to drill into.")
        run = self.data.check_run(self.run)
        rows, examples = [], []
        for item in run["items"] or []:
            metrics = item.get("metrics") or {}
            detail = item.get("detail") or {}
            rows.append({"item": item["name"], "status": item["status"],
                         "failing rows": metrics.get("failing_rows", ""),
                         "statistic": metrics.get("statistic", ""), "rule": detail.get("predicate")
                         or detail.get("rule") or detail.get("stattest_display", "")})
            for example in detail.get("examples") or []:
                examples.append({"item": item["name"], **{k: str(v) for k, v in example.items()}})
        parts = [pn.pane.HTML(f'<h3 data-testid="quality-drill-title">Run #{run["id"]}: {esc(run["kind"])} '
                              f'{esc(run["name"])} — {esc(run["status"])}</h3>'
                              f'<p>by {esc(run["user"])} at {esc(run["at"])} over {esc(", ".join(run["datasets"]))}'
                              + (f'<br>error: {esc(run["error"])}' if run["error"] else "") + "</p>"),
                 table(rows, page_size=20, name="items")]
        if examples:
            parts += [pn.pane.Markdown("**Failing example rows** (as fetched for the user who ran the check)"),
                      table(examples[:200], page_size=10, name="examples")]
        return pn.Column(*parts, sizing_mode="stretch_width")

    def __panel__(self):
        pick = pn.widgets.Select.from_param(self.param.dataset, name="Dataset", width=420)
        drill = pn.widgets.Select.from_param(self.param.run, name="Drill into a failing or warning run", width=520)
        self._runs()   # the failing runs to drill into, before the drill's select is drawn
        # the table and the drill are drawn when their tab is opened: a faster first render
        tabs = pn.Tabs(("Over time", self._history),
                       ("Runs", pn.param.ParamMethod(self._table, lazy=True)),
                       ("Drill into a run", pn.Column(drill, pn.param.ParamMethod(self._drill, lazy=True),
                                                      sizing_mode="stretch_width")),
                       dynamic=True, sizing_mode="stretch_width")
        return pn.Column(heading("Quality & drift", "page-quality"), pick, tabs, sizing_mode="stretch_width")
