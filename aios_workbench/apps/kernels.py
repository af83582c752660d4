"""Kernels started ahead of need, so an app's run does not wait for a kernel and its imports.

A decision app runs someone's notebook for each viewer, so a kernel must never serve two runs: what one
viewer's run left in memory (their rows) would be there for the next. Each kernel here is started with the
workspace's kernel environment (no credential: the run's token is handed to it by the runner), warmed by
importing the libraries apps use, used by exactly one run and then shut down; the pool starts a new one
behind it. All kernel work happens on one event loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.jobs.execute import _kernel_manager_class, _KernelStop
from aios_workbench.workspace.kernel_env import inherited_environment

log = logging.getLogger(__name__)

# What a warm kernel has imported before a run needs it (the first `import aios_workbench` + polars and
# numpy take about a second in a fresh process).
WARM_CODE = "import aios_workbench, aios_workbench.kernel.client, numpy, polars\n"
START_TIMEOUT = 60.0


class WarmKernels:
    """Up to `size` started and warmed kernels of `kernel_name` for the runs of one workspace's apps."""

    def __init__(self, workspace, *, size: int = 2, kernel_name: str = "python3"):
        self.workspace = workspace
        self.size = size
        self.kernel_name = kernel_name
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="aios-app-kernels", daemon=True)
        self._thread.start()
        self._ready: asyncio.Queue | None = None
        self._starting = 0
        self._tasks: set[asyncio.Task] = set()
        self._closed = False
        self.call(self._init())

    async def _init(self) -> None:
        self._ready = asyncio.Queue()
        self._refill()

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """Run `coroutine` on the pool's loop and wait for its result (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def use(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        """`await work(kernel_manager)` with a warm kernel of its own, shut down afterwards."""
        assert self._ready is not None
        if self._ready.empty() and self._starting == 0:
            self._start()   # none warm (or none kept: size 0): start one for this run
        try:
            km = await asyncio.wait_for(self._ready.get(), 2 * START_TIMEOUT)
        except TimeoutError:
            raise WorkbenchError("no kernel could be started for the app", fix="see the service's log for why the "
                                 "python3 kernel does not start") from None
        self._refill()   # the next run's kernel starts while this one runs
        try:
            return await work(km)
        finally:
            with contextlib.suppress(Exception):
                await km.shutdown_kernel(now=True)

    def _refill(self) -> None:
        assert self._ready is not None
        missing = self.size - self._ready.qsize() - self._starting
        for _ in range(max(0, missing)):
            self._start()

    def _start(self) -> None:
        if self._closed:
            return
        self._starting += 1
        task = self._loop.create_task(self._start_one())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start_one(self) -> None:
        try:
            env = inherited_environment(self.workspace)
            env["AIOS_WORKSPACE"] = str(self.workspace.root)
            cwd = self.workspace.notebooks_dir if self.workspace.notebooks_dir.is_dir() else self.workspace.root
            # the job executor's kernel manager: Unix sockets in a private folder, exactly this environment
            km = _kernel_manager_class(env, cwd, _KernelStop())(kernel_name=self.kernel_name)
            await km.start_kernel()
            client = km.client()
            client.start_channels()
            try:
                await client.wait_for_ready(timeout=START_TIMEOUT)
                await client.execute_interactive(WARM_CODE, timeout=START_TIMEOUT, store_history=False)
            finally:
                client.stop_channels()
            if self._closed:
                await km.shutdown_kernel(now=True)
                return
            assert self._ready is not None
            await self._ready.put(km)
        except Exception:
            log.exception("starting a kernel for apps failed")
        finally:
            self._starting -= 1

    def close(self) -> None:
        """Shut down the waiting kernels and stop the loop."""
        if self._closed:
            return
        self._closed = True

        async def drain() -> None:
            assert self._ready is not None
            if self._tasks:   # kernels still starting shut themselves down once started (`_closed`)
                await asyncio.wait(set(self._tasks), timeout=START_TIMEOUT)
            while not self._ready.empty():
                km = self._ready.get_nowait()
                with contextlib.suppress(Exception):
                    await km.shutdown_kernel(now=True)

        with contextlib.suppress(Exception):
            self.call(drain(), timeout=START_TIMEOUT + 30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()
