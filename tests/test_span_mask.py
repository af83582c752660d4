"""The span-redacting mask (`redact_spans`) through the governed query path: free text tagged `pii.embedded`
by the scan keeps its words for a masked user, loses the personal data inside it, and no predicate, sort or
function over the masked column sees the raw spans; a steward reads the text raw."""

from __future__ import annotations

import json

import duckdb
import pytest

from aios_workbench.core.errors import PermissionDenied, UsageError
from aios_workbench.query import QueryDenied

POLICY = """
roles:
  analyst: {description: "free text with its personal data redacted"}
  steward: {description: sees everything raw}
users:
  ana: {roles: [analyst]}
  sam: {roles: [steward]}
grants:
  - {role: analyst, scope: support.main.tickets}
  - {role: steward, scope: "*"}
masks:
  - {tag: pii.embedded, method: redact_spans, unmasked_for: [steward]}
  - {column: support.main.tickets.ticket_no, method: redact_spans, unmasked_for: [steward]}
"""
TEMPLATES = (
    "Customer wrote from raw.{i}@secret.example asking about the refund",
    "Call back on +49 30 9018{i:02d}0 about the delivery, she prefers mornings",
    "Refund sent to IBAN DE89 3704 0044 0532 0130 00 and confirmed by the bank",
    "Login from 192.168.7.{i} failed three times, account locked for an hour",
    "Nothing personal in this one, the parcel was simply late again",
)
RAW_SPANS = ("secret.example", "+49 30", "DE89", "3704 0044", "192.168.7.")
ROWS = 40


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace
    from aios_workbench.workspace.scaffold import init_workspace

    root = tmp_path_factory.mktemp("spans") / "ws"
    init_workspace(root, name="spans")
    con = duckdb.connect(str(root / "support.duckdb"))
    con.execute("CREATE TABLE tickets (id INTEGER, ticket_no BIGINT, notes VARCHAR)")
    con.executemany("INSERT INTO tickets VALUES (?, ?, ?)",
                    [(i, 9_000_000 + i, TEMPLATES[i % len(TEMPLATES)].format(i=i)) for i in range(ROWS)])
    con.close()
    (root / "connectors" / "support.yaml").write_text("name: support\ntype: duckdb\noptions: {path: support.duckdb}\n")
    (root / "governance" / "policy.yaml").write_text(POLICY)
    svc = WorkbenchService(Workspace.load(root), mode="local")
    scan_catalog(svc.workspace, svc.store)
    svc.queries.refresh()
    yield svc
    svc.close()


def rows(service, sql: str, user: str = "ana") -> list[dict]:
    return service.queries.run(sql, user=user, surface="test").to_arrow().to_pylist()


def test_the_scan_marks_the_free_text_as_embedded_pii_and_the_masked_user_sees_the_words_without_the_spans(service):
    notes = [r["notes"] for r in rows(service, "SELECT notes FROM support.main.tickets ORDER BY id")]

    assert len(notes) == ROWS
    text = json.dumps(notes)
    assert not [span for span in RAW_SPANS if span in text]
    assert notes[0] == "Customer wrote from *** asking about the refund"
    assert notes[1] == "Call back on *** about the delivery, she prefers mornings"
    assert notes[2] == "Refund sent to IBAN *** and confirmed by the bank"
    assert notes[3] == "Login from *** failed three times, account locked for an hour"
    assert notes[4] == "Nothing personal in this one, the parcel was simply late again"


def test_a_steward_reads_the_text_raw(service):
    notes = [r["notes"] for r in rows(service, "SELECT notes FROM support.main.tickets ORDER BY id", user="sam")]

    assert notes[0] == "Customer wrote from raw.0@secret.example asking about the refund"
    assert all(span in json.dumps(notes) for span in RAW_SPANS)


def test_a_span_mask_on_a_column_that_is_not_text_yields_null(service):
    assert {r["ticket_no"] for r in rows(service, "SELECT ticket_no FROM support.main.tickets")} == {None}


@pytest.mark.parametrize("probe", [
    "notes LIKE '%secret.example%'",
    "notes ILIKE '%@SECRET%'",
    "contains(notes, '+49 30')",
    "regexp_matches(notes, 'DE89 ?3704')",
    "starts_with(replace(notes, 'Login from ', ''), '192.168')",
    "position('9018' IN notes) > 0",
    "notes > 'Call back on +' AND notes < 'Call back on ,'",
    "ticket_no = 9000001",
])
def test_predicates_cannot_probe_the_redacted_spans(service, probe):
    sql = f"SELECT count(*) AS n FROM support.main.tickets WHERE {probe}"

    assert rows(service, sql) == [{"n": 0}]
    assert rows(service, sql, user="sam")[0]["n"] > 0   # the probe does find the raw spans


@pytest.mark.parametrize("sql", [
    "SELECT string_agg(notes, ' | ') AS all_notes FROM support.main.tickets",
    "SELECT t.* FROM support.main.tickets t JOIN support.main.tickets u USING (id)",
    "SELECT notes FROM support.main.tickets GROUP BY notes ORDER BY notes",
    "WITH x AS (SELECT * FROM support.main.tickets) SELECT upper(notes) AS n FROM x",
    "SELECT aios_mask_spans('raw.1@secret.example') AS n",
])
def test_no_query_shape_returns_a_raw_span(service, sql):
    try:
        result = rows(service, sql)
    except (QueryDenied, PermissionDenied, UsageError):
        return
    assert not [span for span in RAW_SPANS if span.upper() in json.dumps(result).upper()]
