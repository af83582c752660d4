"""Credentials, referenced by name and resolved only inside the workbench service.

A connector's options name a secret (`password_secret: PG_PASSWORD`); the value
comes from the environment variable of that name or from the secrets file named
by `AIOS_SECRETS_FILE` (a YAML mapping kept outside the workspace). Values never
appear in errors, logs or API responses: `scrub` removes them from any text.
"""

from __future__ import annotations

import os
from pathlib import Path

from aios_workbench.core.errors import ConfigError

_resolved: set[str] = set()


def resolve_secret(name: str) -> str:
    """The value of the secret called `name`."""
    if name in os.environ:
        value = os.environ[name]
    else:
        value = _from_secrets_file(name)
    if value:
        _resolved.add(value)
    return value


def _from_secrets_file(name: str) -> str:
    file = os.environ.get("AIOS_SECRETS_FILE")
    if file and Path(file).is_file():
        # lazy: core.yamlfile loads PyYAML; only when a secrets file exists
        from aios_workbench.core.yamlfile import read_yaml

        data = read_yaml(Path(file))[0] or {}   # its errors name the file and line, never a value
        if isinstance(data, dict) and name in data:
            return str(data[name])
    raise ConfigError(
        f"secret {name!r} is not set",
        fix=f"export {name}=... in the environment of the workbench service, or add `{name}: ...` to the "
        "YAML file named by AIOS_SECRETS_FILE (outside the workspace)",
        input=name,
    )


def scrub(text: str) -> str:
    """`text` with every secret value resolved so far replaced by ``***``."""
    for value in sorted(_resolved, key=len, reverse=True):
        text = text.replace(value, "***")
    return text
