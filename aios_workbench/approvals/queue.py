"""The approval queue in the metadata store: proposed actions and their one-way state changes.

Every change of state is a compare-and-set on `state` (UPDATE ... WHERE state = 'pending'), so two approvers
clicking at once, or an approval racing the expiry, change an action once: the loser is told what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from aios_workbench.core.errors import Conflict, NotFound
from aios_workbench.store.models import ProposedAction

STATES = ("pending", "executing", "executed", "failed", "rejected", "expired")
DECIDED = {"executing": "approved", "executed": "approved", "failed": "approved", "rejected": "rejected",
           "expired": "expired"}


def now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def action_dict(row: ProposedAction) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "title": row.title, "reason": row.reason, "payload": row.payload or {},
            "sources": row.sources or {}, "evidence": row.evidence or {}, "state": row.state,
            "proposed_by": row.proposed_by, "proposed_via": row.proposed_via,
            "proposed_at": _iso(row.proposed_at), "expires_at": _iso(row.expires_at),
            "decided_by": row.decided_by, "decided_at": _iso(row.decided_at),
            "decision_reason": row.decision_reason, "approved_payload": row.approved_payload,
            "executed_at": _iso(row.executed_at), "outcome": row.outcome}


class ActionQueue:
    """Create, read and move proposed actions through their states."""

    def __init__(self, store) -> None:
        self.store = store

    def create(self, *, kind: str, title: str, reason: str, payload: dict, sources: dict, evidence: dict,
               proposed_by: str, proposed_via: str, expires_in: timedelta) -> dict[str, Any]:
        moment = now()
        with self.store.session() as session, session.begin():
            row = ProposedAction(kind=kind, title=title[:256], reason=reason, payload=payload, sources=sources,
                                 evidence=evidence, state="pending", proposed_by=proposed_by,
                                 proposed_via=proposed_via, proposed_at=moment, expires_at=moment + expires_in)
            session.add(row)
            session.flush()
            return action_dict(row)

    def get(self, action_id: int) -> dict[str, Any]:
        with self.store.session() as session:
            row = session.get(ProposedAction, action_id)
            if row is None:
                raise NotFound(f"there is no action {action_id}", fix="list the actions: `aios actions ls`",
                               input=str(action_id))
            return action_dict(row)

    def page(self, *, state: str | None, limit: int, before_id: int | None,
             scan: int = 2000) -> list[dict[str, Any]]:
        """Up to `scan` actions, newest first (the caller keeps those its reader may see, up to its limit)."""
        query = select(ProposedAction).order_by(ProposedAction.id.desc()).limit(max(limit, scan))
        if state:
            query = query.where(ProposedAction.state == state)
        if before_id:
            query = query.where(ProposedAction.id < before_id)
        with self.store.session() as session:
            return [action_dict(row) for row in session.scalars(query)]

    def move(self, action_id: int, *, to: str, **values: Any) -> dict[str, Any]:
        """Move a pending action to `to` (executing, rejected, expired) with `values`; Conflict naming its
        state when it is no longer pending."""
        with self.store.session() as session, session.begin():
            moved = session.execute(update(ProposedAction).where(ProposedAction.id == action_id,
                                                                 ProposedAction.state == "pending")
                                    .values(state=to, **values))
            row = session.get(ProposedAction, action_id)
            if row is None:
                raise NotFound(f"there is no action {action_id}", fix="list the actions: `aios actions ls`",
                               input=str(action_id))
            if moved.rowcount != 1:
                who = f" by {row.decided_by}" if row.decided_by else ""
                when = f" at {row.decided_at:%Y-%m-%d %H:%M} UTC" if row.decided_at else ""
                raise Conflict(f"action {action_id} was already {DECIDED.get(row.state, row.state)}{who}{when}",
                               fix="look at it again (`aios actions show ID`): only a pending action can be decided",
                               input=str(action_id))
            session.refresh(row)
            return action_dict(row)

    def finish(self, action_id: int, *, state: str, outcome: dict[str, Any]) -> dict[str, Any]:
        """Record how an executing action ended (executed or failed)."""
        with self.store.session() as session, session.begin():
            session.execute(update(ProposedAction).where(ProposedAction.id == action_id,
                                                         ProposedAction.state == "executing")
                            .values(state=state, outcome=outcome, executed_at=now()))
            row = session.get(ProposedAction, action_id)
            return action_dict(row)

    def due_to_expire(self) -> list[int]:
        with self.store.session() as session:
            return list(session.scalars(select(ProposedAction.id).where(ProposedAction.state == "pending",
                                                                        ProposedAction.expires_at <= now())))
