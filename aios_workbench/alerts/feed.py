"""The alert feed: things that need a person's attention (failed runs, runs whose checks failed, failed
monitors, pending approvals).

An alert is open until someone acknowledges it and resolved when the problem goes away (a job's next
success, an approval given). Repeats of one problem share a `key` ("job:nightly"): while an alert with
that key is open or acknowledged, a repeat bumps its `count` and `last_at` instead of adding a row, so
a job failing every five minutes is one line in the sidebar, not three hundred.

Who sees an alert is the service's rule (`service/alerts.py`), handed to `list`, `counts` and
`acknowledge` as a `visible(alert) -> bool` predicate: an alert the caller may not see is left out of
pages and counts, and acknowledging it is refused exactly as for an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select, text, update

from aios_workbench.alerts.incidents import MONITOR_PREFIX
from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.store.models import Alert

KINDS = ("run_failed", "checks_failed", "monitor_failed", "approval")
SEVERITIES = ("info", "warning", "error", "critical")
STATES = ("open", "acknowledged", "resolved")
UNRESOLVED = ("open", "acknowledged")
MAX_LIMIT = 500


def run_alert_key(job: str) -> str:
    """The key of a job's failed-runs alert."""
    return f"job:{job}"


def checks_alert_key(job: str) -> str:
    """The key of a job's failed-checks alert (a run whose notebook succeeded while its checks failed)."""
    return f"checks:{job}"


def job_alert_keys(job: str) -> tuple[str, str]:
    """Every alert a job raises about itself: what a clean run or the job's deletion resolves."""
    return run_alert_key(job), checks_alert_key(job)


def monitor_alert_key(monitor: str) -> str:
    """The key of a monitor's alert (raised wherever the monitor runs: a job, `aios check monitor`, the API)."""
    return MONITOR_PREFIX + monitor


Visible = Callable[[dict], bool]   # whether the caller may see an alert (given as `alert_dict` shapes it)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    """A stored moment (aware UTC, see `store.types.UTCDateTime`) as ISO 8601; None stays None."""
    return moment.isoformat() if moment else None


def alert_dict(alert: Alert) -> dict:
    return {"id": alert.id, "at": _iso(alert.at), "last_at": _iso(alert.last_at), "key": alert.key,
            "kind": alert.kind, "severity": alert.severity, "state": alert.state, "title": alert.title,
            "detail": alert.detail or {}, "count": alert.count, "acknowledged_by": alert.acknowledged_by,
            "acknowledged_at": _iso(alert.acknowledged_at), "resolved_at": _iso(alert.resolved_at)}


class AlertFeed:
    """Raise, acknowledge, resolve and list alerts in the metadata store."""

    def __init__(self, store) -> None:
        self.store = store

    def raise_alert(self, *, key: str, kind: str, severity: str = "warning", title: str,
                    detail: dict | None = None) -> dict:
        """Open an alert, or count one more repeat of the unresolved alert with the same `key`."""
        if not key:
            raise UsageError("an alert needs a key", fix="pass e.g. key='job:nightly'")
        if kind not in KINDS:
            raise UsageError(f"unknown alert kind {kind!r}", fix=f"use one of {', '.join(KINDS)}", input=kind)
        if severity not in SEVERITIES:
            raise UsageError(f"unknown alert severity {severity!r}", fix=f"use one of {', '.join(SEVERITIES)}",
                             input=severity)
        now = _now()
        with self.store.session() as session, session.begin():
            if self.store.backend == "postgresql":
                # Two schedulers raising the same key at once must not both insert: serialise per key.
                # (SQLite's BEGIN IMMEDIATE already serialises every writer.)
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
            alert = session.scalars(select(Alert).where(Alert.key == key, Alert.state.in_(UNRESOLVED))
                                    .order_by(Alert.id.desc()).limit(1)).first()
            if alert is None:
                alert = Alert(at=now, last_at=now, key=key, kind=kind, severity=severity, state="open",
                              title=title[:256], detail=dict(detail or {}), count=1)
                session.add(alert)
            else:
                alert.count += 1
                alert.last_at = now
                alert.title = title[:256]
                alert.severity = severity
                alert.detail = dict(detail or {})
            session.flush()
            return alert_dict(alert)

    def add_detail(self, key: str, facts: dict) -> bool:
        """Add `facts` to the detail of the unresolved alert with `key`, counting no repeat (e.g. the job run
        a monitor's failure came from); whether there was such an alert."""
        with self.store.session() as session, session.begin():
            if self.store.backend == "postgresql":   # as raise_alert: one writer per key at a time
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
            alert = session.scalars(select(Alert).where(Alert.key == key, Alert.state.in_(UNRESOLVED))
                                    .order_by(Alert.id.desc()).limit(1)).first()
            if alert is None:
                return False
            alert.detail = {**(alert.detail or {}), **facts}
            return True

    def resolve(self, key: str) -> int:
        """Resolve every unresolved alert with `key`; how many there were (0: nothing was wrong)."""
        with self.store.session() as session, session.begin():
            result = session.execute(update(Alert).where(Alert.key == key, Alert.state.in_(UNRESOLVED))
                                     .values(state="resolved", resolved_at=_now()))
            return result.rowcount or 0

    def acknowledge(self, alert_id: int, user: str, *, visible: Visible | None = None) -> dict:
        """Mark an open alert as seen by `user`. The answer's `acknowledgement` says what happened:
        "acknowledged" now, or "already_acknowledged" / "already_resolved" (nothing changes: the first
        acknowledger and the moment stay, and `message` says them). An alert `visible` refuses is not found."""
        with self.store.session() as session, session.begin():
            alert = session.get(Alert, _alert_id(alert_id))
            if alert is None or (visible is not None and not visible(alert_dict(alert))):
                raise _no_such_alert(alert_id)
            if alert.state == "open":
                alert.state = "acknowledged"
                alert.acknowledged_by = user
                alert.acknowledged_at = _now()
                outcome, message = "acknowledged", f"alert {alert.id} acknowledged by {user}"
            elif alert.state == "acknowledged":
                outcome = "already_acknowledged"
                message = (f"alert {alert.id} was already acknowledged by {alert.acknowledged_by} at "
                           f"{_iso(alert.acknowledged_at)}; nothing changed")
            else:
                outcome = "already_resolved"
                message = f"alert {alert.id} was already resolved at {_iso(alert.resolved_at)}; nothing changed"
            return {**alert_dict(alert), "acknowledgement": outcome, "message": message}

    def get(self, alert_id: int) -> dict:
        with self.store.session() as session:
            alert = session.get(Alert, _alert_id(alert_id))
            if alert is None:
                raise _no_such_alert(alert_id)
            return alert_dict(alert)

    def list(self, *, state: str | None = None, limit: int = 50, before_id: int | None = None,
             visible: Visible | None = None) -> list[dict]:
        """Alerts newest first (only those `visible` lets through); pass the last id you got as `before_id`
        for the next page."""
        if state is not None and state not in STATES:
            raise UsageError(f"unknown alert state {state!r}", fix=f"use one of {', '.join(STATES)}", input=state)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise UsageError(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}",
                             fix="pass e.g. limit=50 and page with before_id", input=str(limit))
        below = _alert_id(before_id) if before_id is not None else None
        found: list[dict] = []
        with self.store.session() as session:
            while len(found) < limit:   # keyset batches until the page is full of alerts the caller may see
                batch = limit if visible is None else max(limit, 100)
                query = select(Alert).order_by(Alert.id.desc()).limit(batch)
                if state is not None:
                    query = query.where(Alert.state == state)
                if below is not None:
                    query = query.where(Alert.id < below)
                rows = [alert_dict(a) for a in session.scalars(query)]
                found += [a for a in rows if visible is None or visible(a)]
                if len(rows) < batch:
                    break
                below = rows[-1]["id"]
        return found[:limit]

    def counts(self, *, visible: Visible | None = None) -> dict:
        """How many alerts are open and acknowledged (the sidebar's badge), of those `visible` lets through."""
        counts = {"open": 0, "acknowledged": 0}
        with self.store.session() as session:
            if visible is None:
                rows = session.execute(select(Alert.state, func.count()).where(Alert.state.in_(UNRESOLVED))
                                       .group_by(Alert.state)).all()
                counts.update({state: n for state, n in rows})
                return counts
            for alert in session.scalars(select(Alert).where(Alert.state.in_(UNRESOLVED))):
                shown = alert_dict(alert)
                if visible(shown):
                    counts[shown["state"]] += 1
        return counts


def _no_such_alert(alert_id) -> NotFound:
    """The refusal for an id that does not exist, and (the same words) for one the caller may not see."""
    return NotFound(f"there is no alert {alert_id}", input=str(alert_id),
                    fix="list alerts with `aios alerts ls` (or GET alerts) and use one of their ids")


def _alert_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise UsageError(f"an alert id is a positive whole number, got {value!r}", input=str(value),
                         fix="use an id from `aios alerts ls`")
    return number
