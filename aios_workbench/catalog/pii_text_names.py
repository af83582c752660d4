"""Person names inside prose written in scripts without letter case (Hangul, Devanagari, Arabic), where no
capital letter marks a name: judged per column, not per text.

A candidate is what a language's grammar puts around a person:
- Korean: a three-syllable name starting with a common family name, then an honorific (`이예지 고객님이`,
  `김서준씨`);
- Hindi, Arabic: a word that introduces a person (`ग्राहक`, `العميل`, a title: `श्री`, `الدكتور`), then one to
  three words of the script, then a postposition or preposition (`... ने`, `... من`) or the clause's end.
Stock phrases fit those frames too (`주문자님`, `العميل يسأل عن`), but they repeat from row to row while names
vary: a column's candidates count only when most of them differ (see `name_rows`).
"""

from __future__ import annotations

import re
import unicodedata

from aios_workbench.catalog.pii_name_lexicons import KOREAN_FAMILY_NAMES

KOREAN_NAME = re.compile(r"(?:^|(?<=[\s.,:;()\"'“”]))([\uac00-\ud7a3]{3})\s?(?:씨|님|고객님|회원님|선생님)")

# words that introduce a person, and titles (a title alone before a single name is enough)
CUES = {
    "ग्राहक",
    "ग्राहिका",
    "मरीज़",
    "मरीज",
    "उपभोक्ता",
    "सदस्य",
    "कर्मचारी",
    "العميل",
    "العميلة",
    "المريض",
    "المريضة",
    "الموظف",
    "الموظفة",
    "المشترك",
    "المشتركة",
    "الزبون",
}
TITLES = {
    "श्री",
    "श्रीमती",
    "सुश्री",
    "कुमारी",
    "डॉ",
    "डॉक्टर",
    "प्रो",
    "السيد",
    "السيدة",
    "الدكتور",
    "الدكتورة",
    "المهندس",
    "المهندسة",
    "الأستاذ",
    "الأستاذة",
    "الشيخ",
}
# what follows a name: postpositions (Hindi) and prepositions (Arabic)
AFTER = {
    "ने",
    "को",
    "से",
    "का",
    "की",
    "के",
    "जी",
    "द्वारा",
    "और",
    "में",
    "पर",
    "من",
    "في",
    "على",
    "عن",
    "إلى",
    "الى",
    "مع",
    "و",
    "بخصوص",
    "بشأن",
}
CLAUSE_END = ".,;:!?،؛।؟"
VARIED_SHARE = 0.7  # names in a column: most candidates differ from each other


def _word_of_script(word: str) -> bool:
    """Letters of a caseless script (with their vowel signs), no digits or Latin."""
    return (
        bool(word)
        and all((ch.isalpha() and not ch.isascii()) or unicodedata.category(ch) in ("Mn", "Mc") for ch in word)
        and not any(ch.isupper() or ch.islower() for ch in word)
    )


def _cue_runs(text: str) -> list[str]:
    tokens = text.split()
    runs = []
    for i, token in enumerate(tokens):
        bare = token.rstrip(".")
        if bare not in CUES and bare not in TITLES:
            continue
        titled = bare in TITLES
        run: list[str] = []
        closed = False
        for word in tokens[i + 1 : i + 7]:
            core = word.rstrip(CLAUSE_END)
            if core in AFTER:
                closed = True
                break
            if core.rstrip(".") in TITLES:
                titled = True
                continue
            if not _word_of_script(core) or core in CUES:
                break
            run.append(core)
            if core != word:  # a clause ends with this word
                closed = True
                break
        if closed and (2 <= len(run) <= 3 or (titled and len(run) == 1)):
            runs.append(" ".join(run))
    return runs


def candidates(text: str) -> list[str]:
    """The person-name candidates in one text (see the module's docstring)."""
    found = [m.group(1) for m in KOREAN_NAME.finditer(text) if m.group(1)[0] in KOREAN_FAMILY_NAMES]
    if any(not ch.isascii() for ch in text):
        found += _cue_runs(text)
    return found


def name_rows(values: list[str]) -> list[int]:
    """Indexes of the values that name a person, when the column's candidates vary as names do (at least
    two different ones, most of them different); [] otherwise."""
    per_row = {i: c for i, v in enumerate(values) if (c := candidates(v))}
    found = [c for cs in per_row.values() for c in cs]
    distinct = len(set(found))
    if distinct < 2 or distinct < VARIED_SHARE * len(found):
        return []
    return sorted(per_row)
