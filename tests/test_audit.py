"""The audit log: a hash chain that shows any edit, deletion, insertion, reordering or
cut tail, keeps its order under concurrent appenders, and answers filtered, paged queries."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, text, update

from aios_workbench.audit import GENESIS, TRUNCATED_MARK, AuditLog, HeadAnchor, open_audit_log, record_hash
from aios_workbench.audit.chain import advance_head, read_head
from aios_workbench.core.errors import UsageError
from aios_workbench.store import open_store
from aios_workbench.store.models import AuditEvent
from aios_workbench.surfaces.cli.main import WorkbenchGroup, cli
from tests.conftest import run_aios

TABLE = AuditEvent.__table__
DATASETS = ["wh.main.orders", "wh.main.order_items", "crm.public.customers"]


@pytest.fixture(autouse=True)
def witness_home(tmp_path, monkeypatch):
    """Witness files and keys of the workspaces made here go to a temporary folder, never ~/.local/state."""
    folder = tmp_path / "witness-home"
    monkeypatch.setenv("AIOS_WITNESS_DIR", str(folder))
    return folder


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def audit_log(store_url, tmp_path):
    log = AuditLog(open_store(store_url), tmp_path / "state" / "audit.head")
    yield log
    log.store.close()


def fill(log: AuditLog, count: int) -> list[dict]:
    """`count` records cycling through users, datasets and verdicts."""
    records = []
    for i in range(count):
        dataset = DATASETS[i % len(DATASETS)]
        allowed = i % 4 != 3
        detail = {"sql": f"SELECT * FROM {dataset} WHERE n = {i}", "datasets": [dataset], "rows": i,
                  "run_id": f"run-{i}"}
        if not allowed:
            detail["rule"] = "grant:analyst-no-pii"
        records.append(log.append(user=["ann", "bo", "cy"][i % 3], surface="kernel", action="query",
                                  target=dataset, allowed=allowed, detail=detail))
    return records


def sql(log: AuditLog, statement: str, **params) -> None:
    with log.store.engine.begin() as connection:
        connection.execute(text(statement), params)


def shift_ids_up(log: AuditLog, from_id: int) -> None:
    """Make room at `from_id` by renumbering it and every later record one up (via negatives,
    because a unique key is checked row by row)."""
    sql(log, "UPDATE audit_events SET id = -id WHERE id >= :f", f=from_id)
    sql(log, "UPDATE audit_events SET id = 1 - id WHERE id < 0")


def stored(log: AuditLog, record_id: int) -> dict:
    with log.store.engine.connect() as connection:
        return dict(connection.execute(select(TABLE).where(TABLE.c.id == record_id)).mappings().one())


# -- the chain ---------------------------------------------------------------------------------


def test_appended_records_chain_from_genesis_and_verify(audit_log):
    records = fill(audit_log, 10)

    result = audit_log.verify()

    assert (result.ok, result.checked, result.first_bad_id, result.reason, result.head_id) == (True, 10, None, None, 10)
    assert [r["id"] for r in records] == list(range(1, 11))
    assert records[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(records, records[1:], strict=False))
    assert read_head(audit_log.head_file) == HeadAnchor(10, records[-1]["hash"])
    assert records[0]["at"].endswith("+00:00") and len(records[0]["at"].split(".")[1]) == 6 + 6


def test_an_empty_log_verifies(audit_log):
    result = audit_log.verify()

    assert (result.ok, result.checked, result.head_id) == (True, 0, None)


def test_hash_covers_the_id_and_every_field():
    record = {"id": 3, "at": datetime(2026, 11, 2, 9, 30, 0, 123456, tzinfo=UTC), "user": "ann",
              "surface": "kernel", "action": "query", "target": "wh.main.orders", "allowed": True,
              "detail": {"rows": 1}, "prev_hash": GENESIS}
    base = record_hash(record)

    for name, other in [("id", 4), ("at", record["at"] + timedelta(microseconds=1)), ("user", "bo"),
                        ("surface", "cli"), ("action", "export"), ("target", "wh.main.items"), ("allowed", False),
                        ("detail", {"rows": 2}), ("prev_hash", "f" * 64)]:
        assert record_hash({**record, name: other}) != base, name
    # the same moment in another zone, or naive UTC as SQLite returns it, is the same record
    assert record_hash({**record, "at": record["at"].astimezone(timezone(timedelta(hours=5)))}) == base
    assert record_hash({**record, "at": record["at"].replace(tzinfo=None)}) == base


@pytest.mark.parametrize("change", [
    "\"user\" = 'mallory'",
    "allowed = NOT allowed",
    "detail = '{\"rows\": 0}'",
    "target = 'wh.main.nothing'",
    "at = at + INTERVAL '1 second'",
])
def test_an_edited_field_is_named_by_record(audit_log, change):
    fill(audit_log, 10)
    if "INTERVAL" in change and audit_log.store.backend == "sqlite":
        change = "at = '2020-01-01 00:00:00.000000'"

    sql(audit_log, f"UPDATE audit_events SET {change} WHERE id = 4")
    result = audit_log.verify()

    assert (result.ok, result.first_bad_id, result.checked) == (False, 4, 3)
    assert result.reason == "record 4 was edited: its hash does not match its content"


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(audit_log):
    fill(audit_log, 10)
    forged = {**stored(audit_log, 4), "user": "mallory"}
    sql(audit_log, "UPDATE audit_events SET \"user\" = 'mallory', hash = :h WHERE id = 4", h=record_hash(forged))

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id) == (False, 5)
    assert "record 5 does not follow record 4" in result.reason


def test_a_deleted_middle_record_is_named(audit_log):
    fill(audit_log, 10)
    sql(audit_log, "DELETE FROM audit_events WHERE id = 5")

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id, result.checked) == (False, 5, 4)
    assert result.reason.startswith("record 5 is missing: the log jumps from record 4 to record 6")


def test_a_deleted_first_record_is_named(audit_log):
    fill(audit_log, 3)
    sql(audit_log, "DELETE FROM audit_events WHERE id = 1")

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id) == (False, 1)


def test_a_deleted_and_renumbered_record_is_named(audit_log):
    fill(audit_log, 10)
    sql(audit_log, "DELETE FROM audit_events WHERE id = 5")
    sql(audit_log, "UPDATE audit_events SET id = -id WHERE id > 5")
    sql(audit_log, "UPDATE audit_events SET id = -id - 1 WHERE id < 0")

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id) == (False, 5)


def test_a_deleted_last_record_is_caught_by_the_head_file(audit_log):
    fill(audit_log, 10)
    sql(audit_log, "DELETE FROM audit_events WHERE id >= 9")

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id, result.checked) == (False, 9, 8)
    assert result.reason == ("the log ends at record 8, but the head file says record 10 was written: "
                             "records 9 to 10 were removed from the end (truncated)")


def test_an_emptied_log_is_caught_by_the_head_file(audit_log):
    fill(audit_log, 3)
    sql(audit_log, "DELETE FROM audit_events")

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id) == (False, 1)
    assert "the log is empty" in result.reason


@pytest.mark.parametrize("hash_kind", ["made-up", "recomputed"])
def test_a_forged_record_inserted_in_the_middle_is_caught(audit_log, hash_kind):
    fill(audit_log, 10)
    shift_ids_up(audit_log, 6)
    forged = {"id": 6, "at": datetime.now(UTC), "user": "ann", "surface": "kernel", "action": "query",
              "target": "wh.main.orders", "allowed": True, "detail": {"rows": 1},
              "prev_hash": stored(audit_log, 5)["hash"]}
    forged["hash"] = record_hash(forged) if hash_kind == "recomputed" else "a" * 64
    with audit_log.store.engine.begin() as connection:
        connection.execute(insert(TABLE).values(**forged))

    result = audit_log.verify()

    # a forger who knows the algorithm makes record 6 look right; the renumbered record after it cannot
    bad = 6 if hash_kind == "made-up" else 7
    assert (result.ok, result.first_bad_id) == (False, bad)
    assert result.reason == f"record {bad} was edited: its hash does not match its content"


def test_two_swapped_records_are_caught_at_the_first(audit_log):
    fill(audit_log, 10)
    third, fourth = stored(audit_log, 3), stored(audit_log, 4)
    with audit_log.store.engine.begin() as connection:
        for target, source in ((3, fourth), (4, third)):
            connection.execute(update(TABLE).where(TABLE.c.id == target)
                               .values(**{c: v for c, v in source.items() if c != "id"}))

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id) == (False, 3)


def test_a_chain_rewritten_with_recomputed_hashes_is_caught_by_the_head_file(audit_log):
    fill(audit_log, 10)
    previous = stored(audit_log, 7)["hash"]
    for record_id in range(8, 11):
        record = {**stored(audit_log, record_id), "prev_hash": previous}
        if record_id == 8:
            record["user"] = "mallory"
        record["hash"] = record_hash(record)
        sql(audit_log, "UPDATE audit_events SET \"user\" = :u, prev_hash = :p, hash = :h WHERE id = :i",
            u=record["user"], p=record["prev_hash"], h=record["hash"], i=record_id)
        previous = record["hash"]

    result = audit_log.verify()

    assert (result.ok, result.first_bad_id) == (False, 10)
    assert "rewritten" in result.reason


def test_without_a_head_file_verify_passes_with_a_warning(audit_log):
    fill(audit_log, 3)
    audit_log.head_file.unlink()

    result = audit_log.verify()

    assert result.ok and result.head_id is None
    assert result.warnings == ["no head file: records removed from the end of the log could not be detected"]


def test_the_head_file_never_moves_back(tmp_path):
    head = tmp_path / "audit.head"
    advance_head(head, HeadAnchor(5, "e" * 64))
    advance_head(head, HeadAnchor(4, "d" * 64))

    assert read_head(head) == HeadAnchor(5, "e" * 64)
    assert not list(tmp_path.glob("*.tmp"))


def test_when_even_the_error_cannot_be_described_no_caller_thinks_its_record_written(audit_log, monkeypatch):
    """An append whose failure raises again while it is being reported still fails every caller of the batch:
    none gets back a record id that was never stored."""
    import aios_workbench.audit.log as audit_module
    from aios_workbench.core.errors import StoreError

    class BrokenInsert:
        def execute(self, *args):
            raise audit_log.store.engine.dialect.loaded_dbapi.OperationalError("")
        executemany = execute

    def unreportable(*args):
        raise RuntimeError("the error could not be described")

    statements = audit_log._append_statements
    monkeypatch.setattr(statements, "insert_record", BrokenInsert())
    monkeypatch.setattr(statements, "pg_insert_record", BrokenInsert(), raising=False)
    monkeypatch.setattr(audit_module, "_store_error", unreportable)
    with pytest.raises((StoreError, RuntimeError)):
        audit_log.append(user="ann", surface="cli", action="query", allowed=True)
    monkeypatch.undo()

    assert audit_log.count() == 0
    assert audit_log.append(user="ann", surface="cli", action="query", allowed=True)["id"] == 1


def test_a_connection_lost_during_an_append_reports_the_first_error_not_the_rollbacks(audit_log, monkeypatch):
    from aios_workbench.core.errors import StoreError

    dbapi = audit_log.store.engine.dialect.loaded_dbapi

    class LostInsert:
        def execute(self, *args):
            raise dbapi.OperationalError("terminating connection due to administrator command")
        executemany = execute

    engine = audit_log.store.engine
    pooled = engine.raw_connection

    class Lost:   # the pool's connection, whose rollback fails as on a dead connection
        def __init__(self):
            self.connection = pooled()
            self.invalidated = False

        def __getattr__(self, name):
            return getattr(self.connection, name)

        def rollback(self):
            raise dbapi.OperationalError("the connection is lost")

        def invalidate(self):
            self.invalidated = True
            self.connection.invalidate()

    handed: list[Lost] = []
    statements = audit_log._append_statements
    monkeypatch.setattr(statements, "insert_record", LostInsert())
    monkeypatch.setattr(statements, "pg_insert_record", LostInsert(), raising=False)
    monkeypatch.setattr(engine, "raw_connection", lambda: handed.append(Lost()) or handed[-1])
    with pytest.raises(StoreError, match="terminating connection due to administrator command"):
        audit_log.append(user="ann", surface="cli", action="query", allowed=True)
    monkeypatch.undo()
    assert [lost.invalidated for lost in handed] == [True]   # dropped from the pool, not handed out again

    assert audit_log.append(user="ann", surface="cli", action="query", allowed=True)["id"] == 1
    assert audit_log.verify().ok


def test_an_appender_follows_its_head_file_when_it_is_replaced_or_deleted(audit_log):
    """The appender keeps the head file open between appends: a file restored from a backup (a new inode)
    or deleted must still receive the next anchor, not an orphaned descriptor."""
    audit_log.append(user="ann", surface="cli", action="query", allowed=True)
    restored = audit_log.head_file.with_name("restored.head")
    restored.write_bytes(audit_log.head_file.read_bytes())
    restored.replace(audit_log.head_file)
    second = audit_log.append(user="ann", surface="cli", action="query", allowed=True)
    assert read_head(audit_log.head_file) == HeadAnchor(2, second["hash"])

    audit_log.head_file.unlink()
    third = audit_log.append(user="ann", surface="cli", action="query", allowed=True)
    assert read_head(audit_log.head_file) == HeadAnchor(3, third["hash"])
    assert audit_log.verify().ok


def test_credentials_in_detail_are_redacted_and_the_chain_still_verifies(audit_log):
    record = audit_log.append(user="ann", surface="cli", action="query", target=["wh.main.orders"], allowed=True,
                              detail={"sql": "SELECT 1", "source": "postgresql://etl:hunter2@db/wh",
                                      "nested": [{"url": "https://x/?token=abc123"}], "when": datetime(2026, 1, 1)})

    assert "hunter2" not in json.dumps(record) and "abc123" not in json.dumps(record)
    assert record["detail"]["when"] == "2026-01-01 00:00:00"
    assert "hunter2" not in json.dumps(stored(audit_log, 1)["detail"], default=str)
    assert audit_log.verify().ok


def test_an_overlong_user_is_refused(audit_log):
    with pytest.raises(UsageError, match="at most 128"):
        audit_log.append(user="x" * 129, surface="cli", action="query", allowed=True)


def test_verify_walks_20k_records_in_chunks(audit_log):
    start, previous, rows = datetime(2026, 1, 1, tzinfo=UTC), GENESIS, []
    for i in range(1, 20_001):
        row = {"id": i, "at": start + timedelta(seconds=i, microseconds=i), "user": f"u{i % 7}",
               "surface": "kernel", "action": "query", "target": DATASETS[i % 3], "allowed": i % 5 != 0,
               "detail": {"sql": "SELECT * FROM orders", "datasets": [DATASETS[i % 3]], "rows": i},
               "prev_hash": previous}
        row["hash"] = previous = record_hash(row)
        rows.append(row)
    with audit_log.store.engine.begin() as connection:
        connection.execute(insert(TABLE), rows)
    advance_head(audit_log.head_file, HeadAnchor(20_000, previous))

    intact = audit_log.verify()
    sql(audit_log, "UPDATE audit_events SET action = 'export' WHERE id = 19999")
    tampered = audit_log.verify()

    assert (intact.ok, intact.checked) == (True, 20_000)
    assert (tampered.ok, tampered.first_bad_id, tampered.checked) == (False, 19_999, 19_998)


# -- concurrent appenders ----------------------------------------------------------------------


def _append_many(url: str, head_file: str, writer: int, count: int) -> None:
    log = AuditLog(open_store(url, migrate=False), head_file)
    for i in range(count):
        log.append(user=f"w{writer}", surface="test", action="query", target="wh.main.orders", allowed=True,
                   detail={"i": i})
    log.store.close()


def test_concurrent_appenders_from_four_processes_keep_one_intact_chain(audit_log):
    url = audit_log.store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(url, str(audit_log.head_file), w, 60)) for w in range(4)]

    for p in writers:
        p.start()
    for p in writers:
        p.join(timeout=180)

    assert [p.exitcode for p in writers] == [0, 0, 0, 0]
    result = audit_log.verify()
    assert (result.ok, result.checked, result.head_id) == (True, 240, 240), result.reason
    records = audit_log.query(limit=240)
    assert sorted(r["user"] for r in records).count("w0") == 60
    assert [r["at"] for r in records] == sorted((r["at"] for r in records), reverse=True)


# -- queries -----------------------------------------------------------------------------------


def test_query_is_newest_first_and_pages_by_id(audit_log):
    fill(audit_log, 25)

    first = audit_log.query(limit=10)
    second = audit_log.query(limit=10, before_id=first[-1]["id"])
    third = audit_log.query(limit=10, before_id=second[-1]["id"])

    assert [r["id"] for r in first + second + third] == list(range(25, 0, -1))
    assert audit_log.query(limit=10, before_id=1) == []


def test_query_filters_by_user_verdict_action_and_time(audit_log):
    records = fill(audit_log, 12)
    audit_log.append(user="ann", surface="cli", action="export", target="wh.main.orders", allowed=True)

    assert {r["user"] for r in audit_log.query(user="bo")} == {"bo"}
    assert len(audit_log.query(user="bo")) == 4
    denied = audit_log.query(allowed=False)
    assert [r["id"] for r in denied] == [12, 8, 4]
    assert all(r["detail"]["rule"] == "grant:analyst-no-pii" for r in denied)
    assert [r["id"] for r in audit_log.query(action="export")] == [13]
    middle = records[5]["at"]
    assert [r["id"] for r in audit_log.query(since=middle, until=records[8]["at"])] == [8, 7, 6]
    assert audit_log.query(since=datetime.now(UTC) + timedelta(days=1)) == []
    assert len(audit_log.query(since=middle[:10])) == 13  # a date means its midnight UTC


def test_query_by_dataset_matches_whole_names_only(audit_log):
    fill(audit_log, 9)
    audit_log.append(user="ann", surface="kernel", action="query", target=["wh.main.orders", "crm.public.customers"],
                     allowed=True, detail={"datasets": ["wh.main.orders", "crm.public.customers"]})
    audit_log.append(user="ann", surface="kernel", action="query", target="wh.main.orderXitems", allowed=True)

    def ids(**filters):
        return [r["id"] for r in audit_log.query(**filters)]

    assert ids(dataset="wh.main.orders") == [10, 7, 4, 1]
    assert ids(dataset="orders") == [10, 7, 4, 1]
    assert ids(dataset="WH.MAIN.ORDER_ITEMS") == [8, 5, 2]  # "_" is not a wildcard
    assert ids(dataset="customers", limit=2) == [10, 9]
    assert ids(dataset="main.orderXitems") == [11]
    assert ids(dataset="wh.main") == []


def test_a_long_dataset_list_is_cut_in_target_but_still_found_through_detail(audit_log):
    names = [f"wh.main.table_{i:03d}" for i in range(60)]
    record = audit_log.append(user="ann", surface="kernel", action="query", target=names, allowed=True,
                              detail={"datasets": names})

    assert len(record["target"]) <= 512 and record["target"].endswith(TRUNCATED_MARK)
    assert "wh.main.table_059" not in record["target"]
    assert [r["id"] for r in audit_log.query(dataset="wh.main.table_059")] == [1]
    assert audit_log.verify().ok


def test_a_bad_query_limit_or_time_is_a_usage_error(audit_log):
    with pytest.raises(UsageError):
        audit_log.query(limit=0)
    with pytest.raises(UsageError, match="not an ISO date"):
        audit_log.query(since="last tuesday")


# -- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def aios():
    """`aios` with the audit commands, through the real error-to-exit-code handling."""
    from aios_workbench.surfaces.cli.audit_commands import audit

    group = WorkbenchGroup(name="aios", commands={"audit": audit})

    def invoke(workspace, *args):
        return CliRunner().invoke(group, list(args), obj={"workspace": str(workspace.root)})

    return invoke


@pytest.fixture
def workspace_log(workspace):
    log = open_audit_log(workspace)
    yield log
    log.store.close()


def test_cli_help(aios, workspace):
    for args in (["audit", "--help"], ["audit", "verify", "--help"], ["audit", "tail", "--help"]):
        result = aios(workspace, *args)
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_cli_verify_intact_and_tampered(aios, workspace, workspace_log):
    fill(workspace_log, 6)
    workspace_log.wait_for_checkpoints()
    workspace_log.checkpoint()
    assert workspace_log.head_file == workspace.state_dir / "audit.head"

    intact = aios(workspace, "audit", "verify")
    sql(workspace_log, "UPDATE audit_events SET \"user\" = 'mallory' WHERE id = 3")
    tampered = aios(workspace, "audit", "verify")
    as_json = aios(workspace, "audit", "verify", "--json")

    assert intact.exit_code == 0 and "audit log intact up to record #6, signed checkpoint of" in intact.stdout
    assert "(6 records checked" in intact.stdout
    assert tampered.exit_code == 65
    assert "TAMPERED: record 3 was edited" in tampered.stdout and "#3" in tampered.stdout
    assert "mallory" in tampered.stdout
    body = json.loads(as_json.stdout)
    assert (as_json.exit_code, body["ok"], body["first_bad_id"], body["first_bad_record"]["user"]) == (
        65, False, 3, "mallory")


def test_cli_tail_as_json_and_text(aios, workspace, workspace_log):
    fill(workspace_log, 8)

    latest = aios(workspace, "audit", "tail", "-n", "3", "--json")
    denied = aios(workspace, "audit", "tail", "--denied")
    filtered = aios(workspace, "audit", "tail", "--json", "--user", "ann", "--dataset", "orders", "--allowed")
    since = aios(workspace, "audit", "tail", "--json", "--since", "2999-01-01")

    assert latest.exit_code == 0 and [r["id"] for r in json.loads(latest.stdout)] == [8, 7, 6]
    lines = denied.stdout.splitlines()
    assert len(lines) == 2 and all("DENIED" in line and "rule: grant:analyst-no-pii" in line for line in lines)
    assert "#8" in lines[0] and "wh.main.order_items" in lines[0]
    assert [r["id"] for r in json.loads(filtered.stdout)] == [7, 1]
    assert json.loads(since.stdout) == []


def test_cli_tail_with_a_bad_date_exits_64(aios, workspace):
    result = aios(workspace, "audit", "tail", "--since", "yesterday-ish")

    assert result.exit_code == 64
    assert "not an ISO date" in result.stderr


def test_aios_audit_through_the_installed_command(workspace):
    if "audit" not in cli.commands:
        pytest.skip("`aios audit` is not registered in cli/main.py yet")
    log = open_audit_log(workspace)
    fill(log, 2)
    log.wait_for_checkpoints()
    log.store.close()

    verify = run_aios("audit", "verify", "--json", cwd=workspace.root)
    tail = run_aios("audit", "tail", "--json", cwd=workspace.root)

    assert verify.returncode == 0 and json.loads(verify.stdout)["checked"] == 2, verify.stderr
    assert [r["id"] for r in json.loads(tail.stdout)] == [2, 1]
    log = open_audit_log(workspace)
    sql(log, "DELETE FROM audit_events WHERE id = 2")
    log.store.close()
    truncated = run_aios("audit", "verify", cwd=workspace.root)
    assert truncated.returncode == 65 and "record 2 was removed from the end" in truncated.stdout


# -- group commit ------------------------------------------------------------------------------


def test_concurrent_appenders_each_get_their_own_committed_record_in_one_gap_free_chain(audit_log):
    from concurrent.futures import ThreadPoolExecutor

    def append(n: int) -> dict:
        return audit_log.append(user=f"u{n % 5}", surface="api", action="query", target=DATASETS[n % 3],
                                allowed=n % 4 != 0, detail={"n": n})

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(append, range(240)))

    assert sorted(a["id"] for a in answers) == list(range(1, 241))
    for answer in answers[::7]:   # what a caller got back is what was committed under its id, its own record
        row = stored(audit_log, answer["id"])
        assert (row["hash"], row["detail"]["n"], row["user"]) == (answer["hash"], answer["detail"]["n"],
                                                                  answer["user"])
    result = audit_log.verify()
    assert result.ok and result.checked == 240 and result.head_id == 240


def test_a_failed_group_commit_fails_every_caller_of_it_and_writes_nothing(audit_log, monkeypatch):
    from aios_workbench.core.errors import StoreError

    audit_log.append(user="ann", surface="cli", action="query", allowed=True)

    class BrokenInsert:   # the driver fails the insert, inside the transaction that read the chain's head
        def execute(self, *args):
            raise audit_log.store.engine.dialect.loaded_dbapi.OperationalError("disk I/O error")
        executemany = execute

    statements = audit_log._append_statements
    monkeypatch.setattr(statements, "insert_record", BrokenInsert())
    monkeypatch.setattr(statements, "pg_insert_record", BrokenInsert(), raising=False)
    with pytest.raises(StoreError, match="cannot append to the audit log"):
        audit_log.append(user="ann", surface="cli", action="query", allowed=True)
    monkeypatch.undo()

    assert audit_log.count() == 1 and audit_log.verify().ok
    assert audit_log.append(user="ann", surface="cli", action="query", allowed=True)["id"] == 2
