"""Alerts: the feed people act on (failed runs, failed monitors, pending approvals) and the notifiers
that tell them (log, webhook, e-mail)."""

from aios_workbench.alerts.feed import AlertFeed, alert_dict

__all__ = ["AlertFeed", "alert_dict"]
