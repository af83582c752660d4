"""`aios init`: create a workspace, all of it or nothing."""

from __future__ import annotations

import getpass
import re
import shutil
from pathlib import Path

from aios_workbench.core.errors import UsageError
from aios_workbench.workspace.config import CONFIG_FILE
from aios_workbench.workspace.workspace import Workspace

CONFIG_TEMPLATE = """\
# aios-workbench workspace. Every key is optional; see docs/workspace.md.
name: {name}
paths:
  state: .aios            # metadata DB, audit and lineage logs, MLflow store, job outputs (git-ignored)
  connectors: connectors  # one YAML file per data source
  governance: governance  # policy.yaml: datasets, users, roles, grants, masks, row filters
  notebooks: notebooks
metadata_store:
  url: null               # default: SQLite in the state folder; or name an env var with url_env
tracking:
  uri: null               # default: MLflow SQLite store in the state folder
service:
  host: 127.0.0.1
  port: 8765
  token_env: AIOS_TOKEN   # `aios serve` reads its token from this variable
"""

POLICY_TEMPLATE = """\
# Governance policy: deny by default. See docs/workspace.md for every key.
datasets: {{}}
roles:
  admin:
    description: Sees and manages everything.
users:
  {user}:
    roles: [admin]
grants:
  - role: admin
    scope: "*"
  - role: admin           # may write results back as datasets of `outputs` (`wb.write`, `aios catalog write`)
    scope: outputs
    privilege: write
  - role: admin           # and replace any dataset, or remove a classification tag, as a steward does
    scope: "*"
    privilege: manage
masks: []
row_filters: []
"""

OUTPUTS_CONNECTOR = """\
# Results written back through the workbench (`wb.write(df, "outputs.NAME")`, `aios catalog write FILE
# outputs.NAME`): one folder of Parquet files per dataset, classified and governed like every other source.
name: outputs
type: datasets
description: Datasets written by notebooks and jobs of this workspace.
options:
  path: .aios/outputs
"""

CONNECTORS_README = """\
# Data sources

One YAML file per source, for example `warehouse.yaml`:

    name: warehouse
    type: duckdb          # files, duckdb, sqlite, postgres, mysql, s3, datasets
    description: The analytics warehouse.
    options:
      path: data/warehouse.duckdb

Credentials are never written here: name a secret (`password_secret: PG_PASSWORD`)
that the workbench service reads from its environment.

Notebooks and jobs write results back as governed datasets (`wb.write`,
`aios catalog write`) into a `datasets` source: `outputs.yaml` declares one,
and governance/policy.yaml lets the `admin` role write to it; give other
writers' roles a grant with `privilege: write` on `outputs`.
"""


IGNORED_ENTRIES = {".git"}   # `git init` first, then `aios init` into the same folder: still an empty one


def existing_entries(target: Path) -> list[str]:
    """What a folder already holds (its top-level names, sorted; folders end in /), besides `.git`."""
    target = target.expanduser().resolve()
    if not target.is_dir():
        return []
    return sorted(f"{p.name}/" if p.is_dir() else p.name for p in target.iterdir() if p.name not in IGNORED_ENTRIES)


def init_workspace(target: Path, *, name: str | None = None, force: bool = False) -> Path:
    """Create a workspace in `target` (a new or empty folder; a non-empty one only with `force`); return its root.

    Existing files are never overwritten; if anything fails, every file and
    folder this call created is removed again."""
    target = target.expanduser().resolve()
    if (target / CONFIG_FILE).exists():
        raise UsageError(f"{target} is already a workspace ({CONFIG_FILE} exists)",
                         fix="use it as it is, or choose another folder", input=str(target))
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder", fix="choose a folder path", input=str(target))
    present = existing_entries(target)
    if present and not force:
        shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
        raise UsageError(f"{target} is not empty (it holds {shown}), so it is not made a workspace",
                         fix="choose a new or empty folder, or pass --force to add the workspace's files beside "
                             "what is there (nothing is overwritten)", input=str(target))
    name = name or re.sub(r"[^A-Za-z0-9_.-]", "-", target.name).lstrip("-_.0123456789") or "workspace"
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "admin"
    files = {
        CONFIG_FILE: CONFIG_TEMPLATE.format(name=name),
        "governance/policy.yaml": POLICY_TEMPLATE.format(user=user),
        "connectors/README.md": CONNECTORS_README,
        "connectors/outputs.yaml": OUTPUTS_CONNECTOR,
        ".gitignore": ".aios/\n",
    }
    created: list[Path] = []
    try:
        if not target.exists():
            target.mkdir(parents=True)
            created.append(target)
        for folder in ("connectors", "governance", "notebooks", ".aios"):
            path = target / folder
            if not path.exists():
                path.mkdir()
                created.append(path)
        for relative, text in files.items():
            path = target / relative
            if path.exists():
                continue
            path.write_text(text, encoding="utf-8")
            created.append(path)
        from aios_workbench.store import open_store  # lazy: SQLAlchemy and Alembic, only when init creates the store

        workspace = Workspace.load(target)
        open_store(workspace.metadata_url).close()
    except BaseException:
        for path in reversed(created):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
    return target
