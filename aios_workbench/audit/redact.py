"""What a reader sees of an audit record that is not his own: its SQL without literals, no free text.

A steward's probe (``WHERE iban = 'AT11…'``, ``contact_email IN ('…')``) carries the very values the
reader may not see; so does an error message that echoes its input. For a record the reader did not make
himself (and he is no auditor), `redact_record`:

- replaces every literal of the SQL text (strings, numbers, dates, intervals) with ``?`` and drops its
  comments and quoted alias names (sqlglot, DuckDB dialect); SQL that cannot be parsed, or is not a query
  (``ATTACH '<path>'``, ``PRAGMA name``), is hidden entirely (``sql: null``), never shown as it is: the
  redaction fails closed;
- keeps the detail keys that hold names, ids and counts (`SHOWN`), numbers and booleans, and hides every
  other text (``error``, ``reason``, ``comment``, ... become ``"[hidden]"``);
- lists what it changed in ``redacted``. The record's ``hash`` covers the stored record, not the redacted
  one: only an auditor's copy can be checked against the chain.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

HIDDEN = "[hidden]"
PLACEHOLDER = "?"
# Detail keys whose values are names, ids, digests or counts written by the service, never a caller's text.
SHOWN = frozenset({
    "datasets", "rows", "truncated", "rule", "run_id", "as_user", "on_behalf_of", "via", "version",
    "previous_version", "digest", "notebook", "identity", "key", "ok", "checked", "artifact_path", "author",
    "promoted_by", "aliases", "inputs", "dataset", "mode", "job_run_id", "columns", "surface",
})


@functools.lru_cache(maxsize=4096)
def redact_sql(sql: str) -> str | None:
    """`sql` with its literals replaced by ``?``, comments and quoted alias names removed; None when it cannot be
    parsed (then nothing of it may be shown)."""
    # lazy: sqlglot (~0.2 s to import) only when a record is shown to someone else; `aios audit verify` never needs it
    import sqlglot
    from sqlglot import exp  # lazy: as above

    literal_types = tuple(getattr(exp, name) for name in
                          ("Literal", "HexString", "ByteString", "RawString", "National", "UnicodeString",
                           "BitString") if hasattr(exp, name))

    def blank(node):
        if isinstance(node, literal_types):
            return exp.Placeholder()
        if isinstance(node, (exp.Alias, exp.TableAlias)):
            alias = node.args.get("alias") if isinstance(node, exp.Alias) else node.this
            if isinstance(alias, exp.Identifier) and alias.args.get("quoted"):
                alias.set("this", f"c{PLACEHOLDER}")
                alias.set("quoted", True)
        return node

    try:
        statements = sqlglot.parse(sql, dialect="duckdb")
        # only queries: another statement (ATTACH '<path>', PRAGMA <name>, a bare expression, a Command
        # sqlglot kept as raw text) may carry its secret in a name or unparsed text
        queries = [statement for statement in statements if isinstance(statement, exp.Query)]
        if not queries or len(queries) != len(statements):
            return None
        if any(isinstance(node, exp.Command) for query in queries for node in query.walk()):
            return None
        return "; ".join(query.transform(blank).sql(dialect="duckdb", comments=False) for query in queries)
    except Exception:  # noqa: BLE001 - any parser or generator failure: hide the text (fail closed)
        return None


def real_caller(record: Mapping[str, Any]) -> str:
    """Who made the record: its user (records written before impersonation was recorded as the caller held
    the impersonated user there and the caller in ``on_behalf_of``)."""
    detail = record.get("detail") or {}
    legacy = detail.get("on_behalf_of")
    return str(legacy) if isinstance(legacy, str) and legacy else str(record["user"])


def redact_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` as someone other than its maker (and no auditor) may see it (see the module)."""
    detail: dict[str, Any] = {}
    redacted: list[str] = []
    for key, value in (record.get("detail") or {}).items():
        if key == "sql":
            detail[key] = redact_sql(value) if isinstance(value, str) else None
            if detail[key] != value:
                redacted.append(key)
        elif key in SHOWN or value is None or isinstance(value, (bool, int, float)):
            detail[key] = value
        else:
            detail[key] = HIDDEN
            redacted.append(key)
    shown = {**record, "detail": detail}
    if redacted:
        shown["redacted"] = sorted(redacted)
    return shown


__all__ = ["HIDDEN", "SHOWN", "real_caller", "redact_record", "redact_sql"]
