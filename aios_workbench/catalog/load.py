"""Read the catalog from the metadata store, joined with the governance files' metadata."""

from __future__ import annotations

from sqlalchemy import select

from ..store.models import Dataset, DatasetColumn
from .model import Catalog, CatalogEntry, ColumnInfo


def load_catalog(store, policy) -> Catalog:
    """Every scanned dataset, with owners, descriptions, tags and column
    classifications from `governance/policy.yaml` (keys matched case-insensitively)."""
    info = {name.lower(): value for name, value in policy.datasets.items()}
    with store.session() as session:
        datasets = session.scalars(select(Dataset).order_by(Dataset.source, Dataset.schema_name, Dataset.name)).all()
        columns: dict[int, list[DatasetColumn]] = {}
        for column in session.scalars(select(DatasetColumn).order_by(DatasetColumn.dataset_id,
                                                                       DatasetColumn.position)):
            columns.setdefault(column.dataset_id, []).append(column)
    entries = []
    for d in datasets:
        meta = info.get(f"{d.source}.{d.schema_name}.{d.name}".lower())
        tagged = {k.lower(): v for k, v in (meta.columns if meta else {}).items()}
        cols = tuple(ColumnInfo(c.name, c.data_type,
                                tuple(dict.fromkeys([*c.classifications, *tagged.get(c.name.lower(), ())])))
                     for c in columns.get(d.id, []))
        entries.append(CatalogEntry(
            source=d.source, schema=d.schema_name, name=d.name, kind=d.kind, columns=cols,
            description=(meta.description if meta else "") or d.description,
            owners=meta.owners if meta else (), tags=meta.tags if meta else (), row_count=d.row_count))
    return Catalog(entries)
