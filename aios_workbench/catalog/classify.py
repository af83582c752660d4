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
from collections.abc import Callable
from dataclasses import dataclass

from aios_workbench.catalog.pii_values import (
    iban_check,
    is_address,
    is_address_loose,
    is_email,
    is_email_loose,
    is_ip,
    is_national_id,
    is_national_id_loose,
    is_payment_card,
    is_person_name,
    is_person_name_loose,
    is_phone,
    is_phone_loose,
)

THRESHOLD = 0.75
NAME_ONLY_CONFIDENCE = 0.75
SAMPLE_ROWS = 500          # values judged per column
SAMPLE_WINDOW = 100_000    # rows read at most per table (bounds the cost on huge and remote tables)
MIXED_MIN_SHARE = 0.2     # a kind's share of a mixed column ...
MIXED_TOTAL = 0.8         # ... whose values are this much personal data of the detected kinds
MIN_VALUES = 50            # fewer non-null values in the row sample: sample that column alone
VERSION = "1"              # part of the scan fingerprint: a new classifier reclassifies on the next scan

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

def _name_pattern(words: str) -> re.Pattern:
    return re.compile(rf"(?:^|_)(?:{words})(?:_|$)")


@dataclass(frozen=True)
class Detector:
    """One kind of personal data: what its column names and its values look like."""

    tag: str
    noun: str                          # "valid e-mail addresses", for the evidence
    name: re.Pattern
    strict: Callable[[str], bool]
    loose: Callable[[str], bool] | None = None
    integers: bool = False             # may be stored in an integer column
    not_name: re.Pattern | None = None

    def name_hit(self, normalized: str) -> str | None:
        if self.not_name and self.not_name.search(normalized):
            return None
        m = self.name.search(normalized)
        return m.group(0).strip("_") if m else None


DETECTORS = (
    Detector("pii.email", "valid e-mail addresses",
             _name_pattern(r"e_?mail(?:_?addr(?:ess)?)?|mail_?addr(?:ess)?|mail"), is_email, is_email_loose),
    Detector("pii.phone", "phone numbers",
             _name_pattern(r"phone(?:_?n(?:umbe)?r|_?no)?|tele?phone|tel|mobile|cell(?:_?phone)?|msisdn|fax"
                           r"|telefon|telefono|telefoon"), is_phone, is_phone_loose, integers=True),
    Detector("pii.person_name", "person names",
             _name_pattern(r"(?:first|last|given|family|middle|maiden|full|sur|fore|person|customer|contact"
                           r"|employee|patient|client|card_?holder|account_?holder|holder|buyer|recipient"
                           r"|beneficiary|display)_?name|name|surname|forename|nachname|vorname|nom|prenom"),
             is_person_name, is_person_name_loose),
    Detector("pii.address", "postal addresses",
             _name_pattern(r"(?:street|postal|home|billing|shipping|mailing|delivery|residential)?_?addr(?:ess)?"
                           r"(?:_?line)?(?:_?\d)?|street(?:_?address)?|post_?code|postal_?code|zip(?:_?code)?"
                           r"|adresse|anschrift|direccion|indirizzo|plz"),
             is_address, is_address_loose, integers=True,
             not_name=re.compile(r"(?:^|_)(?:e_?mail|ip|ipv[46]|mac|web|wallet|memory|host|server|remote|url)"
                                 r"_?addr")),
    Detector("pii.iban", "IBANs passing the mod-97 check",
             _name_pattern(r"iban|bank_?account(?:_?n(?:umbe)?r)?|bban"), iban_check),
    Detector("pii.payment_card", "card numbers passing the issuer-prefix and Luhn checks",
             _name_pattern(r"(?:credit_?|debit_?|payment_?)?card(?:_?n(?:umbe)?r|_?no|_?num)|cc_?(?:n(?:umbe)?r"
                           r"|num|no)?|pan|credit_?card"), is_payment_card, integers=True),
    Detector("pii.ip_address", "IP addresses (v4 or v6)",
             _name_pattern(r"ip|ipv[46]|ip_?addr(?:ess)?|remote_?addr|(?:client|remote|src|source|dst|dest"
                           r"|host|login|last|user)_ip"), is_ip),
    Detector("pii.national_id", "national ID numbers (US SSN, UK NINO, ES DNI/NIE, FR NIR, SE personnummer, "
             "NL BSN) passing their checks",
             _name_pattern(r"ssn|social_?security(?:_?n(?:umbe)?r)?|national_?id|nat_?id|nino|ni_?n(?:umbe)?r"
                           r"|national_?insurance(?:_?n(?:umbe)?r)?|tax_?id|tin|taxpayer_?id|bsn|dni|nie|nif|nir"
                           r"|insee|personnummer|personal_?id|sin|id_?card|passport(?:_?n(?:umbe)?r|_?no)?"
                           r"|citizen_?id|personal_?n(?:umbe)?r"),
             is_national_id, is_national_id_loose, integers=True),
)


def normalize_name(column: str) -> str:
    """`customerEMail`, `Customer E-Mail`, `IPAddress` -> customer_e_mail, ..., ip_address."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def _kind(data_type: str) -> str | None:
    """"text", "integer", or None for types that cannot hold any kind we detect."""
    t = data_type.upper()
    if t.startswith(("VARCHAR", "CHAR", "TEXT", "STRING", "ENUM", "INET", "BPCHAR")):
        return "text"
    if t in INTEGER_TYPES or re.fullmatch(r"DECIMAL\(\d+,\s*0\)", t):
        return "integer"
    return None


def _percent(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else "<1%"


def _check(validator: Callable[[str], bool], value: str) -> bool:
    """A validator's answer; an odd value (stray Unicode digits, ...) that trips it is simply no match."""
    try:
        return bool(validator(value))
    except (ValueError, IndexError, OverflowError):
        return False


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
    detectors = [d for d in DETECTORS if kind == "text" or d.integers]
    if n == 0:
        why = "sampling failed" if values is None else "no non-empty values to sample"
        return [Classification(d.tag, NAME_ONLY_CONFIDENCE, f"name matches '{hit}'; {why}")
                for d in detectors if (hit := d.name_hit(normalized))]
    strict = {d.tag: [_check(d.strict, v) for v in cleaned] for d in detectors}
    # a column of mixed personal data ("contact": an e-mail or a phone number) gets each kind
    mixed = sum(1 for flags in zip(*strict.values(), strict=False) if any(flags)) / n
    found = []
    for det in detectors:
        hit = det.name_hit(normalized)
        flags = strict[det.tag]
        s = sum(flags) / n
        lo = s if det.loose is None else sum(1 for f, v in zip(flags, cleaned, strict=False) if f or _check(det.loose, v)) / n
        if hit:
            confidence = 0.55 + 0.45 * lo
            if det.loose is None:
                share = f"{_percent(lo)} of {n} sampled values are {det.noun}"
            else:
                share = f"{_percent(lo)} of {n} sampled values look like {det.noun} ({_percent(s)} conclusively)"
            evidence = f"name matches '{hit}'; {share}"
        elif s >= MIXED_MIN_SHARE and mixed >= MIXED_TOTAL and 0.35 + 0.6 * s < THRESHOLD:
            confidence = 0.35 + 0.6 * mixed
            evidence = (f"{_percent(s)} of {n} sampled values are {det.noun}, and {_percent(mixed)} are personal "
                        "data of the kinds detected; the name does not say so")
        else:
            confidence = 0.35 + 0.6 * s
            evidence = f"{_percent(s)} of {n} sampled values are {det.noun}; the name does not say so"
        if confidence >= THRESHOLD - 1e-9:
            found.append(Classification(det.tag, round(min(confidence, 1.0), 3), evidence))
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
