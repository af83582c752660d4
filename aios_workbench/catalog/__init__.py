"""The catalog: which datasets exist (source > schema > dataset > column), found by scanning sources."""

from aios_workbench.catalog.model import Catalog, CatalogEntry, ColumnInfo
from aios_workbench.catalog.scan import ScanReport, scan_catalog

__all__ = ["Catalog", "CatalogEntry", "ColumnInfo", "ScanReport", "scan_catalog"]
