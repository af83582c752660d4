"""A team on two replicas: 50 hub users, each with their own token, querying `aios serve` x2 on PostgreSQL.

Candidate: two `aios serve` processes in team mode (`hub:`) on one throwaway workspace whose metadata store
(catalog, audit chain, checkpoints) is a fresh PostgreSQL database, behind a real JupyterHub (tests/hub.py);
50 simulated users (threads of client processes), each holding their own hub API token (scope
access:services!service=aios; each replica asks the hub once per token and cache period), send the small governed point lookup of `bench_governed_query` to the replicas in turn for
`TEAM_SECONDS` (default 60, the issue's; $AIOS_BENCH_TEAM_SECONDS or `python -m bench.bench_team
--seconds N` changes it), each pausing `THINK_SECONDS` (default 1 s: 50 users offer up to 50 queries/s;
$AIOS_BENCH_TEAM_THINK or `--think S`) between the end of one query and the start of the next. Every answer is checked (one
row); an error counts and is reported (target: none).
Baseline: the same query in local mode, one in-process `WorkbenchService(mode="local")` on the same data
with its SQLite store, one call at a time.

Targets (issue #18): no errors; p95 latency <= 100 ms on this 2-core machine.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import secrets
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench import governed_data as data
from bench.bench_status import aios_cli
from bench.harness import Comparison, benchmark
from bench.servers import HOST, Endpoint, free_port, running

USERS = 50
REPLICAS = 2
CLIENT_PROCESSES = 5   # the users' processes: 10 users each
TEAM_SECONDS = float(os.environ.get("AIOS_BENCH_TEAM_SECONDS", "60"))
THINK_SECONDS = float(os.environ.get("AIOS_BENCH_TEAM_THINK", "1"))   # a user's pause between queries
P95_TARGET = 0.100
BASELINE = "local mode, in-process, SQLite"
PG_ADMIN = "host=127.0.0.1 dbname=test user=postgres"


def _sql(user_number: int, turn: int) -> str:
    return f"SELECT * FROM {data.SMALL_TABLE} WHERE id = {(user_number * 7919 + turn) % data.SMALL_ROWS}"


def _policy() -> str:
    users = "\n".join(f"  user{n:02d}:\n    roles: [plain]" for n in range(USERS))
    return (f"roles:\n  plain:\n    description: reads the benchmark data\nusers:\n{users}\n"
            f"grants:\n  - {{role: plain, scope: {data.SMALL_SOURCE}}}\n")


def _postgres_database() -> str:
    """A fresh PostgreSQL database (dropped at exit); its SQLAlchemy URL."""
    import psycopg  # lazy: only this benchmark needs a PostgreSQL driver

    name = f"aios_bench_team_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def team_workspace(store_url: str | None) -> Path:
    """A throwaway workspace over the 1k-row file, 50 users, on `store_url` (None: its SQLite file)."""
    from aios_workbench.workspace.scaffold import init_workspace

    root = Path(tempfile.mkdtemp(prefix="aios-team-"))
    atexit.register(shutil.rmtree, root, True)
    init_workspace(root, name="team")
    path = data.parquet_file(data.SMALL_ROWS)
    (root / "connectors" / f"{data.SMALL_SOURCE}.yaml").write_text(
        f"name: {data.SMALL_SOURCE}\ntype: files\noptions:\n  path: '{path.parent}'\n  format: parquet\n"
        f"  glob: '{path.name}'\n  dataset: orders\n")
    (root / "governance" / "policy.yaml").write_text(_policy())
    import yaml  # lazy: only to edit the scaffold's aios.yaml

    config_file = root / "aios.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    witness = Path(tempfile.mkdtemp(prefix="aios-team-witness-"))
    atexit.register(shutil.rmtree, witness, True)
    config["audit"] = {"witness": str(witness / "audit.jsonl")}
    if store_url:
        config["metadata_store"] = {"url": store_url}
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    data._scan(root)
    return root


def hub_tokens(root: Path, stack: contextlib.ExitStack) -> tuple[list[str], dict[str, str]]:
    """A real JupyterHub (tests/hub.py: the hub and its proxy from the set-up), one hub user and API token per
    user, and `root` in team mode behind it: (the users' hub tokens, the replicas' extra environment)."""
    from tests.hub import SERVICE_NAME, start_hub  # lazy: the team benchmark alone starts a hub

    folder = Path(tempfile.mkdtemp(prefix="aios-team-hub-"))
    stack.callback(shutil.rmtree, folder, True)
    hub = start_hub(folder)
    stack.callback(hub.stop)
    tokens = [hub.token_for(f"user{n:02d}") for n in range(USERS)]
    with open(root / "aios.yaml", "a", encoding="utf-8") as config:
        config.write(f"hub:\n  api_url: {hub.api_url}\n  service_name: {SERVICE_NAME}\n")
    from aios_workbench.workspace import Workspace

    state = Workspace.load(root).state_dir
    for path in (state, *state.rglob("*")):   # team mode serves a private state only
        path.chmod(path.stat().st_mode & 0o700)
    return tokens, {"JUPYTERHUB_API_TOKEN": hub.service_token}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def team_load(urls: list[str], users: list[tuple[int, str]], seconds: float, think: float, *,
              start_at: float | None = None) -> tuple[list[float], list[str]]:
    """Every user (number, token) on its own thread for `seconds`: (latencies in seconds, errors in words)."""
    from aios_workbench.kernel.client import ServiceClient

    latencies: list[float] = []
    errors: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(len(users))

    def user(number: int, token: str) -> None:
        client = ServiceClient(urls[number % len(urls)], token, timeout=30)
        start.wait()
        if start_at is not None:
            time.sleep(max(0.0, start_at - time.time()))
        deadline = time.monotonic() + seconds
        turn = 0
        time.sleep(think * number / USERS)   # users do not all start on the same tick
        while time.monotonic() < deadline:
            turn += 1
            began = time.perf_counter()
            try:
                table = client.query_arrow(_sql(number, turn), surface="bench")
                problem = None if table.num_rows == 1 else f"{table.num_rows} rows, expected 1"
            except Exception as exc:  # noqa: BLE001 - every failure is a figure of this benchmark
                problem = getattr(exc, "message", None) or repr(exc)
            took = time.perf_counter() - began
            with guard:
                (errors.append(problem) if problem else latencies.append(took))
            time.sleep(think)

    threads = [threading.Thread(target=user, args=user_and_token) for user_and_token in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def _load_share(args: tuple[list[str], list[tuple[int, str]], float, float, float]) -> tuple[list[float], list[str]]:
    urls, users, seconds, think, start_at = args
    return team_load(urls, users, seconds, think, start_at=start_at)


def spread_load(urls: list[str], tokens: list[str], seconds: float, think: float) -> tuple[list[float], list[str]]:
    """The users spread over CLIENT_PROCESSES processes, as users' kernels are processes of their own: 50
    threads of one interpreter would queue for its lock and add that wait to every latency."""
    import multiprocessing

    users = list(enumerate(tokens))
    start_at = time.time() + 8.0   # every process has started and imported by then: none loads while others time
    shares = [(urls, users[n::CLIENT_PROCESSES], seconds, think, start_at) for n in range(CLIENT_PROCESSES)]
    with multiprocessing.get_context("spawn").Pool(CLIENT_PROCESSES) as pool:
        results = pool.map(_load_share, shares)
    return [t for r in results for t in r[0]], [e for r in results for e in r[1]]


@benchmark("team: 50 users, 2 replicas on PostgreSQL", baseline=BASELINE, repeat=1)
def team(repeat: int, seconds: float | None = None, think: float | None = None) -> Comparison:
    """50 hub users with their own tokens against 2 `aios serve` replicas on PostgreSQL, vs local mode."""
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    seconds = TEAM_SECONDS if seconds is None else seconds
    think = THINK_SECONDS if think is None else think
    root = team_workspace(_postgres_database())
    with contextlib.ExitStack() as stack:
        tokens, hub_env = hub_tokens(root, stack)
        urls = []
        for _ in range(REPLICAS):
            port = free_port()
            # the service's own token only opens the readiness probe; users come with their own tokens
            own = secrets.token_urlsafe(32)
            args = [aios_cli(), "--workspace", str(root), "serve", "--host", HOST, "--port", str(port),
                    "--user", "user00"]
            stack.enter_context(running(args, Endpoint(port, "/aios/api/status", {"Authorization": f"Bearer {own}"}),
                                        env={"AIOS_TOKEN": own, **hub_env}))
            urls.append(f"http://{HOST}:{port}")
        team_latencies, errors = spread_load(urls, tokens, seconds, think)

    local_root = team_workspace(None)
    service = WorkbenchService(Workspace.load(local_root), mode="local")
    local: list[float] = []
    try:
        for turn in range(min(len(team_latencies), 1000)):
            began = time.perf_counter()
            service.queries.run(_sql(turn % USERS, turn), user=f"user{turn % USERS:02d}", surface="bench").to_arrow()
            local.append(time.perf_counter() - began)
    finally:
        service.audit.close(force=True)   # its last checkpoint now, not at exit after its folder is gone
        service.close()

    result = Comparison("team: 50 users, 2 replicas on PostgreSQL", BASELINE, team_latencies, local)
    p50, p95, p99 = (percentile(team_latencies, q) for q in (0.50, 0.95, 0.99))
    verdict = "met" if p95 <= P95_TARGET and not errors else "missed"
    result.notes.append(f"{USERS} users ({CLIENT_PROCESSES} client processes of {USERS // CLIENT_PROCESSES} threads, "
                        f"each user with their own JupyterHub API token, resolved by a real hub), {REPLICAS} `aios serve` replicas on one PostgreSQL store, {seconds:g} s, a "
                        f"{think * 1e3:.0f} ms pause between a user's queries; query `{_sql(0, 1)}`.")
    result.notes.append(f"answered {len(team_latencies):,} queries ({len(team_latencies) / seconds:.0f}/s), "
                        f"errors {len(errors)}{': ' + errors[0] if errors else ''}; latency p50 "
                        f"{p50 * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms; local mode p50 "
                        f"{statistics.median(local) * 1e3:.1f} ms; target p95 <= {P95_TARGET * 1e3:.0f} ms and no "
                        f"errors: {verdict}.")
    return result


def main(argv: list[str] | None = None) -> None:
    from bench import report

    parser = argparse.ArgumentParser(prog="python -m bench.bench_team", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=TEAM_SECONDS, help="how long the users query")
    parser.add_argument("--think", type=float, default=THINK_SECONDS, help="a user's pause between queries (s)")
    args = parser.parse_args(argv)
    result = team(1, seconds=args.seconds, think=args.think)
    print(report.table([result]) + "\n\n" + report.notes([result]))


if __name__ == "__main__":
    main()
