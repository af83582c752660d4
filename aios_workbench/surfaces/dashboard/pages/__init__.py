"""The dashboard's pages: one module per page, each a param-based component with `__panel__`."""
