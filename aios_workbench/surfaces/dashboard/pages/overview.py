"""Overview: the health of everything the user may see, one figure per concern with its trend."""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.service.dashboard import metrics
from aios_workbench.surfaces.dashboard.pages.common import card, guarded, heading, percent, trend

TILE_WIDTH = 330
NO_HISTORY = "latest catalog scan (the catalog keeps no history)"


class OverviewPage(param.Parameterized):
    """Datasets, classification coverage, owners, checks, jobs and alerts at a glance."""

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data

    def _tile(self, *parts) -> pn.Column:
        return pn.Column(*parts, styles={"border": "1px solid #d9dee5", "border-radius": "6px"},
                         width=TILE_WIDTH, margin=6)

    @guarded
    def _catalog(self):
        figures = metrics.catalog_figures(self.data.datasets(), self.data.catalog_size())
        return [
            self._tile(card("Datasets you can read", figures["readable"], "overview-datasets",
                            f"of {figures['catalog']} in the catalog · {NO_HISTORY}")),
            self._tile(card("Classification coverage", percent(figures["classified_share"]), "overview-classified",
                            f"{figures['classified']} of {figures['columns']} columns classified · "
                            f"{figures['with_pii']} datasets hold PII")),
            self._tile(card("Datasets with owners", percent(figures["owned_share"]), "overview-owners",
                            f"{figures['owned']} of {figures['readable']} datasets name an owner")),
        ]

    @guarded
    def _checks(self):
        figures = self.data.check_figures()
        tone = "neutral" if figures["pass_rate"] is None else "good" if not figures["failing"] else "bad"
        days = [t["day"] for t in figures["trend"]]
        return self._tile(
            card("Checks passing", percent(figures["pass_rate"]), "overview-checks",
                 f"{figures['passing']} of {figures['checks']} checks pass on their latest run", tone=tone),
            trend("daily pass rate, last 14 days", days,
                  [round(100 * t["pass_rate"]) if t["pass_rate"] is not None else None for t in figures["trend"]],
                  unit="%"))

    @guarded
    def _jobs(self):
        jobs = self.data.jobs()
        finished = sum(j["runs_30d"] for j in jobs)
        failed = sum(j["failed_30d"] for j in jobs)
        health = self.data.job_health()
        value = percent(1 - failed / finished) if finished else "n/a"
        return self._tile(
            card("Job runs succeeding (30 days)", value, "overview-jobs",
                 f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} · {finished} runs finished · {failed} failed",
                 tone="neutral" if not finished else "good" if not failed else "bad"),
            trend("failed job runs per day, last 14 days", [h["day"] for h in health], [h["failed"] for h in health]))

    @guarded
    def _alerts(self):
        counts = self.data.alert_counts()
        raised = self.data.alert_trend()
        return self._tile(
            card("Open alerts", counts.get("open", 0), "overview-alerts",
                 f"{counts.get('acknowledged', 0)} acknowledged", tone="bad" if counts.get("open") else "good"),
            trend("alerts raised per day, last 14 days", [r["day"] for r in raised], [r["raised"] for r in raised]))

    def __panel__(self):
        catalog = self._catalog()
        tiles = list(catalog) if isinstance(catalog, list) else [catalog]
        tiles += [self._checks(), self._jobs(), self._alerts()]
        return pn.Column(heading("Overview", "page-overview"),
                         pn.FlexBox(*tiles, sizing_mode="stretch_width"), sizing_mode="stretch_width")
