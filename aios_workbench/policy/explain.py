"""`aios policy explain USER DATASET`: what a user sees of a dataset, and which rule says so, in words."""

from __future__ import annotations

from aios_workbench.core.errors import PermissionDenied
from aios_workbench.policy.enforce import PolicyEngine
from aios_workbench.policy.wording import access_summary, join_words, mask_words, tag_noun


def explain(policy_file, catalog, user: str, dataset: str, *, agent: bool = False) -> dict:
    """What `user` (acting through an AI agent, with `agent`) sees of `dataset`, column by column.

    Each rule is named by its label (`policy/wording.py`); `summary` says in one sentence what
    applied to this user (masks, row filter, or nothing)."""
    policy = PolicyEngine(policy_file)
    entry = catalog.resolve(tuple(dataset.split(".")))
    result = {"user": user, "dataset": entry.full_name, "allowed": False, "rule": "", "roles": [],
              "columns": [], "row_filter": None, "summary": ""}
    try:
        principal = policy.principal(user, agent=agent)
    except PermissionDenied as exc:
        result["rule"] = result["summary"] = exc.message
        return result
    result["roles"] = sorted(principal.roles)
    try:
        view = policy.view(principal, entry)
    except PermissionDenied as exc:  # a row filter needs an attribute the user lacks
        result["rule"] = result["summary"] = exc.message
        return result
    result["allowed"], result["rule"] = view.allowed, view.rule
    if not view.allowed:
        result["summary"] = f"You may not read {entry.full_name}: {view.rule}."
        return result
    columns = []
    for c in entry.columns:
        method, rule = view.masks.get(c.name, (None, None))
        columns.append({
            "name": c.name, "type": c.data_type, "description": c.description,
            "description_origin": c.description_origin, "classifications": list(c.classifications),
            "about": join_words([tag_noun(t) for t in c.classifications]),
            "tags": [s.to_dict() for s in c.sources],
            "mask": method, "rule": rule, "shows": mask_words(method) if method else None})
    result["columns"] = columns
    predicate = None
    if view.row_filter is not None:
        predicate = view.row_filter.sql(dialect="duckdb")
        result["row_filter"] = {"predicate": predicate, "rule": view.row_filter_rule}
    result["summary"] = access_summary([c["name"] for c in columns if c["mask"]], predicate)
    return result
