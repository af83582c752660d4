"""Service status latency: GET /aios/api/status on the standalone service, against bare tornado.

The baseline is one tornado handler answering a tiny JSON in the same kind of
process (a Python subprocess, same interpreter), so the ratio shows what the
workbench's status work (token check, store health, connector health, JSON)
costs over bare HTTP. Connector health is cached for 15 s (service/core.py):
"cached" measures repeated calls, "uncached" a service whose cache lifetime is 0,
so every call probes each declared source in DuckDB.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from pathlib import Path

from bench.harness import Comparison, benchmark, interleave
from bench.servers import REPO, Endpoint, bare_server, free_port, running

STATUS_PATH = "/aios/api/status"
BASELINE = "bare tornado JSON"
CACHE_TTL = 15.0


def aios_cli() -> str:
    return str(Path(sys.executable).with_name("aios"))


def measure(name: str, candidate_args: list[str], port: int, token: str, repeat: int,
            warmup: int) -> tuple[Comparison, float]:
    """Time GETs on a started candidate and bare baseline, interleaved, then stop both.

    Returns the comparison and the wall time the timed loop took.
    """
    auth = {"Authorization": f"Bearer {token}"}
    bare_port = free_port()
    with running(candidate_args, Endpoint(port, STATUS_PATH, auth), env={"AIOS_TOKEN": token}) as cand, \
            running(bare_server(bare_port), Endpoint(bare_port, STATUS_PATH)) as base:
        _, body = cand.get()
        started = time.monotonic()
        cand_samples, base_samples = interleave(cand.get_ok, base.get_ok, repeat=repeat, warmup=warmup)
        took = time.monotonic() - started
    result = Comparison(name, BASELINE, cand_samples, base_samples)
    result.notes.append(describe_connectors(json.loads(body)))
    return result, took


def describe_connectors(status: dict) -> str:
    connectors = status.get("connectors", [])
    failing = [c["name"] for c in connectors if not c.get("ok")]
    if not failing:
        return f"status reported {len(connectors)} declared sources, all reachable."
    return (f"status reported {len(connectors)} declared sources; not reachable: {', '.join(failing)} "
            "(prepare the demo data with `.venv/bin/aios demo --prepare-only`).")


@benchmark("status, cached", baseline=BASELINE, repeat=200)
def status_cached(repeat: int) -> Comparison:
    """`aios serve` answering repeated GET /aios/api/status (connector health from its 15 s cache)."""
    port, token = free_port(), secrets.token_urlsafe(32)
    args = [aios_cli(), "--workspace", str(REPO), "serve", "--port", str(port)]
    result, took = measure("status, cached", args, port, token, repeat, warmup=5)
    result.notes.append("`aios serve` as a subprocess; one keep-alive connection per server; "
                        "the cache was filled by the readiness probe.")
    if took > CACHE_TTL:
        result.notes.append(f"the run took {took:.0f} s, longer than the {CACHE_TTL:.0f} s cache lifetime: "
                            "a few samples include a connector probe (lower --repeat to avoid it).")
    return result


@benchmark("status, uncached", baseline=BASELINE, repeat=15)
def status_uncached(repeat: int) -> Comparison:
    """The same service with connector-health cache lifetime 0: every call probes every source."""
    port, token = free_port(), secrets.token_urlsafe(32)
    args = [sys.executable, "-m", "bench.servers", "workbench", "--port", str(port), "--ttl", "0"]
    result, _ = measure("status, uncached", args, port, token, repeat, warmup=1)
    result.notes.append("`WorkbenchService(connector_health_ttl=0)` served by `standalone.serve` "
                        "in a subprocess (`python -m bench.servers workbench --ttl 0`).")
    return result
