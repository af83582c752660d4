"""A ledger entry as a reader may see it (service/visibility.py decides): whole, its verdicts only, or not
at all; and in words (its label and verdict sentence), as every surface shows it."""

from __future__ import annotations

import re
from typing import Any

from aios_workbench.checks.result import check_label, verdict_sentence
from aios_workbench.service.visibility import Reader
from aios_workbench.tracking.registry import DECISION_KINDS

WITHHELD_ERROR = "the check ended in an error; its message is shown only to readers who see its data as its runner did"
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


def without_literals(text: Any) -> Any:
    """`text` with its quoted string literals replaced (a check named after a SELECT quotes its probes)."""
    return _STRING_LITERAL.sub("'…'", text) if isinstance(text, str) else text


def _verdicts_only(run: dict[str, Any], reason: str) -> dict[str, Any]:
    """A ledger entry reduced to what it decided: names and statuses; no counts, statistics, labels, examples,
    inputs or params, and no error text (a DuckDB error quotes the value it choked on)."""
    items = [{"name": without_literals(i.get("name")), "status": i.get("status"), "metrics": {}, "detail": {}}
             for i in run.get("items") or []]
    return {**run, "name": without_literals(run["name"]), "inputs": None, "params": None, "items": items,
            "error": WITHHELD_ERROR if run.get("error") else None, "withheld": reason}


def governed_entry(reader: Reader, run: dict[str, Any]) -> dict[str, Any] | None:
    """Ledger row `run` as `reader` may see it: None when he may not read one of its datasets; its verdicts
    only when his view of them does not cover its runner's; else whole (failing examples included: they
    were fetched under a view his own covers)."""
    recorded_json = run.pop("writer_views", None)
    datasets = run["datasets"]
    if not reader.may_read_all(datasets):
        return None
    if not datasets:   # read no governed dataset: a model decision, or a check that failed before reading
        if run["kind"] in DECISION_KINDS or run["user"] == reader.user or reader.auditor:
            return {**run, "withheld": None}
        return _verdicts_only(run, "values withheld: this check read no dataset you could be checked against; "
                                   "only its runner and auditors see them")
    recorded = recorded_json if isinstance(recorded_json, dict) else None
    if reader.covers(run["user"], datasets, recorded):
        return {**run, "withheld": None}
    return _verdicts_only(run, f"values withheld: {run['user']} ran this check seeing {', '.join(datasets)} "
                               "with other masks or another row filter than yours; only its verdicts are shown")


def with_words(entry: dict[str, Any]) -> dict[str, Any]:
    """A ledger entry with its `label` (the check's name as a person reads it, never raw SQL) and its
    `verdict` (a sentence saying which items decided its status), as every surface shows them."""
    entry["label"] = check_label(entry["kind"], entry["name"], entry.get("datasets") or ())
    entry["verdict"] = verdict_sentence(entry["kind"], entry["status"], entry.get("items"),
                                        severity=entry.get("severity") or "fail", error=entry.get("error"))
    return entry
