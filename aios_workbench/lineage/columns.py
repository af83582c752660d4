"""Column lineage of a governed query, derived with sqlglot from the SQL as submitted.

Table references are first qualified to the catalog's `source.schema.name`
(the user may write 1- or 2-part names, in any case), then `sqlglot.lineage`
walks each output column back to the dataset columns it is computed from
(DIRECT), and the columns used in joins, filters, grouping and sorting are
listed for the whole result (INDIRECT), as the OpenLineage facet describes.
Lineage is an annotation: when it cannot be derived, it is left out.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import ensure_schema

from aios_workbench.catalog.model import Catalog, CatalogEntry
from aios_workbench.core.errors import WorkbenchError

log = logging.getLogger(__name__)

# sqlglot walks every output column; past this many (a `SELECT *` on a very wide table) the
# per-column part is left out rather than slow down the query's end (~0.4 ms per column)
MAX_OUTPUT_COLUMNS = 300
_INDIRECT = (("joins", "JOIN"), ("where", "FILTER"), ("group", "GROUP_BY"), ("having", "FILTER"),
             ("order", "SORT"))


def _qualify_tables(tree: exp.Expr, catalog: Catalog) -> dict[str, CatalogEntry]:
    """Rewrite table references in place to full catalog names; the entries by lowercased full name."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found: dict[str, CatalogEntry] = {}
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue
        if not table.args.get("db") and table.name.lower() in ctes:
            continue
        parts = tuple(p.name for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p)
        entry = catalog.resolve(parts)
        if not table.args.get("alias"):  # keep `people.col` references working after qualification
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
        table.set("catalog", exp.to_identifier(entry.source))
        table.set("db", exp.to_identifier(entry.schema))
        table.set("this", exp.to_identifier(entry.name))
        found[entry.full_name.lower()] = entry
    return found


def _schema(entries: list[CatalogEntry]) -> dict:
    schema: dict = {}
    for e in entries:
        schema.setdefault(e.source, {}).setdefault(e.schema, {})[e.name] = {
            c.name: c.data_type for c in e.columns}
    return schema


def _subtype(path: list[Node]) -> str:
    """IDENTITY, TRANSFORMATION or AGGREGATION for one root-to-leaf path of a lineage graph."""
    expressions = [n.expression for n in path if not isinstance(n.expression, exp.Table)]
    if any(e.find(exp.AggFunc) for e in expressions):
        return "AGGREGATION"
    plain = all(isinstance(e.unalias() if isinstance(e, exp.Alias) else e, exp.Column) for e in expressions)
    return "IDENTITY" if plain else "TRANSFORMATION"


def _leaves(node: Node, path: list[Node]):
    path = [*path, node]
    if isinstance(node.expression, exp.Table):
        yield node, path
    for child in node.downstream:
        yield from _leaves(child, path)


def _field(namespace: str, entry: CatalogEntry, column: str, kind: str, subtype: str, masked) -> dict:
    info = entry.column(column)
    name = info.name if info else column
    return {"namespace": namespace, "name": entry.full_name, "field": name,
            "transformations": [{"type": kind, "subtype": subtype, "description": "",
                                 "masking": name in masked.get(entry.full_name, ())}]}


def _entry_of(table: exp.Table, entries: dict[str, CatalogEntry]) -> CatalogEntry | None:
    full = ".".join(p.name for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p)
    return entries.get(full.lower())


def _direct(qualified, scope: Scope, schema, entries, namespace, masked) -> dict:
    fields: dict[str, dict[str, list[dict[str, Any]]]] = {}
    # `scope`: the tree is qualified already, so lineage() need not qualify it (and copy it) again
    for output, root in lineage(None, qualified, schema, dialect="duckdb", scope=scope, copy=False).items():
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for leaf, path in _leaves(root, []):
            entry = _entry_of(leaf.expression, entries)
            if entry is None:
                continue
            column = leaf.name.rsplit(".", 1)[-1]
            subtype = _subtype(path)
            key = (entry.full_name, column.lower())
            # one input field may reach the output along several paths: keep the strongest
            if key not in seen or seen[key]["transformations"][0]["subtype"] == "IDENTITY":
                seen[key] = _field(namespace, entry, column, "DIRECT", subtype, masked)
        fields[output] = {"inputFields": sorted(seen.values(), key=lambda f: (f["name"], f["field"]))}
    return fields


def _indirect(root: Scope, entries, namespace, masked) -> list[dict]:
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for scope in root.traverse():
        select = scope.expression
        for arg, subtype in _INDIRECT:
            value = select.args.get(arg)
            for part in value if isinstance(value, list) else [value] if value is not None else []:
                for column in part.find_all(exp.Column):
                    source = scope.sources.get(column.table)
                    entry = _entry_of(source, entries) if isinstance(source, exp.Table) else None
                    if entry is not None:
                        key = (entry.full_name, column.name.lower(), subtype)
                        found.setdefault(key, _field(namespace, entry, column.name, "INDIRECT", subtype, masked))
    return [found[k] for k in sorted(found)]


def datasets_of(sql: str, catalog: Catalog) -> list[CatalogEntry] | None:
    """The catalog datasets `sql` reads, or None when it does not parse or names an unknown dataset."""
    try:
        return list(_qualify_tables(sqlglot.parse_one(sql, read="duckdb"), catalog).values())
    except (sqlglot.errors.SqlglotError, WorkbenchError, RecursionError, AttributeError, KeyError, TypeError,
            ValueError):
        return None


def column_lineage(sql: str, datasets: list[CatalogEntry], namespace: str,
                   masked: dict[str, list[str]]) -> dict | None:
    """The `fields` and `dataset` parts of a columnLineage facet for `sql`, or None if not derivable.

    Cached: dashboards and paging repeat the same SQL, and the derivation costs 1-12 ms of Python."""
    key = (sql, tuple(datasets), namespace, tuple(sorted((k, tuple(v)) for k, v in masked.items())))
    with _cache_lock:
        cached = key in _cache
        if cached:
            _cache.move_to_end(key)
            found = _cache[key]
    if not cached:
        found = derive_column_lineage(*key)
        with _cache_lock:
            _cache[key] = found
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return copy.deepcopy(found)


_CACHE_SIZE = 512
_cache: OrderedDict[tuple, dict | None] = OrderedDict()
_cache_lock = threading.Lock()


def derive_column_lineage(sql: str, datasets: tuple, namespace: str, masked_items: tuple) -> dict | None:
    """`column_lineage` itself, uncached."""
    masked = {k: list(v) for k, v in masked_items}
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        entries = _qualify_tables(tree, Catalog(list(datasets)))
        schema = ensure_schema(_schema(list(entries.values())), dialect="duckdb")
        qualified = sqlglot.optimizer.qualify.qualify(tree, dialect="duckdb", schema=schema,
                                                      validate_qualify_columns=False, identify=False)
        root = build_scope(qualified)
        if root is None:
            return None
        wide = len(qualified.selects) > MAX_OUTPUT_COLUMNS if isinstance(qualified, exp.Query) else False
        indirect = _indirect(root, entries, namespace, masked)   # first: lineage() below may trim the selects
        fields = {} if wide else _direct(qualified, root, schema, entries, namespace, masked)
        return {"fields": fields, "dataset": indirect}
    except (sqlglot.errors.SqlglotError, WorkbenchError, RecursionError, AttributeError, KeyError,
            TypeError, ValueError) as exc:
        log.debug("no column lineage for a query: %s", type(exc).__name__)
        return None
