"""Run labels no two runs of a listing share: what a table shows in its "Run" column.

MLflow lets many runs carry one name (a notebook re-run ten times makes ten "train" runs), so a name alone
does not tell rows apart. A repeated name gets the one parameter whose values differ between exactly those
runs ("train (max_depth=5)"), else the first characters of its id ("train · 1a2b3c4d"); a run without a name
is its short id. The sidebar computes the same labels over the runs it has loaded (extension/src/runsTableModel.ts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SHORT_ID = 8


def short_id(run_id: str) -> str:
    return run_id[:SHORT_ID]


def unique_labels(runs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Run id -> a label no other run of `runs` has (each run a summary: `id`, `name`, `params`)."""
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for run in runs:
        by_name.setdefault(run.get("name") or "", []).append(run)
    labels: dict[str, str] = {}
    for name, group in by_name.items():
        if not name:
            labels.update({r["id"]: short_id(r["id"]) for r in group})
        elif len(group) == 1:
            labels[group[0]["id"]] = name
        else:
            keys = sorted({k for r in group for k in r.get("params") or {}})
            telling = next((k for k in keys if all(k in (r.get("params") or {}) for r in group)
                            and len({r["params"][k] for r in group}) == len(group)), None)
            for r in group:
                labels[r["id"]] = f"{name} ({telling}={r['params'][telling]})" if telling \
                    else f"{name} · {short_id(r['id'])}"
    return labels


def labelled(summaries: list[dict]) -> list[dict]:
    """`summaries` with each one's `label` set (unique among them)."""
    labels = unique_labels(summaries)
    for summary in summaries:
        summary["label"] = labels[summary["id"]]
    return summaries
