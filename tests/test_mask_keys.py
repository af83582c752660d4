"""Hash masks are no dictionary oracle (issue #17, item 2).

A hash mask's key is derived per column (HMAC of the workspace secret and the column's name), unless a steward
puts columns in one join domain, whose columns share a key so masked joins across them still work. A data
scientist who writes a list of candidate e-mails gets them hashed under his own dataset's key: joining them
with a governed column's hashes recovers nothing. Played through the kernel client, REST and the CLI.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import duckdb
import pyarrow as pa
import pytest

from aios_workbench.core.errors import ConfigError, PermissionDenied, WorkbenchError
from aios_workbench.query.engine import hash_macro, mask_hash, mask_key
from tests.conftest import run_aios
from tests.test_write_governance import POLICY, SECRET_DOMAIN, Kernel, build_workspace, query, serve, supplier_rows

DOMAIN = """join_domains:
  contact_email: [crm.main.suppliers.contact_email, crm.main.orders.buyer_email]
"""
OVERLAP = 25   # orders whose buyer is a supplier contact (build_workspace)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from types import SimpleNamespace

    root = build_workspace(tmp_path_factory.mktemp("keys") / "ws", POLICY + DOMAIN)
    server, url, tokens, clients = serve(root)
    try:
        yield SimpleNamespace(root=root, url=url, tokens=tokens, clients=clients)
    finally:
        server.__exit__(None, None, None)


def candidates() -> list[str]:
    """A dictionary: every real supplier contact and buyer e-mail, among decoys."""
    emails = supplier_rows()["contact_email"]
    decoys = [f"guess{i}@{SECRET_DOMAIN}" for i in range(200)]
    return emails + [f"other{i}@buyers.example" for i in range(35)] + decoys


def test_a_written_candidate_list_recovers_no_masked_email(served, monkeypatch):
    kernel = Kernel(served, "dan", monkeypatch)
    masked = kernel.sql("SELECT contact_email FROM crm.main.suppliers", as_="arrow")["contact_email"].to_pylist()
    assert not any(SECRET_DOMAIN in m for m in masked)          # dan reads hashes only
    words = candidates()

    # the column is named like the governed one (so it inherits pii.email) and looks like e-mails (the scan agrees)
    written = kernel.write(pa.table({"contact_email": words}), "outputs.candidates")
    assert "pii.email" in written["pii_columns"]["contact_email"]

    for column, dataset in (("contact_email", "crm.main.suppliers"), ("buyer_email", "crm.main.orders")):
        recovered = kernel.sql(f"SELECT c.contact_email AS guess FROM outputs.main.candidates c "
                               f"JOIN {dataset} t ON c.contact_email = t.{column}", as_="arrow")
        assert recovered.num_rows == 0, f"{recovered.num_rows} of {len(words)} candidates matched {dataset}"
    # the same values still group and self-join (stable under the dataset's own key)
    assert kernel.sql("SELECT count(DISTINCT contact_email) AS n FROM outputs.main.candidates",
                      as_="arrow")["n"].to_pylist() == [len(set(words))]


def test_the_same_attack_through_the_cli_recovers_nothing(served, tmp_path):
    path = tmp_path / "guesses.csv"
    path.write_text("email\n" + "\n".join(candidates()) + "\n")
    token = served.tokens["dan"]
    written = run_aios("catalog", "write", str(path), "outputs.cli_guesses", "--url", served.url, "--token", token,
                       "--json")
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["pii_columns"] == {"email": ["pii.email"]}

    joined = run_aios("sql", "SELECT count(*) AS n FROM outputs.main.cli_guesses g JOIN crm.main.orders o "
                             "ON g.email = o.buyer_email", "--format", "json", "--url", served.url, "--token", token)
    assert joined.returncode == 0, joined.stderr
    assert json.loads(joined.stdout) == [{"n": 0}]


def test_a_stewards_join_domain_still_joins_governed_datasets_on_masked_keys(served):
    sql = ("SELECT count(*) AS n FROM crm.main.suppliers s JOIN crm.main.orders o "
           "ON s.contact_email = o.buyer_email")
    assert query(served, "dan", sql) == [{"n": OVERLAP}]              # masked on both sides, one key
    policy = served.root / "governance" / "policy.yaml"
    try:
        policy.write_text(POLICY)                                        # no join domain: a key per column
        assert query(served, "dan", sql) == [{"n": 0}]
    finally:
        policy.write_text(POLICY + DOMAIN)
    assert query(served, "sam", sql) == [{"n": OVERLAP}]              # raw for the steward either way


def test_nobody_calls_the_hash_function_with_a_value_or_key_of_his_own(served):
    for sql in ("SELECT aios_mask_hash('a@b.example', 'domain:contact_email')",
                "SELECT aios_mask_hash('a@b.example', 'column:crm.main.suppliers.contact_email')",
                "SELECT contact_email FROM crm.main.suppliers WHERE aios_mask_hash('x', 'y') IS NULL"):
        with pytest.raises(WorkbenchError) as refused:
            served.clients["dan"].query_arrow(sql)
        assert refused.value.code == "query_denied", sql


def test_a_datasets_column_in_a_join_domain_takes_no_candidates_from_a_non_owner(served, monkeypatch):
    """A steward may put a written dataset in a domain; then only those who may write it (its owner, a steward,
    a grant naming it) could hash values under the domain's key — a data scientist's append is refused."""
    sam = served.clients["sam"]
    sam.write_arrow("outputs.shared_emails", pa.table({"contact_email": supplier_rows()["contact_email"][:5]}))
    policy = served.root / "governance" / "policy.yaml"
    policy.write_text(POLICY + DOMAIN.replace("crm.main.orders.buyer_email]",
                                              "crm.main.orders.buyer_email, outputs.main.shared_emails.contact_email]"))
    try:
        with pytest.raises(PermissionDenied, match="belongs to sam"):
            served.clients["dan"].write_arrow("outputs.shared_emails", pa.table({"contact_email": candidates()}),
                                              mode="append")
        joined = query(served, "dan", "SELECT count(*) AS n FROM outputs.main.shared_emails x "
                                      "JOIN crm.main.suppliers s USING (contact_email)")
        assert joined == [{"n": 5}]                                      # the steward's own rows do join
    finally:
        policy.write_text(POLICY + DOMAIN)


def test_keys_are_hmacs_of_the_workspace_secret_and_the_engine_computes_the_same(served):
    secret = (served.root / ".aios" / "mask.salt").read_text().strip()
    assert mask_key(secret, "column:a.b.c.d") == hmac.new(secret.encode(), b"column:a.b.c.d", hashlib.sha256).hexdigest()
    con = duckdb.connect()
    con.execute(hash_macro(secret))
    for key_id in ("column:crm.main.suppliers.contact_email", "domain:contact_email"):
        got = con.execute("SELECT aios_mask_hash('ann@x.example', ?), aios_mask_hash(NULL, ?)",
                          [key_id, key_id]).fetchone()
        assert got == (mask_hash(secret, key_id, "ann@x.example"), None)
    # what a reader sees is the hash under the column's (here: the domain's) key, and under no other
    raw = supplier_rows()["contact_email"][3]
    (row,) = query(served, "dan", "SELECT contact_email FROM crm.main.suppliers WHERE supplier_id = 3")
    assert row["contact_email"] == mask_hash(secret, "domain:contact_email", raw)
    (own,) = query(served, "dan", f"SELECT contact_email FROM outputs.main.candidates WHERE contact_email = "
                                  f"'{mask_hash(secret, 'column:outputs.main.candidates.contact_email', raw)}'")
    assert own["contact_email"] != row["contact_email"]


def test_a_column_in_two_join_domains_is_refused_with_its_line(tmp_path):
    from aios_workbench.policy.model import load_policy

    (tmp_path / "policy.yaml").write_text(POLICY + DOMAIN + "  again: [crm.main.orders.buyer_email]\n")
    with pytest.raises(ConfigError, match="column crm.main.orders.buyer_email is in two join domains") as refused:
        load_policy(tmp_path)
    assert "line" in refused.value.message
    (tmp_path / "policy.yaml").write_text(POLICY + "join_domains:\n  emails: [crm.suppliers]\n")
    with pytest.raises(ConfigError, match="join_domains"):
        load_policy(tmp_path)


def test_the_mask_salt_is_private_from_its_first_byte_and_one_for_every_process(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from aios_workbench.query.engine import _salt

    with ThreadPoolExecutor(8) as pool:   # services starting at once on a new workspace
        salts = set(pool.map(lambda _: _salt(tmp_path / "state"), range(16)))

    salt_file = tmp_path / "state" / "mask.salt"
    assert len(salts) == 1 and salt_file.read_text() == salts.pop()
    assert salt_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["mask.salt"]   # no temporary file left
