"""`aios`: entry point, global options, and the one place errors become exit codes."""

from __future__ import annotations

import json
import sys

import click

from aios_workbench import __version__
from aios_workbench.core import incidents
from aios_workbench.core.errors import EXIT_CODE, WorkbenchError, exit_code
from aios_workbench.core.logs import setup_logging
from aios_workbench.surfaces.cli.output import fail


class WorkbenchGroup(click.Group):
    """Turns any `WorkbenchError` into a readable message and its exit code, and any other exception into
    an internal error with an id (its traceback goes to the workspace's logs/errors.log under that id)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
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


def _state_dir(ctx):
    """The workspace's state folder for the incident log, when a workspace can be found (else None)."""
    try:
        # lazy: workspace config (pydantic, YAML) only when a command failed unexpectedly
        from aios_workbench.workspace import Workspace

        return Workspace.load((ctx.obj or {}).get("workspace")).state_dir
    except Exception:  # noqa: BLE001 - no workspace: the incident goes to the process's log
        return None


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
        audit_commands,
        check_commands,
        dashboard_commands,
        data_commands,
        job_commands,
        lineage_commands,
        model_commands,
        promote_commands,
        server_commands,
        workspace_commands,
    )

    for module in (workspace_commands, server_commands, data_commands, lineage_commands, check_commands,
                   model_commands, audit_commands, promote_commands, job_commands, dashboard_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


register_commands()


def main() -> None:
    cli(prog_name="aios")
