"""The metadata store: SQLAlchemy models, migrations and the engine that opens them."""

from aios_workbench.store.database import MetadataStore, StoreHealth, open_store

__all__ = ["MetadataStore", "StoreHealth", "open_store"]
