"""Policy rules in words: a rule's `description:` is its label, else a generated sentence; never `masks[2]`."""

from __future__ import annotations

import pytest

from aios_workbench.catalog.model import Catalog, CatalogEntry, ColumnInfo, TagSource
from aios_workbench.core.errors import ConfigError
from aios_workbench.policy import load_policy
from aios_workbench.policy.enforce import PolicyEngine
from aios_workbench.policy.explain import explain
from aios_workbench.policy.model import ColumnMask, Grant, PolicyFile, RowFilter
from aios_workbench.policy.wording import access_summary, grant_label, mask_label, row_filter_label, rows_phrase
from tests.conftest import ROOT


def test_a_rule_without_description_gets_a_sentence_naming_what_who_and_how():
    assert mask_label(ColumnMask(tag="pii.email", method="hash", unmasked_for=("steward", "procurement_officer"))) \
        == "e-mail addresses hashed (pii.email) for everyone but stewards and procurement officers"
    assert mask_label(ColumnMask(tag="text.free", method="null", only_for=("agent",))) \
        == "free text hidden (text.free) for AI agents only"
    assert mask_label(ColumnMask(column="hr.main.people.salary", method="redact")) \
        == "column hr.main.people.salary redacted for everyone"
    assert grant_label(Grant(role="analyst", scope="supplier_master")) == "analysts may read supplier_master"
    assert grant_label(Grant(role="steward", scope="*", privilege="manage")) == "stewards manage every dataset"
    assert row_filter_label(RowFilter(dataset="a.b.c", predicate="region = {user.region}",
                                      exempt_roles=("steward",))) \
        == "only rows where region = the reader's region, for everyone but stewards"


def test_a_description_is_the_label_everywhere_the_rule_applies():
    mask = ColumnMask(tag="pii.email", method="hash", unmasked_for=("steward",),
                      description="e-mails hashed for everyone but stewards")
    assert mask_label(mask) == "e-mails hashed for everyone but stewards"
    policy = PolicyFile(roles={"analyst": {}, "steward": {}}, users={"bob": {"roles": ["analyst"]}},
                        grants=[{"role": "analyst", "scope": "crm", "description": "analysts read the CRM"}],
                        masks=[mask],
                        row_filters=[{"dataset": "crm.main.contacts", "predicate": "region = 'EU'",
                                      "description": "analysts see EU contacts only"}])
    entry = CatalogEntry("crm", "main", "contacts", "table", (
        ColumnInfo("id", "BIGINT"),
        ColumnInfo("email", "VARCHAR", ("pii.email",), (TagSource("pii.email", "scan", "92% of 500 sampled values "
                                                                  "are valid e-mail addresses", 0.93),))))
    engine = PolicyEngine(policy)
    view = engine.view(engine.principal("bob"), entry)
    assert view.rule == "analysts read the CRM"
    assert view.masks == {"email": ("hash", "e-mails hashed for everyone but stewards")}
    assert view.row_filter_rule == "analysts see EU contacts only"
    assert engine.tag_mask(engine.principal("bob"), {"pii.email"}) == "e-mails hashed for everyone but stewards"

    info = explain(policy, Catalog([entry]), "bob", "contacts")
    email = next(c for c in info["columns"] if c["name"] == "email")
    assert email["rule"] == "e-mails hashed for everyone but stewards" and email["about"] == "e-mail addresses"
    assert email["shows"].startswith("you see a keyed hash")
    assert email["tags"] == [{"tag": "pii.email", "origin": "scan", "confidence": 0.93,
                              "detail": "92% of 500 sampled values are valid e-mail addresses"}]
    assert info["summary"] == "1 column masked for you (email); you see only rows where region = 'EU'."
    assert "[" not in info["rule"] + email["rule"] + info["row_filter"]["rule"]


def test_what_applied_says_nothing_applied_when_nothing_did():
    assert access_summary([], None) == "Nothing is masked or filtered for you: you see every row and raw values."
    assert rows_phrase(73, "region = 'EU'") == "73 rows you can see (row filter: region = 'EU')"
    assert rows_phrase(1200, None) == "1,200 rows"


def test_the_demo_policy_names_every_rule_in_words():
    policy = load_policy(ROOT / "governance")
    assert all(rule.description for rule in (*policy.grants, *policy.masks, *policy.row_filters))


def test_a_description_is_text_of_at_most_200_characters(tmp_path):
    (tmp_path / "policy.yaml").write_text("roles: {analyst: {}}\ngrants:\n  - role: analyst\n    scope: crm\n"
                                          f"    description: {'x' * 201}\n")
    with pytest.raises(ConfigError, match="line 5"):
        load_policy(tmp_path)
