"""What the governed query path refuses, each with a rule name that denials and audit records carry."""

from __future__ import annotations

from sqlglot import exp

# Statements that may be the query's root: reads only.
READ_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)

# Nodes never allowed anywhere in a query, with the rule that names them.
FORBIDDEN_NODES: dict[type, str] = {
    exp.Insert: "read_only", exp.Update: "read_only", exp.Delete: "read_only", exp.Merge: "read_only",
    exp.Create: "read_only", exp.Drop: "read_only", exp.Alter: "read_only", exp.Command: "read_only",
    exp.Pragma: "no_pragma", exp.Set: "no_settings", exp.Describe: "no_describe", exp.Summarize: "no_describe",
    exp.Copy: "no_copy", exp.Attach: "no_attach", exp.Detach: "no_attach", exp.Use: "no_settings",
    exp.Install: "no_extensions", exp.Placeholder: "no_parameters", exp.Parameter: "no_parameters",
}

# Table-valued functions a query may use in FROM: they read no data.
ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}

# Scalar functions refused even though they are built in: they reveal the
# engine's environment or state, or call back into SQL.
DENIED_FUNCTIONS = {
    "getenv", "current_setting", "getvariable", "query", "query_table", "nextval", "currval", "setseed",
    "current_database", "current_schema", "current_schemas", "current_catalog", "current_user", "user",
    "session_user", "version", "pg_typeof", "has_table_privilege", "has_schema_privilege", "make_timestamp_ns_file",
    "read_text", "read_blob", "glob", "which_secret", "sql_auto_complete", "json_execute_serialized_sql",
    "json_serialize_sql", "json_deserialize_sql", "parse_path", "enum_range", "enum_first", "enum_last",
    "enum_range_boundary", "enum_code",
    "current_query",   # the text DuckDB runs: the rewritten query, its masks' key ids and row filters' literals
}
DENIED_PREFIXES = ("aios_", "duckdb_", "pragma_", "read_", "parquet_", "sniff_", "icu_", "sqlite_", "postgres_",
                   "mysql_", "iceberg_", "delta_", "ducklake_", "s3_", "http_")

# DuckDB's own catalogs and system views (checked on DuckDB 1.5.5, where `memory` is the in-memory default
# database and `system` and `temp` are built in). They describe every attached source whatever the caller's
# grants (row counts, file paths, schemas), so a table reference naming one is refused in any part and any
# position, even where a CTE of the query has the same name; tests/test_query_placement.py compares these
# sets with a live DuckDB, so an upgrade that adds a system view fails a test rather than opening a hole.
SYSTEM_CATALOGS = frozenset({"system", "temp", "memory"})
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
# system.pg_catalog views, which a bare name reaches through DuckDB's default search path
SYSTEM_TABLES = frozenset({
    "pg_am", "pg_attrdef", "pg_attribute", "pg_class", "pg_collation", "pg_constraint", "pg_database",
    "pg_depend", "pg_description", "pg_enum", "pg_index", "pg_indexes", "pg_namespace", "pg_prepared_statements",
    "pg_proc", "pg_sequence", "pg_sequences", "pg_settings", "pg_tables", "pg_tablespace", "pg_type", "pg_views",
})
# system.main's views (duckdb_tables, pragma_database_list, sqlite_master, ...) and SQLite's internal tables
# (sqlite_sequence, sqlite_stat1) of an attached SQLite source
SYSTEM_TABLE_PREFIXES = ("duckdb_", "pragma_", "sqlite_")


def system_catalog_name(parts: tuple[str, ...]) -> str | None:
    """The system catalog, schema or view that a table reference's name parts (catalog, schema, table;
    already unquoted) point into, or None. Case does not matter; a quoted part holding dots counts too."""
    segments = [s.strip().lower() for part in parts for s in part.split(".")]
    for segment in segments[:-1]:
        if segment in SYSTEM_CATALOGS or segment in SYSTEM_SCHEMAS:
            return ".".join(segments)
    last = segments[-1] if segments else ""
    if last in SYSTEM_TABLES or last.startswith(SYSTEM_TABLE_PREFIXES):
        return ".".join(segments)
    return None
