"""`aios dashboard`: the Panel dashboard for business analysts, and its logins.

`aios dashboard` serves the app on this workspace in-process: every page reads through
the governed service as the logged-in user. Logins are policy users with a password
set by `aios dashboard users add` (salted scrypt hashes in the state folder, never in
version control).

`aios dashboard --service-url URL` (team mode) needs no workspace: it reads through the
workbench service at URL (`aios serve`), and each user logs in with their own service token
(`aios tokens add USER` on the service), so the service applies their permissions. With
`--oauth` too, users sign in at the identity provider and the dashboard acts for them with a
delegate token of the service (`aios tokens add dashboard --delegate`, in
$AIOS_DASHBOARD_SERVICE_TOKEN).
"""

from __future__ import annotations

import json
import os
import sys

import click

from aios_workbench.core.errors import (
    AuthenticationRequired,
    ConnectorError,
    PermissionDenied,
    UsageError,
    WorkbenchError,
)
from aios_workbench.surfaces.cli.data_commands import JSON
from aios_workbench.surfaces.cli.output import emit


def _users(ctx):
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module
    from aios_workbench.surfaces.dashboard.users import DashboardUsers  # lazy: logins file; dashboard commands only

    ws = load_workspace(ctx)
    return ws, DashboardUsers(ws.state_dir)


@click.group(invoke_without_command=True)
@click.option("--port", "-p", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on (default: dashboard.port in aios.yaml, 5006).")
@click.option("--address", default=None, help="Address to listen on (default: dashboard.address, 127.0.0.1).")
@click.option("--show/--no-show", default=False, show_default=True, help="Open the login page in a web browser.")
@click.option("--service-url", envvar="AIOS_DASHBOARD_SERVICE_URL", default=None, metavar="URL",
              help="Team mode: read through the workbench service at URL (`aios serve`) instead of a local "
                   "workspace; users log in with their service token ($AIOS_DASHBOARD_SERVICE_URL).")
@click.option("--oauth", is_flag=True, help="Log users in through your OAuth2 identity provider (Keycloak, Dex, "
              "Okta...) instead of dashboard passwords or service tokens; configured by Panel's PANEL_OAUTH_* "
              "variables (docs/workspace.md, Dashboard). The provider's user name must be a policy user. With "
              "--service-url, set $AIOS_DASHBOARD_SERVICE_TOKEN to a delegate token of the service "
              "(`aios tokens add dashboard --delegate`).")
@JSON
@click.pass_context
def dashboard(ctx, port, address, show, service_url, oauth, as_json):
    """Serve the analysts' dashboard (Overview, Data, Quality & drift, Jobs, Experiments & models, Audit,
    Alerts) on this workspace. Each user logs in and sees data through their own permissions.

    Add logins first: `aios dashboard users add NAME`. With --json, one JSON line
    {"url": ..., "workspace": ...} is printed once the server listens."""
    if ctx.invoked_subcommand is not None:
        return
    if service_url:
        _serve_team(service_url, port, address, show, as_json, oauth)
        return
    from aios_workbench.surfaces.cli.main import load_workspace  # lazy: cycle: cli.main imports this module
    from aios_workbench.surfaces.dashboard.server import local_gate, serve_dashboard  # lazy: Panel/Bokeh load inside
    from aios_workbench.surfaces.dashboard.users import DashboardUsers  # lazy: dashboard logins file; local mode only

    ws = load_workspace(ctx)
    cfg = ws.config.dashboard
    if not oauth and not DashboardUsers(ws.state_dir).list():
        raise UsageError("nobody can log in to the dashboard yet",
                         fix="add a login for a policy user: `aios dashboard users add NAME`",
                         input=str(ws.state_dir / "dashboard_users.json"))
    address = address or cfg.address

    def ready(url: str) -> None:
        if as_json:
            click.echo(json.dumps({"url": url, "workspace": str(ws.root), "login": f"{url}login"}))
        else:
            click.echo(f"aios dashboard for workspace {ws.name!r} on {url}  (log in at {url}login)")
        sys.stdout.flush()

    gate, secret, close = local_gate(ws, oauth=oauth)
    serve_dashboard(gate, secret, port=port or cfg.port, address=address, show=show, title=cfg.title,
                    on_ready=ready, on_close=close)


DELEGATE_TOKEN = "AIOS_DASHBOARD_SERVICE_TOKEN"


def _serve_team(service_url: str, port, address, show, as_json, oauth: bool) -> None:
    # lazy: dashboard server (Panel, Bokeh, Tornado load inside it); only when a dashboard starts
    from aios_workbench.surfaces.dashboard.server import serve_dashboard, team_gate
    from aios_workbench.workspace.config import Dashboard  # lazy: pydantic config; team mode needs only its defaults

    delegate = None
    if oauth:
        # lazy: Panel's OAuth handlers; only with --oauth
        from aios_workbench.surfaces.dashboard.oauth import check_settings

        check_settings()
        delegate = os.environ.get(DELEGATE_TOKEN, "").strip()
        if not delegate:
            raise UsageError(f"team mode with --oauth needs ${DELEGATE_TOKEN}", input=DELEGATE_TOKEN,
                             fix="on the service run `aios tokens add dashboard --delegate` and set the variable "
                                 "to the token it prints")
    url = _reachable_service(service_url)
    if delegate:
        _check_delegate(url, delegate)
    cfg = Dashboard()

    def ready(dashboard_url: str) -> None:
        if as_json:
            click.echo(json.dumps({"url": dashboard_url, "service_url": url, "login": f"{dashboard_url}login"}))
        else:
            how = "sign in at your identity provider" if oauth else "log in with your service token"
            click.echo(f"aios dashboard for the workbench service at {url} on {dashboard_url}  "
                       f"({how} at {dashboard_url}login)")
        sys.stdout.flush()

    gate, secret, close = team_gate(url, delegate_token=delegate)
    serve_dashboard(gate, secret, port=port or cfg.port, address=address or cfg.address, show=show,
                    title=cfg.title, on_ready=ready, on_close=close)


def _reachable_service(service_url: str) -> str:
    """The URL, once a workbench service answers there (asking for a token, as `aios serve` does)."""
    from aios_workbench.kernel.client import ServiceClient  # lazy: kernel REST client; only team mode calls a service

    url = service_url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--service-url must be an http(s) URL, got {service_url!r}",
                         fix="e.g. --service-url http://workbench.example.com:8765", input=service_url)
    try:
        ServiceClient(url, None, timeout=10).status()
    except AuthenticationRequired:
        return url   # a workbench service that wants a token: the right answer
    except ConnectorError as exc:
        raise ConnectorError(exc.message, fix="start `aios serve` there, or fix --service-url",
                             input=service_url) from None
    except WorkbenchError as exc:
        raise UsageError(f"no workbench service at {url}: {exc.message}",
                         fix="point --service-url at `aios serve` (its base URL, without /aios/api)",
                         input=service_url) from None
    raise UsageError(f"the service at {url} answered without asking for a token",
                     fix="point --service-url at `aios serve`, which authenticates every call", input=service_url)


def _check_delegate(url: str, token: str) -> None:
    """The token must be one of the service's delegate tokens: a user's own would make everyone that user."""
    from aios_workbench.kernel.client import ServiceClient  # lazy: REST client; only team mode with --oauth calls it
    from aios_workbench.service.tokens import ACT_AS  # lazy: token-header constant (light); only this check needs it

    fix = "on the service run `aios tokens add dashboard --delegate` and use the token it prints"
    try:
        me = ServiceClient(url, token, timeout=10).get("dashboard/whoami")["result"]
    except AuthenticationRequired:
        raise UsageError(f"the service at {url} refused ${DELEGATE_TOKEN}", fix=fix, input=DELEGATE_TOKEN) from None
    except PermissionDenied as exc:
        if exc.input == ACT_AS:   # a delegate token, asked to act as itself: the answer we want
            return
        raise UsageError(f"the service at {url} refused ${DELEGATE_TOKEN}: {exc.message}", fix=fix,
                         input=DELEGATE_TOKEN) from None
    raise UsageError(f"${DELEGATE_TOKEN} is {me['user']}'s own token, not a delegate token: every user would "
                     f"read as {me['user']}", fix=fix, input=DELEGATE_TOKEN)


@dashboard.group()
def users():
    """Dashboard logins: policy users with a password (hashes kept in the state folder)."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin "
              "(for scripts) instead of prompting.")
@JSON
@click.pass_context
def users_add(ctx, name, password_stdin, as_json):
    """Let policy user NAME log in (or change its password). NAME must be under `users:` in
    governance/policy.yaml."""
    ws, store = _users(ctx)
    store.require_policy_user(name, ws.policy.users)   # before asking for a password, not after
    password = _read_password(password_stdin)
    result = store.set_password(name, password, policy_users=ws.policy.users)
    emit(result, as_json=as_json, human=lambda r: [
        f"{'added' if r['created'] else 'changed the password of'} dashboard login {r['user']!r}"])


@users.command("ls")
@JSON
@click.pass_context
def users_ls(ctx, as_json):
    """List dashboard logins (names and dates only; passwords are stored as salted hashes)."""
    ws, store = _users(ctx)
    policy_users = set(ws.policy.users)
    rows = [{**r, "in_policy": r["user"] in policy_users} for r in store.list()]

    def human(rows):
        if not rows:
            return ["no dashboard logins (add one with `aios dashboard users add NAME`)"]
        return [f"{'user':<20} {'created':<26} {'changed':<26} policy"] + [
            f"{r['user']:<20} {r['created_at'] or '':<26} {r['updated_at'] or '':<26} "
            f"{'yes' if r['in_policy'] else 'NO (cannot log in)'}" for r in rows]

    emit(rows, as_json=as_json, human=human)


@users.command("remove")
@click.argument("name")
@JSON
@click.pass_context
def users_remove(ctx, name, as_json):
    """Remove NAME's dashboard login (its open sessions end at their next request)."""
    _, store = _users(ctx)
    store.remove(name)
    emit({"user": name, "removed": True}, as_json=as_json, human=lambda r: [f"removed dashboard login {name!r}"])


COMMANDS = [dashboard]
