"""Experiments & models: a leaderboard of MLflow runs by a chosen metric, and the registered models
with their champion and the versions waiting for approval.

The leaderboard is the runs table of the sidebar in short: a label per run no other run shares
(the service's), chosen metric and parameter columns, status, start and duration in words, the data
versions it read, and links to the run and its artifacts in MLflow's UI and to its registered model
versions. Every column sorts by a click on its header. Its first render reads one page of runs."""

from __future__ import annotations

import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter

from aios_workbench.surfaces.dashboard.pages.common import (
    card,
    esc,
    guarded,
    heading,
    moment,
    seconds_text,
    table,
    when,
)

LEADERBOARD_SIZE = 25
DEFAULT_METRIC_COLUMNS = 3
DEFAULT_PARAM_COLUMNS = 4
RECENT_RUNS = 300   # one page of MLflow runs (0.1-0.4 s with 10,000 runs here)


class ExperimentsPage(param.Parameterized):
    """Runs ranked by a metric; model versions with status, approvals and gates."""

    metric: param.Selector[str | None] = param.Selector(default=None, objects=[None], allow_None=True)
    descending = param.Boolean(default=True, doc="higher is better")
    every_run = param.Boolean(default=False, doc="rank every run in MLflow instead of the newest ones")
    metric_columns = param.ListSelector(default=[], objects=[], doc="metrics shown as columns")
    param_columns = param.ListSelector(default=[], objects=[], doc="parameters shown as columns")

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        self._error = None
        try:
            page = data.runs(limit=RECENT_RUNS)
            self._recent, self._more = page["runs"], bool(page.get("next_page_token"))
            self._mlflow_ui = page.get("mlflow_ui")
        except Exception as exc:  # noqa: BLE001 - the leaderboard shows it
            self._recent, self._more, self._error, self._mlflow_ui = [], False, exc, None
        self._versions: list[dict] | None = None
        names = sorted({m for r in self._recent for m in r["metrics"]})
        param_names = sorted({p for r in self._recent for p in r["params"]})
        differing = [p for p in param_names if len({r["params"].get(p) for r in self._recent}) > 1]
        self.param.metric.objects = [None, *names]
        self.param.metric_columns.objects = names
        self.param.param_columns.objects = param_names
        self.metric_columns = names[:DEFAULT_METRIC_COLUMNS]
        self.param_columns = (differing + [p for p in param_names if p not in differing])[:DEFAULT_PARAM_COLUMNS]
        if names:
            self.metric = names[0]

    def _model_versions(self) -> list[dict]:
        """Registered versions, read once per page (the leaderboard's links and the models section)."""
        if self._versions is None:
            self._versions = self.data.model_versions()
        return self._versions

    def _links(self, run: dict, versions: dict[str, list[dict]]) -> str:
        """The run's page and artifacts in MLflow's UI, and the model versions registered from it."""
        links = []
        base = (self._mlflow_ui or "").rstrip("/")
        page = f"{base}/#/experiments/{run['experiment_id']}/runs/{run['id']}" if base else None
        if page:
            links += [f'<a href="{esc(page)}" target="_blank" rel="noopener" data-testid="run-mlflow-link">MLflow</a>',
                      f'<a href="{esc(page)}/artifacts" target="_blank" rel="noopener">artifacts</a>']
        for v in versions.get(run["id"], []):
            text = esc(f"{v['name']} v{v['version']} ({v['status']})")
            source = str(v.get("source") or "")
            path = source.split("/", 2)[2] if source.startswith("runs:/") and source.count("/") >= 2 else "model"
            links.append(f'<a href="{esc(page)}/artifactPath/{esc(path)}" target="_blank" rel="noopener" '
                         f'data-testid="run-model-link">{text}</a>' if page else text)
        return " · ".join(links) or "—"

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

    @param.depends("metric", "descending", "every_run", "metric_columns", "param_columns")
    @guarded
    def _leaderboard(self):
        if self._error is not None:
            raise self._error
        runs, label = self._ranked()
        if not runs:
            return pn.pane.Markdown("No tracked runs yet: train in a notebook inside `wb.run(...)`.")
        try:
            registered = self._model_versions()
        except Exception:  # noqa: BLE001 - links to versions are extras; the models section shows the error
            registered = []
        versions: dict[str, list[dict]] = {}
        for v in registered:
            if v.get("run_id"):
                versions.setdefault(v["run_id"], []).append(v)
        metrics = list(dict.fromkeys([*([self.metric] if self.metric else []), *self.metric_columns]))
        rows = []
        for rank, r in enumerate(runs, 1):
            # The run, then what ranks and explains it (metrics stay numbers, so a column sorts by value; the
            # table shows them to 4 digits), then links, then who, when and on what data.
            row = {"#": rank, "run": r.get("label") or r["name"] or r["id"][:8]}
            row.update({m: r["metrics"].get(m) for m in metrics})
            row.update({f"param {p}": r["params"].get(p, "—") for p in self.param_columns})
            row.update({"links": self._links(r, versions), "status": r["status"].lower(),
                        "started": when(r["start_time"]), "duration": _duration(r), "by": r["user"] or "—",
                        "notebook": r["notebook"] or "—", "data versions": _data_versions(r),
                        "checks": _checks(r["checks"])})
            rows.append(row)
        number_format = NumberFormatter(format="0,0.[0000]", nan_format="—", null_format="—", text_align="right")
        formatters = {"links": {"type": "html"}, **{m: number_format for m in metrics}}
        return pn.Column(pn.pane.HTML(f'<p data-testid="leaderboard-title">Leaderboard {label}</p>'),
                         table(rows, page_size=LEADERBOARD_SIZE, name="leaderboard", formatters=formatters,
                               widths={"data versions": 260}),
                         sizing_mode="stretch_width")

    @guarded
    def _models(self):
        versions = self._model_versions()
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
                 "promotable": "yes" if v["promotable"] else "no", "registered": when(v["created_at"])}
                for v in versions]
        return pn.Column(figures, table(rows, name="model versions"), sizing_mode="stretch_width")

    def __panel__(self):
        metric = pn.widgets.Select.from_param(self.param.metric, name="Rank runs by metric", width=280)
        order = pn.widgets.Checkbox.from_param(self.param.descending, name="Higher is better")
        every = pn.widgets.Checkbox.from_param(self.param.every_run,
                                               name="Rank every run (MLflow sorts; slow with many runs)")
        metric_columns = pn.widgets.MultiChoice.from_param(self.param.metric_columns, name="Metric columns",
                                                           width=320)
        param_columns = pn.widgets.MultiChoice.from_param(self.param.param_columns, name="Parameter columns",
                                                          width=320)
        return pn.Column(heading("Experiments & models", "page-experiments"),
                         pn.pane.HTML("<h2 style='font-size:1.17em;margin:.3em 0'>Runs</h2>"), pn.Row(metric, order, every),
                         pn.Row(metric_columns, param_columns),
                         self._leaderboard, pn.pane.HTML("<h2 style='font-size:1.17em;margin:.3em 0'>Registered models</h2>"),
                         self._models(), sizing_mode="stretch_width")



def _duration(run: dict) -> str:
    """How long a run took, in words ("42 s", "3 min 5 s"); "running" while it runs."""
    if run["status"] == "RUNNING":
        return "running"
    start, end = moment(run.get("start_time")), moment(run.get("end_time"))
    if start is None or end is None:
        return "—"
    seconds = (end - start).total_seconds()
    return "< 1 s" if seconds < 1 else seconds_text(seconds)   # the service's times are whole seconds


def _data_versions(run: dict) -> str:
    """The datasets a run read, each with the start of its version's digest."""
    return ", ".join(f"{d['name']} @{d['digest'][:8]}" if d.get("digest") else d["name"]
                     for d in run["datasets"]) or "—"


def _checks(checks: dict) -> str:
    if checks["status"] == "none":
        return "—"
    return f"{checks['passed']} passed, {checks['failed']} failed"
