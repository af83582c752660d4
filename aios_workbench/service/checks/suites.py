"""The quality suites and monitors of governance/checks.yaml a user may see (those over datasets he may read:
which datasets have suites, and their rules and accepted values, are facts about the data), and running
one suite so that a broken one is reported and recorded while the others still run."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aios_workbench.checks.quality import RunSQL
from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.checks.suites import Suite, describe_checks, workspace_suites
from aios_workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


def visible_datasets(service: WorkbenchService, user: str) -> Callable[[str], bool]:
    """Whether `user` may read a dataset a suite names; a name the catalog does not know counts as visible
    (it reveals nothing, and its suite fails on its own)."""
    readable = {entry["name"].lower() for entry in service.catalog.readable(user)}
    catalog = service.queries.catalog()

    def visible(dataset: str) -> bool:
        try:
            entry = catalog.resolve(tuple(str(dataset).split(".")))
        except WorkbenchError:
            return True
        return entry.full_name.lower() in readable
    return visible


def visible_suites(service: WorkbenchService, user: str) -> dict[str, Suite]:
    """The suites of governance/checks.yaml whose dataset `user` may see (`visible_datasets`)."""
    visible = visible_datasets(service, user)
    return {name: suite for name, suite in workspace_suites(service.workspace).items() if visible(suite.dataset)}


def declared_checks(service: WorkbenchService, user: str) -> dict[str, Any]:
    """The quality suites and monitors declared in governance/checks.yaml over datasets `user` may read."""
    visible = visible_datasets(service, user)
    declared = describe_checks(service.workspace)
    return {kind: [c for c in checks if visible(c["dataset"])] for kind, checks in declared.items()}


def canonical(service: WorkbenchService, suite: Suite) -> Suite:
    """The suite with its dataset named source.schema.dataset, so ledger history groups one dataset once."""
    try:
        entry = service.queries.catalog().resolve(tuple(suite.dataset.split(".")))
    except WorkbenchError:
        return suite  # the run itself reports the unknown dataset, as this user sees it
    return dataclasses.replace(suite, dataset=entry.full_name)


def run_suite(suite: Suite, run_sql: RunSQL) -> CheckResult:
    """`suite`'s result; a broken suite's is an error result saying what broke and how to fix it."""
    try:
        return suite.run(run_sql)
    except WorkbenchError as exc:
        text = exc.message + (f" (fix: {exc.fix})" if exc.fix else "")
        return CheckResult(kind="quality", name=suite.name, items=[CheckItem("suite", "error", {}, {"error": text})],
                           inputs={suite.dataset: {}}, params={"dataset": suite.dataset},
                           required=suite.required, severity=suite.severity, error=text)
