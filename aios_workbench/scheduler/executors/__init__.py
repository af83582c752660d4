"""Where job runs execute: registered executor plugins (the `executors` family of `aios_workbench.core.registry`).

An executor takes a run the scheduler has claimed and runs `worker.run_job_run(workspace.root, run_id)`
somewhere: in a child process of its own (`local`, the default) or on a Dask cluster (`dask`). Each
declares what it can do in `capabilities`; third-party executors register under the entry-point group
``aios_workbench.executors`` exactly as the built-ins below do.
"""

from __future__ import annotations

import time

from aios_workbench.core.registry import executors


class RunHandle:
    """One submitted run, as its executor sees it."""

    run_id: int

    def done(self) -> bool:
        """Whether the worker has ended (or the run was dropped before it started)."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Hard stop: kill the worker and its kernel (best effort where the executor cannot)."""
        raise NotImplementedError

    def outcome(self) -> str | None:
        """After `done()`: None if the worker exited normally (it recorded the run's result), else why not."""
        raise NotImplementedError

    def wait(self, timeout: float | None = None, poll: float = 0.1) -> bool:
        """Block until `done()` (or `timeout` seconds); whether it is done."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True


class Executor:
    """Base of every executor; `settings` is the workspace's `scheduler` config section."""

    name: str = ""
    capabilities: frozenset[str] = frozenset()   # from {"cancel", "timeout", "distributed", "isolation"}

    def __init__(self, workspace, settings):
        self.workspace = workspace
        self.settings = settings
        # Called (from any thread) when a submitted run's worker ends: the scheduler sets its wake-up here,
        # so a freed slot takes the next queued run at once rather than at its next poll.
        self.on_run_end = None

    def _run_ended(self, *_args) -> None:
        callback = self.on_run_end
        if callback is not None:
            try:
                callback()
            except Exception:  # noqa: BLE001 - a wake-up must never break the executor
                pass

    def submit(self, run_id: int) -> RunHandle:
        """Start (or queue) run `run_id`, which the scheduler has set to 'running'."""
        raise NotImplementedError

    def free_slots(self) -> int:
        """How many more runs would start now rather than wait."""
        raise NotImplementedError

    def shutdown(self) -> None:
        """Release the executor's resources; runs still going are stopped."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()


def get_executor(name: str, workspace) -> Executor:
    """The executor called `name`, set up for `workspace`; an unknown name lists the known ones."""
    return executors.get(name)(workspace, workspace.config.scheduler)


# The built-ins register themselves on import, exactly as a plugin's entry point would.
from aios_workbench.scheduler.executors import dask, local  # noqa: E402,F401

__all__ = ["Executor", "RunHandle", "get_executor"]
