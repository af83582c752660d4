"""Every table reference is placed: a CTE DuckDB binds it to, or a governed dataset (issue #17, item 4).

A reviewer read DuckDB's system views through names the rewriter skipped: a table
inside `unnest((SELECT ...))` or `(PIVOT ...)` whose name was also a CTE somewhere
else in the query was neither rewritten nor refused. These tests play the analyst
`ana` (hr.main.people masked and filtered to EU rows, hr.main.events granted,
nothing else) and put a system view, an ungranted dataset and the filtered
dataset into every syntactic position, each time with a CTE of the same name
elsewhere in the query. A query is refused, or it returns none of the hidden
facts: raw or filtered-out values, ungranted data, the source files' paths, their
DDL, the unfiltered row count, the rewrite's own text. Legitimate queries with
CTEs, subqueries and PIVOT keep working.
"""

from __future__ import annotations

import importlib
import json

import duckdb
import pytest
from sqlglot import exp

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.query import QueryDenied
from aios_workbench.query.rewrite import check_nodes, cte_in_scope, parse_single_read, verify_placed
from aios_workbench.query.rules import SYSTEM_CATALOGS, SYSTEM_SCHEMAS, system_catalog_name
from tests.conftest import aios_serve, run_aios
from tests.governed_fixtures import (
    EU_ROWS,
    FILTERED_MARKER,
    RAW_MARKERS,
    UNGRANTED_MARKER,
    US_ROWS,
    build_governed_workspace,
    open_governed_service,
)

# the module, not the `rewrite` function that aios_workbench.query exports under the same name
rewrite_module = importlib.import_module("aios_workbench.query.rewrite")
TOKEN = "placement-test-token-17"
ALL_ROWS = EU_ROWS + US_ROWS  # what hr.main.people holds; ana may count only EU_ROWS of them


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = open_governed_service(build_governed_workspace(tmp_path_factory.mktemp("placement") / "ws"))
    yield svc
    svc.close()


def hidden_facts(service) -> list[str]:
    """Text that no answer to ana may hold: values she may not see and facts about the sources."""
    return [*RAW_MARKERS, FILTERED_MARKER, UNGRANTED_MARKER,
            str(service.workspace.root),   # absolute paths of the source files (duckdb_databases.path)
            "hr.duckdb", "fin.duckdb",     # the source files' names
            "CREATE TABLE",                # DDL of every table (duckdb_tables.sql, sqlite_master)
            "aios_mask", "region = 'EU'"]  # the rewritten query (mask macros, the row filter)


def cells(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from cells(v)
    elif isinstance(value, list):
        for v in value:
            yield from cells(v)
    else:
        yield value


def attempt(service, sql: str, user: str = "ana"):
    """Run `sql` as `user`: ("ran", table) or ("refused", error). Either way, no hidden fact comes back."""
    try:
        table = service.queries.run(sql, user=user, surface="test").to_arrow()
    except WorkbenchError as exc:  # refused by the rewrite, or failed in the engine: the message is checked too
        for fact in hidden_facts(service):
            assert fact not in str(exc), f"{fact!r} leaked through the error of: {sql}"
        return "refused", exc
    rows = table.to_pylist()
    text = json.dumps([table.column_names, rows], default=str)
    for fact in (*hidden_facts(service), "salaries", "budget"):  # nor the names of ungranted datasets
        assert fact not in text, f"{fact!r} leaked through: {sql}"
    assert ALL_ROWS not in [c for c in cells(rows) if isinstance(c, int) and not isinstance(c, bool)], \
        f"the unfiltered row count leaked through: {sql}"
    return "ran", table


# -- the reviewer's shapes ---------------------------------------------------------------------------

REVIEWER_SHAPES = [
    # a table in unnest((SELECT ...)) of the select list, its name a CTE elsewhere in the query
    "SELECT unnest((SELECT list(path) FROM duckdb_databases)), (WITH duckdb_databases AS (SELECT 1 AS x) SELECT 1)",
    "SELECT unnest((SELECT list(table_name || ':' || estimated_size) FROM duckdb_tables)) AS x "
    "FROM (WITH duckdb_tables AS (SELECT 1 AS y) SELECT * FROM duckdb_tables)",
    "SELECT unnest((SELECT list(sql) FROM duckdb_tables)) AS ddl, (WITH duckdb_tables AS (SELECT 1) SELECT 1) AS c",
    # a table in (PIVOT ...), likewise
    "SELECT * FROM (PIVOT duckdb_tables ON table_name USING first(estimated_size)), "
    "(WITH duckdb_tables AS (SELECT 1 AS y) SELECT * FROM duckdb_tables)",
    "SELECT * FROM (PIVOT duckdb_tables ON table_name USING first(estimated_size)) "
    "WHERE 1 IN (WITH duckdb_tables AS (SELECT 1 AS y) SELECT * FROM duckdb_tables)",
    "SELECT * FROM (PIVOT duckdb_columns ON column_name USING count(*) GROUP BY table_name), "
    "(WITH duckdb_columns AS (SELECT 1 AS y) SELECT * FROM duckdb_columns)",
    # the facts it read: the unfiltered row count, file paths, an ungranted dataset's schema
    "SELECT count(*) AS n FROM hr.main.people WHERE (SELECT max(estimated_size) FROM duckdb_tables "
    "WHERE table_name = 'people') = 12 OR EXISTS (WITH duckdb_tables AS (SELECT 1) SELECT 1)",
    "SELECT (SELECT list(column_name) FROM duckdb_columns WHERE table_name = 'salaries') AS cols, "
    "(WITH duckdb_columns AS (SELECT 1) SELECT 1) AS c",
]


@pytest.mark.parametrize("sql", REVIEWER_SHAPES)
def test_the_reviewers_shapes_are_refused_as_system_catalogs(service, sql):
    outcome, error = attempt(service, sql)

    assert outcome == "refused" and isinstance(error, QueryDenied) and error.rule == "system_catalog"
    assert "is not available in governed queries" in error.message and "aios catalog ls" in error.fix


def test_a_refused_system_catalog_is_audited_with_its_rule(service):
    attempt(service, REVIEWER_SHAPES[0])

    record = service.audit.query(user="ana", allowed=False, limit=1)[0]
    assert record["detail"]["rule"] == "system_catalog"


# -- every position, with a CTE of the same name elsewhere ---------------------------------------------

# (reference as written, its bare name, a column of it)
TARGETS = {
    "system view": ("duckdb_tables", "duckdb_tables", "table_name"),
    "system view, schema-qualified": ("main.duckdb_databases", "duckdb_databases", "path"),
    "ungranted dataset": ("salaries", "salaries", "note"),
    "ungranted dataset, qualified": ("hr.main.salaries", "salaries", "note"),
    "filtered dataset": ("people", "people", "note"),
}

POSITIONS = {
    "scalar subquery in the select list": "SELECT (SELECT list(x) FROM {t} AS x) AS v, {cte} AS c",
    "unnest of a subquery": "SELECT unnest((SELECT list(x) FROM {t} AS x)) AS v, {cte} AS c",
    "unnest of a subquery in FROM": "SELECT * FROM unnest((SELECT list(x) FROM {t} AS x)) AS u(v), {cte_from}",
    "PIVOT": "SELECT * FROM (PIVOT {t} ON {col} USING count(*)) AS p, {cte_from}",
    "PIVOT in a scalar subquery": "SELECT (SELECT list(p) FROM (PIVOT {t} ON {col} USING count(*)) AS p) AS v, "
                                  "{cte} AS c",
    "UNPIVOT": "SELECT * FROM (UNPIVOT {t} ON {col} INTO NAME k VALUE v) AS u, {cte_from}",
    "LATERAL join": "SELECT * FROM (SELECT 1 AS one) AS o, LATERAL (SELECT x FROM {t} AS x) AS l, {cte_from}",
    "correlated EXISTS in WHERE": "SELECT o.one FROM (SELECT 1 AS one) AS o WHERE EXISTS (SELECT 1 FROM {t} AS x "
                                  "WHERE x.{col} IS NOT NULL AND o.one = 1) AND 1 IN {cte}",
    "HAVING": "SELECT count(*) AS n FROM (SELECT 1 AS one) AS o HAVING count(*) <= (SELECT count(*) FROM {t}) + {cte}",
    "ORDER BY": "SELECT 1 AS one ORDER BY (SELECT count(*) FROM {t}) + {cte}",
    "QUALIFY": "SELECT 1 AS one QUALIFY row_number() OVER () <= (SELECT count(*) FROM {t}) + {cte}",
    "IN subquery": "SELECT 'x' IN (SELECT CAST({col} AS VARCHAR) FROM {t}) AS found, {cte} AS c",
    "set operation in a subquery": "SELECT (SELECT list(v) FROM (SELECT 'a' AS v UNION ALL "
                                   "SELECT CAST({col} AS VARCHAR) FROM {t})) AS v, {cte} AS c",
    "table aliased as a CTE's name": "WITH shadow AS (SELECT 1 AS one) SELECT shadow FROM {t} AS shadow",
    "TABLE syntax": "SELECT * FROM (TABLE {t}) AS t2, {cte_from}",
    "VALUES": "SELECT * FROM (VALUES ((SELECT list(x) FROM {t} AS x), {cte})) AS v(a, b)",
    "list comprehension": "SELECT [y FOR y IN (SELECT list(x) FROM {t} AS x)] AS v, {cte} AS c",
    "lambda": "SELECT list_transform([1], y -> (SELECT list(x) FROM {t} AS x)) AS v, {cte} AS c",
    "COLUMNS": "SELECT COLUMNS((SELECT '{col}' FROM {t} LIMIT 1)) FROM (SELECT 1 AS one) AS o, {cte_from}",
    "whole-row reference": "SELECT x FROM {t} AS x, {cte_from}",
    "t.*": "SELECT x.* FROM {t} AS x, {cte_from}",
    "struct and JSON of the row": "SELECT struct_pack(r := x) AS s, to_json(x) AS j FROM {t} AS x, {cte_from}",
    "CTE in a sibling subquery": "SELECT * FROM (WITH {bare} AS (SELECT 1 AS one) SELECT * FROM {bare}) AS a, "
                                 "(SELECT list(x) AS l FROM {t} AS x) AS b",
    "CTE in a later scalar subquery": "SELECT (SELECT list(x) FROM {t} AS x) AS v, "
                                      "(SELECT (WITH {bare} AS (SELECT 2 AS two) SELECT two FROM {bare})) AS c",
    "a plain CTE's own name in its body": "WITH {bare} AS (SELECT x FROM {t} AS x) SELECT * FROM {bare}",
    "a later CTE of the same WITH": "WITH a AS (SELECT x FROM {t} AS x), {bare} AS (SELECT 1 AS one) SELECT * FROM a",
    "recursive CTE, anchor side": "WITH RECURSIVE {bare} AS (SELECT x FROM {t} AS x UNION ALL "
                                  "SELECT x FROM {bare} WHERE false) SELECT * FROM {bare}",
    "recursive CTE, left of the last UNION": "WITH RECURSIVE {bare} AS (SELECT 1 AS n UNION ALL SELECT count(*) "
                                             "FROM {bare} UNION ALL SELECT n + 1 FROM {bare} WHERE n < 2) "
                                             "SELECT * FROM {bare}",
    "nested WITH inside a CTE": "WITH a AS (SELECT * FROM (WITH {bare} AS (SELECT 1 AS one) SELECT * FROM {bare})) "
                                "SELECT (SELECT list(x) FROM {t} AS x) AS v, a.one FROM a",
    "quoted mixed-case name": "SELECT (SELECT list(x) FROM {quoted} AS x) AS v, {cte} AS c",
}


def fill(template: str, target: tuple[str, str, str]) -> str:
    ref, bare, col = target
    quoted = ".".join(f'"{part[:1].upper()}{part[1:].upper() if i % 2 else part[1:]}"'
                      for i, part in enumerate(ref.split(".")))
    return template.format(t=ref, bare=bare, col=col, quoted=quoted,
                           cte=f"(WITH {bare} AS (SELECT 1 AS one) SELECT 1)",
                           cte_from=f"(WITH {bare} AS (SELECT 1 AS one) SELECT * FROM {bare}) AS shadowed")


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("position", list(POSITIONS))
def test_every_position_is_refused_or_rewritten(service, position, target):
    sql = fill(POSITIONS[position], TARGETS[target])

    outcome, result = attempt(service, sql)

    if target.startswith("system view"):
        assert outcome == "refused" and isinstance(result, QueryDenied) and result.rule == "system_catalog", sql
    elif target.startswith("ungranted"):
        assert outcome == "refused" and isinstance(result, QueryDenied), sql
        assert "may not read hr.main.salaries" in result.message
    # the filtered dataset is rewritten: `attempt` checked that no filtered row or raw value came back


def test_a_pivot_over_the_filtered_dataset_has_no_column_for_filtered_rows(service):
    _, table = attempt(service, "SELECT * FROM (PIVOT hr.main.people ON note USING count(*) GROUP BY region), "
                                "(WITH people AS (SELECT 1 AS one) SELECT * FROM people)")

    assert table.column_names == ["region", "visible-row", "one"]
    assert table.to_pylist() == [{"region": "EU", "visible-row": EU_ROWS, "one": 1}]


def test_a_steward_sees_the_filtered_rows_in_the_same_pivot(service):
    table = service.queries.run("SELECT * FROM (PIVOT hr.main.people ON note USING count(*) GROUP BY region) "
                                "ORDER BY region", user="sam", surface="test").to_arrow()

    assert table.column_names == ["region", FILTERED_MARKER, "visible-row"]
    assert table.num_rows == 2


# -- system catalogs, whatever the query calls them ---------------------------------------------------

SPELLINGS = [
    "duckdb_tables", "DUCKDB_TABLES", '"DuckDB_Tables"', "main.duckdb_tables", '"main"."duckdb_tables"',
    '"MAIN"."DUCKDB_TABLES"', "system.main.duckdb_tables", "SYSTEM.MAIN.DUCKDB_TABLES", "system.duckdb_tables",
    '"system.main.duckdb_tables"', "duckdb_databases", "duckdb_columns", "duckdb_views", "duckdb_schemas",
    "duckdb_constraints", "duckdb_indexes", "duckdb_types", "duckdb_logs",
    "information_schema.tables", "information_schema.columns", "Information_Schema.Schemata",
    '"information_schema"."views"', "system.information_schema.tables",
    "pg_catalog.pg_class", '"pg_catalog".pg_attribute', "pg_class", "PG_NAMESPACE", "pg_tables", "pg_settings",
    "system.pg_catalog.pg_database",
    "sqlite_master", '"sqlite_schema"', "sqlite_temp_master", "sqlite_temp_schema", "main.sqlite_master",
    "hr.main.sqlite_master", "pragma_database_list", "system.main.pragma_database_list",
    "temp.main.people", "temp.people", "memory.main.people", "memory.people", "system.people",
    "hr.information_schema.tables", "hr.pg_catalog.pg_class", "hr.main.duckdb_tables",
]


@pytest.mark.parametrize("name", SPELLINGS)
@pytest.mark.parametrize("shape", [
    "SELECT * FROM {name}",
    "SELECT (SELECT count(*) FROM {name}) AS n",
    "WITH x AS (SELECT * FROM {name}) SELECT * FROM x",
    "SELECT * FROM (PIVOT {name} ON 1 USING count(*))",
])
def test_system_catalogs_are_refused_by_any_name_in_any_position(service, name, shape):
    outcome, error = attempt(service, shape.format(name=name))

    assert outcome == "refused" and isinstance(error, QueryDenied) and error.rule == "system_catalog"


def test_a_cte_named_like_a_system_view_is_refused_too(service):
    outcome, error = attempt(service, "WITH duckdb_tables AS (SELECT 1 AS x) SELECT * FROM duckdb_tables")

    assert outcome == "refused" and error.rule == "system_catalog"


@pytest.mark.parametrize("sql", [
    "SELECT * FROM (SHOW TABLES)", "SELECT * FROM (SHOW ALL TABLES)", "SELECT * FROM (SHOW DATABASES)",
    "SELECT * FROM (SHOW hr.main.salaries)", "SELECT * FROM (SHOW COLUMNS FROM hr.main.salaries)",
    "SELECT * FROM (DESCRIBE hr.main.salaries)", "SELECT * FROM (SUMMARIZE hr.main.people)",
    "SELECT * FROM (PRAGMA show_tables)", "SELECT * FROM (CALL pragma_show_tables())",
    "SELECT * FROM (EXPLAIN SELECT * FROM hr.main.people)",
])
def test_catalog_statements_in_parentheses_are_refused(service, sql):
    outcome, _ = attempt(service, sql)

    assert outcome == "refused"

def resolvable_system_names() -> list[tuple[str, ...]]:
    """Every name by which a fresh DuckDB resolves one of its own tables or views."""
    con = duckdb.connect()
    objects = con.execute("SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE internal "
                          "UNION SELECT database_name, schema_name, table_name FROM duckdb_tables() "
                          "WHERE database_name IN ('system', 'temp')").fetchall()
    names = []
    for database, schema, name in objects:
        for parts in [(name,), (schema, name), (database, name), (database, schema, name)]:
            quoted = ".".join(f'"{p}"' for p in parts)
            try:
                con.execute(f"SELECT * FROM {quoted} LIMIT 0")
            except duckdb.Error:
                continue
            names.append(parts)
    con.close()
    return names


def test_every_name_duckdb_resolves_to_its_own_catalog_is_refused():
    names = resolvable_system_names()

    assert len(names) > 40  # DuckDB 1.5.5: 47 views, most reachable by several names
    assert [parts for parts in names if system_catalog_name(parts) is None] == []
    assert [parts for parts in names if system_catalog_name(tuple(p.upper() for p in parts)) is None] == []


def test_the_engines_own_catalogs_and_schemas_are_the_ones_refused():
    con = duckdb.connect()
    databases = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'system'"
                                         ).fetchall()}
    con.close()

    assert databases == SYSTEM_CATALOGS
    assert schemas - {"main"} == SYSTEM_SCHEMAS


def test_sqlite_sources_internal_tables_are_system_catalogs():
    for parts in [("src", "main", "sqlite_master"), ("src", "main", "sqlite_sequence"), ("src", "sqlite_stat1")]:
        assert system_catalog_name(parts) is not None
    for parts in [("hr", "main", "people"), ("tables",), ("hr", "main", "columns"), ("main", "pragmatic")]:
        assert system_catalog_name(parts) is None


# -- legitimate queries still work ------------------------------------------------------------------

def rows(service, sql, user="ana"):
    outcome, table = attempt(service, sql, user)
    assert outcome == "ran", table
    return table.to_pylist()


def test_pivot_and_unpivot_over_a_cte(service):
    pivoted = rows(service, "WITH p AS (SELECT region FROM hr.main.people) "
                            "SELECT * FROM (PIVOT p ON region USING count(*))")
    unpivoted = rows(service, "WITH p AS (SELECT id, salary FROM hr.main.people) "
                              "SELECT count(*) AS n FROM (UNPIVOT p ON id INTO NAME k VALUE v)")

    assert pivoted == [{"EU": EU_ROWS}]
    assert unpivoted == [{"n": EU_ROWS}]


def test_ctes_in_unnest_scalar_subqueries_and_laterals(service):
    assert rows(service, "WITH a AS (SELECT id FROM hr.main.people) "
                         "SELECT unnest((SELECT list(id ORDER BY id) FROM a)) AS x") == [{"x": i} for i in range(EU_ROWS)]
    assert rows(service, "WITH a AS (SELECT id FROM hr.main.people) SELECT (SELECT count(*) FROM a) AS n, "
                         "(SELECT max(id) FROM (WITH b AS (SELECT * FROM a) SELECT * FROM b)) AS m") == [
        {"n": EU_ROWS, "m": EU_ROWS - 1}]
    assert rows(service, "WITH a AS (SELECT id FROM hr.main.people) SELECT count(*) AS n FROM a, "
                         "LATERAL (SELECT * FROM a AS b WHERE b.id = a.id) AS l") == [{"n": EU_ROWS}]


def test_a_cte_named_like_a_dataset_shadows_it_only_in_its_scope(service):
    assert rows(service, "WITH people AS (SELECT 42 AS id) SELECT (SELECT max(id) FROM people) AS cte, "
                         "(SELECT count(*) FROM hr.main.people) AS n") == [{"cte": 42, "n": EU_ROWS}]
    # out of the CTE's scope, the bare name is the dataset again, filtered as always
    assert rows(service, "SELECT (SELECT count(*) FROM people) AS n, "
                         "(WITH people AS (SELECT 42 AS id) SELECT max(id) FROM people) AS cte") == [
        {"n": EU_ROWS, "cte": 42}]
    assert rows(service, "WITH people AS (SELECT count(*) AS n FROM people) SELECT n FROM people") == [{"n": EU_ROWS}]


def test_recursive_ctes(service):
    assert rows(service, "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
                         "SELECT n FROM r ORDER BY n") == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert rows(service, "WITH RECURSIVE t AS (SELECT 'x' AS v UNION ALL SELECT 'z' UNION ALL "
                         "SELECT v || '1' FROM t WHERE length(v) < 3) SELECT v FROM t ORDER BY v") == [
        {"v": v} for v in ["x", "x1", "x11", "z", "z1", "z11"]]
    assert rows(service, "WITH RECURSIVE ids AS (SELECT min(id) AS id FROM hr.main.people UNION ALL "
                         "SELECT id + 1 FROM ids WHERE id + 1 < (SELECT count(*) FROM hr.main.people)) "
                         "SELECT count(*) AS n FROM ids") == [{"n": EU_ROWS}]


def test_a_parenthesised_join_of_datasets_keeps_its_join(service):
    assert rows(service, "SELECT count(*) AS n FROM (hr.main.people AS a JOIN hr.main.events AS b ON a.id = b.id)"
                ) == [{"n": EU_ROWS}]


def test_table_syntax_reads_the_governed_dataset(service):
    assert len(rows(service, "TABLE hr.main.people")) == EU_ROWS


def test_a_cte_out_of_scope_is_explained(service):
    outcome, error = attempt(service, "SELECT * FROM (WITH t AS (SELECT 1 AS a) SELECT * FROM t) AS x, "
                                      "LATERAL (SELECT * FROM t) AS y")

    assert outcome == "refused" and error.rule == "unresolved_reference"
    assert "not in the scope of the CTE t" in error.message and "outermost query" in error.fix


def test_column_names_keep_the_users_text_not_the_rewrite(service):
    _, table = attempt(service, "SELECT (SELECT max(email) FROM hr.main.people), "
                                "EXISTS (SELECT 1 FROM hr.main.people WHERE id = 1)")
    _, starred = attempt(service, "SELECT * FROM (SELECT (SELECT count(*) FROM people))")

    assert table.column_names == ["(SELECT MAX(email) FROM hr.main.people)",
                                  "EXISTS(SELECT 1 FROM hr.main.people WHERE id = 1)"]
    assert starred.column_names == ["(SELECT COUNT(*) FROM people)"]


# -- placement against DuckDB's own binder ------------------------------------------------------------

# Each query reads a CTE named t and/or the table t, which holds 'REAL'. Where the placement calls every
# reference to t a CTE, DuckDB must not read the table: the result may not hold 'REAL'.
BINDING_SHAPES = [
    "WITH t AS (SELECT * FROM t) SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT * FROM t) SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT v FROM t UNION ALL SELECT 'x') SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT 'x' AS v UNION ALL SELECT v FROM t WHERE v = 'REAL' UNION ALL SELECT 'z') "
    "SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT 'x' AS v UNION ALL SELECT v || '1' FROM t WHERE length(v) < 3) SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT * FROM (SELECT 'x' AS v UNION ALL SELECT * FROM t)) SELECT * FROM t",
    "WITH RECURSIVE t AS ((SELECT 'x' AS v) UNION (SELECT * FROM t)) SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT 'x' AS v UNION ALL SELECT (SELECT max(v) FROM t) FROM t WHERE false) SELECT * FROM t",
    "WITH RECURSIVE t AS (SELECT 'x' AS v EXCEPT SELECT * FROM t) SELECT * FROM t",
    "WITH t AS (SELECT 'x' AS v UNION ALL SELECT * FROM t) SELECT * FROM t",
    "WITH b AS (SELECT * FROM t), t AS (SELECT 'CTE' AS v) SELECT * FROM b",
    "WITH RECURSIVE b AS (SELECT * FROM t), t AS (SELECT 'CTE' AS v) SELECT * FROM b",
    "WITH t AS (SELECT 'CTE' AS v), b AS (SELECT * FROM t) SELECT * FROM b",
    "SELECT (SELECT max(v) FROM t) AS a, (WITH t AS (SELECT 'CTE' AS v) SELECT max(v) FROM t) AS b",
    "SELECT unnest((SELECT list(v) FROM t)) AS a, (WITH t AS (SELECT 'CTE' AS v) SELECT 1) AS b",
    "WITH t AS (SELECT 'CTE' AS v) SELECT unnest((SELECT list(v) FROM t)) AS a",
    "SELECT * FROM (PIVOT t ON v USING count(*)), (WITH t AS (SELECT 'CTE' AS v) SELECT 1)",
    "WITH t AS (SELECT 'CTE' AS v) SELECT * FROM (PIVOT t ON v USING count(*))",
    "SELECT * FROM (WITH t AS (SELECT 'CTE' AS v) PIVOT t ON v USING count(*))",
    "SELECT * FROM (WITH c AS (SELECT 1 AS v) PIVOT t ON v USING count(*))",
    "SELECT * FROM (WITH t AS (SELECT 'CTE' AS v) SELECT * FROM t) UNION ALL SELECT * FROM t",
    "WITH t AS (SELECT 'CTE' AS v) SELECT * FROM t UNION ALL SELECT * FROM t",
    "WITH t AS (SELECT 'CTE' AS v) SELECT * FROM (WITH u AS (SELECT * FROM t), t AS (SELECT 'INNER' AS v) "
    "SELECT * FROM u)",
    'WITH "T" AS (SELECT \'CTE\' AS v) SELECT * FROM t',
    "SELECT [x FOR x IN (SELECT list(v) FROM t)] AS a, (WITH t AS (SELECT 1) SELECT 1) AS b",
    "SELECT * FROM (SELECT 1) AS s, LATERAL (SELECT v FROM t) AS l, (WITH t AS (SELECT 'CTE' AS v) SELECT * FROM t) w",
    "SELECT 1 AS one WHERE EXISTS (SELECT 1 FROM t WHERE v = 'REAL') AND 1 IN (WITH t AS (SELECT 1) SELECT 1)",
    "WITH t AS (SELECT 'CTE' AS v) SELECT * FROM (SELECT * FROM (SELECT * FROM t))",
    "WITH t AS (SELECT 'CTE' AS v) TABLE t",
    "WITH a AS (SELECT 'CTE' AS v) SELECT * FROM (WITH t AS (SELECT * FROM a) SELECT * FROM t)",
]


@pytest.fixture(scope="module")
def builtin_functions():
    con = duckdb.connect()
    names = frozenset(r[0] for r in con.execute("SELECT DISTINCT function_name FROM duckdb_functions()").fetchall())
    con.close()
    return names


def placement(sql: str, builtin_functions: frozenset[str]) -> tuple[int, int]:
    """(references to t placed as CTEs, references to t that are tables) for `sql`."""
    refs = check_nodes(parse_single_read(sql), builtin_functions)
    named_t = [t for t in refs.tables if t.name.lower() == "t"]
    ctes = sum(cte_in_scope(t, refs.withs) for t in named_t)
    return ctes, len(named_t) - ctes


@pytest.mark.parametrize("sql", BINDING_SHAPES)
def test_a_reference_placed_as_a_cte_never_reads_the_table(sql, builtin_functions):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 'REAL' AS v")
    result = con.execute(sql)
    text = json.dumps([[d[0] for d in result.description], result.fetchall()], default=str)
    con.close()

    ctes, tables = placement(sql, builtin_functions)
    if tables == 0:
        assert "REAL" not in text, "a reference placed as a CTE read the table"
    if "REAL" in text:
        assert tables > 0


@pytest.mark.parametrize(("sql", "expected"), [
    ("WITH RECURSIVE t AS (SELECT v FROM t UNION ALL SELECT 'x') SELECT * FROM t", (1, 1)),   # anchor: the table
    ("WITH RECURSIVE t AS (SELECT 'x' AS v UNION ALL SELECT v FROM t) SELECT * FROM t", (2, 0)),
    ("WITH RECURSIVE t AS (SELECT 'x' AS v UNION ALL SELECT v FROM t UNION ALL SELECT v FROM t) SELECT * FROM t",
     (2, 1)),  # only the last UNION's right side is recursive
    ("WITH t AS (SELECT 'x' AS v UNION ALL SELECT v FROM t) SELECT * FROM t", (1, 1)),  # not RECURSIVE
    ("WITH RECURSIVE t AS (SELECT 'x' AS v EXCEPT SELECT v FROM t) SELECT * FROM t", (1, 1)),
    ("WITH b AS (SELECT * FROM t), t AS (SELECT 1) SELECT * FROM b", (0, 1)),  # a later CTE
    ("SELECT (SELECT 1 FROM t), (WITH t AS (SELECT 1) SELECT 1)", (0, 1)),    # a sibling's CTE
    ("WITH t AS (SELECT 1) SELECT unnest((SELECT list(1) FROM t))", (1, 0)),
    ("WITH t AS (SELECT 1 AS v) SELECT * FROM (PIVOT t ON v)", (1, 0)),
    ("SELECT * FROM main.t, (WITH t AS (SELECT 1) SELECT 1)", (0, 1)),        # qualified: never a CTE
])
def test_placement_follows_duckdbs_scoping(sql, expected, builtin_functions):
    assert placement(sql, builtin_functions) == expected


# -- the safety net ------------------------------------------------------------------------------------

def test_the_safety_net_refuses_a_reference_the_placement_missed(service, monkeypatch):
    """Simulates a placement gap like the reviewer's (a position the walk does not reach): the reference
    stays in the rewritten query unreplaced, and the last walk over the output refuses the query."""
    real = rewrite_module.check_nodes

    def missing_unnest_positions(tree, builtin_functions):
        refs = real(tree, builtin_functions)
        refs.tables = [t for t in refs.tables if t.find_ancestor(exp.Explode) is None]
        return refs

    monkeypatch.setattr(rewrite_module, "check_nodes", missing_unnest_positions)
    outcome, error = attempt(service, "SELECT unnest((SELECT list(note) FROM hr.main.people)) AS safety_net")

    assert outcome == "refused" and error.rule == "unresolved_reference"


def test_the_safety_net_accepts_only_ctes_in_scope():
    placed = parse_single_read("WITH a AS (SELECT 1) SELECT * FROM a")
    verify_placed(placed, set())

    for sql in ["SELECT * FROM (SELECT 1 FROM people)", "SELECT (SELECT 1 FROM a), (WITH a AS (SELECT 1) SELECT 1)",
                "WITH duckdb_tables AS (SELECT 1) SELECT * FROM duckdb_tables"]:
        with pytest.raises(QueryDenied) as info:
            verify_placed(parse_single_read(sql), set())
        assert info.value.rule == "unresolved_reference"


# -- through the surfaces -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(service):
    with aios_serve(service.workspace.root, token=TOKEN, user="ana") as url:
        yield url


@pytest.mark.parametrize("sql", REVIEWER_SHAPES[:5])
def test_the_kernel_client_gets_a_denial_and_no_system_facts(service, served, sql):
    from aios_workbench.kernel.client import ServiceClient

    with pytest.raises(WorkbenchError) as info:
        ServiceClient(served, TOKEN).query_arrow(sql)

    assert info.value.rule == "system_catalog"
    for fact in hidden_facts(service):
        assert fact not in str(info.value)


def test_the_cli_refuses_the_reviewers_shape(service):
    result = run_aios("--workspace", str(service.workspace.root), "sql", REVIEWER_SHAPES[0], "--format", "json",
                      env={"AIOS_USER": "ana"})

    assert result.returncode == 77, result.stdout + result.stderr
    assert "system catalog duckdb_databases is not available" in result.stderr
    for fact in hidden_facts(service):
        assert fact not in result.stdout + result.stderr


def test_the_engines_default_databases_hold_no_table(service):
    """Why refusing system names suffices for bare names DuckDB binds to a table: its search path reaches only
    the in-memory default database, `temp` and `system`, and the governed engine keeps no table in them."""
    con = service.queries.engine.con
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name IN ('memory', 'temp', 'system')"
                         ).fetchone()[0]
    views = con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal "
                        "AND database_name IN ('memory', 'temp', 'system')").fetchone()[0]

    assert (tables, views) == (0, 0)
