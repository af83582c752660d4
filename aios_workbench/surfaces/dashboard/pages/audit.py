"""Audit: who accessed what, filtered by user, dataset, time and outcome, and a hash-chain check.

The service decides visibility: users whose role has `audit: true` see everyone's records,
everybody else only their own (asking for another user's records is refused).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import (
    STILL_ARRIVING,
    details_text,
    esc,
    guarded,
    heading,
    settled,
    table,
    when,
)

PAGE = 100


class AuditPage(param.Parameterized):
    """Filters, one page of records (newest first, keyset paging), and "Verify chain"."""

    user = param.String(default="")
    dataset = param.String(default="")
    outcome: param.Selector[str] = param.Selector(default="all", objects=["all", "allowed", "denied"])
    since = param.Date(default=None, allow_None=True)
    until = param.Date(default=None, allow_None=True)
    apply = param.Event(label="Apply filters")

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data
        self._before: list[int | None] = [None]
        self._verdict = pn.pane.HTML("", sizing_mode="stretch_width")
        self._inputs: tuple = ()   # the filters' widgets (`__panel__`): Apply waits for their last edits
        if not data.is_auditor:
            self.user = data.user

    def _filters(self) -> dict:
        filters: dict[str, Any] = {"limit": PAGE, "before_id": self._before[-1]}
        if self.user.strip():
            filters["user"] = self.user.strip()
        if self.dataset.strip():
            filters["dataset"] = self.dataset.strip()
        if self.outcome != "all":
            filters["allowed"] = self.outcome == "allowed"
        if self.since:
            filters["since"] = dt.datetime.combine(self.since, dt.time.min, dt.UTC)
        if self.until:
            filters["until"] = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time.min, dt.UTC)
        return filters

    @param.depends("apply", watch=True)
    def _reset_paging(self):
        self._before = [None]

    @param.depends("apply")
    @guarded
    def _records(self):
        if not settled(*self._inputs):
            return pn.pane.Alert(STILL_ARRIVING, alert_type="warning")
        records = self.data.audit(**self._filters())
        rows = [{"id": r["id"], "at": when(r["at"], seconds=True), "user": r["user"], "surface": r["surface"],
                 "action": r["action"], "target": r["target"], "outcome": "allowed" if r["allowed"] else "DENIED",
                 "details": details_text(r["detail"])} for r in records]
        holder = pn.Column(sizing_mode="stretch_width")
        older = pn.widgets.Button(name="Older records", disabled=len(records) < PAGE, width=140)
        newer = pn.widgets.Button(name="Newer records", disabled=len(self._before) == 1, width=140)

        def page(forward: bool) -> None:
            if forward:
                self._before.append(records[-1]["id"])
            else:
                self._before.pop()
            holder[:] = [self._records()]

        older.on_click(lambda _e: page(True))
        newer.on_click(lambda _e: page(False))
        denied = sum(1 for r in records if not r["allowed"])
        note = pn.pane.HTML(f'<span data-testid="audit-count">{len(records)} records on this page · {denied} denied'
                            "</span>")
        records_table = table(rows, page_size=25, name="audit records", widths={"details": 420},
                              formatters={"details": {"type": "textarea"}})   # long details wrap
        holder[:] = [pn.Row(newer, older, note), records_table]
        return holder

    def _verify(self, _event=None) -> None:
        try:
            result = self.data.verify_audit_chain()
        except Exception as exc:  # noqa: BLE001 - shown next to the button
            self._verdict.object = f'<p data-testid="audit-verdict" style="color:var(--aios-bad, #b42318)">{esc(exc)}</p>'
            return
        if result["ok"]:
            text = f"Chain intact: {result['checked']} records checked"
            if result.get("head_id"):
                text += f", anchored at record {result['head_id']}"
            color = "var(--aios-good, #1a7f37)"
        else:
            text = f"Chain BROKEN: {result['reason']} ({result['checked']} records before it are intact)"
            color = "var(--aios-bad, #b42318)"
        self._verdict.object = f'<p data-testid="audit-verdict" style="color:{color};font-weight:600">{esc(text)}</p>'

    def __panel__(self):
        scope = ("You are an auditor: you see everyone's records." if self.data.is_auditor else
                 "You see your own records; roles with `audit: true` see everyone's.")
        user = pn.widgets.TextInput.from_param(self.param.user, name="User", width=160,
                                               disabled=not self.data.is_auditor)
        dataset = pn.widgets.TextInput.from_param(self.param.dataset, name="Dataset", width=300,
                                                  placeholder="source.schema.dataset")
        outcome = pn.widgets.Select.from_param(self.param.outcome, name="Outcome", width=120)
        since = pn.widgets.DatePicker.from_param(self.param.since, name="From", width=150)
        until = pn.widgets.DatePicker.from_param(self.param.until, name="To", width=150)
        apply = pn.widgets.Button.from_param(self.param.apply, button_type="primary", width=140, align="end")
        self._inputs = (user, dataset, outcome, since, until)
        verify = pn.widgets.Button(name="Verify chain", button_type="warning", width=140)
        verify.on_click(self._verify)
        return pn.Column(heading("Audit", "page-audit"), pn.pane.Markdown(scope),
                         pn.FlexBox(user, dataset, outcome, since, until, apply),
                         pn.Row(verify, self._verdict), self._records, sizing_mode="stretch_width")
