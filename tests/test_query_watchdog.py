"""The one thread that stops governed queries past their timeout (query/watchdog.py)."""

from __future__ import annotations

import threading
import time

from aios_workbench.query.watchdog import Watchdog


def test_the_watchdog_stops_what_runs_past_its_deadline_and_only_that():
    watchdog = Watchdog()
    stopped = []
    done = threading.Event()
    late = watchdog.watch(0.05, lambda: (stopped.append("late"), done.set()))
    released = watchdog.watch(0.05, lambda: stopped.append("released"))
    watchdog.watch(60, lambda: stopped.append("later"))
    watchdog.release(released)

    assert done.wait(5)
    time.sleep(0.1)
    assert stopped == ["late"]
    watchdog.release(late)   # releasing after the stop is harmless
