"""What checks take as input: a governed dataset name or a parenthesised SELECT, and its columns."""

from __future__ import annotations

import re

import pyarrow as pa

from aios_workbench.core.errors import UsageError

DATASET_NAME = re.compile(r'^(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")){0,2}$')


def relation_sql(relation: str, alias: str) -> str:
    """`relation` as a FROM item: a dataset name as is, a parenthesised SELECT aliased `alias`."""
    text = relation.strip() if isinstance(relation, str) else ""
    if text.startswith("(") and text.endswith(")"):
        return f"{text} AS {alias}"
    if DATASET_NAME.match(text):
        return text
    raise UsageError(f"not a dataset name or a parenthesised SELECT: {relation!r}",
                     fix="pass a governed dataset name such as 'source.schema.table', or '(SELECT ...)'",
                     input=relation)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def short(relation: str) -> str:
    """`relation` on one line, cut to 60 characters, for messages."""
    text = " ".join(relation.split())
    return text if len(text) <= 60 else text[:57] + "..."


class RelationColumns:
    """The relation's columns, matched case-insensitively like DuckDB does."""

    def __init__(self, schema: pa.Schema, relation: str):
        self.names = {n.lower(): n for n in schema.names}
        self.relation = relation

    def resolve(self, role: str, column: str) -> str:
        found = self.names.get(str(column).lower())
        if found is None:
            raise UsageError(f"{role} column {column!r} is not in {short(self.relation)}",
                             fix=f"pass {role}= one of its columns: {', '.join(sorted(self.names.values()))}",
                             input=column)
        return found
