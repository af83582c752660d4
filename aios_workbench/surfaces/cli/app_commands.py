"""`aios apps ...`: decision apps, promoted notebooks anyone may run as themselves (as $AIOS_USER)."""

from __future__ import annotations

from pathlib import Path

import click

from aios_workbench.surfaces.cli.data_commands import JSON, local_user
from aios_workbench.surfaces.cli.output import emit
from aios_workbench.surfaces.cli.promote_commands import local_workbench


def _field_line(f: dict) -> str:
    kind = f["type"]
    if f.get("minimum") is not None:
        kind += f" {f['minimum']:g}..{f['maximum']:g}"
    if f.get("choices") is not None:
        shown = ", ".join(map(str, f["choices"][:8])) + (" ..." if len(f["choices"]) > 8 else "")
        kind += f" ({shown})"
    return f"  {f['name']:<16} {kind:<40} default {f['default']!r}" + (f"  {f['help']}" if f["help"] else "")


@click.group()
def apps():
    """Decision apps: list, show a form, run as yourself, publish a job as an app."""


@apps.command("ls")
@JSON
@click.pass_context
def apps_ls(ctx, as_json):
    """List the published apps."""
    with local_workbench(ctx) as service:
        data = {"apps": service.apps.list(local_user())}
    emit(data, as_json=as_json, human=lambda d: [f"{a['name']:<24} v{a['version']:<4} {a['title']}"
                                                 for a in d["apps"]] or ["no apps (publish a job: `aios apps publish JOB`)"])


@apps.command("show")
@click.argument("name")
@JSON
@click.pass_context
def apps_show(ctx, name, as_json):
    """Show app NAME and its form, with the choices offered to you."""
    with local_workbench(ctx) as service:
        data = service.apps.show(local_user(), name)
    emit(data, as_json=as_json, human=lambda d: [f"{d['title']} ({d['name']}, version {d['version']})",
                                                 *([f"  {d['description']}"] if d["description"] else []),
                                                 *map(_field_line, d["fields"])])


@apps.command("publish")
@click.argument("job")
@click.option("--title", help="Default: the notebook's first heading.")
@click.option("--description", default="", help="One or two sentences for the apps list.")
@JSON
@click.pass_context
def apps_publish(ctx, job, title, description, as_json):
    """Publish promoted job JOB as an app (its creator, identity or an auditor)."""
    with local_workbench(ctx) as service:
        data = service.apps.publish(local_user(), job, title=title, description=description, surface="cli")
    emit(data, as_json=as_json, human=lambda d: [f"published {d['name']} as the app {d['title']!r} "
                                                 f"(version {d['version']}, {len(d['fields'])} fields)"])


@apps.command("unpublish")
@click.argument("name")
@JSON
@click.pass_context
def apps_unpublish(ctx, name, as_json):
    """Stop publishing app NAME (the job stays)."""
    with local_workbench(ctx) as service:
        data = service.apps.unpublish(local_user(), name, surface="cli")
    emit(data, as_json=as_json, human=lambda d: [f"{d['name']} is no longer an app"])


@apps.command("run")
@click.argument("name")
@click.option("-p", "--parameter", "pairs", multiple=True, metavar="NAME=VALUE", help="A field's value (repeatable).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the app's page to this file.")
@JSON
@click.pass_context
def apps_run(ctx, name, pairs, html_file, as_json):
    """Run app NAME as yourself (your grants, masks and row filters) and say how it went."""
    given = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-p")
        given[key.strip()] = value
    with local_workbench(ctx) as service:
        user = local_user()
        data = service.apps.run(user, name, given, surface="cli", from_text=True)
    if html_file is not None:
        html_file.write_text(data["html"], encoding="utf-8")
    emit({k: v for k, v in data.items() if k != "html" or as_json}, as_json=as_json, human=lambda d: [
        f"{d['title']} (version {d['version']}) ran as {user} in {d['seconds']:.1f} s"
        + (" (from the cache)" if d["cached"] else ""),
        *([f"the app stopped: {d['error']}"] if not d["ok"] else []),
        *([f"page written to {html_file}"] if html_file else ["write the page with --html FILE"])])
    if not data["ok"]:
        ctx.exit(1)   # like a job run that did not succeed


COMMANDS = [apps]
