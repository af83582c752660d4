"""`wb.simulate(...)`: Monte-Carlo "what if" over governed history, e.g. the lead time of moving 20 orders to
each alternate supplier:

    wb.simulate("SELECT o.supplier_id, s.lead_time_days FROM purchase_orders o JOIN shipments s USING (po_id)",
                by="supplier_id", value="lead_time_days", batch=20, within=30)

The history is read through the governed query path (your grants, masks and row filters; audited), then drawn
in this kernel (`simulation/montecarlo.py`)."""

from __future__ import annotations

import re
from typing import Any

from aios_workbench.core.errors import UsageError
from aios_workbench.kernel.client import sql, table
from aios_workbench.simulation import bootstrap

_QUERY = re.compile(r"^\s*(select|with|from|\()", re.IGNORECASE)


def simulate(history: str, *, by: str | list[str], value: str, draws: int = 10_000, batch: int = 1,
             within: float | None = None, seed: int | None = None, as_: str = "polars"):
    """Per group of `by`, `draws` outcomes of `value`, each the mean of `batch` records drawn with replacement
    from the group's governed history (`history`: a SELECT or a dataset name). Returns one row per group:
    `n_history`, `mean`, `std`, `p05`, `p50`, `p95` and, with `within`, `p_within` (the chance an outcome stays
    at or under `within`, e.g. on time against a promised lead time), sorted by `mean`."""
    import polars as pl  # lazy: polars loads on the first wb.simulate

    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise UsageError("simulate needs at least one column to group by", fix="pass by='supplier_id'", input="by")
    frame = sql(history) if _QUERY.match(history) else table(history)
    missing = [c for c in (*keys, value) if c not in frame.columns]
    if missing:
        raise UsageError(f"the history has no column {', '.join(repr(c) for c in missing)}",
                         fix=f"its columns: {', '.join(frame.columns)}", input=", ".join(missing))
    if not frame[value].dtype.is_numeric():
        raise UsageError(f"{value!r} is not a number here ({frame[value].dtype}): a masked column cannot be "
                         "simulated", fix="simulate a numeric column you may read unmasked", input=value)
    group_keys = frame[keys[0]].to_list() if len(keys) == 1 else list(frame.select(keys).iter_rows())
    result = bootstrap(group_keys, frame[value].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
                       draws=draws, batch=batch, limit=within, seed=seed)
    columns: dict[str, Any] = {key: [g if len(keys) == 1 else g[i] for g in result.groups]
                               for i, key in enumerate(keys)}
    columns.update({"n_history": result.n_history, "mean": result.mean, "std": result.std, "p05": result.p05,
                    "p50": result.p50, "p95": result.p95})
    if result.p_within is not None:
        columns["p_within"] = result.p_within
    out = pl.DataFrame(columns).sort("mean")
    if as_ == "polars":
        return out
    if as_ == "pandas":
        return out.to_pandas()
    raise UsageError(f"unknown result type {as_!r}", fix="use as_='polars' or 'pandas'", input=as_)
