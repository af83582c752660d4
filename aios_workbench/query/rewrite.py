"""Parse, authorize and rewrite one query so it can only see what the policy shows.

Each governed table reference becomes a subquery over the raw table that
applies the row filter to raw values and the column masks to its output (the
approach Hive uses). Everything outside the query — a `SELECT *`, a predicate
on a masked column, a whole-row reference, `COLUMNS(...)` — then only ever
sees masked, filtered rows. Anything not known to be safe is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from aios_workbench.catalog.model import Catalog, CatalogEntry
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.policy.enforce import PolicyEngine, Principal
from aios_workbench.query.rules import (
    ALLOWED_TABLE_FUNCTIONS,
    DENIED_FUNCTIONS,
    DENIED_PREFIXES,
    FORBIDDEN_NODES,
    READ_ROOTS,
)


class QueryDenied(PermissionDenied):
    """The governed query path refused a query; `rule` names why."""

    code = "query_denied"

    def __init__(self, message: str, *, rule: str, fix: str | None = None, input=None):
        super().__init__(message, fix=fix, input=input)
        self.rule = rule

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rule": self.rule}


@dataclass(frozen=True)
class RewrittenQuery:
    sql: str                       # what the engine runs (never shown to the user: it names raw tables)
    datasets: tuple[str, ...]      # governed datasets the query touches
    masked: dict[str, list[str]]   # dataset -> masked columns


def deny(message: str, rule: str, fix: str, node=None) -> QueryDenied:
    where = f" (at `{node.sql(dialect='duckdb')[:80]}`)" if node is not None else ""
    return QueryDenied(message + where, rule=rule, fix=fix, input=message)


def parse_single_read(sql: str) -> exp.Expr:
    """Exactly one read-only statement, or an error that says what was wrong."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise UsageError(f"the query is not valid SQL{where}: {first.get('description') or exc}",
                         fix="fix the SQL syntax there", input=sql) from None
    if len(statements) != 1:
        raise deny(f"a query must be exactly one statement, got {len(statements)}", "single_statement",
                   "send one SELECT at a time")
    tree = statements[0]
    if not isinstance(tree, READ_ROOTS):
        rule = FORBIDDEN_NODES.get(type(tree), "read_only")
        raise deny(f"only read queries (SELECT, set operations, CTEs) are allowed, not {tree.key.upper()}",
                   rule, "write a SELECT query; data changes go through the sources' own tools", tree)
    return tree


def function_names(node: exp.Func) -> set[str]:
    """The names a function call goes by: sqlglot's and the one DuckDB will see."""
    if isinstance(node, exp.Anonymous):
        return {str(node.name).lower()}
    if isinstance(node, (exp.Connector, exp.Binary, exp.Cast, exp.Not, exp.Paren)):
        # operators render as symbols, not names; rendering their (deep) subtrees for every
        # node would make long WHERE clauses cost quadratic time
        return {node.sql_name().lower()}
    rendered = node.sql(dialect="duckdb").split("(", 1)[0].strip().lower()
    return {node.sql_name().lower(), rendered}


def function_name(node: exp.Func) -> str:
    return sorted(function_names(node))[0]


def check_nodes(tree: exp.Expr, builtin_functions: frozenset[str]) -> None:
    for node in tree.walk():
        rule = FORBIDDEN_NODES.get(type(node))
        if rule:
            raise deny(f"{node.key.upper()} is not allowed in a query", rule, "remove it", node)
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            name = function_name(node.this) if isinstance(node.this, exp.Func) else node.this.key
            if name not in ALLOWED_TABLE_FUNCTIONS:
                raise deny(f"table function {name}() is not allowed: data is read only through the catalog",
                           "no_table_functions", "query a catalog dataset instead (`aios catalog ls`)", node)
        elif isinstance(node, exp.Func) and not isinstance(node, (exp.Unnest, exp.Explode)):
            names = function_names(node)
            name = function_name(node)
            if names & DENIED_FUNCTIONS or any(n.startswith(DENIED_PREFIXES) for n in names):
                raise deny(f"function {name}() is not allowed in governed queries", "denied_function",
                           "remove it", node)
            if isinstance(node, exp.Anonymous) and name not in builtin_functions:
                raise deny(f"unknown function {name}(): only DuckDB's built-in functions may be used",
                           "unknown_function", "check the function name", node)


def _mask_expression(column, method: str) -> exp.Expr:
    ident = exp.column(column.name, quoted=True)
    is_text = column.data_type.upper() in ("VARCHAR", "TEXT", "STRING") or column.data_type.upper().startswith("VARCHAR")
    if method == "hash":
        return exp.Anonymous(this="aios_mask_hash", expressions=[ident])
    if method == "partial" and is_text:
        return exp.Anonymous(this="aios_mask_partial", expressions=[ident])
    if method == "redact" and is_text:
        return exp.Anonymous(this="aios_mask_redact", expressions=[ident])
    return exp.cast(exp.null(), column.data_type)  # null, or redact/partial of a non-text column


def governed_subquery(entry: CatalogEntry, view, alias: exp.Expr | None) -> exp.Subquery:
    projections = []
    for column in entry.columns:
        if column.name in view.masks:
            projections.append(exp.alias_(_mask_expression(column, view.masks[column.name][0]),
                                          column.name, quoted=True))
        else:
            projections.append(exp.column(column.name, quoted=True))
    raw = exp.Table(this=exp.to_identifier(entry.name, quoted=True), db=exp.to_identifier(entry.schema, quoted=True),
                    catalog=exp.to_identifier(entry.source, quoted=True))
    select = exp.select(*projections).from_(raw)
    if view.row_filter is not None:
        select = select.where(view.row_filter.copy())
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(entry.name, quoted=True))
    return exp.Subquery(this=select, alias=alias)


def rewrite(sql: str, *, catalog: Catalog, policy: PolicyEngine, principal: Principal,
            builtin_functions: frozenset[str]) -> RewrittenQuery:
    """The governed form of `sql` for `principal`, or `QueryDenied`/`UsageError`/`NotFound`."""
    tree = parse_single_read(sql)
    check_nodes(tree, builtin_functions)

    physical: dict[int, exp.Table] = {}
    cte_names: set[str] = set()
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                physical[id(source)] = source
        cte_names.update(name.lower() for name in scope.cte_sources)
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or id(table) in physical:
            continue
        if table.name.lower() in cte_names and not table.args.get("db"):
            continue  # a reference to a CTE of this query
        raise deny(f"table reference `{table.sql(dialect='duckdb')}` could not be resolved safely",
                   "unresolved_reference", "use source.schema.dataset names and plain CTEs", table)

    touched: dict[str, CatalogEntry] = {}
    masked: dict[str, list[str]] = {}
    for table in list(physical.values()):
        for arg in ("version", "when", "changes", "pivots"):
            if table.args.get(arg):
                raise deny(f"{arg.upper()} on a governed table is not supported", "unsupported_table_clause",
                           "remove it", table)
        parts = tuple(p.name for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p is not None)
        try:
            entry = catalog.resolve(parts)
        except NotFound as exc:
            raise QueryDenied(exc.message, rule="unknown_dataset", fix=exc.fix, input=exc.input) from None
        view = policy.view(principal, entry)
        if not view.allowed:
            raise QueryDenied(f"{principal.name} may not read {entry.full_name}: {view.rule}", rule=view.rule,
                              fix="ask a data steward for a grant in governance/policy.yaml",
                              input=entry.full_name)
        touched[entry.full_name] = entry
        masked[entry.full_name] = sorted(view.masks)
        alias = table.args.get("alias")
        replacement = governed_subquery(entry, view, alias.copy() if alias else None)
        if table.args.get("sample"):
            replacement.set("sample", table.args["sample"].copy())
        table.replace(replacement)
    return RewrittenQuery(tree.sql(dialect="duckdb", copy=False), tuple(sorted(touched)), masked)
