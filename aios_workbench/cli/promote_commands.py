"""`aios promote NOTEBOOK`: freeze a notebook as a gated, versioned job."""

from __future__ import annotations

COMMANDS: list = []
