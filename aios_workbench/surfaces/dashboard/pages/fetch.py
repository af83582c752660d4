"""A page's independent views, asked for at once.

In team mode every view is a round trip to the workbench service (its handlers run in threads), so a page
that needs six of them waits for the slowest instead of their sum; in local mode they are service calls
in this process, which release the GIL while SQLite and DuckDB work."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Fetched:
    """The answers of `calls` (name -> function without arguments), all started at once and all finished
    when the constructor returns; `fetched[name]` is one's answer, or raises what it raised, so each part of
    the page fails alone (`common.guarded`)."""

    def __init__(self, calls: dict[str, Callable[[], Any]]):
        with ThreadPoolExecutor(max_workers=max(1, len(calls)), thread_name_prefix="aios-page") as pool:
            self._answers: dict[str, Future[Any]] = {name: pool.submit(call) for name, call in calls.items()}

    def __getitem__(self, name: str) -> Any:
        return self._answers[name].result()
