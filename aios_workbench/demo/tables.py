"""Synthesis of the three procurement tables as Arrow tables, fully determined by a seed.

The story the data tells (each point is something a workbench check should find):

* Calendar: 15 months, 2025-01-01 to 2026-03-31; "now" is 2026-04-01 00:00, so the
  latest shipments are still in transit (delivered_at and the outcome columns are null).
* Drift from 2025-10-01 (month 10): delivery delays rise by about a day for everyone,
  a new carrier ("Velocity Parcel") takes about 30 % of shipments and is slower, and
  raw_materials unit prices inflate by 4 % a month on top of 0.2 % general inflation.
* Fairness: minority-owned suppliers are more often small, and both small and
  minority-owned suppliers deliver late more often, so their on-time rate is a few
  points lower: a demographic-parity style check on `on_time` detects the gap.
* Quality issues, injected on purpose and listed in the manifest (`InjectedIssue`):
  null contact phones, contact emails duplicated up to letter case, negative quantities.

Timestamps are naive and mean UTC. Amounts are in the supplier's currency (EUR, PLN,
SEK, DKK, GBP), converted from EUR at fixed rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from aios_workbench.demo.identifiers import ascii_slug, fill_pattern, make_ibans, make_phones
from aios_workbench.demo.vocabulary import (
    BRAND_WORDS,
    BUYER_DOMAIN,
    CARRIERS,
    CATEGORIES,
    COUNTRIES,
    FIRST_NAMES,
    FX_PER_EUR,
    LAST_NAMES,
    NAME_TAILS,
    NEW_CARRIER,
    TRADE_WORDS,
)

CALENDAR_START = np.datetime64("2025-01-01", "D")
CALENDAR_END = np.datetime64("2026-03-31", "D")  # inclusive
DRIFT_START = np.datetime64("2025-10-01", "D")
AS_OF = CALENDAR_END + 1  # events at or after this instant have not happened yet
LATE_THRESHOLD_DAYS = 3  # late_delivery: three or more days past the promised date

SUPPLIERS_AT_SCALE_1 = 600
ORDERS_AT_SCALE_1 = 40_000

_DAY = 86_400
_SIZE_BANDS = np.array(["small", "medium", "large"])
_RATINGS = np.array(["AAA", "AA", "A", "BBB", "BB", "B", "CCC"])
_RATING_P = {  # by size band: large suppliers rate better
    0: [0.01, 0.05, 0.17, 0.32, 0.25, 0.14, 0.06],
    1: [0.03, 0.10, 0.27, 0.33, 0.17, 0.08, 0.02],
    2: [0.10, 0.22, 0.33, 0.24, 0.08, 0.03, 0.00],
}


@dataclass(frozen=True)
class InjectedIssue:
    """A data-quality problem put into the demo on purpose, so quality checks have a target."""

    table: str
    column: str
    kind: str
    rows: int
    description: str


@dataclass(frozen=True)
class DemoTables:
    suppliers: pa.Table
    purchase_orders: pa.Table
    shipments: pa.Table
    issues: tuple[InjectedIssue, ...]


@dataclass(frozen=True)
class _SupplierTraits:
    """Per-supplier arrays the order and shipment builders need (index = supplier row)."""

    onboarded_day: np.ndarray  # days since epoch, sorted ascending
    category: np.ndarray
    size_band: np.ndarray
    minority: np.ndarray
    currency: np.ndarray
    activity: np.ndarray
    price_factor: np.ndarray


def issue_count(base: int, scale: float, minimum: int) -> int:
    return max(minimum, round(base * scale))


def build_tables(seed: int, scale: float) -> DemoTables:
    """All three tables for one (seed, scale); independent random streams per table."""
    supplier_rng, order_rng, shipment_rng = np.random.default_rng(seed).spawn(3)
    n_suppliers = max(24, round(SUPPLIERS_AT_SCALE_1 * scale))
    n_orders = max(200, round(ORDERS_AT_SCALE_1 * scale))
    suppliers, traits, supplier_issues = _build_suppliers(supplier_rng, n_suppliers, scale)
    orders, order_facts, order_issues = _build_orders(order_rng, n_orders, traits, scale)
    shipments = _build_shipments(shipment_rng, order_facts, traits)
    return DemoTables(suppliers, orders, shipments, supplier_issues + order_issues)


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    numbers = np.char.zfill(np.arange(1, count + 1).astype(str), width)
    return np.char.add(prefix, numbers)


def _month_index(seconds: np.ndarray) -> np.ndarray:
    months = seconds.astype("datetime64[s]").astype("datetime64[M]")
    return (months - CALENDAR_START.astype("datetime64[M]")).astype(np.int64)


def _build_suppliers(rng: np.random.Generator, n: int, scale: float):
    start = int(CALENDAR_START.astype(np.int64))
    history_start = int(np.datetime64("2012-01-01", "D").astype(np.int64))
    late_joiner = rng.random(n) < 0.12
    onboarded = np.where(late_joiner,
                         rng.integers(start, start + 424, size=n),  # up to 2026-02-28
                         rng.integers(history_start, start, size=n))
    onboarded[0] = min(onboarded[0], start - 1)  # at least one supplier predates the calendar
    onboarded.sort()  # supplier ids follow onboarding order

    weights = np.array([c.weight for c in COUNTRIES])
    country_idx = rng.choice(len(COUNTRIES), size=n, p=weights / weights.sum())
    category = rng.choice(len(CATEGORIES), size=n, p=[0.2, 0.25, 0.15, 0.15, 0.25])
    size = rng.choice(3, size=n, p=[0.55, 0.30, 0.15])
    minority = rng.random(n) < np.array([0.30, 0.16, 0.06])[size]
    rating_draw = rng.random(n)
    rating = np.empty(n, dtype=object)
    for band, probs in _RATING_P.items():
        rows = size == band
        rating[rows] = _RATINGS[np.searchsorted(np.cumsum(probs), rating_draw[rows] * sum(probs), side="right")]

    base_names = _company_names(rng, category)
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), size=n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), size=n)]
    house_number = rng.integers(1, 240, size=n)
    columns = {key: np.empty(n, dtype=object) for key in
               ("supplier_name", "contact_email", "contact_phone", "street_address", "city",
                "postal_code", "country", "iban", "region", "currency")}
    for ci, profile in enumerate(COUNTRIES):
        rows = np.flatnonzero(country_idx == ci)
        if rows.size == 0:
            continue
        k = rows.size
        forms = rng.choice(profile.legal_forms, size=k)
        streets = rng.choice(profile.streets, size=k)
        columns["supplier_name"][rows] = [f"{base_names[r]} {form}" for r, form in zip(rows, forms, strict=False)]
        columns["contact_email"][rows] = [
            f"{ascii_slug(first[r], '')}.{ascii_slug(last[r], '')}@{ascii_slug(base_names[r])}.{profile.tld}"
            for r in rows]
        columns["contact_phone"][rows] = make_phones(rng, profile.dial_code, profile.phone_digits, k)
        columns["street_address"][rows] = [
            f"{street} {house_number[r]}" if profile.street_first else f"{house_number[r]} {street}"
            for r, street in zip(rows, streets, strict=False)]
        columns["city"][rows] = rng.choice(profile.cities, size=k)
        columns["postal_code"][rows] = fill_pattern(rng, profile.postcode, k)
        columns["country"][rows] = profile.code
        columns["iban"][rows] = make_ibans(rng, profile.code, profile.bban, k)
        columns["region"][rows] = profile.region
        columns["currency"][rows] = profile.currency
    contact_name = np.char.add(np.char.add(first.astype(str), " "), last.astype(str)).astype(object)

    # Injected quality issues.
    n_null_phone = issue_count(9, scale, 2)
    null_phone = rng.choice(n, size=n_null_phone, replace=False)
    phone_mask = np.zeros(n, dtype=bool)
    phone_mask[null_phone] = True
    n_dup = issue_count(6, scale, 2)
    pairs = rng.choice(n, size=2 * n_dup, replace=False).reshape(n_dup, 2)
    for original, copy in pairs:  # same person registered under a second supplier, email case differs
        local, domain = columns["contact_email"][original].split("@")
        columns["contact_email"][copy] = ".".join(p.capitalize() for p in local.split(".")) + "@" + domain
        contact_name[copy] = contact_name[original]
    issues = (
        InjectedIssue("suppliers", "contact_phone", "null", n_null_phone,
                      "contact_phone is NULL for these suppliers (missing contact data)."),
        InjectedIssue("suppliers", "contact_email", "duplicate", n_dup,
                      "contact_email repeats another supplier's address up to letter case "
                      "(GROUP BY lower(contact_email) HAVING count(*) > 1 finds the pairs)."),
    )

    table = pa.table({
        "supplier_id": pa.array(_ids("SUP-", n, 5), pa.string()),
        "supplier_name": pa.array(columns["supplier_name"], pa.string()),
        "contact_name": pa.array(contact_name, pa.string()),
        "contact_email": pa.array(columns["contact_email"], pa.string()),
        "contact_phone": pa.array(columns["contact_phone"], pa.string(), mask=phone_mask),
        "street_address": pa.array(columns["street_address"], pa.string()),
        "city": pa.array(columns["city"], pa.string()),
        "postal_code": pa.array(columns["postal_code"], pa.string()),
        "country": pa.array(columns["country"], pa.string()),
        "iban": pa.array(columns["iban"], pa.string()),
        "region": pa.array(columns["region"], pa.string()),
        "size_band": pa.array(_SIZE_BANDS[size], pa.string()),
        "minority_owned": pa.array(minority, pa.bool_()),
        "onboarded_on": pa.array(onboarded.astype("datetime64[D]"), pa.date32()),
        "credit_rating": pa.array(rating, pa.string()),
        "primary_category": pa.array(np.array(CATEGORIES)[category], pa.string()),
    })
    traits = _SupplierTraits(
        onboarded_day=onboarded, category=category, size_band=size, minority=minority,
        currency=columns["currency"],
        activity=rng.lognormal(0.0, 0.9, size=n) * np.array([1.0, 1.8, 3.2])[size],
        price_factor=rng.lognormal(0.0, 0.12, size=n),
    )
    return table, traits, issues


def _company_names(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """Unique '<Brand> <Trade> [<Tail>]' names; the trade word matches the supplier's category."""
    names = np.empty(category.size, dtype=object)
    per_trade = len(BRAND_WORDS) * len(NAME_TAILS)
    for ci, cat in enumerate(CATEGORIES):
        rows = np.flatnonzero(category == ci)
        trades = TRADE_WORDS[cat]
        capacity = per_trade * len(trades)
        picks = rng.choice(capacity, size=rows.size, replace=rows.size > capacity)
        for row, pick in zip(rows, picks, strict=False):
            brand, rest = divmod(int(pick), len(trades) * len(NAME_TAILS))
            trade, tail = divmod(rest, len(NAME_TAILS))
            names[row] = " ".join(w for w in (BRAND_WORDS[brand], trades[trade], NAME_TAILS[tail]) if w)
    seen: dict[str, int] = {}
    for index, name in enumerate(names):  # only needed past ~1,200 suppliers per category
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            names[index] = f"{name} {seen[name]}"
    return names


def _day_weights() -> np.ndarray:
    """Order volume by calendar day: weekdays, slow weekends, August and year-end dips, growth."""
    days = np.arange(CALENDAR_START, AS_OF)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    weights = np.select([weekday < 5, weekday == 5], [1.0, 0.08], 0.03)
    weights *= 1.0 + 0.25 * np.arange(days.size) / (days.size - 1)
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    weights[month == 8] *= 0.75
    weights[(month == 12) & (day_of_month >= 20)] *= 0.35
    weights[(month == 1) & (day_of_month <= 6)] *= 0.5
    return weights / weights.sum()


def _build_orders(rng: np.random.Generator, n: int, traits: _SupplierTraits, scale: float):
    start_s = int(CALENDAR_START.astype("datetime64[s]").astype(np.int64))
    day = rng.choice(_day_weights().size, size=n, p=_day_weights())
    second = np.clip(rng.normal(11.5 * 3600, 2.6 * 3600, size=n), 6.5 * 3600, 20 * 3600).astype(np.int64)
    ordered_at = np.sort(start_s + day * _DAY + second, kind="stable")
    order_day = ordered_at // _DAY

    # Pick a supplier onboarded on or before the order day, weighted by activity.
    eligible = np.searchsorted(traits.onboarded_day, order_day, side="right")
    cumulative = np.cumsum(traits.activity)
    target = rng.random(n) * cumulative[eligible - 1]
    supplier = np.minimum(np.searchsorted(cumulative, target, side="right"), eligible - 1)

    category = np.where(rng.random(n) < 0.88, traits.category[supplier],
                        rng.integers(0, len(CATEGORIES), size=n))
    qty_mu = np.array([3.2, 6.0, 1.2, 3.0, 3.4])[category]
    qty_sigma = np.array([0.9, 0.8, 0.7, 0.8, 0.7])[category]
    quantity = np.maximum(1, np.ceil(rng.lognormal(qty_mu, qty_sigma))).astype(np.int64)

    month = _month_index(ordered_at)
    drift_month = _month_index(np.array([DRIFT_START.astype("datetime64[s]").astype(np.int64)]))[0]
    inflation = 1.0 + 0.002 * month
    raw = category == CATEGORIES.index("raw_materials")
    inflation[raw] *= 1.0 + 0.04 * np.maximum(0, month[raw] - drift_month + 1)
    price_eur = (np.array([85.0, 3.2, 420.0, 12.0, 110.0])[category] * traits.price_factor[supplier]
                 * rng.lognormal(0.0, 0.08, size=n) * inflation)
    currency = traits.currency[supplier]
    fx = np.array([FX_PER_EUR[c] for c in currency])
    unit_price = np.maximum(0.01, np.round(price_eur * fx, 2))

    buyers_per_category = 5
    buyer_emails = _buyer_emails(rng, len(CATEGORIES) * buyers_per_category)
    buyer = category * buyers_per_category + rng.integers(0, buyers_per_category, size=n)
    approved = rng.random(n) < np.where(quantity * price_eur > 25_000, 0.88, 0.975)

    n_negative = issue_count(12, scale, 3)
    negative = rng.choice(n, size=n_negative, replace=False)
    quantity[negative] *= -1
    amount = np.round(quantity * unit_price, 2)
    issues = (InjectedIssue("purchase_orders", "quantity", "negative", n_negative,
                            "quantity (and so amount) is negative: returns keyed in as orders."),)

    table = pa.table({
        "po_id": pa.array(_ids("PO-", n, 7), pa.string()),
        "supplier_id": pa.array(np.char.add("SUP-", np.char.zfill((supplier + 1).astype(str), 5)), pa.string()),
        "category": pa.array(np.array(CATEGORIES)[category], pa.string()),
        "ordered_at": pa.array(ordered_at.astype("datetime64[s]").astype("datetime64[us]"), pa.timestamp("us")),
        "quantity": pa.array(quantity, pa.int32()),
        "unit_price": pa.array(unit_price, pa.float64()),
        "amount": pa.array(amount, pa.float64()),
        "currency": pa.array(currency, pa.string()),
        "buyer_email": pa.array(buyer_emails[buyer], pa.string()),
        "approved": pa.array(approved, pa.bool_()),
    })
    facts = {"ordered_at": ordered_at, "supplier": supplier, "category": category, "approved": approved}
    return table, facts, issues


def _buyer_emails(rng: np.random.Generator, count: int) -> np.ndarray:
    picks = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=count, replace=False)
    return np.array([f"{ascii_slug(FIRST_NAMES[p // len(LAST_NAMES)], '')}."
                     f"{ascii_slug(LAST_NAMES[p % len(LAST_NAMES)], '')}@{BUYER_DOMAIN}" for p in picks])


def _build_shipments(rng: np.random.Generator, orders: dict, traits: _SupplierTraits) -> pa.Table:
    as_of = int(AS_OF.astype("datetime64[s]").astype(np.int64))
    drift_s = int(DRIFT_START.astype("datetime64[s]").astype(np.int64))
    po_row = np.flatnonzero(orders["approved"])
    n = po_row.size
    ordered_at = orders["ordered_at"][po_row]
    supplier = orders["supplier"][po_row]
    category = orders["category"][po_row]
    size = traits.size_band[supplier]

    processing = rng.gamma(2.0, np.array([1.2, 0.9, 0.6])[size])
    shipped_at = ordered_at + (processing * _DAY).astype(np.int64)
    promised_days = np.array([12, 16, 6, 5, 8])[category]
    promised_at = (ordered_at // _DAY + promised_days) * _DAY + 17 * 3600

    after_drift = shipped_at >= drift_s
    before_share = np.array([0.30, 0.22, 0.20, 0.16, 0.12])
    after_share = np.append(before_share * 0.70, 0.30)
    carrier = np.where(after_drift, rng.choice(after_share.size, size=n, p=after_share),
                       rng.choice(before_share.size, size=n, p=before_share))

    delay = (rng.normal(-2.2, 1.4, size=n)
             + np.array([-0.3, 0.0, 0.3, 0.1, 0.4, 1.6])[carrier]
             + np.array([0.3, 0.1, -0.2])[size]
             + 0.35 * traits.minority[supplier]
             + 0.8 * after_drift
             + np.where(rng.random(n) < 0.03, rng.exponential(6.0, size=n), 0.0))
    delivered_at = np.maximum(promised_at + (delay * _DAY).astype(np.int64), shipped_at + 4 * 3600)
    damage_p = 0.012 * np.array([1.0, 0.8, 1.3, 1.1, 1.5, 2.2])[carrier]
    damaged = rng.random(n) < damage_p

    keep = shipped_at < as_of  # not yet shipped orders have no shipment row
    order = np.argsort(shipped_at[keep], kind="stable")
    pick = np.flatnonzero(keep)[order]
    po_row, ordered_at, shipped_at = po_row[pick], ordered_at[pick], shipped_at[pick]
    promised_at, delivered_at, carrier, damaged = promised_at[pick], delivered_at[pick], carrier[pick], damaged[pick]
    in_transit = delivered_at >= as_of
    delay_days = delivered_at // _DAY - promised_at // _DAY
    lead_time_days = delivered_at // _DAY - ordered_at // _DAY
    carriers = np.array(CARRIERS + (NEW_CARRIER,))

    def ts(values: np.ndarray, mask=None) -> pa.Array:
        return pa.array(values.astype("datetime64[s]").astype("datetime64[us]"), pa.timestamp("us"), mask=mask)

    return pa.table({
        "shipment_id": pa.array(_ids("SHP-", pick.size, 7), pa.string()),
        "po_id": pa.array(np.char.add("PO-", np.char.zfill((po_row + 1).astype(str), 7)), pa.string()),
        "carrier": pa.array(carriers[carrier], pa.string()),
        "shipped_at": ts(shipped_at),
        "promised_at": ts(promised_at),
        "delivered_at": ts(delivered_at, in_transit),
        "lead_time_days": pa.array(lead_time_days, pa.int32(), mask=in_transit),
        "delay_days": pa.array(delay_days, pa.int32(), mask=in_transit),
        "on_time": pa.array(delay_days <= 0, pa.bool_(), mask=in_transit),
        "damaged": pa.array(damaged, pa.bool_(), mask=in_transit),
        "late_delivery": pa.array(delay_days >= LATE_THRESHOLD_DAYS, pa.bool_(), mask=in_transit),
    })
