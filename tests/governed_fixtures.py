"""A small governed workspace with known raw values, shared by the query-path tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

RAW_MARKERS = ("secret.example", "-45-6789", "Secretson", "Rawname")
FILTERED_MARKER = "FILTERED-OUT-MARKER"
UNGRANTED_MARKER = "UNGRANTED-MARKER"
EU_ROWS, US_ROWS = 8, 4
EVENT_ROWS = 300_000

POLICY = """
datasets:
  hr.main.people:
    description: Employees.
    owners: [hr@example.com]
    columns:
      email: [pii.email]
      name: [pii.person_name]
roles:
  analyst: {description: "sees EU rows, PII masked"}
  steward: {description: sees everything raw, audit: true}
  outsider: {description: no grants}
users:
  ana:
    roles: [analyst]
    attributes: {region: EU}
  sam:
    roles: [steward]
    may_impersonate: [ana]
  otto:
    roles: [outsider]
  nora:
    roles: [analyst]
grants:
  - {role: analyst, scope: hr.main.people}
  - {role: analyst, scope: hr.main.events}
  - {role: steward, scope: "*"}
masks:
  - {tag: pii.email, method: hash, unmasked_for: [steward]}
  - {column: hr.main.people.ssn, method: redact, unmasked_for: [steward]}
  - {tag: pii.person_name, method: partial, unmasked_for: [steward]}
  - {column: hr.main.people.salary, method: "null", unmasked_for: [steward]}
row_filters:
  - {dataset: hr.main.people, predicate: "region = {user.region}", exempt_roles: [steward]}
"""


def build_governed_workspace(root: Path) -> Path:
    from aios_workbench.workspace.scaffold import init_workspace

    init_workspace(root, name="governed")
    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute("CREATE TABLE people (id INTEGER, name VARCHAR, email VARCHAR, ssn VARCHAR, region VARCHAR, "
                "salary INTEGER, note VARCHAR)")
    rows = []
    for i in range(EU_ROWS + US_ROWS):
        region = "EU" if i < EU_ROWS else "US"
        note = "visible-row" if region == "EU" else FILTERED_MARKER
        # raw ssn order is the reverse of id order, so an ORDER BY on the raw value would show
        rows.append((i, f"Rawname{i} Secretson", f"raw.email.{i}@secret.example",
                     f"{99 - i:03d}-45-6789", region, 50_000 + 1_000 * i, note))
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("CREATE TABLE salaries AS SELECT id, salary, 'UNGRANTED-MARKER' AS note FROM people")
    con.execute(f"CREATE TABLE events AS SELECT i AS id, i % 7 AS kind, 'e' || i AS label FROM range({EVENT_ROWS}) t(i)")
    con.close()
    con = duckdb.connect(str(root / "fin.duckdb"))
    con.execute("CREATE TABLE budget AS SELECT 1 AS id, 'UNGRANTED-MARKER' AS note")
    con.close()
    (root / "connectors" / "hr.yaml").write_text("name: hr\ntype: duckdb\noptions: {path: hr.duckdb}\n")
    (root / "connectors" / "fin.yaml").write_text("name: fin\ntype: duckdb\noptions: {path: fin.duckdb}\n")
    (root / "governance" / "policy.yaml").write_text(POLICY)
    return root


def open_governed_service(root: Path):
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    service = WorkbenchService(Workspace.load(root), mode="local")
    scan_catalog(service.workspace, service.store)
    service.queries.refresh()
    return service


def build_checked_workspace(root: Path, suites: str) -> Path:
    """`build_governed_workspace` with `suites` as its governance/checks.yaml, the store migrated."""
    build_governed_workspace(root)
    (root / "governance" / "checks.yaml").write_text(suites)
    open_governed_service(root).close()
    return root
