"""Catalog entries and name resolution: case-insensitive, unknown names are errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from aios_workbench.core.errors import NotFound, UsageError


@dataclass(frozen=True)
class TagSource:
    """Where one of a column's tags came from: `origin` is policy, scan, lineage, unverified (a written column
    of unknown lineage whose writer read raw values so tagged) or kept (earned earlier: a scan of older data
    or an earlier write); `detail` says it in words."""

    tag: str
    origin: str
    detail: str
    confidence: float = 1.0   # the scan's confidence in its verdict; 1 for a human's word or lineage

    def to_dict(self) -> dict:
        return {"tag": self.tag, "origin": self.origin, "detail": self.detail, "confidence": self.confidence}


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    data_type: str
    classifications: tuple[str, ...] = ()
    sources: tuple[TagSource, ...] = ()    # one per classification, in the same order
    description: str = ""
    # where the description came from: "policy" (a steward's, in governance/policy.yaml), "source" (the
    # database's own comment, read by the scan), "" when there is none
    description_origin: str = ""


@dataclass(frozen=True)
class CatalogEntry:
    """One governed dataset, with what the governance files say about it."""

    source: str
    schema: str
    name: str
    kind: str
    columns: tuple[ColumnInfo, ...]
    description: str = ""
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    row_count: int | None = None
    description_origin: str = ""   # as ColumnInfo.description_origin: policy, source or ""

    @property
    def full_name(self) -> str:
        return f"{self.source}.{self.schema}.{self.name}"

    def column(self, name: str) -> ColumnInfo | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    def to_dict(self) -> dict:
        return {
            "name": self.full_name, "source": self.source, "schema": self.schema, "dataset": self.name,
            "kind": self.kind, "description": self.description, "description_origin": self.description_origin,
            "owners": list(self.owners), "tags": list(self.tags), "row_count": self.row_count,
            "columns": [{"name": c.name, "type": c.data_type, "description": c.description,
                         "description_origin": c.description_origin, "classifications": list(c.classifications),
                         "tag_sources": [s.to_dict() for s in c.sources]} for c in self.columns],
        }


@dataclass
class Catalog:
    """All datasets, looked up by 1-, 2- or 3-part names, case-insensitively."""

    entries: list[CatalogEntry] = field(default_factory=list)
    # what the governance files say that does not fit the scanned catalog (e.g. a description of a column the
    # dataset does not have): told, not refused, since the next scan may bring the column; every load carries
    # them all, the log has each once per process (`catalog.load`)
    warnings: tuple[str, ...] = ()

    def __post_init__(self):
        self._by_full = {e.full_name.lower(): e for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, parts: tuple[str, ...]) -> list[CatalogEntry]:
        p = [x.lower() for x in parts]
        if len(p) == 3:
            entry = self._by_full.get(".".join(p))
            return [entry] if entry else []
        if len(p) == 2:  # source.dataset, or schema.dataset
            return [e for e in self.entries if e.name.lower() == p[1]
                    and (e.source.lower() == p[0] or e.schema.lower() == p[0])]
        if len(p) == 1:
            return [e for e in self.entries if e.name.lower() == p[0]]
        return []

    def resolve(self, parts: tuple[str, ...]) -> CatalogEntry:
        """The dataset `parts` names; unknown or ambiguous names are errors."""
        name = ".".join(parts)
        found = self.candidates(parts)
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFound(f"unknown dataset {name!r}",
                           fix="use a dataset from `aios catalog ls` (source.schema.dataset); run "
                           "`aios catalog scan` if the source is new", input=name)
        raise UsageError(f"dataset name {name!r} is ambiguous: "
                         + ", ".join(sorted(e.full_name for e in found)),
                         fix="qualify it as source.schema.dataset", input=name)
