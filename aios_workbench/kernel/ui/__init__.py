"""Notebook surfaces built on ipywidgets; ipywidgets is imported only when one is shown."""

from __future__ import annotations


def catalog(client=None):
    """The catalog browser for `client` (default: the connected workbench service)."""
    # lazy: catalog_browser imports kernel.ui.render, so this package (circular); keeps kernel.ui light
    from aios_workbench.kernel.ui.catalog_browser import catalog as make

    return make(client)


__all__ = ["catalog"]
