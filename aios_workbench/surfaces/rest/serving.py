"""Running a Tornado application as a foreground server: listen (or say clearly why not), serve until
SIGINT/SIGTERM, then stop listening and close what it served. `aios serve` and `aios mlflow`'s login proxy
run this way."""

from __future__ import annotations

import asyncio
import errno
import signal
from collections.abc import Callable

from tornado import web
from tornado.httpserver import HTTPServer

from aios_workbench.core.errors import UsageError


def cannot_listen(exc: OSError, *, address: str, port: int, address_option: str = "--host") -> UsageError:
    """The error for a server that cannot listen on `address`:`port` (in use, privileged, not this machine's),
    naming the port and the option that picks another."""
    where = f"{address}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return UsageError(f"cannot listen on {where}: port {port} is already in use", input=port,
                          fix=f"pick another port with --port, or stop what listens on port {port}")
    if exc.errno == errno.EACCES:
        return UsageError(f"cannot listen on {where}: permission denied", input=port,
                          fix="pick a port above 1023 with --port")
    return UsageError(f"cannot listen on {where}: {exc.strerror or exc}", input=where,
                      fix=f"pass an address of this machine with {address_option} (e.g. 127.0.0.1) and a free --port")


async def serve_until_stopped(app: web.Application, *, host: str, port: int, close: Callable[[], None],
                              on_ready: Callable[[], None] | None = None, max_body_size: int | None = None) -> None:
    """Serve `app` on `host`:`port` until SIGINT/SIGTERM, then stop and `close()` (also when it cannot listen)."""
    server = HTTPServer(app, max_body_size=max_body_size)
    try:
        server.listen(port, address=host)
    except OSError as exc:
        close()
        raise cannot_listen(exc, address=host, port=port) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if on_ready:
        on_ready()
    try:
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
        close()
