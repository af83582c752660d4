"""Writing a governed dataset: `wb.write(df, "outputs.late_orders")`, `POST datasets/write`.

Results a notebook or job produces become catalog datasets like any other, so they are found, classified,
masked, granted and traced. The target must be a source of type `datasets` (a folder of Parquet datasets
the workbench manages); the writer needs a `privilege: write` grant on it. A write is all or nothing: the
new Parquet file is written beside the dataset and renamed into place (replace swaps whole folders), so
readers see the old rows or the new ones, never a half-written file. Then the source is rescanned (PII
classification runs on the new columns, masks by tag apply at once), the write is audited, and an
OpenLineage event links the datasets the writer read to the one it wrote.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aios_workbench.catalog import scan_catalog
from aios_workbench.catalog.model import CatalogEntry
from aios_workbench.connectors.builtin import DatasetsConnector
from aios_workbench.connectors.declaration import ConnectorDeclaration
from aios_workbench.core.errors import PermissionDenied, UsageError, WorkbenchError
from aios_workbench.lineage import job_event
from aios_workbench.lineage.events import facet
from aios_workbench.policy.enforce import PolicyEngine, Principal
from aios_workbench.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa

    from aios_workbench.service.core import WorkbenchService

MODES = ("replace", "append")
MAX_COLUMNS = 2_000


@dataclass
class WriteResult:
    dataset: str                 # source.main.name
    mode: str
    rows: int
    columns: list[str]
    total_rows: int | None       # the dataset's rows after the write, as the scan counted them
    inputs: list[str] = field(default_factory=list)
    pii_columns: dict[str, list[str]] = field(default_factory=dict)   # column -> tags the scan found

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
                  strict_inputs: bool = True) -> WriteResult:
    """Write Arrow `table` as dataset `target` for `user` (see the module's docstring)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ws = service.workspace
    if mode not in MODES:
        raise UsageError(f"unknown write mode {mode!r}", fix="use mode 'replace' or 'append'", input=str(mode))
    decl, connector, name = _target(ws, target)
    full = f"{decl.name}.main.{name}"
    if not isinstance(table, pa.Table):
        raise UsageError("the data to write must be an Arrow table", fix="pass a pandas or polars DataFrame to wb.write")
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
        if mode == "append" and existing:
            current = pq.read_schema(existing[0])
            if _schema_text(current) != _schema_text(table.schema):
                raise UsageError(f"cannot append to {full}: its columns are {', '.join(_schema_text(current))}; "
                                 f"the data has {', '.join(_schema_text(table.schema))}", input=full,
                                 fix="cast or rename the columns to match, or write with mode='replace'")
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

        # the data is in place: audit the write before anything else can fail
        service.audit.append(user=user, surface=surface, action="dataset.write", target=full, allowed=True,
                             detail={**detail, "rule": rule, "inputs": read})
        scan_catalog(ws, service.store, only={decl.name})
        service.queries.dataset_written(decl.name, name)
        entry = service.queries.catalog().resolve((decl.name, "main", name))
        _emit_lineage(service, user, surface, entry, read, run_id, table.num_rows)
        pii = {c.name: [t for t in c.classifications if t.startswith("pii")] for c in entry.columns}
        return WriteResult(full, mode, table.num_rows, columns, entry.row_count, read,
                           {c: tags for c, tags in pii.items() if tags})


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
