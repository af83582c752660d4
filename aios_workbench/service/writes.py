"""Writing a governed dataset: `wb.write(df, "outputs.late_orders")`, `POST datasets/write`.

Results a notebook or job produces become catalog datasets like any other, so they are found, classified,
masked, granted and traced. The target must be a source of type `datasets` (a folder of Parquet datasets
the workbench manages); the writer needs a `privilege: write` grant on it. A write is all or nothing: the
new Parquet file is written beside the dataset and renamed into place (replace swaps whole folders), so
readers see the old rows or the new ones, never a half-written file. Then the source is rescanned (PII
classification runs on the new columns, masks by tag apply at once), the write is audited, and an
OpenLineage event links the datasets the writer read to the one it wrote.

Ownership: the user who first writes a dataset owns it. Replacing or appending to an existing dataset
needs its owner, a steward (`privilege: manage` on it) or a write grant naming that dataset; a write grant
on the whole source lets a user create datasets and write his own, never overwrite another's.

Classification never weakens: a column keeps every tag it has earned (catalog/scan.py), and a write adds
the tags of what the data came from (`_inherit`):
- column lineage of the queries the writer ran (the kernel sends their SQL; the service derives the
  lineage itself, and only from queries over datasets the writer may read): a written column named like a
  query's output column inherits the tags of the input columns it is computed from (`a || ' <' || email ||
  '>' AS contact` gets pii.email); an aggregate into a number of a text column (`count(email)`) does not;
- a written column named like a column of an input dataset inherits that column's tags (a DataFrame read,
  changed in Python and written back, whose lineage nobody can derive);
- a text (or integer) column with neither, when the writer read tagged columns raw (unmasked for him), is
  assumed to carry those tags (origin "unverified"): a pandas-built column of raw values must not go out
  unmasked because its lineage is unknown. A steward removes a wrong one with `aios catalog untag`.
The tags are recorded before the data is in place, with where each came from.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from aios_workbench.catalog import scan_catalog
from aios_workbench.catalog.model import Catalog, CatalogEntry
from aios_workbench.connectors.builtin import DatasetsConnector
from aios_workbench.connectors.declaration import ConnectorDeclaration
from aios_workbench.core.errors import PermissionDenied, UsageError, WorkbenchError
from aios_workbench.lineage import job_event
from aios_workbench.lineage.columns import column_lineage, datasets_of
from aios_workbench.lineage.events import facet
from aios_workbench.policy.enforce import PolicyEngine, Principal
from aios_workbench.store.models import ColumnTag, DatasetOwner, utcnow
from aios_workbench.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa

    from aios_workbench.service.core import WorkbenchService

MODES = ("replace", "append")
MAX_COLUMNS = 2_000
QUERIES_KEY = b"aios.queries"   # Arrow schema metadata: JSON list of the SQL the data was derived from
MAX_QUERIES = 64
MAX_QUERY_CHARS = 100_000
UNTAG_FIX = "a steward (`privilege: manage` on it) may remove a wrong one: aios catalog untag DATASET COLUMN TAG"


@dataclass
class WriteResult:
    dataset: str                 # source.main.name
    mode: str
    rows: int
    columns: list[str]
    total_rows: int | None       # the dataset's rows after the write, as the scan counted them
    inputs: list[str] = field(default_factory=list)
    pii_columns: dict[str, list[str]] = field(default_factory=dict)   # column -> its pii.* tags, whatever found them
    tags: dict[str, list[dict[str, str]]] = field(default_factory=dict)   # column -> [{tag, origin, detail}]
    owner: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _target(ws: Workspace, target: str) -> tuple[ConnectorDeclaration, DatasetsConnector, str]:
    """(declaration, connector, dataset name) of `target`: SOURCE.NAME or SOURCE.main.NAME."""
    writable = sorted(d.name for d in ws.connectors if d.type == "datasets")
    parts = str(target or "").strip().split(".")
    if len(parts) == 3 and parts[1] == "main":
        parts = [parts[0], parts[2]]
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"cannot write {target!r}: name the dataset as SOURCE.NAME",
                         fix=f"e.g. {(writable or ['outputs'])[0]}.late_orders", input=str(target))
    source, name = parts
    decl = next((d for d in ws.connectors if d.name == source), None)
    if decl is None or decl.type != "datasets":
        hint = (f"write to one of: {', '.join(writable)}" if writable else
                "declare one: connectors/outputs.yaml with `name: outputs`, `type: datasets`, "
                "`options: {path: outputs}`")
        what = "is not a declared source" if decl is None else f"is a {decl.type} source, which is read-only"
        raise UsageError(f"cannot write {target!r}: {source!r} {what}", fix=hint, input=str(target))
    if not DatasetsConnector.NAME.fullmatch(name):
        raise UsageError(f"bad dataset name {name!r}", fix="use lower-case letters, digits and _ (starting with a "
                         "letter), at most 63 characters", input=name)
    connector = decl.connector()
    assert isinstance(connector, DatasetsConnector)   # the plugin registered as type `datasets`
    return decl, connector, name


def _schema_text(schema: pa.Schema) -> list[str]:
    return [f"{f.name} {f.type}" for f in schema]


_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _dataset_lock(source: str, name: str) -> threading.Lock:
    """One writer at a time per dataset in this process (two replaces racing would swap folders under
    each other); writers in other processes are kept apart by the atomic renames alone."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((source, name), threading.Lock())


def write_dataset(service: WorkbenchService, user: str, target: str, table: pa.Table, *, mode: str = "replace",
                  inputs: Iterable[str] = (), run_id: str | None = None, surface: str = "api",
                  strict_inputs: bool = True, queries: Iterable[str] = ()) -> WriteResult:
    """Write Arrow `table` as dataset `target` for `user` (see the module's docstring). `queries`: SQL the
    data was derived from (also read from the table's schema metadata `aios.queries`, as the kernel sends it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ws = service.workspace
    if mode not in MODES:
        raise UsageError(f"unknown write mode {mode!r}", fix="use mode 'replace' or 'append'", input=str(mode))
    decl, connector, name = _target(ws, target)
    full = f"{decl.name}.main.{name}"
    if not isinstance(table, pa.Table):
        raise UsageError("the data to write must be an Arrow table", fix="pass a pandas or polars DataFrame to wb.write")
    table, hinted = _take_queries(table)
    queries = [*queries, *hinted]
    columns = table.column_names
    if not columns or len(columns) > MAX_COLUMNS or len({c.lower() for c in columns}) != len(columns):
        raise UsageError(f"cannot write {full}: it needs 1 to {MAX_COLUMNS} columns with distinct names "
                         "(case-insensitive)", fix="rename or drop columns first", input=",".join(columns)[:200])

    policy = service.policy()
    principal = policy.principal(user)
    rule = policy.grant_on(principal, decl.name, "main", name, "write")
    detail = {"mode": mode, "rows": table.num_rows, "columns": len(columns)}
    if run_id:
        detail["run_id"] = run_id
    if rule is None:
        service.audit.append(user=user, surface=surface, action="dataset.write", target=full, allowed=False,
                             detail={**detail, "reason": "no write grant"})
        raise PermissionDenied(f"{user} may not write {full}: no grant gives roles {sorted(principal.roles)} "
                               f"write on it", fix=f"add a grant with `privilege: write` on {decl.name} (or "
                               f"{full}) in governance/policy.yaml", input=full)
    read = _readable_inputs(service, policy, principal, inputs, strict_inputs)

    with _dataset_lock(decl.name, name):
        folder = connector.folder(ws.root)
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / name
        existing = sorted(final.glob("*.parquet")) if final.is_dir() else []
        owner, authority, claimed = _authorize(service, policy, principal, decl.name, name, bool(existing),
                                               mode=mode, surface=surface, detail=detail)
        try:
            if mode == "append" and existing:
                current = pq.read_schema(existing[0])
                if _schema_text(current) != _schema_text(table.schema):
                    raise UsageError(f"cannot append to {full}: its columns are {', '.join(_schema_text(current))}; "
                                     f"the data has {', '.join(_schema_text(table.schema))}", input=full,
                                     fix="cast or rename the columns to match, or write with mode='replace'")
            # tags first: the data must never be readable with fewer than it has earned
            inherited, warnings = _inherit(service, policy, principal, table.schema, read, queries)
            _earn(service, user, decl.name, name, inherited)
            part = f"part-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.parquet"
            staging = folder / f".{name}.{uuid.uuid4().hex}"          # skipped by the connector (leading dot)
            staging.mkdir()
            try:
                pq.write_table(table, staging / part)
                if mode == "append" and existing:
                    os.replace(staging / part, final / part)
                else:
                    retired = folder / f".{name}.retired-{uuid.uuid4().hex}"
                    if final.exists():
                        os.replace(final, retired)
                    os.replace(staging, final)
                    shutil.rmtree(retired, ignore_errors=True)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            if claimed:   # nothing was written: the name is free again
                _release(service, decl.name, name, user)
            raise

        # the data is in place: audit the write before anything else can fail
        service.audit.append(user=user, surface=surface, action="dataset.write", target=full, allowed=True,
                             detail={**detail, "rule": rule, "authority": authority, "inputs": read,
                                     "tags": {c: sorted({t for t, _o, _d, _i in found}) for c, found in inherited.items()}})
        scan_catalog(ws, service.store, only={decl.name})
        service.queries.dataset_written(decl.name, name)
        entry = service.queries.catalog().resolve((decl.name, "main", name))
        _emit_lineage(service, user, surface, entry, read, run_id, table.num_rows)
        pii = {c.name: [t for t in c.classifications if t.startswith("pii")] for c in entry.columns}
        tags = {c.name: [s.to_dict() for s in c.sources] for c in entry.columns if c.sources}
        return WriteResult(full, mode, table.num_rows, columns, entry.row_count, read,
                           {c: found for c, found in pii.items() if found}, tags, owner, warnings)


def _take_queries(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """`table` without the `aios.queries` schema metadata, and the SQL texts it held (bad ones ignored)."""
    metadata = table.schema.metadata or {}
    if QUERIES_KEY not in metadata:
        return table, []
    rest = {k: v for k, v in metadata.items() if k != QUERIES_KEY}
    table = table.replace_schema_metadata(rest or None)
    try:
        sent = json.loads(metadata[QUERIES_KEY])
    except ValueError:
        return table, []
    if not isinstance(sent, list):
        return table, []
    return table, [q for q in sent if isinstance(q, str) and 0 < len(q) <= MAX_QUERY_CHARS]


# -- ownership -----------------------------------------------------------------------------------

def dataset_owner(service: WorkbenchService, source: str, name: str) -> str | None:
    """The user who first wrote dataset `name` of `source` (None: not recorded)."""
    with service.store.session() as session:
        return session.scalar(select(DatasetOwner.owner).where(
            DatasetOwner.source == source, DatasetOwner.schema_name == "main", DatasetOwner.name == name))


def _authorize(service: WorkbenchService, policy: PolicyEngine, principal: Principal, source: str, name: str,
               exists: bool, *, mode: str, surface: str, detail: dict[str, Any]) -> tuple[str | None, str, bool]:
    """(owner, what authorizes the write, whether this write claimed the name) or an audited PermissionDenied.
    A new dataset is claimed by its writer; an existing one needs its owner, a steward or a grant naming it."""
    full = f"{source}.main.{name}"
    owner = dataset_owner(service, source, name)
    if owner is None and not exists:
        try:
            with service.store.session() as session, session.begin():
                session.add(DatasetOwner(source=source, schema_name="main", name=name, owner=principal.name))
            return principal.name, "creates it", True
        except IntegrityError:   # another writer claimed it a moment ago
            owner = dataset_owner(service, source, name)
    if owner == principal.name:
        return owner, "owner", False
    managed = policy.grant_on(principal, source, "main", name, "manage")
    if managed:
        return owner, managed, False
    named = policy.grant_naming(principal, source, "main", name, "write")
    if named:
        return owner, named, False
    whose = f"it belongs to {owner}, who first wrote it" if owner else "it has no recorded owner"
    service.audit.append(user=principal.name, surface=surface, action="dataset.write", target=full, allowed=False,
                         detail={**detail, "reason": "not the owner", "owner": owner})
    verb = "append to" if mode == "append" else "replace"
    raise PermissionDenied(f"{principal.name} may not {verb} {full}: {whose}, and a write grant on the whole "
                           f"source does not let one user overwrite another's dataset", input=full,
                           fix=f"write a dataset of your own (e.g. {source}.{name}_{principal.name}); or ask "
                               f"{owner or 'a steward'} for a grant naming it (`scope: {full}`, `privilege: write`) "
                               "in governance/policy.yaml; stewards (`privilege: manage`) may write any dataset")


def _release(service: WorkbenchService, source: str, name: str, user: str) -> None:
    with service.store.session() as session, session.begin():
        session.execute(delete(DatasetOwner).where(DatasetOwner.source == source, DatasetOwner.schema_name == "main",
                                                   DatasetOwner.name == name, DatasetOwner.owner == user))


# -- tags: inherited through lineage, then recorded ------------------------------------------------

def _kind(data_type: str) -> str:
    """text, integer, number (other numeric, boolean) or other, of a DuckDB type name."""
    t = data_type.upper()
    if t.startswith(("VARCHAR", "CHAR", "TEXT", "STRING", "BPCHAR", "ENUM")):
        return "text"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
             "UHUGEINT"):
        return "integer"
    if t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL", "BOOLEAN")):
        return "number"
    return "other"


def _arrow_kind(arrow_type: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or \
            getattr(pa.types, "is_string_view", lambda _t: False)(arrow_type) or pa.types.is_dictionary(arrow_type):
        return "text"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type) or pa.types.is_boolean(arrow_type):
        return "number"
    return "other"


Found = tuple[str, str, str, list[str]]   # (tag, origin, detail, input columns)


def _inherit(service: WorkbenchService, policy: PolicyEngine, principal: Principal, schema: pa.Schema,
             read: list[str], queries: list[str]) -> tuple[dict[str, list[Found]], list[str]]:
    """The tags each written column inherits from what the data came from (see the module's docstring),
    and warnings for the writer."""
    catalog = service.queries.catalog()
    entries = [catalog.resolve(tuple(n.split("."))) for n in read]
    by_name: dict[str, list[tuple[CatalogEntry, Any]]] = {}
    raw: list[tuple[CatalogEntry, Any]] = []          # tagged input columns the writer saw unmasked
    for entry in entries:
        try:
            view = policy.view(principal, entry)
        except WorkbenchError:
            continue
        for column in entry.columns:
            by_name.setdefault(column.name.lower(), []).append((entry, column))
            if column.classifications and column.name not in view.masks:
                raw.append((entry, column))
    derived = _query_lineage(catalog, policy, principal, queries)
    found: dict[str, list[Found]] = {}
    warnings: list[str] = []
    for f in schema:
        key, kind = f.name.lower(), _arrow_kind(f.type)
        tags: dict[str, Found] = {}
        for entry, column, subtype in derived.get(key, ()):
            if subtype == "AGGREGATION" and kind in ("integer", "number") and _kind(column.data_type) == "text":
                continue   # count(email), avg(length(name)): a statistic of the values, not the values
            for tag in column.classifications:
                tags.setdefault(tag, (tag, "lineage", f"inherited from {entry.full_name}.{column.name} via column "
                                      "lineage", [f"{entry.full_name}.{column.name}"]))
        for entry, column in by_name.get(key, ()):
            for tag in column.classifications:
                tags.setdefault(tag, (tag, "lineage", f"inherited from {entry.full_name}.{column.name}: same column "
                                      "name (no column lineage for it)", [f"{entry.full_name}.{column.name}"]))
        if key not in derived and key not in by_name and raw and kind in ("text", "integer"):
            sources = [(e, c) for e, c in raw if kind == "text" or _kind(c.data_type) == "integer"]
            for entry, column in sources:
                for tag in column.classifications:
                    tags.setdefault(tag, (tag, "unverified", f"its lineage is unknown, and the writer read {tag} "
                                          f"values raw from {entry.full_name}.{column.name}", []))
                    tags[tag][3].append(f"{entry.full_name}.{column.name}")
            if sources:
                warnings.append(f"column {f.name}: its lineage is unknown and you read tagged columns raw, so it "
                                f"keeps their tags ({', '.join(sorted(tags))}); write it from a wb.sql query that "
                                f"computes it, name it like its source column, or ask a steward: {UNTAG_FIX}")
        if tags:
            found[f.name] = list(tags.values())
    return found, warnings


def _query_lineage(catalog: Catalog, policy: PolicyEngine, principal: Principal,
                   queries: list[str]) -> dict[str, list[tuple[CatalogEntry, Any, str]]]:
    """Output column (lower-cased) -> [(input dataset, input column, subtype)] of the queries the data was
    derived from. Queries naming a dataset the writer may not read (or that do not parse) are skipped: he
    could not have run them."""
    out: dict[str, list[tuple[CatalogEntry, Any, str]]] = {}
    for sql in list(dict.fromkeys(queries))[-MAX_QUERIES:]:
        entries = datasets_of(sql, catalog)
        if not entries or any(policy.grant_for(principal, e) is None for e in entries):
            continue
        lineage = column_lineage(sql, entries, "aios", {})
        if lineage is None:
            continue
        by_full = {e.full_name: e for e in entries}
        for output, info in lineage["fields"].items():
            sources = out.setdefault(output.lower(), [])
            for field_ in info["inputFields"]:
                entry = by_full.get(field_["name"])
                column = entry.column(field_["field"]) if entry is not None else None
                if entry is not None and column is not None:
                    sources.append((entry, column, field_["transformations"][0]["subtype"]))
    return out


def _earn(service: WorkbenchService, user: str, source: str, name: str, inherited: dict[str, list[Found]]) -> None:
    """Record the inherited tags; a tag a steward removed is earned again by new lineage (and says so)."""
    if not inherited:
        return
    with service.store.session() as session, session.begin():
        rows = {(r.column.lower(), r.tag): r for r in session.scalars(select(ColumnTag).where(
            ColumnTag.source == source, ColumnTag.schema_name == "main", ColumnTag.dataset == name))}
        for column, found in inherited.items():
            for tag, origin, detail, inputs in found:
                row = rows.get((column.lower(), tag))
                if row is None:
                    row = ColumnTag(source=source, schema_name="main", dataset=name, column=column, tag=tag,
                                    state="active", origin=origin, detail=f"{detail} (write by {user})",
                                    inputs=inputs, earned_by=user)
                    session.add(row)
                    rows[(column.lower(), tag)] = row
                elif row.state != "active":
                    row.detail = (f"{detail} (write by {user}; earned again after {row.removed_by} removed it: "
                                  f"{row.removed_reason})")
                    row.state, row.origin, row.inputs, row.earned_by, row.earned_at = \
                        "active", origin, inputs, user, utcnow()


def _readable_inputs(service: WorkbenchService, policy: PolicyEngine, principal: Principal, inputs: Iterable[str],
                     strict: bool) -> list[str]:
    """The datasets the writer says the data came from, as catalog names; each must be one it may read
    (lineage must not name, or reveal, datasets the writer cannot see). Not `strict` (inputs inferred from
    what a kernel read), names that are no longer datasets it may read are left out instead."""
    names: list[str] = []
    for name in inputs or ():
        try:
            entry = service.queries.catalog().resolve(tuple(str(name).split(".")))
        except WorkbenchError:
            if not strict:
                continue
            raise UsageError(f"input {name!r} is not a catalog dataset", fix="name the datasets the data was "
                             "read from, as `aios catalog ls` lists them", input=str(name)) from None
        if policy.grant_for(principal, entry) is None:
            if not strict:
                continue
            raise PermissionDenied(f"{principal.name} may not read {entry.full_name}, so it cannot be an input",
                                   fix="leave it out of inputs", input=entry.full_name)
        if entry.full_name not in names:
            names.append(entry.full_name)
    return names


def _emit_lineage(service: WorkbenchService, user: str, surface: str, entry: CatalogEntry, inputs: list[str],
                  run_id: str | None, rows: int) -> None:
    catalog = service.queries.catalog()
    events_inputs = [catalog.resolve(tuple(n.split("."))) for n in inputs]
    event = job_event(service.workspace.name, f"write:{entry.full_name}", user=user, event_type="COMPLETE",
                      run_id=run_id, inputs=events_inputs, outputs=[entry], job_type="WRITE")
    event["outputs"][0]["facets"]["outputStatistics"] = facet("outputStatistics", rowCount=rows)
    event["run"]["facets"]["aios_run"]["surface"] = surface
    service.queries.lineage.emit(event)
