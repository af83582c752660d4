"""Automatic PII classification of columns, by name and by sampled values.

Runs inside the workbench service during `aios catalog scan`, which has raw
access. Samples are read, judged and dropped: only verdicts (tag, confidence,
evidence) are stored, and evidence states counts and ratios, never a value.

Scoring (the THRESHOLD is 0.75; weaker verdicts are not stored):
- a *strict* match is a value that is conclusive alone (valid e-mail, IBAN with
  its mod-97 check, card number with its issuer prefix and Luhn check, IP
  address, formatted national ID with its check digit or ranges, phone number in
  an international or separated format, known first name + surname, house
  number + street word);
- a *loose* match is plausible only when the column's name says so (plain
  9-digit numbers for an `ssn`, bare digits for a `phone`, postcodes for a `zip`);
- name and values agree: 0.55 + 0.45 x loose share, so >= 45% loose matches;
- values alone: 0.35 + 0.6 x strict share, so >= 67% strict matches;
- mixed values (a `contact` column of e-mails and phone numbers): each kind with
  >= 20% strict matches, when >= 80% of the values are strict matches of some
  kind: 0.35 + 0.6 x that combined share;
- name alone (no values to sample: empty column, or sampling failed): 0.75;
- a name whose sampled values contradict it (an `email_opt_in` of booleans, a
  `phone_model` of device names) gets nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from aios_workbench.catalog.pii_dates import birth_date_share, has_time_of_day, parse_date
from aios_workbench.catalog.pii_ids import _id_shaped as id_shaped
from aios_workbench.catalog.pii_ids import compact as compact_id
from aios_workbench.catalog.pii_names import lone_names, name_shape, place_names
from aios_workbench.catalog.pii_phones import normalize as normalize_phone
from aios_workbench.catalog.pii_phones import phone_shaped
from aios_workbench.catalog.pii_text import embedded_kinds, is_free_text, is_prose
from aios_workbench.catalog.pii_values import (
    iban_check,
    is_address,
    is_address_loose,
    is_email_any,
    is_email_loose,
    is_ip,
    is_payment_card,
)

THRESHOLD = 0.75
NAME_ONLY_CONFIDENCE = 0.75
SAMPLE_ROWS = 500          # values judged per column
SAMPLE_WINDOW = 100_000    # rows read at most per table (bounds the cost on huge and remote tables)
MIXED_MIN_SHARE = 0.2     # a kind's share of a mixed column ...
MIXED_TOTAL = 0.8         # ... whose values are this much personal data of the detected kinds
MIN_VALUES = 50            # fewer non-null values in the row sample: sample that column alone
PROBE = 40                 # values a detector first looks at: none even plausibly its kind -> it is done
VERSION = "4"              # part of the scan fingerprint: a new classifier reclassifies on the next scan

BLANKS = {"", "n/a", "na", "none", "null", "nil", "-", "--", "unknown", "?", "tbd", "not provided"}
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "UHUGEINT"}


@dataclass(frozen=True)
class Classification:
    """One tag on one column: `source` is "auto" (the scan) or "policy" (a human, in policy.yaml)."""

    tag: str
    confidence: float
    evidence: str
    source: str = "auto"

    def to_dict(self) -> dict:
        return {"tag": self.tag, "confidence": self.confidence, "evidence": self.evidence, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict) -> Classification:
        return cls(data["tag"], float(data.get("confidence", 1.0)), data.get("evidence", ""),
                   data.get("source", "auto"))


# ---------------------------------------------------------------- detectors

def fold_name(text: str) -> str:
    """Lower case without Latin, Greek or Cyrillic accents (`Fødsel`, `křestní`, `ημερομηνία`); other
    scripts (Kana voicing marks, Hangul) are kept whole."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not "\u0300" <= ch <= "\u036f"))


def _name_pattern(words: str) -> re.Pattern:
    return re.compile(rf"(?:^|_)(?:{fold_name(words)})(?:_|$)")


def _anywhere(words: str) -> re.Pattern:
    """Stems matched anywhere in a name: scripts written without separators (`客户姓名`, `생년월일`)."""
    return re.compile(fold_name(words))


Judge = Callable[[list[str], str], tuple[list[bool], list[bool]]]   # (values, normalized column name)


@dataclass(frozen=True)
class Detector:
    """One kind of personal data: what its column names and its values look like.

    `name` is a name that says so (values need only look plausible: loose matches); `hint` a name that
    suggests it (`who`, `member`: values must still be this kind as a whole); `judge` judges a column's
    values at once where one value alone says too little (phone regions, ID schemes, name shapes)."""

    tag: str
    noun: str                          # "valid e-mail addresses", for the evidence
    name: re.Pattern
    strict: Callable[[str], bool] | None = None
    loose: Callable[[str], bool] | None = None
    integers: bool = False             # may be stored in an integer column
    not_name: re.Pattern | None = None
    anywhere: re.Pattern | None = None
    hint: re.Pattern | None = None
    judge: Judge | None = None
    dates: bool = False                # may be stored in a DATE or TIMESTAMP column
    maybe: Callable[[str], bool] | None = None   # cheap: could this value be a loose match? (for `judge`s)

    def name_hit(self, normalized: str) -> str | None:
        if self.not_name and self.not_name.search(normalized):
            return None
        m = self.name.search(normalized) or (self.anywhere.search(normalized) if self.anywhere else None)
        return m.group(0).strip("_") if m else None

    def hint_hit(self, normalized: str) -> str | None:
        m = self.hint.search(normalized) if self.hint else None
        return m.group(0).strip("_") if m else None

    def flags(self, values: list[str], column: str = "") -> tuple[list[bool], list[bool]]:
        n = len(values)
        # A kind that no value of a spread-out probe could be is settled without judging the rest: with 40
        # values, a kind holding >= 20% of the column (the least any verdict needs) is missed 1 time in 7,000.
        if n > PROBE and not any(_check(self._plausible, v) for v in values[:: n // PROBE][:PROBE]):
            return [False] * n, [False] * n
        if self.judge is not None:
            return self.judge(values, column)
        strict = [_check(self.strict, v) for v in values] if self.strict else [False] * len(values)
        if self.loose is None:
            return strict, strict
        return strict, [f or _check(self.loose, v) for f, v in zip(strict, values, strict=True)]

    def _plausible(self, value: str) -> bool:
        if self.maybe is not None:
            return self.maybe(value)
        return any(_check(check, value) for check in (self.strict, self.loose) if check is not None)


def _judge_phones(values: list[str], _column: str = "") -> tuple[list[bool], list[bool]]:
    # lazy: phonenumbers' metadata only for columns that get judged
    from aios_workbench.catalog.pii_phones import phone_flags

    return phone_flags(values)


def _judge_ids(values: list[str], _column: str = "") -> tuple[list[bool], list[bool]]:
    # lazy: stdnum's validators only for columns that get judged
    from aios_workbench.catalog.pii_ids import id_flags

    strict, loose, _scheme = id_flags(values)
    return strict, loose


def _judge_names(values: list[str], column: str = "") -> tuple[list[bool], list[bool]]:
    """Strict: full names in a column of many distinct values; loose: any name-shaped value (lower case
    typed names too). Few distinct values (products, categories, a handful of companies) are no names."""
    n = len(values)
    distinct = len(set(values))
    if (n >= 20 and distinct < 20) or place_names(values):
        return [False] * n, [False] * n
    shapes = [name_shape(v) or (name_shape(v.title()) if v.islower() else None) for v in values]
    varied = n < 20 or distinct >= 0.3 * n
    # lone names are told by a lexicon, not by variety: family names repeat (`佐藤`, `Smith`)
    lone = not NAMES_OF_THINGS.search(column) and lone_names(values, shapes)
    strict = [((varied and s == "full") or (lone and s is not None)) and not v.islower()
              for s, v in zip(shapes, values, strict=True)]
    return strict, [s is not None for s in shapes]


# Columns of places and things whose words are often people's names too (`Austin`, `Lincoln`, `Chandler`): the
# names lexicon does not decide for them
NAMES_OF_THINGS = re.compile(fold_name(
    r"(?:^|_)(?:city|town|ort|stadt|ville|ciudad|citta|cidade|localidad|localidade|localita|kaupunki|miasto"
    r"|mesto|sehir|gorod|город|місто|πολη|municipality|place|country|land|pays|pais|paese|kraj|maa|state"
    r"|region|province|county|district|street|road|brand|product|model|colou?r|category|team|company|firm"
    r"|vendor|supplier|school|hospital|store|shop|hotel|airport|port|station|department|dept|title|role"
    r"|position|job|occupation|beruf|puesto|profession|status|type|kind|species|breed|ship|vessel|horse|pet"
    r")(?:_|$)"))


def _judge_birth_dates(values: list[str], _column: str = "") -> tuple[list[bool], list[bool]]:
    """Strict: plausible birth dates in a column whose years spread like a population's; loose: dates
    old enough to be one."""
    today = date.today()
    _dates, _births, spread = birth_date_share(values, today)
    strict, loose = [], []
    for v in values:
        d = _old_enough(v, today)
        loose.append(d is not None)
        strict.append(spread and d is not None and d.year <= today.year - 14)
    return strict, loose


def _old_enough(value: str, today: date) -> date | None:
    """The date `value` states, when it could be someone's birth date (a date, not a moment, 10+ years ago)."""
    d = parse_date(value, today)
    return d if d is not None and 1900 <= d.year <= today.year - 10 and not has_time_of_day(value) else None


def _could_be_birth_date(value: str) -> bool:
    return _old_enough(value, date.today()) is not None


def _could_be_name(value: str) -> bool:
    return name_shape(value) is not None or (value.islower() and name_shape(value.title()) is not None)


def _could_be_phone(value: str) -> bool:
    return phone_shaped(normalize_phone(value))


def _could_be_id(value: str) -> bool:
    return id_shaped(compact_id(value))


def _judge_ips(values: list[str], _column: str = "") -> tuple[list[bool], list[bool]]:
    """IP addresses, unless the column's dotted quads are version numbers (`10.2.0.1`, `4.12.3.7`): small
    numbers in every part, where addresses spread over 0-255."""
    flags = [_check(is_ip, v) for v in values]
    if versions_like(values):
        flags = [False] * len(values)
    return flags, flags


def versions_like(values: list[str]) -> bool:
    """Dotted quads that are version numbers: small major, minor and patch (a build number may be anything),
    with several majors. Addresses spread their first three parts over 0-255."""
    quads = [v.split(".") for v in values if re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", v)]
    if len(quads) < 0.5 * len(values) or not quads:
        return False
    small = sum(1 for q in quads if max(int(x) for x in q[:3]) < 40)
    return small >= 0.8 * len(quads) and len({q[0] for q in quads}) >= 3


PERSON_WORDS = (r"(?:first|last|given|family|middle|maiden|full|sur|fore|person|customer|contact|employee|patient"
                r"|client|card_?holder|account_?holder|holder|buyer|recipient|beneficiary|display|member|owner"
                r"|kunden|kunde|cliente|nome_cliente)_?(?:name|nome|nombre|namn|navn|nimi|naam)|name|names"
                r"|surname|forename|nachname|vorname|nom|prenom|nom_de_famille|nom_complet|nombre|nombres"
                r"|nombre_y_apellidos|apellido|apellidos|nome|nome_completo|cognome|sobrenome|naam|voornaam"
                r"|achternaam|namn|fornamn|efternamn|navn|fornavn|efternavn|etunimi|sukunimi|nimi|jmeno|prijmeni"
                r"|krestni_jmeno|cele_jmeno|imie|nazwisko|imie_i_nazwisko|ad|soyad|ad_soyad|adi|soyadi|isim"
                r"|fio|imya|familiya|otchestvo|фио|имя|фамилия|отчество|ім_я|імя|прізвище|по_батькові|ονομα"
                r"|επωνυμο|ονοματεπωνυμο|onoma|eponymo|onomateponymo|mei|sei|shimei|namae|seimei|ism|naam"
                r"|fullname|firstname|lastname|displayname|xingming|mingzi|xingshi|ireum|seongmyeong|ism_\w+")
PERSON_ANYWHERE = r"名前|氏名|姓名|名字|姓氏|苗字|フリガナ|ふりがな|이름|성명|고객명|नाम|उपनाम|اسم|الاسم|لقب"
PERSON_HINTS = (r"(?:^|_)(?:who|member|recipient|holder|account_holder|assignee|contact|kontakt|patient|employee"
                r"|attendee|owner|signed_by|approver|party|empfaenger|empfanger|destinatario|destinataire"
                r"|greeting_as|greeting|display|customer|client|cliente|kunde|klant|asiakas|klient|musteri|family|given"
                r"|nick|nickname|alias|called|spouse|partner|guardian|parent|child|sender|caller|requester|applicant"
                r"|клиент|клієнт|πελατης|salutation|addressee|signatory|author|agent|rep)(?:_\d+)?(?:_|$)")
PHONE_WORDS = (r"phone(?:_?n(?:umbe)?r|_?no)?|tele?phone|tel|mobile|mobil|cell(?:_?phone)?|cellulare|celular"
               r"|movil|handy|msisdn|fax|telefon|telefono|telefoon|telefone|telefonnummer|telefon_nr|tlf|gsm"
               r"|puhelin|puhelinnumero|matkapuhelin|telefonnummer|telefonnr|numero_telefono|numero_de_telefono|numer_telefonu|numero_de_telefone|telefonszam|телефон|тел|моб|мобильный"
               r"|мобільний|τηλεφωνο|τηλ|κινητο|tilefono|kinito|dianhua|shouji|denwa|denwa_bango|keitai|jeonhwa"
               r"|hatif|jawwal|nomer_telefona|callback|hotline|whatsapp|sms|phone_\w+")
PHONE_ANYWHERE = r"電話|电话|手机|携帯|전화|휴대폰|핸드폰|फ़ोन|फोन|मोबाइल|هاتف|جوال|رقم_الجوال"
ADDRESS_WORDS = (r"(?:street|postal|home|billing|shipping|mailing|delivery|residential)?_?addr(?:ess)?"
                 r"(?:_?line)?(?:_?\d)?|street(?:_?address)?|adresse|anschrift|direccion|indirizzo|adres|adresa"
                 r"|adressa|osoite|endereco|morada|domicilio|ship_to|bill_to|deliver_to|send_to|shipping_to"
                 r"|lieferadresse|rechnungsadresse|adres_zamieszkania|jusho|juusho|residence|wohnort|адрес"
                 r"|адреса|διευθυνση|dieuthinsi|diefthinsi|diefthynsi|dieythynsi|dizhi|zhuzhi|juso|unwan|onwan"
                 r"|address_\w+|\w+_address")
ADDRESS_ANYWHERE = r"住所|地址|住址|收货|주소|पता|عنوان"
DOB_WORDS = (r"dob|d_o_b|bday|birth\w*|\w*_birth\w*|born|date_of_birth|birthdate|geb|geb_dat|gebdat|f_nac|fec_nac"
             r"|fnac|nascita|data_nascita|nascimento|naissance|date_naissance|geboortedatum|geboren|fodelsedatum"
             r"|fodselsdato|fodselsdag|foedselsdato|syntymaaika|syntymapaiva|datum_narozeni|data_urodzenia"
             r"|dogum_tarihi|dt_nasc|d_nasc")
DOB_ANYWHERE = (r"birth|geburt|nacimiento|nascit|nascim|naissance|geboort|fodelse|fødsel|fodsel|syntym|narozen"
                r"|urodzen|dogum|doğum|рожден|народжен|γεννησ|生年月日|出生|생년월일|생일|जन्म|ميلاد|gennis|gennhs"
                r"|rozhden|narodzhen|seinengap|chusheng|saengnyeon|saengil|milad|janm_tithi")
NATIONAL_ID_WORDS = (r"ssn|social_?security(?:_?n(?:umbe)?r)?|national_?id|nat_?id|nino|ni_?n(?:umbe)?r"
                     r"|national_?insurance(?:_?n(?:umbe)?r)?|tax_?id|tin|taxpayer_?id|bsn|dni|nie|nif|nir|insee"
                     r"|personnummer|personal_?id|sin|id_?card|passport(?:_?n(?:umbe)?r|_?no)?|citizen_?id"
                     r"|personal_?n(?:umbe)?r|sozialversicherungsnummer|svnr|rvnr|kvnr|steuer_?id|idnr|cf"
                     r"|codice_?fiscale|cpf|rg|nuss|naf|contribuinte|numero_contribuinte|nr_contribuinte|pesel"
                     r"|nr_dowodu|dowod|cpr|cpr_nummer|cpr_nr|henkilotunnus|hetu|rodne_cislo|rc|tc_kimlik"
                     r"|tckn|kimlik_no|kimlik|inn|snils|рнокпп|инн|снилс|ипн|amka|afm|αμκα|αφμ|my_number"
                     r"|mynumber|aadhaar|aadhar|pan_no|pan_number|rrn|jumin|documento|doc_id|id_number|id_no"
                     r"|resident_id|identity_number|burger_id_\w+|numero_documento|shenfenzheng\w*|kojin_bango|jumin_\w+|hawiya\w*")
NATIONAL_ID_ANYWHERE = r"マイナンバー|個人番号|身份证|주민등록|आधार|हविया|الهوية"

DETECTORS = (
    Detector("pii.email", "valid e-mail addresses",
             _name_pattern(r"e_?mail(?:_?addr(?:ess)?)?|mail_?addr(?:ess)?|mail|correo|courriel|sahkoposti|epost"
                           r"|e_?post|почта|youxiang|dianzi_youjian|imeil|meeru|email_\w+"),
             is_email_any, is_email_loose, anywhere=_anywhere(r"メール|邮箱|邮件|이메일|ईमेल|بريد")),
    Detector("pii.phone", "phone numbers valid for their region", _name_pattern(PHONE_WORDS),
             integers=True, anywhere=_anywhere(PHONE_ANYWHERE), judge=_judge_phones, maybe=_could_be_phone),
    Detector("pii.person_name", "person names", _name_pattern(PERSON_WORDS),
             anywhere=_anywhere(PERSON_ANYWHERE), hint=re.compile(fold_name(PERSON_HINTS)), judge=_judge_names,
             maybe=_could_be_name,
             not_name=_name_pattern(r"(?:product|company|supplier|vendor|file|host|server|domain|brand|model|item"
                                    r"|city|country|street|bank|store|shop|job|app|device|table|column|field|event"
                                    r"|user|account|display|team|group|project|campaign|category|tag)_?name")),
    Detector("pii.address", "postal addresses",
             _name_pattern(ADDRESS_WORDS), is_address, is_address_loose, integers=False,
             anywhere=_anywhere(ADDRESS_ANYWHERE), hint=_name_pattern(r"location|where|ship|deliver\w*|destination"),
             not_name=re.compile(r"(?:^|_)(?:e_?mail|ip|ipv[46]|mac|web|wallet|memory|host|server|remote|url)"
                                 r"_?addr")),
    Detector("pii.iban", "IBANs passing the mod-97 check",
             _name_pattern(r"iban|bank_?account(?:_?n(?:umbe)?r)?|bban|konto|kontonummer|rekening|cuenta"
                           r"|conta|conto|tilinumero|ucet|rachunek|счет|рахунок"), iban_check),
    Detector("pii.payment_card", "card numbers passing the issuer-prefix and Luhn checks",
             _name_pattern(r"(?:credit_?|debit_?|payment_?)?card(?:_?n(?:umbe)?r|_?no|_?num)|cc_?(?:n(?:umbe)?r"
                           r"|num|no)?|pan|credit_?card|kreditkarte|tarjeta|carta|cartao|kort|karta"),
             is_payment_card, integers=True),
    Detector("pii.ip_address", "IP addresses (v4 or v6)",
             _name_pattern(r"ip|ipv[46]|ip_?addr(?:ess)?|remote_?addr|(?:client|remote|src|source|dst|dest"
                           r"|host|login|last|user)_ip"), judge=_judge_ips, maybe=is_ip,
             not_name=_name_pattern(r"\w*version\w*|build|release|fw|firmware|ver|os_ver|sw_ver")),
    Detector("pii.national_id", "national ID numbers passing their scheme's checks",
             _name_pattern(NATIONAL_ID_WORDS), integers=True, anywhere=_anywhere(NATIONAL_ID_ANYWHERE),
             judge=_judge_ids, maybe=_could_be_id),
    Detector("pii.date_of_birth", "dates of birth (adult ages, spread over decades)", _name_pattern(DOB_WORDS),
             anywhere=_anywhere(DOB_ANYWHERE), judge=_judge_birth_dates, dates=True,
             maybe=_could_be_birth_date,
             not_name=_name_pattern(r"\w*(?:verified|validated|checked|confirmed|flag|place|city|country|ort"
                                    r"|lugar|luogo|lieu|name|count)\w*")),
)
EMBEDDED_TAG = "pii.embedded"
FREE_TEXT_TAG = "text.free"
EMBEDDED_MIN_ROWS = 2
EMBEDDED_SAMPLE = 120      # free-text values searched for spans
# national IDs in prose are told by check digits that 1 phone or order number in 10-100 passes too: a few
# such rows in a log of phone numbers prove nothing
EMBEDDED_MIN_SHARE = {"pii.national_id": 0.03}


def normalize_name(column: str) -> str:
    """`customerEMail`, `Customer E-Mail`, `IPAddress` -> customer_e_mail, ..., ip_address; other scripts kept
    (`дата_рождения`), accents folded (`fødselsdato` -> fodselsdato)."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    # vowel signs of abugidas (`नाम`) are marks, not word characters to `re`: kept, or the word breaks apart
    kept = "".join(ch if ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc") else "_" for ch in fold_name(s))
    return re.sub(r"_+", "_", kept).strip("_")


def _kind(data_type: str) -> str | None:
    """"text", "integer", "date", or None for types that cannot hold any kind we detect."""
    t = data_type.upper()
    if t.startswith(("VARCHAR", "CHAR", "TEXT", "STRING", "ENUM", "INET", "BPCHAR")):
        return "text"
    if t in INTEGER_TYPES or re.fullmatch(r"DECIMAL\(\d+,\s*0\)", t):
        return "integer"
    if t == "DATE" or t.startswith(("TIMESTAMP", "DATETIME")):
        return "date"
    return None


def _percent(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else "<1%"


def _check(validator: Callable[[str], bool], value: str) -> bool:
    """A validator's answer; an odd value (stray Unicode digits, ...) that trips it is simply no match."""
    try:
        return bool(validator(value))
    except (ValueError, IndexError, OverflowError):
        return False


def _applies(det: Detector, kind: str) -> bool:
    if kind == "date":
        return det.dates
    return kind == "text" or det.integers


def classify_column(name: str, data_type: str, values: list[str] | None) -> list[Classification]:
    """The confident verdicts on one column. `values` are sampled non-null values as text
    (None: sampling failed). Evidence holds counts and ratios only, never a value."""
    kind = _kind(data_type)
    if kind is None:
        return []
    normalized = normalize_name(name)
    cleaned = [v.strip() for v in values or () if v is not None]
    cleaned = [v for v in cleaned if v.lower() not in BLANKS]
    n = len(cleaned)
    detectors = [d for d in DETECTORS if _applies(d, kind)]
    if n == 0:
        why = "sampling failed" if values is None else "no non-empty values to sample"
        return [Classification(d.tag, NAME_ONLY_CONFIDENCE, f"name matches '{hit}'; {why}")
                for d in detectors if (hit := d.name_hit(normalized))]
    free_text = kind == "text" and is_free_text(cleaned)
    judged = {d.tag: d.flags(cleaned, normalized) for d in detectors}
    _resolve(judged, cleaned)
    strict = {tag: flags[0] for tag, flags in judged.items()}
    # a column of mixed personal data ("contact": an e-mail or a phone number) gets each kind
    mixed = sum(1 for flags in zip(*strict.values(), strict=False) if any(flags)) / n
    found = []
    for det in detectors:
        hit = det.name_hit(normalized)
        hint = None if hit else det.hint_hit(normalized)
        flags, loose = judged[det.tag]
        s = sum(flags) / n
        lo = sum(loose) / n
        if hit:
            confidence = 0.55 + 0.45 * lo
            share = (f"{_percent(lo)} of {n} sampled values are {det.noun}" if lo == s else
                     f"{_percent(lo)} of {n} sampled values look like {det.noun} ({_percent(s)} conclusively)")
            evidence = f"name matches '{hit}'; {share}"
        elif hint and lo > s:
            confidence = 0.35 + 0.6 * lo
            evidence = (f"name suggests it ('{hint}'); {_percent(lo)} of {n} sampled values look like {det.noun} "
                        f"({_percent(s)} conclusively)")
        elif (s >= MIXED_MIN_SHARE and mixed >= MIXED_TOTAL and 0.35 + 0.6 * s < THRESHOLD
              and _only_this_kind(det.tag, strict) >= MIXED_MIN_SHARE * n):
            confidence = 0.35 + 0.6 * mixed
            evidence = (f"{_percent(s)} of {n} sampled values are {det.noun}, and {_percent(mixed)} are personal "
                        "data of the kinds detected; the name does not say so")
        else:
            confidence = 0.35 + 0.6 * s
            evidence = f"{_percent(s)} of {n} sampled values are {det.noun}; the name does not say so"
        if confidence >= THRESHOLD - 1e-9:
            found.append(Classification(det.tag, round(min(confidence, 1.0), 3), evidence))
    if free_text and not found:   # values that are PII as a whole (addresses, display-name e-mails) are no prose
        found = _embedded(found, cleaned)
        # prose, PII or not: what a policy may hold back from AI agents (text a model could take for orders)
        if is_prose(cleaned):
            found.append(Classification(FREE_TEXT_TAG, 0.9, "most sampled values are sentences or log lines"))
    return found


def _only_this_kind(tag: str, strict: dict[str, list[bool]]) -> int:
    """How many values are `tag` and no other kind: a column of mixed kinds holds some of each, while phone
    numbers that also pass an ID scheme's check digit (1 in 10 do) make no column of IDs."""
    others = [flags for other, flags in strict.items() if other != tag]
    return sum(1 for i, flag in enumerate(strict[tag]) if flag and not any(o[i] for o in others))


# A value one kind's check proves claims the column against kinds whose checks accept almost anything of that
# shape: with ~245 phone regions some region takes any 9-12 digits, and ID schemes take 1 number in 10.
OUTRANKS = {"pii.payment_card": ("pii.national_id", "pii.phone"), "pii.ip_address": ("pii.phone", "pii.national_id"),
            "pii.date_of_birth": ("pii.national_id", "pii.phone"), "pii.national_id": ("pii.phone",),
            "pii.iban": ("pii.national_id", "pii.phone")}


def _resolve(judged: dict[str, tuple[list[bool], list[bool]]], values: list[str]) -> None:
    n = len(values)
    if versions_like(values):
        for tag in ("pii.phone", "pii.national_id"):
            if tag in judged:
                judged[tag] = ([False] * n, [False] * n)
    for winner, losers in OUTRANKS.items():
        if winner not in judged:
            continue
        share = sum(judged[winner][1 if winner == "pii.date_of_birth" else 0]) / n
        if share >= 0.5:
            for tag in losers:
                if tag in judged:
                    judged[tag] = ([False] * n, judged[tag][1] if winner == "pii.national_id" else [False] * n)


def _embedded(found: list[Classification], values: list[str]) -> list[Classification]:
    """Free text: each kind found inside at least EMBEDDED_MIN_ROWS values (and not already found as the
    whole value), and the `pii.embedded` marker for those (a mask for it redacts the spans, not the text).
    Prose is the slowest to search, so EMBEDDED_SAMPLE texts spread over the sample are."""
    values = values[:: max(1, len(values) // EMBEDDED_SAMPLE)][:EMBEDDED_SAMPLE]
    n = len(values)
    have = {c.tag for c in found}
    for tag, rows in sorted(embedded_kinds(values).items()):
        if tag in have or rows < max(EMBEDDED_MIN_ROWS, EMBEDDED_MIN_SHARE.get(tag, 0) * n):
            continue
        confidence = round(min(1.0, 0.8 + 0.2 * rows / n), 3)
        found.append(Classification(tag, confidence, f"found inside free text in {rows} of {n} sampled values"))
    pii = [c for c in found if c.tag.startswith("pii.") and c.tag not in have]
    if pii:
        kinds = ", ".join(sorted(c.tag for c in pii))
        found.append(Classification(EMBEDDED_TAG, max(c.confidence for c in pii),
                                    f"free text (most sampled values are sentences or log lines) holding {kinds}"))
    return found


# ---------------------------------------------------------------- sampling during the scan

def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sample_table(con, table: str, columns: list[tuple[str, str]]) -> dict[str, list[str] | None]:
    """Up to SAMPLE_ROWS non-null values of each classifiable column of `table`, as text.

    One reservoir sample over the first SAMPLE_WINDOW rows for the whole table; a
    column with fewer than MIN_VALUES non-null values in it is sampled again alone,
    over its non-null values. A column whose sampling fails maps to None.
    """
    wanted = [c for c, t in columns if _kind(t)]
    if not wanted:
        return {}
    casts = ", ".join(f"CAST({_quote(c)} AS VARCHAR)" for c in wanted)
    projection = ", ".join(_quote(c) for c in wanted)
    shared: dict[str, list[str]] = {}   # each column's values in the one sample of the whole table
    try:
        rows = con.execute(f"SELECT {casts} FROM (SELECT {projection} FROM {table} LIMIT {SAMPLE_WINDOW}) "
                           f"USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (42)").fetchall()
        for i, c in enumerate(wanted):
            shared[c] = [r[i] for r in rows if r[i] is not None]
    except Exception:  # noqa: BLE001 - a broken view or a remote hiccup: sample column by column below
        rows = None
    out: dict[str, list[str] | None] = dict(shared)
    for c in wanted:
        # enough values, or a table smaller than the sample, whose every value was seen
        if rows is not None and (len(shared[c]) >= MIN_VALUES or len(rows) < SAMPLE_ROWS):
            continue
        q = _quote(c)
        try:
            out[c] = [r[0] for r in con.execute(
                f"SELECT CAST({q} AS VARCHAR) FROM (SELECT {q} FROM {table} WHERE {q} IS NOT NULL "
                f"LIMIT {SAMPLE_WINDOW}) USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (42)").fetchall()]
        except Exception:  # noqa: BLE001
            out[c] = None
    return out


def classify_listing(con, alias: str, listing) -> dict[tuple[str, str], dict[str, list[Classification]]]:
    """Verdicts for every column of every table in a source's listing, sampled on `con`."""
    verdicts: dict[tuple[str, str], dict[str, list[Classification]]] = {}
    for schema, name, _kind, columns in listing:
        samples = sample_table(con, f"{_quote(alias)}.{_quote(schema)}.{_quote(name)}", columns)
        per_column = {}
        for column, data_type in columns:
            found = classify_column(column, data_type, samples.get(column))
            if found:
                per_column[column] = found
        verdicts[(schema, name)] = per_column
    return verdicts
