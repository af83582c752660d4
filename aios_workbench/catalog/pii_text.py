"""Personal data embedded in free text (notes, comments, log lines): find the spans, by kind.

Each finder is a regular expression for candidates followed by the kind's own check (an IBAN's mod-97, a
card's issuer prefix and Luhn, an IP address that is not a version number, a phone number valid for its
country), so the words around a value never make it match. `SPAN_PATTERN` is the union of the candidate
patterns in RE2 syntax, for a mask that redacts the spans inside DuckDB (regexp_replace).
"""

from __future__ import annotations

import re

from aios_workbench.catalog.pii_dates import birth_date_share, parse_date
from aios_workbench.catalog.pii_ids import _ssn_dashed, compact, schemes
from aios_workbench.catalog.pii_values import iban_check, is_email, is_ip, is_payment_card

EMAIL_SPAN = r"[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,24}"
IBAN_SPAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
IPV4_SPAN = r"\b(?:\d{1,3}\.){3}\d{1,3}\b"
IPV6_SPAN = r"(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*"
CARD_SPAN = r"\b\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{1,7}\b|\b\d{4}[ \-]?\d{6}[ \-]?\d{5}\b"
PHONE_SPAN = r"(?:\+|\b00|\(0|\b0)\d[\d ()./\-]{5,20}\d"
ID_SPAN = r"\b[A-Z0-9][A-Z0-9./\- ]{6,22}[A-Z0-9]\b"
# What a span-redacting mask removes: everything the finders look at, stated for DuckDB's RE2 engine.
SPAN_PATTERN = "|".join(f"(?:{p})" for p in (EMAIL_SPAN, IBAN_SPAN, CARD_SPAN, IPV4_SPAN, IPV6_SPAN, PHONE_SPAN))

_EMAIL = re.compile(EMAIL_SPAN)
_IBAN = re.compile(IBAN_SPAN)
_IPV4 = re.compile(IPV4_SPAN)
_IPV6 = re.compile(IPV6_SPAN)
_CARD = re.compile(CARD_SPAN)
_PHONE = re.compile(PHONE_SPAN)
_ID = re.compile(r"\b[A-Z0-9]{2,}[A-Z0-9./\-]{4,20}[A-Z0-9]\b")
VERSION_WORDS = re.compile(r"(?:version|release|build|firmware|fw|ver|v)\s*[:=]?\s*$", re.I)
BIRTH_WORDS = re.compile(r"(?i)born|birth|geb\.|geboren|nacid|nascid|nato|nata|né\b|née|geboren|född|født|syntyn"
                         r"|narozen|urodzon|doğum|родил|народи|γεννήθηκε|γέννησ|生まれ|出生|생년|जन्म|ميلاد")
FREE_TEXT_WORDS = 4
WORD = re.compile(r"[^\W\d_]{2,}")


def is_free_text(values: list[str]) -> bool:
    """Most values are sentences or log lines: several words each."""
    if not values:
        return False
    wordy = sum(1 for v in values if len(WORD.findall(v)) >= FREE_TEXT_WORDS or (len(v) >= 40 and " " in v))
    return wordy >= 0.5 * len(values)


def _phone_ok(candidate: str) -> bool:
    # lazy: libphonenumber only for texts that hold a phone-shaped span
    from aios_workbench.catalog.pii_phones import _international, _parse

    digits = sum(ch.isdigit() for ch in candidate)
    if not 7 <= digits <= 15 or parse_date(candidate) is not None:
        return False
    intl = _international(candidate)
    return _parse(intl, None) is not None if intl else False


def kinds_in(text: str) -> set[str]:
    """The tags of the personal data found inside `text`."""
    found = set()
    if "@" in text and any(is_email(m.group(0).strip(".")) for m in _EMAIL.finditer(text)):
        found.add("pii.email")
    if any(iban_check(m.group(0)) for m in _IBAN.finditer(text)):
        found.add("pii.iban")
    for m in _IPV4.finditer(text):
        if is_ip(m.group(0)) and not VERSION_WORDS.search(text[max(0, m.start() - 12):m.start()]):
            found.add("pii.ip_address")
            break
    if "::" in text or text.count(":") >= 4:
        if any(m.group(0).count(":") >= 2 and is_ip(m.group(0)) and not re.fullmatch(r"[\d:]+", m.group(0))
               for m in _IPV6.finditer(text)):
            found.add("pii.ip_address")
    if any(is_payment_card(m.group(0)) for m in _CARD.finditer(text)):
        found.add("pii.payment_card")
    if any(_phone_ok(m.group(0)) for m in _PHONE.finditer(text)):
        found.add("pii.phone")
    if _has_national_id(text):
        found.add("pii.national_id")
    if BIRTH_WORDS.search(text):
        dates = [w for w in re.findall(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}", text)]
        if dates and birth_date_share(dates)[1] > 0:
            found.add("pii.date_of_birth")
    return found


# schemes strong enough to name a number inside prose: a random number passes them rarely, because
# they carry a birth date, a check letter or a long check (a 1-in-10 check digit alone is not enough)
STRONG_SCHEMES = ("it.codicefiscale", "cn.ric", "kr.rrn", "fi.hetu", "pl.pesel", "fr.nir", "es.dni", "es.nie",
                  "br.cpf", "gb.nino", "tr.tckimlik", "ru.snils", "in_.pan")


def _has_national_id(text: str) -> bool:
    checks = schemes()
    for m in _ID.finditer(text.upper()):
        token = m.group(0)
        if sum(ch.isdigit() for ch in token) < 6 or is_ip(token) or parse_date(token) is not None:
            continue
        if _ssn_dashed(token):
            return True
        c = compact(token)
        for name in STRONG_SCHEMES:
            check = checks.get(name)
            try:
                if check is not None and check(c):
                    return True
            except Exception:  # noqa: BLE001 - a validator tripping on an odd token is no match
                continue
    return False


def embedded_kinds(values: list[str]) -> dict[str, int]:
    """Tag -> how many of `values` hold that kind of personal data inside longer text."""
    counts: dict[str, int] = {}
    for v in values:
        if len(v) < 12:
            continue
        for tag in kinds_in(v):
            counts[tag] = counts.get(tag, 0) + 1
    return counts
