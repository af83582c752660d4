"""Replicas: two real `aios serve` processes on one PostgreSQL metadata store, appending to one audit chain.

Many clients (threads) send governed queries, allowed and denied, to both replicas at once while the
replicas sign checkpoints into one shared witness file and `aios audit checkpoint` signs one from outside.
Afterwards the chain must hold exactly the calls made, ids without gaps, times in id order, and
`aios audit verify` must pass from every replica's workspace folder (the shared one, or each its own).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import aios_serve, copy_demo_workspace, run_aios

TOKEN = "replica-token-" + "x" * 24
USER = "bob"   # an analyst: purchasing_warehouse is granted, shipment_files is not
ALLOWED_SQL = "SELECT count(*) AS n FROM purchasing_warehouse.procurement.purchase_orders"
DENIED_SQL = "SELECT count(*) AS n FROM shipment_files.main.shipments"
LOAD_SECONDS = 4.0
CLIENTS = 8


def _team_workspace(demo_workspace, tmp_path, postgres_url):
    """A copy of the demo workspace on `postgres_url` that signs a checkpoint every few records (so the
    replicas sign them while both append)."""
    import yaml

    ws = copy_demo_workspace(demo_workspace, tmp_path / "replica-a", metadata_url=postgres_url)
    config_file = ws.root / "aios.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["audit"] = {"witness": str(tmp_path / "witness" / "audit.jsonl"), "checkpoint_every": 25,
                       "checkpoint_seconds": 1}
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    return ws.root


def _second_folder(first, target):
    """Another workspace folder with the same aios.yaml (same store, same witness) and a state folder of its
    own, as a replica on another machine would have."""
    shutil.copytree(first, target, symlinks=True, ignore=shutil.ignore_patterns("audit.head", "audit.head.lock"))
    return target


def _load(urls: list[str], seconds: float, during=None) -> Counter:
    """Clients on every replica for `seconds` (and until `during` is done), each alternating allowed and denied
    queries; `during` runs once in the middle. Returns how many calls of each kind were answered (an error
    fails the test)."""
    from aios_workbench.core.errors import WorkbenchError
    from aios_workbench.kernel.client import ServiceClient

    made: Counter = Counter()
    failures: list[str] = []
    guard = threading.Lock()
    deadline = time.monotonic() + seconds
    finished = threading.Event()   # `during` is done: it must see appends all along, however slow the machine
    if during is None:
        finished.set()

    def client(number: int) -> None:
        service = ServiceClient(urls[number % len(urls)], TOKEN, timeout=60)
        turn = number
        while time.monotonic() < deadline or not finished.is_set():
            turn += 1
            if turn % 3:
                table = service.query_arrow(ALLOWED_SQL)
                kind = "allowed" if table.num_rows == 1 else "wrong"
            else:
                try:
                    service.query_arrow(DENIED_SQL)
                    kind = "not refused"
                except WorkbenchError as exc:
                    kind = "denied" if "shipment" in exc.message else f"error: {exc.message}"
            with guard:
                made[kind] += 1
                if kind not in ("allowed", "denied"):
                    failures.append(kind)

    with ThreadPoolExecutor(CLIENTS + 1) as pool:
        running = [pool.submit(client, n) for n in range(CLIENTS)]
        if during is not None:
            time.sleep(seconds / 2)
            try:
                pool.submit(during).result()
            finally:
                finished.set()
        for future in running:
            future.result()
    assert not failures, failures[:5]
    return made


def _records_after(store_url: str, after: int) -> list[dict]:
    from sqlalchemy import select

    from aios_workbench.audit.log import COLUMNS, TABLE
    from aios_workbench.store import open_store

    store = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(select(TABLE).where(COLUMNS.id > after).order_by(COLUMNS.id)).mappings().all()
        return [dict(row) for row in rows]
    finally:
        store.close()


def _last_id(store_url: str) -> int:
    from sqlalchemy import func, select

    from aios_workbench.audit.log import COLUMNS
    from aios_workbench.store import open_store

    store = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            return connection.execute(select(func.coalesce(func.max(COLUMNS.id), 0))).scalar_one()
    finally:
        store.close()


def _check_chain(store_url: str, before: int, made: Counter) -> None:
    """The records after `before` are exactly the calls made: one per call, allowed and denied alike,
    ids one after the other, times never going back."""
    records = _records_after(store_url, before)
    queries = [r for r in records if r["action"] == "query"]
    assert len(queries) == len(records), Counter(r["action"] for r in records)
    assert Counter(r["allowed"] for r in queries) == {True: made["allowed"], False: made["denied"]}
    assert {r["user"] for r in records} == {USER}
    assert [r["id"] for r in records] == list(range(before + 1, before + 1 + len(records)))
    times = [r["at"] for r in records]
    assert times == sorted(times), "audit times go back between consecutive ids"


def _verify(root) -> dict:
    result = run_aios("--workspace", str(root), "audit", "verify", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _checkpoint_while_appending(root) -> list[dict]:
    """`aios audit checkpoint` from outside the replicas until it signs one (it signs nothing when a replica
    has just checkpointed every record), then `aios audit verify` while the replicas go on appending."""
    for _ in range(10):
        result = run_aios("--workspace", str(root), "audit", "checkpoint", "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        signed = json.loads(result.stdout)
        if signed:
            assert _verify(root)["vouched_id"] >= signed["last_id"]
            return [signed]
    return []


@pytest.mark.parametrize("state", ["shared state folder", "a state folder each"])
def test_two_replicas_keep_one_intact_chain_under_concurrent_appends(demo_workspace, tmp_path, postgres_url,
                                                                    state):
    first = _team_workspace(demo_workspace, tmp_path, postgres_url)
    second = first if state == "shared state folder" else _second_folder(first, tmp_path / "replica-b")
    signed: list[dict] = []
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(aios_serve(root, token=TOKEN, user=USER, log=tmp_path / f"serve-{n}.log"))
                for n, root in enumerate((first, second))]
        before = _last_id(postgres_url)
        made = _load(urls, LOAD_SECONDS, during=lambda: signed.extend(_checkpoint_while_appending(first)))
        _check_chain(postgres_url, before, made)
        assert made["allowed"] > 20 and made["denied"] > 10, made
        assert signed and signed[0]["last_id"] > before, signed   # signed while both replicas appended
        after = _last_id(postgres_url)
    # both replicas stopped: each signed a last checkpoint; every checkpoint in the witness is genuine
    for root in {first, second}:
        verdict = _verify(root)
        assert verdict["ok"] and verdict["checked"] == after, verdict
        assert verdict["vouched_id"] == after, verdict   # the shutdown checkpoints cover every record
        assert not [w for w in verdict.get("warnings", []) if "not checked" in w], verdict
    assert _checkpoint_lines(first) >= 3


def _checkpoint_lines(root) -> int:
    """How many checkpoints the workspace's witness file holds (every line whole: a torn line would fail
    verify as an edit)."""
    from aios_workbench.audit.witness import Witness
    from aios_workbench.workspace import Workspace

    entries, malformed = Witness.for_workspace(Workspace.load(root)).read()
    assert not malformed
    return len(entries)


def test_replicas_in_other_folders_name_the_same_chain(demo_workspace, tmp_path, postgres_url):
    """The witness names a server-store workspace by its store, so replicas in different folders (or on
    different machines) share one witness file and check each other's checkpoints."""
    from aios_workbench.audit.witness import Witness
    from aios_workbench.workspace import Workspace

    first = _team_workspace(demo_workspace, tmp_path, postgres_url)
    second = _second_folder(first, tmp_path / "elsewhere")
    one, other = (Witness.for_workspace(Workspace.load(root)) for root in (first, second))
    assert one.path == other.path and one.workspace == other.workspace
    assert "postgres" not in one.workspace and "127.0.0.1" not in one.workspace   # a digest, not the URL


def test_concurrent_first_checkpoints_share_one_key(tmp_path):
    """Replicas starting together create the witness key once; every one signs with it, lines stay whole."""
    from aios_workbench.audit.witness import Witness

    path = tmp_path / "witness" / "team.jsonl"

    def sign(number: int) -> str:
        witness = Witness(path, workspace="team")
        checkpoint = witness.sign(last_id=number + 1, last_hash="a" * 64, count=number + 1, at="2026-12-06T00:00:00")
        witness.append(checkpoint)
        return checkpoint.key_id

    with ThreadPoolExecutor(16) as pool:
        key_ids = set(pool.map(sign, range(64)))
    assert len(key_ids) == 1
    entries, malformed = Witness(path, workspace="team").read()
    assert len(entries) == 64 and not malformed
    assert all(Witness(path, workspace="team").genuine(entry) for entry in entries)
