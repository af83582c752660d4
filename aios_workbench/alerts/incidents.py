"""One incident per cause: when a job run's whole problem is a monitor it ran, the monitor's alert is the incident.

A monitor run inside a job raises its own alert `monitor:NAME` as its result is recorded (the service's
`alerts.record_monitor_outcome`): what it found, its dataset (who sees it), the app to act in, and its own
resolution when the monitor passes again. The run's alert (`checks:JOB` for failed checks, `job:JOB` for a failed
run) would tell the same cause a second time, as a second thing to acknowledge, so the scheduler raises it only
for failures no monitor's alert covers, and names the run on the monitor's alert instead (`run_facts_for_monitor`).
A threshold monitor firing as designed in a job that scores data (the demo's `supply_risk`) is then one alert,
wherever it runs, as one alert rule firing is one incident in Grafana.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MONITOR_PREFIX = "monitor:"   # a monitor's name in the ledger (`checks/monitors.py`) and its alert's key


def monitors_behind(verdict: str, error: str | None, failed_checks: Iterable[dict[str, Any]]) -> list[str]:
    """The monitors (names) whose failure is the whole of a finished run's problem, so that their alerts stand
    for it; [] when the run needs its own alert. `failed_checks`: the failed ledger entries the run recorded
    (`name`, ...). A run whose checks failed: every failed check is a monitor. A failed run: its error is a
    monitor's `CheckFailed` (`CheckResult.raise_on_fail` names the check: "... check 'monitor:NAME' failed")."""
    names = [str(check.get("name") or "") for check in failed_checks]
    monitors = list(dict.fromkeys(n.removeprefix(MONITOR_PREFIX) for n in names if n.startswith(MONITOR_PREFIX)))
    if verdict == "checks_failed":
        return monitors if monitors and all(n.startswith(MONITOR_PREFIX) for n in names) else []
    if verdict == "failed" and error and "CheckFailed" in error:
        return [name for name in monitors if f"'{MONITOR_PREFIX}{name}'" in error]
    return []


def run_facts_for_monitor(facts: dict[str, Any]) -> dict[str, Any]:
    """What a monitor's alert says about the job run it failed in: the job, the run and its verdict (never the
    run's error or output, which only who controls the job reads)."""
    return {"job": facts["job"], "run_id": facts["run_id"], "run_verdict": facts.get("verdict") or facts["status"]}
