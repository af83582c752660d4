"""Parse, authorize and rewrite one query so it can only see what the policy shows.

Each governed table reference becomes a subquery over the raw table that
applies the row filter to raw values and the column masks to its output (the
approach Hive uses). Everything outside the query — a `SELECT *`, a predicate
on a masked column, a whole-row reference, `COLUMNS(...)` — then only ever
sees masked, filtered rows. Anything not known to be safe is refused.

Placement: every table reference by name is either a CTE of the query that
DuckDB binds it to (`cte_in_scope`: DuckDB's own scoping rules, checked on
DuckDB 1.5.5, not sqlglot's, which differ for recursive CTEs and do not reach
every position) or a catalog dataset that the rewrite replaces; anything else
is refused, in whatever position it sits (select list, `unnest((SELECT ...))`,
`(PIVOT ...)`, lambdas, ...). DuckDB's system catalogs are refused by name.
A last walk over the rewritten tree checks that no reference escaped both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from aios_workbench.catalog.model import Catalog, CatalogEntry
from aios_workbench.core.errors import NotFound, PermissionDenied
from aios_workbench.policy.enforce import PolicyEngine, Principal
from aios_workbench.query.rules import (
    ALLOWED_TABLE_FUNCTIONS,
    DENIED_FUNCTIONS,
    DENIED_PREFIXES,
    FORBIDDEN_NODES,
    READ_ROOTS,
    system_catalog_name,
)
from aios_workbench.query.syntax import syntax_error


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
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
        raise syntax_error(sql, exc) from None
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


@dataclass
class References:
    """What a walk over a query found: its table references by name and its WITH clauses."""

    tables: list[exp.Table]
    withs: dict[int, exp.With]  # id(the query, PIVOT, ... a WITH belongs to) -> that WITH


def check_nodes(tree: exp.Expr, builtin_functions: frozenset[str]) -> References:
    """Refuse forbidden nodes and functions anywhere in `tree`; return its table references by name."""
    refs = References([], {})
    for node in tree.walk():
        rule = FORBIDDEN_NODES.get(type(node))
        if rule:
            raise deny(f"{node.key.upper()} is not allowed in a query", rule, "remove it", node)
        if isinstance(node, exp.With):
            refs.withs[id(node.parent)] = node
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            refs.tables.append(node)
        elif isinstance(node, exp.Table):
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
    return refs


def _cte_name(cte: exp.Expr) -> str:
    return cte.alias.lower()


def cte_in_scope(table: exp.Table, withs: Mapping[int, exp.With]) -> bool:
    """Whether DuckDB binds `table` to a CTE of the query rather than to a table of its catalogs.

    DuckDB's rules (names compare case-insensitively, quoted or not): a bare name is a CTE when a WITH
    of an enclosing query, PIVOT or set operation defines it; inside a CTE's own body only the CTEs
    before it in the same WITH count, and the CTE itself only when the WITH is RECURSIVE, its body is a
    UNION [ALL] [BY NAME], and the reference sits in that UNION's right-hand (recursive) side. Everything
    else (its own name in a plain CTE or in the anchor side, a later CTE, a CTE of a sibling subquery)
    binds to a table. Where in doubt the answer is False: the reference is then treated as a table and
    must be a catalog dataset, which fails closed."""
    if table.args.get("db") or table.args.get("catalog"):
        return False
    name = table.name.lower()
    below: exp.Expr | None = None
    child: exp.Expr = table
    node = table.parent
    recursive_side = False
    while node is not None:
        if isinstance(node, exp.CTE):
            body = node.this
            recursive_side = (child is body and isinstance(body, exp.Union)
                              and below is not None and below is body.args.get("expression"))
        elif isinstance(node, exp.With):
            ctes = node.expressions
            position = next((i for i, cte in enumerate(ctes) if cte is child), None)
            if position is not None:
                if any(_cte_name(cte) == name for cte in ctes[:position]):
                    return True  # an earlier CTE of the same WITH
                if recursive_side and node.args.get("recursive") and _cte_name(child) == name:
                    return True
            recursive_side = False
        else:
            own = withs.get(id(node))
            if own is not None and own is not child and any(_cte_name(c) == name for c in own.expressions):
                return True
        below, child, node = child, node, node.parent
    return False


def _mask_expression(column, method: str, key: str | None = None) -> exp.Expr:
    ident = exp.column(column.name, quoted=True)
    is_text = column.data_type.upper() in ("VARCHAR", "TEXT", "STRING") or column.data_type.upper().startswith("VARCHAR")
    if method == "hash":
        # keyed per column (or per steward-declared join domain): never a workspace-wide oracle
        return exp.Anonymous(this="aios_mask_hash", expressions=[ident, exp.Literal.string(key or "")])
    if method == "partial" and is_text:
        return exp.Anonymous(this="aios_mask_partial", expressions=[ident])
    if method == "redact" and is_text:
        return exp.Anonymous(this="aios_mask_redact", expressions=[ident])
    if method == "redact_spans" and is_text:
        return exp.Anonymous(this="aios_mask_spans", expressions=[ident])
    return exp.cast(exp.null(), column.data_type)  # null, or redact/partial/redact_spans of a non-text column


def governed_subquery(entry: CatalogEntry, view, alias: exp.Expr | None) -> exp.Subquery:
    projections = []
    for column in entry.columns:
        if column.name in view.masks:
            projections.append(exp.alias_(_mask_expression(column, view.masks[column.name][0],
                                                           view.hash_keys.get(column.name)),
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


# What a table reference the rewrite replaces may carry besides its name: its alias, a sample and (for a
# parenthesised join, `(a JOIN b ON ...)`) the joins it heads. Anything else (time travel, PIVOT/UNPIVOT
# suffixes, hints, ...) is refused rather than dropped or passed to the raw table.
_REPLACEABLE_TABLE_ARGS = frozenset({"this", "db", "catalog", "alias", "sample", "joins"})


def _parts(table: exp.Table) -> tuple[str, ...]:
    return tuple(p.name for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p is not None)


def deny_system_catalog(table: exp.Table) -> None:
    name = system_catalog_name(_parts(table))
    if name is not None:
        raise deny(f"system catalog {name} is not available in governed queries", "system_catalog",
                   "list the datasets you may read with `aios catalog ls` and a dataset's columns with "
                   "`aios catalog show DATASET` (the Data panel shows the same)", table)


def verify_placed(tree: exp.Expr, governed: set[int]) -> None:
    """The safety net, after the rewrite: every table reference by name left in `tree` is either inside a
    query the rewrite wrote itself (`governed`: ids of the governed subqueries' SELECTs, which read the raw
    table and what a row filter reads) or a CTE DuckDB binds it to. A reference the placement missed (a
    node type a future sqlglot adds, a subtree moved by the rewrite) then fails closed instead of reaching
    the engine."""
    withs: dict[int, exp.With] = {}
    tables = []
    for node in tree.walk(prune=lambda n: id(n) in governed):
        if id(node) in governed:
            continue
        if isinstance(node, exp.With):
            withs[id(node.parent)] = node
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            tables.append(node)
    for table in tables:
        if system_catalog_name(_parts(table)) is not None or not cte_in_scope(table, withs):
            raise deny(f"table reference `{table.sql(dialect='duckdb')}` could not be placed", "unresolved_reference",
                       "use source.schema.dataset names from `aios catalog ls`, and CTEs only where they are "
                       "in scope", table)


def name_projections(tables: list[exp.Table]) -> None:
    """Alias each unaliased select-list expression that holds one of `tables` with its text as written.

    DuckDB names such a column after the expression's SQL, which after the rewrite would be the governed
    subquery itself (raw table names, mask macros, the row filter's predicate and its literals); the
    name also travels outwards through `*` and whole-row references. Naming it before the rewrite keeps
    the user's own text instead."""
    done: set[int] = set()
    for table in tables:
        child: exp.Expr = table
        node = table.parent
        while node is not None:
            if (isinstance(node, exp.Select) and child.arg_key == "expressions" and id(child) not in done
                    and not isinstance(child, (exp.Alias, exp.Column, exp.Star, exp.Columns))):
                done.add(id(child))
                alias = exp.Alias(alias=exp.to_identifier(child.sql(dialect="duckdb"), quoted=True))
                child.replace(alias)
                alias.set("this", child)
                child = alias
            child, node = node, node.parent


def rewrite(sql: str, *, catalog: Catalog, policy: PolicyEngine, principal: Principal,
            builtin_functions: frozenset[str]) -> RewrittenQuery:
    """The governed form of `sql` for `principal`, or `QueryDenied`/`UsageError`/`NotFound`."""
    tree = parse_single_read(sql)
    refs = check_nodes(tree, builtin_functions)
    for table in refs.tables:
        deny_system_catalog(table)
    physical = [table for table in refs.tables if not cte_in_scope(table, refs.withs)]
    name_projections(physical)

    touched: dict[str, CatalogEntry] = {}
    masked: dict[str, list[str]] = {}
    governed: set[int] = set()
    for table in physical:
        for arg, value in table.args.items():
            if value and arg not in _REPLACEABLE_TABLE_ARGS:
                raise deny(f"{arg.upper()} on a governed table is not supported", "unsupported_table_clause",
                           "remove it", table)
        entry = _resolve(catalog, table, refs)
        view = policy.view(principal, entry)
        if not view.allowed:
            raise QueryDenied(f"{principal.name} may not read {entry.full_name}: {view.rule}", rule=view.rule,
                              fix="ask a data steward for a grant in governance/policy.yaml",
                              input=entry.full_name)
        touched[entry.full_name] = entry
        masked[entry.full_name] = sorted(view.masks)
        alias = table.args.get("alias")
        replacement = governed_subquery(entry, view, alias.copy() if alias else None)
        governed.add(id(replacement.this))  # the query's own joins, moved in below, hang off the Subquery
        if table.args.get("sample"):
            replacement.set("sample", table.args["sample"].copy())
        joins = table.args.get("joins")
        if joins:
            table.set("joins", None)
            replacement.set("joins", joins)
        table.replace(replacement)
    verify_placed(tree, governed)
    return RewrittenQuery(tree.sql(dialect="duckdb", copy=False), tuple(sorted(touched)), masked)


def _resolve(catalog: Catalog, table: exp.Table, refs: References) -> CatalogEntry:
    """The catalog dataset a table reference names, or a denial that says why there is none."""
    parts = _parts(table)
    try:
        return catalog.resolve(parts)
    except NotFound as exc:
        name = parts[-1].lower()
        if len(parts) == 1 and any(_cte_name(cte) == name for w in refs.withs.values() for cte in w.expressions):
            raise deny(f"table reference `{parts[0]}` is not in the scope of the CTE {parts[0]} this query defines "
                       "elsewhere, and no dataset has that name", "unresolved_reference",
                       "a CTE is visible only in the query that defines it, in its subqueries and in the CTEs "
                       "after it in the same WITH: move the WITH to the outermost query", table) from None
        raise QueryDenied(exc.message, rule="unknown_dataset", fix=exc.fix, input=exc.input) from None
