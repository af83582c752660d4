"""Personal data embedded in free text (notes, comments, log lines): find the spans, by kind.

Each finder is a regular expression for candidates followed by the kind's own check (an IBAN's mod-97, a
card's issuer prefix and Luhn, an IP address that is not a version number, a phone number valid for its
country), so the words around a value never make it match. `SPAN_PATTERN` is the union of the candidate
patterns in RE2 syntax, for a mask that redacts the spans inside DuckDB (regexp_replace).
"""

from __future__ import annotations

import re

from aios_workbench.catalog.pii_dates import birth_date_share, parse_date
from aios_workbench.catalog.pii_ids import LOOSE_ONLY, _ssn_dashed, _valid, compact, schemes, strong_valid
from aios_workbench.catalog.pii_names import HONORIFICS, PARTICLES, name_shape
from aios_workbench.catalog.pii_text_names import name_rows
from aios_workbench.catalog.pii_values import iban_check, is_address, is_email, is_ip, is_payment_card

EMAIL_SPAN = r"[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,24}"
IBAN_SPAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
IPV4_SPAN = r"\b(?:\d{1,3}\.){3}\d{1,3}\b"
IPV6_SPAN = r"(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*"
CARD_SPAN = r"\b\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{1,7}\b|\b\d{4}[ \-]?\d{6}[ \-]?\d{5}\b"
PHONE_SPAN = r"(?:\+|\b00|\(0|\b0)\d[\d ()./\-]{5,20}\d"
ID_SPAN = r"\b[A-Z0-9][A-Z0-9./\- ]{6,22}[A-Z0-9]\b"
# A mask cannot check a span the way the finders do, so it takes every number that could be an ID: a run of
# 6+ digits (single separators allowed: 123-45-6789, 123.456.789-09, dates too) or a word holding 5+ digits
# (RSSMRA85T10A562S). It over-redacts (order numbers, dates), the safe side for a mask.
DIGITS_MASK_SPAN = r"\b\d(?:[\-./ ]?\d){5,}\b|\b[A-Za-z]*\d(?:[A-Za-z]*\d){4,}[A-Za-z]*\b"
# What a span-redacting mask removes: everything the finders look at, stated for DuckDB's RE2 engine.
SPAN_PATTERN = "|".join(f"(?:{p})" for p in (EMAIL_SPAN, IBAN_SPAN, CARD_SPAN, IPV4_SPAN, IPV6_SPAN, PHONE_SPAN,
                                              DIGITS_MASK_SPAN))

_EMAIL = re.compile(EMAIL_SPAN)
_IBAN = re.compile(IBAN_SPAN)
_IPV4 = re.compile(IPV4_SPAN)
_IPV6 = re.compile(IPV6_SPAN)
_CARD = re.compile(CARD_SPAN)
_PHONE = re.compile(PHONE_SPAN, re.ASCII)   # word boundaries as RE2 (the masks) sees them: `は090-...` has one
# bounded by anything but a letter or digit of the Latin alphabet: `身份证号511800200403277989已核验` holds one
_ID = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{2,}[A-Z0-9./\-]{4,20}[A-Z0-9](?![A-Z0-9])")
VERSION_WORDS = re.compile(r"(?:version|release|build|firmware|fw|ver|v)\s*[:=]?\s*$", re.I)
BIRTH_WORDS = re.compile(r"(?i)born|birth|\bd\.?o\.?b\b|geb\.|geburt|geboren|nacimiento|nascita|nascimento|naissance"
                         r"|geboorte|födelse|fødsel|syntymä|narození|urodzenia|рождения|народження|γέννησης|nacid|nascid|nato|nata|né\b|née|geboren|född|født|syntyn"
                         r"|narozen|urodzon|doğum|родил|народи|γεννήθηκε|γέννησ|生まれ|出生|생년|जन्म|ميلاد")
FREE_TEXT_WORDS = 4
CJK_TEXT = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")   # scripts written without spaces ...
SENTENCE_END = re.compile(r"[。！？!?]|\.(?:\s|$)")   # ... in sentences (an address has no full stop)
CJK_TEXT_CHARS = 6                                                  # ... where 6 characters make a sentence
WORD = re.compile(r"[^\W\d_]{2,}")


# a short sentence: closed by a full stop, question or exclamation mark (also Devanagari's danda, Arabic's
# question mark), with a word in lower case or in a script without case (`Дубликат заказа отменён.`,
# `Documento conferido: 373113714.`); names, titles and companies capitalise every word
SENTENCE_CLOSE = re.compile(r"[.!?।؟…]$")


def _short_sentence(v: str, words: list[str]) -> bool:
    return (len(words) >= 2 and SENTENCE_CLOSE.search(v) is not None
            and any(not w[:1].isupper() for w in words) and not v.endswith((" Co.", " Inc.", " Ltd.", " Corp.")))


def is_free_text(values: list[str]) -> bool:
    """Most values are sentences or log lines: several words each, or a short sentence."""
    if not values:
        return False

    def wordy(v: str) -> bool:
        if (len(v) >= 40 and " " in v) or (len(CJK_TEXT.findall(v)) >= CJK_TEXT_CHARS
                                           and SENTENCE_END.search(v) is not None):
            return True
        words = [w for w in v.split() if WORD.search(w)]
        return len(words) >= FREE_TEXT_WORDS or _short_sentence(v, words)

    return sum(1 for v in values if wordy(v)) >= 0.5 * len(values)


def _dated_id(candidate: str) -> bool:
    """Starts with six digits that read as a birth date (`020342-2664`, `070812/7189`): a Finnish, Czech or
    Slovak ID, whose leading 0 makes it look like a national phone number."""
    head = re.match(r"\(?(\d+)", candidate)
    if head is None or len(head.group(1)) != 6:
        return False
    a, b, c = (int(head.group(1)[i:i + 2]) for i in (0, 2, 4))
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= b % 50 <= 12 and 1 <= c <= 31)


def is_prose(values: list[str]) -> bool:
    """Most values are sentences or log lines, not names: several words, some of them not capitalised (a
    company's or a product's name capitalises each word: `Bluefield Materials Group NV`)."""
    if not values:
        return False

    def prose(v: str) -> bool:
        if len(CJK_TEXT.findall(v)) >= CJK_TEXT_CHARS and SENTENCE_END.search(v) is not None:
            return True
        words = [w for w in v.split() if WORD.search(w)]
        return len(words) >= FREE_TEXT_WORDS and sum(1 for w in words if not w[0].isupper()) >= 2

    return sum(1 for v in values if prose(v)) >= 0.5 * len(values)


def _phone_ok(candidate: str, before: str = "", after: str = "") -> bool:
    """`candidate` (a PHONE_SPAN match) is a phone number; `before`, `after`: the characters around it."""
    # lazy: libphonenumber only for texts that hold a phone-shaped span
    from aios_workbench.catalog.pii_phones import _international, _parse, _trunk_zero_regions, _valid_in

    digits = sum(ch.isdigit() for ch in candidate)
    if not 7 <= digits <= 15 or parse_date(candidate) is not None:
        return False
    intl = _international(candidate)
    if intl:
        return _parse(intl, None) is not None
    # a national number in prose (`0303-956 3150`, `043-450-3922`): a trunk 0, digit groups, and valid where
    # numbers are dialled with a trunk 0; a bare run of digits in prose is as likely an order number
    # (not inside a version, a date or a code: `Chrome/48.0.857.0`, `Gecko/5901-12-11`)
    starts_word = before == "" or before.isspace() or before in "(:=" or not before.isascii()
    ends_word = after == "" or not (after.isascii() and (after.isalnum() or after in "-/"))
    return (starts_word and ends_word and "." not in candidate and not _dated_id(candidate) and candidate.lstrip("(").startswith("0")
            and any(ch in candidate for ch in " -/()")
            and any(_valid_in(candidate, region) for region in _trunk_zero_regions()))


def kinds_in(text: str) -> set[str]:
    """The tags of the personal data found inside `text`."""
    found = _kinds_but_ids(text)
    if _has_national_id(text):
        found.add("pii.national_id")
    return found


def _kinds_but_ids(text: str) -> set[str]:
    """`kinds_in` without national IDs (a column judges those over all its texts: `_national_id_rows`)."""
    found = set()
    if "@" in text and any(is_email(m.group(0).strip(".")) for m in _EMAIL.finditer(text)):
        found.add("pii.email")
    ibans = [m.span() for m in _IBAN.finditer(text) if iban_check(m.group(0))]
    if ibans:
        found.add("pii.iban")
    for m in _IPV4.finditer(text):
        if is_ip(m.group(0)) and not VERSION_WORDS.search(text[max(0, m.start() - 12):m.start()]):
            found.add("pii.ip_address")
            break
    if "::" in text or text.count(":") >= 4:
        if any(m.group(0).count(":") >= 2 and is_ip(m.group(0)) and not re.fullmatch(r"[\d:]+", m.group(0))
               for m in _IPV6.finditer(text)):
            found.add("pii.ip_address")
    if any(is_payment_card(m.group(0)) and not any(a < m.end() and m.start() < b for a, b in ibans)   # an IBAN's
           for m in _CARD.finditer(text)):                                                            # digits
        found.add("pii.payment_card")
    if any(_phone_ok(m.group(0), text[max(0, m.start() - 1):m.start()], text[m.end():m.end() + 1])
           and not any(a < m.end() and m.start() < b for a, b in ibans) for m in _PHONE.finditer(text)):
        found.add("pii.phone")
    birth = BIRTH_WORDS.search(text)
    if birth:
        dates = [w for w in re.findall(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}", text)]
        dates += _written_dates(text[birth.end():birth.end() + 48])
        if dates and birth_date_share(dates)[1] > 0:
            found.add("pii.date_of_birth")
    if _has_address(text):
        found.add("pii.address")
    if _has_person_name(text):
        found.add("pii.person_name")
    return found


def _written_dates(after: str) -> list[str]:
    """Dates written with words after a birth word (`: 9. Februar 1968`, `given as April 24, 1978`): the
    first run of 2-4 tokens that reads as a date."""
    tokens = re.findall(r"\S+", after)[:8]
    for start in range(len(tokens)):
        for width in (4, 3, 2):
            candidate = " ".join(tokens[start:start + width]).strip(".,;:)")
            if any(ch.isdigit() for ch in candidate) and parse_date(candidate) is not None:
                return [candidate]
    return []


# a clause: sentences, and what follows a colon (`Neue Lieferadresse: Hartungstr. 9, 14292 Lippstadt`)
CLAUSE_BREAK = re.compile(r"(?<=[.!?。])\s+(?=[^\W\d_])|[:;]\s+|[：。]\s*|\n")


def _has_address(text: str) -> bool:
    """A clause that is an address by itself (a street with a house number, or a house number and a
    postcode), once e-mails and international phone numbers are taken out."""
    if not any(ch.isdigit() for ch in text):
        return False
    whole = text.strip(" .,")
    if CLAUSE_BREAK.search(whole) is None and is_address(whole):
        return False   # one clause that is an address as a whole: a column of addresses, not prose holding one
    for clause in CLAUSE_BREAK.split(text):
        if not any(ch.isdigit() for ch in clause) or BIRTH_WORDS.search(clause):   # `DOB given as September 18, 1977`: a date, not a house and postcode
            continue
        clause = LONG_NUMBER.sub(" ", _PHONE.sub(" ", _IBAN.sub(" ", _EMAIL.sub(" ", clause)))).strip(" .,")
        for start in _starts(clause):
            if is_address(clause[start:].strip(" .,")):
                return True
    return False


# 8+ digits in one run (`22 806 54 79`): a phone or account number, never a house number or a postcode
LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[ \-()]?\d){7,}(?!\d)")


def _starts(clause: str) -> list[int]:
    """Where an address inside a clause may begin: its start, and after `to`-like words that announce one
    (the last 6 words before the first digit)."""
    digit = next((i for i, ch in enumerate(clause) if ch.isdigit()), len(clause))
    words = [m.start() for m in re.finditer(r"\S+", clause[:digit])]
    return [0, *words[-6:]]


# Words that introduce a person in support notes and logs, by language: a customer, a caller, a patient ...
PERSON_CUES = re.compile(
    r"(?i)(?:^|(?<=\W))(?:customer|client|cliente|clienta|kunde|kundin|klant|klient|klientka|asiakas|müşteri"
    r"|клиент|клиентка|клієнт|клієнтка|πελάτης|πελάτισσα|patient|patiente|paziente|paciente|pacjent|patiënt"
    r"|caller|contact|kontakt|contacto|contatto|member|mitglied|socio|employee|mitarbeiter|medewerker"
    r"|empleado|dipendente|pracownik|spoke to|sprach mit|habló con|ha parlato con|sprak met|rozmawiał z"
    r"|attn|attention)\s+")
NAME_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’\-.]*(?:[-'’][^\W\d_]+)*\.?")
CJK_NAME = re.compile(r"(?:^|[\s。、，,.!?:：「」()\d])((?!お|ご)[\u3040-\u30ff\u4e00-\u9fff]{1,4}"
                      r"(?:[ \u3000][\u3040-\u30ff\u4e00-\u9fff]{1,3})?)(?:様|さま|さん|殿)")


def _has_person_name(text: str) -> bool:
    """A person named in prose: after a word that introduces one (`Kunde Thaddäus Döhn hat`, `El cliente
    Sr. Che Orozco llamó`), or after a title (`Spoke to Dr. Johannes Hannula`), a run of capitalised name
    words shaped like a full name (or one name after a title); in Japanese, a name before 様/さん/殿."""
    for m in CJK_NAME.finditer(text):
        if len(m.group(1).replace(" ", "").replace("\u3000", "")) >= 2:
            return True
    for cue in PERSON_CUES.finditer(text):
        if _name_after(text[cue.end():], cue_word=True):
            return True
    for m in re.finditer(r"(?:^|\s)(\S+?)\.?\s", text):
        if m.group(1).lower().rstrip(".") in HONORIFICS and len(m.group(1).rstrip(".")) >= 2 \
                and _name_after(text[m.start(1):], cue_word=False):
            return True
    return False


def _name_after(rest: str, cue_word: bool) -> bool:
    run: list[str] = []
    titled = False
    for token in rest.split()[:6]:
        bare = token.rstrip(".,;:)")
        if not NAME_TOKEN.fullmatch(bare + ("." if token.rstrip(",;:)").endswith(".") else "")):
            break
        low = bare.lower()
        if low in HONORIFICS:
            titled = True
        elif not (bare[:1].isupper() or low in PARTICLES):
            break
        run.append(bare)
        if token[-1:] in ",;:" or (token.endswith(".") and low not in HONORIFICS and len(bare) > 1):
            break
    while run and run[-1].lower() in PARTICLES:
        run.pop()
    if not run:
        return False
    shape = name_shape(" ".join(run))
    return shape == "full" or (shape == "single" and titled and not cue_word) or (shape == "single" and titled)


# digit groups split by single spaces too (a SNILS as written, `497-690-451 59`; a NIR, `1 85 05 78 006 084 36`)
_GROUPED_ID = re.compile(r"(?<![\w\-./])\d{1,6}(?:[ \-./]\d{1,6}){2,6}(?![\w\-/])", re.ASCII)
STRONG_LENGTHS = (9, 18)   # their compact lengths: a NINO or DNI (9) to a Chinese resident ID (18)


def _id_tokens(text: str) -> list[tuple[str, bool]]:
    """(compact form, passes a strong scheme) for each number in `text` that could be a national ID."""
    if sum(ch.isdigit() for ch in text) < 6:
        return []
    upper = text.upper()
    # (a phone span that starts inside a group of digits, `100-000-007 16`, claims nothing)
    claimed = [m.span() for pattern in (_PHONE, _IBAN) for m in pattern.finditer(upper)
               if not (m.start() >= 2 and upper[m.start() - 1] in "-./" and upper[m.start() - 2].isdigit())]
    tokens = []
    for m in [*_ID.finditer(upper), *_GROUPED_ID.finditer(upper)]:
        if any(a < m.end() and m.start() < b for a, b in claimed):   # a phone number or an IBAN, not an ID
            continue
        token = m.group(0)
        if sum(ch.isdigit() for ch in token) < 6 or is_ip(token) or parse_date(token) is not None:
            continue
        c = compact(token)
        if _ssn_dashed(token):
            tokens.append((c, True))
        elif STRONG_LENGTHS[0] <= len(c) <= STRONG_LENGTHS[1]:
            tokens.append((c, strong_valid(c) or _valid(schemes()["fi.hetu"], token)))   # hetu keeps its `-`
    return tokens


def _has_national_id(text: str) -> bool:
    return any(ok for _, ok in _id_tokens(text))


STRONG_PASS_SHARE = 0.5   # numbers of one length in a column: IDs when this share passes a strong scheme ...
SCHEME_PASS_SHARE = 0.8   # ... or this share passes one scheme of any strength (1-in-11 check digits: a NIF)
SCHEME_MIN_NUMBERS = 4


def _national_id_rows(values: list[str], tokens: dict[str, list[tuple[str, bool]]]) -> int:
    """Values holding a national ID, judged over the column as a column of IDs is: the numbers of an ID's
    length mostly pass its scheme, where order numbers pass a strong scheme 1 time in 50-100 and a check
    digit 1 time in 10."""
    by_length: dict[int, list[tuple[str, bool]]] = {}
    for v in values:
        for c, ok in tokens.get(v, ()):
            by_length.setdefault(len(c), []).append((c, ok))
    proven: set[str] = set()
    for numbers in by_length.values():
        passed = {c for c, ok in numbers if ok}
        if len(passed) >= 1 and sum(ok for _, ok in numbers) >= STRONG_PASS_SHARE * len(numbers):
            proven |= passed
        elif len(numbers) >= SCHEME_MIN_NUMBERS:
            proven |= _one_scheme(numbers)
    return sum(1 for v in values if any(c in proven for c, _ in tokens.get(v, ())))


def _one_scheme(numbers: list[tuple[str, bool]]) -> set[str]:
    """The numbers passing the one scheme that SCHEME_PASS_SHARE of them pass, if any (the schemes are sifted
    on a probe of five first)."""
    every = [c for c, _ in numbers]
    probe = every[:: max(1, len(every) // 5)][:5]
    for name, check in schemes().items():
        if name in LOOSE_ONLY or sum(_valid(check, c) for c in probe) < SCHEME_PASS_SHARE * len(probe):
            continue
        passed = {c for c in every if _valid(check, c)}
        if sum(1 for c in every if c in passed) >= SCHEME_PASS_SHARE * len(every):
            return passed
    return set()


def _keyed_number_rows(values: list[str]) -> list[int]:
    if not any("=" in v or ":" in v for v in values):
        return []
    # lazy: libphonenumber only for log lines
    from aios_workbench.catalog.pii_phones import keyed_number_rows

    return keyed_number_rows(values)


def embedded_kinds(values: list[str]) -> dict[str, int]:
    """Tag -> how many of `values` hold that kind of personal data inside longer text."""
    counts: dict[str, int] = {}
    seen: dict[str, set[str]] = {}   # notes repeat their stock sentences: judge each text once
    for v in values:
        if len(v) < 12:
            continue
        if v not in seen:
            seen[v] = _kinds_but_ids(v)
        for tag in seen[v]:
            counts[tag] = counts.get(tag, 0) + 1
    ids = {v: _id_tokens(v) for v in seen}
    rows = _national_id_rows([v for v in values if v in seen], ids)
    if rows:
        counts["pii.national_id"] = rows
    keyed = [i for i in _keyed_number_rows(values) if "pii.phone" not in seen.get(values[i], ())]
    if keyed:
        counts["pii.phone"] = counts.get("pii.phone", 0) + len(keyed)
    # names in scripts without capitals are judged over the column (their frames fit stock phrases too)
    named = [i for i in name_rows(values) if "pii.person_name" not in seen.get(values[i], ())]
    if named:
        counts["pii.person_name"] = counts.get("pii.person_name", 0) + len(named)
    return counts
