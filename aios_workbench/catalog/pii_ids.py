"""National ID numbers of many countries, checked by python-stdnum's validators (and a few schemes it has no
module for), judged per column: a column of IDs is one where most values pass the check of *one* scheme.

Most schemes end in a check digit that a random number passes about one time in ten, so one valid value
proves little; a column where 70% of the values pass the same scheme's check (and its date or range rules)
does not happen by chance. Order numbers built to pass Luhn pass only the few Luhn-based schemes, and those
also demand a birth date or a fixed length, so they fail there.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cache

from aios_workbench.catalog.pii_dates import parse_date
from aios_workbench.catalog.pii_values import luhn

# stdnum modules whose numbers identify a person (identity, personal tax, social security numbers),
# country by country; company and VAT numbers are not personal data and are left out.
# Left out because they accept most numbers of their length (no check digit, or a bare Luhn check that order
# numbers are built to pass): ar.dni, pe.cui, cr.cpf, pk.cnic, pt.cc, do.cedula.
PERSONAL_ID_MODULES = (
    "at.vnr", "be.nn", "be.ssn", "bg.egn", "br.cpf", "ca.sin", "ch.ssn", "cl.rut", "cn.ric",
    "cu.ni", "cz.rc", "de.idnr", "dk.cpr", "ec.ci", "ee.ik", "es.dni", "es.nie", "fi.hetu", "fr.nir",
    "gb.nhs", "gr.amka", "hr.oib", "ie.pps", "il.idnr", "in_.aadhaar", "in_.pan", "is_.kennitala",
    "it.codicefiscale", "jp.in_", "kr.rrn", "lt.asmens", "mx.curp", "my.nric", "nl.bsn", "no.fodselsnummer",
    "pl.pesel", "pt.nif", "ro.cnp", "ru.inn", "se.personnummer", "si.emso", "sk.rc",
    "th.pin", "tr.tckimlik", "ua.rntrc", "us.ssn", "us.itin", "za.idnr",
)
COMPACT_SHAPE = re.compile(r"^[A-Z0-9]{6,20}$")
SEPARATORS = re.compile(r"[\s\-./]+")


def _nino(v: str) -> bool:
    return bool(re.fullmatch(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", v))


def _rvnr(v: str) -> bool:
    """German pension insurance number: area, birth date DDMMYY, the surname's initial, serial, check digit."""
    m = re.fullmatch(r"(\d{2})(\d{2})(\d{2})(\d{2})([A-Z])(\d{2})(\d)", v)
    if not m or not 1 <= int(m.group(2)) <= 31 or not 1 <= int(m.group(3)) <= 12:
        return False
    digits = m.group(1) + m.group(2) + m.group(3) + m.group(4) + f"{ord(m.group(5)) - 64:02d}" + m.group(6)
    total = sum(sum(divmod(int(d) * w, 10)) for d, w in zip(digits, (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1), strict=True))
    return total % 10 == int(m.group(7))


def _snils(v: str) -> bool:
    """Russian SNILS: 9 digits weighted 9..1, the sum mod 101 (100 and 101 read as 00) is the last two."""
    if not re.fullmatch(r"\d{11}", v):
        return False
    total = sum(int(d) * w for d, w in zip(v[:9], range(9, 0, -1), strict=True)) % 101
    return (0 if total == 100 else total) == int(v[9:])


def _saudi_id(v: str) -> bool:
    """Saudi national ID (1...) or iqama (2...): ten digits passing Luhn."""
    return bool(re.fullmatch(r"[12]\d{9}", v)) and luhn(v)


def _nuss(v: str) -> bool:
    """Spanish social security number: province, serial, then the first ten digits mod 97."""
    return bool(re.fullmatch(r"\d{12}", v)) and int(v[:10]) % 97 == int(v[10:])


def _rg(v: str) -> bool:
    """Brazilian RG (São Paulo layout): eight digits weighted 2..9, check digit (X for 10)."""
    if not re.fullmatch(r"\d{8}[\dX]", v):
        return False
    rest = sum(int(d) * w for d, w in zip(v[:8], range(2, 10), strict=True)) % 11
    return (("X" if rest == 10 else str(rest)) if rest else "0") == v[8]


def _cn_ric_any_area(v: str) -> bool:
    """Chinese resident ID: 17 digits (area, birth date YYYYMMDD, serial) and an ISO 7064 mod 11-2 check
    character. stdnum's cn.ric also demands an area code it knows, which rejects many real (and test) IDs."""
    if not re.fullmatch(r"\d{17}[\dX]", v) or parse_date(v[6:14]) is None:
        return False
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(v[:17]))
    return "10X98765432"[total % 11] == v[17]


def _ssn_dashed(v: str) -> bool:
    """US SSN as written (123-45-6789, before separators are dropped): bare, nine digits say too little."""
    m = re.fullmatch(r"(\d{3})-(\d{2})-(\d{4})", v)
    return m is not None and m.group(1) not in ("000", "666") and m.group(1)[0] != "9" and m.group(2) != "00" \
        and m.group(3) != "0000"


def _inn_personal(v: str) -> bool:
    """Russian INN of a person: twelve digits with two check digits (a company's ten have one)."""
    # lazy: stdnum's module as for the other schemes
    from stdnum.ru import inn

    return len(v) == 12 and v.isdigit() and bool(inn.is_valid(v))


# us.ssn accepts 9 digits of nearly any kind: it is a loose match only (a column named ssn)
LOOSE_ONLY = {"us.ssn"}
OWN_SCHEMES: dict[str, Callable[[str], bool]] = {"gb.nino": _nino, "de.rvnr": _rvnr, "ru.snils": _snils,
                                                  "sa.id": _saudi_id, "es.nuss": _nuss, "br.rg": _rg,
                                                  "cn.ric_any_area": _cn_ric_any_area,
                                                  "ru.inn_personal": _inn_personal}


# Schemes strong enough to name a number alone: a random number of their shape passes them rarely, because
# they carry a birth date, a check letter or a long check (a 1-in-10 check digit alone is not enough)
STRONG_SCHEMES = ("it.codicefiscale", "cn.ric", "kr.rrn", "fi.hetu", "pl.pesel", "fr.nir", "es.dni", "es.nie",
                  "br.cpf", "gb.nino", "tr.tckimlik", "ru.snils", "in_.pan", "cz.rc", "sk.rc", "cn.ric_any_area",
                  "ru.inn_personal", "es.nuss", "de.rvnr")
STRONG_MIX_SHARE = 0.5   # a mixed column: this share of a probe passes some strong scheme (decoys: <= 15 %)


# the compact lengths of the strong schemes (a Czech or Slovak birth number before 1954 has 9 digits and no
# check digit, 1 random number in 7 passes; an Italian fiscal code of 11 digits is a company's)
STRONG_LENGTHS_OF = {"it.codicefiscale": (16,), "cn.ric": (15, 18), "kr.rrn": (13,), "fi.hetu": (10,),
                     "pl.pesel": (11,), "fr.nir": (15,), "es.dni": (9,), "es.nie": (9,), "br.cpf": (11,),
                     "gb.nino": (9,), "tr.tckimlik": (11,), "ru.snils": (11,), "in_.pan": (10,), "cz.rc": (10,),
                     "sk.rc": (10,), "cn.ric_any_area": (18,), "ru.inn_personal": (12,), "es.nuss": (12,),
                     "de.rvnr": (12,)}


def strong_valid(c: str) -> bool:
    """`c` (compact) passes a strong scheme of its length."""
    checks = schemes()
    return any(len(c) in STRONG_LENGTHS_OF[name] and name in checks and _valid(checks[name], c)
               for name in STRONG_SCHEMES)


@cache
def schemes() -> dict[str, Callable[[str], bool]]:
    """Scheme name -> validator of a compact value (upper case, no separators)."""
    found: dict[str, Callable[[str], bool]] = {}
    for name in PERSONAL_ID_MODULES:
        try:
            module = importlib.import_module(f"stdnum.{name}")
        except ImportError:   # an older stdnum without that country
            continue
        found[name] = module.is_valid
    found.update(OWN_SCHEMES)
    return found


def compact(value: str) -> str:
    return SEPARATORS.sub("", value).upper()


def _valid(check: Callable[[str], bool], v: str) -> bool:
    try:
        return bool(check(v))
    except Exception:  # noqa: BLE001 - a validator tripping on an odd value is simply no match
        return False


def _id_shaped(v: str) -> bool:
    """6-20 letters and digits, with 6+ digits, or 4+ beside 4+ letters (India's PAN: `ABCPE1234F`)."""
    if not COMPACT_SHAPE.match(v) or parse_date(v) is not None:
        return False
    digits = sum(ch.isdigit() for ch in v)
    return digits >= 6 or (digits >= 4 and len(v) - digits >= 4)


def id_flags(values: list[str]) -> tuple[list[bool], list[bool], str | None]:
    """(strict flags: valid in the column's scheme; loose flags: valid in any scheme; the scheme's name).

    The column's scheme is the one most of a small probe passes; every value is then checked against it
    (and, for the loose flags, against every scheme that passed some probe value)."""
    compacted = [compact(v) for v in values]
    shaped = [c for c in compacted if _id_shaped(c)]
    n = len(values)
    if not shaped or len(shaped) < 0.3 * n:
        return [False] * n, [False] * n, None
    dashed = sum(1 for v in values if _ssn_dashed(v.strip()))
    if dashed >= 0.5 * n:
        strict = [_ssn_dashed(v.strip()) for v in values]
        return strict, strict, "us.ssn"
    probe = shaped[:: max(1, len(shaped) // 10)][:10]
    hits = {name: sum(_valid(check, p) for p in probe) for name, check in schemes().items()}
    candidates = [name for name, count in sorted(hits.items(), key=lambda kv: (kv[0] in LOOSE_ONLY, -kv[1])) if count]
    if not candidates:
        return [False] * n, [_id_shaped(c) for c in compacted], None
    checks = schemes()
    best = candidates[0]
    strict = [best not in LOOSE_ONLY and _id_shaped(c) and _valid(checks[best], c) for c in compacted]
    # a column of many countries' IDs (a migrated customer table): no one scheme takes most values, but each
    # value passes a strong scheme of its own, which a random number of its shape rarely does
    if sum(strict) < 2 * n / 3 and sum(strong_valid(p) for p in probe) >= STRONG_MIX_SHARE * len(probe):
        strict = [st or (_id_shaped(c) and strong_valid(c)) for st, c in zip(strict, compacted, strict=True)]
    # loose: what a column named for IDs may hold even where no scheme's check is known to pass (Chinese IDs
    # with area codes stdnum does not know, schemes without a stdnum module)
    loose = [s or _id_shaped(c) for s, c in zip(strict, compacted, strict=True)]
    return strict, loose, best
