"""Run one notebook with Papermill in a fresh kernel behind the governed service: `execute_notebook`.

The kernel gets no credentials of any data source: its environment is a short allow-list of the
parent's (see `kernel_environment`) plus the URL of this process's job endpoint and a token for this
run only (`runtime.py`), the job context (AIOS_JOB_*) and the job's declared secrets. Papermill runs in
a thread of the calling process; the calling thread watches the whole-notebook deadline and
`should_cancel`, and stops the kernel by killing its process group. The outputs (ipynb, HTML, log)
are scrubbed of the secret values and the token on every write.
"""

from __future__ import annotations

import json
import keyword
import logging
import math
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aios_workbench.core.errors import NotFound, UsageError, WorkbenchError
from aios_workbench.jobs import runtime as _env
from aios_workbench.jobs.outputs import (
    RunLog,
    Scrubber,
    _atomic_write,
    _scrubbers,
    failing_cell,
    register_scrubbed_io,
    write_html,
    write_notebook,
)
from aios_workbench.jobs.runtime import job_runtime

log = logging.getLogger(__name__)

STATUSES = ("succeeded", "failed", "timed_out", "cancelled")
OUTPUT_NOTEBOOK, OUTPUT_HTML, LOG_FILE = "output.ipynb", "output.html", "log.txt"
CANCEL_POLL_SECONDS = 1.0
STOP_GRACE_SECONDS = 30.0      # after killing the kernel, how long Papermill gets to notice and save
_STOPPED = {"timed_out": ("TimeoutError", "stopped at the timeout"), "cancelled": ("Cancelled", "run cancelled")}


@dataclass
class ExecutionResult:
    """How a notebook run ended, where its outputs are, and what it read through the governed path."""

    ok: bool
    status: str
    error: str | None = None
    failing_cell: dict | None = None
    output_path: Path | None = None
    html_path: Path | None = None
    log_path: Path | None = None
    datasets_read: list[str] = field(default_factory=list)
    datasets_denied: list[str] = field(default_factory=list)
    datasets_written: list[str] = field(default_factory=list)   # through wb.write: the run's lineage outputs
    duration: float = 0.0
    cells_total: int = 0
    cells_done: int = 0
    denials: list[dict] = field(default_factory=list)        # each refused query: rule, message, input
    mlflow_run_ids: list[str] = field(default_factory=list)  # MLflow runs the notebook's queries named

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("output_path", "html_path", "log_path"):
            data[key] = None if data[key] is None else str(data[key])
        return data


class _KernelStop:
    """Stops the run's kernel from another thread: kill its process group, now or as soon as it exists."""

    def __init__(self):
        self._lock = threading.Lock()
        self._km = None
        self.reason: str | None = None

    def attach(self, km) -> None:
        with self._lock:
            self._km = km
            if self.reason:
                self._kill()

    def stop(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
                self._kill()

    def release(self) -> None:
        """After the run: remove the kernel's socket folder, also when the kernel was killed."""
        import shutil

        folder = getattr(self._km, "_ipc_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    def _kill(self) -> None:
        import signal

        provisioner = getattr(self._km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if not pid:
            return
        try:  # the kernel leads its own session (jupyter_client starts it so): its children go too
            pgid = os.getpgid(pid)
            if pgid != os.getpgid(0):
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


KERNEL_FOLDER_PREFIX = "aios-kernel-"


def _sweep_kernel_folders() -> None:
    """Remove kernel socket folders whose process is gone (a worker killed by a timeout or a cancel had
    no chance to clean up)."""
    import shutil
    import tempfile

    for folder in Path(tempfile.gettempdir()).glob(f"{KERNEL_FOLDER_PREFIX}*-*"):
        pid = folder.name[len(KERNEL_FOLDER_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass   # alive (someone else's process): not ours to touch


def _kernel_manager_class(env: dict, cwd: Path, stop: _KernelStop):
    """A kernel manager that starts the kernel with exactly `env` in `cwd` and reports it to `stop`.

    Passed as nbclient's `kernel_manager_class`, so nbclient still owns (and shuts down) the kernel.
    The kernel talks over Unix sockets in a private folder, not TCP on 127.0.0.1: no other process
    on the machine can reach it, and nothing crosses a network stack in plain text (ipykernel warns
    about exactly that for TCP)."""
    import shutil
    import tempfile
    import weakref

    from jupyter_client.manager import AsyncKernelManager

    class JobKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            _sweep_kernel_folders()
            # 0700; a short path (socket paths are limited); named by this process, see _sweep_kernel_folders
            folder = tempfile.mkdtemp(prefix=f"{KERNEL_FOLDER_PREFIX}{os.getpid()}-")
            super().__init__(transport="ipc", ip=os.path.join(folder, "k"), **kwargs)
            self._ipc_folder = folder
            # a killed kernel skips the cleanup below: the folder goes when the run lets go of its manager
            weakref.finalize(self, shutil.rmtree, folder, True)

        # jupyter_client declares AsyncKernelManager.start_kernel with KernelManager's sync signature
        async def start_kernel(self, **kw):  # type: ignore[override]
            kw["env"] = dict(env)
            kw["cwd"] = str(cwd)
            await super().start_kernel(**kw)
            stop.attach(self)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts every kernel before asking it to shut down. Ours has finished the
            # notebook (or nbclient already interrupted a cell that timed out), so the SIGINT only lands in
            # whatever handler is still returning and ipykernel logs "KeyboardInterrupt caught in kernel" on
            # the terminal of a successful `aios promote`. The shutdown request alone stops it (and jupyter_client
            # still escalates to SIGTERM, then SIGKILL, when it does not). Interrupts outside a shutdown go on.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._ipc_folder, ignore_errors=True)

        cleanup_resources = _async_cleanup_resources

    return JobKernelManager


def _check_parameters(parameters) -> dict:
    """Names must be identifiers (Papermill writes `name = value`); values plain JSON data."""
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise UsageError(f"parameters must be a mapping of name to value, got {type(parameters).__name__}",
                         fix="pass e.g. {'months': 6}", input=str(parameters)[:200])

    def plain(value) -> bool:
        if value is None or isinstance(value, (bool, int, float, str)):
            return True
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        return False

    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"parameter name {name!r} is not a Python identifier",
                             fix="use names like months or start_date", input=str(name))
        if not plain(value):
            raise UsageError(f"parameter {name!r} has a value of type {type(value).__name__}, which cannot be "
                             "passed to a notebook", fix="use numbers, text, booleans, None, lists or dicts",
                             input=name)
    return dict(parameters)


def _positive(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise UsageError(f"{name} must be a positive number of seconds, got {value!r}", fix=f"pass e.g. {name}=600",
                         input=str(value))
    return float(value)


def _kernel_language(nb, kernel: str) -> str:
    """The notebook's language: its kernelspec's, else its language_info's, else the kernel's own.

    Papermill refuses a notebook without `metadata.kernelspec.language`; the kernel we are about to
    start knows its language, so such a notebook is fixed up instead of refused."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(kernel)
    except NoSuchKernel:
        known = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise UsageError(f"kernel {kernel!r} is not installed here; installed kernels: {known}",
                         fix="set the job's kernel to an installed one, or install it "
                             f"(e.g. `python -m ipykernel install --user --name {kernel}`)", input=kernel) from None
    metadata = nb.get("metadata", {})
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    return language or spec.language


def _escape_braces(path: Path) -> str:
    return str(path).replace("{", "{{").replace("}", "}}")  # Papermill formats paths with the parameters


class _PapermillRun:
    """Papermill in a thread, with nbclient's hooks feeding progress and the log."""

    def __init__(self, notebook: Path, output: Path, *, parameters, kernel, language, cell_timeout, env, cwd,
                 run_log: RunLog, progress, stop: _KernelStop):
        self.notebook, self.output = notebook, output
        self.parameters, self.kernel, self.language, self.cell_timeout = parameters, kernel, language, cell_timeout
        self.env, self.cwd, self.log, self.progress, self.stop = env, cwd, run_log, progress, stop
        self.cells_total = 0
        self.cells_done = 0
        self.current: int | None = None           # index (in the notebook as run) of the cell executing
        self._cell_started = 0.0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="aios-papermill", daemon=True)

    def _report(self) -> None:
        if self.progress is not None:
            try:
                self.progress(self.cells_done, self.cells_total)
            except Exception:  # a progress sink that fails (a busy store) must not fail the run
                log.warning("progress callback failed", exc_info=True)

    def on_notebook_start(self, notebook, **_):
        self.cells_total = sum(1 for c in notebook.cells if c.cell_type == "code" and c.source.strip())
        self.log.line(f"notebook started: {self.cells_total} code cells, kernel {self.kernel}")
        self._report()

    def on_cell_execute(self, cell, cell_index, **_):
        self.current = cell_index
        self._cell_started = time.monotonic()
        self.log.line(f"code cell {self.cells_done + 1} of {self.cells_total} started")

    def on_cell_executed(self, cell, cell_index, execute_reply, **_):
        status = (execute_reply or {}).get("content", {}).get("status", "ok")
        seconds = time.monotonic() - self._cell_started
        self.log.line(f"code cell {self.cells_done + 1} of {self.cells_total} finished in {seconds:.2f} s ({status})")
        if status == "ok":
            self.cells_done += 1
            self.current = None
            self._report()

    def _run(self) -> None:
        import papermill

        try:
            papermill.execute_notebook(
                _escape_braces(self.notebook), register_scrubbed_io() + _escape_braces(self.output),
                parameters=self.parameters, kernel_name=self.kernel, language=self.language,
                progress_bar=False, log_output=False, stdout_file=self.log, stderr_file=self.log,
                # nbclient counts the per-cell limit in whole seconds
                execution_timeout=math.ceil(self.cell_timeout) if self.cell_timeout else None,
                cwd=None,  # the kernel's cwd is set by its manager:
                # Papermill's own `cwd` chdirs the whole process, which other threads share
                kernel_manager_class=_kernel_manager_class(self.env, self.cwd, self.stop),
                shell_timeout_interval=1,  # notice a killed kernel within a second
                on_notebook_start=self.on_notebook_start, on_cell_execute=self.on_cell_execute,
                on_cell_executed=self.on_cell_executed)
        except BaseException as exc:  # noqa: BLE001 - judged by the caller, with the reason it stopped the kernel
            self.error = exc
        finally:
            self.stop.release()
            _close_thread_loop()


def _close_thread_loop() -> None:
    """Close the event loop nbclient made for this thread: the thread ends, nothing else will."""
    import asyncio

    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


def execute_notebook(service, notebook_path: Path, *, parameters: dict, identity: str, output_dir: Path,
                     kernel: str = "python3", timeout: float | None = None, cell_timeout: float | None = None,
                     secrets: dict[str, str] | None = None, job_run_id: int | None = None, progress=None,
                     should_cancel=None, job_name: str | None = None, env: dict[str, str] | None = None
                     ) -> ExecutionResult:
    """Execute `notebook_path` with `parameters` in a fresh kernel acting as `identity`; never raises for
    what the notebook does (a failing cell, a timeout, a dead kernel: see `status`), only for bad arguments.

    `secrets` maps kernel env var -> secret reference (resolved here); `env` adds plain, non-secret
    variables (e.g. AIOS_EXPERIMENT). Outputs go to `output_dir`: output.ipynb, output.html, log.txt."""
    started = time.monotonic()
    notebook_path, output_dir = Path(notebook_path), Path(output_dir)
    parameters = _check_parameters(parameters)
    timeout, cell_timeout = _positive(timeout, "timeout"), _positive(cell_timeout, "cell_timeout")
    if not isinstance(identity, str) or not identity:
        raise UsageError("a job runs as an identity, and none was given", fix="pass identity='alice'", input=identity)
    _env.check_extra(secrets or {}, what="secret target")
    _env.check_extra(env or {}, what="environment variable")
    if not notebook_path.is_file():
        raise NotFound(f"notebook {notebook_path} does not exist", fix="pass the path of a .ipynb file",
                       input=str(notebook_path))
    output_dir.mkdir(parents=True, exist_ok=True)
    output, html, log_path = output_dir / OUTPUT_NOTEBOOK, output_dir / OUTPUT_HTML, output_dir / LOG_FILE
    if notebook_path.resolve() in (output.resolve(), html.resolve(), log_path.resolve()):
        raise UsageError(f"the outputs in {output_dir} would overwrite the notebook itself",
                         fix="write the outputs to another folder, or rename the notebook", input=str(notebook_path))
    for stale in (output, html):  # outputs of an earlier run in this folder must not pass for this run's
        stale.unlink(missing_ok=True)
    scrub = Scrubber()
    run_log = RunLog(log_path, scrub)

    def ended(status: str, error: str | None = None, **fields) -> ExecutionResult:
        run_log.line(f"run {status}" + (f": {error}" if error else "") + f" after {time.monotonic() - started:.2f} s")
        run_log.close()
        return ExecutionResult(ok=status == "succeeded", status=status, error=scrub(error) if error else None,
                               log_path=log_path, duration=round(time.monotonic() - started, 3), **fields)

    run_log.line(f"job {job_name or '-'} run {job_run_id if job_run_id is not None else '-'} as {identity}: "
                 f"{notebook_path.name}, kernel {kernel}, parameters {json.dumps(parameters, default=str)}")
    import nbformat

    nb = None
    try:
        try:
            nb = nbformat.read(notebook_path, as_version=4)
        except Exception as exc:  # noqa: BLE001
            raise UsageError(f"{notebook_path} is not a readable notebook: {str(exc).splitlines()[0][:300]}",
                             fix="open and save it in JupyterLab, or promote a valid .ipynb",
                             input=str(notebook_path)) from None
        language = _kernel_language(nb, kernel)
        secret_values = _env.resolve_secrets(secrets or {})
    except WorkbenchError as exc:  # the notebook cannot start: a failed run with the reason, not a crash
        written = {}
        if nb is not None:  # the output is the notebook as given: nothing ran
            written = {"output_path": output}
            _atomic_write(output, scrub(nbformat.writes(nb)))
        return ended("failed", f"{exc.message} (fix: {exc.fix})" if exc.fix else exc.message, **written)
    scrub.add(*secret_values.values())
    if _asked_to_cancel(should_cancel):
        return ended("cancelled", "cancelled before the kernel started")

    runtime = job_runtime()
    grant = runtime.issue(service, identity=identity, job_run_id=job_run_id)
    scrub.add(grant.token)
    workspace = service.workspace
    cwd = workspace.notebooks_dir if workspace.notebooks_dir.is_dir() else workspace.root
    kernel_env = _env.kernel_environment(
        workspace, service_url=runtime.url, token=grant.token, parameters=parameters, job_name=job_name,
        job_run_id=job_run_id, notebook=notebook_path, secret_values=secret_values, extra=env or {})
    stop = _KernelStop()
    run = _PapermillRun(notebook_path, output, parameters=parameters, kernel=kernel, language=language,
                        cell_timeout=cell_timeout, env=kernel_env, cwd=cwd, run_log=run_log, progress=progress,
                        stop=stop)
    _scrubbers[str(output)] = scrub
    try:
        _watch(run, stop, deadline=started + timeout if timeout else None, should_cancel=should_cancel,
               timeout=timeout)
    finally:
        runtime.revoke(grant)  # from here on the token answers 401
        _scrubbers.pop(str(output), None)
    seen = grant.snapshot()
    nb_out = write_notebook(output, nb, scrub)
    status = _status(run, stop)
    cell = None
    if status != "succeeded":
        cell = failing_cell(nb_out, run.current, _STOPPED.get(status, ("DeadKernelError", "the kernel died")))
    error = _error(status, run, cell, stopped=stop.reason, timeout=timeout, cell_timeout=cell_timeout)
    if status == "succeeded" and run.cells_done < run.cells_total:
        run_log.line(f"the notebook ended itself (sys.exit(0)) after {run.cells_done} of {run.cells_total} cells; "
                     "Papermill counts that as success")
    html_path = write_html(nb_out, html, scrub)
    return ended(status, error, failing_cell=cell, output_path=output, html_path=html_path,
                 datasets_read=seen["datasets_read"], datasets_denied=seen["datasets_denied"],
                 datasets_written=seen["datasets_written"], denials=seen["denials"],
                 mlflow_run_ids=seen["mlflow_run_ids"], cells_total=run.cells_total, cells_done=run.cells_done)


def _asked_to_cancel(should_cancel) -> bool:
    if should_cancel is None:
        return False
    try:
        return bool(should_cancel())
    except Exception:  # an unreachable store must not kill a healthy run
        log.warning("should_cancel failed; the run goes on", exc_info=True)
        return False


def _watch(run: _PapermillRun, stop: _KernelStop, *, deadline, should_cancel, timeout) -> None:
    """Wait for the run; kill its kernel at the deadline or when cancelled, then give Papermill time to save."""
    run.thread.start()
    next_poll = time.monotonic() + CANCEL_POLL_SECONDS
    stopped_at = None
    while run.thread.is_alive():
        run.thread.join(0.2)
        now = time.monotonic()
        if stopped_at is None:
            if deadline is not None and now >= deadline:
                run.log.line(f"stopping the kernel: the whole-notebook timeout of {timeout:g} s passed")
                stop.stop("timed_out")
            elif should_cancel is not None and now >= next_poll:
                next_poll = now + CANCEL_POLL_SECONDS
                if _asked_to_cancel(should_cancel):
                    run.log.line("stopping the kernel: the run was cancelled")
                    stop.stop("cancelled")
            if stop.reason:
                stopped_at = now
        elif now - stopped_at > STOP_GRACE_SECONDS:
            run.log.line("Papermill did not return after the kernel was stopped; giving up on it")
            return


def _status(run: _PapermillRun, stop: _KernelStop) -> str:
    """Why we stopped the kernel, if we did; else what Papermill's outcome means."""
    if stop.reason:
        return stop.reason
    if run.error is None:
        return "succeeded"  # also a notebook that ended itself early with sys.exit(0), as Papermill has it
    from nbclient.exceptions import CellTimeoutError

    return "timed_out" if isinstance(run.error, CellTimeoutError) else "failed"


def _error(status: str, run: _PapermillRun, cell: dict | None, *, stopped: str | None, timeout,
           cell_timeout) -> str | None:
    """One sentence saying what went wrong and where (cells counted as the author wrote them)."""
    if status == "succeeded":
        return None
    where = f" while running cell {cell['index']}" if cell else ""
    if stopped == "cancelled":
        return f"cancelled{where}"
    if stopped == "timed_out":
        return f"the notebook ran longer than its whole-notebook timeout of {timeout:g} s{where}"
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    exc = run.error
    if isinstance(exc, CellTimeoutError):
        return f"cell {cell['index'] if cell else '?'} ran longer than the per-cell timeout of {cell_timeout:g} s"
    if isinstance(exc, PapermillExecutionError) and cell:
        return f"cell {cell['index']} raised {cell['ename']}: {cell['evalue']}"
    if isinstance(exc, DeadKernelError) or "kernel died" in str(exc).lower():
        return f"the kernel died{where} (os._exit, a crash, or out of memory)"
    first = (str(exc).strip().splitlines() or [""])[0][:500]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


__all__ = ["ExecutionResult", "STATUSES", "execute_notebook"]
