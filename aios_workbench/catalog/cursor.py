"""Preview cursors: where the next page starts, signed for one user and one workspace.

A cursor is base64url JSON (dataset, order, direction, the sort column's last value as a typed value,
the last sort key, duplicates shown) plus an HMAC over the user's name and that body, keyed by the
workspace's own secret (so cursors survive a restart and never work for another user). A cursor is
checked before use; its values come back as sqlglot literals of their recorded type, never as SQL text.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import json
import uuid

from sqlglot import exp

from aios_workbench.core.errors import UsageError

CURSOR_VERSION = 1


def _cursor_key(queries) -> bytes:
    # the workspace's own secret (created by the engine), so cursors survive a service restart
    queries.engine  # noqa: B018 - makes sure the secret exists
    salt = (queries.ws.state_dir / "mask.salt").read_text().strip()
    return hashlib.sha256(b"aios-preview-cursor\0" + salt.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(queries, identity: str, payload: dict) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(_cursor_key(queries), identity.encode() + b"\0" + body, hashlib.sha256).digest()[:16]
    return f"{_b64(body)}.{_b64(mac)}"


def bad_cursor(why: str, cursor) -> UsageError:
    return UsageError(f"the preview cursor is not valid: {why}",
                      fix="request the first page again (omit `after`) and follow its next_cursor",
                      input=str(cursor)[:200])


def decode_cursor(queries, identity: str, cursor) -> dict:
    """The payload of a cursor this service issued to `identity`; anything else is a UsageError."""
    if not isinstance(cursor, str) or cursor.count(".") != 1 or len(cursor) > 65_536:
        raise bad_cursor("it is not a cursor this service issued", cursor)
    body_text, mac_text = cursor.split(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (ValueError, TypeError):
        raise bad_cursor("it is not base64", cursor) from None
    expected = hmac.new(_cursor_key(queries), identity.encode() + b"\0" + body, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(mac, expected):
        raise bad_cursor("it was altered, or issued to another user or workspace", cursor)
    try:
        payload = json.loads(body)
    except ValueError:
        raise bad_cursor("it is not JSON", cursor) from None
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
        raise bad_cursor("unknown cursor version", cursor)
    return payload


def tag_value(kind: str, value) -> list:
    """A key value as [tag, JSON value]: typed, so it comes back as the same literal."""
    if value is None:
        return ["null", None]
    if kind == "float":
        return ["float", repr(float(value))]
    if kind == "dec":
        return ["dec", format(value, "f")]
    if kind in ("date", "ts", "tstz", "time"):
        return [kind, value.isoformat()]
    if kind == "uuid":
        return ["uuid", str(value)]
    return [kind, value]


def literal(tagged, cursor) -> exp.Expr:
    """A sqlglot literal for one tagged cursor value, validated on the way."""
    if not isinstance(tagged, list) or len(tagged) != 2 or not isinstance(tagged[0], str):
        raise bad_cursor("malformed key value", cursor)
    kind, value = tagged
    try:
        if kind == "null" and value is None:
            return exp.null()
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return exp.Literal.number(str(value))
        if kind == "bool" and isinstance(value, bool):
            return exp.true() if value else exp.false()
        if kind == "str" and isinstance(value, str):
            return exp.Literal.string(value)
        if kind == "float" and isinstance(value, str):
            return exp.cast(exp.Literal.string(repr(float(value))), "DOUBLE")
        if kind == "dec" and isinstance(value, str):
            return exp.Literal.number(format(decimal.Decimal(value), "f"))
        if kind == "date" and isinstance(value, str):
            return exp.cast(exp.Literal.string(dt.date.fromisoformat(value).isoformat()), "DATE")
        if kind in ("ts", "tstz") and isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value).isoformat(sep=" ")
            return exp.cast(exp.Literal.string(parsed), "TIMESTAMP" if kind == "ts" else "TIMESTAMPTZ")
        if kind == "time" and isinstance(value, str):
            return exp.cast(exp.Literal.string(dt.time.fromisoformat(value).isoformat()), "TIME")
        if kind == "uuid" and isinstance(value, str):
            return exp.cast(exp.Literal.string(str(uuid.UUID(value))), "UUID")
    except (ValueError, ArithmeticError):
        pass
    raise bad_cursor(f"bad key value of kind {kind!r}", cursor)
