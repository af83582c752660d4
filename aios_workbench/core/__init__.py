"""The leaves every layer may import: one error hierarchy, one plugin registry shape, logging with
credential redaction. Nothing here imports another part of the workbench."""
