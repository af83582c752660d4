"""Built-in notifiers. Each is registered through the `aios_workbench.notifiers`
entry-point group, as third-party notifiers (Slack, PagerDuty, ...) are."""

from __future__ import annotations

import logging

log = logging.getLogger("aios_workbench.alerts")


class LogNotifier:
    """Writes each notification to the `aios_workbench.alerts` logger."""

    def __init__(self, level: str = "WARNING"):
        self.level = logging.getLevelName(level.upper())

    def notify(self, title: str, detail: str = "") -> None:
        log.log(self.level, "%s%s", title, f": {detail}" if detail else "")
