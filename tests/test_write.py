"""Writing governed datasets (`wb.write`, `POST datasets/write`): grants, atomic replace and append,
classification of what was written, masks for its readers, audit, lineage, and the kernel over REST."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from aios_workbench.core.errors import PermissionDenied, UsageError, WorkbenchError
from tests.conftest import aios_serve
from tests.governed_fixtures import POLICY, build_governed_workspace, open_governed_service

WRITE_POLICY = POLICY.replace('''grants:
''', '''grants:
  - {role: analyst, scope: outputs, privilege: write}
  - {role: analyst, scope: outputs.main.contacts}
''')
CONTACTS = pa.table({"id": [1, 2, 3], "contact": ["ann.berg@example.org", "li.wu@example.com", "o.k@example.net"],
                     "score": [0.5, 0.25, 0.75]})


@pytest.fixture
def service(tmp_path):
    root = build_governed_workspace(tmp_path / "ws")
    (root / "connectors" / "outputs.yaml").write_text("name: outputs\ntype: datasets\noptions: {path: results}\n")
    (root / "governance" / "policy.yaml").write_text(WRITE_POLICY)
    svc = open_governed_service(root)
    yield svc
    svc.close()


def rows(service, sql: str, user: str) -> list[dict]:
    return service.queries.run(sql, user=user, surface="test").to_arrow().to_pylist()


def test_a_written_dataset_is_classified_and_masked_for_its_readers(service):
    result = service.catalog.write("ana", "outputs.contacts", CONTACTS, inputs=["hr.main.people"])

    assert (result["dataset"], result["rows"], result["total_rows"]) == ("outputs.main.contacts", 3, 3)
    assert result["pii_columns"] == {"contact": ["pii.email"]}
    # the policy's mask by tag (pii.email: hash, raw for stewards) applies at once
    assert [r["contact"] for r in rows(service, "SELECT contact FROM outputs.main.contacts ORDER BY id", "nora")] \
        != CONTACTS["contact"].to_pylist()
    assert [r["contact"] for r in rows(service, "SELECT contact FROM outputs.main.contacts ORDER BY id", "sam")] \
        == CONTACTS["contact"].to_pylist()
    record = service.audit.query(user="ana", limit=1)[0]
    assert (record["action"], record["allowed"], record["detail"]["inputs"]) == \
        ("dataset.write", True, ["hr.main.people"])


def test_writing_needs_a_write_grant_and_a_refusal_leaves_nothing(service):
    with pytest.raises(PermissionDenied, match="may not write outputs.main.contacts") as refused:
        service.catalog.write("otto", "outputs.contacts", CONTACTS)

    assert "privilege: write" in refused.value.fix
    assert not (service.workspace.root / "results").exists()
    record = service.audit.query(user="otto", limit=1)[0]
    assert (record["action"], record["allowed"]) == ("dataset.write", False)
    # a read grant on the whole source is not a write grant
    with pytest.raises(PermissionDenied):
        service.catalog.write("sam", "outputs.contacts", CONTACTS)


def test_append_adds_rows_and_replace_swaps_the_whole_dataset(service):
    engine = service.queries.engine   # attached before the dataset existed
    service.catalog.write("ana", "outputs.contacts", CONTACTS)
    more = pa.table({"id": [4], "contact": ["z@example.org"], "score": [1.0]})

    appended = service.catalog.write("ana", "outputs.contacts", more, mode="append")
    assert appended["total_rows"] == 4
    assert [r["id"] for r in rows(service, "SELECT id FROM outputs.main.contacts ORDER BY id", "sam")] == [1, 2, 3, 4]

    replaced = service.catalog.write("ana", "outputs.contacts", more, mode="replace")
    assert replaced["total_rows"] == 1
    folder = service.workspace.root / "results"
    assert [p.name for p in folder.iterdir()] == ["contacts"]          # no staging or retired folder left
    assert len(list((folder / "contacts").glob("*.parquet"))) == 1
    assert [r["id"] for r in rows(service, "SELECT id FROM outputs.main.contacts", "sam")] == [4]
    # only the written dataset's view was refreshed: the engine (every other source attached) is the same
    assert service.queries.engine is engine


def test_an_append_with_other_columns_is_refused_and_changes_nothing(service):
    service.catalog.write("ana", "outputs.contacts", CONTACTS)
    before = sorted(p.name for p in (service.workspace.root / "results" / "contacts").iterdir())

    with pytest.raises(UsageError, match="cannot append to outputs.main.contacts: its columns are") as refused:
        service.catalog.write("ana", "outputs.contacts", pa.table({"id": ["4"], "contact": ["x"]}), mode="append")

    assert "mode='replace'" in refused.value.fix
    assert sorted(p.name for p in (service.workspace.root / "results" / "contacts").iterdir()) == before
    assert len(rows(service, "SELECT id FROM outputs.main.contacts", "sam")) == 3


@pytest.mark.parametrize("target, message", [
    ("hr.people_copy", "'hr' is a duckdb source, which is read-only"),
    ("nowhere.x", "'nowhere' is not a declared source"),
    ("outputs.Bad-Name", "bad dataset name 'Bad-Name'"),
    ("contacts", "name the dataset as SOURCE.NAME"),
])
def test_bad_targets_are_refused_with_the_fix(service, target, message):
    with pytest.raises(UsageError, match=message.replace(".", r"\.").replace("(", r"\(")) as refused:
        service.catalog.write("ana", target, CONTACTS)
    assert refused.value.fix


def test_bad_modes_and_inputs_are_refused(service):
    with pytest.raises(UsageError, match="unknown write mode 'upsert'"):
        service.catalog.write("ana", "outputs.contacts", CONTACTS, mode="upsert")
    with pytest.raises(UsageError, match="input 'hr.main.nope' is not a catalog dataset"):
        service.catalog.write("ana", "outputs.contacts", CONTACTS, inputs=["hr.main.nope"])
    with pytest.raises(PermissionDenied, match="may not read fin.main.budget, so it cannot be an input"):
        service.catalog.write("ana", "outputs.contacts", CONTACTS, inputs=["fin.main.budget"])
    assert not (service.workspace.root / "results").exists()


def test_lineage_links_the_inputs_to_the_written_dataset(service):
    service.catalog.write("ana", "outputs.contacts", CONTACTS, inputs=["hr.main.people", "hr.main.events"])

    up = service.catalog.lineage("sam", "outputs.main.contacts")
    down = service.catalog.lineage("sam", "hr.main.people")

    assert {"hr.main.people", "hr.main.events"} <= {n["name"] for n in up["upstream"]["nodes"]}
    assert "outputs.main.contacts" in {n["name"] for n in down["downstream"]["nodes"]}


def test_the_kernel_writes_over_rest_with_what_it_read_as_inputs(service, monkeypatch):
    import aios_workbench.kernel.client as client

    service.close()
    root = service.workspace.root
    with aios_serve(root, token="write-token-0123456789", user="ana") as url:
        monkeypatch.setattr(client, "_client", client.ServiceClient(url, "write-token-0123456789"))
        monkeypatch.setattr(client, "_READ", {})
        people = client.sql("SELECT id, email FROM hr.main.people ORDER BY id LIMIT 3", as_="pandas")

        result = client.write(people.rename(columns={"email": "contact"}), "outputs.contacts")

        with pytest.raises(WorkbenchError, match="may not read fin.main.budget") as refused:
            client.write(people, "outputs.contacts", inputs=["fin.main.budget"])
    assert refused.value.code == "permission_denied"
    assert result["inputs"] == ["hr.main.people"] and result["rows"] == 3
    # ana only ever saw hashed e-mails: what she wrote back is what she saw, never the raw values
    import pyarrow.parquet as pq

    written = pa.concat_tables(pq.read_table(p) for p in (Path(root) / "results" / "contacts").glob("*.parquet"))
    assert len(written) == 3 and not any("@secret.example" in v for v in written["contact"].to_pylist())


def test_lineage_shows_other_peoples_queries_only_to_auditors(service):
    for user in ("ana", "nora", "sam"):
        rows(service, "SELECT count(*) AS n FROM hr.main.events", user)

    seen_by_ana = service.catalog.lineage("ana", "hr.main.events")["downstream"]
    seen_by_sam = service.catalog.lineage("sam", "hr.main.events")["downstream"]   # a steward: audit: true

    ana_jobs = {n["name"] for n in seen_by_ana["nodes"] if n["kind"] == "job"}
    assert ana_jobs == {"query:ana", "query:(other users)"}
    assert seen_by_ana["counts"]["by_user"] == {"ana": 1, "(other users)": 2}
    assert "nora" not in str(seen_by_ana) and "sam" not in str(seen_by_ana)
    assert {"query:ana", "query:nora", "query:sam"} <= {n["name"] for n in seen_by_sam["nodes"]}
    assert seen_by_sam["counts"]["by_user"] == {"ana": 1, "nora": 1, "sam": 1}


def test_the_cli_writes_a_file_as_a_dataset_and_refuses_what_it_cannot_read(service, tmp_path):
    import json

    import pyarrow.parquet as pq

    from tests.conftest import run_aios

    service.close()
    root = service.workspace.root
    pq.write_table(CONTACTS, tmp_path / "contacts.parquet")
    (tmp_path / "more.csv").write_text("id,contact,score\n4,z@example.org,1.0\n")
    (tmp_path / "notes.txt").write_text("hello")
    env = {"AIOS_USER": "ana"}

    written = run_aios("--workspace", str(root), "catalog", "write", str(tmp_path / "contacts.parquet"),
                       "outputs.contacts", "--input", "hr.main.people", "--json", env=env)
    appended = run_aios("--workspace", str(root), "catalog", "write", str(tmp_path / "more.csv"),
                        "outputs.contacts", "--mode", "append", env=env)
    refused = run_aios("--workspace", str(root), "catalog", "write", str(tmp_path / "notes.txt"),
                       "outputs.contacts", env=env)
    denied = run_aios("--workspace", str(root), "catalog", "write", str(tmp_path / "more.csv"), "outputs.x",
                      env={"AIOS_USER": "otto"})

    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["pii_columns"] == {"contact": ["pii.email"]}
    assert appended.returncode == 0 and "now 4 rows" in appended.stdout, appended.stderr
    assert refused.returncode == 64 and "unknown file type .txt" in refused.stderr
    assert denied.returncode == 77 and "may not write outputs.main.x" in denied.stderr


def test_a_write_larger_than_a_request_body_limit_streams_and_a_too_large_one_is_refused(service):
    from aios_workbench.kernel.client import ServiceClient

    service.close()
    root = Path(service.workspace.root)
    big = pa.table({"id": pa.array(range(14_000_000), pa.int64()), "score": pa.array(range(14_000_000), pa.float64())})
    assert big.nbytes > 200 * 2**20   # Tornado's default limit on a request body is 100 MB
    with aios_serve(root, token="write-token-0123456789", user="ana") as url:
        result = ServiceClient(url, "write-token-0123456789").write_arrow("outputs.big", big)
    assert result["rows"] == result["total_rows"] == 14_000_000
    assert not list((root / ".aios" / "tmp" / "writes").iterdir())   # the spooled body is gone

    config = root / "aios.yaml"
    config.write_text(config.read_text().replace("  token_env: AIOS_TOKEN", "  token_env: AIOS_TOKEN\n  max_write_mb: 1"))
    with aios_serve(root, token="write-token-0123456789", user="ana") as url:
        with pytest.raises(UsageError, match="this service takes at most 1 MB in one write") as refused:
            ServiceClient(url, "write-token-0123456789").write_arrow("outputs.big", big.slice(0, 100_000), mode="append")
    assert "max_write_mb" in refused.value.fix
    reread = [p for p in (root / "results" / "big").glob("*.parquet")]
    assert len(reread) == 1                                        # the refused append changed nothing
