"""Overview: the health of everything the user may see, one figure per concern with its trend.

Each figure drills down: it links to the page that lists what it counts, filtered (the failing checks on the
Quality page, the failed runs on the Jobs page, the open alerts). Trends have date axes and show a day without
runs as a gap, not as zero (`daily_charts.py`)."""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import card, guarded, heading, percent
from aios_workbench.surfaces.dashboard.pages.daily_charts import count_chart, rate_chart, runs_chart
from aios_workbench.surfaces.dashboard.pages.fetch import Fetched

TILE_WIDTH = 330
NO_HISTORY = "latest catalog scan (the catalog keeps no history)"


class OverviewPage(param.Parameterized):
    """Datasets, classification coverage, owners, checks, jobs and alerts at a glance."""

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data

    def _tile(self, *parts) -> pn.Column:
        return pn.Column(*parts, styles={"border": "1px solid var(--aios-rule, #d9dee5)", "border-radius": "6px"},
                         width=TILE_WIDTH, margin=6)

    @guarded
    def _catalog(self, got: Fetched):
        figures = got["catalog"]
        unowned = figures["readable"] - figures["owned"]
        return [
            self._tile(card("Datasets you can read", figures["readable"], "overview-datasets",
                            f"of {figures['catalog']} in the catalog · {NO_HISTORY}", href="?page=data",
                            drill="Browse them on the Data page")),
            self._tile(card("Classification coverage", percent(figures["classified_share"]), "overview-classified",
                            f"{figures['classified']} of {figures['columns']} columns classified · "
                            f"{figures['with_pii']} datasets hold PII", href="?page=data")),
            self._tile(card("Datasets with owners", percent(figures["owned_share"]), "overview-owners",
                            f"{figures['owned']} of {figures['readable']} datasets name an owner", href="?page=data",
                            drill=f"{unowned} without an owner" if unowned else "")),
        ]

    @guarded
    def _checks(self, got: Fetched):
        figures = got["checks"]
        tone = "neutral" if figures["pass_rate"] is None else "good" if not figures["failing"] else "bad"
        failing = figures["failing"]
        days = [t["day"] for t in figures["trend"]]
        href = "?page=quality&status=failing" if failing else "?page=quality"
        drill = f"See the {failing} failing check{'s' if failing != 1 else ''}" if failing else "See every check"
        return self._tile(
            card("Checks passing", percent(figures["pass_rate"]), "overview-checks",
                 f"{figures['passing']} of {figures['checks']} checks pass on their latest run", tone=tone,
                 href=href, drill=drill),
            pn.pane.Bokeh(rate_chart("daily pass rate, last 14 days (shaded: no runs)", days,
                                     [t["pass_rate"] for t in figures["trend"]], [t["runs"] for t in figures["trend"]])))

    @guarded
    def _jobs(self, got: Fetched):
        jobs = got["jobs"]
        finished = sum(j["runs_30d"] for j in jobs)
        failed = sum(j["failed_30d"] for j in jobs)
        health = got["job_health"]
        value = percent(1 - failed / finished) if finished else "n/a"
        href = "?page=jobs&status=failed" if failed else "?page=jobs"
        drill = f"See the {failed} failed run{'s' if failed != 1 else ''}" if failed else "See the jobs"
        return self._tile(
            card("Job runs succeeding (30 days)", value, "overview-jobs",
                 f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} · {finished} runs finished · {failed} failed",
                 tone="neutral" if not finished else "good" if not failed else "bad", href=href, drill=drill),
            pn.pane.Bokeh(runs_chart("job runs per day, failed in red (shaded: no runs)", [h["day"] for h in health],
                                     [h["finished"] for h in health], [h["failed"] for h in health])))

    @guarded
    def _alerts(self, got: Fetched):
        counts = got["alert_counts"]
        raised = got["alert_trend"]
        opened = counts.get("open", 0)
        return self._tile(
            card("Open alerts", opened, "overview-alerts", f"{counts.get('acknowledged', 0)} acknowledged",
                 tone="bad" if opened else "good", href="?page=alerts",
                 drill=f"See the {opened} open alert{'s' if opened != 1 else ''}" if opened else "See the alerts"),
            pn.pane.Bokeh(count_chart("alerts raised per day, last 14 days", [r["day"] for r in raised],
                                      [r["raised"] for r in raised], noun="alert")))

    def __panel__(self):
        data = self.data
        got = Fetched({"catalog": data.catalog_figures, "checks": data.check_figures, "jobs": data.jobs,
                       "job_health": data.job_health, "alert_counts": data.alert_counts,
                       "alert_trend": data.alert_trend})
        catalog = self._catalog(got)
        tiles = list(catalog) if isinstance(catalog, list) else [catalog]
        tiles += [self._checks(got), self._jobs(got), self._alerts(got)]
        return pn.Column(heading("Overview", "page-overview"),
                         pn.FlexBox(*tiles, sizing_mode="stretch_width"), sizing_mode="stretch_width")
