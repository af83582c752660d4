"""Actions: proposed e-mails, webhook calls and job runs waiting for a person's decision.

The queue is the service's, as the user may see it (their own proposals, those they may approve, all for
auditors); values they may not read are withheld by the service, and the page says which and why. An
approver edits the text of a draft, then approves (it is done at once, once) or rejects it with a reason.
"""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import (
    STILL_ARRIVING,
    StateFeed,
    card,
    esc,
    problem,
    settled,
    when,
    words,
)

APPROVE_LABELS = {"email": "Approve and send", "webhook": "Approve and call", "job_run": "Approve and run"}
FEED_SIZE = 30


def _value(value) -> str:
    """An evidence value in words: yes/no, numbers formatted, lists joined, a mapping as `name: value` pairs
    (`common.words`, as on every page)."""
    return "" if value is None else words(value)


class ActionsPage(StateFeed):
    """Pending actions first; each opens into its evidence, its draft and the decision."""

    state: param.Selector[str] = param.Selector(default="pending", objects=["pending", "executed", "rejected",
                                                                            "expired", "failed", "all"])
    page_title, page_testid = "Actions", "page-actions"

    def _decided(self, action: dict) -> str:
        said = action["state_text"]
        if action.get("decided_by"):
            said += f" by {action['decided_by']}"
        if action.get("decided_at"):
            said += f" on {when(action['decided_at'])}"
        elif action["state"] == "pending" and action.get("expires_at"):
            said += f" (expires {when(action['expires_at'])})"
        if action.get("decision_reason"):
            said += f": {action['decision_reason']}"
        return said

    def _item(self, action: dict, holder: pn.Column) -> pn.Column:
        facts = (f'<div data-testid="action-item" data-action-id="{action["id"]}" data-state="{esc(action["state"])}">'
                 f'<b>{esc(action["title"])}</b><div style="color:var(--aios-muted, #52606d);font-size:.9em">{esc(action["summary"])} · '
                 f'proposed by {esc(action["proposed_by"])} ({esc(action["proposed_via"])}) on '
                 f'{esc(when(action.get("proposed_at")))} · '
                 f'<span data-testid="action-state">{esc(self._decided(action))}</span></div>')
        if action.get("reason"):
            facts += f"<p>Why: {esc(action['reason'])}</p>"
        if action.get("evidence"):
            facts += "<ul>" + "".join(f"<li>{esc(k.replace('_', ' '))}: {esc(_value(v))}</li>"
                                      for k, v in action["evidence"].items()) + "</ul>"
        for withheld in action.get("withheld") or []:
            facts += (f'<div style="color:var(--aios-warn, #9a6700)">withheld from you: {esc(withheld["field"])} '
                      f'({esc(withheld["rule"])})</div>')
        for change in action.get("changes") or []:
            facts += (f"<div>edited {esc(change['field'])}: “{esc(_value(change['before']))}” → "
                      f"“{esc(_value(change['after']))}”</div>")
        if action.get("outcome"):
            facts += ('<div data-testid="action-outcome">Outcome: ' + esc(" · ".join(
                f"{k.replace('_', ' ')} {_value(v)}" for k, v in action["outcome"].items() if v is not None)) + "</div>")
        facts += "</div>"
        parts: list = [pn.pane.HTML(facts, sizing_mode="stretch_width")]
        payload = action.get("approved_payload") or action["payload"]
        inputs: dict[str, pn.widgets.Widget] = {}
        for field, value in payload.items():
            if value in (None, "", []):
                continue
            if action["may_approve"] and isinstance(value, str):
                widget = (pn.widgets.TextAreaInput if len(value) > 120 or "\n" in value else pn.widgets.TextInput)(
                    name=field.replace("_", " "), value=value, sizing_mode="stretch_width")
                inputs[field] = widget
                parts.append(widget)
            else:
                parts.append(pn.pane.HTML(f'<div><span style="color:var(--aios-muted, #52606d)">{esc(field.replace("_", " "))}</span>'
                                          f"<br>{esc(_value(value))}</div>", sizing_mode="stretch_width"))
        if action["may_approve"]:
            reason = pn.widgets.TextInput(name="Reason (required to reject)", sizing_mode="stretch_width")
            approve = pn.widgets.Button(name=APPROVE_LABELS.get(action["kind"], "Approve"), button_type="primary")
            reject = pn.widgets.Button(name="Reject", button_type="light")
            message = pn.Column(sizing_mode="stretch_width")

            def decide(verb: str) -> None:
                if not settled(reason, *inputs.values()):
                    message[:] = [pn.pane.Alert(STILL_ARRIVING, alert_type="warning")]
                    return
                said = (reason.value or "").strip()
                if verb == "reject" and not said:
                    message[:] = [pn.pane.Alert("A rejection needs a reason: the proposer reads it.",
                                                alert_type="warning")]
                    return
                try:
                    if verb == "approve":
                        edited = {**action["payload"], **{f: w.value for f, w in inputs.items()}}
                        self.data.approve_action(action["id"], payload=edited, reason=said or None)
                    else:
                        self.data.reject_action(action["id"], reason=said)
                except Exception as exc:  # noqa: BLE001 - e.g. decided meanwhile: say so in place
                    message[:] = [problem(exc)]
                    return
                self._fill(holder)

            approve.on_click(lambda _e: decide("approve"))
            reject.on_click(lambda _e: decide("reject"))
            parts += [reason, pn.Row(approve, reject), message]
        elif action["state"] == "pending" and action.get("why_not"):
            parts.append(pn.pane.HTML(f'<p style="color:var(--aios-muted, #52606d)" data-testid="action-why-not">You may not decide on '
                                      f"it: {esc(action['why_not'])}.</p>"))
        return pn.Column(*parts, sizing_mode="stretch_width",
                         styles={"border-left": "3px solid #0b6e99", "padding-left": "10px", "margin-bottom": "12px"})

    def _fill(self, holder: pn.Column) -> None:
        page = self.data.actions(state=None if self.state == "all" else self.state, limit=FEED_SIZE)
        waiting = page["counts"]["waiting_for_you"]
        figures = pn.FlexBox(card("Waiting for you", waiting, "actions-waiting", tone="bad" if waiting else "good"))
        items: list = [self._item(a, holder) for a in page["actions"]] or [
            pn.pane.Markdown("Nothing waits for your decision." if self.state == "pending" else f"No {self.state} actions.")]
        holder[:] = [figures, *items]
