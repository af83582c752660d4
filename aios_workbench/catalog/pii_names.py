"""Person names in any language and script, judged by shape rather than by lists of known names.

A value is *name-shaped* when it is 1-4 name words, optionally with honorifics and initials, in one of:
- alphabetic scripts (Latin, Cyrillic, Greek, ...): every word capitalised (`Ana Souza`, `ANA SOUZA`,
  `Souza, Ana`, `Dr. Ana Souza`, `L. Trupiano`), letters only, with `-` or `'` inside;
- Han, Kana, Hangul: a short run of 2-5 characters (`潘桂花`, `김민준`, `佐藤 太郎`), with an
  honorific suffix or not (`様`, `さん`, `先生`, `님`, `씨`);
- Arabic, Devanagari and other scripts without letter case: 2-4 words of that script.
A column is a column of names when nearly all its values are name-shaped and it does not look like a
list of companies (legal suffixes), products or categories (few distinct values).

Shape cannot tell a column of lone names (`Baker`, `JAMIE`) from one of towns or job titles; for those,
and only those, a lexicon decides: the given and family names of the US census (`names` package, public
domain data), whose population's names come from most of the world's Latin-script languages.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

from aios_workbench.catalog.pii_name_lexicons import (
    has_family_name_ending,
    has_lineage_word,
    is_known_family_name,
    is_known_given_name,
)

# Honorifics and titles (lower case, without the dot) in the languages of our users' data.
HONORIFICS = set("""mr mrs ms miss mx dr prof sir dame lady lord rev herr frau hr fr mme mlle m monsieur madame
sig sigra signor signora sr sra srta don dona dña dott dottssa ing dhr mevr mw pan pani sz bay bayan
г г-н г-жа гн д-р др пан пані κ κα κος κυρία κύριος dra drs ir mag""".split())
HONORIFIC_SUFFIXES = ("様", "さま", "さん", "先生", "殿", "君", "님", "씨", "선생님", "先生")
HONORIFIC_PREFIXES_NO_CASE = ("الدكتور", "الدكتورة", "السيد", "السيدة", "الأستاذ", "डॉ.", "डॉ", "श्री", "श्रीमती", "सुश्री")
# Legal-form words: a value with one is a company, not a person.
COMPANY_WORDS = set("""inc ltd llc plc gmbh ag kg ohg ug sa sl slu sas sarl spa srl snc bv nv ab as oy oyj aps
asa sro spol zoo sp sa de cv ltda eireli me epp co corp corporation company group holding holdings
partners partner und and et e y i ve ltd şti sti anonim şirketi ооо оао зао пао ао тов пп ае επε ike""".split())
COMPANY_MARKS = ("株式会社", "有限会社", "合同会社", "有限公司", "股份", "集团", "公司", "주식회사", "(주)", "㈜",
                 "شركة", "प्राइवेट", "लिमिटेड", "&")
CASELESS_SCRIPTS = ("ARABIC", "DEVANAGARI", "HEBREW", "THAI", "BENGALI", "TAMIL", "GEORGIAN", "GURMUKHI", "GUJARATI",
                    "TELUGU", "KANNADA", "MALAYALAM", "ORIYA", "SINHALA", "ETHIOPIC", "KHMER", "LAO", "MYANMAR",
                    "SYRIAC", "THAANA", "TIBETAN")
CJK_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")


def _script(ch: str) -> str:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "OTHER"
    return name.split()[0]


def _is_cjk(ch: str) -> bool:
    return _script(ch) in CJK_SCRIPTS or ch in "ー・"


def _letters_only(word: str) -> bool:
    """Letters, with the vowel signs and diacritics of abugidas and Arabic (`जोशी`, `شيّق`) counted as theirs:
    `str.isalpha` says no to those combining marks."""
    return bool(word) and word[0].isalpha() and all(ch.isalpha() or unicodedata.category(ch) in ("Mn", "Mc")
                                                    for ch in word)


def _cased_word(word: str) -> bool:
    """`Souza`, `SOUZA`, `O'Neil`, `Jean-Luc`, `McDonald`, `Şahin`: letters, starting upper case."""
    core = word.replace("-", "").replace("'", "").replace("’", "")
    if len(core) < 2 or not core.isalpha() or not word[0].isupper():
        return False
    rest = core[1:]
    return rest.islower() or core.isupper() or (sum(c.isupper() for c in rest) <= 2 and not rest[0].isupper())


def name_shape(value: str) -> str | None:
    """"full", "single" (one name word: a given or family name) or None when `value` is not shaped like a
    person's name. Honorifics and initials do not count as name words."""
    v = value.strip()
    if not 1 <= len(v) <= 60 or any(ch.isdigit() for ch in v) or "@" in v:
        return None
    for suffix in HONORIFIC_SUFFIXES:
        if v.endswith(suffix) and len(v) > len(suffix):
            v = v[: -len(suffix)].strip()
            break
    for prefix in HONORIFIC_PREFIXES_NO_CASE:
        if v.startswith(prefix + " "):
            v = v[len(prefix):].strip()
            break
    if any(mark in v for mark in COMPANY_MARKS):
        return None
    letters = [ch for ch in v if ch.isalpha()]
    if not letters:
        return None
    if all(_is_cjk(ch) for ch in letters):
        compact = v.replace(" ", "").replace("\u3000", "").replace("・", "")
        if len(compact) > 6 or not all(_is_cjk(ch) for ch in compact):
            return None
        if len(compact) > 4 and all("\uac00" <= ch <= "\ud7a3" for ch in compact):
            return None   # Korean names have 2-4 syllables: `나이지리아` is a country
        return "full" if len(compact) >= 2 else "single"   # `王`, `박`: a family name alone
    words = v.replace(",", " , ").split()
    comma = words.count(",")
    if comma > 1:
        return None
    words = [w for w in words if w != ","]
    caseless = all(_script(ch) in CASELESS_SCRIPTS for ch in letters)
    names = 0
    initials = 0
    for w in words:
        bare = w.rstrip(".")
        low = bare.lower()
        if len(bare) == 1 and bare.isupper():   # an initial
            initials += 1
            continue
        if low in HONORIFICS:
            continue
        if low in COMPANY_WORDS and len(words) > 1:
            return None
        if caseless:
            if not _letters_only(bare):
                return None
        elif not _cased_word(bare) and low not in PARTICLES:
            return None
        names += 1
    if not 1 <= names <= 4:
        return None
    if caseless and names < 2:
        return "single"
    # `М. Зінчук`, `J. R. Smith`: initials and a family name name one person as surely as two names do
    return "full" if names >= 2 or (initials and names == 1 and len(words) <= 3) else "single"


PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "le", "la", "bin", "ibn", "al",
             "el", "dos", "das", "ter", "ten", "y", "e", "zu", "af", "av"}


ADMIN_SUFFIXES = tuple("市区县省都府県町村郡시군구도동읍면")


def place_names(values: list[str]) -> bool:
    """A column of CJK place names (`청주시 서원구`, `杉並区`): most values end in an administrative suffix."""
    cjk = [v for v in values if v and _is_cjk(v[-1])]
    return len(cjk) >= 0.5 * len(values) and sum(1 for v in cjk if v.endswith(ADMIN_SUFFIXES)) >= 0.5 * len(cjk)


def name_column(values: list[str]) -> tuple[float, float, float]:
    """(share of name-shaped values, share of full names among them, distinct share of the values)."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0, 0.0
    shapes = [name_shape(v) for v in values]
    shaped = [s for s in shapes if s]
    full = sum(1 for s in shaped if s == "full")
    return len(shaped) / n, (full / len(shaped) if shaped else 0.0), len(set(values)) / n


LEXICON_FAMILY_NAMES = 20_000   # the census's most frequent family names (of 88,799; the tail is mostly rare
                                # spellings that are also ordinary words)
LONE_NAMES_SHARE = 0.85          # a column of lone names: this share of its values is name-shaped ...
LEXICON_SHARE = 0.5             # ... and this share of its distinct values are known names


def _ascii_upper(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)).upper()


@cache
def known_names() -> frozenset[str]:
    """Given and family names (ASCII, upper case) of the US census, from the `names` package's data files."""
    folder = resources.files("names")
    found: set[str] = set()
    for file, limit in (("dist.male.first", None), ("dist.female.first", None),
                        ("dist.all.last", LEXICON_FAMILY_NAMES)):
        lines = folder.joinpath(file).read_text(encoding="ascii").splitlines()
        found.update(line.split()[0] for line in lines[:limit] if line.strip())
    return frozenset(found)


def lone_names(values: list[str], shapes: list[str | None]) -> bool:
    """A column of lone given or family names (`Baker`, `JAMIE`, now and then `ANA LIZ`, `佐藤`, `آل صفوان`):
    nearly every value is name-shaped, most are one name, and at least half of the distinct words are names
    people have (or, in Arabic, a third of the distinct values are lineage names). Towns, job titles and
    products share the shape, not the lexicon."""
    shaped = [v for v, s in zip(values, shapes, strict=True) if s]
    distinct = set(shaped)
    lineage = sum(1 for v in distinct if has_lineage_word(v))
    singles = sum(1 for v, s in zip(values, shapes, strict=True)
                  if s == "single" or (s and (is_known_family_name(v) or has_lineage_word(v))))
    words = {w.strip(",.") for v in distinct for w in v.split()} - {""}
    if len(words) < 10 or len(shaped) < LONE_NAMES_SHARE * len(values) or singles < 0.5 * len(values):
        return False
    if lineage >= LINEAGE_SHARE * len(distinct):
        return True
    endings = sum(1 for v in distinct if " " not in v and has_family_name_ending(v))
    if endings >= FAMILY_ENDINGS_SHARE * len(distinct):
        return True
    known = known_names()
    if sum(1 for w in words if _ascii_upper(w) in known or is_known_family_name(w)) >= LEXICON_SHARE * len(words):
        return True
    given = sum(1 for w in words if is_known_given_name(w))
    return given >= SCRIPT_LEXICON_SHARE * len(words) and sum(_script(w[0]) in ("CYRILLIC", "GREEK") for w in words) \
        >= 0.8 * len(words)


LINEAGE_SHARE = 0.3   # Arabic family names: `آل صفوان`, `بن لادن` (town names carry no such word)
SCRIPT_LEXICON_SHARE = 0.25   # Cyrillic and Greek given names: 34-41 % of a column's words (towns: <= 6 %)
FAMILY_ENDINGS_SHARE = 0.35   # Slavic and Greek family names: 43-100 % of a column's (towns, job titles: < 3 %)
