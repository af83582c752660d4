"""`aios audit verify`, `aios audit tail` and `aios audit checkpoint`."""

from __future__ import annotations

import click

from aios_workbench.core.errors import AuditIntegrityError, exit_code
from aios_workbench.surfaces.cli.data_commands import local_service, local_user
from aios_workbench.surfaces.cli.output import emit

# sysexits EX_DATAERR: the audit log's data is not what was written. To move into
# errors.EXIT_CODE with an `AuditIntegrityError` when that class exists.
TAMPERED_EXIT = exit_code(AuditIntegrityError(""))  # 65, EX_DATAERR


def record_line(record: dict) -> str:
    """One record as one line: time, user (and whom he acted as), surface, verdict, action, target, rule."""
    verdict = "allowed" if record["allowed"] else "DENIED"
    detail = record.get("detail") or {}
    rule = detail.get("rule")
    user = f"{record['user']} as {detail['as_user']}" if detail.get("as_user") else record["user"]
    line = (f"{record['at'][:19].replace('T', ' ')}Z  #{record['id']:<6} {user:<16} {record['surface']:<9} "
            f"{verdict:<7} {record['action']:<10} {record['target'] or '-'}")
    return line + (f"  rule: {rule}" if rule else "")


@click.group()
def audit():
    """The tamper-evident audit log of every governed action."""


def _moment(at: str | None) -> str:
    return f"{at[:19].replace('T', ' ')}Z" if at else "?"


def verdict_lines(r: dict) -> list[str]:
    """The verdict in words: what is intact and vouched for, or the problems found."""
    if r["ok"]:
        if r["vouched_id"]:
            lines = [f"audit log intact up to record #{r['vouched_id']}, signed checkpoint of "
                     f"{_moment(r['vouched_at'])} ({r['checked']} records checked, {r['checkpoints']} checkpoints)"]
            if r["unvouched"]:
                lines.append(f"  {r['unvouched']} record(s) after #{r['vouched_id']} are chained but not yet signed")
        else:
            anchor = f", anchored at record {r['head_id']}" if r["head_id"] else ""
            lines = [f"audit log intact: {r['checked']} records checked{anchor}, none vouched for by a signed "
                     "checkpoint yet"]
        return lines + [f"  warning: {w}" for w in r["warnings"]]
    lines = [f"audit log TAMPERED: {r['reason']}"]
    lines += [f"  also: {problem}" for problem in r["problems"][1:]]
    vouched = (f"; the last vouched for is #{r['vouched_id']} (signed checkpoint of {_moment(r['vouched_at'])})"
               if r["vouched_id"] else "")
    lines.append(f"  {r['checked']} records before it link up{vouched}")
    bad = r.get("first_bad_record")
    if bad:
        lines += [f"  first bad record: {record_line(bad)}",
                  f"    prev_hash {bad['prev_hash']}", f"    hash      {bad['hash']}"]
    lines += [f"  warning: {w}" for w in r["warnings"]]
    lines.append("  fix: keep the database, the state folder and the witness file as they are for investigation; "
                 "restore the audit table from a backup (if the state folder was reset on purpose, move the old "
                 "witness file and its key aside: `aios audit checkpoint` then starts a new one)")
    return lines


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify(ctx, as_json):
    """Check the audit log's hash chain, its head anchor and its signed checkpoints from the first record to
    the last, and name the last record a signed checkpoint vouches for.

    Exits 0 when the log is intact; 65 when a record was edited, deleted, inserted,
    moved or cut off the end, the chain was rewritten, or a checkpoint or the witness
    file was forged or removed, printing what was found."""
    service = local_service(ctx)
    try:
        data = service.audit_trail.verify(local_user())
    finally:
        service.close()
    emit(data, as_json=as_json, human=verdict_lines)
    if not data["ok"]:
        ctx.exit(TAMPERED_EXIT)


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checkpoint as JSON.")
@click.pass_context
def checkpoint(ctx, as_json):
    """Sign a checkpoint of the audit log's head now (after checking the records since the last one), into the
    metadata store and the witness file outside the state folder."""
    service = local_service(ctx)
    try:
        data = service.audit_trail.checkpoint()
    finally:
        service.close()
    emit(data, as_json=as_json, human=lambda c: [
        f"signed checkpoint of record #{c['last_id']} ({c['count']} records) at {_moment(c['at'])}"] if c else
        ["no new records since the last signed checkpoint"])


@audit.command()
@click.option("-n", "--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="How many records to show (newest first).")
@click.option("--user", help="Only this user's records.")
@click.option("--dataset", help="Only records touching this dataset (full name, or its last parts).")
@click.option("--denied/--allowed", "denied", default=None, help="Only denied, or only allowed, records.")
@click.option("--action", help="Only this action (e.g. query).")
@click.option("--since", help="Only records at or after this ISO date or time (UTC unless it says).")
@click.option("--before-id", type=int, help="Only records older than this id (the next page).")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.pass_context
def tail(ctx, limit, user, dataset, denied, action, since, before_id, as_json):
    """Show the latest audit records, newest first (the SQL of others' records without its literals unless
    you ($AIOS_USER, else your login) are an auditor)."""
    service = local_service(ctx)
    try:
        records = service.audit_trail.tail(local_user(), user=user, dataset=dataset, allowed=None if denied is None else not denied,
                                           action=action, since=since, limit=limit, before_id=before_id)
    finally:
        service.close()
    emit(records, as_json=as_json,
         human=lambda rs: [record_line(r) for r in rs] or ["no audit records match"])


COMMANDS = [audit]
