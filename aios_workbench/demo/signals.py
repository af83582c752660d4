"""External signals of the demo: where each supplier's goods come from, and a weekly feed per region of
port congestion, severe weather and geopolitical events with a short headline.

Built AFTER the three procurement tables and from them, with a random stream of its own (the fourth
child of the seed), so the existing tables stay byte-identical:

* `supplier_lanes`: every supplier's inbound lane. Suppliers are European, but most electronics and some
  raw materials reach them by sea from Asia (Singapore, Port Klang, Laem Chabang; Shanghai, Busan,
  Kaohsiung); everything else travels by road within the supplier's own region.
* `signals`: one row per (week, region), the Monday of each week from the one holding 2025-01-01 to the
  one holding 2026-03-31. History tells the truth about the shipments: a week in which a region's
  shipments were often very late (more than 7 days) has a higher congestion index, with noise, so a
  model can learn the link. In the latest weeks a disruption builds up in Southeast Asia (typhoon
  season out of turn, a strike at Port Klang, diverted vessels): its indices climb far above anything
  the history shows, while the shipments it hits are still in transit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aios_workbench.demo.tables import CALENDAR_END, CALENDAR_START, DemoTables

SIGNALS_STREAM = 3   # spawn key of the signals' random stream: children 0-2 are the tables' (tables.py)
VERY_LATE_DAYS = 7   # "very late": the delay the risk model predicts (delay_days > 7)
SOUTHEAST_ASIA = "Southeast Asia"
EAST_ASIA = "East Asia"
DISRUPTION_START = np.datetime64("2026-02-23", "D")   # a Monday: the first week the disruption shows

# Sea lanes: region -> (ports of origin, the European port of arrival, usual transit days).
SEA_LANES: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    SOUTHEAST_ASIA: (("Singapore", "Port Klang", "Laem Chabang"), ("Rotterdam", "Hamburg", "Antwerp"), 30),
    EAST_ASIA: (("Shanghai", "Busan", "Kaohsiung"), ("Rotterdam", "Hamburg", "Antwerp"), 35),
}
# Share of a category's suppliers sourcing through each sea region (the rest: by road, own region).
SEA_SHARE: dict[str, dict[str, float]] = {
    "electronics": {SOUTHEAST_ASIA: 0.45, EAST_ASIA: 0.35},
    "raw_materials": {SOUTHEAST_ASIA: 0.15, EAST_ASIA: 0.15},
}
EUROPE = ("Northern Europe", "Western Europe", "Central Europe", "Southern Europe")
REGIONS = (SOUTHEAST_ASIA, EAST_ASIA, *EUROPE)

_HEADLINES = {
    "calm": ("Port operations normal", "Schedules on time; no notable events", "Routine week at the terminals",
             "Terminal throughput steady", "Vessel arrivals on schedule"),
    "congestion": ("Berth waiting times lengthen at {port}", "Yard utilisation high at {port}",
                   "Vessel queue builds outside {port}", "Blank sailings reshuffle schedules via {port}"),
    "weather": ("Storm warnings disrupt sailings near {port}", "Heavy rain slows cargo handling at {port}",
                "Fog and high winds close {port} for a day"),
    "geopolitics": ("Customs slowdown at {port} after new inspection rules",
                    "Labour talks at {port} stall; work-to-rule announced",
                    "Export licence backlog reported in {region}"),
}
_EUROPEAN_PORTS = {region: ("the Mediterranean ports",) if region == "Southern Europe" else ("the North Sea ports",)
                   for region in EUROPE}
_DISRUPTION_HEADLINES = (
    "Tropical storm forms early in the South China Sea; carriers watch {port}",
    "Dockworkers at Port Klang announce a go-slow; berth waits exceed four days",
    "Typhoon closes Singapore anchorage for 36 hours; vessels diverted to Port Klang",
    "Port Klang strike enters second week; carriers add congestion surcharges",
    "Congestion across Southeast Asian hubs; lines skip Laem Chabang calls",
    "Southeast Asia backlog at record high; bookings rolled by two to three weeks",
)


@dataclass(frozen=True)
class SignalTables:
    supplier_lanes: pa.Table
    signals: pa.Table


def signals_rng(seed: int) -> np.random.Generator:
    """The signals' own random stream: the fourth child of `seed`, so the tables' three are untouched."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SIGNALS_STREAM,)))


def week_starts() -> np.ndarray:
    """The Mondays of every week of the demo calendar (the first holds 2025-01-01)."""
    first = CALENDAR_START - (CALENDAR_START.astype(np.int64) + 3) % 7   # 1970-01-01 was a Thursday
    return np.arange(first, CALENDAR_END + 1, 7)


def build_signals(seed: int, tables: DemoTables) -> SignalTables:
    """Lanes and weekly signals for the demo tables of (seed, scale)."""
    rng = signals_rng(seed)
    lanes = _build_lanes(rng, tables.suppliers)
    return SignalTables(lanes, _build_signals(rng, tables, lanes))


def _build_lanes(rng: np.random.Generator, suppliers: pa.Table) -> pa.Table:
    n = suppliers.num_rows
    category = suppliers.column("primary_category").to_numpy(zero_copy_only=False)
    home = suppliers.column("region").to_numpy(zero_copy_only=False)
    draw = rng.random(n)
    region = home.astype(object).copy()
    for cat, shares in SEA_SHARE.items():
        bound = 0.0
        for sea_region, share in shares.items():
            rows = (category == cat) & (draw >= bound) & (draw < bound + share)
            region[rows] = sea_region
            bound += share
    sea = np.isin(region, list(SEA_LANES))
    origin = np.full(n, None, dtype=object)
    arrival = np.full(n, None, dtype=object)
    transit = rng.integers(1, 4, size=n)   # road: one to three days
    for sea_region, (ports, arrivals, days) in SEA_LANES.items():
        rows = np.flatnonzero(region == sea_region)
        origin[rows] = rng.choice(ports, size=rows.size, p=_port_weights(len(ports)))
        arrival[rows] = rng.choice(arrivals, size=rows.size)
        transit[rows] = days + rng.integers(-3, 4, size=rows.size)
    return pa.table({
        "supplier_id": suppliers.column("supplier_id"),
        "origin_region": pa.array(region, pa.string()),
        "origin_port": pa.array(origin, pa.string()),
        "destination_port": pa.array(arrival, pa.string()),
        "mode": pa.array(np.where(sea, "sea", "road"), pa.string()),
        "transit_days": pa.array(transit, pa.int32()),
    })


def _port_weights(count: int) -> list[float]:
    weights = np.array([0.5, 0.3, 0.2][:count])
    return list(weights / weights.sum())


def _weekly_outcomes(tables: DemoTables, lanes: pa.Table, weeks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shipments, very late shipments) per (region, week) of shipping, over delivered shipments."""
    supplier_region = dict(zip(lanes.column("supplier_id").to_pylist(), lanes.column("origin_region").to_pylist(),
                               strict=True))
    po_supplier = dict(zip(tables.purchase_orders.column("po_id").to_pylist(),
                           tables.purchase_orders.column("supplier_id").to_pylist(), strict=True))
    shipments = tables.shipments.filter(pc.is_valid(tables.shipments.column("delay_days")))
    region_index = {name: i for i, name in enumerate(REGIONS)}
    region = np.array([region_index[supplier_region[po_supplier[po]]]
                       for po in shipments.column("po_id").to_pylist()])
    day = shipments.column("shipped_at").to_numpy().astype("datetime64[D]")
    week = np.clip(np.searchsorted(weeks, day, side="right") - 1, 0, weeks.size - 1)
    very_late = shipments.column("delay_days").to_numpy() > VERY_LATE_DAYS
    total = np.zeros((len(REGIONS), weeks.size))
    late = np.zeros((len(REGIONS), weeks.size))
    np.add.at(total, (region, week), 1)
    np.add.at(late, (region, week), very_late)
    return total, late


def _build_signals(rng: np.random.Generator, tables: DemoTables, lanes: pa.Table) -> pa.Table:
    weeks = week_starts()
    total, late = _weekly_outcomes(tables, lanes, weeks)
    # How unusual each region-week was: very late shipments against the region's usual rate (a Poisson z).
    rate = late.sum(axis=1, keepdims=True) / np.maximum(total.sum(axis=1, keepdims=True), 1)
    expected = rate * total
    pressure = np.clip((late - expected) / np.sqrt(np.maximum(expected, 0.25)), -2.0, 4.0)
    month = weeks.astype("datetime64[M]").astype(np.int64) % 12 + 1
    sea = np.array([r in SEA_LANES for r in REGIONS])[:, None]
    monsoon = np.isin(month, [6, 7, 8, 9, 10])[None, :] & sea
    winter = np.isin(month, [11, 12, 1, 2])[None, :] & ~sea
    shape = (len(REGIONS), weeks.size)

    congestion = (np.where(sea, 32.0, 22.0) + 11.0 * pressure + rng.normal(0, 3.0, shape))
    weather = (12.0 + 18.0 * (monsoon | winter) + 4.0 * pressure + rng.gamma(2.0, 4.0, shape))
    events = rng.poisson(0.25 + 0.35 * np.clip(pressure, 0, None), shape)

    # The disruption: Southeast Asia from DISRUPTION_START, building week by week to the end.
    sea_row = REGIONS.index(SOUTHEAST_ASIA)
    building = weeks >= DISRUPTION_START
    ramp = np.cumsum(building) / max(int(building.sum()), 1)
    congestion[sea_row, building] = 46.0 + 52.0 * ramp[building] + rng.normal(0, 2.0, int(building.sum()))
    weather[sea_row, building] += 35.0 * ramp[building]
    events[sea_row, building] += np.ceil(3 * ramp[building]).astype(np.int64)
    congestion, weather = np.clip(congestion, 0, 100).round(1), np.clip(weather, 0, 100).round(1)

    headlines = _headlines(rng, congestion, weather, events, building, sea_row, weeks)
    region_col = np.repeat(np.array(REGIONS, dtype=object), weeks.size)
    return pa.table({
        "week": pa.array(np.tile(weeks, len(REGIONS)), pa.date32()),
        "region": pa.array(region_col, pa.string()),
        "port_congestion": pa.array(congestion.ravel(), pa.float64()),
        "severe_weather": pa.array(weather.ravel(), pa.float64()),
        "geopolitical_events": pa.array(events.ravel(), pa.int32()),
        "headline": pa.array(headlines.ravel(), pa.string()),
    }).sort_by([("week", "ascending"), ("region", "ascending")])


def _headlines(rng, congestion, weather, events, building, sea_row, weeks) -> np.ndarray:
    """The week's most notable signal in a few words (the disruption's own story for its weeks)."""
    out = np.empty(congestion.shape, dtype=object)
    for r, region in enumerate(REGIONS):
        ports = SEA_LANES[region][0] if region in SEA_LANES else _EUROPEAN_PORTS[region]
        for w in range(weeks.size):
            port = ports[int(rng.integers(0, len(ports)))]
            if r == sea_row and building[w]:
                step = int(np.cumsum(building)[w]) - 1
                text = _DISRUPTION_HEADLINES[min(step, len(_DISRUPTION_HEADLINES) - 1)]
            elif events[r, w] >= 2:
                text = _pick(rng, "geopolitics")
            elif weather[r, w] >= 45:
                text = _pick(rng, "weather")
            elif congestion[r, w] >= (50 if region in SEA_LANES else 38):
                text = _pick(rng, "congestion")
            else:
                text = _pick(rng, "calm")
            out[r, w] = text.format(port=port, region=region)
    return out


def _pick(rng: np.random.Generator, kind: str) -> str:
    options = _HEADLINES[kind]
    return options[int(rng.integers(0, len(options)))]

