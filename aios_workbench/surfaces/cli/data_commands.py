"""`aios sql`, `aios catalog ...` and `aios policy ...`: governed data from the command line.

Without `--url` these run in-process on the local workspace, as `$AIOS_USER` or
the OS account: convenient for one person, NOT a security boundary (whoever
runs them can read the workspace's files anyway). With `--url` they go through
a running service, which enforces the policy for its token's user. In a team
deployment's terminals and kernels `$AIOS_SERVICE_URL` names the service and the
server's hub token (`$JUPYTERHUB_API_TOKEN`) or the kernel's (`$AIOS_TOKEN`) says
who is asking: there they reach the service without any option.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

import click

from aios_workbench.core.errors import UsageError, WorkbenchError
from aios_workbench.core.humanize import column_description
from aios_workbench.surfaces.cli.output import emit

if TYPE_CHECKING:
    from aios_workbench.kernel.client import ServiceClient

URL = click.option("--url", envvar="AIOS_SERVICE_URL",
                   help="A running service (e.g. http://127.0.0.1:8765) instead of in-process "
                        "(default: $AIOS_SERVICE_URL, set in a team deployment's servers).")
TOKEN = click.option("--token", envvar="AIOS_TOKEN",
                     help="Service token for --url (default: $AIOS_TOKEN; for the service at $AIOS_SERVICE_URL, "
                          "else the Jupyter server's own $JUPYTERHUB_API_TOKEN).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def local_user() -> str:
    """Who the in-process commands act as: $AIOS_USER, else the OS account (`workspace/local_user.py`)."""
    from aios_workbench.workspace.local_user import local_user as resolve  # lazy: the workspace package loads pydantic

    return resolve().name


def local_service(ctx, workspace=None):
    """The workbench service of the local workspace (or of `workspace`, already loaded), in this process
    (close it when done)."""
    # lazy: the service imports the engines (DuckDB, Arrow, SQLAlchemy): not on the CLI's start path
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

    return WorkbenchService(workspace or load_workspace(ctx), mode="local")


def remote(url: str, token: str | None) -> ServiceClient:
    """A client of the service at `url` (--url, $AIOS_SERVICE_URL); its errors are the CLI's usual ones.

    Without a token (--token, $AIOS_TOKEN), a team server's terminal has its hub token: it goes to the
    service the deployment named ($AIOS_SERVICE_URL) and nowhere else, since it also opens the person's
    own Jupyter server to whoever holds it."""
    from aios_workbench.kernel.client import ServiceClient  # lazy: REST client; only with --url

    named = os.environ.get("AIOS_SERVICE_URL", "")
    if not token and named and url.rstrip("/") == named.rstrip("/"):
        token = os.environ.get("JUPYTERHUB_API_TOKEN") or None
    return ServiceClient(url, token)


def _writable_out(out: Path) -> None:
    """Refuse --out before the query runs when its folder does not exist (or is not a folder)."""
    folder = out.expanduser().resolve().parent
    if folder.is_dir():
        return
    if folder.exists():
        raise UsageError(f"cannot write {out}: {folder} is a file, not a folder",
                         fix="pick --out in an existing folder", input=str(out))
    raise UsageError(f"cannot write {out}: the folder {folder} does not exist",
                     fix=f"create it first (mkdir -p {folder}), or pick --out in an existing folder", input=str(out))


def write_atomically(path: Path, write) -> None:
    """Write through a temporary sibling so a failure never leaves half a file."""
    path = path.expanduser().resolve()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}",
                         fix="pick --out in a folder you may write to", input=str(path)) from None
    os.close(fd)
    if path.exists() and not os.access(path, os.W_OK):
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"{path} is read-only: it is not replaced", input=str(path),
                         fix="pick another --out, or make the file writable first")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)   # as a plain `open(..., "w")` would create it, not mkstemp's 0600
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command()
@click.argument("query")
@click.option("--as", "as_user", help="Run as another user (only if the policy lets you impersonate them).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default="table",
              show_default=True, help="Output format.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
@click.option("--max-rows", type=click.IntRange(1), help="Return at most N rows.")
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@URL
@TOKEN
@click.pass_context
def sql(ctx, query, as_user, fmt, out, max_rows, as_json, url, token):
    """Run one governed, read-only QUERY; masks and row filters apply.

    \b
    aios sql "SELECT region, count(*) FROM suppliers GROUP BY ALL"
    aios sql "SELECT * FROM shipments" --format parquet --out shipments.parquet"""
    if as_json and fmt not in ("table", "json"):
        raise UsageError(f"--json and --format {fmt} ask for two formats", input="--json",
                         fix=f"keep one: --json (the same as --format json) or --format {fmt}")
    fmt = "json" if as_json else fmt
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs --out FILE", fix="add --out result.parquet", input="parquet")
    if out is not None:
        _writable_out(out)
    if url:
        table = remote(url, token).query_arrow(query, as_user=as_user, max_rows=max_rows, surface="cli")
        truncated = False
    else:
        service = local_service(ctx)
        try:
            result = service.queries.run(query, user=local_user(), surface="cli", as_user=as_user,
                                         max_rows=max_rows)
            table = result.to_arrow()
            truncated = result.truncated
        finally:
            service.close()
    import polars as pl

    frame = cast("pl.DataFrame", pl.from_arrow(table))   # a table converts to a DataFrame, never a Series
    if fmt == "table":
        with pl.Config(tbl_rows=50, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
            text = str(frame)
        _emit_text(text, out)
    elif fmt == "csv":
        _emit_text(frame.write_csv(), out)
    elif fmt == "json":
        _emit_text(frame.write_json(), out)
    else:
        write_atomically(out, lambda tmp: frame.write_parquet(tmp))
    if truncated:
        click.echo(f"note: result cut at {frame.height:,} rows (query.max_rows / --max-rows)", err=True)
    if out:
        click.echo(f"wrote {frame.height:,} rows to {out}", err=True)


def _emit_text(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text)
    else:
        write_atomically(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


@click.group()
def catalog():
    """Discover, browse and write datasets: scan, ls, search, show, write, untag."""


@catalog.command("scan")
@click.option("--force", is_flag=True, help="Rescan sources even when their fingerprint is unchanged.")
@JSON
@click.pass_context
def catalog_scan(ctx, force, as_json):
    """Discover datasets and columns from every declared source (unchanged sources are skipped)."""
    service = local_service(ctx)
    try:
        report = service.catalog.scan(force=force)
    finally:
        service.close()
    emit(report, as_json=as_json, human=lambda r: [
        *(f"scanned    {name}" for name in r["scanned"]),
        *(f"unchanged  {name}" for name in r["unchanged"]),
        *(f"FAILED     {name}: {error}" for name, error in r["failed"].items()),
        f"{r['datasets']} datasets in the catalog",
    ])
    if report["failed"]:
        ctx.exit(69)


@catalog.command("ls")
@URL
@TOKEN
@JSON
@click.pass_context
def catalog_ls(ctx, url, token, as_json):
    """List the datasets you may read."""
    if url:
        datasets = remote(url, token).get("catalog")["datasets"]
    else:
        service = local_service(ctx)
        try:
            datasets = service.catalog.readable(local_user())
        finally:
            service.close()
    emit(datasets, as_json=as_json, human=lambda ds: [
        f"{d['name']:<52} {d['kind']:<6} {len(d['columns']):>3} columns  {d['description'][:60]}" for d in ds
    ] or ["no datasets you may read (run `aios catalog scan`, check your grants with `aios policy explain`)"])


@catalog.command("search")
@click.argument("text")
@click.option("-n", "--limit", type=click.IntRange(1, 200), default=20, show_default=True, help="How many hits.")
@URL
@TOKEN
@JSON
@click.pass_context
def catalog_search(ctx, text, limit, url, token, as_json):
    """Find datasets by name, description, tag, owner or column name (only those you may read)."""
    if url:
        hits = remote(url, token).get("catalog/search?" + urlencode({"q": text, "limit": limit}))["hits"]
    else:
        service = local_service(ctx)
        try:
            hits = service.catalog.search(local_user(), text, limit=limit)
        finally:
            service.close()
    emit(hits, as_json=as_json, human=lambda hs: [
        f"{h['score']:7.2f}  {h['name']:<52} matched: {', '.join(h['matched_fields'])}"
        + (f" ({', '.join(h['matched_columns'][:4])})" if h.get("matched_columns") else "") for h in hs
    ] or [f"no dataset you may read matches {text!r}"])


@catalog.command("write")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target")
@click.option("--mode", type=click.Choice(["replace", "append"]), default="replace", show_default=True,
              help="Replace the dataset whole, or append rows with the same columns.")
@click.option("--input", "inputs", multiple=True, help="A dataset the file was derived from (repeatable): "
              "recorded as lineage; you must be allowed to read it.")
@URL
@TOKEN
@JSON
@click.pass_context
def catalog_write(ctx, file, target, mode, inputs, url, token, as_json):
    """Write FILE (Parquet, CSV or JSON) as governed dataset TARGET (SOURCE.NAME of a `datasets` source).

    Needs a `privilege: write` grant; the new columns are classified (masks apply to readers at once), the
    write is audited and traced. Same as `wb.write` in a notebook.

    Replacing or appending to an existing dataset needs its owner (who first wrote it), a steward or a grant
    naming it. Columns named like a column of an --input inherit its classification tags.

    \b
    aios catalog write late_orders.parquet outputs.late_orders
    aios catalog write more.csv outputs.late_orders --mode append --input purchasing_warehouse.procurement.purchase_orders"""
    import duckdb

    readers = {".parquet": "read_parquet", ".csv": "read_csv", ".json": "read_json_auto"}
    reader = readers.get(file.suffix.lower())
    if reader is None:
        raise UsageError(f"cannot read {file.name}: unknown file type {file.suffix or '(none)'}",
                         fix="write a .parquet, .csv or .json file", input=str(file))
    try:   # a private in-memory DuckDB reads the user's own file; nothing governed is involved yet
        table = duckdb.connect().execute(f"SELECT * FROM {reader}(?)", [str(file)]).arrow()
    except duckdb.Error as exc:
        raise UsageError(f"cannot read {file}: {str(exc).splitlines()[0]}", fix="check the file's format",
                         input=str(file)) from None
    if hasattr(table, "read_all"):
        table = table.read_all()
    if url:
        result = remote(url, token).write_arrow(target, table, mode=mode, inputs=list(inputs))
    else:
        service = local_service(ctx)
        try:
            result = service.catalog.write(local_user(), target, table, mode=mode, inputs=list(inputs),
                                           surface="cli")
        finally:
            service.close()
    emit(result, as_json=as_json, human=lambda r: [
        f"wrote {r['rows']:,} rows to {r['dataset']} ({r['mode']}; now {r['total_rows']:,} rows)"
        + (f"; from {', '.join(r['inputs'])}" if r["inputs"] else ""),
        *(["  classified: " + ", ".join(f"{c} {'/'.join(t)}" for c, t in r["pii_columns"].items())]
          if r["pii_columns"] else []),
        *(f"    {c}: {s['tag']} ({s['detail']})" for c, found in r.get("tags", {}).items() for s in found),
        *(f"  note: {w}" for w in r.get("warnings", []))])


@catalog.command("untag")
@click.argument("dataset")
@click.argument("column")
@click.argument("tag")
@click.option("--reason", required=True, help="Why the column does not hold this kind of data (audited).")
@URL
@TOKEN
@JSON
@click.pass_context
def catalog_untag(ctx, dataset, column, tag, reason, url, token, as_json):
    """Remove classification TAG from COLUMN of DATASET: a steward's decision (`privilege: manage`), audited.

    Tags otherwise only grow: no rescan and no write drops one. The removal holds against later scans; a
    later write deriving the column from data with that tag adds it again. A tag confirmed in
    governance/policy.yaml is removed there.

    \b
    aios catalog untag outputs.main.report label pii.person_name --reason 'product labels, not names'"""
    if url:
        result = remote(url, token).post("catalog/untag", {"dataset": dataset, "column": column, "tag": tag,
                                                           "reason": reason})
    else:
        service = local_service(ctx)
        try:
            result = service.catalog.untag(local_user(), dataset, column, tag, reason=reason, surface="cli")
        finally:
            service.close()
    emit(result, as_json=as_json, human=lambda r: [
        f"removed {r['tag']} from {r['dataset']}.{r['column']} (audited); its tags now: "
        f"{', '.join(r['classifications']) or 'none'}"])


@catalog.command("show")
@click.argument("dataset")
@URL
@TOKEN
@JSON
@click.pass_context
def catalog_show(ctx, dataset, url, token, as_json):
    """Show DATASET's columns, classifications and what you see of them (a dataset you may not read is
    refused, as `catalog ls` and `catalog search` leave it out)."""
    if url:
        data = remote(url, token).get("catalog/show?" + urlencode({"name": dataset}))
    else:
        service = local_service(ctx)
        try:
            data = service.catalog.show(local_user(), dataset)
        finally:
            service.close()
    emit(data, as_json=as_json, human=_show_lines)


def _show_lines(d: dict) -> list[str]:
    lines = [d["name"], f"  {d['description']}" if d["description"] else "",
             f"  owners: {', '.join(d['owners']) or '-'}   tags: {', '.join(d['tags']) or '-'}"]
    masks = {c["name"]: c["mask"] for c in d["access"]["columns"]}
    for c in d["columns"]:
        mask = masks.get(c["name"])
        lines.append(f"  {c['name']:<24} {c['type']:<16} {','.join(c['classifications']):<20}"
                     + (f" masked: {mask}" if mask else ""))
        if c.get("description"):   # under the column, as the dataset's is under its name
            lines.append(f"      {column_description(c)}")
        lines += [f"      {s['tag']}: {s['origin']}: {s['detail']}" for s in c.get("tag_sources", [])]
    return [line for line in lines if line]


@click.group()
def policy():
    """Validate and explain the governance policy: check, explain."""


@policy.command("check")
@JSON
@click.pass_context
def policy_check(ctx, as_json):
    """Validate governance/policy.yaml (and every other workspace file); exit 78 if invalid."""
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

    ws = load_workspace(ctx)  # raises ConfigError with file, line and fix
    p = ws.policy
    summary = {"valid": True, "users": len(p.users), "roles": len(p.roles), "grants": len(p.grants),
               "masks": len(p.masks), "row_filters": len(p.row_filters), "warnings": _catalog_warnings(ctx, ws)}
    emit(summary, as_json=as_json, human=lambda s: [
        f"policy is valid: {s['users']} users, {s['roles']} roles, {s['grants']} grants, {s['masks']} masks, "
        f"{s['row_filters']} row filters", *(f"warning: {w}" for w in s["warnings"])])


DESCRIPTION_FIX = "fix: correct the name under its `column_descriptions`, or remove it (unless a rescan will bring it)"


def _catalog_warnings(ctx, ws) -> list[str]:
    """What the governance files say that does not fit the scanned catalog (a description of a column the
    dataset does not have): the catalog load finds it; told, never failed on."""
    # the catalog load also logs each warning: printed here as the command's output, the log would say it twice
    load_log = logging.getLogger("aios_workbench.catalog.load")
    level = load_log.level
    load_log.setLevel(logging.ERROR)
    try:
        service = local_service(ctx, ws)
        try:
            found = service.queries.catalog().warnings
        finally:
            service.close()
    except WorkbenchError as exc:   # the files are valid whether or not the store answers now
        return [f"the policy was not compared with the catalog: {exc.message}"]
    finally:
        load_log.setLevel(level)
    return [f"{w}; {DESCRIPTION_FIX}" for w in found]


@policy.command("explain")
@click.argument("user")
@click.argument("dataset")
@JSON
@click.pass_context
def policy_explain(ctx, user, dataset, as_json):
    """Show what USER sees of DATASET, and which rule decides each part."""
    service = local_service(ctx)
    try:
        info = service.catalog.explain(user, dataset)
    finally:
        service.close()

    def human(i):
        lines = [f"{i['user']} (roles: {', '.join(i['roles']) or 'none'}) on {i['dataset']}: "
                 + ("ALLOWED" if i["allowed"] else "DENIED"), f"  because {i['rule']}"]
        for c in i["columns"]:
            lines.append(f"  {c['name']:<24} " + (f"masked ({c['mask']}) by the rule ‘{c['rule']}’" if c["mask"] else "visible"))
        if i["row_filter"]:
            lines.append(f"  rows: only where {i['row_filter']['predicate']}  (the rule ‘{i['row_filter']['rule']}’)")
        elif i["allowed"]:
            lines.append("  rows: all")
        return lines

    emit(info, as_json=as_json, human=human)


COMMANDS = [sql, catalog, policy]
