"""`aios init` and `aios status`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from aios_workbench.surfaces.cli.data_commands import TOKEN, URL, local_user, remote
from aios_workbench.surfaces.cli.output import emit


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Workspace name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Also in a folder that holds files already (they are kept; nothing "
              "is overwritten).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def init(directory: Path, name: str | None, force: bool, as_json: bool):
    """Create a workspace in DIRECTORY (new or empty; a non-empty one only with --force): config, governance
    files, an `outputs` source its admin may write to, notebooks/, state folder.

    Nothing is overwritten; if anything fails, nothing is left behind."""
    # lazy: tracking store (MLflow migrations): only `aios init` pays
    from aios_workbench.service.runs import create_tracking_store
    from aios_workbench.workspace import Workspace  # lazy: loader/scaffold (pydantic, YAML): only `aios init`
    from aios_workbench.workspace.scaffold import existing_entries, init_workspace  # lazy: as above

    kept = existing_entries(directory)
    root = init_workspace(directory, name=name, force=force)
    ws = Workspace.load(root)
    if not as_json:
        click.echo("  creating the MLflow tracking store (its migrations take a few seconds, once)", err=True)
    tracking = create_tracking_store(ws)
    admin = next(iter(ws.policy.users), None)
    result = {"workspace": ws.name, "path": str(root), "state": str(ws.state_dir),
              "metadata_store": "ok", "tracking_uri": tracking, "kept": kept, "admin": admin}
    emit(result, as_json=as_json, human=lambda r: [
        f"Created workspace {r['workspace']!r} in {r['path']}",
        *([f"  kept what was there: {', '.join(r['kept'][:8])}"
           + (f" and {len(r['kept']) - 8} more" if len(r['kept']) > 8 else "")] if r["kept"] else []),
        f"  state folder: {r['state']}",
        f"  tracking:     {r['tracking_uri']}",
        *([f"  policy:       {r['admin']} is its admin (governance/policy.yaml): reads everything, writes "
           "datasets of `outputs`"] if r["admin"] else []),
        "  next: add data sources in connectors/, then `aios catalog scan` and `aios lab`",
    ])


def _status_lines(s: dict) -> list[str]:
    store = s["store"]
    lines = [
        f"aios-workbench {s['version']} ({s['mode']}), user {s['user']}",
        f"workspace  {s['workspace']['name']}  ({s['workspace']['path']})",
        "store      " + (f"ok  {store['backend']} @ {store['revision']}" if store["ok"]
                         else f"FAILED  {store['backend']}: {store['error']}"),
    ]
    if not s["connectors"]:
        lines.append("sources    none declared (add YAML files to connectors/)")
    for c in s["connectors"]:
        lines.append(f"source     {c['name']:<24} {c['type']:<8} " + ("ok" if c["ok"] else f"FAILED  {c['error']}"))
    if s.get("state_private") is not None:
        exposed = [p.split(" (")[0] for p in s.get("state_exposed") or []]
        shown = ", ".join(exposed[:2]) + (f" and {len(exposed) - 2} more" if len(exposed) > 2 else "")
        lines.append("state      " + ("private to this account" if s["state_private"] else
                                      "readable by other accounts" + (f" ({shown})" if shown else "")
                                      + ": fine for one person; team mode needs `chmod -R go-rwx` on it"))
    return lines


def status_ok(s: dict) -> bool:
    return s["store"]["ok"] and all(c["ok"] for c in s["connectors"])


@click.command()
@URL
@TOKEN
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx, url, token, as_json):
    """Show version, workspace, metadata store and data source health.

    Exits 0 when everything is healthy, 69 when the store or a source is down."""
    if url:
        result = remote(url, token).status()
    else:
        # lazy: WorkbenchService engines (DuckDB, SQLAlchemy, MLflow): only local `aios status` pays
        from aios_workbench.service.core import WorkbenchService
        from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

        service = WorkbenchService(load_workspace(ctx), mode="local")
        try:
            result = asyncio.run(service.status(local_user()))
        finally:
            service.close()
    emit(result, as_json=as_json, human=_status_lines)
    if not status_ok(result):
        ctx.exit(69)


COMMANDS = [init, status]
