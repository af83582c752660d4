"""PII discovery on issue #19's independent oracle (tests/oracles/pii_columns: 96 tables, 1,243 columns,
23 locales, 6 scripts, built by a pass that never read the detector), classified through the scan's own
code path (catalog.classify.classify_listing over DuckDB views of the Parquet files); plus decoys."""

from __future__ import annotations

import pytest

from aios_workbench.catalog import classify
from tests.pii_oracle import CLASSES, classify_oracle, labels, scores

# What the detector reaches on the whole set (dev + held-out), minus a small margin; issue #19's targets
# are precision >= 0.98 and recall >= 0.97 per class (see docs/benchmarks.md for the gap).
FLOORS = {  # class: (precision, recall); reached: see docs/benchmarks.md "PII discovery"
    "pii.person_name": (0.98, 0.93), "pii.email": (0.98, 0.97), "pii.phone": (0.98, 0.95),
    "pii.date_of_birth": (0.98, 0.98), "pii.address": (0.98, 0.97), "pii.national_id": (0.98, 0.93),
    "pii.iban": (0.98, 0.98), "pii.ip_address": (0.98, 0.98), "pii.payment_card": (0.98, 0.97),
}


@pytest.fixture(scope="module")
def oracle_run():
    return labels(), classify_oracle()


def test_every_class_reaches_its_precision_and_recall_floor_on_the_whole_oracle(oracle_run):
    labels, found = oracle_run
    assert len(labels) >= 1000
    for cls, (tp, fp, fn) in scores(found).items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn)
        floor_p, floor_r = FLOORS[cls]
        assert precision >= floor_p, (cls, tp, fp, fn)
        assert recall >= floor_r, (cls, tp, fp, fn)


def test_embedded_pii_is_marked_as_embedded_and_direct_pii_is_not(oracle_run):
    labels, found = oracle_run
    embedded = [r for r in labels if r["embedded"] and r["labels"]]
    marked = sum(1 for r in embedded if classify.EMBEDDED_TAG in found.get((r["table"], r["column"]), set()))
    assert marked >= 0.9 * len(embedded), (marked, len(embedded))   # 66 of 69 reached
    direct = [r for r in labels if not r["embedded"] and r["labels"]]
    assert not [r for r in direct if classify.EMBEDDED_TAG in found.get((r["table"], r["column"]), set())]


def test_decoys_built_to_look_like_pii_are_not_tagged(oracle_run):
    labels, found = oracle_run
    for word in ("version strings that parse as IPv4", "pass the Luhn check"):
        decoys = [r for r in labels if r["decoy"] and word in r["note"]]
        assert decoys, word
        tagged = [(r["table"], r["column"]) for r in decoys
                  if found.get((r["table"], r["column"]), set()) & set(CLASSES)]
        assert not tagged, (word, tagged)


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("build", [f"{a}.{b}.{c}.{d}" for a, b, c, d in zip(range(1, 40), range(0, 39), range(3, 42), range(100, 250, 3),
                                                       strict=False)], set()),          # versions, not IPs
    ("order_no", ["4539578763621486", "79927398713", "12345678903", "5555555555554444"[:-1] + "9"] * 20, set()),
    ("col_7", [f"{g} {f}" for g in ("Ana", "Björn", "Zofia", "Kwame", "Yuki", "Lars") for f in
               ("Souza", "Lindqvist", "Wiśniewska", "Mensah", "Tanaka", "Yılmaz")], {"pii.person_name"}),
    ("fødselsdato", ["1987-03-14", "14.03.1961", "1949-11-02", "2001-07-30", "1975-01-09", "1990-12-24"] * 4,
     {"pii.date_of_birth"}),
    ("created_at", ["2024-03-14", "2025-01-02", "2023-11-30", "2024-07-01", "2025-06-15"] * 5, set()),
    ("notes", ["Call back on +49 30 901820 about the order", "Customer wrote from ann.lee@example.org today",
               "Nothing to report for this ticket", "Refund sent, IBAN DE89 3704 0044 0532 0130 00 confirmed"] * 5,
     {"pii.phone", "pii.email", "pii.iban", classify.EMBEDDED_TAG, classify.FREE_TEXT_TAG}),
])
def test_decided_by_values_when_the_name_says_nothing_and_decoys_resisted(name, values, expected):
    assert {c.tag for c in classify.classify_column(name, "VARCHAR", values)} == expected


def test_date_columns_are_sampled_and_birth_dates_told_from_event_timestamps():
    births = [f"{1940 + (i * 7) % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(60)]
    events = [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00" for i in range(60)]
    assert [c.tag for c in classify.classify_column("x", "DATE", births)] == ["pii.date_of_birth"]
    assert classify.classify_column("shipped_at", "TIMESTAMP", events) == []
    assert classify.classify_column("dob_verified", "BOOLEAN", ["true"] * 30) == []


def test_names_addresses_and_birth_dates_inside_notes_are_found_and_marked_embedded():
    notes = [f"{lead} {tail}" for lead, tail in zip(
        ["Parcel delivered.", "Duplicate order cancelled.", "Customer asked about returns.", "Ticket closed."] * 6,
        ["Kunde Herr Jonas Brenner hat angerufen, Rückruf erbeten.", "Neue Lieferadresse: Lindenweg 12, 04109 Leipzig.",
         "El cliente Sra. Lucía Ferrer llamó ayer.", "DOB given as March 3, 1961, matches record.",
         "Spoke to Dr. Amara Okafor about the invoice.", "Nuevo domicilio: Calle Mayor 7, 28013 Madrid."] * 4,
        strict=True)]

    found = {c.tag for c in classify.classify_column("notes", "VARCHAR", notes)}

    assert found == {"pii.person_name", "pii.address", "pii.date_of_birth", classify.EMBEDDED_TAG,
                     classify.FREE_TEXT_TAG}


@pytest.mark.parametrize(("name", "values"), [
    ("messages", ["Duplicate order cancelled.", "Parcel left the warehouse on time.", "Waiting for the supplier.",
                  "Refund approved after two reminders.", "Customer asked about the return policy."] * 6),
    ("log", [f"2024-05-{1 + i % 28:02d}T10:{i % 60:02d}:00Z DEBUG cache hit key={i * 7919:08x}" for i in range(60)]),
    ("content_hash", [f"{i * 2654435761 % 2**64:016x}{i * 40503 % 2**32:08x}{i:040x}" for i in range(60)]),
])
def test_prose_and_logs_without_personal_data_are_not_tagged(name, values):
    # never as personal data (prose is free text: a policy may withhold it from AI agents)
    tags = {c.tag for c in classify.classify_column(name, "VARCHAR", values)}
    assert tags == ({classify.FREE_TEXT_TAG} if name != "content_hash" else set())


def test_phone_numbers_written_as_phones_count_even_where_the_number_is_unassigned():
    # `+90 (661) ...`: a country code and an area code in brackets; the test data's area codes do not exist
    values = [f"+90 ({600 + i % 90}) {1000000 + i * 7919 % 8999999}" for i in range(60)]

    assert {c.tag for c in classify.classify_column("contact", "VARCHAR", values)} == {"pii.phone"}


@pytest.mark.parametrize(("name", "values", "expected"), [
    # lone names under a name that says nothing: the census lexicon decides, not the shape
    ("extra", ["Walsh", "Moreno", "Fischer", "Kowalski", "Nguyen", "Okafor", "Larsen", "Rossi", "Dubois", "Novak",
               "Schmidt", "Hughes", "Silva", "Jansen", "Murphy", "Costa", "Berger", "Romano", "Meyer", "Lopez",
               "Wagner", "Bianchi", "Keller", "Martin"] * 2, {"pii.person_name"}),
    ("misc", ["LINDA", "OMAR", "SOFIA", "HUGO", "ELENA", "MARCO", "NINA", "PAUL", "IRIS", "JONAS", "CLARA", "LUCAS",
              "ANA LUISA", "EVA", "ADAM", "ROSA", "MARTA", "FELIX", "LAURA", "DAVID", "HELEN", "PETER", "ANNA",
              "SIMON"] * 2, {"pii.person_name"}),
    # ... and towns of the same shape are no names
    ("field_3", ["Tampere", "Uppsala", "Ghent", "Bergamo", "Aarhus", "Utrecht", "Bilbao", "Leuven", "Malmö",
                 "Gdańsk", "Brno", "Porto", "Graz", "Trieste", "Odense", "Lund", "Kraków", "Lyon", "Turku", "Bremen",
                 "Sevilla", "Verona", "Bergen", "Linz"] * 2, set()),
    ("city", ["Austin", "Houston", "Dallas", "Denver", "Jackson", "Madison", "Lincoln", "Raleigh", "Chandler",
              "Gilbert", "Garland", "Irvine", "Arlington", "Aurora", "Orlando", "Reno", "Tyler", "Warren", "Laredo",
              "Mesa", "Fresno", "Omaha", "Tulsa", "Boise"] * 2, set()),
    # scripts whose vowel signs are combining marks; a Han family name of one character
    ("ग्राहक_नाम", ["राकेश जोशी", "मालती सरीन", "सुमन पाण्डेय", "इन्दिरा सरकार", "शशी मैती", "विजय राव"],
     {"pii.person_name"}),
    ("姓氏", ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"], {"pii.person_name"}),
    # a card's printed layout with a passing Luhn digit, whatever the issuer; Luhn order numbers unformatted are not
    ("info", ["9740 6812 6654 9107", "6705 3066 1986 9098", "4539 5787 6362 1486", "6762 6177 3193 7567"] * 6,
     {"pii.payment_card"}),
    ("ref", ["79927398713", "12345678903", "49927398716", "1234567812345670"] * 6, set()),
    # bare mobile numbers of one region; 11-digit order numbers that some region's plan accepts are not
    ("contact_2", [f"1{p}{n:08d}" for p, n in zip([39, 58, 86, 37, 50, 88, 31, 59, 77, 36] * 3,
                                                  range(10_000_017, 99_999_999, 2_999_997), strict=False)],
     {"pii.phone"}),
    # a national number in prose is a phone
    ("notes", ["Customer called from 030-901820 55 about the delivery.", "Nothing to report for this ticket.",
               "Please ring back on 0161 496 0321 after five.", "Parcel handed over to the carrier."] * 6,
     {"pii.phone", classify.EMBEDDED_TAG, classify.FREE_TEXT_TAG}),
    # Dutch and German compounds name the street in one word
    ("f8", ["Zoeydreef 34", "Lindenstieg 7", "Kerksingel 12", "Havenkade 3", "Dorpsbaan 88", "Molendijk 21"] * 4,
     {"pii.address"}),
])
def test_generalizes_beyond_the_words_of_the_column_name(name, values, expected):
    assert {c.tag for c in classify.classify_column(name, "VARCHAR", values)} == expected


def test_ids_that_start_with_a_birth_date_are_not_national_phone_numbers_in_prose():
    from aios_workbench.catalog.pii_text import kinds_in

    for text in ("Caller verified, ID on file 020342-2664.", "Rodné číslo 070812/7189 ověřeno.",
                 "Browser Chrome/48.0.857.0 Safari/534.0 logged in", "Refund to IBAN FR76 3000 6000 0112 3456 7890 189."):
        assert "pii.phone" not in kinds_in(text), text
    assert "pii.phone" in kinds_in("Kunde rief von 030 901820 55 an.")


def test_prose_is_tagged_as_free_text_with_or_without_personal_data_in_it():
    notes = ["Parcel handed over to the carrier this morning.", "Customer asked about the return policy.",
             "Ticket closed after two reminders were sent.", "Replacement part ordered, delivery next week."] * 6
    assert {c.tag for c in classify.classify_column("comment", "VARCHAR", notes)} == {classify.FREE_TEXT_TAG}
    assert classify.classify_column("status", "VARCHAR", ["open", "closed", "pending"] * 8) == []
    companies = [f"{a} {b} {c} {d}" for a in ("Bluefield", "Ember", "Nordic", "Granite") for b in ("Metals", "Parts")
                 for c in ("Group", "Trading", "Holding") for d in ("NV", "GmbH")]
    assert classify.classify_column("supplier_name", "VARCHAR", companies) == []   # names, not prose
