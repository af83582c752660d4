"""Notebook surfaces built on ipywidgets; ipywidgets is imported only when one is shown."""

from __future__ import annotations


def catalog(client=None):
    """The catalog browser for `client` (default: the connected workbench service)."""
    from aios_workbench.kernel.ui.catalog_browser import catalog as make

    return make(client)


__all__ = ["catalog"]
