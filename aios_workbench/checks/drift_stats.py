"""Drift statistics computed from aggregates (counts, histograms, CDF values), never from raw rows.

Each function reproduces the definition Evidently 0.7.23 uses for its stat test of
the same name (`evidently/legacy/calculations/stattests/`), written from those
definitions and scipy's documented behaviour. scipy is imported lazily.
"""

from __future__ import annotations

import math

import numpy as np

KS_EXACT_MAX_N = 10_000  # scipy's ks_2samp(method="auto"): exact when both samples are this small


def ks_pvalue(d: float, n1: int, n2: int) -> tuple[float, str]:
    """Two-sided two-sample K-S p-value for statistic `d`, chosen like scipy's `method="auto"`."""
    if max(n1, n2) <= KS_EXACT_MAX_N:
        return ks_exact_pvalue(d, n1, n2), "exact"
    from scipy.stats import kstwo

    m, n = sorted((float(n1), float(n2)), reverse=True)
    return float(np.clip(kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0)), "asymp"


def ks_exact_pvalue(d: float, n1: int, n2: int) -> float:
    """P(D >= d) for two samples of sizes n1, n2 without ties, summed directly (never as 1 - P(inside)),
    so a p-value of 1e-80 keeps its digits as scipy's exact mode does.

    A uniformly random monotone lattice path from (0, 0) to (n1, n2) is walked diagonal
    by diagonal with its step probabilities (every number stays in [0, 1]: no binomial
    overflow). A point (i, j) is outside when |i/n1 - j/n2| >= d, i.e. |i*n2 - j*n1| >= h*g
    with d rounded to the lattice (h = round(d * lcm)), as scipy does. The p-value is the
    probability of leaving the band at all: the sum over the band's edge of the mass that
    first steps out there, a sum of positive terms. Only the band's points are carried.
    """
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    h = int(round(d * lcm))
    if h == 0:
        return 1.0
    if n1 > n2:
        n1, n2 = n2, n1
    limit, total = h * g, n1 + n2
    mass = np.zeros(n1 + 2)   # mass[i + 1]: probability of (i, k - i) reached without leaving the band
    mass[1] = 1.0
    low, high = 0, 0          # the band's i-range on the current diagonal k
    left_band: list[float] = []
    for k in range(total):
        steps = total - k
        first, last = max(low, k + 1 - n2), min(high + 1, n1)     # lattice points of diagonal k + 1 in reach
        i = np.arange(first, last + 1)
        stay = mass[first + 1:last + 2] * (n2 - (k - i)) / steps     # a step in j keeps i
        move = mass[first:last + 1] * (n1 - i + 1) / steps           # a step in i from i - 1
        new = stay + move
        outside = np.abs(i * total - (k + 1) * n1) >= limit          # |i*n2 - j*n1| with j = k + 1 - i
        if outside.any():
            left_band.append(float(new[outside].sum()))
            new[outside] = 0.0
        mass[:first + 1] = 0.0
        mass[first + 1:last + 2] = new
        inside = np.flatnonzero(~outside)
        if not len(inside):
            break
        low, high = first + int(inside[0]), first + int(inside[-1])
    return float(min(math.fsum(left_band), 1.0))


def chisquare_pvalue(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    """Evidently's chi-square: expected = reference counts scaled to the current size; returns (stat, p)."""
    from scipy.special import chdtrc

    n_ref, n_cur = ref_counts.sum(), cur_counts.sum()
    expected = ref_counts * (n_cur / n_ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (cur_counts - expected) ** 2 / np.where(expected > 0, expected, 1.0), np.inf)
    stat = float(terms.sum())
    return stat, float(chdtrc(len(ref_counts) - 1, stat))


def z_pvalue(ref_first: int, ref_total: int, cur_first: int, cur_total: int, same_single_value: bool) -> tuple[float, float]:
    """Two-proportion Z-test (pooled) on the share of values other than the first key; returns (z, p)."""
    from scipy.special import ndtr

    if same_single_value:
        return 0.0, 1.0
    p1 = (ref_total - ref_first) / ref_total
    p2 = (cur_total - cur_first) / cur_total
    pooled = (p1 * ref_total + p2 * cur_total) / (ref_total + cur_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / ref_total + 1.0 / cur_total))
    return float(z), float(2 * (1 - ndtr(np.abs(z))))


def fill_zeroes(shares: np.ndarray) -> np.ndarray:
    """Evidently's `feel_zeroes`: an empty bucket gets min(non-empty)/1e6 when that is <= 1e-4, else 1e-4."""
    shares = shares.astype(float).copy()
    nonzero = shares[shares != 0]
    if len(nonzero) == 0:
        return shares
    low = nonzero.min()
    shares[shares == 0] = low / 10 ** 6 if low <= 0.0001 else 0.0001
    return shares


def jensenshannon(ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log), like `scipy.spatial.distance.jensenshannon`."""
    p = ref_shares / ref_shares.sum()
    q = cur_shares / cur_shares.sum()
    m = (p + q) / 2.0

    def rel_entr(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, x * np.log(x / np.where(y > 0, y, 1.0)), 0.0)

    return float(np.sqrt((rel_entr(p, m).sum() + rel_entr(q, m).sum()) / 2.0))


def psi(ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    """Population stability index over buckets, empty buckets filled like Evidently."""
    r, c = fill_zeroes(ref_shares), fill_zeroes(cur_shares)
    return float(np.sum((r - c) * np.log(r / c)))


def sturges_edges(lo: float, hi: float, n: int) -> np.ndarray:
    """`numpy.histogram_bin_edges(data, "sturges")` from the data's min, max and size."""
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / (np.log2(n) + 1.0)
    bins = int(np.ceil((hi - lo) / width)) if width else 1
    return np.linspace(lo, hi, bins + 1)


def wasserstein_from_histogram(ref_counts: np.ndarray, cur_counts: np.ndarray, width: float) -> tuple[float, float]:
    """First Wasserstein distance from two histograms on the same equal-width bins.

    Both CDFs are exact at the bin edges and taken as linear inside a bin; the
    returned bound on the error is sum over bins of width * (ref share + cur share),
    since neither CDF strays from its chord by more than its bin's mass.
    """
    r = ref_counts / ref_counts.sum()
    c = cur_counts / cur_counts.sum()
    diff = np.concatenate([[0.0], np.cumsum(r) - np.cumsum(c)])
    d0, d1 = diff[:-1], diff[1:]
    same_sign = d0 * d1 >= 0
    a0, a1 = np.abs(d0), np.abs(d1)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(a0 + a1 > 0, (d0 ** 2 + d1 ** 2) / (2 * (a0 + a1)), 0.0)
    area = np.where(same_sign, (a0 + a1) / 2, crossing) * width
    bound = float(np.sum((r + c) * width))
    return float(area.sum()), bound


def decile_psi_from_histogram(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """PSI over 10 buckets cut at the reference's deciles (taken at the histogram's bin edges)."""
    cum = np.cumsum(ref_counts) / ref_counts.sum()
    cuts = sorted({int(np.searchsorted(cum, q - 1e-12)) + 1 for q in np.arange(1, 10) / 10})
    cuts = [c for c in cuts if 0 < c < len(ref_counts)]
    ref_b = np.add.reduceat(ref_counts, [0, *cuts])
    cur_b = np.add.reduceat(cur_counts, [0, *cuts])
    return psi(ref_b / ref_b.sum(), cur_b / cur_b.sum())
