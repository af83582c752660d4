"""Fairness metrics on 10M predictions: our governed check vs fairlearn's MetricFrame, in one process.

Candidate: `checks.fairness.fairness("bench_fair.main.predictions", ...)` with
`run_sql` = `WorkbenchService(mode="local").queries.run(..., surface="check").to_arrow()`:
a zero-row schema probe plus one aggregate statement grouped by the sensitive
feature, through parse, authorize, rewrite, the locked engine and audit.

Baselines: fairlearn 0.15 `MetricFrame` (selection_rate, TPR, FPR, accuracy) on
the same Parquet file in pandas, with the three disparity metrics derived from
that one frame (`.difference()` / `.ratio()`: the fastest way fairlearn offers,
rather than its three functions, each of which builds a MetricFrame again).
Two baselines from the same interleaved rounds (fairlearn takes minutes here, so it
runs once per round): load (`pandas.read_parquet` of the three columns) +
compute, and the compute part alone, timed apart within each run.

Data: 10M rows generated once with DuckDB into `.aios/bench/predictions_10000000/`
(five imbalanced segments, 50/25/15/7/3 %, with different base and error rates).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from bench.harness import Comparison, benchmark

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".aios" / "bench"
ROWS = 10_000_000
VERSION = 1
SOURCE, USER = "bench_fair", "bench_fair"
TABLE = f"{SOURCE}.main.predictions"
COLUMNS = ["segment", "y_true", "y_pred"]

GENERATE_SQL = """
WITH draws AS (
    SELECT i, hash(i) % 100 AS h, hash(i + 1) % 1000 AS u, hash(i + 2) % 1000 AS v FROM range({rows}) t(i)
), segments AS (
    SELECT i, CASE WHEN h < 50 THEN 0 WHEN h < 75 THEN 1 WHEN h < 90 THEN 2 WHEN h < 97 THEN 3 ELSE 4 END AS k, u, v
    FROM draws
), labelled AS (
    SELECT i, k, CAST(u < 300 + 100 * k AS INTEGER) AS y_true, v FROM segments
)
SELECT i AS id, (['north', 'south', 'east', 'west', 'island'])[k + 1] AS segment, y_true,
       CASE WHEN v < 100 + 30 * k THEN 1 - y_true ELSE y_true END AS y_pred
FROM labelled
"""

POLICY = f"""\
# Throwaway policy of the fairness benchmark (bench/bench_fairness.py).
datasets: {{}}
roles:
  scorer: {{description: "grant only"}}
users:
  {USER}:
    roles: [scorer]
grants:
  - {{role: scorer, scope: {SOURCE}}}
"""


def parquet_file() -> Path:
    """The cached 10M-row predictions file, generated on first use (atomically)."""
    folder = CACHE / f"predictions_{ROWS}"
    path = folder / f"predictions_v{VERSION}.parquet"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".predictions_v{VERSION}.parquet.partial"
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute(f"COPY ({GENERATE_SQL.format(rows=ROWS)}) TO '{partial}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    finally:
        con.close()
    partial.replace(path)
    print(f"generated {path} ({ROWS:,} rows, {path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    return path


_service = None


def service():
    """A local `WorkbenchService` over a throwaway workspace with one `files` source (removed at exit)."""
    global _service
    if _service is None:
        from bench.governed_data import files_workspace, service_over

        _service = service_over(files_workspace("bench-fairness", {SOURCE: (parquet_file(), "predictions")},
                                                POLICY))
    return _service


def ours() -> dict:
    from aios_workbench.checks.fairness import fairness

    queries = service().queries
    result = fairness(TABLE, y_true="y_true", y_pred="y_pred", sensitive="segment",
                      run_sql=lambda sql: queries.run(sql, user=USER, surface="check").to_arrow())
    return result.params["metrics"]


def load():
    import pandas as pd

    return pd.read_parquet(parquet_file(), columns=COLUMNS)


def fairlearn_metrics(frame) -> dict:
    """MetricFrame once, the three disparity metrics from it (fairlearn's definitions, its cheapest path)."""
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                              "fpr": false_positive_rate, "accuracy": accuracy_score},
                     y_true=frame["y_true"], y_pred=frame["y_pred"], sensitive_features=frame["segment"])
    difference, ratio = mf.difference(), mf.ratio()
    return {"demographic_parity_difference": difference["selection_rate"],
            "demographic_parity_ratio": ratio["selection_rate"],
            "equalized_odds_difference": max(difference[["tpr", "fpr"]])}


def agreement(candidate: dict, reference: dict) -> str:
    worst = max(abs(candidate[name] - float(value)) for name, value in reference.items())
    return (f"agreement on this data: the three metrics differ from fairlearn's by at most {worst:.1e} "
            f"(DPD {candidate['demographic_parity_difference']:.6f}, DPR {candidate['demographic_parity_ratio']:.6f}, "
            f"EOD {candidate['equalized_odds_difference']:.6f}).")


_rounds: dict[int, dict] = {}


def rounds(repeat: int) -> dict:
    """`repeat` interleaved rounds (order alternating), each: our check, then fairlearn with load and compute timed apart.

    fairlearn's MetricFrame takes minutes on 10M rows, so both comparisons share these rounds
    instead of running it twice as often: "load + compute" is each fairlearn run's total,
    "compute only" its compute part on the frame it just loaded.
    """
    if repeat in _rounds:
        return _rounds[repeat]
    import fairlearn.metrics  # noqa: F401  imports stay outside the timings
    import sklearn.metrics  # noqa: F401

    service()   # workspace, scan and engine start stay outside the timings too
    ours()      # warm-up of our side (rewrite cache, file cache); fairlearn is too slow to warm up twice
    samples = {"ours": [], "load": [], "compute": []}
    reference = {}

    def fairlearn_run() -> None:
        started = time.perf_counter()
        frame = load()
        loaded = time.perf_counter()
        reference.update(fairlearn_metrics(frame))
        samples["load"].append(loaded - started)
        samples["compute"].append(time.perf_counter() - loaded)

    def our_run() -> None:
        started = time.perf_counter()
        reference_ours.update(ours())
        samples["ours"].append(time.perf_counter() - started)

    reference_ours: dict = {}
    for round_no in range(repeat):
        for run in ((our_run, fairlearn_run) if round_no % 2 == 0 else (fairlearn_run, our_run)):
            run()
    _rounds[repeat] = {**samples, "agreement": agreement(reference_ours, reference)}
    return _rounds[repeat]


def notes(result: Comparison, measured: dict) -> Comparison:
    result.notes.append(f"ours is {1 / result.ratio:,.0f}x faster (inverse of the per-round median ratio "
                        f"{result.ratio:.4f}, which the table rounds).")
    result.notes.append(f"{ROWS:,} predictions, 5 segments (Parquet {parquet_file().stat().st_size / 1e6:.0f} MB); "
                        f"ours as `{USER}` (grant only) through `queries.run(..., surface=\"check\")`, engine 2 threads, "
                        "4 GB (workspace defaults); fairlearn in this process, pandas frame of 3 columns.")
    result.notes.append(measured["agreement"])
    return result


@benchmark("fairness 10M vs fairlearn, load + compute", baseline="fairlearn MetricFrame, read_parquet + compute",
           repeat=2)
def fairness_load_and_compute(repeat: int) -> Comparison:
    """Fairness check on 10M Parquet predictions, governed, vs pandas.read_parquet + fairlearn MetricFrame."""
    measured = rounds(repeat)
    base = [load + compute for load, compute in zip(measured["load"], measured["compute"], strict=False)]
    result = Comparison("fairness 10M vs fairlearn, load + compute", "fairlearn MetricFrame, read_parquet + compute",
                        list(measured["ours"]), base)
    result.notes.append("of the baseline, pandas.read_parquet: " +
                        ", ".join(f"{s:.2f} s" for s in measured["load"]) + " per run.")
    return notes(result, measured)


@benchmark("fairness 10M vs fairlearn, compute only", baseline="fairlearn MetricFrame on a loaded DataFrame",
           repeat=2)
def fairness_compute_only(repeat: int) -> Comparison:
    """Fairness check on 10M Parquet predictions, governed, vs fairlearn MetricFrame on a frame already in memory."""
    measured = rounds(repeat)
    result = Comparison("fairness 10M vs fairlearn, compute only", "fairlearn MetricFrame on a loaded DataFrame",
                        list(measured["ours"]), list(measured["compute"]))
    result.notes.append("the same rounds as the load + compute comparison; the baseline excludes its load, while ours "
                        "still reads the Parquet file on every run.")
    return notes(result, measured)
