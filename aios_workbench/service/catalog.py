"""The catalog as a caller sees it: datasets they may read, search, show, preview, profile, lineage, policy explanations and governed writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService


class CatalogManager:
    """Catalog actions of one workspace, each run as a named caller."""

    def __init__(self, service: WorkbenchService):
        self.service = service
