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
}
DENIED_PREFIXES = ("aios_", "duckdb_", "pragma_", "read_", "parquet_", "sniff_", "icu_", "sqlite_", "postgres_",
                   "mysql_", "iceberg_", "delta_", "ducklake_", "s3_", "http_")
