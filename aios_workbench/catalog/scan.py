"""`aios catalog scan`: discover datasets and columns from every declared source.

Incremental: a source whose fingerprint (file sizes and times, or the schema
listing for servers, plus the classifier's version) is unchanged since the last
scan is not rewritten.

Each scanned table is also classified (catalog/classify.py): sampled values are
judged in memory and dropped; only the verdicts are stored, as "auto"
classifications on its columns. Human decisions live in governance/policy.yaml
and are merged when the catalog loads, so a rescan never overwrites them.

Every verdict is also recorded as a tag the column has earned (`column_tags`):
tags only grow, so data that changes (junk rows appended to dilute a column's
personal data below the classifier's threshold) never loses one; only a steward
removes a tag (`aios catalog untag`, or `rejected_classifications`).

The source's own comments on tables, views and columns (`COMMENT ON`) are stored as their descriptions;
a steward's in governance/policy.yaml wins when the catalog loads (catalog/load.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from aios_workbench.catalog import classify
from aios_workbench.connectors.engine import connect
from aios_workbench.store.models import ColumnTag, Dataset, DatasetColumn, utcnow


@dataclass
class ScanReport:
    scanned: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    datasets: int = 0

    def to_dict(self) -> dict:
        return {"scanned": self.scanned, "unchanged": self.unchanged, "failed": self.failed,
                "datasets": self.datasets}


def _file_fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        stat = p.stat()
        digest.update(f"{p}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


Comments = dict[tuple[str, str], tuple[str, dict[str, str]]]
Listing = list[tuple[str, str, str, list[tuple[str, str]]]]


def _listing(con, alias: str, skip: frozenset[str] = frozenset()) -> tuple[Listing, Comments]:
    """(schema, name, kind, [(column, type)]) of every table and view in `alias` outside the schemas in `skip`
    (the server's own catalogs, `Connector.system_schemas`), and the source's own comments
    on them (`COMMENT ON`): (schema, name) -> (table comment, {column: comment}), commented objects only.

    DuckDB's postgres and mysql extensions fill `comment` from the server's catalog (PostgreSQL's
    `obj_description`/`col_description`, MariaDB's TABLE_COMMENT/COLUMN_COMMENT) in the same listing
    queries, so comments cost no extra round trip; SQLite and Parquet have none."""
    objects = con.execute(
        "SELECT schema_name, table_name, 'table', comment FROM duckdb_tables() WHERE database_name = ? "
        "UNION ALL SELECT schema_name, view_name, 'view', comment FROM duckdb_views() "
        "WHERE database_name = ? AND NOT internal ORDER BY 1, 2", [alias, alias]).fetchall()
    columns = con.execute(
        "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = ? ORDER BY schema_name, table_name, column_index", [alias]).fetchall()
    by_table: dict[tuple[str, str], list[tuple[str, str]]] = {}
    comments: Comments = {}
    for schema, table, column, data_type, comment in columns:
        by_table.setdefault((schema, table), []).append((column, data_type))
        if comment and comment.strip():
            comments.setdefault((schema, table), ("", {}))[1][column] = comment.strip()
    for schema, name, _kind, comment in objects:
        if comment and comment.strip():
            comments[(schema, name)] = (comment.strip(), comments.get((schema, name), ("", {}))[1])
    skipped = {name.lower() for name in skip}
    return [(s, n, k, by_table.get((s, n), [])) for s, n, k, _c in objects if s.lower() not in skipped], \
        {key: value for key, value in comments.items() if key[0].lower() not in skipped}


FILE_TYPES = ("files", "datasets", "duckdb", "sqlite")   # fingerprinted by their files, rows counted


def _fingerprint(decl, connector, root: Path, listing, comments: Comments | None = None) -> str:
    options = decl.options
    if decl.type in ("files", "datasets"):
        return _file_fingerprint(connector.files(root))
    if decl.type in ("duckdb", "sqlite"):
        path = Path(options["path"])
        return _file_fingerprint([path if path.is_absolute() else root / path])
    # a comment edited on the server moves the fingerprint too (a source without comments keeps the one it had)
    described = [listing, sorted([list(k), v] for k, v in comments.items())] if comments else listing
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


# What a scan stores besides the classifier's verdicts; a new one rescans every source once (2: comments as
# table and column descriptions, which a file source scanned before would otherwise never load)
LISTING_VERSION = 2


def _versioned(fingerprint: str) -> str:
    """A source fingerprint that also changes with the classifier and with what a scan stores, so a new one
    reclassifies and relists."""
    return hashlib.sha256(f"classifier {classify.VERSION}|listing {LISTING_VERSION}|{fingerprint}".encode()).hexdigest()


def scan_catalog(ws, store, *, force: bool = False, only: set[str] | None = None) -> ScanReport:
    """Scan every declared source (or those named in `only`) into the metadata store's catalog tables."""
    report = ScanReport()
    declared = {d.name for d in ws.connectors}
    with store.session() as session, session.begin():
        # sources no longer declared leave the catalog
        session.execute(delete(Dataset).where(Dataset.source.not_in(declared)))
    for decl in ws.connectors:
        if only is not None and decl.name not in only:
            continue
        con = connect(ws.extension_dir, threads=1, memory_limit="512MB")
        try:
            connector = decl.connector()
            if decl.type in FILE_TYPES:
                # file sources: compare the fingerprint before paying for an attach
                fingerprint = _versioned(_fingerprint(decl, connector, ws.root, None))
                if not force and _stored_fingerprint(store, decl.name) == fingerprint:
                    report.unchanged.append(decl.name)
                    continue
                connector.attach(con, alias=decl.name, root=ws.root)
                listing, comments = _listing(con, decl.name, connector.system_schemas)
            else:
                connector.attach(con, alias=decl.name, root=ws.root)
                listing, comments = _listing(con, decl.name, connector.system_schemas)
                fingerprint = _versioned(_fingerprint(decl, connector, ws.root, listing, comments))
                if not force and _stored_fingerprint(store, decl.name) == fingerprint:
                    report.unchanged.append(decl.name)
                    continue
            verdicts = classify.classify_listing(con, decl.name, listing)
            counts = _row_counts(con, decl.name, listing) if decl.type in FILE_TYPES else {}
            _store_listing(store, decl.name, listing, fingerprint, verdicts, counts, comments)
            report.scanned.append(decl.name)
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop the scan
            # lazy: only when a source fails; connectors package already loaded via connectors.engine
            from aios_workbench.connectors.secrets import scrub
            from aios_workbench.core.logs import redact  # lazy: as above

            report.failed[decl.name] = scrub(redact(str(exc).splitlines()[0]))
        finally:
            con.close()
    with store.session() as session:
        report.datasets = len(session.scalars(select(Dataset.id)).all())
    return report


def _row_counts(con, alias: str, listing) -> dict[tuple[str, str], int]:
    """Exact row counts of local sources (Parquet answers from its footers; DuckDB and SQLite
    files are local). Server databases are not counted at scan: a count(*) there can be slow."""
    # lazy: connectors.builtin (connector types) only for local-file row counts
    from aios_workbench.connectors.builtin import _quote_ident

    counts = {}
    for schema, name, _kind, _columns in listing:
        table = ".".join(_quote_ident(p) for p in (alias, schema, name))
        counts[(schema, name)] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return counts


def _earn(session, source: str, verdicts: dict) -> None:
    """Record each verdict as a tag its column has earned, unless it has one for that tag already (active, or
    removed by a steward: a removal holds against the scan)."""
    known = {(s, d, c.lower(), t) for s, d, c, t in session.execute(
        select(ColumnTag.schema_name, ColumnTag.dataset, ColumnTag.column, ColumnTag.tag)
        .where(ColumnTag.source == source))}
    today = f"{utcnow():%Y-%m-%d}"
    for (schema, name), per_column in verdicts.items():
        for column, found in per_column.items():
            for verdict in found:
                key = (schema, name, column.lower(), verdict.tag)
                if key in known:
                    continue
                known.add(key)
                session.add(ColumnTag(source=source, schema_name=schema, dataset=name, column=column, tag=verdict.tag,
                                      state="active", origin="scan", inputs=[], earned_by="scan",
                                      detail=f"found by the scan of {today} ({verdict.evidence})"))


def _stored_fingerprint(store, source: str) -> str | None:
    with store.session() as session:
        return session.scalar(select(Dataset.fingerprint).where(Dataset.source == source).limit(1))


def _store_listing(store, source: str, listing, fingerprint: str, verdicts: dict, counts: dict,
                   comments: Comments) -> None:
    with store.session() as session, session.begin():
        existing = {(d.schema_name, d.name): d for d in
                    session.scalars(select(Dataset).where(Dataset.source == source))}
        _earn(session, source, verdicts)
        seen = set()
        for schema, name, kind, columns in listing:
            seen.add((schema, name))
            dataset = existing.get((schema, name))
            if dataset is None:
                dataset = Dataset(source=source, schema_name=schema, name=name, kind=kind, description="")
                session.add(dataset)
                session.flush()
            dataset.kind, dataset.fingerprint, dataset.scanned_at = kind, fingerprint, utcnow()
            dataset.row_count = counts.get((schema, name))
            described, column_comments = comments.get((schema, name), ("", {}))
            dataset.description = described   # the source's comment; governance/policy.yaml's wins at load
            session.execute(delete(DatasetColumn).where(DatasetColumn.dataset_id == dataset.id))
            found = verdicts.get((schema, name), {})
            session.add_all(DatasetColumn(dataset_id=dataset.id, name=c, data_type=t, position=i,
                                          classifications=[v.to_dict() for v in found.get(c, ())],
                                          description=column_comments.get(c, ""))
                            for i, (c, t) in enumerate(columns))
        for key, dataset in existing.items():
            if key not in seen:
                session.delete(dataset)
