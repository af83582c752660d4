"""What the Quality page and the sidebar's Checks show of the ledger a reader may see: the checks grouped
with their latest verdict and history (`quality_view.overview`), and one run as a person reads it."""

from __future__ import annotations

from typing import Any

from aios_workbench.core.errors import NotFound
from aios_workbench.service.dashboard import quality_view
from aios_workbench.tracking.registry import DECISION_KINDS

LATEST_KEYS = ("id", "at", "status", "user", "verdict", "notebook", "kind", "required")


def grouped_checks(history: list[dict[str, Any]], declared: dict[str, list[dict[str, Any]]], *,
                   dataset: str | None, kind: str | None, notebook: str | None) -> dict[str, Any]:
    """`history` (governed ledger runs, newest first) grouped by check; `declared` suites and monitors that
    never ran are listed as not run yet (none with `notebook`: only runs it recorded are shown)."""
    runs = [r for r in history if r["kind"] not in DECISION_KINDS]
    if notebook:
        runs = [r for r in runs if same_notebook(r.get("notebook"), notebook)]
        declared = {}
    wanted = {"suites": kind in (None, "quality"), "monitors": kind in (None, "drift")}
    declared = {key: [c for c in checks if wanted.get(key)
                      and (dataset is None or c["dataset"].lower() == dataset.lower())]
                for key, checks in declared.items()}
    view = quality_view.overview(runs, declared)
    for group in view["checks"]:
        latest = group["latest"]
        group["latest"] = None if latest is None else {key: latest.get(key) for key in LATEST_KEYS}
        group.setdefault("description", "")
    return {**view, "newest_id": runs[0]["id"] if runs else None, "titles": quality_view.TITLES,
            "words": quality_view.WORDS}


def run_report(history: list[dict[str, Any]], run_id: int) -> dict[str, Any]:
    """Run `run_id`, the first of `history` (read up to it), as a person reads it: a drift run's summary and
    columns (`quality_view.drift_report`), any other run's items in words (`quality_view.item_rows`)."""
    if not history or history[0]["id"] != run_id:
        raise NotFound(f"no check run {run_id} among those you may see", input=str(run_id),
                       fix="pick a run from the Checks list (`aios check history`)")
    run = history[0]
    if run["kind"] == "drift":
        return {"run": run, "drift": quality_view.drift_report(run), "rows": None}
    return {"run": run, "drift": None, "rows": quality_view.item_rows(run)["rows"]}


def same_notebook(recorded: object, current: str) -> bool:
    """Whether a run recorded for `recorded` (as a kernel or a job named it) belongs to the notebook open at
    `current` (relative to the server's root); a longer recorded path matches when it ends with it."""
    if not isinstance(recorded, str) or not recorded or not current:
        return False
    a, b = (p.replace("\\", "/").removeprefix("./").lstrip("/") for p in (recorded, current))
    return a == b or a.endswith("/" + b)
