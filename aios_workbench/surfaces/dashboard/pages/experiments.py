"""Experiments & models: a leaderboard of MLflow runs by a chosen metric, and the registered models
with their champion and the versions waiting for approval."""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import card, guarded, heading, table

LEADERBOARD_SIZE = 25
RECENT_RUNS = 300   # one page of MLflow runs (0.1-0.4 s with 10,000 runs here)


class ExperimentsPage(param.Parameterized):
    """Runs ranked by a metric; model versions with status, approvals and gates."""

    metric: param.Selector[str | None] = param.Selector(default=None, objects=[None], allow_None=True)
    descending = param.Boolean(default=True, doc="higher is better")
    every_run = param.Boolean(default=False, doc="rank every run in MLflow instead of the newest ones")

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        self._error = None
        try:
            page = data.runs(limit=RECENT_RUNS)
            self._recent, self._more = page["runs"], bool(page.get("next_page_token"))
        except Exception as exc:  # noqa: BLE001 - the leaderboard shows it
            self._recent, self._more, self._error = [], False, exc
        names = sorted({m for r in self._recent for m in r["metrics"]})
        self.param.metric.objects = [None, *names]
        if names:
            self.metric = names[0]

    def _ranked(self) -> tuple[list[dict], str]:
        """The leaderboard's runs and what they are ranked among.

        MLflow's SQL store sorts by a metric slowly (8 s for 10,000 runs here), so by default the
        newest RECENT_RUNS runs (one fast page) are ranked here; `every_run` asks MLflow to sort all."""
        if self.metric is None:
            return self._recent[:LEADERBOARD_SIZE], "newest first"
        order = "highest" if self.descending else "lowest"
        if self.every_run:
            runs = self.data.runs(metric=self.metric, descending=self.descending, limit=LEADERBOARD_SIZE)["runs"]
            return runs, f"by {self.metric} ({order} first), every run"
        scored = [r for r in self._recent if isinstance(r["metrics"].get(self.metric), (int, float))]
        scored.sort(key=lambda r: r["metrics"][self.metric], reverse=self.descending)
        among = f"the newest {len(self._recent)} runs" if self._more else f"all {len(self._recent)} runs"
        return scored[:LEADERBOARD_SIZE], f"by {self.metric} ({order} first) among {among}"

    @param.depends("metric", "descending", "every_run")
    @guarded
    def _leaderboard(self):
        if self._error is not None:
            raise self._error
        runs, label = self._ranked()
        if not runs:
            return pn.pane.Markdown("No tracked runs yet: train in a notebook inside `wb.run(...)`.")
        rows = []
        for rank, r in enumerate(runs, 1):
            row = {"#": rank, "run": r["name"] or r["id"][:8], "experiment": r["experiment"], "by": r["user"],
                   "started": r["start_time"], "status": r["status"], "checks": r["checks"]["status"]}
            if self.metric:
                row[self.metric] = r["metrics"].get(self.metric)
            row.update({f"param {k}": v for k, v in list(r["params"].items())[:4]})
            rows.append(row)
        return pn.Column(pn.pane.HTML(f'<p data-testid="leaderboard-title">Leaderboard {label}</p>'),
                         table(rows, page_size=LEADERBOARD_SIZE, name="leaderboard"), sizing_mode="stretch_width")

    @guarded
    def _models(self):
        versions = self.data.model_versions()
        if not versions:
            return pn.pane.Markdown("No registered models yet (`aios models register RUN_ID --name NAME`).")
        champions = {v["name"]: v["version"] for v in versions if "champion" in v["aliases"]}
        pending = [v for v in versions if v["status"] in ("candidate", "approved") and "champion" not in v["aliases"]]
        figures = pn.FlexBox(
            card("Registered models", len({v["name"] for v in versions}), "models-count",
                 f"{len(versions)} versions"),
            card("With a champion", len(champions), "models-champions",
                 ", ".join(f"{n} v{v}" for n, v in sorted(champions.items())) or "none promoted"),
            card("Awaiting approval or promotion", len(pending), "models-pending",
                 "candidates and approved versions not yet champion", tone="warn" if pending else "good"))
        rows = [{"model": v["name"], "version": v["version"], "status": v["status"],
                 "aliases": ", ".join(v["aliases"]), "author": v["author"],
                 "checks": f"{v['checks']['passed']} ok / {v['checks']['failed']} failed",
                 "last decision": (f"{v['approvals'][-1]['decision']} by {v['approvals'][-1]['user']}"
                                   if v["approvals"] else "none"),
                 "promotable": v["promotable"], "registered": v["created_at"]} for v in versions]
        return pn.Column(figures, table(rows, name="model versions"), sizing_mode="stretch_width")

    def __panel__(self):
        metric = pn.widgets.Select.from_param(self.param.metric, name="Rank runs by metric", width=280)
        order = pn.widgets.Checkbox.from_param(self.param.descending, name="Higher is better")
        every = pn.widgets.Checkbox.from_param(self.param.every_run,
                                               name="Rank every run (MLflow sorts; slow with many runs)")
        return pn.Column(heading("Experiments & models", "page-experiments"),
                         pn.pane.HTML("<h3 style='margin:.3em 0'>Runs</h3>"), pn.Row(metric, order, every),
                         self._leaderboard, pn.pane.HTML("<h3 style='margin:.3em 0'>Registered models</h3>"),
                         self._models(), sizing_mode="stretch_width")
