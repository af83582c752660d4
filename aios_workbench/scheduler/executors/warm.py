"""Warm workers: a parent process that has imported the worker's libraries once, and forks each run's worker.

A cold worker (`python -m aios_workbench.scheduler.worker`) spends about 2 s of CPU importing Papermill,
nbclient, nbconvert, SQLAlchemy and the workbench, and compiling nbconvert's HTML templates, before it
starts the run's kernel: on a 2-core machine that, not the notebooks, caps how many runs finish a minute.
The warm parent (`python -m aios_workbench.scheduler.executors.warm`) pays it once. For each run it forks a
child that becomes exactly what a cold worker would be (a session of its own, the executor's environment
and working folder, output into the file the executor gave) and calls `worker.main`. The parent never
runs a job, opens a store or starts a thread, so every child starts from the same clean state; each
run still gets a fresh process and a fresh kernel.

The executor and the parent talk over a Unix SOCK_SEQPACKET pair, one message per datagram:
  executor -> parent   JSON {"run_id", "argv", "env", "cwd"} with the output file's descriptor attached
  parent -> executor   "ready" | "started RUN_ID PID" | "exited PID RETURNCODE" | "refused RUN_ID REASON"
Return codes follow subprocess: the exit status, or minus the signal that ended the child.

Lifetimes: the parent dies with the executor's spawner thread (PR_SET_PDEATHSIG, as cold workers do) and
leaves when its socket closes; its children die with it. So a `kill -9`'d scheduler leaves nothing behind.
Linux only; elsewhere (or with `scheduler.warm_workers: false`) the local executor starts cold workers.
"""

from __future__ import annotations

import array
import json
import os
import select
import signal
import socket
import sys
import threading
import traceback
from pathlib import Path

MAX_MESSAGE = 1 << 20   # a request carries the executor's environment: generous


# -- the parent process --------------------------------------------------------------------------------------------
# What a worker imports while it runs a job (checked by tests/test_executors.py): loaded once, here.
WORKER_IMPORTS = (
    "jupyter_client.kernelspec", "jupyter_client.manager", "nbclient", "nbformat", "nbconvert", "papermill.execute",
    "psutil", "sqlalchemy", "sqlglot", "sqlglot.dialects.duckdb", "tornado.web", "tornado.platform.asyncio", "ipykernel.kernelspec",
    "encodings.ascii", "aios_workbench.audit", "aios_workbench.catalog.load", "aios_workbench.jobs.execute",
    "aios_workbench.lineage", "aios_workbench.policy.enforce", "aios_workbench.query.service",
    "aios_workbench.service.core", "aios_workbench.surfaces.rest.routes", "aios_workbench.surfaces.rest.standalone",
    "aios_workbench.store", "aios_workbench.kernel.run", "aios_workbench.tracking.runs_query",
    "aios_workbench.workspace", "aios_workbench.connectors.builtin", "aios_workbench.connectors.s3",
    "aios_workbench.schemas.job_spec", "aios_workbench.query.engine", "sqlalchemy.dialects.postgresql",
    # every surfaces/rest/*_routes.py, so that a new one is warmed without editing this list
    *(f"aios_workbench.surfaces.rest.{path.stem}"
      for path in sorted((Path(__file__).resolve().parents[2] / "surfaces" / "rest").glob("*_routes.py"))),
)


def warm_up() -> None:
    """Import what a worker imports and compile nbconvert's templates, so that forked children skip both."""
    import importlib

    # lazy: the worker stack loads only in the warm parent; the executor imports warm.py and must not
    from aios_workbench.scheduler import worker

    worker._skip_slow_imports()
    for name in WORKER_IMPORTS:
        importlib.import_module(name)
    import tempfile

    import nbformat

    # lazy: nbconvert exporter and SQLAlchemy/Alembic, loaded only in the warm parent
    from aios_workbench.jobs.outputs import html_exporter
    from aios_workbench.store import open_store  # lazy: as above

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_markdown_cell("*a*")])
    html_exporter().from_notebook_node(notebook)   # compiles the templates into the cached exporter
    with tempfile.TemporaryDirectory(prefix="aios-warm-") as scratch:   # loads Alembic and the migrations
        open_store(f"sqlite:///{scratch}/warm.db").close()


def _child(request: dict, output_fd: int, parent: int, settled: int) -> None:
    """In the forked child: become a cold worker's equal, run `worker.main`, never return.
    Closing `settled` tells the parent the session exists (so the executor's killpg reaches it)."""
    code = 1
    try:
        os.setsid()
        # lazy: keeps warm.py's top level stdlib-only (the executors package loads local)
        from aios_workbench.scheduler.executors.local import _die_with_parent

        _die_with_parent(parent)
        os.close(settled)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))   # the parent's sockets, the descriptors passed to it
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        # lazy: already loaded by warm_up in the parent; keeps warm.py's top level stdlib-only
        from aios_workbench.scheduler import worker

        code = worker.main(request["argv"])
    except SystemExit as exc:   # argparse
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    finally:
        from aios_workbench.scheduler import worker  # lazy: as above

        worker._exit(code)


def serve(sock: socket.socket) -> None:
    """The parent's loop: fork a child per request, report starts and exits, leave when the socket closes."""
    wake_r, wake_w = socket.socketpair()   # SIGCHLD wakes the select below at once
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sock.send(b"ready")
    children: set[int] = set()
    while True:
        readable, _, _ = select.select([sock, wake_r], [], [], 1.0)
        if wake_r in readable:
            try:
                wake_r.recv(4096)
            except BlockingIOError:
                pass
        if sock in readable:
            fds = array.array("i")
            message, ancillary, _, _ = sock.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(fds.itemsize))
            if not message:
                return   # the executor is gone: our children die with us (PR_SET_PDEATHSIG)
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
            request = json.loads(message)
            if not fds:
                sock.send(f"refused {request['run_id']} no output file was attached".encode())
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            me = os.getpid()
            settling, settled = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(settling)
                _child(request, fds[0], me, settled)
            os.close(settled)
            os.read(settling, 1)   # returns once the child has its session (or has died)
            os.close(settling)
            os.close(fds[0])
            children.add(pid)
            sock.send(f"started {request['run_id']} {pid}".encode())
        for pid in list(children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
                sock.send(f"exited {pid} {os.waitstatus_to_exitcode(status)}".encode())


def main() -> None:
    """`python -m aios_workbench.scheduler.executors.warm FD`: warm up, then serve the socket inherited as FD."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a terminal's Ctrl-C is for the scheduler, which stops us
    warm_up()
    try:
        serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        pass


# -- the executor's side -------------------------------------------------------------------------------------------
class WarmChild:
    """A forked worker as the executor sees it: the parts of `subprocess.Popen` the local executor uses."""

    def __init__(self, pid: int, on_end=None):
        self.pid = pid
        self.returncode: int | None = None
        self.on_end = on_end
        self._ended = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        self._ended.wait(timeout)
        return self.returncode

    def _end(self, returncode: int) -> None:
        self.returncode = returncode
        self._ended.set()
        if self.on_end is not None:
            self.on_end()


class _Waiter:
    """A spawn request waiting for the parent's answer: the started child, or why it was refused."""

    def __init__(self) -> None:
        self.answered = threading.Event()
        self.answer: WarmChild | str | None = None


class WarmParent:
    """The executor's handle on one warm parent process. Start it from the thread whose death should end it."""

    def __init__(self, workspace_root: str, stderr=None, on_child_end=None):
        import subprocess

        # lazy: keeps warm.py's top level stdlib-only (the executors package loads local)
        from aios_workbench.scheduler.executors.local import _die_with_parent

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        parent = os.getpid()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aios_workbench.scheduler.executors.warm", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, cwd=workspace_root,
                pass_fds=(theirs.fileno(),), start_new_session=True, preexec_fn=lambda: _die_with_parent(parent))
        finally:
            theirs.close()
        self._sock = ours
        self._on_child_end = on_child_end
        self._lock = threading.Lock()
        self._children: dict[int, WarmChild] = {}
        self._pending: dict[int, _Waiter] = {}    # run id -> its spawn request
        self.ready = threading.Event()
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="aios-warm-parent", daemon=True)
        self._reader.start()

    def spawn(self, run_id: int, argv: list[str], output_fd: int, cwd: str, timeout: float = 120) -> WarmChild:
        """Fork a worker for `run_id`; raise RuntimeError when the parent cannot (the caller starts a cold one)."""
        waiter = _Waiter()
        request = json.dumps({"run_id": run_id, "argv": argv, "env": dict(os.environ), "cwd": cwd}).encode()
        with self._lock:
            if not self.alive:
                raise RuntimeError("the warm worker parent has exited")
            self._pending[run_id] = waiter
            try:
                self._sock.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [output_fd]))])
            except OSError as exc:
                self._pending.pop(run_id, None)
                raise RuntimeError(f"the warm worker parent is unreachable: {exc}") from None
        if not waiter.answered.wait(timeout):
            raise RuntimeError(f"the warm worker parent did not start run {run_id} within {timeout:g} s")
        if not isinstance(waiter.answer, WarmChild):
            raise RuntimeError(waiter.answer or "the warm worker parent exited")
        return waiter.answer

    def _read(self) -> None:
        while True:
            try:
                message = self._sock.recv(4096).decode()
            except OSError:
                message = ""
            if not message:
                break
            kind, _, rest = message.partition(" ")
            if kind == "ready":
                self.ready.set()
            elif kind == "started":
                run_id, pid = map(int, rest.split())
                started = self._children[pid] = WarmChild(pid, self._on_child_end)
                self._answer(run_id, started)
            elif kind == "exited":
                pid, code = map(int, rest.split())
                ended = self._children.pop(pid, None)
                if ended is not None:
                    ended._end(code)
            elif kind == "refused":
                refused_run, _, reason = rest.partition(" ")
                self._answer(int(refused_run), reason)
        # The parent is gone, and its children with it (they were killed by PR_SET_PDEATHSIG).
        with self._lock:
            self.alive = False
            pending, self._pending = self._pending, {}
        for waiter in pending.values():
            waiter.answer = "the warm worker parent exited"
            waiter.answered.set()
        for child in list(self._children.values()):
            child._end(-signal.SIGKILL)
        self._children.clear()

    def _answer(self, run_id: int, answer: WarmChild | str) -> None:
        with self._lock:
            waiter = self._pending.pop(run_id, None)
        if waiter is not None:
            waiter.answer = answer
            waiter.answered.set()

    def close(self, timeout: float = 10) -> None:
        """Close the socket (the parent leaves when its loop notices) and reap it."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self.process.wait(timeout)
        except Exception:  # noqa: BLE001
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout)


if __name__ == "__main__":
    main()
