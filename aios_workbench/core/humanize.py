"""Durations in words, one way for every surface (jobs, runs, dashboard)."""

from __future__ import annotations

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
