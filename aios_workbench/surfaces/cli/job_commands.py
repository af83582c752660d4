"""`aios jobs|runs|alerts|scheduler ...`: promoted jobs, their runs, the alert feed, the scheduler service.

The job, run and alert commands run in-process on the local workspace as `$AIOS_USER` or the OS account,
under the same rule as the REST API (a job's creator, its identity or an auditor may control it): a
convenience for one person, NOT a security boundary (whoever runs them can edit the workspace's files).
With `--url` (in a team deployment's terminals: `$AIOS_SERVICE_URL`) they go through the running service
as the token's user (`job_fronts.py`).
`aios scheduler` needs no Jupyter server: it is the service that runs the jobs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from aios_workbench.core.errors import UsageError
from aios_workbench.surfaces.cli.data_commands import JSON, TOKEN, URL, write_atomically
from aios_workbench.surfaces.cli.job_fronts import jobs_front, new_lines
from aios_workbench.surfaces.cli.output import emit
from aios_workbench.surfaces.cli.promote_commands import jobs_approve, jobs_rollback, jobs_versions

FOLLOW_WINDOW = 1_000   # lines a log is polled for while following it


def _short(moment: str | None) -> str:
    return moment[:19].replace("T", " ") if moment else "-"


def _job_lines(rows: list[dict]) -> list[str]:
    if not rows:
        return ["no jobs (promote a notebook with `aios promote NOTEBOOK --cron '0 6 * * *'`)"]
    lines = [f"{'job':<24} {'ver':>3} {'next run (UTC)':<19} {'last run':<22} schedule"]
    for r in rows:
        last = r["last_run"]
        last_text = f"{last['status']} #{last['id']}" if last else "-"
        next_text = "paused" if r["paused"] else _short(r["next_run"])
        lines.append(f"{r['name'][:24]:<24} {r['version']:>3} {next_text:<19} {last_text[:22]:<22} {r['schedule']}")
    return lines


def _run_lines(r: dict) -> list[str]:
    # lazy: the service's engines, once a run is shown
    from aios_workbench.service.jobs import duration_words, moment_words

    progress, duration = r["progress"], r["duration_seconds"]
    verdict = (r.get("verdict") or r["status"]).replace("_", " ")
    lines = [f"run {r['id']} of job {r['job']} (version {r['version']}, attempt {r['attempt']}): {verdict.upper()}",
             f"  {r.get('trigger_words') or r['trigger']}, requested by {r['requested_by']}, executor {r['executor']}"
             + (f", for {moment_words(r['occurrence'])}" if r["occurrence"] else ""),
             f"  queued {moment_words(r['created_at'])}, started {moment_words(r['started_at'])}, "
             f"finished {moment_words(r['finished_at'])}, took {duration_words(duration)}",
             f"  progress: {progress['cells_done']} of {progress['cells_total']} code cells run"]
    if r["parameters"]:
        lines.append("  parameters: " + ", ".join(f"{k}={v!r}" for k, v in r["parameters"].items()))
    if r["error"]:
        lines.append(f"  error: {r['error']}")
    cell = r.get("failing_cell")
    if cell:   # where it failed; what failed is the error above
        source = next((line for line in (cell.get("source") or "").splitlines() if line.strip()), "")
        count = cell.get("execution_count")
        lines.append(f"  failing cell: cell {cell.get('index', 0) + 1} of the notebook"
                     + (f" (In [{count}])" if count else "") + (f": {source[:80]}" if source else ""))
    for key in ("output_path", "html_path", "log_path"):
        if r.get(key):
            lines.append(f"  {key.replace('_path', '')}: {r[key]}")
    return lines


def _history_lines(rows: list[dict]) -> list[str]:
    if not rows:
        return ["no runs yet"]
    from aios_workbench.service.jobs import duration_words  # lazy: the service's engines, once runs are listed

    lines = [f"{'run':>6} {'status':<13} {'att':>3} {'trigger':<16} {'started (UTC)':<19} {'took':>10} progress"]
    for r in rows:
        cells = f"{r['progress']['cells_done']}/{r['progress']['cells_total']}"
        status = (r.get("verdict") or r["status"]).replace("_", " ")
        lines.append(f"{r['id']:>6} {status:<13} {r['attempt']:>3} {r['trigger'][:16]:<16} "
                     f"{_short(r['started_at']):<19} {duration_words(r['duration_seconds']):>10} {cells}")
    return lines


# -- aios jobs ------------------------------------------------------------------------------------------
@click.group()
def jobs():
    """Promoted jobs: ls, show, run (now), cancel, pause, resume, delete, history, versions, rollback, approve.

    Controlling a job is for its creator, its identity or an auditor; `aios scheduler` runs them."""


@jobs.command("ls")
@JSON
@URL
@TOKEN
@click.pass_context
def ls(ctx, as_json, url, token):
    """List jobs with their schedule in words, next run, paused flag and last run's status."""
    with jobs_front(ctx, url, token) as front:
        rows = front.jobs()
    emit(rows, as_json=as_json, human=_job_lines)


@jobs.command("show")
@click.argument("name")
@JSON
@URL
@TOKEN
@click.pass_context
def show(ctx, name, as_json, url, token):
    """Show job NAME: spec, next five occurrences and latest runs."""
    with jobs_front(ctx, url, token) as front:
        data = front.show(name)

    def human(d):
        from aios_workbench.service.jobs import moment_words  # lazy: the service's engines, once a job is shown

        yield f"job {d['name']} (version {d['version']}, {d['version_status'] or 'no version record'})"
        yield f"  notebook {d['notebook']}, runs as {d['identity']}, created by {d['created_by']}"
        yield f"  schedule: {d['schedule']}{' (paused)' if d['paused'] else ''}"
        yield "  next runs: " + (", ".join(moment_words(t) for t in d["upcoming"]) or "none")
        spec = d["spec"]
        if spec["parameters"]:
            yield "  parameters: " + ", ".join(f"{k}={v!r}" for k, v in spec["parameters"].items())
        for setting in d["settings"]:   # in words, as the job page says them (webhooks by host)
            yield f"  {setting['section'].lower()}, {setting['label'].lower()}: {setting['value']}"
        if d["triggered_by_this"]:
            yield "  when it succeeds, starts: " + ", ".join(d["triggered_by_this"])
        yield "  recent runs:"
        yield from ("    " + line for line in _history_lines(d["recent_runs"]))

    emit(data, as_json=as_json, human=human)


def _parse_parameters(pairs) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"parameter {pair!r} is not key=value", fix="write -p n=5 -p region=EU", input=pair)
        out[key.strip()] = value
    return out


@jobs.command("run")
@click.argument("name")
@click.option("-p", "--parameter", "pairs", multiple=True, metavar="KEY=VALUE",
              help="Override a parameter (typed by the notebook's parameters cell); repeatable.")
@click.option("--wait", is_flag=True,
              help="Follow the run (a progress bar of cells) until it ends; exit 1 if it fails.")
@JSON
@URL
@TOKEN
@click.pass_context
def run(ctx, name, pairs, wait, as_json, url, token):
    """Queue a run of job NAME now, with its default parameters and any -p overrides."""
    with jobs_front(ctx, url, token) as front:
        data = front.run_now(name, _parse_parameters(pairs))
        if not wait:
            emit(data, as_json=as_json, human=lambda d: [f"queued run {d['id']} of job {d['job']} "
                                                           "(`aios runs show ID`; `aios scheduler` runs it)"])
            return
        final = _follow(front, data["id"], show_bar=not as_json)
    emit(final, as_json=as_json, human=_run_lines)
    if final["status"] != "succeeded":
        ctx.exit(1)


def _follow(front, run_id: int, *, show_bar: bool, hint_after: float = 10.0) -> dict:
    """Wait for a run (and its retries) to end, drawing `cell n of m` with tqdm; the last attempt."""
    from tqdm import tqdm

    from aios_workbench.service.jobs import FINAL_STATUSES  # lazy: the service's engines load only when a command runs

    began, hinted, bar = time.monotonic(), False, None
    try:
        while True:
            data = front.run(run_id)
            if show_bar:
                if bar is None:
                    bar = tqdm(total=None, desc=f"run {run_id}", unit="cell", file=sys.stderr, leave=True)
                total = data["progress"]["cells_total"]
                if total and bar.total != total:
                    bar.total = total
                bar.n = data["progress"]["cells_done"]
                bar.set_postfix_str(data["status"], refresh=False)
                bar.refresh()
            if data["status"] == "queued" and not hinted and time.monotonic() - began > hint_after:
                hinted = True
                hint = (f"run {run_id} is still queued after {hint_after:g} s: is `aios scheduler` running on this "
                        "workspace? (start one in another terminal: `aios scheduler`; Ctrl+C stops waiting, the "
                        "run stays queued)")
                if bar is not None:
                    bar.write(hint, file=sys.stderr)   # above the bar, not scrambled into it
                else:
                    click.echo(hint, err=True)
            if data["status"] in FINAL_STATUSES:
                retry = front.retry_of(data) if data["status"] in ("failed", "timed_out") else None
                if retry is None:
                    return data
                if bar is not None:
                    bar.close()
                    bar = None
                click.echo(f"run {run_id} {data['status']}; retry: run {retry}", err=True)
                run_id = retry
            time.sleep(0.5)
    finally:
        if bar is not None:
            bar.close()


@jobs.command("cancel")
@click.argument("run_id", type=int)
@JSON
@URL
@TOKEN
@click.pass_context
def cancel(ctx, run_id, as_json, url, token):
    """Cancel run RUN_ID: a queued run at once; a running one is stopped by its scheduler."""
    with jobs_front(ctx, url, token) as front:
        data = front.cancel(run_id)
    emit(data, as_json=as_json, human=lambda d: [
        f"run {d['id']} cancelled" if d["status"] == "cancelled" else f"run {d['id']}: cancel requested"])


@jobs.command("pause")
@click.argument("name")
@JSON
@URL
@TOKEN
@click.pass_context
def pause(ctx, name, as_json, url, token):
    """Pause job NAME: no new scheduled or triggered runs until `aios jobs resume`."""
    with jobs_front(ctx, url, token) as front:
        data = front.pause(name)
    emit(data, as_json=as_json, human=lambda d: [f"job {d['name']} paused"])


@jobs.command("resume")
@click.argument("name")
@JSON
@URL
@TOKEN
@click.pass_context
def resume(ctx, name, as_json, url, token):
    """Resume job NAME; occurrences missed while paused follow its catch-up policy."""
    with jobs_front(ctx, url, token) as front:
        data = front.resume(name)
    emit(data, as_json=as_json, human=lambda d: [f"job {d['name']} resumed; next run {_short(d['next_run'])} UTC"])


@jobs.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@JSON
@URL
@TOKEN
@click.pass_context
def delete(ctx, name, yes, as_json, url, token):
    """Delete job NAME with all its runs and their outputs (its promoted versions stay)."""
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"deleting job {name!r} needs confirmation", fix="add --yes", input=name)
        click.confirm(f"Delete job {name!r}, its runs and their outputs?", abort=True)
    with jobs_front(ctx, url, token) as front:
        data = front.delete(name)
    emit(data, as_json=as_json, human=lambda d: [
        f"deleted job {d['job']} and {d['runs_deleted']} runs ({d['cancelled']} were queued or running)"])


@jobs.command("history")
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--before-id", type=click.IntRange(1), help="Show runs older than this id (the next page).")
@JSON
@URL
@TOKEN
@click.pass_context
def history(ctx, name, limit, before_id, as_json, url, token):
    """Runs of job NAME, newest first."""
    with jobs_front(ctx, url, token) as front:
        rows = front.history(name, limit=limit, before_id=before_id)
    emit(rows, as_json=as_json, human=_history_lines)


# -- aios runs --------------------------------------------------------------------------------------------
@click.group("runs")
def runs_group():
    """Job runs: ls (every job's), show, log, open, rerun."""


@runs_group.command("ls")
@click.option("--job", help="Only this job's runs.")
@click.option("--status", help="Only runs with this verdict: queued, running, succeeded, checks_failed, failed, "
                               "timed_out or cancelled.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--before-id", type=click.IntRange(1), help="Page further back: the last run id shown.")
@JSON
@URL
@TOKEN
@click.pass_context
def runs_ls(ctx, job, status, limit, before_id, as_json, url, token):
    """List the runs of every job (or --job's), newest first, with each one's verdict."""
    with jobs_front(ctx, url, token) as front:
        data = front.all_runs(job=job, status=status, limit=limit, before_id=before_id)

    def human(d):
        if not d["runs"]:
            yield "no runs match"
            return
        width = max(len(r["job"] or "") for r in d["runs"])
        for line, run in zip(_history_lines(d["runs"]), [None, *d["runs"]], strict=True):
            yield f"{(run['job'] if run else 'job'):<{width}}  {line}"
        if d["next_before_id"]:
            yield f"(more: --before-id {d['next_before_id']})"

    emit(data, as_json=as_json, human=human)


@runs_group.command("show")
@click.argument("run_id", type=int)
@JSON
@URL
@TOKEN
@click.pass_context
def run_show(ctx, run_id, as_json, url, token):
    """Show run RUN_ID: status, progress, timings, parameters, failing cell, output paths."""
    with jobs_front(ctx, url, token) as front:
        data = front.run(run_id)
    emit(data, as_json=as_json, human=_run_lines)


@runs_group.command("log")
@click.argument("run_id", type=int)
@click.option("--tail", type=click.IntRange(1, 100_000), default=200, show_default=True, help="Lines to show first.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the run ends.")
@JSON
@URL
@TOKEN
@click.pass_context
def run_log(ctx, run_id, tail, follow, as_json, url, token):
    """Print the log of run RUN_ID (live while it runs with --follow)."""
    from aios_workbench.service.jobs import FINAL_STATUSES  # lazy: the service's engines load only when a command runs

    with jobs_front(ctx, url, token) as front:
        data = front.log(run_id, tail=tail)
        if as_json:
            emit({"id": run_id, "status": data["status"], "lines": data["lines"]}, as_json=True, human=None)
            return
        if not follow:
            for line in data["lines"]:
                click.echo(line)
            return
        # Following, a line is printed once a later one shows it ended (the last line may still be growing),
        # or when the run ends; a poll's window overlaps the lines printed so far (`new_lines`).
        printed: list[str] = []
        while True:
            ended = data["status"] in FINAL_STATUSES
            complete = data["lines"] if ended else data["lines"][:-1]
            fresh = new_lines(printed, complete)
            for line in fresh:
                click.echo(line)
            printed = (printed + fresh)[-FOLLOW_WINDOW:]
            if ended:
                click.echo(f"-- run {run_id} {data['status']}", err=True)
                return
            time.sleep(0.5)
            data = front.log(run_id, tail=FOLLOW_WINDOW)


@runs_group.command("open")
@click.argument("run_id", type=int)
@click.option("--html", "as_html", is_flag=True, help="The HTML rendering instead of the notebook.")
@JSON
@URL
@TOKEN
@click.pass_context
def run_open(ctx, run_id, as_html, as_json, url, token):
    """Print the path of run RUN_ID's output notebook (or its HTML with --html); through a service (--url),
    download it to run-RUN_ID.ipynb (.html) in this folder first."""
    fmt = "html" if as_html else "ipynb"
    with jobs_front(ctx, url, token) as front:
        output = front.output(run_id, fmt)
    if isinstance(output, bytes):   # downloaded from the service
        target = Path(f"run-{run_id}.{fmt}").resolve()
        write_atomically(target, lambda tmp: Path(tmp).write_bytes(output))
        output = str(target)
    emit({"id": run_id, "path": output}, as_json=as_json, human=lambda d: [d["path"]])


@runs_group.command("rerun")
@click.argument("run_id", type=int)
@JSON
@URL
@TOKEN
@click.pass_context
def run_rerun(ctx, run_id, as_json, url, token):
    """Queue run RUN_ID's job version again with the same parameters."""
    with jobs_front(ctx, url, token) as front:
        data = front.rerun(run_id)
    emit(data, as_json=as_json, human=lambda d: [f"queued run {d['id']} (re-run of {run_id})"])


# -- aios alerts -------------------------------------------------------------------------------------------
@click.group()
def alerts():
    """The alert feed: failed runs, runs whose checks failed, failed monitors, pending approvals."""


@alerts.command("ls")
@click.option("--state", type=click.Choice(["open", "acknowledged", "resolved"]), help="Only alerts in this state.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--before-id", type=click.IntRange(1), help="Show alerts older than this id (the next page).")
@JSON
@URL
@TOKEN
@click.pass_context
def alerts_ls(ctx, state, limit, before_id, as_json, url, token):
    """List alerts, newest first, with the open and acknowledged counts; under each, its cause in words (the
    failed run, the checks it failed, the monitor's result) and further evidence."""
    with jobs_front(ctx, url, token) as front:
        data = front.alerts(state=state, limit=limit, before_id=before_id)

    def human(d):
        yield f"{d['counts']['open']} open, {d['counts']['acknowledged']} acknowledged"
        for a in d["alerts"]:
            repeat = f" x{a['count']}" if a["count"] > 1 else ""
            yield f"{a['id']:>5} {a['state']:<12} {a['severity']:<8} {_short(a['last_at'])}  {a['title']}{repeat}"
            yield from _cause_lines(a)
        if d["next_before_id"]:
            yield f"(more: --before-id {d['next_before_id']})"

    emit(data, as_json=as_json, human=human)


def _cause_lines(alert: dict) -> list[str]:
    """An alert's cause and evidence in words, indented under it (`--json` keeps `cause` and `related`)."""
    cause = alert.get("cause")
    if not cause:
        return []
    pad = " " * 7
    lines = [f"{pad}cause: {cause['label']}" + (f" ({cause['note']})" if cause.get("note") else "")]
    lines += [f"{pad}  - {r['label']}" for r in alert.get("related") or []]
    return lines


@alerts.command("ack")
@click.argument("alert_id", type=int)
@JSON
@URL
@TOKEN
@click.pass_context
def alerts_ack(ctx, alert_id, as_json, url, token):
    """Acknowledge alert ALERT_ID as $AIOS_USER (through a service: as the token's user)."""
    with jobs_front(ctx, url, token) as front:
        data = front.acknowledge(alert_id)
    emit(data, as_json=as_json, human=lambda d: [
        f"alert {d['id']} {d['state']} ({d['title']})" if d.get("acknowledgement") == "acknowledged"
        else d["message"]])


# -- aios scheduler -----------------------------------------------------------------------------------------
@click.command()
@click.option("--name", help="This replica's name in run leases (default HOST:PID). Keep it stable across "
              "restarts so a restart recovers its own runs at once.")
@click.option("--once", is_flag=True, help="One round: enqueue and start what is due, wait for those runs, exit.")
@click.option("--grace", type=click.FloatRange(0), default=60.0, show_default=True,
              help="Seconds running runs may take to finish after SIGTERM before they are stopped.")
@click.option("--json", "as_json", is_flag=True, help="Print each event as one JSON object per line.")
@click.pass_context
def scheduler(ctx, name, once, grace, as_json):
    """Run the scheduler service: promoted jobs on time, retries, alerts; no Jupyter server needed.

    Prints one line per event (JSON lines with --json). Several replicas may share one PostgreSQL
    metadata store; each occurrence runs once. Stop with SIGTERM (Ctrl-C): runs get --grace seconds."""
    # lazy: scheduler loop (SQLAlchemy, executors); only `aios scheduler` needs it
    from aios_workbench.scheduler.loop import Scheduler
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

    Scheduler(load_workspace(ctx), name=name, json_lines=as_json, shutdown_grace=grace).run_forever(once=once)


# Versions, rollback and approval live beside `aios promote`, which creates the versions.
jobs.add_command(jobs_versions)
jobs.add_command(jobs_rollback)
jobs.add_command(jobs_approve)

COMMANDS = [jobs, runs_group, alerts, scheduler]
