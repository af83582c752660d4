"""The Quality & drift page's read model: every check result a reader may see (quality suites, drift checks,
monitors, fairness checks, model explanations) grouped by check, each with its latest verdict and its history,
a summary that counts every one of them, and a drift run as a person reads it.

Pure functions over ledger entries as `checks.history` returns them (already governed, each with its `label`
and `verdict` sentence), so the local dashboard and a team dashboard reading `check_history` over REST
present the same thing. Wording of single items is `checks.display.item_words`, the kernel's own.
"""

from __future__ import annotations

from typing import Any

from aios_workbench.checks.display import item_words
from aios_workbench.checks.result import DATASET_DRIFT, CheckItem, failing_first

CATEGORIES = ("quality", "drift", "monitor", "fairness", "explain")
TITLES = {"quality": "Quality suites", "drift": "Drift checks", "monitor": "Monitors", "fairness": "Fairness checks",
          "explain": "Model explanations"}
NOUNS = {"quality": ("quality suite", "quality suites"), "drift": ("drift check", "drift checks"),
         "monitor": ("monitor", "monitors"), "fairness": ("fairness check", "fairness checks"),
         "explain": ("model explanation", "model explanations")}
WORDS = {"pass": "passed", "warn": "passed with warnings", "fail": "failed", "error": "could not run",
         "never": "not run yet"}
HISTORY_SHOWN = 20   # the newest runs of a check drawn in its history strip


def category(run: dict[str, Any]) -> str:
    """The kind of check a ledger entry is, as the page groups them: monitors apart from one-off drift checks."""
    if run["kind"] == "drift" and str(run["name"]).startswith("monitor:"):
        return "monitor"
    return run["kind"] if run["kind"] in TITLES else "quality"


def _plural(n: int, cat: str) -> str:
    one, many = NOUNS.get(cat, ("check", "checks"))
    return f"{n} {one if n == 1 else many}"


def overview(runs: list[dict[str, Any]], declared: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """`runs` (newest first) grouped by check: [{key, category, label, name, datasets, latest, history, runs,
    failed_runs}] in category order, newest first within one; and a summary counting each check's latest
    verdict (a declared suite or monitor that never ran counts as "not run yet")."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        key = (run["kind"], run["name"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"key": f"{run['kind']}:{run['name']}", "category": category(run),
                                   "label": run.get("label") or run["name"], "name": run["name"],
                                   "datasets": run["datasets"], "latest": run, "status": run["status"],
                                   "history": [], "runs": 0, "failed_runs": 0}
        group["runs"] += 1
        group["failed_runs"] += run["status"] in ("fail", "error")
        if len(group["history"]) < HISTORY_SHOWN:
            group["history"].append({"id": run["id"], "at": run["at"], "status": run["status"]})
    for kind, cat, prefix in (("suites", "quality", ""), ("monitors", "monitor", "monitor:")):
        for spec in (declared or {}).get(kind, []):
            name = prefix + spec["name"]
            if not any(g["name"] == name for g in groups.values()):
                label = f"Monitor {spec['name']}" if prefix else spec["name"]
                groups[(cat, name)] = {"key": f"{cat}:{name}", "category": cat, "label": label, "name": name,
                                       "datasets": [spec["dataset"].lower()], "latest": None, "status": "never",
                                       "history": [], "runs": 0, "failed_runs": 0,
                                       "description": spec.get("description") or ""}
    checks = sorted(groups.values(), key=lambda g: CATEGORIES.index(g["category"]))
    return {"checks": checks, "summary": summary(checks, runs=len(runs))}


def summary(checks: list[dict[str, Any]], *, runs: int) -> dict[str, Any]:
    """Counts of the checks' latest verdicts, overall and per category, and a sentence saying them."""
    counts = {status: sum(g["status"] == status for g in checks) for status in WORDS}
    failing = [g for g in checks if g["status"] in ("fail", "error")]
    per_category = {cat: {"checks": sum(g["category"] == cat for g in checks),
                          "failed": sum(g["category"] == cat for g in failing)} for cat in CATEGORIES}
    parts = [f"{counts[s]} {WORDS[s]}" for s in ("pass", "warn", "fail", "error", "never") if counts[s]]
    sentence = f"{len(checks)} checks: " + ", ".join(parts) + "." if checks else "No checks yet."
    if failing:
        which = [_plural(c["failed"], cat) for cat, c in per_category.items() if c["failed"]]
        sentence += " Failing now: " + ", ".join(which) + "."
    return {"checks": len(checks), "runs": runs, **{WORDS[s].replace(" ", "_"): n for s, n in counts.items()},
            "failing": len(failing), "by_category": per_category, "sentence": sentence}


def _column(item: dict[str, Any]) -> dict[str, Any]:
    """One drift column in words: its test, statistic, threshold and verdict, with its distributions."""
    metrics, detail = item.get("metrics") or {}, item.get("detail") or {}
    test, statistic, words = item_words("drift", CheckItem(item["name"], item["status"], metrics, detail))
    return {"column": item["name"], "status": item["status"],
            "verdict": {"fail": "drifted", "pass": "no drift", "error": "not tested"}.get(item["status"],
                                                                                        item["status"]),
            "test": test, "statistic": statistic, "threshold": metrics.get("threshold"), "why": words,
            "kind": detail.get("kind"), "distribution": detail.get("distribution")}


def drift_report(run: dict[str, Any]) -> dict[str, Any]:
    """A drift run (a monitor's included) as a person reads it: how many columns drifted and the share
    needed for the dataset to drift, the verdict and why (the ledger's sentence), and per column, drifted
    ones first, the test, statistic, threshold and verdict in words, with reference and current shares."""
    items = run.get("items") or []
    overall = next((i for i in items if i["name"] == DATASET_DRIFT), None)
    columns = [_column(i) for i in items if i is not overall]
    columns.sort(key=lambda c: {"fail": 0, "error": 1}.get(c["status"], 2))
    metrics = (overall or {}).get("metrics") or {}
    tested = [c for c in columns if c["status"] != "error"]
    drifted = [c["column"] for c in tested if c["status"] == "fail"]
    params = run.get("params") or {}
    return {"tested": len(tested), "drifted": drifted,
            "share": metrics.get("share", len(drifted) / len(tested) if tested else None),
            "share_needed": metrics.get("threshold", params.get("drift_share")),
            "dataset_drifted": (overall or {}).get("status") == "fail", "status": run["status"],
            "why": run.get("verdict") or "", "columns": columns, "skipped": params.get("skipped") or {},
            "windows": params.get("windows"), "withheld": run.get("withheld")}


def item_rows(run: dict[str, Any]) -> dict[str, Any]:
    """A quality, fairness or explanation run's items in words, failing ones first: name, status, test or
    rule, value, why, and the failing example rows the service let through."""
    rows = []
    for item in failing_first(run.get("items") or []):
        metrics, detail = item.get("metrics") or {}, item.get("detail") or {}
        test, value, why = item_words(run["kind"], CheckItem(item["name"], item["status"], metrics, detail))
        examples = [e for e in detail.get("examples") or [] if isinstance(e, dict)]
        rows.append({"name": item["name"], "status": item["status"], "test": test, "value": value,
                     "why": why or str(detail.get("note") or ""), "examples": examples})
    return {**run, "rows": rows}
