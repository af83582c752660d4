"""Synthetic identifiers that must look real to validators: IBANs, phones, postcodes, emails.

IBANs carry correct ISO 13616 check digits (mod 97), so an IBAN check passes on
clean rows; the national check digits some countries embed inside the BBAN are
not modelled, because no check in the workbench reads them.
"""

from __future__ import annotations

import string
import unicodedata

import numpy as np

_LETTERS = np.array(list(string.ascii_uppercase))
_DIGITS = np.array(list(string.digits))

# Letters NFKD does not decompose into ASCII plus a combining mark.
_TRANSLITERATION = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


def ascii_slug(text: str, sep: str = "-") -> str:
    """Lowercase ASCII slug: 'Müller & Co. KG' -> 'mueller-co-kg' (umlauts become 'ue')."""
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue").translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return sep.join(words)


def fill_pattern(rng: np.random.Generator, pattern: str, count: int, *, digit: str = "n",
                 letter: str = "A") -> list[str]:
    """`count` strings shaped like `pattern`: `digit` -> 0-9, `letter` -> A-Z, others literal."""
    columns = []
    for ch in pattern:
        if ch == digit:
            columns.append(_DIGITS[rng.integers(0, 10, size=count)])
        elif ch == letter:
            columns.append(_LETTERS[rng.integers(0, 26, size=count)])
        else:
            columns.append(np.full(count, ch))
    if not columns:
        return [""] * count
    return ["".join(chars) for chars in zip(*columns, strict=False)]


def _iban_digits(text: str) -> str:
    """Letters become two-digit numbers (A=10 .. Z=35), as ISO 13616 prescribes."""
    return "".join(str(int(ch, 36)) for ch in text)


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make `country + check + bban` pass mod 97."""
    remainder = int(_iban_digits(bban + country + "00")) % 97
    return f"{98 - remainder:02d}"


def make_iban(country: str, bban: str) -> str:
    return f"{country}{iban_check_digits(country, bban)}{bban}"


def make_ibans(rng: np.random.Generator, country: str, bban_shape: str, count: int) -> list[str]:
    """`count` valid IBANs for one country; `bban_shape` uses 'n' for digits and 'a' for letters."""
    bbans = fill_pattern(rng, bban_shape, count, digit="n", letter="a")
    return [make_iban(country, bban) for bban in bbans]


def make_phones(rng: np.random.Generator, dial_code: str, digits: int, count: int) -> list[str]:
    """E.164 numbers: '+', country code, a national number whose first digit is not 0."""
    lead = _DIGITS[rng.integers(1, 10, size=count)]
    rest = fill_pattern(rng, "n" * (digits - 1), count)
    return [f"+{dial_code}{first}{tail}" for first, tail in zip(lead, rest, strict=False)]
