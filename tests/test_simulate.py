"""`wb.simulate`: Monte-Carlo draws over governed history, checked against figures computed independently in
SQL on the raw history (as the steward): the draws' mean and the chance of staying within a limit match the
history's own, the quantiles of 20-order means match their exact distribution (the empirical distribution convolved 20 times), the same seed repeats, and an
analyst's simulation sees only the suppliers his row filter lets him read."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import aios_serve, copy_demo_workspace

HISTORY = ("SELECT o.supplier_id, s.lead_time_days FROM purchase_orders o "
           "JOIN shipments s ON s.po_id = o.po_id")
LIMIT = 30


@pytest.fixture(scope="module")
def served(demo_workspace, tmp_path_factory):
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.service.tokens import ServiceTokens

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("simulate") / "demo")
    tokens = {user: ServiceTokens(ws.state_dir).add(user)[1] for user in ("alice", "bob")}
    service = WorkbenchService(ws, mode="local")
    try:
        with aios_serve(ws.root, token="simulate-service") as url:
            yield url, tokens, service
    finally:
        service.close()


def as_user(served, user: str):
    import aios_workbench as wb

    url, tokens, _ = served
    wb.connect(url, tokens[user])
    return wb


def raw(served, sql: str) -> list[dict]:
    """The oracle's figures: plain SQL over the raw history, as the steward (no masks, no row filter)."""
    return served[2].queries.run(sql, user="carol", surface="api").to_arrow().to_pylist()


def test_the_draws_match_the_history_they_come_from(served):
    wb = as_user(served, "alice")
    result = wb.simulate(HISTORY, by="supplier_id", value="lead_time_days", draws=10_000, within=LIMIT, seed=1)
    truth = {r["supplier_id"]: r for r in raw(served, f"""
        SELECT o.supplier_id, count(*) n, avg(s.lead_time_days) m, stddev_pop(s.lead_time_days) sd,
               avg(CASE WHEN s.lead_time_days <= {LIMIT} THEN 1.0 ELSE 0.0 END) p
        FROM purchase_orders o JOIN shipments s ON s.po_id = o.po_id
        WHERE s.lead_time_days IS NOT NULL GROUP BY ALL""")}
    assert set(result["supplier_id"]) == set(truth)
    for row in result.iter_rows(named=True):
        t = truth[row["supplier_id"]]
        assert row["n_history"] == t["n"]
        assert abs(row["mean"] - t["m"]) <= 5 * (t["sd"] or 0.01) / math.sqrt(10_000) + 1e-9
        assert abs(row["p_within"] - t["p"]) <= 5 * math.sqrt(max(t["p"] * (1 - t["p"]), 1e-4) / 10_000)
    assert list(result["mean"]) == sorted(result["mean"])        # best (shortest) first


def exact_quantile_of_mean(values: list[int], batch: int, q: float) -> float:
    """The q-quantile of the mean of `batch` draws with replacement from `values` (integers), computed exactly:
    the empirical distribution convolved `batch` times (no sampling)."""
    low = min(values)
    pmf = np.bincount(np.asarray(values) - low) / len(values)
    total = np.array([1.0])
    for _ in range(batch):
        total = np.convolve(total, pmf)
    cdf = np.cumsum(total)
    k = int(np.searchsorted(cdf, q - 1e-12))          # the smallest sum whose cdf reaches q
    return (k + batch * low) / batch


def test_the_spread_of_20_order_means_matches_the_exact_distribution(served):
    wb = as_user(served, "alice")
    result = wb.simulate(HISTORY, by="supplier_id", value="lead_time_days", draws=20_000, batch=20, seed=2)
    histories = {r["supplier_id"]: r["v"] for r in raw(served, """
        SELECT o.supplier_id, list(s.lead_time_days) v FROM purchase_orders o JOIN shipments s ON s.po_id = o.po_id
        WHERE s.lead_time_days IS NOT NULL GROUP BY ALL HAVING count(*) >= 40""")}
    checked = 0
    for row in result.iter_rows(named=True):
        values = histories.get(row["supplier_id"])
        if values is None or len(set(values)) < 2:
            continue
        spread = float(np.std(values)) / math.sqrt(20)
        assert abs(row["std"] - spread) <= 0.05 * spread
        for name, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
            assert abs(row[name] - exact_quantile_of_mean(values, 20, q)) <= 0.1 + 0.05 * spread, (name, row)
        checked += 1
    assert checked >= 100


def test_the_same_seed_repeats_and_another_does_not(served):
    wb = as_user(served, "alice")
    first = wb.simulate(HISTORY, by="supplier_id", value="lead_time_days", draws=2_000, seed=7)
    again = wb.simulate(HISTORY, by="supplier_id", value="lead_time_days", draws=2_000, seed=7)
    other = wb.simulate(HISTORY, by="supplier_id", value="lead_time_days", draws=2_000, seed=8)
    assert first.equals(again) and not first.equals(other)


def test_an_analyst_simulates_only_the_suppliers_he_may_read(served):
    wb = as_user(served, "bob")               # analyst: suppliers of his region only; no grant on shipments
    prices = wb.simulate("SELECT o.supplier_id, o.unit_price FROM purchase_orders o "
                         "JOIN suppliers s ON s.supplier_id = o.supplier_id", by="supplier_id", value="unit_price",
                         draws=1_000, seed=3)
    his = {r["supplier_id"] for r in raw(served, "SELECT DISTINCT o.supplier_id FROM purchase_orders o JOIN "
                                         "suppliers s ON s.supplier_id = o.supplier_id "
                                         "WHERE s.region = 'Northern Europe'")}
    assert set(prices["supplier_id"]) == his and 0 < len(his) < 599
    from aios_workbench.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        wb.simulate(HISTORY, by="supplier_id", value="lead_time_days")


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"value": "buyer_email"}, "is not a number here"),
    ({"value": "lead_time"}, "has no column 'lead_time'"),
    ({"value": "unit_price", "draws": 0}, "draws must be between 1"),
    ({"value": "unit_price", "batch": 0}, "batch (records averaged per draw)"),
])
def test_bad_input_is_refused_with_the_fix(served, kwargs, says):
    from aios_workbench.core.errors import UsageError

    wb = as_user(served, "alice")
    with pytest.raises(UsageError) as refused:
        wb.simulate("purchasing_warehouse.procurement.purchase_orders", by="supplier_id", **kwargs)
    assert says in str(refused.value) or says in refused.value.message


def test_single_draws_summarised_by_counting_equal_the_statistics_of_the_draws_themselves():
    """The one-record path counts hits instead of sorting the draws: it must give what numpy gives on the
    draws (the same seed draws the same records)."""
    from aios_workbench.simulation import bootstrap

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 7, 5_000).astype(str)
    values = np.round(rng.gamma(3, 4, 5_000), 1)
    fast = bootstrap(keys, values, draws=1_001, limit=12.0, seed=11)
    # the same draws, taken again and summarised directly
    codes = {k: i for i, k in enumerate(dict.fromkeys(keys.tolist()))}
    order = np.lexsort((values, np.array([codes[k] for k in keys])))
    by_group = [values[order][np.array([codes[k] for k in keys])[order] == g] for g in range(len(codes))]
    u = np.random.default_rng(11).random((len(codes), 1_001))
    for g, history in enumerate(by_group):
        drawn = history[(u[g] * len(history)).astype(np.int64)]
        assert fast.mean[g] == pytest.approx(drawn.mean(), rel=1e-12)
        assert fast.std[g] == pytest.approx(drawn.std(), rel=1e-9)
        assert [fast.p05[g], fast.p50[g], fast.p95[g]] == pytest.approx(list(np.quantile(drawn, (0.05, 0.5, 0.95))))
        assert fast.p_within[g] == pytest.approx((drawn <= 12.0).mean())
