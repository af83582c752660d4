"""`aios`: entry point, global options, and the one place errors become exit codes."""

from __future__ import annotations

import json
import sys

import click

from aios_workbench import __version__
from aios_workbench.core.errors import WorkbenchError, exit_code
from aios_workbench.core.logs import setup_logging
from aios_workbench.surfaces.cli.output import fail


class WorkbenchGroup(click.Group):
    """Turns any `WorkbenchError` into a readable message and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            if "--json" in sys.argv[1:]:  # scripts asking for JSON get the error as JSON too
                click.echo(json.dumps(exc.to_dict()))
            fail(exc.message, exc.fix)
            ctx.exit(exit_code(exc))


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
