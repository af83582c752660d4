"""`aios promote NOTEBOOK`: freeze a notebook as a gated, versioned job.

Runs in-process on the local workspace as `$AIOS_USER` or the OS account: a convenience for one
person, NOT a security boundary. Exit 0 when promoted or waiting for approval, 65 (EX_DATAERR)
when a gate failed (every gate's verdict is printed either way).

`jobs_versions`, `jobs_rollback` and `jobs_approve` are ready-made click commands for the `aios jobs`
group. Every command calls `service.jobs` of a local `WorkbenchService` (`local_workbench`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from aios_workbench.core.errors import PromotionGatesFailed, UsageError, exit_code
from aios_workbench.surfaces.cli.data_commands import JSON, local_service, local_user
from aios_workbench.surfaces.cli.output import emit, fail

# A mark and a word per gate verdict (the service decides the verdict: `jobs/gates.py verdict_of`).
VERDICTS = {"passed": ("✓", "passed"), "failed": ("✗", "FAILED"), "not_run": ("–", "not run"),
            "waiting": ("…", "waiting for approval"), "not_required": ("–", "not required")}
PAST = {"approve": "approved", "reject": "rejected"}
STATUS_WORDS = {"active": "ACTIVE", "pending_approval": "WAITING FOR APPROVAL", "refused": "REFUSED",
                "unchanged": "UNCHANGED", "planned": "DRY RUN"}


@contextlib.contextmanager
def local_workbench(ctx):
    """The workspace's `WorkbenchService` in this process (no security boundary), closed afterwards."""
    service = local_service(ctx)
    try:
        yield service
    finally:
        service.close()


def change_lines(report: dict) -> list[str]:
    """What the version changes against the one the job runs (nothing for a new job)."""
    previous = report.get("previous_version")
    if previous is None:
        return [f"job {report['job']} is new: this makes its version 1"] if report["status"] == "planned" else []
    if not report.get("changes"):
        return [f"no change against version {previous}"]
    return [f"changes against version {previous}:"] + [f"  - {change}" for change in report["changes"]]


def report_lines(report: dict) -> list[str]:
    """The promotion report as text: what changes, one line per gate, then the version and the next runs."""
    lines = [f"promoting {report['notebook']} as job {report['job']} (runs as {report['identity']})"]
    lines += change_lines(report)
    for number, gate in enumerate(report["gates"], 1):
        mark, word = VERDICTS[gate["verdict"]]
        lines.append(f"  {mark} {number} {gate['title']}: {word}")
        lines.append(f"        {gate['reason']}")
        if gate["verdict"] == "failed" and (gate.get("detail") or {}).get("fix"):
            lines.append(f"        fix: {gate['detail']['fix']}")
    if report["gates"]:
        lines.append(f"gates: {report['summary']}")
    status = STATUS_WORDS.get(report["status"], report["status"])
    if report["status"] == "planned":
        lines.append(f"job {report['job']} version {report['version']}: {status} (nothing ran, nothing was stored)")
        return lines
    if report["status"] == "unchanged":
        lines += [f"job {report['job']} version {report['version']}: {status}"]
        return lines + [f"note: {note}" for note in report.get("notes") or []]
    if report["version"] is None:
        lines.append(f"job {report['job']}: {status} (no version stored)")
        if report.get("cause"):
            lines.append(f"cause: {report['cause']}")
        return lines
    lines.append(f"job {report['job']} version {report['version']}: {status}  (snapshot {report['digest'][:12]})")
    schedule = report.get("schedule") or {}
    lines.append(f"schedule: {schedule.get('description', 'manual only')}")
    if report["next_runs"]:
        lines.append("next runs:")
        lines += [f"  {run['utc']}  ({run['local']} {schedule.get('timezone', 'UTC')})" for run in report["next_runs"]]
    lines += [f"note: {note}" for note in report.get("notes") or []]
    if report.get("app"):
        lines.append(f"published as the app {report['app']['title']!r}: the dashboard's Apps page "
                     f"(`aios apps run {report['job']}`)")
    return lines


def _job_settings(executor, max_concurrent, catch_up, after_success, monitors, notify, secrets, keep_last) -> dict:
    """The JobSpec fields the options name (None: the spec's default)."""
    for pair in secrets:
        if "=" not in pair or not pair.split("=", 1)[0] or not pair.split("=", 1)[1]:
            raise UsageError(f"--secret {pair!r} is not ENV=SECRET", input=pair,
                             fix="name the kernel's environment variable and the secret, e.g. --secret API_KEY=ERP_KEY")
    return {
        "executor": executor,
        "max_concurrent": max_concurrent,
        "catch_up": {"policy": catch_up} if catch_up else None,
        "triggers": ({"after_success": list(after_success), "on_monitor_failure": list(monitors)}
                     if after_success or monitors else None),
        "notifications": ({"webhooks": [n for n in notify if "@" not in n or n.startswith(("http://", "https://"))],
                           "emails": [n for n in notify if "@" in n and not n.startswith(("http://", "https://"))]}
                          if notify else None),
        "secrets": dict(pair.split("=", 1) for pair in secrets) or None,
        "retention": {"keep_last": keep_last} if keep_last else None,
    }


@click.command("promote")
@click.argument("notebook", type=click.Path(dir_okay=False))
@click.option("--name", help="Job name (default: the notebook's file stem without leading digits).")
@click.option("--cron", help="Cron schedule, e.g. '0 6 * * 1-5' or @daily (default: manual only).")
@click.option("--tz", "timezone", default="UTC", show_default=True, help="IANA time zone of the schedule.")
@click.option("--at", help="Run once at this ISO time instead of a cron schedule (in --tz).")
@click.option("-p", "--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="A parameter value, converted by its declared type (repeatable): -p n=5 -p flag=true "
                   "-p items='[1, 2]'.")
@click.option("--timeout", type=float, help="Whole-notebook limit of each run in seconds (default 3600).")
@click.option("--cell-timeout", type=float, help="Per-cell limit in seconds (default: none).")
@click.option("--retries", type=click.IntRange(0, 20), help="Retries of a failed run, with backoff (default 0).")
@click.option("--approver", help="A second user who must approve before the version runs.")
@click.option("--identity", help="Run as this service identity (listed in aios.yaml jobs.service_identities).")
@click.option("--executor", type=click.Choice(["local", "dask"]), help="Where runs execute (default local).")
@click.option("--max-concurrent", type=click.IntRange(1, 100), help="Runs of this job at once (default 1).")
@click.option("--catch-up", type=click.Choice(["skip", "once", "all"]),
              help="Occurrences missed while no scheduler ran: skip them, run the latest once (default), or all.")
@click.option("--after", "after_success", multiple=True, metavar="JOB",
              help="Also run after each successful run of JOB (repeatable).")
@click.option("--on-monitor-failure", "monitors", multiple=True, metavar="MONITOR",
              help="Also run when MONITOR of governance/checks.yaml fails, e.g. to retrain (repeatable).")
@click.option("--notify", multiple=True, metavar="URL|EMAIL",
              help="Send failures and recoveries to a webhook URL or an e-mail address (repeatable).")
@click.option("--secret", "secrets", multiple=True, metavar="ENV=SECRET",
              help="Give the kernel env var ENV the secret named SECRET at run time (repeatable).")
@click.option("--keep-last", type=click.IntRange(1), help="Keep the outputs of this many latest runs (default 50).")
@click.option("--dry-run", is_flag=True,
              help="Only show which version this makes and what it changes against the one the job runs.")
@click.option("--app", "as_app", is_flag=True,
              help="Also publish the job as a decision app (the dashboard's Apps page): a form from the "
                   "notebook's typed parameters, each run as its viewer (as `aios apps publish NAME`).")
@JSON
@click.pass_context
def promote(ctx, notebook, name, cron, timezone, at, parameters, timeout, cell_timeout, retries, approver, identity,
            executor, max_concurrent, catch_up, after_success, monitors, notify, secrets, keep_last, dry_run, as_app,
            as_json):
    """Promote NOTEBOOK to a scheduled job after six gates: parameters cell, typed parameters, a
    validation run in a fresh kernel, required checks, grants of the job's identity, approval.

    Promoting a job again makes its next version from exactly the options given (omitted ones take their
    defaults); the changes against the version it runs are listed, and a promotion that changes nothing
    stores nothing. Every gate's verdict is printed; exit 65 when a gate failed."""
    # lazy: the jobs engine loads only when a command runs
    from aios_workbench.service.jobs import parse_assignments, parse_schedule

    values = parse_assignments(parameters)
    schedule = parse_schedule(cron, timezone=timezone, at=at)
    if not as_json and not dry_run:
        click.echo("running the gates (a validation run in a fresh kernel, the required checks)...", err=True)
    with local_workbench(ctx) as service:
        report = service.jobs.promote(local_user(), notebook, surface="cli", name=name, parameters=values,
                                      schedule=schedule, base=Path.cwd(), coerce_strings=True, dry_run=dry_run,
                                      timeout_seconds=timeout, cell_timeout_seconds=cell_timeout, retries=retries,
                                      approver=approver, identity=identity, **_job_settings(
                                          executor, max_concurrent, catch_up, after_success, monitors, notify,
                                          secrets, keep_last))
        data = report.to_dict()
        if as_app and report.passed and not dry_run:
            data["app"] = service.apps.publish(local_user(), report.job, surface="cli")
    emit(data, as_json=as_json, human=report_lines)
    if not report.passed:
        failed = [g.name for g in report.gates if g.verdict == "failed"]
        error = PromotionGatesFailed(report.refusal_message(),
                                     fix=f"fix what the failed gate{'s' if len(failed) > 1 else ''} "
                                         f"({', '.join(failed)}) names, then promote again", input=notebook)
        if not as_json:
            fail(error.message, error.fix)
        ctx.exit(exit_code(error))


# -- `aios jobs versions|rollback|approve` ------------------------------------------------------------------
def version_lines(data: dict) -> list[str]:
    lines = [f"{'ver':>4} {'status':<17} {'snapshot':<12} {'promoted by':<14} {'approved by':<14} promoted at"]
    for v in data["versions"]:
        mark = "*" if v["current"] else " "
        lines.append(f"{mark}{v['version']:>3} {v['status']:<17} {v['digest'][:12]:<12} {v['promoted_by'][:14]:<14} "
                     f"{(v['approved_by'] or '-')[:14]:<14} {v['promoted_at']}")
    lines.append(f"* = the version job {data['job']} runs" if data["current_version"] else
                 f"job {data['job']} does not exist yet (no version is active)")
    return lines


@click.command("versions")
@click.argument("name")
@JSON
@click.pass_context
def jobs_versions(ctx, name, as_json):
    """List the versions of job NAME; * marks the one it runs."""
    with local_workbench(ctx) as service:
        data = service.jobs.versions(local_user(), name)
    emit(data, as_json=as_json, human=version_lines)


@click.command("rollback")
@click.argument("name")
@click.argument("version", type=int)
@JSON
@click.pass_context
def jobs_rollback(ctx, name, version, as_json):
    """Point job NAME at its earlier active VERSION (snapshot, parameters, schedule)."""
    with local_workbench(ctx) as service:
        data = service.jobs.rollback(local_user(), name, version, surface="cli")
    emit(data, as_json=as_json, human=lambda d: [
        f"job {d['job']} now runs version {d['version']} (was {d['previous_version']}); next run: "
        f"{d['next_due_at'] or 'manual only'}"])


@click.command("approve")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--comment", help="Why; kept in the audit log.")
@click.option("--reject", "rejecting", is_flag=True, help="Reject the version instead.")
@JSON
@click.pass_context
def jobs_approve(ctx, name, version, comment, rejecting, as_json):
    """Approve (or --reject) VERSION of job NAME as $AIOS_USER; the promoter may not approve it."""
    with local_workbench(ctx) as service:
        data = service.jobs.decide(local_user(), name, version, "reject" if rejecting else "approve", comment,
                                   surface="cli")
    emit(data, as_json=as_json, human=lambda d: [
        f"{PAST[d['decision']]} job {d['job']} version {d['version']} as {d['user']}: now {d['status']}"
        + (f"; the job runs version {d['job_version']}" if d["job_version"] else "")])


COMMANDS = [promote]
