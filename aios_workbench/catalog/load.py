"""Read the catalog from the metadata store, joined with the governance files' metadata.

A column's classifications are: the tags policy.yaml confirms (`columns`), plus the
scan's automatic verdicts, minus the tags policy.yaml rejects
(`rejected_classifications`). Human decisions live only in the policy file, and the
scan stores only its own verdicts, so a rescan never discards a human decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from aios_workbench.catalog.classify import Classification
from aios_workbench.catalog.model import Catalog, CatalogEntry, ColumnInfo
from aios_workbench.store.models import Dataset, DatasetColumn

POLICY_EVIDENCE = "confirmed in governance/policy.yaml"


@dataclass(frozen=True)
class ColumnClassifications:
    """What applies to one column (`kept`, policy-confirmed first) and which auto verdicts a human rejected."""

    kept: tuple[Classification, ...] = ()
    rejected: tuple[Classification, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(c.tag for c in self.kept)

    def to_dict(self) -> dict:
        return {"classifications": [c.to_dict() for c in self.kept],
                "rejected": [c.to_dict() for c in self.rejected]}


def merge_classifications(stored: list, confirmed: tuple[str, ...] = (),
                          rejected: tuple[str, ...] = ()) -> ColumnClassifications:
    """policy-confirmed ∪ auto − rejected, for one column."""
    auto = [Classification.from_dict(x) if isinstance(x, dict) else Classification(str(x), 1.0, "")
            for x in stored or ()]
    by_tag = {a.tag: a for a in auto}
    kept = []
    for tag in dict.fromkeys(confirmed):
        agrees = by_tag.get(tag)
        evidence = POLICY_EVIDENCE + (f"; the scan agrees ({agrees.confidence:.2f}): {agrees.evidence}"
                                      if agrees else "")
        kept.append(Classification(tag, 1.0, evidence, "policy"))
    refused = set(rejected)
    kept += [a for a in auto if a.tag not in refused and a.tag not in confirmed]
    return ColumnClassifications(tuple(kept), tuple(a for a in auto if a.tag in refused))


def _policy_by_name(policy) -> dict:
    return {name.lower(): value for name, value in policy.datasets.items()}


def _column_decisions(meta) -> tuple[dict, dict]:
    if meta is None:
        return {}, {}
    return ({k.lower(): v for k, v in meta.columns.items()},
            {k.lower(): v for k, v in meta.rejected_classifications.items()})


def load_catalog(store, policy) -> Catalog:
    """Every scanned dataset, with owners, descriptions, tags and column
    classifications from `governance/policy.yaml` (keys matched case-insensitively)
    merged with the scan's automatic ones."""
    info = _policy_by_name(policy)
    with store.session() as session:
        datasets = session.scalars(select(Dataset).order_by(Dataset.source, Dataset.schema_name, Dataset.name)).all()
        columns: dict[int, list[DatasetColumn]] = {}
        for column in session.scalars(select(DatasetColumn).order_by(DatasetColumn.dataset_id,
                                                                       DatasetColumn.position)):
            columns.setdefault(column.dataset_id, []).append(column)
    entries = []
    for d in datasets:
        meta = info.get(f"{d.source}.{d.schema_name}.{d.name}".lower())
        confirmed, rejected = _column_decisions(meta)
        cols = tuple(ColumnInfo(c.name, c.data_type, merge_classifications(
                         c.classifications, confirmed.get(c.name.lower(), ()), rejected.get(c.name.lower(), ())).tags)
                     for c in columns.get(d.id, []))
        entries.append(CatalogEntry(
            source=d.source, schema=d.schema_name, name=d.name, kind=d.kind, columns=cols,
            description=(meta.description if meta else "") or d.description,
            owners=meta.owners if meta else (), tags=meta.tags if meta else (), row_count=d.row_count))
    return Catalog(entries)


def load_classifications(store, policy, entry: CatalogEntry) -> dict[str, ColumnClassifications]:
    """Each column of `entry` with its classifications in full (tag, confidence, evidence,
    source) and the auto verdicts a human rejected: for the dataset view and `catalog show`."""
    confirmed, rejected = _column_decisions(_policy_by_name(policy).get(entry.full_name.lower()))
    with store.session() as session:
        rows = session.execute(
            select(DatasetColumn.name, DatasetColumn.classifications)
            .join(Dataset, Dataset.id == DatasetColumn.dataset_id)
            .where(Dataset.source == entry.source, Dataset.schema_name == entry.schema, Dataset.name == entry.name)
            .order_by(DatasetColumn.position)).all()
    return {name: merge_classifications(stored, confirmed.get(name.lower(), ()), rejected.get(name.lower(), ()))
            for name, stored in rows}
