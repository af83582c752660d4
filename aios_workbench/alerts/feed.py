"""The alert feed: things that need a person's attention (failed runs, failed monitors, pending approvals).

An alert is open until someone acknowledges it and resolved when the problem goes away (a job's next
success, an approval given). Repeats of one problem share a `key` ("job:nightly"): while an alert with
that key is open or acknowledged, a repeat bumps its `count` and `last_at` instead of adding a row, so
a job failing every five minutes is one line in the sidebar, not three hundred.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text, update

from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.store.models import Alert

KINDS = ("run_failed", "monitor_failed", "approval")
SEVERITIES = ("info", "warning", "error", "critical")
STATES = ("open", "acknowledged", "resolved")
UNRESOLVED = ("open", "acknowledged")
MAX_LIMIT = 500


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

    def resolve(self, key: str) -> int:
        """Resolve every unresolved alert with `key`; how many there were (0: nothing was wrong)."""
        with self.store.session() as session, session.begin():
            result = session.execute(update(Alert).where(Alert.key == key, Alert.state.in_(UNRESOLVED))
                                     .values(state="resolved", resolved_at=_now()))
            return result.rowcount or 0

    def acknowledge(self, alert_id: int, user: str) -> dict:
        """Mark an open alert as seen by `user`; acknowledging one that is not open changes nothing."""
        with self.store.session() as session, session.begin():
            alert = session.get(Alert, _alert_id(alert_id))
            if alert is None:
                raise NotFound(f"there is no alert {alert_id}", input=str(alert_id),
                               fix="list alerts with `aios alerts ls` (or GET alerts) and use one of their ids")
            if alert.state == "open":
                alert.state = "acknowledged"
                alert.acknowledged_by = user
                alert.acknowledged_at = _now()
            return alert_dict(alert)

    def get(self, alert_id: int) -> dict:
        with self.store.session() as session:
            alert = session.get(Alert, _alert_id(alert_id))
            if alert is None:
                raise NotFound(f"there is no alert {alert_id}", input=str(alert_id),
                               fix="list alerts with `aios alerts ls` (or GET alerts) and use one of their ids")
            return alert_dict(alert)

    def list(self, *, state: str | None = None, limit: int = 50, before_id: int | None = None) -> list[dict]:
        """Alerts newest first; pass the last id you got as `before_id` for the next page."""
        if state is not None and state not in STATES:
            raise UsageError(f"unknown alert state {state!r}", fix=f"use one of {', '.join(STATES)}", input=state)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise UsageError(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}",
                             fix="pass e.g. limit=50 and page with before_id", input=str(limit))
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if state is not None:
            query = query.where(Alert.state == state)
        if before_id is not None:
            query = query.where(Alert.id < _alert_id(before_id))
        with self.store.session() as session:
            return [alert_dict(a) for a in session.scalars(query)]

    def counts(self) -> dict:
        """How many alerts are open and acknowledged (the sidebar's badge)."""
        with self.store.session() as session:
            rows = session.execute(select(Alert.state, func.count()).where(Alert.state.in_(UNRESOLVED))
                                   .group_by(Alert.state)).all()
        counts = {"open": 0, "acknowledged": 0}
        counts.update({state: n for state, n in rows})
        return counts


def _alert_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise UsageError(f"an alert id is a positive whole number, got {value!r}", input=str(value),
                         fix="use an id from `aios alerts ls`")
    return number
