"""`aios jobs|runs|alerts|scheduler ...`: promoted jobs, their runs, the alert feed, the scheduler service."""

from __future__ import annotations

COMMANDS: list = []
