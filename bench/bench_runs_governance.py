"""`GET runs` governed (issue #17: runs are private to their readers) against the ungoverned listing of
before, on the experiment of 10,000 runs the dashboard benchmark seeds (`bench/bench_dashboard.py`).

Candidate: `service.runs.page(user, ...)`: for an owner, the search narrowed in MLflow's own filter to his
runs (`tags.aios.user = ...`), then each run judged (one ledger query for the page's check links, his views
of the run's datasets); for an auditor, no narrowing, each run judged against its owner's views (a run that
names no dataset: against every dataset of the 1,000-table catalog its owner may read, once per owner and
policy). Baseline: `tracking.runs_query.list_runs(ws, ...)`, the same page without a governor (what `GET runs`
answered before). Target (issue #17): within 1.2x.
"""

from __future__ import annotations

from bench.bench_dashboard import RUNS
from bench.harness import Comparison, benchmark, interleave

BASELINE = "ungoverned runs listing, same page"
EXPERIMENT = "bench-dashboard"
PAGE_SIZE = 50
ORDER = "attributes.start_time DESC"


def _compare(name: str, user: str, repeat: int) -> Comparison:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.tracking import runs_query
    from aios_workbench.workspace import Workspace
    from bench.bench_dashboard import workspace

    ws = Workspace.load(workspace())
    service = WorkbenchService(ws, mode="local")
    seen: dict[str, dict] = {}
    try:
        def candidate():
            seen["governed"] = service.runs.page(user, experiment=EXPERIMENT, limit=PAGE_SIZE, order_by=ORDER)

        def baseline():
            seen["raw"] = runs_query.list_runs(ws, experiment=EXPERIMENT, limit=PAGE_SIZE, order_by=ORDER)

        cand, base = interleave(candidate, baseline, repeat=repeat)
    finally:
        service.close()
    governed, raw = seen["governed"]["runs"], seen["raw"]["runs"]
    same = [r["id"] for r in governed] == [r["id"] for r in raw]
    withheld = sum(r["withheld"] is not None for r in governed)
    notes = [f"first page ({PAGE_SIZE} runs) of an experiment of {RUNS:,} runs owned by ana, read as {user}: "
             f"same runs in the same order as the ungoverned listing: {same}; {withheld} reduced to verdicts"]
    return Comparison(name, BASELINE, cand, base, notes)


@benchmark("runs list as their owner, governed vs ungoverned", baseline=BASELINE, repeat=15)
def owner(repeat: int) -> Comparison:
    """The owner's first page: the search narrowed to his runs in MLflow's filter."""
    return _compare("runs list as their owner, governed vs ungoverned", "ana", repeat)


@benchmark("runs list as an auditor, governed vs ungoverned", baseline=BASELINE, repeat=15)
def auditor(repeat: int) -> Comparison:
    """An auditor's first page of someone else's runs: no narrowing, every run judged."""
    return _compare("runs list as an auditor, governed vs ungoverned", "audrey", repeat)
