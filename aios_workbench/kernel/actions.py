"""`wb.propose(...)` and `wb.actions()`: put an action in the approval queue from a notebook or a job, and see
the queue. Nothing happens until an approver approves it (see service/actions.py for the rules).

    wb.propose("email", {"to": [row["contact_email"]], "subject": "Supply from Q3", "body": draft},
               reason="3 suppliers in Southeast Asia at risk", evidence={"orders_at_risk": 14},
               sources={"to": "supplier_master.main.suppliers.contact_email"})

A draft from a template: its texts hold `{{placeholders}}` and `fill` their values, filled in by the service;
`rephrase=True` lets the workspace's writer (aios.yaml `actions.writer`) reword the template first, which never
sees the values:

    wb.propose("email", {"to": ["{{email}}"], "subject": "Capacity for Q3", "body": "Dear {{name}}, ..."},
               fill={"email": row["contact_email"], "name": row["contact_name"]}, rephrase=True,
               sources={"to": "supplier_master.main.suppliers.contact_email",
                        "body": "supplier_master.main.suppliers.contact_name"})
"""

from __future__ import annotations

import os
from html import escape
from typing import Any
from urllib.parse import urlencode

from aios_workbench.kernel.client import service_client


class ProposedAction(dict):
    """An action as the service answered it (a dict), shown as a short card in Jupyter."""

    @property
    def id(self) -> int:
        return int(self["id"])

    @property
    def state(self) -> str:
        return str(self["state"])

    def _words(self) -> str:
        words = f"action {self['id']}: {self['summary']} - {self['state_text']}"
        if self.get("decided_by") and self["state"] != "expired":
            words += f" by {self['decided_by']}"
        if self.get("decision_reason"):
            words += f" ({self['decision_reason']})"
        return words

    def __repr__(self) -> str:
        return self._words()

    def _repr_html_(self) -> str:
        reason = f"<div>{escape(self['reason'])}</div>" if self.get("reason") else ""
        return (f'<div class="aios-action" style="border-left:3px solid var(--jp-brand-color1,#1976d2);'
                f'padding:4px 8px;color:var(--jp-ui-font-color1,inherit)"><strong>{escape(self["title"])}</strong>'
                f"<div>{escape(self._words())}</div>{reason}</div>")


class ActionList(list):
    """Actions shown as a table in Jupyter."""

    def _repr_html_(self) -> str:
        if not self:
            return "<p>No actions you may see.</p>"
        rows = "".join(f"<tr><td>{a['id']}</td><td>{escape(a['title'])}</td><td>{escape(a['proposed_by'])}</td>"
                       f"<td>{escape(a['state_text'])}</td></tr>" for a in self)
        return ("<table><thead><tr><th>Id</th><th>Action</th><th>Proposed by</th><th>State</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


def _via() -> str:
    app = os.environ.get("AIOS_APP")
    if app:
        return f"app:{app}"[:64]
    job = os.environ.get("AIOS_JOB_NAME")
    if job:
        return f"job:{job}"[:64]
    notebook = os.environ.get("AIOS_NOTEBOOK_PATH") or os.environ.get("JPY_SESSION_NAME")
    return f"notebook:{os.path.basename(notebook)}"[:64] if notebook else "kernel"


def propose(kind: str, payload: dict[str, Any], *, reason: str = "", title: str | None = None,
            evidence: dict[str, Any] | None = None, sources: dict[str, str] | None = None,
            expires_in_hours: float | None = None, fill: dict[str, Any] | None = None,
            rephrase: bool = False) -> ProposedAction:
    """Propose an action of `kind` (email, webhook, job_run, dataset_write, ...) for an approver's decision; nothing is done
    before an approver approves it. `sources` names the column each payload field came from, so that every
    viewer sees it only as their grants allow. With `fill`, the payload's texts are a template whose
    `{{placeholders}}` the service fills in; `rephrase` has the workspace's writer reword the template first."""
    body: dict[str, Any] = {"kind": kind, "payload": payload, "reason": reason, "via": _via()}
    if rephrase:
        body["rephrase"] = True
    for key, value in (("title", title), ("evidence", evidence), ("sources", sources),
                       ("expires_in_hours", expires_in_hours), ("fill", fill)):
        if value is not None:
            body[key] = value
    return ProposedAction(service_client().post("actions", body))


def actions(state: str | None = "pending", *, limit: int = 50) -> ActionList:
    """The actions you may see (yours, those you may approve; all for auditors), newest first; `state=None`
    for every state."""
    query = {"limit": limit, **({"state": state} if state else {})}
    page = service_client().get(f"actions?{urlencode(query)}")
    return ActionList(ProposedAction(a) for a in page["actions"])
