"""Read the catalog from the metadata store, joined with the governance files' metadata.

A column's classifications are: the tags policy.yaml confirms (`columns`), plus the
scan's automatic verdicts, plus the tags the column has earned before (`column_tags`:
found by an earlier scan, inherited through column lineage by a write), minus the tags
policy.yaml rejects (`rejected_classifications`) and those a steward removed (`aios
catalog untag`; a removal holds against the scan's verdicts, new lineage earns the tag
again). Human decisions live only in the policy file and the removal records, and the
scan stores only its own verdicts, so a rescan never discards a human decision; and
since earned tags are kept, a rescan or a write never drops a tag either.

Descriptions, of a dataset and of each column, are the steward's (policy.yaml `description`,
`column_descriptions`) where given, else the source's own comment the scan stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from aios_workbench.catalog.classify import Classification
from aios_workbench.catalog.model import Catalog, CatalogEntry, ColumnInfo, TagSource
from aios_workbench.store.models import ColumnTag, Dataset, DatasetColumn

POLICY_EVIDENCE = "confirmed in governance/policy.yaml"
# the order a tag's provenance is told in when it has several: a human's word, then a write's lineage
ORIGINS = ("policy", "lineage", "unverified", "auto", "kept")
log = logging.getLogger(__name__)
# the warnings this process has logged: the catalog reloads on every scan and policy change (in each of the
# service's callers), and a warning is news once; `Catalog.warnings` still carries them all on every load
_logged: set[str] = set()
_logged_lock = threading.Lock()


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

    def sources(self) -> tuple[TagSource, ...]:
        """Each kept tag with where it came from, as the catalog shows it."""
        return tuple(TagSource(c.tag, "scan" if c.source == "auto" else c.source, c.evidence, c.confidence)
                     for c in self.kept)


@dataclass(frozen=True)
class Earned:
    """A tag a column earned earlier (a `column_tags` row): origin scan, lineage or unverified."""

    tag: str
    origin: str
    detail: str
    active: bool = True


def merge_classifications(stored: list, confirmed: tuple[str, ...] = (), rejected: tuple[str, ...] = (),
                          earned: tuple[Earned, ...] = ()) -> ColumnClassifications:
    """policy-confirmed ∪ auto ∪ earned − rejected − removed, for one column.

    `rejected` (policy.yaml) refuses a tag whatever found it; a steward's removal (an earned row no longer
    active) refuses the scan's verdict, until new lineage makes the row active again."""
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
    removed = {e.tag for e in earned if not e.active}
    found: dict[str, Classification] = {}
    for e in earned:
        if e.active and e.tag not in refused and e.tag not in confirmed:
            origin = "kept" if e.origin == "scan" else e.origin
            detail = f"kept from earlier: {e.detail}" if e.origin == "scan" else e.detail
            found.setdefault(e.tag, Classification(e.tag, 1.0, detail, origin))
    for a in auto:
        if a.tag in refused or a.tag in confirmed or (a.tag in removed and a.tag not in found):
            continue
        if a.tag not in found or found[a.tag].source == "kept":
            found[a.tag] = a
    kept += sorted(found.values(), key=lambda c: ORIGINS.index(c.source) if c.source in ORIGINS else len(ORIGINS))
    return ColumnClassifications(tuple(kept), tuple(a for a in auto if a.tag in refused or
                                                    (a.tag in removed and a.tag not in found)))


def _policy_by_name(policy) -> dict:
    return {name.lower(): value for name, value in policy.datasets.items()}


def _column_decisions(meta) -> tuple[dict, dict]:
    if meta is None:
        return {}, {}
    return ({k.lower(): v for k, v in meta.columns.items()},
            {k.lower(): v for k, v in meta.rejected_classifications.items()})


def described(steward: str, source: str) -> tuple[str, str]:
    """A description and where it came from: the steward's word wins over the source's comment."""
    if steward:
        return steward, "policy"
    return (source, "source") if source else ("", "")


def _unknown_described(full_name: str, meta, columns: list) -> list[str]:
    """Warnings for `column_descriptions` naming a column the dataset does not have (a typo, or a column dropped
    since): told, not refused, as a description harms nothing and the next scan may bring the column."""
    have = {c.name.lower() for c in columns}
    return [f"governance/policy.yaml describes column {column!r} of {full_name}, which has no such column "
            f"(its columns: {', '.join(c.name for c in columns) or 'none'})"
            for column in (meta.column_descriptions if meta else {}) if column.lower() not in have]


def earned_tags(session, where=None) -> dict[tuple[str, str], tuple[Earned, ...]]:
    """(source.schema.dataset, column), both lower-cased -> the tags that column earned, of every dataset
    (or those `where` selects)."""
    query = select(ColumnTag.source, ColumnTag.schema_name, ColumnTag.dataset, ColumnTag.column, ColumnTag.tag,
                   ColumnTag.origin, ColumnTag.detail, ColumnTag.state).order_by(ColumnTag.id)
    if where is not None:
        query = query.where(*where)
    out: dict[tuple[str, str], list[Earned]] = {}
    for source, schema, dataset, column, tag, origin, detail, state in session.execute(query):
        out.setdefault((f"{source}.{schema}.{dataset}".lower(), column.lower()), []).append(
            Earned(tag, origin, detail, state == "active"))
    return {k: tuple(v) for k, v in out.items()}


def load_catalog(store, policy, system_schemas: Mapping[str, frozenset[str]] | None = None) -> Catalog:
    """Every scanned dataset, with owners, descriptions, tags and column
    classifications from `governance/policy.yaml` (keys matched case-insensitively)
    merged with the scan's automatic ones and the tags columns earned before.
    `system_schemas`: per source, the server's own catalogs (`Connector.system_schemas`), left out even when
    a scan of an earlier version stored them, so an upgraded workspace never serves them before its next scan."""
    info = _policy_by_name(policy)
    hidden = {source: {s.lower() for s in schemas} for source, schemas in (system_schemas or {}).items()}
    with store.session() as session:
        datasets = session.scalars(select(Dataset).order_by(Dataset.source, Dataset.schema_name, Dataset.name)).all()
        columns: dict[int, list[DatasetColumn]] = {}
        for column in session.scalars(select(DatasetColumn).order_by(DatasetColumn.dataset_id,
                                                                       DatasetColumn.position)):
            columns.setdefault(column.dataset_id, []).append(column)
        earned = earned_tags(session)
    entries, warnings = [], []
    for d in datasets:
        if d.schema_name.lower() in hidden.get(d.source, ()):
            continue
        full = f"{d.source}.{d.schema_name}.{d.name}".lower()
        meta = info.get(full)
        confirmed, rejected = _column_decisions(meta)
        steward = {k.lower(): v for k, v in meta.column_descriptions.items()} if meta else {}
        cols = []
        for c in columns.get(d.id, []):
            merged = merge_classifications(c.classifications, confirmed.get(c.name.lower(), ()),
                                           rejected.get(c.name.lower(), ()), earned.get((full, c.name.lower()), ()))
            text, origin = described(steward.get(c.name.lower(), ""), c.description or "")
            cols.append(ColumnInfo(c.name, c.data_type, merged.tags, merged.sources(), text, origin))
        text, origin = described(meta.description if meta else "", d.description or "")
        warnings += _unknown_described(f"{d.source}.{d.schema_name}.{d.name}", meta, columns.get(d.id, []))
        entries.append(CatalogEntry(
            source=d.source, schema=d.schema_name, name=d.name, kind=d.kind, columns=tuple(cols),
            description=text, description_origin=origin,
            owners=meta.owners if meta else (), tags=meta.tags if meta else (), row_count=d.row_count))
    _log_once(warnings)
    return Catalog(entries, warnings=tuple(warnings))


def _log_once(warnings: Iterable[str]) -> None:
    """Log each warning this process has not logged yet (a fixed one that comes back is not logged again)."""
    with _logged_lock:
        fresh = [w for w in dict.fromkeys(warnings) if w not in _logged]
        _logged.update(fresh)
    for warning in fresh:
        log.warning(warning)


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
        earned = earned_tags(session, (ColumnTag.source == entry.source, ColumnTag.schema_name == entry.schema,
                                       ColumnTag.dataset == entry.name))
    full = entry.full_name.lower()
    return {name: merge_classifications(stored, confirmed.get(name.lower(), ()), rejected.get(name.lower(), ()),
                                        earned.get((full, name.lower()), ()))
            for name, stored in rows}
