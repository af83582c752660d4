"""Servers the HTTP benchmarks start as subprocesses, and the plumbing to start, probe and stop them.

Run as `python -m bench.servers bare --port P` (the baseline: one tornado handler
answering a tiny JSON, nothing else) or `python -m bench.servers workbench --port P
--ttl 0` (the standalone workbench service, as `aios serve` builds it, with its
connector-health cache lifetime set). Both stop cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


# --- the server side -----------------------------------------------------------------------

async def serve_bare(port: int) -> None:
    from tornado import web

    class Hello(web.RequestHandler):
        def get(self):
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"ok": True}))

    server = web.Application([(r"/.*", Hello)]).listen(port, address=HOST)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()


async def serve_workbench(port: int, ttl: float, workspace: Path) -> None:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.surfaces.rest.standalone import serve
    from aios_workbench.workspace import Workspace

    service = WorkbenchService(Workspace.load(workspace), mode="standalone", connector_health_ttl=ttl)
    await serve(service, host=HOST, port=port, token=os.environ["AIOS_TOKEN"], user="bench")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servers", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["bare", "workbench"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ttl", type=float, default=15.0, help="workbench: connector health cache lifetime (s)")
    parser.add_argument("--workspace", type=Path, default=REPO)
    args = parser.parse_args(argv)
    if args.kind == "bare":
        asyncio.run(serve_bare(args.port))
    else:
        asyncio.run(serve_workbench(args.port, args.ttl, args.workspace))


# --- the client side -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Endpoint:
    """One keep-alive HTTP connection to a URL path on 127.0.0.1, for timing GETs."""

    def __init__(self, port: int, path: str, headers: dict[str, str] | None = None):
        self.port, self.path, self.headers = port, path, headers or {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def get(self) -> tuple[int, bytes]:
        self.connection.request("GET", self.path, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def get_ok(self) -> None:
        status, body = self.get()
        if status != 200:
            raise RuntimeError(f"GET {self.path} on port {self.port} answered {status}: {body[:300]!r}")

    def close(self) -> None:
        self.connection.close()


@contextlib.contextmanager
def running(args: list[str], endpoint: Endpoint, *, env: dict[str, str] | None = None, startup: float = 60.0):
    """Start a server process, wait until `endpoint` answers 200, yield it, then stop the process."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(args, cwd=REPO, env={**os.environ, **(env or {})},
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, endpoint, startup, log)
            yield endpoint
        finally:
            endpoint.close()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen, endpoint: Endpoint, startup: float, log) -> None:
    deadline = time.monotonic() + startup
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{' '.join(process.args)} exited with {process.returncode} before serving:\n"
                               + log.read().decode(errors="replace")[-2000:])
        try:
            endpoint.get_ok()
            return
        except (ConnectionError, http.client.HTTPException, OSError):
            endpoint.close()
            endpoint.connection = http.client.HTTPConnection(HOST, endpoint.port, timeout=30)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{' '.join(process.args)} did not answer on port {endpoint.port} "
                               f"within {startup:.0f} s")
        time.sleep(0.1)


def bare_server(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.servers", "bare", "--port", str(port)]


if __name__ == "__main__":
    main()
