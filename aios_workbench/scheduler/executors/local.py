"""The local executor: each run in its own worker process, at most `scheduler.pool_size` at once; more
wait in the executor's queue. Workers are forked from a warm parent that has imported their libraries
once (`warm.py`, Linux, `scheduler.warm_workers`), else started cold as `python -m aios_workbench.scheduler.worker`;
should the warm parent fail, runs fall back to cold workers.

A child leads its own process group, so a cancel kills the worker and whatever it started; its kernel
(in a session of its own) notices its parent is gone within a second and exits. Children die with the
executor's process: Linux's PR_SET_PDEATHSIG sends them SIGKILL when the thread that forked them ends,
so a `kill -9`'d scheduler cannot leave a worker behind that reports a result later. That signal follows
the forking *thread*, so every child is started from one long-lived spawner thread of the executor,
never from whichever (short-lived) thread called `submit`; the warm parent is started from it too, and
its forked workers die with the warm parent.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aios_workbench.core.registry import executors
from aios_workbench.scheduler.executors import Executor, RunHandle

if TYPE_CHECKING:
    from aios_workbench.scheduler.executors.warm import WarmChild

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_SIGKILL = int(signal.SIGKILL)
# Looked up now: after fork, the child must do as little as possible before exec.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _die_with_parent(parent_pid: int) -> None:
    """preexec_fn: SIGKILL this child when its parent dies; if the parent is already gone, never start."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, _SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(70)


class LocalRunHandle(RunHandle):
    """A run queued in, or running as a child process of, a LocalExecutor."""

    def __init__(self, executor: LocalExecutor, run_id: int):
        self.executor = executor
        self.run_id = run_id
        self.process: subprocess.Popen | WarmChild | None = None
        self._output = tempfile.TemporaryFile()   # the worker's stdout and stderr, for `outcome`
        self._last_words: str | None = None        # their end, kept once the worker has exited
        self._cancelled = False
        self._dropped: str | None = None           # why it ended before it started

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def done(self) -> bool:
        self.executor._pump()
        if self._dropped:
            self._close_output()
            return True
        if self.process is not None and self.process.poll() is not None:
            self._close_output()
            return True
        return False

    def cancel(self) -> None:
        self._cancelled = True
        if self.executor._unqueue(self):
            self._dropped = "cancelled before its worker started"
            self._close_output()
            return
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        if self.process is not None:
            self._close_output()

    def outcome(self) -> str | None:
        if not self.done():
            return None
        if self._dropped or self.process is None:   # done without a process: it was dropped
            return self._dropped
        code = self.process.poll()   # done: the worker has exited
        if not code:
            return None
        if code < 0:
            name = signal.Signals(-code).name
            reason = "it was cancelled" if self._cancelled else "it was killed"
            return f"the worker process {self.process.pid} of run {self.run_id} ended by {name} ({reason})"
        return f"the worker process of run {self.run_id} exited with code {code}: {self._last_words}"

    def _close_output(self, limit: int = 1500) -> None:
        if self._output.closed:
            return
        self._output.seek(0)
        text = self._output.read().decode("utf-8", errors="replace").strip()
        self._output.close()
        # lazy: connectors.secrets runs the connectors package, which loads DuckDB; only when an output file closes
        from aios_workbench.connectors.secrets import scrub
        from aios_workbench.core.logs import redact  # lazy: as above

        self._last_words = redact(scrub(text[-limit:])) or "(no output)"


class LocalExecutor(Executor):
    """Runs each job run in a child process of its own; `pool_size` of them at once."""

    name = "local"
    capabilities = frozenset({"cancel", "timeout", "isolation"})

    def __init__(self, workspace, settings):
        super().__init__(workspace, settings)
        self.pool_size = settings.pool_size
        self._running: list[LocalRunHandle] = []
        self._queue: collections.deque[LocalRunHandle] = collections.deque()
        self._lock = threading.RLock()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aios-local-spawner")
        self._closed = False
        self._warm = None   # the WarmParent, started on the spawner thread
        self._warm_failures = 0
        if self._wants_warm():   # warm up now, while nothing waits for it
            self._spawner.submit(self._warm_parent)

    def _wants_warm(self) -> bool:
        return bool(getattr(self.settings, "warm_workers", False)) and _prctl is not None

    def _warm_parent(self):
        """The live warm parent, (re)started on the spawner thread; None after three failed starts in a row."""
        if self._warm is not None and self._warm.alive:
            return self._warm
        if self._warm is not None:
            self._warm.close()
            self._warm = None
        if self._warm_failures >= 3 or self._closed:
            return None
        # lazy: warm workers are Linux-only and optional; loaded only when enabled
        from aios_workbench.scheduler.executors.warm import WarmParent

        self._warm = WarmParent(str(self.workspace.root), on_child_end=self._run_ended)
        return self._warm

    def submit(self, run_id: int) -> LocalRunHandle:
        with self._lock:
            if self._closed:
                # lazy: error type only on the closed-executor path (cheap)
                from aios_workbench.core.errors import UsageError

                raise UsageError("this executor was shut down", fix="create a new executor", input=run_id)
            handle = LocalRunHandle(self, int(run_id))
            self._queue.append(handle)
        self._pump()
        return handle

    def free_slots(self) -> int:
        self._pump()
        with self._lock:
            return max(0, self.pool_size - len(self._running) - len(self._queue))

    def _unqueue(self, handle: LocalRunHandle) -> bool:
        with self._lock:
            if handle in self._queue:
                self._queue.remove(handle)
                return True
            return False

    def _pump(self) -> None:
        """Forget finished children and start queued runs while there is room."""
        with self._lock:
            # a running handle always has its worker process
            self._running = [h for h in self._running if h.process is not None and h.process.poll() is None]
            while self._queue and len(self._running) < self.pool_size and not self._closed:
                handle = self._queue.popleft()
                handle.process = self._spawner.submit(self._start, handle).result()
                self._running.append(handle)

    def _start(self, handle: LocalRunHandle):
        argv = [str(handle.run_id), "--workspace", str(self.workspace.root)]
        warm = self._warm_parent() if self._wants_warm() else None
        if warm is not None:
            try:
                process = warm.spawn(handle.run_id, argv, handle._output.fileno(), str(self.workspace.root))
                self._warm_failures = 0   # counts failures in a row: one bad start must not mean cold for ever
                return process
            except RuntimeError as exc:
                self._warm_failures += 1
                log.warning("starting run %s cold: %s", handle.run_id, exc)
        parent = os.getpid()
        args = [sys.executable, "-m", "aios_workbench.scheduler.worker", *argv]
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=handle._output, stderr=subprocess.STDOUT,
                                   cwd=str(self.workspace.root), start_new_session=True,
                                   preexec_fn=lambda: _die_with_parent(parent))
        if self.on_run_end is not None:   # a cold worker's end is only seen by waiting for it
            def wait_then_wake() -> None:
                process.wait()
                self._run_ended()

            threading.Thread(target=wait_then_wake, daemon=True, name=f"aios-wait-{process.pid}").start()
        return process

    def shutdown(self, wait: bool = False) -> None:
        """Drop queued runs; wait for running ones (`wait=True`) or kill them."""
        with self._lock:
            self._closed = True
            queued, self._queue = list(self._queue), collections.deque()
            running = list(self._running)
        for handle in queued:
            handle._dropped = "the executor shut down before its worker started"
            handle._close_output()
        for handle in running:
            if not wait:
                handle.cancel()
            elif handle.process is not None:
                handle.process.wait()
        self._spawner.shutdown(wait=True)
        if self._warm is not None:
            self._warm.close()


executors.register("local", LocalExecutor)
