"""The Dask executor: each run is a task on a Dask distributed cluster (`scheduler.dask_address`).

The task calls `worker.run_job_run` inside the Dask worker process, so that process needs the workbench
installed, the workspace at the same path, and the connector credentials in its environment (the
kernel it starts still gets none of them). Cancel is best effort: it sets `cancel_requested` on the run,
which the running worker polls every second and answers by killing its kernel, and cancels the future.
Dask reschedules a task whose worker died; a run must not execute twice, so a rescheduled task finds
the marker its first attempt left on the Dask scheduler and returns without running the notebook.
"""

from __future__ import annotations

import threading
import uuid

from aios_workbench.core.errors import ConfigError, ConnectorError
from aios_workbench.core.registry import executors
from aios_workbench.scheduler.executors import Executor, RunHandle

CONNECT_TIMEOUT = 10


def run_on_dask_worker(workspace_root: str, run_id: int, key: str) -> dict:
    """The task: execute the run here unless an earlier attempt of this task already started it."""
    from distributed import Variable

    started = Variable(f"{key}-started")
    try:
        started.get(timeout=0)
        return {"lost": True}            # a rescheduled attempt: the first one's worker died mid-run
    except TimeoutError:
        started.set(True)
    # lazy: runs on the Dask worker: the worker stack loads there, not in the scheduler
    from aios_workbench.scheduler.worker import run_job_run

    result = run_job_run(workspace_root, run_id).to_dict()
    started.delete()
    return result


class DaskRunHandle(RunHandle):
    def __init__(self, executor: DaskExecutor, run_id: int, future):
        self.executor = executor
        self.run_id = run_id
        self.future = future
        self._cancelled = False

    def done(self) -> bool:
        return self.future.done()

    def cancel(self) -> None:
        self._cancelled = True
        self.executor._request_cancel(self.run_id)
        self.future.cancel()

    def outcome(self) -> str | None:
        if not self.future.done():
            return None
        status = self.future.status
        if status == "finished":
            value = self.future.result()
            if isinstance(value, dict) and value.get("lost"):
                return (f"the Dask worker that started run {self.run_id} was lost; the run was not started again "
                        "(a notebook never runs twice for one attempt)")
            return None
        if status == "cancelled" or self._cancelled:
            return f"run {self.run_id} was cancelled on the Dask cluster"
        try:
            exc = self.future.exception(timeout=5)
        except Exception as error:  # noqa: BLE001 - the scheduler went away meanwhile
            exc = error
        return f"the Dask task of run {self.run_id} failed: {type(exc).__name__}: {exc}"


class DaskExecutor(Executor):
    """Runs each job run as a task on the Dask cluster at `scheduler.dask_address`."""

    name = "dask"
    capabilities = frozenset({"cancel", "timeout", "distributed"})

    def __init__(self, workspace, settings):
        super().__init__(workspace, settings)
        address = settings.dask_address
        if not address:
            raise ConfigError("the executor 'dask' needs the address of a Dask scheduler",
                              fix="set `scheduler: {dask_address: tcp://HOST:8786}` in aios.yaml",
                              input="scheduler.dask_address")
        from distributed import Client

        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConnectorError(f"cannot reach the Dask scheduler at {address}: {exc}",
                                 fix="start it (`dask scheduler`) and its workers, or fix scheduler.dask_address",
                                 input=address) from None
        self._handles: list[DaskRunHandle] = []
        self._lock = threading.Lock()
        self._store = None

    def submit(self, run_id: int) -> DaskRunHandle:
        key = f"aios-job-run-{int(run_id)}-{uuid.uuid4().hex[:12]}"
        future = self.client.submit(run_on_dask_worker, str(self.workspace.root), int(run_id), key, key=key,
                                    pure=False, retries=0)
        future.add_done_callback(self._run_ended)
        handle = DaskRunHandle(self, int(run_id), future)
        with self._lock:
            self._handles = [h for h in self._handles if not h.done()] + [handle]
        return handle

    def free_slots(self) -> int:
        threads = sum(self.client.nthreads().values())
        with self._lock:
            busy = sum(1 for h in self._handles if not h.done())
        return max(0, threads - busy)

    def _request_cancel(self, run_id: int) -> None:
        from sqlalchemy import update

        from aios_workbench.store import open_store  # lazy: SQLAlchemy metadata store only when a cancel is requested
        from aios_workbench.store.models import JobRun  # lazy: as above

        with self._lock:
            if self._store is None:
                self._store = open_store(self.workspace.metadata_url)
        with self._store.session() as session, session.begin():
            session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
                            .values(cancel_requested=True))

    def shutdown(self, wait: bool = False) -> None:
        """Wait for this executor's tasks (`wait=True`) or cancel them; then disconnect."""
        with self._lock:
            pending = [h for h in self._handles if not h.done()]
        for handle in pending:
            if wait:
                handle.wait()
            else:
                handle.cancel()
        self.client.close()
        if self._store is not None:
            self._store.close()


executors.register("dask", DaskExecutor)
