"""Phone numbers of every region, checked by the `phonenumbers` library (Google's libphonenumber metadata),
judged per column.

International numbers (`+49 30 ...`, `0049...`) are checked as they are. National numbers (`030 1234567`,
`(0)56 27 73 43`) need a region: the column's regions are the few under which a probe of its values is
valid, tried over every region the library knows. A *strict* match is valid and written as a phone is
written (a `+`, or separators between digit groups); a bare digit string is only a *loose* match, which
counts when the column's name says phone: order numbers and amounts are bare digits too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

from aios_workbench.catalog.pii_dates import DMY, YMD

PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]{6,24}$")
DOTTED_QUAD = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?:$|/)")
EXTENSION = re.compile(r"\s*(?:x|ext\.?|#|доб\.?|dw\.?)\s*\d{1,6}$", re.I)
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９", "0123456789" * 4)


def normalize(value: str) -> str:
    """`tel:+49-30-1234`, Arabic-Indic or full-width digits, a trailing extension: the bare written number."""
    v = value.strip().translate(DIGITS)
    if v[:4].lower() == "tel:":
        v = v[4:]
    return EXTENSION.sub("", v).strip()


def phone_shaped(v: str) -> bool:
    if not PHONE_CHARS.match(v) or YMD.match(v) or DMY.match(v) or DOTTED_QUAD.match(v):
        return False
    digits = sum(ch.isdigit() for ch in v)
    return 7 <= digits <= 15


def _parse(v: str, region: str | None):
    import phonenumbers  # lazy: libphonenumber metadata loads per region on first use

    try:
        number = phonenumbers.parse(v, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


@lru_cache(maxsize=8192)
def _valid_in(v: str, region: str | None) -> bool:
    """`_parse` as a yes/no, remembered: the region search and the value pass ask about the same values."""
    return _parse(v, region) is not None


@cache
def _region_shapes() -> dict[str, tuple[str, frozenset[int]]]:
    """Region -> (trunk prefix, lengths its national numbers may have), from the library's metadata."""
    import phonenumbers  # lazy: as above
    from phonenumbers.phonemetadata import PhoneMetadata  # lazy: as above

    shapes = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is not None and meta.general_desc is not None:
            shapes[region] = (meta.national_prefix or "", frozenset(meta.general_desc.possible_length or ()))
    return shapes


def _fits(digits: str, region: str) -> bool:
    """A cheap necessary condition for a national number to be valid in `region`: its length, with or without
    the region's trunk prefix, is one the region's numbers have (parsing costs ~50 µs a try)."""
    shape = _region_shapes().get(region)
    if shape is None:
        return True
    trunk, lengths = shape
    n = len(digits)
    return n in lengths or (bool(trunk) and digits.startswith(trunk) and n - len(trunk) in lengths)


# Written the way only phone numbers are: a country code with an area code in brackets or separated digit
# groups (`+90 (661) 9757237`, `+90(255)727-5205`), or an area code in brackets (`(326)685 7101`).
PHONE_FORMAT = re.compile(r"^(?:\+\d{1,3}[\s\-.]?\(\d{1,5}\)[\s\-.]?\d{2,5}(?:[\s\-.]?\d{2,5}){0,3}"
                          r"|\+\d{1,3}(?:[\s\-.]\d{1,5}){2,5}|\(\d{2,5}\)[\s\-]?\d{2,5}(?:[\s\-]\d{2,5}){0,3})$")


def _possible(v: str, region: str | None) -> bool:
    """A number of a length the region's numbers have (assigned or not: test data and old numbers are not)."""
    import phonenumbers  # lazy: as above

    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(v, region))
    except phonenumbers.NumberParseException:
        return False


def _region_of(number) -> str:
    import phonenumbers  # lazy: as above

    return phonenumbers.region_code_for_number(number) or "ZZ"


def _international(v: str) -> str | None:
    if v.startswith("+"):
        return v
    if v.startswith("00") and not v.startswith("000"):
        return "+" + v[2:]
    return None


# Regions tried first (where most of the world's numbers are); the others only when none of these fits.
COMMON_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "PT", "BR", "PL", "SE", "DK", "FI", "NO", "CZ", "TR",
                  "RU", "UA", "GR", "JP", "CN", "KR", "IN", "SA", "AE", "AU", "CA", "MX", "AR", "CH", "AT", "IE",
                  "IL", "ZA", "EG", "NG", "ID", "TH", "VN", "PH", "MY", "SG", "HK", "TW", "NZ", "PK", "BD", "CO",
                  "CL", "PE", "RO", "HU", "SK", "BG", "HR", "RS", "SI", "LT", "LV", "EE", "IS", "LU")


@cache
def _trunk_zero_regions() -> tuple[str, ...]:
    """The common regions whose national numbers are dialled with a leading 0."""
    return tuple(r for r in COMMON_REGIONS if _region_shapes().get(r, ("", frozenset()))[0] == "0")


def _regions(national: list[str], hinted: set[str]) -> list[str]:
    """The regions under which most of a probe of national numbers is valid (best first): the regions of
    the column's international numbers and the common regions, then every region if none fits."""
    import phonenumbers  # lazy: as above

    probe = national[:: max(1, len(national) // 6)][:6]
    sift = [(v, re.sub(r"\D", "", v)) for v in probe[:2]]
    for pool in ([*hinted, *COMMON_REGIONS], sorted(phonenumbers.SUPPORTED_REGIONS)):
        # two values sift the pool cheaply (by length first, then parsed); the rest of the probe ranks what is left
        alive = [r for r in dict.fromkeys(pool) if any(_fits(d, r) and _valid_in(v, r) for v, d in sift)]
        scores = []
        for region in alive:
            hits = sum(1 for v in probe if _valid_in(v, region))
            if hits * 2 >= len(probe):
                scores.append((-hits, region))
        if scores:
            return [r for _, r in sorted(scores)[:3]]
    return []


def phone_flags(values: list[str]) -> tuple[list[bool], list[bool]]:
    """(strict, loose) flags per value: see the module's docstring."""
    norm = [normalize(v) for v in values]
    uri = [v.strip()[:4].lower() == "tel:" for v in values]
    shaped = [phone_shaped(v) for v in norm]
    n = len(values)
    if sum(shaped) < 0.3 * n:
        return [False] * n, [False] * n
    national = [v for v, s in zip(norm, shaped, strict=True) if s and _international(v) is None]
    hinted = set()
    for v in norm[:40]:
        intl = _international(v)
        parsed = _parse(intl, None) if intl and phone_shaped(v) else None
        if parsed is not None:
            hinted.add(_region_of(parsed))
    regions = _regions(national, hinted) if national else []
    valid = _national_validity(national, regions)
    strict, loose, bare = [], [], []
    for v, s, is_uri in zip(norm, shaped, uri, strict=True):
        bare.append(False)
        if not s:
            strict.append(False)
            loose.append(False)
            continue
        separated = any(ch in v for ch in " -./()")
        # a tel: URI or a phone-only layout needs a possible number only, not an assigned one
        formatted = is_uri or bool(PHONE_FORMAT.match(v))
        intl = _international(v)
        if intl is not None:
            ok = _valid_in(intl, None) or (formatted and _possible(intl, None))
            strict.append(ok)
            loose.append(ok)
            continue
        ok = valid(v) or (formatted and any(_possible(v, r) for r in regions[:1]))
        if not ok and len(v) >= 10 and v.isdigit():   # a country code without its `+`: 302819095303
            ok = _valid_in("+" + v, None)
        strict.append(ok and (separated or is_uri))
        loose.append(ok)
        bare[-1] = ok and not strict[-1]
    # bare digits are phone numbers too in a column that writes many of its numbers as phones, or some as
    # international numbers of the regions the bare ones are valid in, or nearly all as one region's mobiles
    if (sum(strict) >= 0.3 * n or (sum(strict) >= 0.1 * n and hinted & set(regions))
            or (sum(loose) >= 0.9 * n and _mobiles(norm, bare, [*hinted, *regions]))):
        strict = [st or b for st, b in zip(strict, bare, strict=True)]
    return strict, loose


MOBILE_SHARE = 0.9


def _mobiles(norm: list[str], bare: list[bool], regions: list[str]) -> bool:
    """Nearly all bare numbers are mobile numbers of one region (`13939279133`: China's 13x-19x ranges).
    Order numbers and barcodes are valid numbers of *some* region at times (a few regions take almost any
    digits), but not mobiles of one region, whose ranges start with a few fixed digits."""
    import phonenumbers  # lazy: as above

    numbers = [v for v, b in zip(norm, bare, strict=True) if b]
    if len(numbers) < 10:
        return False
    probe = numbers[:: max(1, len(numbers) // 20)][:20]
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    for region in dict.fromkeys(regions):
        hits = 0
        for v in probe:
            parsed = _parse(v, region) or (_parse("+" + v, None) if len(v) >= 10 and v.isdigit() else None)
            hits += parsed is not None and _region_of(parsed) == region and phonenumbers.number_type(parsed) in mobile
        if hits >= MOBILE_SHARE * len(probe):
            return True
    return False


CONFIDENT_AFTER = 60      # national numbers checked before the column's answer is taken as settled ...
CONFIDENT_SHARE = 0.95    # ... when at least this share (or at most 1 - it) of them is valid


def _national_validity(national: list[str], regions: list[str]) -> Callable[[str], bool]:
    """Whether a national number is valid in one of the column's regions. Once CONFIDENT_AFTER numbers spread
    over the column agree (all but 5 % valid, or all but 5 % not), the rest take that answer unchecked: it
    moves the column's share by less than the sampling error, at a third of the parses."""
    def check(v: str) -> bool:
        digits = re.sub(r"\D", "", v)
        return any(_fits(digits, r) and _valid_in(v, r) for r in regions)

    if len(national) <= 2 * CONFIDENT_AFTER:
        return check
    probe = national[:: len(national) // CONFIDENT_AFTER][:CONFIDENT_AFTER]
    share = sum(check(v) for v in probe) / len(probe)
    if share >= CONFIDENT_SHARE:
        return lambda v: True
    if share <= 1 - CONFIDENT_SHARE:
        return lambda v: False
    return check


# Log lines name a phone number by its key (`msisdn=...`, `tel: ...`), or by `to=`/`from=` in a line about a
# message or a call (`sms-gateway retry to=931360368`): bare digits, with no `+` or trunk 0 to tell them.
KEYED_NUMBER = re.compile(r"(?i)(?<![\w-])(msisdn|phone|tel|mobile|cell|to|from|dst|recipient|caller|callee)"
                          r"\s?[=:]\s?(\d(?:\s?\d){7,14})(?![\w.])")
PHONE_KEYS = {"msisdn", "phone", "tel", "mobile", "cell"}
PHONE_CONTEXT = re.compile(r"(?i)\b(?:sms|mms|calls?|called|calling|phone|voice|dial(?:led|ing)?|whatsapp|text message"
                           r"|telefon\w*|mensagem|llamada|anruf)\b")
KEYED_REGION_SHARE = 0.8   # the keyed numbers of a column: valid numbers of one region, as a column of phones is


def keyed_number_rows(values: list[str]) -> list[int]:
    """Indexes of the log lines holding a keyed phone number, when the column's keyed numbers are mostly valid
    numbers of one region (at least two of them)."""
    keyed: dict[int, list[str]] = {}
    for i, v in enumerate(values):
        for m in KEYED_NUMBER.finditer(v):
            if m.group(1).lower() in PHONE_KEYS or PHONE_CONTEXT.search(v):
                keyed.setdefault(i, []).append(re.sub(r"\s", "", m.group(2)))
    numbers = [n for ns in keyed.values() for n in ns]
    if len(numbers) < 2:
        return []
    for region in _regions(numbers, set()):
        if sum(_valid_in(n, region) for n in numbers) >= KEYED_REGION_SHARE * len(numbers):
            return sorted(keyed)
    return []
