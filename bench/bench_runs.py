"""`GET runs` (what `wb.runs()`, the sidebar's Runs tab and the dashboard's leaderboard ask) on an
experiment of 10,000 runs, against MLflow's own `search_runs` for the same page.

Candidate: `tracking.runs_query.list_runs` — the route's code without HTTP — for the first page and for
page 20 (reached by following `next_page_token`, as the widget's "next" does; only the last request
is timed). Baseline: `MlflowClient.search_runs` with the same experiment, order, page size and token.
Both read the same SQLite store: the 10,000 seeded runs of the dashboard benchmark's workspace
(`bench/bench_dashboard.py`, built once into `.aios/bench/`). Issue #6 asks that the widget stay
responsive with 10,000 runs: pages cost what MLflow's own paged search costs, never a full load.
"""

from __future__ import annotations

from bench.bench_dashboard import RUNS
from bench.harness import Comparison, benchmark, interleave

BASELINE = "MlflowClient.search_runs, same page"
EXPERIMENT = "bench-dashboard"
PAGE_SIZE, DEEP_PAGE = 50, 20


def _setup():
    from mlflow import MlflowClient

    from aios_workbench.tracking import tracking_uri
    from aios_workbench.workspace import Workspace
    from bench.bench_dashboard import workspace

    ws = Workspace.load(workspace())
    client = MlflowClient(tracking_uri(ws))
    experiment = client.get_experiment_by_name(EXPERIMENT).experiment_id
    return ws, client, experiment


def _token_of_page(client, experiment: str, page: int) -> str | None:
    token = None
    for _ in range(page - 1):
        token = client.search_runs([experiment], max_results=PAGE_SIZE, order_by=["attributes.start_time DESC"],
                                   page_token=token).token
    return token


def _compare(name: str, page: int, repeat: int) -> Comparison:
    from aios_workbench.tracking import runs_query

    ws, client, experiment = _setup()
    token = _token_of_page(client, experiment, page)
    seen = {}

    def candidate():
        seen["ours"] = runs_query.list_runs(ws, experiment=EXPERIMENT, limit=PAGE_SIZE, page_token=token,
                                            order_by="attributes.start_time DESC")

    def baseline():
        seen["mlflow"] = client.search_runs([experiment], max_results=PAGE_SIZE, page_token=token,
                                            order_by=["attributes.start_time DESC"])

    cand, base = interleave(candidate, baseline, repeat=repeat)
    ours, theirs = seen["ours"]["runs"], list(seen["mlflow"])
    same = [r["id"] for r in ours] == [r.info.run_id for r in theirs]
    notes = [f"page {page} ({PAGE_SIZE} runs) of an experiment with {RUNS:,} runs; both sides returned the "
             f"same runs in the same order: {same}"]
    return Comparison(name, BASELINE, cand, base, notes)


@benchmark("runs list, first page of 10,000 runs", baseline=BASELINE, repeat=15)
def first_page(repeat: int) -> Comparison:
    """The first page of an experiment with 10,000 runs."""
    return _compare("runs list, first page of 10,000 runs", 1, repeat)


@benchmark("runs list, page 20 of 10,000 runs", baseline=BASELINE, repeat=15)
def deep_page(repeat: int) -> Comparison:
    """Page 20 (runs 951-1000), reached by its page token."""
    return _compare("runs list, page 20 of 10,000 runs", DEEP_PAGE, repeat)
