"""`GET checks/history` (also `aios check history` and the dashboard's Quality page): the governed ledger read
against the raw one, on a ledger of 6,000 check runs.

Candidate: `service.checks.history(user, limit=50)`: the read-grant scopes filtered in SQL (a NOT EXISTS over
each run's datasets), each row checked again, and each run's values kept or reduced to its verdicts by
comparing the reader's views with the ones recorded for its runner (cached per policy generation).
Baseline: `Ledger(store).history(limit=50)`, the raw read the service answered before issue #17 (it then
only dropped other people's examples). Target (issue #17): within 1.2x of the raw read.

The workspace (`.aios/bench/ledger_v1/`, built once, ~30 s) holds a DuckDB source with three tables and a
policy: an analyst with a hash mask and a row filter and no grant on `salaries`, and a steward who sees
everything. The ledger: 6,000 quality runs with five items each (metrics and three example rows), a third
by the analyst over `people`, a third by the steward over `people`, a sixth each by the steward over
`salaries` (hidden from the analyst) and over `events`.
"""

from __future__ import annotations

from pathlib import Path

from bench.harness import Comparison, benchmark, cached_workspace, interleave
from bench.servers import REPO

VERSION = 1
DATA = REPO / ".aios" / "bench" / f"ledger_v{VERSION}"
RUNS = 6_000
PAGE = 50
BASELINE = "raw ledger read, same page"
POLICY = """\
datasets:
  hr.main.people:
    columns:
      email: [pii.email]
roles:
  analyst: {description: "masked e-mails, EU rows only"}
  steward: {description: everything raw, audit: true}
users:
  ana: {roles: [analyst], attributes: {region: EU}}
  sam: {roles: [steward]}
grants:
  - {role: analyst, scope: hr.main.people}
  - {role: analyst, scope: hr.main.events}
  - {role: steward, scope: "*"}
masks:
  - {tag: pii.email, method: hash, unmasked_for: [steward]}
row_filters:
  - {dataset: hr.main.people, predicate: "region = {user.region}", exempt_roles: [steward]}
"""
# (user, dataset) of each run, in a repeating cycle of six
CYCLE = [("ana", "hr.main.people"), ("sam", "hr.main.people"), ("ana", "hr.main.people"),
         ("sam", "hr.main.people"), ("sam", "hr.main.salaries"), ("sam", "hr.main.events")]


def workspace() -> Path:
    """The seeded workspace, built once."""
    return cached_workspace(DATA, "bench-ledger", policy=POLICY, populate=_populate)


def _populate(root: Path) -> None:
    import duckdb

    from aios_workbench.catalog import scan_catalog
    from aios_workbench.checks.ledger import Ledger
    from aios_workbench.checks.result import CheckItem, CheckResult
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute("CREATE TABLE people AS SELECT i AS id, 'p' || i || '@example.com' AS email, "
                "(['EU','US'])[1 + i % 2] AS region FROM range(1000) t(i)")
    con.execute("CREATE TABLE salaries AS SELECT i AS id, 50000 + i AS salary FROM range(1000) t(i)")
    con.execute("CREATE TABLE events AS SELECT i AS id, i % 7 AS kind FROM range(1000) t(i)")
    con.close()
    (root / "connectors" / "hr.yaml").write_text("name: hr\ntype: duckdb\noptions: {path: hr.duckdb}\n")
    service = WorkbenchService(Workspace.load(root), mode="local")
    try:
        scan_catalog(service.workspace, service.store)
        service.queries.refresh()
        ledger = Ledger(service.store)
        views = {(u, d): service.checks.views.recorded(u, [d]) for u, d in set(CYCLE)}
        for i in range(RUNS):
            user, dataset = CYCLE[i % len(CYCLE)]
            examples = [{"id": j, "email": f"p{j}@example.com", "region": "EU"} for j in range(3)]
            items = [CheckItem(f"rule_{k}", "fail" if k == 0 else "pass",
                               {"failing_rows": 3 if k == 0 else 0, "rows": 500, "failing_fraction": 0.006},
                               {"predicate": f'"id" > {k}', "examples": examples if k == 0 else []})
                     for k in range(5)]
            result = CheckResult(kind="quality", name=f"{dataset.split('.')[-1]}_basics", items=items,
                                 inputs={dataset: {"rows": 500}}, params={"dataset": dataset})
            ledger.record(result, user=user, datasets=[dataset], views=views[(user, dataset)])
    finally:
        service.close()


def _compare(name: str, user: str, repeat: int) -> Comparison:
    from aios_workbench.checks.ledger import Ledger
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    service = WorkbenchService(Workspace.load(workspace()), mode="local")
    ledger = Ledger(service.store)
    seen: dict[str, list] = {}
    try:
        def candidate():
            seen["governed"] = service.checks.history(user, limit=PAGE)

        def baseline():
            seen["raw"] = ledger.history(limit=PAGE)

        cand, base = interleave(candidate, baseline, repeat=repeat)
    finally:
        service.close()
    governed = seen["governed"]
    withheld = sum(r["withheld"] is not None for r in governed)
    notes = [f"first page ({PAGE} runs) of a ledger of {RUNS:,} check runs, read as {user}; the governed page "
             f"holds {len(governed)} runs ({withheld} reduced to their verdicts), the raw page "
             f"{len(seen['raw'])} of every user's runs"]
    return Comparison(name, BASELINE, cand, base, notes)


@benchmark("checks history as an analyst, governed vs raw ledger read", baseline=BASELINE, repeat=30)
def analyst(repeat: int) -> Comparison:
    """An analyst's first page: a sixth of the runs hidden, half reduced to verdicts."""
    return _compare("checks history as an analyst, governed vs raw ledger read", "ana", repeat)


@benchmark("checks history as a steward, governed vs raw ledger read", baseline=BASELINE, repeat=30)
def steward(repeat: int) -> Comparison:
    """A steward's first page (a grant on everything: no SQL filter; views compared)."""
    return _compare("checks history as a steward, governed vs raw ledger read", "sam", repeat)
