"""Monte-Carlo scenario draws (`wb.simulate`) over 40,000 orders of 600 suppliers, against a loop per supplier.

Candidate: `aios_workbench.simulation.bootstrap` (all suppliers drawn at once in numpy, in bounded chunks):
10,000 draws per supplier of the lead time, with mean, spread, 5/50/95% quantiles and the chance of staying
within 30 days. Baseline: what a notebook does by hand, a pandas groupby with numpy's `choice` per supplier and
the same statistics. The history is generated (seeded gamma lead times), the size of the demo's orders.
The governed read before the draws is the query path, benchmarked on its own. Target (issue #21): <= 1 s.
"""

from __future__ import annotations

import statistics

import numpy as np

from bench.harness import Comparison, benchmark, interleave

BASELINE = "pandas groupby + numpy choice per supplier"
ORDERS, SUPPLIERS, DRAWS, LIMIT = 40_000, 600, 10_000, 30.0
TARGET = 1.0


def history(seed: int = 5):
    """(supplier keys, lead times) of `ORDERS` orders: each supplier its own gamma-shaped lead time."""
    rng = np.random.default_rng(seed)
    suppliers = rng.integers(0, SUPPLIERS, ORDERS)
    shape, scale = rng.uniform(2, 9, SUPPLIERS), rng.uniform(1.5, 5, SUPPLIERS)
    lead = np.round(rng.gamma(shape[suppliers], scale[suppliers]))
    return np.array([f"SUP-{s:04d}" for s in suppliers], dtype=object), lead


def by_hand(keys, values, seed: int = 1):
    """The baseline: one numpy draw per supplier in a pandas groupby loop."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for key, group in pd.DataFrame({"k": keys, "v": values}).groupby("k", sort=False)["v"]:
        outcomes = rng.choice(group.to_numpy(), size=DRAWS, replace=True)
        low, mid, high = np.quantile(outcomes, (0.05, 0.5, 0.95))
        rows.append((key, outcomes.mean(), outcomes.std(), low, mid, high, (outcomes <= LIMIT).mean()))
    return rows


@benchmark("simulate 10,000 draws over 40,000 orders", baseline=BASELINE, repeat=8)
def simulate_draws(repeat: int) -> Comparison:
    """10,000 bootstrap draws of the lead time for each of 600 suppliers over 40,000 orders vs a loop per supplier."""
    from aios_workbench.simulation import bootstrap

    keys, values = history()
    seeds = iter(range(10_000))

    def candidate() -> None:
        result = bootstrap(keys, values, draws=DRAWS, limit=LIMIT, seed=next(seeds))
        if len(result.groups) != SUPPLIERS:
            raise RuntimeError(f"{len(result.groups)} suppliers simulated, not {SUPPLIERS}")

    def baseline() -> None:
        by_hand(keys, values)

    cand, base = interleave(candidate, baseline, repeat=repeat, warmup=1)
    result = Comparison("simulate 10,000 draws over 40,000 orders", BASELINE, cand, base)
    p50 = statistics.median(cand)
    result.notes.append(f"{ORDERS:,} orders, {SUPPLIERS} suppliers, {DRAWS:,} draws each "
                        f"({SUPPLIERS * DRAWS:,} outcomes); target <= {TARGET:.0f} s: "
                        f"{'met' if p50 <= TARGET else 'MISSED'} (p50 {p50:.2f} s)")
    started_20 = __import__("time").perf_counter()
    bootstrap(keys, values, draws=DRAWS, batch=20, limit=LIMIT, seed=99)
    result.notes.append(f"the same with 20-order means per draw (batch=20, 120M records drawn): "
                        f"{__import__('time').perf_counter() - started_20:.2f} s")
    return result
