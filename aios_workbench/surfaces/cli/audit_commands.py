"""`aios audit verify` and `aios audit tail`."""

from __future__ import annotations

import click

from aios_workbench.core.errors import AuditIntegrityError, exit_code
from aios_workbench.surfaces.cli.data_commands import local_service
from aios_workbench.surfaces.cli.output import emit

# sysexits EX_DATAERR: the audit log's data is not what was written. To move into
# errors.EXIT_CODE with an `AuditIntegrityError` when that class exists.
TAMPERED_EXIT = exit_code(AuditIntegrityError(""))  # 65, EX_DATAERR


def record_line(record: dict) -> str:
    """One record as one line: time, user, surface, verdict, action, target, rule."""
    verdict = "allowed" if record["allowed"] else "DENIED"
    rule = (record.get("detail") or {}).get("rule")
    line = (f"{record['at'][:19].replace('T', ' ')}Z  #{record['id']:<6} {record['user']:<16} {record['surface']:<9} "
            f"{verdict:<7} {record['action']:<10} {record['target'] or '-'}")
    return line + (f"  rule: {rule}" if rule else "")


@click.group()
def audit():
    """The tamper-evident audit log of every governed action."""


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify(ctx, as_json):
    """Check the audit log's hash chain and its head anchor from the first record to the last.

    Exits 0 when the log is intact; 65 when a record was edited, deleted, inserted,
    moved or cut off the end, printing the first bad record."""
    service = local_service(ctx)
    try:
        data = service.audit_trail.verify()
    finally:
        service.close()

    def human(r: dict) -> list[str]:
        if r["ok"]:
            anchor = f", anchored at record {r['head_id']}" if r["head_id"] else ""
            return [f"audit log intact: {r['checked']} records checked{anchor}"] + [
                f"  warning: {w}" for w in r["warnings"]]
        lines = [f"audit log TAMPERED: {r['reason']}",
                 f"  {r['checked']} records before it are intact"]
        bad = r["first_bad_record"]
        if bad:
            lines += [f"  first bad record: {record_line(bad)}",
                      f"    prev_hash {bad['prev_hash']}", f"    hash      {bad['hash']}"]
        lines.append("  fix: keep the database as it is for investigation; restore the audit table from a backup")
        return lines

    emit(data, as_json=as_json, human=human)
    if not data["ok"]:
        ctx.exit(TAMPERED_EXIT)


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
    """Show the latest audit records, newest first."""
    service = local_service(ctx)
    try:
        records = service.audit_trail.tail(user=user, dataset=dataset, allowed=None if denied is None else not denied,
                                           action=action, since=since, limit=limit, before_id=before_id)
    finally:
        service.close()
    emit(records, as_json=as_json,
         human=lambda rs: [record_line(r) for r in rs] or ["no audit records match"])


COMMANDS = [audit]
