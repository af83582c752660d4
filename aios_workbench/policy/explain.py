"""`aios policy explain USER DATASET`: what a user sees of a dataset, and which rule says so."""

from __future__ import annotations

from aios_workbench.core.errors import PermissionDenied
from aios_workbench.policy.enforce import PolicyEngine


def explain(policy_file, catalog, user: str, dataset: str, *, agent: bool = False) -> dict:
    """What `user` (acting through an AI agent, with `agent`) sees of `dataset`, column by column."""
    policy = PolicyEngine(policy_file)
    entry = catalog.resolve(tuple(dataset.split(".")))
    result = {"user": user, "dataset": entry.full_name, "allowed": False, "rule": "", "roles": [],
              "columns": [], "row_filter": None}
    try:
        principal = policy.principal(user, agent=agent)
    except PermissionDenied as exc:
        result["rule"] = exc.message
        return result
    result["roles"] = sorted(principal.roles)
    try:
        view = policy.view(principal, entry)
    except PermissionDenied as exc:  # a row filter needs an attribute the user lacks
        result["rule"] = exc.message
        return result
    result["allowed"], result["rule"] = view.allowed, view.rule
    if view.allowed:
        result["columns"] = [
            {"name": c.name, "type": c.data_type, "classifications": list(c.classifications),
             "mask": view.masks[c.name][0] if c.name in view.masks else None,
             "rule": view.masks[c.name][1] if c.name in view.masks else None}
            for c in entry.columns]
        if view.row_filter is not None:
            result["row_filter"] = {"predicate": view.row_filter.sql(dialect="duckdb"), "rule": view.row_filter_rule}
    return result
