"""The audit log as an exit (issue #17, items 5 and 8), attacked through its real surfaces.

Item 5: a steward's `--as ana` probe is the steward's record (``detail.as_user``), never ana's; a reader who is
no auditor sees another person's SQL only without its literals (and no error text that could echo them); the
service, not the client, decides a query's `surface` and which run it is linked to.

Item 8: whoever can write the state folder (the metadata store and `audit.head`) but not the witness cannot
cut records off the end, rewrite the chain with recomputed hashes, or forge checkpoints unseen: signed
checkpoints in the store and in the witness file outside the state folder catch it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select, text

from aios_workbench.audit import GENESIS, AuditLog, HeadAnchor, Witness, open_audit_log, record_hash, redact_sql
from aios_workbench.audit.chain import advance_head
from aios_workbench.core.errors import AuditIntegrityError, ConfigError
from aios_workbench.store import open_store
from aios_workbench.store.models import AuditEvent
from tests.conftest import aios_serve, run_aios
from tests.governed_fixtures import build_governed_workspace, open_governed_service

TABLE = AuditEvent.__table__
SERVICE_TOKEN = "audit-exits-service-token"
PROBE_VALUE = "raw.email.3@secret.example"
PROBE = f"SELECT id, region FROM hr.main.people WHERE email = '{PROBE_VALUE}'"
PROBE_REDACTED = "SELECT id, region FROM hr.main.people WHERE email = ?"


# -- fixtures -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def witness_home(tmp_path_factory):
    """Witness files of this module's workspaces (and of the servers it starts) in a temporary folder."""
    folder = tmp_path_factory.mktemp("witness-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIOS_WITNESS_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def governed(tmp_path_factory, witness_home):
    """The governed workspace served by `aios serve`, with a token each for ana (analyst), sam (steward and
    auditor, may act as ana) and otto (no grants)."""
    from types import SimpleNamespace

    from aios_workbench.service.tokens import ServiceTokens

    root = build_governed_workspace(tmp_path_factory.mktemp("audit-exits") / "ws")
    open_governed_service(root).close()
    tokens = {user: ServiceTokens(root / ".aios").add(user)[1] for user in ("ana", "sam", "otto")}
    with aios_serve(root, token=SERVICE_TOKEN, user="otto") as url:
        yield SimpleNamespace(root=root, url=url, tokens=tokens)


def call(governed, user: str, path: str, *, body: dict | None = None) -> tuple[int, dict | bytes]:
    request = urllib.request.Request(f"{governed.url}/aios/api/{path}", method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {governed.tokens[user]}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if "json" in response.headers.get("Content-Type", "") else raw
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def audit_of(governed, reader: str, **filters) -> list[dict]:
    """GET audit as `reader` (the REST route the sidebar and scripts use)."""
    query = "&".join(f"{k}={v}" for k, v in {"limit": 1000, **filters}.items())
    status, body = call(governed, reader, f"audit?{query}")
    assert status == 200, body
    assert isinstance(body, dict)
    return body["records"]


def stored_records(root: Path, **filters) -> list[dict]:
    from aios_workbench.workspace import Workspace

    log = open_audit_log(Workspace.load(root))
    try:
        return log.query(limit=1000, **filters)
    finally:
        log.store.close()


# -- item 5: impersonation, literals -------------------------------------------------------------------------------
def test_a_stewards_probe_as_ana_is_his_record_and_never_shows_in_anas_audit(governed):
    done = run_aios("--workspace", str(governed.root), "sql", "--as", "ana", PROBE, "--json", env={"AIOS_USER": "sam"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []   # ana's grants applied: her email column is hashed, the probe meets none

    record = next(r for r in stored_records(governed.root, action="query") if r["detail"].get("sql") == PROBE)
    assert (record["user"], record["detail"]["as_user"], record["surface"]) == ("sam", "ana", "cli")

    # ana, the impersonated user: through REST, the team dashboard's view and the CLI, nothing of sam's probe
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    as_ana_rest = audit_of(governed, "ana")
    as_ana_dashboard = RemoteDashboardData.connect(governed.url, governed.tokens["ana"]).audit(limit=500)
    for records in (as_ana_rest, as_ana_dashboard):
        assert PROBE_VALUE not in json.dumps(records)
        assert all(r["user"] == "ana" for r in records)
        assert record["id"] not in [r["id"] for r in records]
    status, refused = call(governed, "ana", "audit?user=sam")
    assert status == 403 and PROBE_VALUE not in json.dumps(refused)

    # sam, the caller and an auditor, sees his own probe whole
    mine = [r for r in audit_of(governed, "sam", user="sam") if r["id"] == record["id"]]
    assert mine and mine[0]["detail"]["sql"] == PROBE and "redacted" not in mine[0]


def test_a_refused_probe_as_ana_echoing_its_input_is_the_stewards_record(governed):
    secret_path = "/srv/exports/AT11-0000-SECRET.csv"
    status, refused = call(governed, "sam", "sql", body={"sql": f"SELECT * FROM read_csv('{secret_path}')",
                                                         "as_user": "ana"})
    assert status == 403 and refused["error"] == "query_denied"

    record = next(r for r in stored_records(governed.root, allowed=False) if secret_path in r["detail"].get("sql", ""))
    assert (record["user"], record["detail"]["as_user"]) == ("sam", "ana")
    assert "AT11-0000-SECRET" not in json.dumps(audit_of(governed, "ana"))


def test_others_records_show_no_literals_and_no_error_text_to_a_non_auditor(governed):
    """Records from before impersonation was recorded as the caller: ana's name, sam's probe in them."""
    from aios_workbench.workspace import Workspace

    log = open_audit_log(Workspace.load(governed.root))
    try:
        legacy = log.append(user="ana", surface="kernel", action="query", target="hr.main.people", allowed=True,
                            detail={"sql": PROBE, "on_behalf_of": "sam", "datasets": ["hr.main.people"], "rows": 1})
        echoed = log.append(user="ana", surface="kernel", action="query", allowed=False,
                            detail={"sql": f"SELECT * FROM hr.main.people WHERE ssn IN ('096-45-6789', {3})",
                                    "on_behalf_of": "sam", "rule": "no_such_column",
                                    "error": "unknown column in 'WHERE ssn = 096-45-6789'"})
        unparsable = log.append(user="ana", surface="kernel", action="query", allowed=False,
                                detail={"sql": f"SELEC email = '{PROBE_VALUE}' FRM people", "on_behalf_of": "sam",
                                        "rule": "parse_error", "error": f"cannot parse near '{PROBE_VALUE}'"})
        not_a_query = log.append(user="ana", surface="kernel", action="query", allowed=False,
                                 detail={"sql": f"ATTACH '/data/{PROBE_VALUE}.db'", "on_behalf_of": "sam",
                                         "rule": "not_a_select"})
    finally:
        log.store.close()

    seen = {r["id"]: r for r in audit_of(governed, "ana")}
    body = json.dumps(list(seen.values()))
    assert PROBE_VALUE not in body and "096-45-6789" not in body
    assert seen[legacy["id"]]["detail"]["sql"] == PROBE_REDACTED
    assert seen[legacy["id"]]["detail"]["datasets"] == ["hr.main.people"] and seen[legacy["id"]]["redacted"] == ["sql"]
    assert seen[echoed["id"]]["detail"]["sql"] == "SELECT * FROM hr.main.people WHERE ssn IN (?, ?)"
    assert seen[echoed["id"]]["detail"]["error"] == "[hidden]"
    assert seen[echoed["id"]]["redacted"] == ["error", "sql"] and seen[echoed["id"]]["detail"]["rule"] == "no_such_column"
    assert seen[unparsable["id"]]["detail"]["sql"] is None      # cannot be parsed: hidden, never shown as is
    assert seen[not_a_query["id"]]["detail"]["sql"] is None     # not a query: a name or path may be the secret

    # the auditor sees the records as they were written; ana sees her own queries with her own literals
    audited = {r["id"]: r for r in audit_of(governed, "sam", user="ana")}
    assert audited[legacy["id"]]["detail"]["sql"] == PROBE and "redacted" not in audited[legacy["id"]]
    own = "SELECT id FROM hr.main.people WHERE name LIKE 'Rawname1%'"
    status, _ = call(governed, "ana", "sql", body={"sql": own})
    assert status == 200
    assert [r for r in audit_of(governed, "ana") if r["detail"].get("sql") == own and "redacted" not in r]


def test_aios_audit_tail_shows_a_non_auditor_others_sql_without_literals(governed):
    done = run_aios("--workspace", str(governed.root), "sql", "--as", "ana", PROBE, env={"AIOS_USER": "sam"})
    assert done.returncode == 0, done.stderr

    as_otto = run_aios("--workspace", str(governed.root), "audit", "tail", "-n", "200", "--json",
                       env={"AIOS_USER": "otto"})
    as_sam = run_aios("--workspace", str(governed.root), "audit", "tail", "-n", "200", "--json",
                      env={"AIOS_USER": "sam"})
    text_view = run_aios("--workspace", str(governed.root), "audit", "tail", "-n", "5", env={"AIOS_USER": "otto"})

    assert as_otto.returncode == 0 and as_sam.returncode == 0, as_otto.stderr + as_sam.stderr
    assert PROBE_VALUE not in as_otto.stdout
    probes = [r for r in json.loads(as_otto.stdout) if r["detail"].get("as_user") == "ana" and r["user"] == "sam"]
    assert probes and probes[0]["detail"]["sql"] == PROBE_REDACTED
    assert PROBE_VALUE in as_sam.stdout                         # an auditor reads the records as written
    assert "sam as ana" in text_view.stdout


def test_redaction_replaces_every_kind_of_literal_and_drops_comments():
    shown = redact_sql("SELECT a AS \"AT11 0000\", DATE '2024-01-02', INTERVAL '3' DAY, -5 -- AT11\n"
                       "FROM t /* AT11 */ WHERE iban = 'AT11' AND n IN (1, 2.5) AND s LIKE 'x%' LIMIT 10")
    assert shown is not None
    assert "AT11" not in shown and "2024" not in shown and "2.5" not in shown and "x%" not in shown
    assert "iban = ?" in shown and "LIMIT ?" in shown
    assert redact_sql("WITH c AS (SELECT 'AT11' AS v) SELECT * FROM c UNION ALL SELECT 'AT12'") == (
        "WITH c AS (SELECT ? AS v) SELECT * FROM c UNION ALL SELECT ?")
    for hidden in ("AT11-0000", "PRAGMA AT11", "CALL f('AT11')", "SELECT 'AT11", "SELECT 1; ATTACH 'AT11.db'"):
        assert redact_sql(hidden) is None, hidden


# -- item 5: surface and run links are the service's --------------------------------------------------------------
def test_a_client_cannot_choose_the_surface_its_query_is_audited_under(governed):
    for claimed in ("check", "job", "dashboard", "lineage"):
        sql = f"SELECT count(*) AS n FROM hr.main.people -- claimed {claimed}"
        status, _ = call(governed, "ana", "sql", body={"sql": sql, "surface": claimed})
        assert status == 200
        record = next(r for r in stored_records(governed.root, user="ana") if r["detail"].get("sql") == sql)
        assert record["surface"] == "api", claimed   # a bearer token of `aios serve`


@pytest.fixture(scope="module")
def mlflow_runs(governed):
    """An MLflow run of sam's and one of ana's in the workspace's tracking store, as `wb.run` tags them."""
    from mlflow.tracking import MlflowClient

    from aios_workbench.tracking import ensure_store
    from aios_workbench.workspace import Workspace

    uri = ensure_store(Workspace.load(governed.root))
    client = MlflowClient(uri)
    experiment = client.create_experiment("audit-exits")
    runs = {user: client.create_run(experiment, tags={"aios.user": user, "mlflow.user": user}).info.run_id
            for user in ("sam", "ana")}
    deleted = client.create_run(experiment, tags={"aios.user": "ana"}).info.run_id
    client.delete_run(deleted)
    runs["deleted"] = deleted
    return runs


def test_a_query_cannot_be_linked_to_someone_elses_or_a_made_up_run(governed, mlflow_runs):
    sql = "SELECT count(*) AS n FROM hr.main.people"
    foreign = call(governed, "ana", "sql", body={"sql": sql + " -- foreign", "run_id": mlflow_runs["sam"]})
    unknown = call(governed, "ana", "sql", body={"sql": sql + " -- unknown", "run_id": "0" * 32})
    deleted = call(governed, "ana", "sql", body={"sql": sql + " -- deleted", "run_id": mlflow_runs["deleted"]})
    malformed = call(governed, "ana", "sql", body={"sql": sql + " -- malformed", "run_id": "../../mlruns/x"})
    job_run = call(governed, "ana", "sql", body={"sql": sql + " -- job", "run_id": "job-run:1"})
    own = call(governed, "ana", "sql", body={"sql": sql + " -- own", "run_id": mlflow_runs["ana"]})

    assert foreign[0] == 403 and "not a run of ana" in foreign[1]["message"] and foreign[1]["fix"]
    assert unknown[0] == 404 and deleted[0] == 404 and malformed[0] == 400 and job_run[0] == 403
    assert own[0] == 200
    records = stored_records(governed.root, user="ana", action="query")
    refused = [r for r in records if r["detail"].get("rule") == "run_link"]
    assert {r["detail"]["claimed_run_id"] for r in refused} >= {mlflow_runs["sam"], "0" * 32, "job-run:1"}
    assert not [r for r in records if r["detail"].get("run_id") == mlflow_runs["sam"]]   # never linked
    assert [r for r in records if r["allowed"] and r["detail"].get("run_id") == mlflow_runs["ana"]]


def test_the_kernel_client_inside_its_own_run_still_links_its_reads(governed, mlflow_runs, monkeypatch):
    import aios_workbench as wb

    monkeypatch.setenv("AIOS_WORKSPACE", str(governed.root))
    wb.connect(governed.url, governed.tokens["ana"])
    with wb.run("audit-exits-kernel") as run:
        frame = wb.sql("SELECT id FROM hr.main.people ORDER BY id")
    assert frame.height > 0

    linked = [r for r in stored_records(governed.root, user="ana") if r["detail"].get("run_id") == run.id]
    assert linked and all(r["allowed"] and r["surface"] == "api" for r in linked)


def test_a_job_kernel_is_audited_as_a_job_and_linked_only_to_its_own_job_run(governed):
    from aios_workbench.jobs.runtime import job_runtime

    service = open_governed_service(governed.root)
    runtime = job_runtime()
    grant = runtime.issue(service, identity="ana", job_run_id=7)

    def post(body: dict) -> int:
        request = urllib.request.Request(f"{runtime.url}/aios/api/sql", method="POST", data=json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {grant.token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code

    try:
        sql = "SELECT count(*) AS n FROM hr.main.people"
        statuses = (post({"sql": sql + " -- another job's run", "run_id": "job-run:8", "surface": "cli"}),
                    post({"sql": sql + " -- its own run", "run_id": "job-run:7", "surface": "cli"}),
                    post({"sql": sql + " -- no run named", "surface": "dashboard"}))
    finally:
        runtime.revoke(grant)
        service.close()

    assert statuses == (403, 200, 200)
    records = {r["detail"]["sql"].split("-- ")[1]: r for r in stored_records(governed.root, user="ana")
               if "-- " in (r["detail"].get("sql") or "") and "run" in r["detail"]["sql"]}
    assert records["another job's run"]["detail"]["rule"] == "run_link"
    for name in ("its own run", "no run named"):
        assert (records[name]["surface"], records[name]["detail"]["run_id"]) == ("job", "job-run:7")


# -- item 8: signed checkpoints ------------------------------------------------------------------------------------
@pytest.fixture
def witness_dir(tmp_path, monkeypatch):
    folder = tmp_path / "witness-home"
    monkeypatch.setenv("AIOS_WITNESS_DIR", str(folder))
    return folder


@pytest.fixture
def log(workspace, witness_dir):
    opened = open_audit_log(workspace)
    yield opened
    opened.wait_for_checkpoints()
    opened.store.close()


def fill(audit_log: AuditLog, count: int) -> None:
    for i in range(count):
        audit_log.append(user=("ana", "sam")[i % 2], surface="kernel", action="query", target="hr.main.people",
                         allowed=True, detail={"sql": f"SELECT * FROM hr.main.people WHERE id = {i}", "rows": 1})
    audit_log.wait_for_checkpoints()


def run_sql(audit_log: AuditLog, statement: str, **params) -> None:
    with audit_log.store.engine.begin() as connection:
        connection.execute(text(statement), params)


def rewrite_everything(audit_log: AuditLog, *, edit_id: int) -> None:
    """What someone who can write the state folder but not the witness can do: change record `edit_id`,
    recompute every hash from the genesis and write a matching head file."""
    with audit_log.store.engine.begin() as connection:
        rows = [dict(r) for r in connection.execute(select(TABLE).order_by(TABLE.c.id)).mappings()]
        previous = GENESIS
        for row in rows:
            if row["id"] == edit_id:
                row["user"] = "mallory"
            row["prev_hash"] = previous
            row["hash"] = previous = record_hash(row)
            connection.execute(TABLE.update().where(TABLE.c.id == row["id"]).values(
                user=row["user"], prev_hash=row["prev_hash"], hash=row["hash"]))
    audit_log.head_file.unlink()
    advance_head(audit_log.head_file, HeadAnchor(rows[-1]["id"], previous))


def test_a_normal_workload_verifies_intact_and_names_the_last_vouched_record(log):
    fill(log, 12)
    log.checkpoint()                   # signs record 12, unless the checkpoint the first record queued already did
    signed = log.latest_checkpoint()
    fill(log, 3)

    result = log.verify()

    assert signed is not None and (signed.last_id, signed.count) == (12, 12)
    assert (result.ok, result.checked, result.vouched_id, result.unvouched) == (True, 15, 12, 3), result.problems
    assert result.vouched_at == signed.at and result.checkpoints >= 1
    assert any("3 record(s) after record 12 are chained but not yet vouched" in w for w in result.warnings)


def test_cutting_the_last_records_and_the_head_file_is_caught(log, workspace):
    fill(log, 10)
    log.checkpoint()
    run_sql(log, "DELETE FROM audit_events WHERE id >= 8")
    log.head_file.unlink()

    result = log.verify()
    cli = run_aios("--workspace", str(workspace.root), "audit", "verify", "--json")

    assert (result.ok, result.first_bad_id, result.checked) == (False, 8, 7)
    assert "says record 10 was written: records 8 to 10 were removed from the end (truncated)" in result.reason
    assert "signed checkpoint of" in result.reason
    assert cli.returncode == 65 and json.loads(cli.stdout)["first_bad_id"] == 8


def test_emptying_the_whole_log_and_its_head_is_caught(log):
    fill(log, 4)
    log.checkpoint()
    run_sql(log, "DELETE FROM audit_events")
    log.head_file.unlink()

    result = log.verify()

    assert not result.ok and "the log is empty" in result.reason


def test_records_cut_after_the_last_checkpoint_are_the_documented_window(log):
    fill(log, 10)
    log.checkpoint()
    fill(log, 3)
    log.wait_for_checkpoints()
    run_sql(log, "DELETE FROM audit_events WHERE id > 10")
    log.head_file.unlink()

    result = log.verify()

    # nothing vouched for records 11 to 13 yet: only the chain and the head file protected them
    assert (result.ok, result.vouched_id, result.checked) == (True, 10, 10)


def test_a_chain_rewritten_with_recomputed_hashes_and_head_is_caught(log):
    fill(log, 5)
    log.checkpoint()
    fill(log, 5)
    log.checkpoint()
    rewrite_everything(log, edit_id=3)

    result = log.verify()

    # the first checkpoint that covers the edited record 3 names it (the one signed on the first append, in
    # the background, may already reach it); what is vouched for ends before it
    bad = result.first_bad_id
    assert not result.ok and bad is not None and 3 <= bad <= 5
    assert f"record {bad} is not the record the signed checkpoint of" in result.reason and "rewritten" in result.reason
    assert result.vouched_id is None or result.vouched_id < 3


@pytest.mark.parametrize("cut", [False, True])
def test_with_the_stores_checkpoints_wiped_too_the_witness_file_catches_it(log, workspace, cut):
    fill(log, 8)
    log.checkpoint()
    if cut:
        run_sql(log, "DELETE FROM audit_events WHERE id > 6")
        log.head_file.unlink()
    else:
        rewrite_everything(log, edit_id=2)
    run_sql(log, "DELETE FROM audit_checkpoints")

    result = log.verify()
    cli = run_aios("--workspace", str(workspace.root), "audit", "verify")

    assert not result.ok
    assert ("removed from the end (truncated)" if cut else "rewritten") in result.reason
    assert any("the metadata store lacks" in w for w in result.warnings)
    assert cli.returncode == 65 and "TAMPERED" in cli.stdout


def _edit_last_line(witness: Witness, change) -> None:
    lines = witness.path.read_text(encoding="utf-8").splitlines()
    lines[-1] = change(lines[-1])
    witness.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _retarget(line: str) -> str:
    entry = json.loads(line)
    entry["last_hash"] = "f" * 64     # the forger's recomputed head, without the key to sign it
    return json.dumps(entry)


def _forge_next(line: str) -> str:
    entry = json.loads(line)
    entry.update(last_id=entry["last_id"] + 5, count=entry["count"] + 5)
    return line + "\n" + json.dumps(entry)


@pytest.mark.parametrize(("tamper", "expected"), [
    ("edit", "not signed with this workspace's witness key"),
    ("forge", "not signed with this workspace's witness key"),
    ("garbage", "is not a checkpoint: the file was edited"),
    ("delete-file", "the witness file is missing"),
    ("delete-key", "the witness key is missing"),
    ("store-row", "in the metadata store is not signed"),
])
def test_a_witness_or_checkpoint_changed_without_the_key_is_caught(log, tamper, expected):
    fill(log, 6)
    log.checkpoint()
    witness = log.witness
    assert witness is not None
    if tamper == "edit":
        _edit_last_line(witness, _retarget)
    elif tamper == "forge":
        _edit_last_line(witness, _forge_next)
    elif tamper == "garbage":
        _edit_last_line(witness, lambda line: line + "\n{not json")
    elif tamper == "delete-file":
        witness.path.unlink()
    elif tamper == "delete-key":
        witness.key_path.unlink()
        log.witness = Witness(witness.path, workspace=witness.workspace)   # a fresh process knows no key
    else:
        run_sql(log, "UPDATE audit_checkpoints SET last_hash = :h", h="e" * 64)

    result = log.verify()

    assert not result.ok and any(expected in p for p in result.problems), result.problems


def test_a_lost_key_is_never_replaced_silently(log):
    fill(log, 3)
    log.checkpoint()
    witness = log.witness
    assert witness is not None
    witness.key_path.unlink()
    log.witness = Witness(witness.path, workspace=witness.workspace)   # a fresh process knows no key
    fill(log, 2)

    with pytest.raises(ConfigError, match="key .* is missing, but the witness file holds checkpoints"):
        log.checkpoint()
    assert not log.witness.key_path.exists()
    assert any("the witness key is missing" in p for p in log.verify().problems)


def test_checkpoints_of_another_key_are_named_but_vouch_for_nothing(log):
    """A replica with its own witness (or a forger choosing his own key id) signs checkpoints this service cannot
    check: they are reported and ignored, and cannot make a cut log look whole."""
    fill(log, 4)
    log.checkpoint()
    run_sql(log, "UPDATE audit_checkpoints SET key_id = 'somebodyelse', last_id = 99, count = 99")

    result = log.verify()

    assert result.ok and result.vouched_id == 4   # the witness file still vouches for what it signed
    assert any("signed with another key" in w for w in result.warnings)


def test_a_checkpoint_is_never_signed_over_a_broken_chain(log):
    fill(log, 5)
    log.checkpoint()
    fill(log, 3)
    lines_before = log.witness.path.read_text().count("\n")
    run_sql(log, "UPDATE audit_events SET \"user\" = 'mallory' WHERE id = 7")

    with pytest.raises(AuditIntegrityError, match="broken at record 7"):
        log.checkpoint()
    rewrite_everything(log, edit_id=2)
    with pytest.raises(AuditIntegrityError, match="record 5 is missing or differs"):
        log.checkpoint()

    assert log.witness.path.read_text().count("\n") == lines_before


def _append_with_witness(url: str, head_file: str, witness_path: str, writer: int, count: int) -> None:
    log = AuditLog(open_store(url, migrate=False), Path(head_file),
                   witness=Witness(Path(witness_path), workspace="concurrent"), checkpoint_every=7)
    for i in range(count):
        log.append(user=f"w{writer}", surface="test", action="query", target="wh.main.orders", allowed=True,
                   detail={"i": i})
    log.close(force=True)
    log.store.close()


def test_two_appending_processes_keep_a_chain_their_checkpoints_vouch_for(tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    open_store(url).close()
    witness_path = tmp_path / "witness" / "concurrent.jsonl"
    head = tmp_path / "state" / "audit.head"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_with_witness, args=(url, str(head), str(witness_path), w, 50))
               for w in range(2)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=180)

    log = AuditLog(open_store(url), head, witness=Witness(witness_path, workspace="concurrent"))
    try:
        result = log.verify()
    finally:
        log.store.close()
    assert [p.exitcode for p in writers] == [0, 0]
    assert (result.ok, result.checked, result.vouched_id, result.unvouched) == (True, 100, 100, 0), result.problems
    # signed while appending too, not only at close (how many depends on how fast the appends come: a
    # background checkpoint covers every record appended while it was queued)
    assert result.checkpoints >= 2


@pytest.mark.services
def test_on_postgresql_a_cut_tail_and_a_rewrite_are_caught_too(postgres_url, tmp_path):
    witness = Witness(tmp_path / "witness" / "pg.jsonl", workspace="pg")
    audit_log = AuditLog(open_store(postgres_url), tmp_path / "state" / "audit.head", witness=witness)
    try:
        fill(audit_log, 9)
        audit_log.checkpoint()
        intact = audit_log.verify()
        run_sql(audit_log, "DELETE FROM audit_events WHERE id > 7")
        audit_log.head_file.unlink()
        cut = audit_log.verify()
    finally:
        audit_log.store.close()

    assert (intact.ok, intact.vouched_id) == (True, 9), intact.problems
    assert not cut.ok and "records 8 to 9 were removed from the end (truncated)" in cut.reason


def test_the_service_signs_checkpoints_as_it_goes_and_the_cli_names_what_it_vouches_for(tmp_path, witness_dir):
    root = build_governed_workspace(tmp_path / "ws")
    with open(root / "aios.yaml", "a", encoding="utf-8") as config:
        config.write("audit:\n  checkpoint_every: 5\n")
    service = open_governed_service(root)
    try:
        for i in range(12):
            service.queries.run(f"SELECT count(*) AS n FROM hr.main.people WHERE id > {i}", user="ana",
                                surface="test").to_arrow()
        service.audit.wait_for_checkpoints()
    finally:
        service.close()

    one_more = run_aios("--workspace", str(root), "sql", "SELECT 1 AS one", env={"AIOS_USER": "ana"})
    stamped = run_aios("--workspace", str(root), "audit", "checkpoint", "--json")
    verdict = run_aios("--workspace", str(root), "audit", "verify")
    as_json = run_aios("--workspace", str(root), "audit", "verify", "--json")

    assert one_more.returncode == 0 and stamped.returncode == 0, one_more.stderr + stamped.stderr
    last = len(stored_records(root))
    # the short command's record waited for this checkpoint, unless one was due when it was appended
    assert json.loads(stamped.stdout) is None or json.loads(stamped.stdout)["last_id"] == last
    assert verdict.returncode == 0 and f"audit log intact up to record #{last}, signed checkpoint of" in verdict.stdout
    body = json.loads(as_json.stdout)
    assert (body["ok"], body["vouched_id"], body["unvouched"], body["problems"]) == (True, last, 0, [])
    assert body["checkpoints"] >= 3   # at the first record, every 5, and the one asked for


def test_the_witness_and_its_key_are_private_and_outside_the_state_folder(log, workspace):
    fill(log, 2)
    log.checkpoint()
    witness = log.witness
    assert witness is not None

    assert stat.S_IMODE(witness.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(witness.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(witness.key_path.stat().st_mode) == 0o600
    state = workspace.state_dir.resolve()
    assert state not in witness.path.resolve().parents and state not in witness.key_path.resolve().parents
    key = witness.key_path.read_text().strip()
    for path in state.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path   # no copy of the key in the state folder


def test_a_witness_configured_inside_the_state_folder_is_refused(workspace, witness_dir):
    from aios_workbench.workspace import Workspace

    with open(workspace.root / "aios.yaml", "a", encoding="utf-8") as config:
        config.write("audit:\n  witness: .aios/witness.jsonl\n")
    reloaded = Workspace.load(workspace.root)

    with pytest.raises(ConfigError, match="inside the state folder"):
        Witness.for_workspace(reloaded)
    done = run_aios("--workspace", str(workspace.root), "audit", "verify")
    assert done.returncode != 0 and "audit.witness" in done.stderr and "Traceback" not in done.stderr


def test_a_configured_witness_path_is_used(workspace, tmp_path):
    from aios_workbench.workspace import Workspace

    target = tmp_path / "elsewhere" / "anchor.jsonl"
    with open(workspace.root / "aios.yaml", "a", encoding="utf-8") as config:
        config.write(f"audit:\n  witness: {target}\n")
    opened = open_audit_log(Workspace.load(workspace.root))
    try:
        fill(opened, 2)
        opened.checkpoint()
    finally:
        opened.store.close()
    assert target.exists() and (target.parent / "anchor.key").exists()
    assert os.stat(target).st_size > 0
