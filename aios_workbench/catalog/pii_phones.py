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


def _regions(national: list[str], hinted: set[str]) -> list[str]:
    """The regions under which most of a probe of national numbers is valid (best first): the regions of
    the column's international numbers and the common regions, then every region if none fits."""
    import phonenumbers  # lazy: as above

    probe = national[:: max(1, len(national) // 6)][:6]
    for pool in ([*hinted, *COMMON_REGIONS], sorted(phonenumbers.SUPPORTED_REGIONS)):
        # two values sift the pool cheaply; the rest of the probe ranks what is left
        alive = [r for r in dict.fromkeys(pool) if any(_parse(v, r) is not None for v in probe[:2])]
        scores = []
        for region in alive:
            hits = sum(1 for v in probe if _parse(v, region) is not None)
            if hits * 2 >= len(probe):
                scores.append((-hits, region))
        if scores:
            return [r for _, r in sorted(scores)[:3]]
    return []


def phone_flags(values: list[str]) -> tuple[list[bool], list[bool]]:
    """(strict, loose) flags per value: see the module's docstring."""
    norm = [normalize(v) for v in values]
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
    strict, loose = [], []
    for v, s in zip(norm, shaped, strict=True):
        if not s:
            strict.append(False)
            loose.append(False)
            continue
        separated = any(ch in v for ch in " -./()")
        intl = _international(v)
        if intl is not None:
            ok = _parse(intl, None) is not None
            strict.append(ok)
            loose.append(ok)
            continue
        ok = any(_parse(v, r) is not None for r in regions)
        if not ok and len(v) >= 10 and v.isdigit():   # a country code without its `+`: 302819095303
            ok = _parse("+" + v, None) is not None
        strict.append(ok and separated)
        loose.append(ok)
    return strict, loose
