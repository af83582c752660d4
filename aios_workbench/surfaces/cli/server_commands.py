"""`aios lab`, `aios demo` and `aios serve`: the commands that start servers."""

from __future__ import annotations

import asyncio
import os
import sys

import click

from aios_workbench.core.errors import ConfigError, ConnectorError, UsageError
from aios_workbench.service.tokens import new_token
from aios_workbench.surfaces.cli.data_commands import local_user
from aios_workbench.surfaces.cli.output import emit

PORT = click.option("--port", "-p", type=click.IntRange(1, 65535), default=8888, show_default=True,
                    help="Port to listen on.")
NO_BROWSER = click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
IP = click.option("--ip", default="127.0.0.1", show_default=True, help="Address to listen on.")



def _check_policy_user(ws, user: str | None, command: str, consequence: str) -> None:
    """Refuse `--user NAME` when NAME is no user of the workspace's policy (it would act as nobody)."""
    if user is None or user in ws.policy.users:
        return
    known = sorted(ws.policy.users)
    example = f"`aios {command} --user {known[0]}`" if known else f"`aios {command} --user NAME`"
    raise UsageError(f"--user {user!r} is not a user of governance/policy.yaml, so {consequence}", input=user,
                     fix=f"name a policy user ({', '.join(known[:6]) or 'none yet'}), e.g. {example}, or add "
                         f"`{user}:` with its roles under `users:`")


def _lab_user(ws, user: str | None, command: str, *, default: str | None = None) -> str:
    """The policy user a JupyterLab acts as: --user, else $AIOS_USER, else `default` or the OS account; refused
    when it is no user of the policy (the sidebar and every kernel would read nothing)."""
    # lazy: the workspace package loads pydantic; `aios lab` loads the workspace anyway
    from aios_workbench.workspace.local_user import LocalUser, choose_user_fix, local_user

    _check_policy_user(ws, user, command, "JupyterLab would read nothing")
    if user:
        return user
    chosen = local_user()
    if default and chosen.source != "$AIOS_USER":
        chosen = LocalUser(default, "the demo's default")
    if chosen.name not in ws.policy.users:
        raise UsageError(f"JupyterLab would act as {chosen.name!r} ({chosen.source}), who is not a user of "
                         "governance/policy.yaml, so it would read nothing", input=chosen.name,
                         fix=choose_user_fix(chosen, ws.policy.users, example=f"AIOS_USER={{user}} aios {command}")
                         + f" (or pass `aios {command} --user NAME`)")
    return chosen.name

def lab_command_line(root, *, port: int, ip: str, no_browser: bool, user: str | None,
                     scheduler: bool = False) -> list[str]:
    """The `jupyter lab` command line that serves workspace `root` with the workbench (its token is passed
    in the environment, `lab_environment`: a command line is readable by every account on the machine)."""
    args = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
            f"--AIOSWorkbench.workspace={root}", f"--ServerApp.port={port}", f"--ServerApp.ip={ip}",
            "--ServerApp.port_retries=0"]
    if user:
        args.append(f"--AIOSWorkbench.user={user}")
    if scheduler:
        args.append("--AIOSWorkbench.scheduler=True")
    if no_browser:
        args.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return args


def start_lab(ws, *, port: int, ip: str, no_browser: bool, user: str | None, extra: tuple[str, ...] = (),
              scheduler: bool = False) -> None:
    """Replace this process with JupyterLab on workspace `ws`, after printing its URL."""
    token = os.environ.get("AIOS_LAB_TOKEN") or new_token()
    args = lab_command_line(ws.root, port=port, ip=ip, no_browser=no_browser, user=user,
                            scheduler=scheduler) + list(extra)
    who = f", acting as policy user {user!r}" if user else ""
    click.echo(f"aios-workbench: JupyterLab on workspace {ws.name!r} ({ws.root}){who}")
    if scheduler:
        log = ws.state_dir / "logs" / "scheduler.log"
        click.echo(f"  scheduler: runs promoted jobs while JupyterLab is up (log: {log})")
    click.echo(f"  open: http://{ip}:{port}/lab?token={token}", err=False)
    sys.stdout.flush()
    os.execve(args[0], args, lab_environment(token))


def lab_environment(token: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The Jupyter server's environment: this process's, with the lab's token as Jupyter reads it
    (JUPYTER_TOKEN) instead of AIOS_LAB_TOKEN. The server's kernels get none of it (the server extension
    starts them with an allow-list, see surfaces/rest/lab_kernels.py)."""
    env = dict(os.environ if environ is None else environ)
    env.pop("AIOS_LAB_TOKEN", None)
    env["JUPYTER_TOKEN"] = token
    return env


@click.command(context_settings={"ignore_unknown_options": True})
@PORT
@IP
@NO_BROWSER
@click.option("--user", help="Policy user this server acts as (default: $AIOS_USER, else the OS account).")
@click.option("--scheduler/--no-scheduler", default=False, show_default=True,
              help="Also run the job scheduler while JupyterLab is up (production: `aios scheduler` on its own).")
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def lab(ctx, port, ip, no_browser, user, scheduler, jupyter_args):
    """Start JupyterLab with the workbench on this workspace.

    Extra arguments after `--` go to `jupyter lab`."""
    # lazy: WorkbenchService engines (DuckDB, SQLAlchemy, MLflow): only `aios lab` pays
    from aios_workbench.service.core import prepare_store
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

    ws = load_workspace(ctx)
    user = _lab_user(ws, user, "lab")
    prepare_store(ws)
    start_lab(ws, port=port, ip=ip, no_browser=no_browser, user=user, extra=jupyter_args, scheduler=scheduler)


@click.command()
@PORT
@IP
@NO_BROWSER
@click.option("--prepare-only", is_flag=True, help="Generate the demo data and stores, then exit.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the deterministic data generator.")
@click.option("--scale", type=click.FloatRange(0.01, 100), default=1.0, show_default=True,
              help="Data volume relative to the default (~40,000 purchase orders).")
@click.option("--user", help="Demo policy user to act as: alice (data scientist), bob (analyst), carol (steward) "
              "(default: $AIOS_USER, else alice).")
@click.option("--json", "as_json", is_flag=True, help="With --prepare-only: print what was prepared as JSON.")
@click.pass_context
def demo(ctx, port, ip, no_browser, prepare_only, seed, scale, user, as_json):
    """Prepare the demo workspace (procurement data in Parquet, SQLite and DuckDB) and start JupyterLab on it,
    with the job scheduler running beside it."""
    # lazy: demo data generator, connectors, tracking store: only `aios demo` pays
    from aios_workbench.demo.prepare import prepare_demo
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

    ws = load_workspace(ctx)
    if not prepare_only:   # refused before the data is prepared, not after
        user = _lab_user(ws, user, "demo", default="alice")
    summary = prepare_demo(ws, seed=seed, scale=scale, progress=not as_json, jobs=True)
    if prepare_only:
        emit(summary, as_json=as_json, human=lambda s: [
            f"Demo workspace ready in {s['workspace']}",
            *(f"  {name:<18} {rows:>8,} rows" for name, rows in s["tables"].items()),
        ])
        return
    start_lab(ws, port=port, ip=ip, no_browser=no_browser, user=user, scheduler=True)


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: service.host in aios.yaml).")
@click.option("--port", "-p", type=click.IntRange(1, 65535), default=None,
              help="Port (default: service.port in aios.yaml).")
@click.option("--user", default=None, help="Identity that holders of the service's own token act as (default: "
              "$AIOS_USER, else the OS account, as for every other command).")
@click.pass_context
def serve(ctx, host, port, user):
    """Run the workbench service standalone (token auth) for dashboards, schedulers and teams.

    The token is read from the variable named by service.token_env (AIOS_TOKEN);
    when it is unset a random token is generated and printed once.

    Team mode: with a `hub:` section in aios.yaml the service is an external JupyterHub service that also
    accepts users' hub tokens (scope access:services!service=NAME), each acting as its hub user's policy user,
    and it refuses to start while group or others can read its state folder, store, secrets or audit witness."""
    from aios_workbench.service.core import WorkbenchService  # lazy: engines (DuckDB, MLflow): only `aios serve`
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module
    from aios_workbench.surfaces.rest.standalone import serve as run  # lazy: Tornado server: `aios serve` only

    ws = load_workspace(ctx)
    known = sorted(ws.policy.users)
    example = f"`aios serve --user {known[0]}`" if known else "`aios serve --user NAME`"
    _check_policy_user(ws, user, "serve", "the service token could read nothing")
    if user is None:   # $AIOS_USER or the OS account: kept even when the policy lacks it, but said so
        user = local_user()
        if user not in ws.policy.users:
            source = "$AIOS_USER" if os.environ.get("AIOS_USER") else "the OS account"
            click.secho(f"warning: the service token acts as {user!r} ({source}), which is not a user of "
                        "governance/policy.yaml: it may read nothing (deny by default)", fg="yellow", err=True)
            click.echo(f"  fix: pass a policy user, e.g. {example}, or set $AIOS_USER to one, or add `{user}:` under "
                       "`users:`", err=True)
    _check_state_privacy(ws)
    cfg = ws.config.service
    host, port = host or cfg.host, port or cfg.port
    token = os.environ.get(cfg.token_env)
    generated = not token
    token = token or new_token()
    service = WorkbenchService(ws, mode="standalone")
    try:
        hub = _hub_identities(service, ws)
    except BaseException:
        service.close()
        raise
    service.warm_up_in_background()

    def ready():
        click.echo(f"aios-workbench service for workspace {ws.name!r} on http://{host}:{port}/aios/api/status")
        click.echo(f"  token: {token}" if generated else f"  token: from ${cfg.token_env}")
        if hub is not None:
            click.echo(f"  team mode: JupyterHub tokens with scope {hub.scope} act as their hub user "
                       f"(hub API {hub.api_url}; also served at /services/{hub.settings.service_name}/aios/api/)")
        sys.stdout.flush()

    async def start():
        if hub is not None:
            await _check_hub(service, hub)
        await run(service, host=host, port=port, token=token, user=user, hub=hub, on_ready=ready)

    asyncio.run(start())


def _check_state_privacy(ws) -> None:
    """Team mode refuses a state other accounts can reach (and keeps what it creates private); a personal
    service only warns."""
    from aios_workbench.service.core import state_exposure  # lazy: the audit witness's locator: `aios serve` only
    from aios_workbench.workspace.permissions import privacy_fix  # lazy: `aios serve` only

    if ws.config.hub is not None:
        os.umask(0o077)   # files the service creates from now on (logs, outputs, the store's WAL) are its own
    loose = state_exposure(ws)
    if not loose:
        return
    listed = ", ".join(p.shown(ws.root) for p in loose)
    fix = f"{privacy_fix(ws, loose)} (as the service's account, which should own them)"
    if ws.config.hub is not None:
        raise ConfigError(f"team mode (`hub:` in aios.yaml) refuses to serve a state other accounts can reach: "
                          f"{listed}", fix=fix, input=loose[0].shown(ws.root))
    click.secho(f"warning: other accounts can reach the workspace's state: {listed}", fg="yellow", err=True)
    click.echo(f"  fix: {fix}", err=True)


def _hub_identities(service, ws):
    """Team mode's resolver of hub tokens, or None without `hub:`; warns about mappings to no policy user."""
    from aios_workbench.service.hub import HubIdentities  # lazy: JupyterHub's client: team mode only

    if ws.config.hub is None:
        return None
    hub = HubIdentities(service, ws.config.hub)
    for hub_name, policy_user in ws.config.hub.users.items():
        if policy_user not in ws.policy.users:
            click.secho(f"warning: hub.users maps {hub_name!r} to {policy_user!r}, which is not a user of "
                        "governance/policy.yaml: that hub user will be refused", fg="yellow", err=True)
    return hub


async def _check_hub(service, hub) -> None:
    """Ask the hub who the service's token is: a wrong token stops the start, an unreachable hub is a warning
    (it may start after the service; each request asks again)."""
    try:
        await hub.check_service_token()
    except ConnectorError:
        click.secho(f"warning: JupyterHub's API at {hub.api_url} does not answer yet: hub tokens are refused "
                    "(502) until it does", fg="yellow", err=True)
    except BaseException:
        service.close()
        raise


@click.command("mlflow")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port.")
@click.pass_context
def mlflow_ui(ctx, host, port):
    """Start MLflow's UI on this workspace's tracking store, behind a login.

    Log in with your policy user name and a workbench token (`aios tokens add USER`). You see your own
    runs, those of experiments shared with you (experiment tag `aios.readers`), all runs if you are an
    auditor, and only runs over datasets you may read; read-only. MLflow's own server listens on a
    private socket only this proxy can reach."""
    # lazy: the service, MLflow's server and the Tornado proxy: only `aios mlflow` pays
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.service.runs import mlflow_ui_backend  # lazy: MLflow's server; only `aios mlflow` pays
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module
    from aios_workbench.surfaces.rest.mlflow_proxy import serve as serve_proxy  # lazy: Tornado; only `aios mlflow`

    ws = load_workspace(ctx)
    backend = mlflow_ui_backend(ws)
    service = WorkbenchService(ws, mode="standalone")
    try:
        click.echo("starting MLflow's server on a private socket (5-20 s)...", err=True)
        backend.wait_ready()

        def ready():
            click.echo(f"MLflow UI on http://{host}:{port} (log in: policy user name + `aios tokens add USER` token)")
            sys.stdout.flush()

        asyncio.run(serve_proxy(service, backend, host=host, port=port, on_ready=ready))
    finally:
        service.close()
        backend.stop()


@click.group()
def tokens():
    """Per-user tokens of `aios serve`: each holder acts as its user (the policy's grants, masks and row
    filters apply). Only digests are stored (.aios/service_tokens.json); a running service sees changes at once."""


def _tokens(ctx):
    # lazy: service token store; only the `aios tokens` commands need it
    from aios_workbench.service.tokens import ServiceTokens
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module

    ws = load_workspace(ctx)
    return ws, ServiceTokens(ws.state_dir)


@tokens.command("add")
@click.argument("user")
@click.option("--label", default="", help="What the token is for (e.g. 'ana laptop').")
@click.option("--delegate", is_flag=True,
              help="A token for a trusted front end named USER (e.g. `dashboard`), not a person: it acts for the "
                   "policy user named in each call's X-AIOS-Act-As header, on the dashboard's views only. For "
                   "`aios dashboard --service-url URL --oauth` ($AIOS_DASHBOARD_SERVICE_TOKEN). Guard it like "
                   "every user's token at once.")
@click.option("--for-role", "for_roles", multiple=True, metavar="ROLE",
              help="With --delegate: act only for users holding this role (repeatable), e.g. the analysts a "
                   "dashboard is for, never a job identity or an administrator.")
@click.option("--agent", is_flag=True,
              help="A token for an AI agent named USER: it reaches only the MCP gateway (`aios mcp`, /aios/mcp), "
                   "acting as policy user USER, or with --on-behalf-of as that user.")
@click.option("--on-behalf-of", "on_behalf_of", default=None, metavar="USER",
              help="With --agent: act as this policy user (audited as the agent, `via`).")
@click.option("--tool", "agent_tools", multiple=True, metavar="TOOL",
              help="With --agent: allow only this tool (repeatable), e.g. --tool search_catalog --tool query.")
@click.option("--max-rows", type=click.IntRange(1), default=None, help="With --agent: rows per call (default 200).")
@click.option("--calls-per-minute", type=click.IntRange(1), default=None,
              help="With --agent: calls per minute (default 60).")
@click.option("--max-bytes", type=click.IntRange(1), default=None,
              help="With --agent: bytes of answers in all (default 20,000,000), counted by the serving process.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def tokens_add(ctx, user, label, delegate, for_roles, agent, on_behalf_of, agent_tools, max_rows, calls_per_minute,
               max_bytes, as_json):
    """Create a token acting as policy user USER (or, with --delegate, for front end USER; with --agent, for AI
    agent USER); it is printed once, never stored."""

    ws, store = _tokens(ctx)
    if agent:
        from aios_workbench.surfaces.mcp.identity import agent_entry  # lazy: agent tokens only
        from aios_workbench.surfaces.mcp.server import TOOL_NAMES  # lazy: as above (loads the MCP SDK)

        spec = agent_entry(on_behalf_of=on_behalf_of, tools=list(agent_tools), known_tools=set(TOOL_NAMES),
                           limits={"max_rows": max_rows, "calls_per_minute": calls_per_minute,
                                   "max_bytes": max_bytes}, policy_users=set(ws.policy.users), name=user)
        entry, token = store.add(user, label=label, agent=spec)
        emit({**entry, "token": token}, as_json=as_json, human=lambda r: [
            f"agent token {r['id']} for {r['user']}"
            + (f" acting for {r['agent']['on_behalf_of']}" if r["agent"].get("on_behalf_of") else "")
            + " (shown once; for `aios mcp` as AIOS_AGENT_TOKEN, or `Authorization: Bearer <token>` at /aios/mcp):",
            f"  {r['token']}"])
        return
    if on_behalf_of or agent_tools or max_rows or calls_per_minute or max_bytes:
        raise UsageError("--on-behalf-of, --tool and the limits are for agent tokens", fix="add --agent",
                         input=user)
    if not delegate and user not in ws.policy.users:
        raise UsageError(f"{user!r} is not a user of governance/policy.yaml", input=user,
                         fix=f"add `{user}:` with its roles under `users:` first (or pass --delegate for a front "
                             "end's token)")
    if delegate and user in ws.policy.users:
        raise UsageError(f"{user!r} is a policy user: a delegate token names the front end holding it", input=user,
                         fix="name it after the front end, e.g. `aios tokens add dashboard --delegate`")
    unknown = [r for r in for_roles if r not in ws.policy.roles]
    if unknown:
        raise UsageError(f"{unknown[0]!r} is not a role of governance/policy.yaml", input=unknown[0],
                         fix=f"one of: {', '.join(sorted(ws.policy.roles))}")
    entry, token = store.add(user, label=label, delegate=delegate, for_roles=tuple(for_roles))
    emit({**entry, "token": token}, as_json=as_json, human=lambda r: [
        f"{'delegate token' if r.get('delegate') else 'token'} {r['id']} for {r['user']} (shown once; send it as "
        "`Authorization: Bearer <token>`" + (", with X-AIOS-Act-As: USER" if r.get("delegate") else "") + "):",
        f"  {r['token']}"])


@tokens.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def tokens_ls(ctx, as_json):
    """List tokens: id, user, label, created (never the tokens)."""
    _, store = _tokens(ctx)
    rows = store.list()
    emit(rows, as_json=as_json, human=lambda rows: [f"{'id':<10} {'user':<16} {'created':<26} label"] + [
        f"{r['id']:<10} {r['user']:<16} {r['created']:<26} {r['label']}"
        + (" (delegate: acts for " + (f"users with role {' or '.join(r['for_roles'])}" if r.get("for_roles")
                                       else "any policy user") + " on the dashboard's views)"
           if r.get("delegate") else "")
        + (" (agent" + (f", for {r['agent']['on_behalf_of']}" if r["agent"].get("on_behalf_of") else "")
           + (f", tools: {', '.join(r['agent']['tools'])}" if r["agent"].get("tools") else "") + ")"
           if r.get("agent") else "") for r in rows]
        if rows else ["no user tokens (add one with `aios tokens add USER`)"])


@tokens.command("revoke")
@click.argument("token_id")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def tokens_revoke(ctx, token_id, as_json):
    """Revoke token TOKEN_ID: the service refuses it from its next request on."""
    _, store = _tokens(ctx)
    entry = store.revoke(token_id)
    emit({**entry, "revoked": True}, as_json=as_json,
         human=lambda r: [f"revoked token {r['id']} of {r['user']}"])


COMMANDS = [lab, demo, serve, mlflow_ui, tokens]
