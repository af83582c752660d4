"""`aios models ...`: the gated model registry from the command line.

Runs in-process on the local workspace as `$AIOS_USER` or the OS account: a
convenience for one person, NOT a security boundary (whoever runs it can edit
the workspace's files). A refused approval or promotion exits 77 (EX_NOPERM).
"""

from __future__ import annotations

import contextlib

import click

from aios_workbench.surfaces.cli.data_commands import JSON, local_service, local_user
from aios_workbench.surfaces.cli.model_hints import hint_missing_model, registering_notebooks, run_command
from aios_workbench.surfaces.cli.output import emit

PAST = {"approve": "approved", "reject": "rejected"}


@contextlib.contextmanager
def _models(ctx, name: str | None = None):
    """The local workspace's model registry (`service.models`), its service closed afterwards; a model `name`
    that is not found is explained (the notebook that registers it, `model_hints.py`)."""
    service = local_service(ctx)
    try:
        with hint_missing_model(ctx, name, versions=lambda model: service.models.versions(local_user(), model)):
            yield service.models
    finally:
        service.close()


@click.group()
def models():
    """Registered models: list, inspect, approve or reject, and promote through the gate.

    A version reaches an alias (default `champion`) only when every required
    check recorded for its run passed and someone other than its author approved it."""


def _row_lines(rows: list[dict], *, hint: str | None = None) -> list[str]:
    if not rows:
        return ["no registered model versions (register one with `aios models register RUN_ID --name NAME`)"
                + (f"; {hint}" if hint else "")]
    lines = [f"{'model':<28} {'ver':>4} {'status':<10} {'author':<14} {'checks':<12} {'approvals':<20} run"]
    for r in rows:
        checks = f"{r['checks']['passed']} ok/{r['checks']['failed']} bad"
        last = r["approvals"][-1] if r["approvals"] else None
        approvals = f"{PAST[last['decision']]} by {last['user']}" if last else "-"
        status = r["status"]
        lines.append(f"{r['name'][:28]:<28} {r['version']:>4} {status:<10} {(r['author'] or '?')[:14]:<14} "
                     f"{checks:<12} {approvals[:20]:<20} {r['run_id']}")
    return lines


def _detail_lines(r: dict) -> list[str]:
    lines = [f"models:/{r['name']}/{r['version']}  {r['status'].upper()}"
             + (f"  aliases: {', '.join(r['aliases'])}" if r["aliases"] else ""),
             f"  author {r['author'] or '?'}, registered by {r['registered_by'] or '?'} at {r['created_at']}",
             f"  run {r['run_id']}  source {r['source']}",
             "  checks (newest result of each):"]
    lines += [f"    {c['name']:<32} {c['status']:<6}{' required' if c['required'] else '':<9} "
              f"ledger run {c['ledger_id']}" for c in r["checks"]["latest"]] or ["    none recorded for this run"]
    lines.append("  approvals:")
    lines += [f"    {a['at']}  {a['decision']:<8} {a['user']:<16} {a['comment']}" for a in r["approvals"]] \
        or ["    none"]
    lines.append("  promotion gate: " + ("OPEN" if r["promotable"] else "CLOSED"))
    lines += [f"    [{'x' if g['met'] else ' '}] {g['reason']}" for g in r["gates"]]
    return lines


@models.command("ls")
@click.argument("name", required=False)
@JSON
@click.pass_context
def ls(ctx, name, as_json):
    """List model versions (of NAME, or of every model) with status, author, checks and approvals."""
    with _models(ctx, name) as registry:
        rows = registry.versions(local_user(), name)
    hint = None
    if not rows and not as_json:
        hint = _registering_hint(ctx, name)
    emit(rows, as_json=as_json, human=lambda r: _row_lines(r, hint=hint))


def _registering_hint(ctx, name: str | None) -> str | None:
    """Where a model comes from in this workspace: the notebook that registers it and how to run it."""
    # lazy: cycle: cli.main imports this module
    from aios_workbench.surfaces.cli.main import load_workspace

    ws = load_workspace(ctx)
    notebooks = registering_notebooks(ws, name)
    if not notebooks:
        return None
    return f"{notebooks[0]} registers one: `{run_command(ws, notebooks[0])}`"


@models.command("show")
@click.argument("name")
@click.argument("version")
@JSON
@click.pass_context
def show(ctx, name, version, as_json):
    """Show one VERSION of model NAME: its checks, approvals and every promotion gate."""
    with _models(ctx, name) as registry:
        data = registry.show(local_user(), name, version)
    emit(data, as_json=as_json, human=_detail_lines)


@models.command("register")
@click.argument("run_id")
@click.option("--name", required=True, help="The registered model's name (created when new).")
@click.option("--artifact-path", default="model", show_default=True, help="The model's name in the run.")
@JSON
@click.pass_context
def register(ctx, run_id, name, artifact_path, as_json):
    """Register the model logged in RUN_ID as a new candidate version of --name."""
    with _models(ctx) as registry:
        version = registry.register(run_id, artifact_path, name=name, user=local_user(), surface="cli")
    emit({"model": name, "version": version, "status": "candidate"}, as_json=as_json,
         human=lambda d: [f"registered models:/{d['model']}/{d['version']} as a candidate"])


@models.command("approve")
@click.argument("name")
@click.argument("version")
@click.option("--comment", help="Why; kept in the ledger and the audit log.")
@click.option("--reject", is_flag=True, help="Reject instead: the version cannot be promoted until approved again.")
@JSON
@click.pass_context
def approve(ctx, name, version, comment, reject, as_json):
    """Approve (or --reject) VERSION of model NAME as $AIOS_USER; authors may not approve their own."""
    with _models(ctx, name) as registry:
        decide = registry.reject if reject else registry.approve
        data = decide(name, version, local_user(), comment, surface="cli")
    emit(data, as_json=as_json, human=lambda d: [
        f"{PAST[d['decision']]} models:/{d['model']}/{d['version']} as {d['user']} (ledger run {d['ledger_id']})"])


@models.command("promote")
@click.argument("name")
@click.argument("version")
@click.option("--alias", default="champion", show_default=True, help="The alias to point at the version.")
@JSON
@click.pass_context
def promote(ctx, name, version, alias, as_json):
    """Point ALIAS at VERSION of model NAME if every gate holds; otherwise list each unmet gate (exit 77)."""
    with _models(ctx, name) as registry:
        data = registry.promote(name, version, local_user(), alias=alias, surface="cli")
    emit(data, as_json=as_json, human=lambda d: [
        f"models:/{d['model']}/{d['version']} is now {d['alias']!r}"
        + (f" (was version {d['previous_version']})" if d["previous_version"] else "")])


COMMANDS = [models]
