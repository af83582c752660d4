"""Durations and moments in words, one way for every surface (jobs, runs, the CLI, the dashboard, the kernel)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

UNKNOWN = "—"


def duration_words(seconds: float | None) -> str:
    """A duration as "850 ms", "6.3 s", "42 s", "2 min 5 s" or "1 h 10 min" ("—" when unknown); the same steps
    as the extension's `formatDuration`."""
    if seconds is None or isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        return UNKNOWN
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{round(seconds)} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def utc_moment(value: object) -> datetime | None:
    """A datetime or ISO 8601 text as an aware datetime in UTC (a naive one is taken to be UTC, as the store
    keeps them); None when it is neither."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and value:
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)


def moment_words(value: object, *, seconds: bool = False) -> str:
    """A moment as "Sun 6 Dec 2026, 19:45 UTC", always in UTC (`seconds`: "19:45:07", where the order within a
    minute matters, as in the audit log); "—" when unknown, and text that is no moment as it is."""
    if value is None or value == "":
        return UNKNOWN
    found = utc_moment(value)
    if found is None:
        return str(value)
    clock = f"{found:%H:%M:%S}" if seconds else f"{found:%H:%M}"
    # the day without a leading zero ("6 Dec"): strftime's %-d is not portable
    return f"{found:%a} {found.day} {found:%b %Y}, {clock} UTC"


SOURCE_MARK = "(from the source)"   # a column description that is the database's own comment, not a steward's


def column_description(column: Mapping[str, Any]) -> str:
    """A column's description as every surface writes it in text: the steward's words as they are, the source's
    comment marked `SOURCE_MARK`; "" when it has none."""
    text = column.get("description") or ""
    return f"{text} {SOURCE_MARK}" if text and column.get("description_origin") == "source" else text
