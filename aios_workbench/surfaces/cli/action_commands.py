"""`aios actions ...`: the approval queue of proposed actions (e-mails, webhook calls, job runs), as $AIOS_USER.

The same rules as every surface (`service/actions.py`): you see the actions you proposed, those you may
approve and, as an auditor, all; values you may not read are withheld; approving executes the action once."""

from __future__ import annotations

import json

import click

from aios_workbench.surfaces.cli.data_commands import JSON, local_user
from aios_workbench.surfaces.cli.output import emit
from aios_workbench.surfaces.cli.promote_commands import local_workbench

STATES = ["pending", "executing", "executed", "failed", "rejected", "expired"]


def _when(moment: str | None) -> str:
    return f"{moment[:16].replace('T', ' ')} UTC" if moment else "-"


def _line(a: dict) -> str:
    return f"{a['id']:>5}  {a['state_text']:<22} {a['proposed_by']:<12} {a['title']}"


def _detail(a: dict) -> list[str]:
    lines = [f"action {a['id']}: {a['title']}", f"  {a['summary']}",
             f"  {a['state_text']}; proposed by {a['proposed_by']} ({a['proposed_via']}) "
             f"at {_when(a['proposed_at'])}" + (f", expires {_when(a['expires_at'])}" if a["state"] == "pending" else "")]
    if a.get("reason"):
        lines.append(f"  why: {a['reason']}")
    for key, value in (a.get("evidence") or {}).items():
        lines.append(f"  evidence {key}: {value}")
    lines.append("  payload:")
    lines += [f"    {key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
              for key, value in a["payload"].items()]
    if a.get("decided_by"):
        lines.append(f"  decided by {a['decided_by']} at {_when(a['decided_at'])}"
                     + (f": {a['decision_reason']}" if a.get("decision_reason") else ""))
    for change in a.get("changes") or []:
        lines.append(f"  edited {change['field']}: {change['before']!r} -> {change['after']!r}")
    if a.get("outcome"):
        lines.append("  outcome: " + ", ".join(f"{k} {v}" for k, v in a["outcome"].items() if v is not None))
    for withheld in a.get("withheld") or []:
        lines.append(f"  withheld from you: {withheld['field']} ({withheld['rule']})")
    lines.append("  you may approve or reject it" if a["may_approve"] else f"  you may not approve it: {a['why_not']}")
    return lines


@click.group()
def actions():
    """Proposed actions waiting for approval: list, show, approve, reject."""


@actions.command("ls")
@click.option("--state", type=click.Choice(STATES), help="Only actions in this state (default: every state).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--before-id", type=click.IntRange(1), help="Show actions older than this id (the next page).")
@JSON
@click.pass_context
def actions_ls(ctx, state, limit, before_id, as_json):
    """List the actions you may see, newest first, and how many wait for your decision."""
    with local_workbench(ctx) as service:
        data = service.actions.page(local_user(), state=state, limit=limit, before_id=before_id)

    def human(d):
        yield f"{d['counts']['waiting_for_you']} waiting for your decision"
        if not d["actions"]:
            yield "no actions you may see"
        for a in d["actions"]:
            yield _line(a)

    emit(data, as_json=as_json, human=human)


@actions.command("show")
@click.argument("action_id", type=click.IntRange(1))
@JSON
@click.pass_context
def actions_show(ctx, action_id, as_json):
    """Show action ACTION_ID: what it does, why, its evidence and its decision."""
    with local_workbench(ctx) as service:
        data = service.actions.show(local_user(), action_id)
    emit(data, as_json=as_json, human=_detail)


@actions.command("approve")
@click.argument("action_id", type=click.IntRange(1))
@click.option("--reason", help="Why you approve (recorded with the decision).")
@click.option("--payload", "payload_file", type=click.File("r"),
              help="A JSON file with the payload as you edited it (see `aios actions show ID --json`).")
@JSON
@click.pass_context
def actions_approve(ctx, action_id, reason, payload_file, as_json):
    """Approve action ACTION_ID and execute it now, once."""
    payload = None
    if payload_file is not None:
        try:
            payload = json.load(payload_file)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc.msg} at line {exc.lineno}", param_hint="--payload") from None
    with local_workbench(ctx) as service:
        data = service.actions.approve(local_user(), action_id, payload=payload, reason=reason, surface="cli")
    emit(data, as_json=as_json, human=lambda a: [f"action {a['id']} {a['state_text']}: {a['summary']}"]
         + ([f"  {a['outcome'].get('error')}"] if a["state"] == "failed" else []))


@actions.command("reject")
@click.argument("action_id", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why (the proposer reads it).")
@JSON
@click.pass_context
def actions_reject(ctx, action_id, reason, as_json):
    """Reject action ACTION_ID with a reason: nothing is executed."""
    with local_workbench(ctx) as service:
        data = service.actions.reject(local_user(), action_id, reason=reason, surface="cli")
    emit(data, as_json=as_json, human=lambda a: [f"action {a['id']} rejected: {a['summary']}"])


COMMANDS = [actions]
