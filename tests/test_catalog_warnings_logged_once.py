"""A catalog warning is logged once per process, not on every reload of the catalog."""

from __future__ import annotations

import logging
import uuid

from aios_workbench.catalog.load import load_catalog
from aios_workbench.policy.model import load_policy
from aios_workbench.store import open_store
from aios_workbench.store.models import Dataset, DatasetColumn


def _describe(workspace, *columns: str):
    """The policy in force after a steward describes `columns` of hr.main.people, which has none of them."""
    described = "".join(f"      {column}: Yearly bonus.\n" for column in columns)
    (workspace.root / "governance" / "policy.yaml").write_text(
        f"datasets:\n  hr.main.people:\n    column_descriptions:\n{described}")
    return load_policy(workspace.governance_dir)


def test_each_catalog_warning_is_logged_once_however_often_the_catalog_reloads(workspace, caplog):
    # columns unique to this test, as another test of the same process may have logged its own warnings
    first, second = f"bonus_{uuid.uuid4().hex[:8]}", f"perk_{uuid.uuid4().hex[:8]}"
    store = open_store(workspace.metadata_url)
    try:
        with store.session() as session, session.begin():
            people = Dataset(source="hr", schema_name="main", name="people", kind="table", description="")
            session.add(people)
            session.flush()
            session.add(DatasetColumn(dataset_id=people.id, name="id", data_type="INTEGER", position=0))

        def logged(column: str) -> int:
            return sum(column in r.getMessage() for r in caplog.records if r.name == "aios_workbench.catalog.load")

        policy = _describe(workspace, first)
        with caplog.at_level(logging.WARNING, logger="aios_workbench.catalog.load"):
            loads = [load_catalog(store, policy) for _ in range(3)]
            assert logged(first) == 1
            # every load still carries the warning for those who show it (`aios catalog`, the REST answer)
            assert all(any(first in w for w in catalog.warnings) for catalog in loads)

            # a new warning is news: logged once too, the old one not again
            policy = _describe(workspace, first, second)
            for _ in range(2):
                catalog = load_catalog(store, policy)
            assert (logged(first), logged(second)) == (1, 1)
            assert sum(first in w or second in w for w in catalog.warnings) == 2
    finally:
        store.close()
