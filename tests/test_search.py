"""Catalog search: ranking (exact names first, weighted fields, prefixes, coverage) and visibility."""

from __future__ import annotations

import pytest

from aios_workbench.catalog.model import Catalog, CatalogEntry, ColumnInfo
from aios_workbench.catalog.search import SearchIndex, index_for, search, words
from aios_workbench.catalog.search_reasons import answer
from aios_workbench.core.errors import UsageError
from tests.governed_fixtures import build_governed_workspace, open_governed_service


def everyone(entry) -> bool:
    return True


def col(name: str, *tags: str) -> ColumnInfo:
    return ColumnInfo(name, "VARCHAR", tags)


def entry(source, schema, name, columns=(), description="", owners=(), tags=()) -> CatalogEntry:
    return CatalogEntry(source, schema, name, "table", tuple(columns), description, tuple(owners), tuple(tags))


@pytest.fixture
def catalog() -> Catalog:
    filler = [entry("misc", "main", f"table_{i:03d}", [col("id"), col(f"value_{i}")], f"Filler number {i}.")
              for i in range(200)]
    return Catalog([
        *filler,
        entry("sales", "main", "orders", [col("order_id"), col("customer_email", "pii.email"), col("amount")],
              "One row per order.", ["sales-data@example.com"], ["gold"]),
        entry("archive", "main", "orders", [col("order_id")], "Old orders before 2020.", ["archive@example.com"]),
        entry("sales", "main", "order_lines", [col("order_id"), col("sku"), col("quantity")],
              "Lines of each order.", ["sales-data@example.com"]),
        entry("crm", "main", "customers", [col("customer_id"), col("full_name", "pii.person_name"),
                                           col("phone", "pii.phone")], "Customer master data.",
              ["crm-team@example.com"], ["pii", "master-data"]),
        entry("crm", "main", "interactions", [col("customer_id"), col("channel"), col("note")],
              "Calls and e-mails with customers; mentions orders.", ["crm-team@example.com"]),
        entry("erp", "main", "suppliers",
              [col("supplier_id"), col("contact_phone", "pii.phone"), col("iban", "pii.iban")],
              "Supplier master data with contact details.", ["procurement@example.com"], ["finance"]),
        entry("erp", "main", "supplier_ratings", [col("supplier_id"), col("rating")], "Supplier ratings.",
              ["procurement@example.com"]),
        entry("billing", "main", "invoices", [col("id"), col("total")], "Issued bills."),
        entry("billing", "main", "payments", [col("id"), col("invoice_id")], "Money received."),
        entry("billing", "main", "audit_notes", [col("id"), col("note")], "Remarks on issued invoices."),
        entry("finance", "ledger", "journal", [col("account"), col("amount")], "General ledger.",
              ["finance-data@example.com"], ["finance", "certified"]),
    ])


def names(hits) -> list[str]:
    return [h.entry.full_name for h in hits]


def test_an_exact_dataset_name_comes_first_then_fully_qualified_names_pick_one(catalog):
    hits = search(catalog, "orders", visible=everyone)
    assert set(names(hits)[:2]) == {"sales.main.orders", "archive.main.orders"}
    assert "crm.main.interactions" in names(hits)  # its description mentions orders, ranked below
    assert names(search(catalog, "archive.main.orders", visible=everyone))[0] == "archive.main.orders"
    assert names(search(catalog, "ARCHIVE.orders", visible=everyone))[0] == "archive.main.orders"
    assert names(search(catalog, "order lines", visible=everyone))[0] == "sales.main.order_lines"


def test_a_name_match_outranks_a_column_match_which_outranks_a_description_match(catalog):
    ranked = names(search(catalog, "invoice", visible=everyone))
    assert ranked == ["billing.main.invoices", "billing.main.payments", "billing.main.audit_notes"]
    assert names(search(catalog, "customer", visible=everyone))[0] == "crm.main.customers"
    assert names(search(catalog, "supplier", visible=everyone))[:2] == ["erp.main.suppliers",
                                                                        "erp.main.supplier_ratings"]


def test_prefixes_match_the_words_they_begin(catalog):
    hits = search(catalog, "cust", visible=everyone)
    assert names(hits)[0] == "crm.main.customers"  # the name begins with the query
    hit = next(h for h in search(catalog, "emai", visible=everyone) if h.entry.name == "orders"
               and h.entry.source == "sales")
    assert hit.matched_columns == ("customer_email",) and "columns" in hit.matched_fields


def test_datasets_matching_every_word_rank_above_those_matching_some(catalog):
    ranked = names(search(catalog, "supplier phone", visible=everyone))
    assert ranked[0] == "erp.main.suppliers"
    assert set(ranked[1:]) == {"erp.main.supplier_ratings", "crm.main.customers"}


def test_tags_owners_and_classifications_are_searchable_and_reported(catalog):
    pii_email = search(catalog, "pii.email", visible=everyone)
    assert names(pii_email)[0] == "sales.main.orders"
    assert "tags" in pii_email[0].matched_fields and pii_email[0].matched_columns == ("customer_email",)
    owned = search(catalog, "finance-data@example.com", visible=everyone)
    assert names(owned)[0] == "finance.ledger.journal" and "owners" in owned[0].matched_fields
    certified = search(catalog, "certified", visible=everyone)
    assert names(certified) == ["finance.ledger.journal"] and certified[0].matched_fields == ("tags",)
    assert search(catalog, "iban", visible=everyone)[0].to_dict()["matched_columns"] == ["iban"]


def marked(reason: dict) -> list[str]:
    """The highlighted parts of a reason's text."""
    return [reason["text"][a:b] for a, b in reason["highlights"]]


def test_each_hit_says_why_it_matched_with_the_matching_text_highlighted(catalog):
    orders = answer(search(catalog, "customer email", visible=everyone)[0])
    assert orders["name"] == "sales.main.orders"
    column = next(r for r in orders["reasons"] if r["field"] == "column")
    assert column["text"] == "customer_email (pii.email)" and marked(column) == ["customer", "email", "email"]
    assert orders["why"].startswith("Matched: ") and "column customer_email (pii.email)" in orders["why"]

    prefix = answer(next(h for h in search(catalog, "cust", visible=everyone) if h.entry.name == "customers"))
    assert prefix["reasons"][0]["field"] == "name" and marked(prefix["reasons"][0]) == ["cust"]

    described = answer(next(h for h in search(catalog, "mentions", visible=everyone)
                            if h.entry.name == "interactions"))
    assert [r["field"] for r in described["reasons"]] == ["description"]
    assert marked(described["reasons"][0]) == ["mentions"] and described["why"] == "Matched: description"

    tagged = answer(search(catalog, "certified", visible=everyone)[0])
    assert tagged["reasons"] == [{"field": "tag", "text": "certified", "highlights": [[0, 9]]}]
    by_class = answer(search(catalog, "pii.email", visible=everyone)[0])
    assert {"field": "column", "text": "customer_email (pii.email)", "highlights": [[9, 14], [16, 19], [20, 25]]} \
        in by_class["reasons"]


def test_a_long_description_is_cut_to_a_snippet_around_its_match():
    text = ("Filler words " * 30) + "the needle is here " + ("and more words " * 30)
    hits = search(Catalog([entry("a", "main", "t", [col("id")], text)]), "needle", visible=everyone)
    reason = answer(hits[0])["reasons"][0]
    assert reason["field"] == "description" and len(reason["text"]) <= 162
    assert reason["text"].startswith("…") and reason["text"].endswith("…") and marked(reason) == ["needle"]


def test_only_visible_datasets_are_returned_and_the_limit_counts_visible_ones(catalog):
    def not_sales(e) -> bool:
        return e.source != "sales"

    hits = search(catalog, "orders", visible=not_sales, limit=2)
    assert len(hits) == 2 and all(h.entry.source != "sales" for h in hits)
    assert names(hits)[0] == "archive.main.orders"
    assert search(catalog, "orders", visible=lambda e: False) == []
    assert len(search(catalog, "filler", visible=everyone, limit=500)) == 200


def test_queries_without_words_find_nothing_and_bad_limits_are_errors(catalog):
    assert search(catalog, "", visible=everyone) == []
    assert search(catalog, "   ", visible=everyone) == []
    assert search(catalog, "zzzz-not-there", visible=everyone) == []
    with pytest.raises(UsageError, match="limit"):
        search(catalog, "orders", visible=everyone, limit=0)
    with pytest.raises(TypeError):
        search(catalog, "orders")  # no visibility filter: refused, never "everything"


def test_the_index_is_built_once_per_catalog_object(catalog):
    first = index_for(catalog)
    assert index_for(catalog) is first
    rebuilt = Catalog(list(catalog.entries))
    assert index_for(rebuilt) is not first
    assert isinstance(first, SearchIndex)
    assert words("customerEMail_v2") == ("customer", "e", "mail", "v2")


def test_search_over_a_scanned_catalog_respects_the_policy_grants(tmp_path):
    from aios_workbench.policy.enforce import PolicyEngine

    service = open_governed_service(build_governed_workspace(tmp_path / "ws"))
    try:
        catalog = service.queries.catalog()
        engine = PolicyEngine(service.queries.policy.current())

        def may_read(user):
            principal = engine.principal(user)
            return lambda e: engine.grant_for(principal, e) is not None

        ana = search(catalog, "email", visible=may_read("ana"))
        assert names(ana) == ["hr.main.people"] and ana[0].matched_columns == ("email",)
        assert search(catalog, "people", visible=may_read("otto")) == []  # no grant, no names
        assert names(search(catalog, "budget", visible=may_read("ana"))) == []
        assert names(search(catalog, "budget", visible=may_read("sam"))) == ["fin.main.budget"]
    finally:
        service.close()


def test_a_column_description_matches_below_a_column_name_and_is_told_with_a_snippet():
    long_words = ("Calendar days between the order and the delivery at our dock, counted in the warehouse's "
                  "time zone; empty while the goods are in transit.")
    catalog = Catalog([
        entry("ops", "main", "arrivals", [col("id"), ColumnInfo("lead_time_days", "INTEGER", (), (), long_words,
                                                                  "policy")]),
        entry("ops", "main", "docks", [col("dock_id"), col("transit")]),
        *[entry("misc", "main", f"t{i}", [col("id")]) for i in range(20)],
    ])

    hits = search(catalog, "transit", visible=everyone)

    assert names(hits) == ["ops.main.docks", "ops.main.arrivals"]   # a column's name outweighs its description
    found = answer(hits[1])
    (reason,) = found["reasons"]
    assert reason["field"] == "column"
    assert reason["text"] == 'lead_time_days: "…while the goods are in transit."'   # cut around the match
    (start, end), = reason["highlights"]
    assert reason["text"][start:end] == "transit"
    assert found["why"] == f"Matched: column {reason['text']}"
    assert hits[1].matched_fields == ("column_descriptions",)
