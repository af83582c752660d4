"""One thread that stops queries running past their deadline.

A `threading.Timer` per query started a thread for every query: 0.2 ms on a quiet machine and
up to a few ms when another thread holds the GIL (`Thread.start` waits for the new thread to
run), on the path of every answer. Here one daemon thread sleeps until the earliest deadline;
registering a query is a heap push under a lock.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable


class Watchdog:
    """Calls `stop()` of each watched query whose deadline passes before it is released."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._deadlines: list[tuple[float, int]] = []    # (monotonic deadline, ticket): a heap
        self._watched: dict[int, Callable[[], object]] = {}
        self._tickets = itertools.count(1)
        self._thread: tuple[int, threading.Thread] | None = None

    def watch(self, seconds: float, stop: Callable[[], object]) -> int:
        """Call `stop` in `seconds` unless `release(ticket)` comes first; return the ticket."""
        deadline = time.monotonic() + seconds
        with self._wake:
            ticket = next(self._tickets)
            self._watched[ticket] = stop
            earliest = not self._deadlines or deadline < self._deadlines[0][0]
            heapq.heappush(self._deadlines, (deadline, ticket))
            self._ensure_thread()
            if earliest:   # otherwise the thread already sleeps until an earlier deadline
                self._wake.notify()
        return ticket

    def release(self, ticket: int) -> bool:
        """The query ended: it is not stopped. False when it was, or is being, stopped already. Released
        tickets leave the heap lazily."""
        with self._wake:
            watched = self._watched.pop(ticket, None) is not None
            if len(self._deadlines) > 64 + 2 * len(self._watched):   # keep the heap the size of what runs
                self._deadlines = [entry for entry in self._deadlines if entry[1] in self._watched]
                heapq.heapify(self._deadlines)
        return watched

    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._thread is None or self._thread[0] != pid or not self._thread[1].is_alive():  # none after a fork
            thread = threading.Thread(target=self._run, name="aios-query-watchdog", daemon=True)
            self._thread = (pid, thread)
            thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._deadlines and self._deadlines[0][1] not in self._watched:
                    heapq.heappop(self._deadlines)
                if not self._deadlines:
                    self._wake.wait()
                    continue
                deadline, ticket = self._deadlines[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._deadlines)
                stop = self._watched.pop(ticket)
            try:
                stop()
            except Exception:  # noqa: BLE001 - the cursor was closed meanwhile: nothing left to stop
                pass

    def _forget_after_fork(self) -> None:
        # a forked child runs none of its parent's queries, and its lock may have been held by a thread that is gone
        self._wake = threading.Condition()
        self._deadlines, self._watched, self._thread = [], {}, None


WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WATCHDOG._forget_after_fork)
