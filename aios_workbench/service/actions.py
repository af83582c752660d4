"""Proposed actions as business actions: propose, list, show, approve (with an edit) or reject, and expire.

The rules, the same from every surface (REST `actions*`, `aios actions`, `wb.propose`, the dashboard):

- Anyone in the policy may propose an action of a registered kind; the kind checks the payload first.
- An action is seen by who proposed it, by who may approve its kind (a role with `approves: [KIND]` or
  `['*']` in the policy) and by auditors; to anyone else it does not exist (404, as an unknown id).
- What an action says about data is governed per viewer (`actions/payload.py`): values from datasets they
  may not read are hidden, masked values masked. Only an approver who sees every value unmasked may approve.
- Approval executes the action at once, once (a compare-and-set on its state), as the approver's decision;
  its outcome is recorded. Rejection needs a reason. A pending action expires after
  `actions.expire_after_hours` (aios.yaml) and can then no longer be approved.
- Every proposal, refusal, decision, execution and expiry is audited (ids, kinds and field names; never
  payload values). A pending action is also an `approval` alert, resolved by its decision.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aios_workbench.approvals import ActionQueue
from aios_workbench.approvals import kinds as _builtin_kinds  # noqa: F401 - registers the built-in kinds
from aios_workbench.approvals.kinds import ActionContext
from aios_workbench.approvals.payload import Withheld, authored_by, changes, shown, withheld_from
from aios_workbench.approvals.queue import now
from aios_workbench.approvals.writer import filled
from aios_workbench.approvals.writer import rephrase as rephrased
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError, WorkbenchError
from aios_workbench.core.registry import actions as action_kinds
from aios_workbench.service.manager import Manager

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

log = logging.getLogger(__name__)
SYSTEM = "aios"          # the audit's user for what nobody did (an expiry)
STATE_WORDS = {"pending": "waiting for approval", "executing": "approved, running", "executed": "approved and done",
               "failed": "approved, but it failed", "rejected": "rejected", "expired": "expired undecided"}
MAX_JSON = 1_000_000     # characters of a payload or of evidence: what a person can review
KIND_WORDS = {"email": "an e-mail", "webhook": "a webhook call", "job_run": "a job run"}


class ActionsManager(Manager):
    """The approval queue of one workspace, each action taken as a named caller."""

    def __init__(self, service: WorkbenchService) -> None:
        super().__init__(service)
        self.queue = ActionQueue(service.store)

    # -- what exists ------------------------------------------------------------------------------------
    def kinds(self) -> list[dict[str, str]]:
        """The kinds that may be proposed, with what each does."""
        return [{"name": name, "description": getattr(action_kinds.get(name), "description", "")}
                for name in action_kinds.names()]

    # -- proposing --------------------------------------------------------------------------------------
    def propose(self, user: str, *, kind: str, payload: dict[str, Any], title: str | None = None,
                reason: str = "", evidence: dict[str, Any] | None = None, sources: dict[str, str] | None = None,
                expires_in_hours: float | None = None, surface: str, via: str | None = None,
                fill: dict[str, Any] | None = None, rephrase: bool = False) -> dict[str, Any]:
        """Queue an action of `kind` for approval; the action as `user` sees it. With `fill`, the payload is a
        draft whose texts hold `{{placeholders}}` for those values; `rephrase` asks the workspace's writer to
        reword it first (it sees the template, never the values); the evidence then says how it was written."""
        policy = self.service.policy()
        policy.principal(user)   # PermissionDenied for who is not in the policy
        plugin = action_kinds.get(kind)
        if not isinstance(payload, dict):
            raise UsageError("an action's payload must be a JSON object", fix="pass payload={...}", input="payload")
        if fill is not None or rephrase:
            payload, drafting = self._drafted(user, kind, plugin, payload, fill or {}, rephrase, surface)
            evidence = {**(evidence or {}), "drafting": drafting}
        for name, value in (("payload", payload), ("evidence", evidence or {})):
            if len(json.dumps(value, default=str)) > MAX_JSON:
                raise UsageError(f"the action's {name} is over {MAX_JSON // 1_000_000} MB",
                                 fix=f"keep the {name} to what a person reviews; link to the rest", input=name)
        checked = plugin.check(dict(payload), ActionContext(self.service, user))
        sources = {str(k): self._source_column(user, str(k), str(v), checked) for k, v in (sources or {}).items()}
        limit = self.service.workspace.config.actions.expire_after_hours
        if expires_in_hours is not None and not 0 < expires_in_hours <= limit:
            raise UsageError(f"an action may wait at most {limit:g} hours for a decision",
                             fix=f"pass expires_in_hours between 0 and {limit:g}", input="expires_in_hours")
        record = self.queue.create(kind=kind, title=(title or plugin.summary(checked)).strip() or kind,
                                   reason=reason or "", payload=checked, sources=sources, evidence=evidence or {},
                                   proposed_by=user, proposed_via=via or surface,
                                   expires_in=timedelta(hours=expires_in_hours or limit))
        self.service.audit.append(user=user, surface=surface, action="action.propose", target=f"action:{record['id']}",
                                  allowed=True, detail={"kind": kind, "fields": sorted(checked),
                                                        "sources": sorted(set(sources.values()))})
        self.service.alerts.raise_alert(key=f"action:{record['id']}", kind="approval", severity="info",
                                        title=f"{KIND_WORDS.get(kind, kind)} proposed by {user} waits for approval",
                                        detail={"action": record["id"], "kind": kind, "proposed_by": user})
        return self._as_seen_by(user, record)

    def _drafted(self, user: str, kind: str, plugin: Any, payload: dict[str, Any], fill: dict[str, Any],
                 rephrase: bool, surface: str) -> tuple[dict[str, Any], str]:
        """The payload of a draft with its placeholders filled (after the writer reworded its texts, when asked
        and configured), and how it was written, in words for the reviewer."""
        values = {str(name): "" if value is None else str(value) for name, value in fill.items()}
        filled(payload, values)   # every placeholder has a value: checked before anything leaves
        note = "written from the template"
        if rephrase:
            prose = [f for f in getattr(plugin, "prose_fields", ()) if isinstance(payload.get(f), str)]
            if not prose:
                raise UsageError(f"{KIND_WORDS.get(kind, kind)} has no text a writer could rephrase",
                                 fix="propose it without rephrase=True", input="rephrase")
            draft = rephrased(self.service.workspace.config.actions.writer, {f: payload[f] for f in prose},
                              purpose=f"{KIND_WORDS.get(kind, kind)} drafted for a person's review")
            if draft.audit:   # an exit of data, audited with field and placeholder names only
                self.service.audit.append(user=user, surface=surface, action="action.rephrase",
                                          target=f"writer:{draft.audit['writer']}", allowed=True, detail=draft.audit)
            payload, note = {**payload, **draft.texts}, draft.note
        return filled(payload, values), note

    def _source_column(self, user: str, field: str, column: str, payload: dict[str, Any]) -> str:
        """A declared source: `field` must be in the payload, `column` a catalog column (source.schema.dataset.column)."""
        if field.split(".")[0] not in payload:
            raise UsageError(f"sources names the field {field!r}, which the payload does not have",
                             fix=f"name one of the payload's fields: {', '.join(sorted(payload))}", input=field)
        parts = column.split(".")
        if len(parts) != 4:
            raise UsageError(f"source {column!r} of {field!r} is not source.schema.dataset.column",
                             fix="name the column fully, e.g. supplier_master.main.suppliers.contact_email",
                             input=column)
        entry = self._readable_dataset(user, tuple(parts[:3]))
        known = {c.name.lower(): c.name for c in entry.columns}
        if parts[3].lower() not in known:
            raise NotFound(f"{entry.full_name} has no column {parts[3]!r}",
                           fix=f"its columns: {', '.join(c.name for c in entry.columns)}", input=column)
        return f"{entry.full_name}.{known[parts[3].lower()]}"

    def _readable_dataset(self, user: str, parts: tuple[str, ...]) -> Any:
        """The dataset `parts` names among those `user` may read; one they may not read is unknown to them,
        with the very words of a dataset that does not exist (deny by default tells the two apart to nobody)."""
        policy = self.service.policy()
        principal = policy.principal(user)
        found = [e for e in self.service.queries.catalog().candidates(parts) if policy.view(principal, e).allowed]
        if len(found) == 1:
            return found[0]
        name = ".".join(parts)
        if not found:
            raise NotFound(f"unknown dataset {name!r}", fix="use a dataset from `aios catalog ls` "
                           "(source.schema.dataset); run `aios catalog scan` if the source is new", input=name)
        raise UsageError(f"dataset name {name!r} is ambiguous: " + ", ".join(sorted(e.full_name for e in found)),
                         fix="qualify it as source.schema.dataset", input=name)

    # -- reading ----------------------------------------------------------------------------------------
    def page(self, user: str, *, state: str | None = None, limit: int = 50,
             before_id: int | None = None) -> dict[str, Any]:
        """The actions `user` may see, newest first (keyset paging by id), with how many wait for them."""
        self.expire_due()
        rows = [r for r in self.queue.page(state=state, limit=limit, before_id=before_id) if self._may_see(user, r)]
        page = rows[:limit]
        pending = sum(1 for r in self.queue.page(state="pending", limit=500, before_id=None)
                      if self._may_see(user, r) and self.service.policy().approves(user, r["kind"]))
        return {"actions": [self._as_seen_by(user, r) for r in page], "counts": {"waiting_for_you": pending},
                "next_before_id": page[-1]["id"] if len(rows) > limit else None}

    def show(self, user: str, action_id: int) -> dict[str, Any]:
        """One action as `user` sees it; NotFound when they may not see it."""
        self.expire_due()
        return self._as_seen_by(user, self._visible(user, action_id, "show"))

    # -- deciding ---------------------------------------------------------------------------------------
    def approve(self, user: str, action_id: int, *, payload: dict[str, Any] | None = None,
                reason: str | None = None, surface: str) -> dict[str, Any]:
        """Approve a pending action (optionally with an edited payload) and execute it at once, once."""
        self.expire_due()
        record = self._visible(user, action_id, "approve", surface)
        self._require_approver(user, record, "approve", surface)
        plugin = action_kinds.get(record["kind"])
        approved = plugin.check(dict(payload), ActionContext(self.service, user, action_id)) \
            if payload is not None else record["payload"]
        hidden = self._withheld(user, {**record, "approved_payload": approved})
        if hidden:
            fields = ", ".join(sorted({w.field for w in hidden}))
            self._refuse(user, surface, "action.approve", action_id, f"values withheld from the approver: {fields}")
            raise PermissionDenied(f"you may not approve action {action_id}: you may not see all of it ({fields})",
                                   fix="ask an approver who may see these values unmasked", input=str(action_id))
        moved = self.queue.move(action_id, to="executing", decided_by=user, decided_at=now(),
                                decision_reason=reason or None, approved_payload=approved)
        edited = [c["field"] for c in changes(record["payload"], approved)]
        self.service.audit.append(user=user, surface=surface, action="action.approve", target=f"action:{action_id}",
                                  allowed=True, detail={"kind": record["kind"], "edited": edited})
        self.service.alerts.resolve(f"action:{action_id}")
        done = self._execute(user, moved, approved, surface)
        return self._as_seen_by(user, done)

    def reject(self, user: str, action_id: int, *, reason: str, surface: str) -> dict[str, Any]:
        """Reject a pending action with a reason: nothing is executed."""
        if not (reason or "").strip():
            raise UsageError("a rejection needs a reason", fix="say why, e.g. reason='supplier on hold'",
                             input="reason")
        self.expire_due()
        record = self._visible(user, action_id, "reject", surface)
        self._require_approver(user, record, "reject", surface)
        done = self.queue.move(action_id, to="rejected", decided_by=user, decided_at=now(),
                               decision_reason=reason.strip())
        self.service.audit.append(user=user, surface=surface, action="action.reject", target=f"action:{action_id}",
                                  allowed=True, detail={"kind": record["kind"]})
        self.service.alerts.resolve(f"action:{action_id}")
        return self._as_seen_by(user, done)

    def expire_due(self) -> list[int]:
        """Expire every pending action past its time (audited); their ids."""
        expired = []
        for action_id in self.queue.due_to_expire():
            try:
                self.queue.move(action_id, to="expired", decided_at=now())
            except WorkbenchError:   # decided meanwhile
                continue
            self.service.audit.append(user=SYSTEM, surface="service", action="action.expire",
                                      target=f"action:{action_id}", allowed=True, detail={})
            self.service.alerts.resolve(f"action:{action_id}")
            expired.append(action_id)
        return expired

    # -- the rules --------------------------------------------------------------------------------------
    def _execute(self, user: str, record: dict[str, Any], payload: dict[str, Any], surface: str) -> dict[str, Any]:
        plugin = action_kinds.get(record["kind"])
        try:
            outcome = plugin.execute(payload, ActionContext(self.service, user, record["id"]))
            state, ok = "executed", True
        except WorkbenchError as exc:
            outcome, state, ok = {"error": exc.message, "fix": exc.fix}, "failed", False
        except Exception:   # a plugin's bug: recorded as failed, its traceback only in the service's log
            log.exception("action %s (%s) failed", record["id"], record["kind"])
            outcome, state, ok = {"error": "the action failed unexpectedly (see the service's log)"}, "failed", False
        done = self.queue.finish(record["id"], state=state, outcome=outcome)
        self.service.audit.append(user=user, surface=surface, action="action.execute", target=f"action:{record['id']}",
                                  allowed=True, detail={"kind": record["kind"], "ok": ok})
        return done

    def _may_see(self, user: str, record: dict[str, Any]) -> bool:
        policy = self.service.policy()
        return record["proposed_by"] == user or policy.approves(user, record["kind"]) or policy.is_auditor(user)

    def _visible(self, user: str, action_id: int, verb: str, surface: str = "api") -> dict[str, Any]:
        try:
            record = self.queue.get(action_id)
        except NotFound:
            record = None
        if record is None or not self._may_see(user, record):
            if verb != "show":
                self._refuse(user, surface, f"action.{verb}", action_id, "no such action visible to the caller")
            raise NotFound(f"there is no action {action_id}", fix="list the actions you may see: `aios actions ls`",
                           input=str(action_id))
        return record

    def _require_approver(self, user: str, record: dict[str, Any], verb: str, surface: str) -> None:
        policy, kind = self.service.policy(), record["kind"]
        if not policy.approves(user, kind):
            roles = sorted(name for name, role in policy.policy.roles.items() if kind in role.approves or "*" in role.approves)
            self._refuse(user, surface, f"action.{verb}", record["id"], f"no role of {user} approves {kind}")
            raise PermissionDenied(f"you may not {verb} {KIND_WORDS.get(kind, kind)}: none of your roles approves "
                                   f"{kind} actions", fix=f"ask someone with the role {' or '.join(roles)}" if roles
                                   else f"an administrator gives a role `approves: [{kind}]` in governance/policy.yaml",
                                   input=str(record["id"]))
        settings = self.service.workspace.config.actions
        if verb == "approve" and record["proposed_by"] == user and not settings.allow_self_approval:
            self._refuse(user, surface, "action.approve", record["id"], "self-approval is off")
            raise PermissionDenied(f"you proposed action {record['id']} and may not approve it yourself",
                                   fix="another approver must (actions.allow_self_approval is false)",
                                   input=str(record["id"]))

    def _refuse(self, user: str, surface: str, action: str, action_id: int, why: str) -> None:
        self.service.audit.append(user=user, surface=surface, action=action, target=f"action:{action_id}",
                                  allowed=False, detail={"reason": why})

    def _withheld(self, user: str, record: dict[str, Any]) -> list[Withheld]:
        policy = self.service.policy()
        try:
            principal = policy.principal(user)
        except PermissionDenied:
            def tag_rule(tags: frozenset[str]) -> str | None:
                return "not in the policy"

            def column_rule(column: str) -> tuple[str, str] | None:
                return ("hidden", "not in the policy")
        else:
            catalog = None

            def tag_rule(tags: frozenset[str]) -> str | None:
                return policy.tag_mask(principal, set(tags))

            def column_rule(column: str) -> tuple[str, str] | None:
                nonlocal catalog
                catalog = catalog or self.service.queries.catalog()
                parts = column.split(".")
                try:
                    entry = catalog.resolve(tuple(parts[:3]))
                except WorkbenchError:
                    return ("hidden", f"{'.'.join(parts[:3])} is no longer in the catalog")
                try:
                    view = policy.view(principal, entry)
                except PermissionDenied as refused:   # e.g. a row filter needs an attribute the viewer lacks
                    return ("hidden", refused.message)
                if not view.allowed:
                    return ("hidden", view.rule)
                masked = {name.lower(): rule for name, (_, rule) in view.masks.items()}
                return ("masked", masked[parts[3].lower()]) if parts[3].lower() in masked else None

        return withheld_from(record, tag_rule=lru_cache(maxsize=256)(tag_rule), column_rule=column_rule,
                             authored=authored_by(record, user))

    def _as_seen_by(self, user: str, record: dict[str, Any]) -> dict[str, Any]:
        """The action with what `user` may not see withheld, what changed, and whether they may approve it."""
        withheld = self._withheld(user, record)
        view = shown(record, withheld)
        policy = self.service.policy()
        plugin = action_kinds.get(record["kind"]) if record["kind"] in action_kinds else None
        why_not = None
        if record["state"] != "pending":
            why_not = f"it is {record['state']}"
        elif not policy.approves(user, record["kind"]):
            why_not = f"none of your roles approves {record['kind']} actions"
        elif withheld:
            why_not = "you may not see all of it: " + ", ".join(sorted({w.field for w in withheld}))
        elif record["proposed_by"] == user and not self.service.workspace.config.actions.allow_self_approval:
            why_not = "you proposed it: another approver must decide"
        approved = view.get("approved_payload")
        return {**view, "summary": plugin.summary(view["payload"]) if plugin else record["kind"],
                "state_text": STATE_WORDS.get(record["state"], record["state"]),
                "changes": changes(view["payload"], approved) if approved is not None else [],
                "withheld": [w.as_dict() for w in withheld], "may_approve": why_not is None, "why_not": why_not}
