"""Proposed actions waiting for approval: proposing one, the queue, approving or rejecting one."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from aios_workbench.schemas.base import Body, Id, Moment, NonEmpty, Query, Reply

ActionState = Literal["pending", "executing", "executed", "failed", "rejected", "expired"]


class ProposeRequest(Body):
    example: ClassVar[str] = ('{"kind": "email", "payload": {"to": ["a@example.com"], "subject": "...", "body": "..."}, '
                              '"reason": "...", "sources": {"to": "supplier_master.main.suppliers.contact_email"}}')

    kind: NonEmpty = Field(description="A registered kind: email, webhook, job_run, dataset_write, or a plugin's.")
    payload: dict[str, Any] = Field(description="What to do, as the kind expects it (checked by the kind).")
    title: str | None = Field(None, max_length=256, description="One line for lists; default: the kind's summary.")
    reason: str = Field("", max_length=10_000, description="Why, in the proposer's words.")
    evidence: dict[str, Any] = Field({}, description="The facts behind it (figures, a run id, an alert id).")
    sources: dict[str, str] = Field({}, description="Payload field -> the column its value came from "
                                                     "(source.schema.dataset.column): governs who sees it.")
    expires_in_hours: float | None = Field(None, gt=0, description="Default and limit: actions.expire_after_hours.")
    via: str | None = Field(None, max_length=64, description="What proposed it (a notebook, a job, an agent).")
    fill: dict[str, str | int | float | None] | None = Field(
        None, description="Values of the {{placeholders}} in the payload's texts: the payload is then a draft, "
                          "filled in by the service (after any rephrasing: a writer never sees these values).")
    rephrase: bool = Field(False, description="Have the workspace's writer (actions.writer in aios.yaml) reword "
                                              "the draft's texts first; without one, or when it fails, the "
                                              "template's wording stands and the evidence's `drafting` says why.")


class ActionsQuery(Query):
    state: ActionState | None = None
    limit: int = Field(50, ge=1, le=500)
    before_id: int | None = Field(None, ge=1, description="Keyset paging: the last id seen.")


class ActionIdQuery(Query):
    id: int = Field(ge=1)


class Withheld(Reply):
    field: str = Field(description='Where the value is, e.g. "payload.to.0".')
    shown: str = Field(description="What the caller sees instead.")
    rule: str = Field(description="The policy rule that withholds it.")


class Change(Reply):
    field: str
    before: Any
    after: Any


class Action(Reply):
    """A proposed action as the caller may see it: values they may not read are replaced (`withheld` says
    which and why); `may_approve` and `why_not` say whether they may decide on it."""

    id: int
    kind: str
    title: str
    summary: str = Field(description="The kind's one-line description of the (shown) payload.")
    reason: str
    payload: dict[str, Any]
    sources: dict[str, str]
    evidence: dict[str, Any]
    state: ActionState
    state_text: str = Field(description='The state in words, e.g. "waiting for approval", "approved and done".')
    proposed_by: str
    proposed_via: str
    proposed_at: Moment
    expires_at: Moment
    decided_by: str | None
    decided_at: Moment | None
    decision_reason: str | None
    approved_payload: dict[str, Any] | None = Field(description="What was approved, when an approver edited it.")
    executed_at: Moment | None
    outcome: dict[str, Any] | None
    changes: list[Change] = Field(description="The approver's edit, field by field.")
    withheld: list[Withheld]
    may_approve: bool
    why_not: str | None


class ActionCounts(Reply):
    waiting_for_you: int = Field(description="Pending actions the caller may approve or reject.")


class ActionPage(Reply):
    actions: list[Action] = Field(description="Newest first.")
    counts: ActionCounts
    next_before_id: int | None


class ApproveRequest(Body):
    example: ClassVar[str] = '{"id": ACTION_ID, "reason": "...", "payload": {...edited...}}'

    id: Id
    reason: str | None = Field(None, max_length=10_000)
    payload: dict[str, Any] | None = Field(None, description="The payload as edited by the approver (checked again).")


class RejectRequest(Body):
    example: ClassVar[str] = '{"id": ACTION_ID, "reason": "..."}'

    id: Id
    reason: NonEmpty = Field(max_length=10_000, description="Why: the proposer reads it.")


class ActionKind(Reply):
    name: str
    description: str


class ActionKinds(Reply):
    kinds: list[ActionKind]
