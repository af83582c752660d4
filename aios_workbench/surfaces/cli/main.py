"""`aios`: entry point, global options, and the one place errors become exit codes."""

from __future__ import annotations

import json
import sys

import click

from aios_workbench import __version__
from aios_workbench.core import incidents
from aios_workbench.core.errors import EXIT_CODE, UnknownPolicyUser, WorkbenchError, exit_code
from aios_workbench.core.logs import setup_logging
from aios_workbench.surfaces.cli.output import fail


class WorkbenchGroup(click.Group):
    """Turns any `WorkbenchError` into a readable message and its exit code, and any other exception into
    an internal error with an id (its traceback goes to the workspace's logs/errors.log under that id)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            _explain_identity(ctx, exc)
            body = exc.to_dict()
            details = incidents.internal_details(exc, body)
            if details is not None:
                self._internal(ctx, exc, details=details)
            if "--json" in sys.argv[1:]:  # scripts asking for JSON get the error as JSON too
                click.echo(json.dumps(body))
            fail(exc.message, exc.fix)
            ctx.exit(exit_code(exc))
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: an id, never a traceback
            self._internal(ctx, exc)

    @staticmethod
    def _internal(ctx, exc: Exception, *, details: str | None = None) -> None:
        state_dir = _state_dir(ctx)
        error_id = incidents.report(exc, where=f"aios {' '.join(sys.argv[1:2])}".strip(), state_dir=state_dir,
                                    details=details, process_log=False)
        body = incidents.internal_error_body(error_id)
        if "--json" in sys.argv[1:]:
            click.echo(json.dumps(body))
        where = incidents.log_path(state_dir) if state_dir is not None else "the log above"
        fail(f"something went wrong in aios (error id {error_id})",
             f"the details are in {where} under that id; retry, or report the id with that entry")
        ctx.exit(EXIT_CODE[WorkbenchError])


def _explain_identity(ctx, exc: WorkbenchError) -> None:
    """A refusal because this process's user is not in the policy: say that the user came from $AIOS_USER or
    the OS account, and how to act as a policy user instead."""
    if not isinstance(exc, UnknownPolicyUser):
        return
    # lazy: the workspace package (pydantic, YAML), only for this refusal
    from aios_workbench.workspace.local_user import choose_user_fix, local_user

    user = local_user()
    if exc.input != user.name:
        return   # someone else's name (`--as`, a job's identity): the refusal's own fix says what to do
    try:
        users = list(load_workspace(ctx).policy.users)
    except WorkbenchError:
        users = []
    command = " ".join(["aios", *([ctx.invoked_subcommand] if ctx.invoked_subcommand else []), "..."])
    exc.fix = choose_user_fix(user, users, example=f"AIOS_USER={{user}} {command}")


def _state_dir(ctx):
    """The workspace's state folder for the incident log, when a workspace can be found (else None)."""
    try:
        # lazy: workspace config (pydantic, YAML) only when a command failed unexpectedly
        from aios_workbench.workspace import Workspace

        return Workspace.load((ctx.obj or {}).get("workspace")).state_dir
    except Exception:  # noqa: BLE001 - no workspace: the incident goes to the process's log
        return None


# What each exit code means (the README says the same; tests/test_first_hour_cli.py keeps them together).
# 2 is click's own for a wrong command line; the others are `core/errors.py`'s EXIT_CODE (sysexits(3)).
EXIT_CODES = {
    0: "success",
    1: "a check failed or a job run did not succeed; or an unexpected error (its id is printed)",
    2: "the command line is wrong: an unknown command or option, a missing argument",
    64: "a value the workbench refuses (invalid SQL, a bad option value)",
    65: "bad data: the audit log tampered with, a promotion refused by its gates",
    66: "no workspace, or the thing named was not found",
    69: "a metadata store or data source is unavailable",
    75: "the thing acted on changed meanwhile (an action already decided or expired): look again",
    77: "authentication or permission: a denied query, a user who is not in the policy",
    78: "invalid configuration",
}
EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code:>2}  {meaning}" for code, meaning in EXIT_CODES.items())


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.option("--workspace", "-w", type=click.Path(file_okay=False), envvar="AIOS_WORKSPACE",
              help="Workspace folder (default: $AIOS_WORKSPACE, else search upward from here).")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.version_option(__version__, prog_name="aios")
@click.pass_context
def cli(ctx, workspace, log_level):
    """aios-workbench: governed data, experiments, checks and production jobs for Jupyter."""
    setup_logging(log_level)
    ctx.obj = {"workspace": workspace}


def load_workspace(ctx):
    # lazy: workspace config (pydantic, YAML) stays off `aios --help` and start-up
    from aios_workbench.workspace import Workspace

    return Workspace.load(ctx.obj["workspace"])


def register_commands() -> None:
    # lazy: not deferred: runs at import below; kept beside the registration loop
    from aios_workbench.surfaces.cli import (
        action_commands,
        app_commands,
        audit_commands,
        check_commands,
        dashboard_commands,
        data_commands,
        job_commands,
        lineage_commands,
        mcp_commands,
        model_commands,
        promote_commands,
        server_commands,
        workspace_commands,
    )

    for module in (workspace_commands, server_commands, data_commands, lineage_commands, check_commands,
                   model_commands, audit_commands, promote_commands, job_commands, action_commands,
                   app_commands, dashboard_commands, mcp_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


register_commands()


def main() -> None:
    cli(prog_name="aios")
