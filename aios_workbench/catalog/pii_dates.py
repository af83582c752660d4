"""Dates of birth: read a date written in any of the common layouts and languages, then tell a column of
birth dates (adult ages, spread over decades) from one of event dates (recent, clustered).

A value is read by shape, never by locale: `1987-03-14`, `14.03.1987`, `3/14/87`, `14 mars 1987`,
`14 de marzo de 1987`, `March 14, 1987`, `14-Mar-1987`, `1987年3月14日`, `1987년 3월 14일`, `870314`,
and DATE/TIMESTAMP values cast to text. Day/month order is taken from whichever reading is a real date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Month names in the languages of our users' data, nominative and genitive forms; a word is read as a
# month when it is a prefix (3+ letters) of exactly one month's names.
_MONTHS = (
    "january januar janvier enero gennaio janeiro januari januar tammikuuta tammikuu ledna leden stycznia styczen "
    "ocak января январь січня січень ιανουαριου ιανουαριος जनवरी يناير",
    "february februar fevrier febrero febbraio fevereiro februari helmikuuta helmikuu unora unor lutego luty "
    "subat şubat февраля февраль лютого лютий φεβρουαριου φεβρουαριος फ़रवरी फरवरी فبراير",
    "march marz maerz mars marzo marco março maart mars maaliskuuta maaliskuu brezna brezen marca marzec mart "
    "марта март березня березень μαρτιου μαρτιος मार्च مارس",
    "april avril abril aprile april huhtikuuta huhtikuu dubna duben kwietnia kwiecien nisan апреля апрель "
    "квітня квітень απριλιου απριλιος अप्रैल أبريل ابريل",
    "may mai mayo maggio maio mei maj toukokuuta toukokuu kvetna kveten maja maj mayis mayıs мая май травня "
    "травень μαιου μαιος मई مايو",
    "june juni juin junio giugno junho juni kesakuuta kesakuu cervna cerven czerwca czerwiec haziran июня июнь "
    "червня червень ιουνιου ιουνιος जून يونيو",
    "july juli juillet julio luglio julho juli heinakuuta heinakuu cervence cervenec lipca lipiec temmuz июля "
    "июль липня липень ιουλιου ιουλιος जुलाई يوليو",
    "august august aout agosto agosto augustus augusti elokuuta elokuu srpna srpen sierpnia sierpien agustos "
    "ağustos августа август серпня серпень αυγουστου αυγουστος अगस्त أغسطس اغسطس",
    "september september septembre septiembre settembre setembro september syyskuuta syyskuu zari wrzesnia "
    "wrzesien eylul eylül сентября сентябрь вересня вересень σεπτεμβριου σεπτεμβριος सितंबर सितम्बर سبتمبر",
    "october oktober octobre octubre ottobre outubro oktober lokakuuta lokakuu rijna rijen pazdziernika "
    "pazdziernik ekim октября октябрь жовтня жовтень οκτωβριου οκτωβριος अक्टूबर أكتوبر اكتوبر",
    "november november novembre noviembre novembre novembro november marraskuuta marraskuu listopadu listopad "
    "listopada kasim kasım ноября ноябрь листопада листопад νοεμβριου νοεμβριος नवंबर नवम्बर نوفمبر",
    "december dezember decembre diciembre dicembre dezembro december joulukuuta joulukuu prosince prosinec "
    "grudnia grudzien aralik aralık декабря декабрь грудня грудень δεκεμβριου δεκεμβριος दिसंबर दिसम्बर ديسمبر",
)


def fold(text: str) -> str:
    """Lower case without accents or dots: `Março.` -> `marco`, `Μαΐου` -> `μαιου`."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace(".", "")


def _month_prefixes() -> dict[str, int | None]:
    table: dict[str, int | None] = {}
    for number, names in enumerate(_MONTHS, start=1):
        for name in {fold(n) for n in names.split()}:
            for end in range(3, len(name) + 1):
                prefix = name[:end]
                known = table.get(prefix, number)
                table[prefix] = number if known == number else None   # ambiguous prefixes read as nothing
    return table


MONTH_PREFIXES = _month_prefixes()
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९", "0123456789" * 3)
YMD = re.compile(r"^(\d{4})\s*[-/.年년]\s*(\d{1,2})\s*[-/.月월]\s*(\d{1,2})\s*[日일]?\.?"
                 r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")
DMY = re.compile(r"^(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{2}|\d{4})\.?$")
COMPACT = re.compile(r"^(\d{2}|\d{4})(\d{2})(\d{2})$")
WORDY = re.compile(r"[^\W\d_]+|\d+")
TIME_OF_DAY = re.compile(r"[ T](\d{1,2}):(\d{2})")


def _year(y: str, today: date) -> int:
    if len(y) == 4:
        return int(y)
    yy = int(y)
    return 2000 + yy if yy <= today.year % 100 else 1900 + yy


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d) if 1800 <= y <= 2200 else None
    except ValueError:
        return None


def parse_date(value: str, today: date | None = None) -> date | None:
    """The calendar date `value` writes, or None. Day-first is preferred when both orders are real dates."""
    today = today or date.today()
    v = value.strip().translate(_DIGITS)
    if not 6 <= len(v) <= 40:
        return None
    m = YMD.match(v)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = DMY.match(v)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), _year(m.group(4), today)
        return _make(y, b, a) or _make(y, a, b)
    m = COMPACT.match(v)
    if m:  # YYMMDD or YYYYMMDD, as personal codes and old systems write them
        return _make(_year(m.group(1), today), int(m.group(2)), int(m.group(3)))
    return _wordy(v, today)


def _wordy(v: str, today: date) -> date | None:
    """`14 de marzo de 1987`, `March 14, 1987`, `14-Mar-1987`, `26. tammikuuta 1952`: a month word, a day, a year."""
    tokens = WORDY.findall(v)
    if not 3 <= len(tokens) <= 7:
        return None
    month = None
    numbers = []
    for t in tokens:
        if t.isdigit():
            numbers.append(t)
            continue
        f = fold(t)
        if f in ("de", "del", "of", "the", "den", "st", "nd", "rd", "th", "r", "g", "goda", "года", "roku", "yil"):
            continue
        got = MONTH_PREFIXES.get(f)
        if got is None or month is not None:
            return None
        month = got
    if month is None or len(numbers) != 2:
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    return _make(int(years[0]), month, int(days[0]))


def has_time_of_day(value: str) -> bool:
    """A timestamp that is not midnight: events carry times, birth dates do not."""
    m = TIME_OF_DAY.search(value)
    return m is not None and (int(m.group(1)), int(m.group(2))) != (0, 0)


def birth_date_share(values: list[str], today: date | None = None) -> tuple[float, float, bool]:
    """(share of values that are dates, share that are plausible birth dates, spread like a population's
    birth dates). Plausible: between 1900 and 14 years ago, at midnight. Spread: the middle 80% of the
    years covers at least 15 years (events cluster in the last few years)."""
    today = today or date.today()
    n = len(values)
    if n == 0:
        return 0.0, 0.0, False
    years = []
    dates = 0
    for v in values:
        d = parse_date(v, today)
        if d is None:
            continue
        dates += 1
        if 1900 <= d.year <= today.year - 14 and d <= today and not has_time_of_day(v):
            years.append(d.year)
    years.sort()
    spread = bool(years) and years[int(len(years) * 0.9) - 1 if len(years) >= 10 else -1] - years[
        int(len(years) * 0.1)] >= 15
    return dates / n, len(years) / n, spread
