"""How commands print: human text by default, one JSON document with --json."""

from __future__ import annotations

import json

import click


def emit(data, *, as_json: bool, human) -> None:
    """Print `data` as JSON, or through `human(data)` which returns lines of text."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        for line in human(data):
            click.echo(line)


def fail(message: str, fix: str | None) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    if fix:
        click.echo(f"  fix: {fix}", err=True)

