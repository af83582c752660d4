"""`aios dashboard`: the Panel dashboard for business analysts."""

from __future__ import annotations

COMMANDS: list = []
