"""Writes never weaken classification, carry their inputs' tags, and respect ownership (issue #17, items 1 and 9).

Each test plays the attacker through a real surface — the kernel client (`wb.sql`, `wb.write`) and REST of a
served workspace, the CLI — and asserts that what he is after stays out of reach, and that the legitimate users
still do their work: a data scientist appending junk rows so the re-scan drops a steward's tags, a column built
from raw PII in SQL or in pandas, a forged list of queries, overwriting another user's dataset, removing a tag.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from aios_workbench.core.errors import PermissionDenied, UsageError
from aios_workbench.demo.identifiers import make_ibans, make_phones
from tests.conftest import aios_serve, run_aios

SUPPLIERS = "crm.main.suppliers"
ROWS = 40
FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas"]
LAST = ["Schmidt", "Meyer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter"]
SECRET_DOMAIN = "supplier-secret.example"

POLICY = """
datasets:
  crm.main.suppliers:
    description: Suppliers with their contacts.
    columns:
      contact_name: [pii.person_name]
      contact_email: [pii.email]
      contact_phone: [pii.phone]
      street_address: [pii.address]
      iban: [pii.iban]
  crm.main.orders:
    columns:
      buyer_email: [pii.email]
roles:
  data_scientist: {description: "reads everything, PII masked"}
  analyst: {description: "reads crm and outputs, PII masked"}
  steward: {description: "raw values, every dataset", audit: true}
users:
  dan: {roles: [data_scientist]}
  ana: {roles: [analyst]}
  sam: {roles: [steward]}
grants:
  - {role: data_scientist, scope: "*"}
  - {role: analyst, scope: crm.main.suppliers}
  - {role: analyst, scope: outputs}
  - {role: steward, scope: "*"}
  - {role: data_scientist, scope: outputs, privilege: write}
  - {role: analyst, scope: outputs, privilege: write}
  - {role: steward, scope: outputs, privilege: write}
  - {role: steward, scope: "*", privilege: manage}
  # an explicit grant naming one dataset: data scientists may also write this steward's dataset
  - {role: data_scientist, scope: outputs.main.supplier_contacts, privilege: write}
masks:
  - {tag: pii.email, method: hash, unmasked_for: [steward]}
  - {tag: pii.phone, method: partial, unmasked_for: [steward]}
  - {tag: pii.person_name, method: redact, unmasked_for: [steward]}
  - {tag: pii.address, method: redact, unmasked_for: [steward]}
  - {tag: pii.iban, method: partial, unmasked_for: [steward]}
"""


def supplier_rows(seed: int = 3) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    return {
        "supplier_id": list(range(ROWS)),
        "company": [f"Company {i}" for i in range(ROWS)],
        "contact_name": [f"{FIRST[i % 10]} {LAST[i % 8]}" for i in range(ROWS)],
        "contact_email": [f"{FIRST[i % 10].lower()}.{LAST[i % 8].lower()}{i}@{SECRET_DOMAIN}" for i in range(ROWS)],
        "contact_phone": make_phones(rng, "49", 11, ROWS),
        "street_address": [f"{i + 1} Secret Street" for i in range(ROWS)],
        "iban": make_ibans(rng, "DE", "n" * 18, ROWS),
        "region": ["EU" if i % 2 else "US" for i in range(ROWS)],
    }


def build_workspace(root: Path, policy: str = POLICY) -> Path:
    """A workspace with a `crm` DuckDB source (suppliers with raw contact PII; orders with buyer e-mails, the
    first 25 of them a supplier contact's) and an `outputs` datasets source."""
    from aios_workbench.workspace.scaffold import init_workspace

    init_workspace(root, name="writes")
    suppliers = pa.table(supplier_rows())
    emails = suppliers["contact_email"].to_pylist()
    orders = pa.table({"order_id": list(range(60)), "buyer_email": emails[:25] + [f"other{i}@buyers.example"
                                                                               for i in range(35)],
                       "amount": [float(i) for i in range(60)]})
    con = duckdb.connect(str(root / "crm.duckdb"))
    con.register("s", suppliers)
    con.register("o", orders)
    con.execute("CREATE TABLE suppliers AS SELECT * FROM s")
    con.execute("CREATE TABLE orders AS SELECT * FROM o")
    con.close()
    (root / "connectors" / "crm.yaml").write_text("name: crm\ntype: duckdb\noptions: {path: crm.duckdb}\n")
    (root / "connectors" / "outputs.yaml").write_text("name: outputs\ntype: datasets\noptions: {path: results}\n")
    (root / "governance" / "policy.yaml").write_text(policy)
    done = run_aios("--workspace", str(root), "catalog", "scan")
    assert done.returncode == 0, done.stderr
    return root


def serve(root: Path, users=("dan", "ana", "sam")):
    """`aios serve` of `root`, with a token for each of `users`; yields (url, {user: ServiceClient})."""
    from aios_workbench.kernel.client import ServiceClient

    tokens = {}
    for user in users:
        done = run_aios("--workspace", str(root), "tokens", "add", user, "--json")
        assert done.returncode == 0, done.stderr
        tokens[user] = json.loads(done.stdout)["token"]
    server = aios_serve(root, token="writes-default-token-0123", user="dan")
    url = server.__enter__()
    return server, url, tokens, {u: ServiceClient(url, t) for u, t in tokens.items()}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = build_workspace(tmp_path_factory.mktemp("writes") / "ws")
    server, url, tokens, clients = serve(root)
    try:
        yield SimpleNamespace(root=root, url=url, tokens=tokens, clients=clients)
    finally:
        server.__exit__(None, None, None)


class Kernel:
    """The kernel-side client (`import aios_workbench as wb`) as one user, with a fresh memory of reads."""

    def __init__(self, served, user: str, monkeypatch):
        import aios_workbench.kernel.client as wb

        self.wb = wb
        self.client = served.clients[user]
        monkeypatch.setattr(wb, "_READ", {})
        monkeypatch.setattr(wb, "_QUERIES", {})
        monkeypatch.setattr(wb, "_client", self.client)

    def sql(self, query: str, **kwargs):
        return self.wb.sql(query, **kwargs)

    def write(self, data, target: str, **kwargs) -> dict:
        return self.wb.write(data, target, **kwargs)


def query(served, user: str, sql: str) -> list[dict]:
    return served.clients[user].query_arrow(sql, surface="test").to_pylist()


def origins(result: dict, column: str) -> dict[str, str]:
    return {s["tag"]: s["origin"] for s in result["tags"].get(column, [])}


def audit_records(served, action: str, target: str) -> list[dict]:
    records = served.clients["sam"].get(f"audit?limit=200&dataset={target}")["records"]
    return [r for r in records if r["action"] == action]


# -- 1. laundering by dilution --------------------------------------------------------------------------------------

def test_junk_rows_appended_to_a_classified_dataset_never_unmask_it(served):
    """The issue's repro: a steward writes supplier contacts (raw PII, found by the scan); a data scientist who
    may write that dataset appends 60,000 junk rows, so a re-scan finds no PII any more; the tags stay."""
    raw = supplier_rows()
    contacts = pa.table({"supplier_id": raw["supplier_id"], "contact_phone": raw["contact_phone"],
                         "street_address": raw["street_address"], "iban": raw["iban"]})
    # written over REST with no inputs and no queries: the scan alone classifies it
    first = served.clients["sam"].write_arrow("outputs.supplier_contacts", contacts)
    assert first["owner"] == "sam"
    assert {c: origins(first, c) for c in ("contact_phone", "street_address", "iban")} == {
        "contact_phone": {"pii.phone": "scan"}, "street_address": {"pii.address": "scan"}, "iban": {"pii.iban": "scan"}}

    junk = pa.table({"supplier_id": list(range(1000, 61_000)), "contact_phone": ["n/a-x"] * 60_000,
                     "street_address": [f"q{i}" for i in range(60_000)], "iban": [f"J{i}" for i in range(60_000)]})
    appended = served.clients["dan"].write_arrow("outputs.supplier_contacts", junk, mode="append")

    assert appended["total_rows"] == 60_040
    # the scan found nothing this time: each tag is one the columns had earned, kept
    assert {c: origins(appended, c) for c in ("contact_phone", "street_address", "iban")} == {
        "contact_phone": {"pii.phone": "kept"}, "street_address": {"pii.address": "kept"}, "iban": {"pii.iban": "kept"}}
    assert "found by the scan" in appended["tags"]["iban"][0]["detail"]
    # another user's query for one supplier: masked, as before the append
    (row,) = query(served, "ana", "SELECT contact_phone, street_address, iban FROM outputs.main.supplier_contacts "
                                  "WHERE supplier_id = 7")
    assert row["iban"] != raw["iban"][7] and row["iban"].startswith("*") and row["iban"].endswith(raw["iban"][7][-4:])
    assert row["contact_phone"] != raw["contact_phone"][7] and row["street_address"] == "***"
    for column in ("iban", "contact_phone", "street_address"):   # nor does a predicate on the raw value match
        hits = query(served, "ana", f"SELECT count(*) AS n FROM outputs.main.supplier_contacts "
                                    f"WHERE {column} = '{raw[column][7]}'")
        assert hits == [{"n": 0}]
    # the steward still sees the raw values
    (own,) = query(served, "sam", "SELECT iban FROM outputs.main.supplier_contacts WHERE supplier_id = 7")
    assert own["iban"] == raw["iban"][7]


def test_a_forced_rescan_keeps_earned_tags_too(served, monkeypatch):
    raw = supplier_rows()
    table = pa.table({"k": raw["supplier_id"], "iban": raw["iban"]})
    served.clients["sam"].write_arrow("outputs.rescanned", table)
    served.clients["sam"].write_arrow("outputs.rescanned", pa.table({"k": [999] * 5000, "iban": ["x"] * 5000}),
                                      mode="append")
    done = run_aios("--workspace", str(served.root), "catalog", "scan", "--force", "--json")
    assert done.returncode == 0, done.stderr

    shown = run_aios("--workspace", str(served.root), "catalog", "show", "outputs.main.rescanned", "--json",
                     env={"AIOS_USER": "ana"})
    assert shown.returncode == 0, shown.stderr
    iban = next(c for c in json.loads(shown.stdout)["columns"] if c["name"] == "iban")
    assert iban["classifications"] == ["pii.iban"] and iban["tag_sources"][0]["origin"] == "kept"


# -- 2. tags flow through column lineage ----------------------------------------------------------------------------

def test_a_column_built_from_pii_in_sql_inherits_its_classes(served, monkeypatch):
    raw = supplier_rows()
    kernel = Kernel(served, "sam", monkeypatch)
    frame = kernel.sql("SELECT supplier_id, contact_name || ' <' || contact_email || '>' AS contact, "
                       "upper(company) AS company FROM crm.main.suppliers ORDER BY supplier_id", as_="pandas")
    counts = kernel.sql("SELECT region, count(contact_email) AS n_contacts FROM crm.main.suppliers GROUP BY region",
                        as_="pandas")

    result = kernel.write(frame, "outputs.contact_labels")
    stats = kernel.write(counts, "outputs.contact_counts")

    assert origins(result, "contact") == {"pii.person_name": "lineage", "pii.email": "lineage"}
    details = {s["tag"]: s["detail"] for s in result["tags"]["contact"]}
    assert details["pii.email"].startswith("inherited from crm.main.suppliers.contact_email via column lineage")
    assert details["pii.person_name"].startswith("inherited from crm.main.suppliers.contact_name via column lineage")
    assert "company" not in result["tags"] and "supplier_id" not in result["tags"]
    assert stats["tags"] == {}                     # a count of e-mails is a statistic, not an e-mail
    # readers get the column masked (the first mask by tag wins: the e-mail hash)
    rows = query(served, "ana", "SELECT supplier_id, contact FROM outputs.main.contact_labels ORDER BY supplier_id")
    assert len(rows) == ROWS
    assert not any("@" in r["contact"] or "Schmidt" in r["contact"] for r in rows)
    leaked = query(served, "ana", f"SELECT count(*) AS n FROM outputs.main.contact_labels WHERE contact LIKE '%{SECRET_DOMAIN}%'")
    assert leaked == [{"n": 0}]
    assert query(served, "sam", "SELECT contact FROM outputs.main.contact_labels WHERE supplier_id = 2") == \
        [{"contact": f"{raw['contact_name'][2]} <{raw['contact_email'][2]}>"}]

    # `aios catalog show` says where each tag came from
    shown = run_aios("--workspace", str(served.root), "catalog", "show", "outputs.main.contact_labels",
                     env={"AIOS_USER": "ana"})
    assert shown.returncode == 0, shown.stderr
    assert "pii.email: lineage: inherited from crm.main.suppliers.contact_email via column lineage" in shown.stdout


def test_a_pandas_built_column_of_raw_values_is_tagged_though_its_lineage_is_unknown(served, monkeypatch):
    kernel = Kernel(served, "sam", monkeypatch)
    frame = kernel.sql("SELECT supplier_id, contact_name, contact_email, iban FROM crm.main.suppliers", as_="pandas")
    frame["who"] = frame["contact_name"] + " / " + frame["contact_email"]       # no SQL lineage for this
    frame["ref"] = frame["iban"].str[::-1]                                       # a reversed IBAN, renamed
    frame["score"] = frame["supplier_id"] * 0.5
    out = frame[["supplier_id", "who", "ref", "score", "iban"]]

    result = kernel.write(out, "outputs.pandas_built")

    # same name as an input column: its tags; unknown lineage, raw PII read: every tag read raw (text columns)
    assert origins(result, "iban") == {"pii.iban": "lineage"}
    assert set(origins(result, "who")) == {"pii.person_name", "pii.email", "pii.phone", "pii.address", "pii.iban",
                                           "pii.embedded"}   # and its values hold an e-mail inside longer text
    assert {tag for tag, origin in origins(result, "who").items() if origin != "unverified"} <= {"pii.embedded",
                                                                                               "pii.email"}
    assert set(origins(result, "ref")) >= {"pii.iban"}
    assert "score" not in result["tags"] and "supplier_id" not in result["tags"]
    assert any(w.startswith("column who: its lineage is unknown") for w in result["warnings"])
    rows = query(served, "ana", "SELECT who, ref FROM outputs.main.pandas_built")
    assert not any(SECRET_DOMAIN in r["who"] for r in rows)


def test_a_data_scientist_who_saw_only_masked_values_gets_no_unverified_tags(served, monkeypatch):
    kernel = Kernel(served, "dan", monkeypatch)
    frame = kernel.sql("SELECT supplier_id, contact_email, region FROM crm.main.suppliers", as_="pandas")
    assert not any(SECRET_DOMAIN in e for e in frame["contact_email"])    # he reads hashes
    frame["segment"] = frame["region"] + "-A"

    result = kernel.write(frame, "outputs.dan_segments")

    assert origins(result, "contact_email") == {"pii.email": "lineage"}   # the hash column stays tagged
    assert "segment" not in result["tags"] and result["warnings"] == []


def test_a_forged_query_list_naming_a_dataset_the_writer_may_not_read_reveals_nothing(served):
    # ana may not read crm.main.orders; she sends a query over it as the data's lineage
    table = pa.table({"buyer_email": ["x"], "n": [1]}).replace_schema_metadata(
        {b"aios.queries": json.dumps(["SELECT buyer_email FROM crm.main.orders", "NOT SQL AT ALL (",
                                      "SELECT * FROM nowhere.main.nothing"]).encode()})
    result = served.clients["ana"].write_arrow("outputs.ana_forged", table)

    assert "crm.main.orders" not in json.dumps(result)
    assert result["tags"] == {} and result["warnings"] == []


# -- 9. ownership ---------------------------------------------------------------------------------------------------

def test_a_source_wide_write_grant_never_overwrites_another_users_dataset(served, tmp_path):
    sam, dan, ana = (served.clients[u] for u in ("sam", "dan", "ana"))
    report = pa.table({"k": [1, 2, 3], "v": ["a", "b", "c"]})
    created = sam.write_arrow("outputs.steward_report", report)
    assert created["owner"] == "sam"

    for mode in ("append", "replace"):
        with pytest.raises(PermissionDenied, match="may not .* outputs.main.steward_report: it belongs to sam") as no:
            dan.write_arrow("outputs.steward_report", pa.table({"k": [9], "v": ["evil"]}), mode=mode)
        assert "privilege: write" in no.value.fix and "manage" in no.value.fix
    assert query(served, "ana", "SELECT k, v FROM outputs.main.steward_report ORDER BY k") == report.to_pylist()
    denied = [r for r in audit_records(served, "dataset.write", "outputs.main.steward_report") if not r["allowed"]]
    assert {(r["user"], r["detail"]["reason"]) for r in denied} == {("dan", "not the owner")}

    # the CLI as dan, through the service: refused the same way (exit 77)
    (tmp_path / "evil.csv").write_text("k,v\n9,evil\n")
    refused = run_aios("catalog", "write", str(tmp_path / "evil.csv"), "outputs.steward_report", "--mode", "append",
                       "--url", served.url, "--token", served.tokens["dan"])
    assert refused.returncode == 77 and "belongs to sam" in refused.stderr

    # dan owns what he creates; another writer may not touch it, the owner and a steward may
    dan.write_arrow("outputs.dan_features", pa.table({"k": [1], "v": ["x"]}))
    with pytest.raises(PermissionDenied, match="it belongs to dan"):
        ana.write_arrow("outputs.dan_features", pa.table({"k": [2], "v": ["y"]}), mode="append")
    assert dan.write_arrow("outputs.dan_features", pa.table({"k": [2], "v": ["y"]}), mode="append")["total_rows"] == 2
    replaced = sam.write_arrow("outputs.dan_features", pa.table({"k": [3], "v": ["z"]}))   # a steward: manage
    assert (replaced["total_rows"], replaced["owner"]) == (1, "dan")
    # (an explicit grant naming a dataset lets its holder write it: dan's append to the steward's supplier
    # contacts in the first test)


def test_a_dataset_on_disk_with_no_recorded_owner_is_a_stewards(served):
    folder = served.root / "results" / "legacy"
    folder.mkdir(parents=True)
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"k": [1]}), folder / "part-0.parquet")
    with pytest.raises(PermissionDenied, match="it has no recorded owner"):
        served.clients["dan"].write_arrow("outputs.legacy", pa.table({"k": [2]}), mode="append")
    assert served.clients["sam"].write_arrow("outputs.legacy", pa.table({"k": [2]}), mode="append")["total_rows"] == 2


# -- removing a tag: stewards only, audited ---------------------------------------------------------------------------

def test_only_a_steward_removes_a_tag_with_a_reason_and_it_is_audited(served, monkeypatch):
    sam, dan = served.clients["sam"], served.clients["dan"]
    kernel = Kernel(served, "sam", monkeypatch)
    frame = kernel.sql("SELECT supplier_id, company AS contact_name FROM crm.main.suppliers", as_="pandas")
    written = kernel.write(frame, "outputs.companies")     # company names, tagged as person names by name
    assert origins(written, "contact_name") == {"pii.person_name": "lineage"}

    body = {"dataset": "outputs.main.companies", "column": "contact_name", "tag": "pii.person_name",
            "reason": "company names, not people"}
    with pytest.raises(PermissionDenied, match="steward"):
        dan.post("catalog/untag", body)
    with pytest.raises(UsageError, match="confirmed in governance/policy.yaml"):
        sam.post("catalog/untag", {**body, "dataset": SUPPLIERS})
    removed = run_aios("catalog", "untag", "outputs.main.companies", "contact_name", "pii.person_name",
                       "--reason", "company names, not people", "--url", served.url, "--token", served.tokens["sam"])
    assert removed.returncode == 0, removed.stderr
    assert "removed pii.person_name from outputs.main.companies.contact_name" in removed.stdout

    assert query(served, "ana", "SELECT contact_name FROM outputs.main.companies WHERE supplier_id = 1") == \
        [{"contact_name": "Company 1"}]
    records = audit_records(served, "catalog.untag", "outputs.main.companies")
    assert {(r["user"], r["allowed"]) for r in records} == {("sam", True), ("dan", False)}
    assert next(r for r in records if r["allowed"])["detail"]["reason"] == "company names, not people"

    # a later write deriving the column from person names again earns the tag again, and says so
    again = kernel.write(kernel.sql("SELECT supplier_id, contact_name FROM crm.main.suppliers", as_="pandas"),
                         "outputs.companies")
    (source,) = again["tags"]["contact_name"]
    assert source["origin"] == "lineage" and "earned again after sam removed it" in source["detail"]
    assert query(served, "ana", "SELECT contact_name FROM outputs.main.companies WHERE supplier_id = 1") == \
        [{"contact_name": "***"}]


def test_the_migration_takes_owners_of_earlier_writes_from_the_audit_index(tmp_path):
    from sqlalchemy import select, text

    from aios_workbench.store import open_store
    from aios_workbench.store.models import DatasetOwner

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    old = open_store(url, migrate=False)
    old.migrate("0005_audit_checkpoints")
    with old.engine.begin() as con:
        for user, target, allowed in (("eve", "outputs.main.report", 0), ("ann", "outputs.main.report", 1),
                                      ("bob", "outputs.main.report", 1), ("bob", "outputs.main.other", 1),
                                      ("eve", "", 1)):
            con.execute(text("INSERT INTO audit_events (at, user, surface, action, target, allowed, detail, prev_hash, "
                             "hash) VALUES ('2026-01-01 00:00:00', :u, 'api', 'dataset.write', :t, :a, '{}', '', '')"),
                        {"u": user, "t": target, "a": allowed})
    old.close()

    upgraded = open_store(url)
    with upgraded.session() as session:
        owners = {(o.source, o.schema_name, o.name): o.owner for o in session.scalars(select(DatasetOwner))}
    upgraded.close()
    assert owners == {("outputs", "main", "report"): "ann", ("outputs", "main", "other"): "bob"}


def test_a_policy_rejection_removes_an_inherited_tag_for_as_long_as_it_stands(served, monkeypatch):
    kernel = Kernel(served, "sam", monkeypatch)
    kernel.write(kernel.sql("SELECT supplier_id, company AS contact_name FROM crm.main.suppliers", as_="pandas"),
                 "outputs.firms")
    sql = "SELECT contact_name FROM outputs.main.firms WHERE supplier_id = 4"
    assert query(served, "ana", sql) == [{"contact_name": "***"}]
    policy = served.root / "governance" / "policy.yaml"
    policy.write_text(POLICY.replace("datasets:\n", "datasets:\n  outputs.main.firms:\n    rejected_classifications:\n"
                                                    "      contact_name: [pii.person_name]\n", 1))
    try:
        assert query(served, "ana", sql) == [{"contact_name": "Company 4"}]
    finally:
        policy.write_text(POLICY)
    assert query(served, "ana", sql) == [{"contact_name": "***"}]        # the earned tag was never dropped
