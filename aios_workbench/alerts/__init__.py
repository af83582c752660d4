"""Alerts: the feed people act on (failed runs, failed monitors, pending approvals) and the notifiers
that tell them (log, webhook, e-mail)."""

from aios_workbench.alerts.feed import (
    AlertFeed,
    alert_dict,
    checks_alert_key,
    job_alert_keys,
    monitor_alert_key,
    run_alert_key,
)

__all__ = ["AlertFeed", "alert_dict", "checks_alert_key", "job_alert_keys", "monitor_alert_key", "run_alert_key"]
