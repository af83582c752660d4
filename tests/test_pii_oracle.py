"""PII discovery on issue #19's independent oracle (tests/oracles/pii_columns: 96 tables, 1,243 columns,
23 locales, 6 scripts, built by a pass that never read the detector), classified through the scan's own
code path (catalog.classify.classify_listing over DuckDB views of the Parquet files); plus decoys."""

from __future__ import annotations

import pytest

from aios_workbench.catalog import classify
from tests.pii_oracle import CLASSES, classify_oracle, labels, scores

# What the detector reaches on the whole set (dev + held-out), minus a small margin; issue #19's targets
# are precision >= 0.98 and recall >= 0.97 per class (reached: precision 1.00 for every class, recall 1.00 but
# for person names, 140 of 141; see docs/benchmarks.md "PII discovery" for the halves)
FLOORS = {  # class: (precision, recall)
    "pii.person_name": (0.98, 0.98), "pii.email": (0.98, 0.98), "pii.phone": (0.98, 0.98),
    "pii.date_of_birth": (0.98, 0.98), "pii.address": (0.98, 0.98), "pii.national_id": (0.98, 0.98),
    "pii.iban": (0.98, 0.98), "pii.ip_address": (0.98, 0.98), "pii.payment_card": (0.98, 0.98),
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
    assert marked >= 0.9 * len(embedded), (marked, len(embedded))   # 68 of 69 reached
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


def _snils(serial: int) -> str:
    digits = f"{serial:09d}"
    check = sum(int(d) * w for d, w in zip(digits, range(9, 0, -1), strict=True)) % 101
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]} {0 if check == 100 else check:02d}"


def _pt_nif(serial: int) -> str:
    from stdnum.pt import nif  # lazy: only this test builds NIFs

    body = f"2{serial % 10**7:07d}"
    return body + nif.calc_check_digit(body)


def test_short_notes_are_free_text_and_the_names_and_ids_in_them_are_found():
    # three-word sentences: free text all the same, and a doctor's title in Cyrillic (`д-р`) before a name
    stock = ["Дубликат заказа отменён.", "Клиент спрашивает о возврате.", "Посылка передана курьеру."]
    named = [f"Клиент д-р {g} {f} звонил вчера." for g, f in zip(
        ["Тимофей", "Алина", "Гремислав", "Нина"], ["Юдин", "Корнилова", "Васильев", "Орлова"], strict=True)]
    ids = [f"Документы проверены, номер {_snils(100_000_007 + 7919 * i)}." for i in range(6)]
    notes = stock * 8 + named + ids

    found = {c.tag for c in classify.classify_column("примечание", "VARCHAR", notes)}

    assert {"pii.person_name", "pii.national_id", classify.EMBEDDED_TAG} <= found
    assert "pii.phone" not in found


def test_ids_in_prose_are_judged_over_the_column_not_number_by_number():
    # a NIF's 1-in-11 check digit: numbers of its length in a column that all pass it are IDs ...
    nifs = [f"Documento conferido: {_pt_nif(3_141_593 * i)}." for i in range(1, 13)]
    stock = ["Pacote entregue à transportadora.", "Pedido duplicado cancelado."]
    assert "pii.national_id" in {c.tag for c in classify.classify_column("comentario", "VARCHAR", nifs + stock * 6)}
    # ... while order numbers of every length, some passing a birth-number or check-digit scheme by chance, are not
    for digits in (9, 10, 11, 12):
        orders = [f"Pedido {10 ** (digits - 1) + 7_919_777 * i} enviado ao armazém." for i in range(1, 120)]
        assert classify.classify_column("comentario", "VARCHAR", orders + stock * 10) == \
            [c for c in classify.classify_column("comentario", "VARCHAR", orders + stock * 10)
             if c.tag == classify.FREE_TEXT_TAG], digits


def test_a_column_of_many_countries_national_ids_is_found_by_each_values_own_scheme():
    values = ["632222195608049170", "910101-1731445", "VLLLNA63C31F739Y", "532.973.752-48", "X7917834S",
              "370300196008045471", "44051401458", "AB123456C", "500115194607138855", "mgrbcc64d59d081a"] * 6
    assert {c.tag for c in classify.classify_column("c4", "VARCHAR", values)} == {"pii.national_id"}


def test_phone_numbers_keyed_in_log_lines_are_found_and_other_keyed_numbers_are_not():
    sms = [f"2024-11-{1 + i % 28:02d}T10:00:00Z WARN sms-gateway retry to={n} attempt=2"
           for i, n in enumerate(["931360368", "919 657 034", "966029626", "912345678", "937654321", "961112223"])]
    jobs = [f"2024-11-{1 + i % 28:02d}T10:00:00Z INFO worker job=etl rows={120_000 + i * 37} took={i * 13}ms"
            for i in range(40)]
    assert {c.tag for c in classify.classify_column("message", "VARCHAR", sms * 2 + jobs)} >= {"pii.phone"}
    synced = [f"2024-11-{1 + i % 28:02d} INFO sync to={910_000_000 + i * 7_777} rows={i}" for i in range(40)]
    assert "pii.phone" not in {c.tag for c in classify.classify_column("message", "VARCHAR", synced + jobs)}


@pytest.mark.parametrize(("values", "expected"), [
    # Korean: a family name's syllable and two more, then an honorific
    ([f"{n} 고객님이 반품을 요청함." for n in ("이예지", "최선영", "김서준", "박민수", "정하늘", "윤미숙")] +
     ["택배사에 인계 완료.", "중복 주문 취소."] * 10, {"pii.person_name"}),
    # Hindi: a word for the customer, a name, a postposition
    ([f"ग्राहक {n} ने कॉल किया।" for n in ("सोहेल कुमार", "गीता चोपरा", "श्री उषा शर्मा", "विजय पाटिल", "अनिला जोशी")] +
     ["पार्सल कूरियर को सौंप दिया गया।", "दो अनुस्मारक के बाद टिकट बंद।"] * 10, {"pii.person_name"}),
    # Arabic: the customer, a name, a preposition
    ([f"اتصل العميل {n} من الرقم المسجل." for n in ("زهران مهنا", "عبد الحق حجار", "نائل العقيل", "لقاء آل صفوان")] +
     ["تم تسليم الطرد لشركة الشحن.", "تم إغلاق التذكرة بعد تذكيرين."] * 10, {"pii.person_name"}),
    # stock phrases fit the same frames, but they repeat from row to row where names vary
    (["주문자님이 배송지를 변경함.", "구매자님 요청으로 취소.", "택배사에 인계 완료."] * 10, set()),
    (["ग्राहक सेवा टीम ने जवाब दिया।", "ग्राहक ने शिकायत दर्ज की।", "रिपोर्ट तैयार है।"] * 10, set()),
    (["العميل طلب استرداد المبلغ من الفرع.", "العميل يسأل عن سياسة الإرجاع.", "تم الشحن."] * 10, set()),
])
def test_names_in_notes_written_without_capital_letters(values, expected):
    found = {c.tag for c in classify.classify_column("notes", "VARCHAR", values)}
    assert found - {classify.EMBEDDED_TAG, classify.FREE_TEXT_TAG} == expected


@pytest.mark.parametrize(("values", "expected"), [
    # family names repeat (a few dozen distinct in a few hundred rows): the lexicon of the script decides
    (["佐藤", "井上", "池田", "佐々木", "斎藤", "中村", "石川", "渡辺", "吉田", "前田", "高橋", "中川", "山崎", "山本",
      "小林", "加藤", "松本", "清水", "森", "橋本", "藤田", "近藤"] * 8, {"pii.person_name"}),
    (list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁") * 8, {"pii.person_name"}),
    (list("김이박최정강조윤장임한오서신권황안송류전홍고") * 8, {"pii.person_name"}),
    # Arabic family names: a third carry a lineage word (`آل`, `بن`)
    (["المشاولة", "آل صفوان", "آل عطفة", "العليان", "آل جعفر", "المهنا", "كانو", "آل رفيع", "آل بن ظافر", "شربتلي",
      "آل عواض", "بقشان", "آل معيض", "الجفالي", "آل قصير", "بن لادن", "الراشد", "حنبولي", "آل سلطان", "العجلان",
      "الحجار", "آل الشيخ"] * 8, {"pii.person_name"}),
    # Slavic and Greek family names carry their patronymic and possessive endings
    ("Кузнецова Пахомов Сорокина Чернов Игнатьева Кириллов Онуфрієнко Артеменко Бондарчук Ковальчук Musilová Novotný "
     "Kowalski Wiśniewska Παπαδοπούλου Ταμιωλάκης Γεωργίου Ιωαννίδης Орлов Морозова Волков Лебедев".split() * 8,
     {"pii.person_name"}),
    # Cyrillic given names: a lexicon of the frequent ones, a quarter of the words at least (here, half)
    ("Ольга Пётр Ксения Тимофей Анфиса Остап Ермолай Изот Лукия Демид Евграф Агафья Светлана Никита Олександр Ганна "
     "Богдана Степан Ярина Злата Азарий Викторин Самуил Нестор".split() * 8, {"pii.person_name"}),
    # towns and job titles of the same shapes are not names
    ("Москва Казань Омск Томск Самара Пермь Уфа Тверь Курск Сочи Ростов Владимир Липецк Тула Брянск Чита Тамбов "
     "Калуга Псков Вологда Кострома".split() * 8, set()),
    ("Врач Инженер Бухгалтер Учитель Водитель Повар Юрист Программист Менеджер Продавец Строитель Электрик Сварщик "
     "Механик Дизайнер Архитектор Пилот Журналист Фармацевт Логист Экономист Переводчик".split() * 8, set()),
    (["بريدة", "حائل", "الطائف", "جدة", "الدمام", "الرياض", "مكة المكرمة", "المدينة المنورة", "تبوك", "أبها", "نجران",
      "الخبر", "جازان", "ينبع", "القطيف", "الجبيل", "عرعر", "سكاكا", "الباحة", "خميس مشيط", "القريات"] * 8, set()),
    (["医師", "大学教授", "看護師", "弁護士", "会計士", "薬剤師", "教師", "記者", "通訳", "建築家", "税理士", "司書",
      "保育士", "警察官", "消防士", "歯科医", "獣医", "栄養士", "調理師", "美容師", "理容師"] * 8, set()),
])
def test_lone_family_names_in_scripts_the_census_lexicon_does_not_cover(values, expected):
    assert {c.tag for c in classify.classify_column("sarake_13", "VARCHAR", values)} == expected
