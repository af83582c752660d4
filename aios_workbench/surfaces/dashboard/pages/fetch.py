"""A page's independent views, asked for at once.

In team mode every view is a round trip to the workbench service (its handlers run in threads), so a page
that needs six of them waits for the slowest instead of their sum; in local mode they are service calls
in this process, which release the GIL while SQLite and DuckDB work. One pool for every session: however
many pages render at once, at most FETCHES views are asked for together (beside Panel's own threads), well
inside the metadata store's connection pool."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

FETCHES = 6
_POOL = ThreadPoolExecutor(max_workers=FETCHES, thread_name_prefix="aios-page")


class Fetched:
    """The answers of `calls` (name -> function without arguments), all started at once and all finished
    when the constructor returns; `fetched[name]` is one's answer, or raises what it raised, so each part of
    the page fails alone (`common.guarded`)."""

    def __init__(self, calls: dict[str, Callable[[], Any]]):
        self._answers: dict[str, Future[Any]] = {name: _POOL.submit(call) for name, call in calls.items()}
        wait(self._answers.values())

    def __getitem__(self, name: str) -> Any:
        return self._answers[name].result()
