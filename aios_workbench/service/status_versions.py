"""The versions of the engines the workbench runs on, for the Status tab: read from the installed packages'
metadata (none of them is imported, so asking costs nothing)."""

from __future__ import annotations

import platform
from functools import cache
from importlib import metadata

# package on PyPI -> the name people know it by
COMPONENTS = {"duckdb": "DuckDB", "mlflow": "MLflow", "evidently": "Evidently", "papermill": "Papermill",
              "jupyterlab": "JupyterLab", "panel": "Panel"}


@cache
def component_versions() -> list[dict[str, str]]:
    """[{name, version}] of Python and each installed component, in a fixed order; missing ones left out."""
    found = [{"name": "Python", "version": platform.python_version()}]
    for package, name in COMPONENTS.items():
        try:
            found.append({"name": name, "version": metadata.version(package)})
        except metadata.PackageNotFoundError:
            continue
    return found
