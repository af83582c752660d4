"""A proposed e-mail reviewed and approved from the JupyterLab sidebar, in headless Chromium.

alice proposes outreach to a supplier (the service's own `propose`, as `wb.propose` does over REST). olivia,
a procurement officer, opens the Alerts section: the approval alert has a Review button; the review shows
why, the evidence and the draft; she edits the body and approves; the e-mail reaches a real SMTP server with
her edit, and the review says it was approved and done by her. dave, a buyer for whom e-mail addresses are
masked, sees the address masked and the reason he may not decide, and no Approve button; a rejection without
a reason is refused with a sentence saying so."""

from __future__ import annotations

import pytest

from aios_workbench.service.core import WorkbenchService
from tests.approvals import CONTACT, a_contact, approvals_workspace, smtp_server
from tests.test_browser_jobs import LAB_SETTINGS, lab_on, lab_page, open_section, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    with smtp_server() as (port, inbox):
        folder = tmp_path_factory.mktemp("browser-actions")
        ws = approvals_workspace(demo_workspace, folder / "demo", smtp_port=port)
        service = WorkbenchService(ws, mode="local")
        try:
            yield ws, service, inbox, folder
        finally:
            service.close()


def propose_outreach(service, subject: str) -> tuple[dict, str]:
    to = a_contact(service)
    action = service.actions.propose(
        "alice", kind="email", payload={"to": [to], "subject": subject, "body": "Dear supplier, ..."},
        reason="3 suppliers in Southeast Asia are at risk of delays over 7 days",
        evidence={"orders_at_risk": 14, "region": "Southeast Asia"}, sources={"to": CONTACT}, surface="api")
    return action, to


def review_of(page, action_id: int):
    """The alert of action `action_id` in the Alerts section, and its review opened."""
    open_section(page, "alerts")
    alert = page.get_by_test_id("aios-alerts-tab").locator(f'[data-testid="aios-alert"][data-key="action:{action_id}"]')
    alert.wait_for(timeout=30_000)
    alert.get_by_test_id("aios-alert-review").click()
    review = alert.get_by_test_id("aios-action-review")
    review.get_by_test_id("aios-action-state").wait_for(timeout=30_000)
    return alert, review


def test_the_officer_edits_and_approves_a_drafted_email_from_the_sidebar(chromium, env, tmp_path):
    ws, service, inbox, folder = env
    action, to = propose_outreach(service, "Capacity for Q3")
    before = len(inbox.messages)
    with lab_on(ws.root, tmp_path, log_name="jupyterlab-actions-olivia.log", user="olivia",
                settings=LAB_SETTINGS) as lab, lab_page(chromium, lab) as page:
        alert, review = review_of(page, action["id"])
        text = review.inner_text()
        assert "e-mail to " + to in text and "waiting for approval" in text and "Proposed by alice" in text
        assert "Southeast Asia are at risk" in text and "orders at risk: 14" in text
        body = review.get_by_test_id("aios-action-field-body")
        body.fill("Dear supplier, could you take 20% more volume in Q3?")
        review.get_by_test_id("aios-action-reject").click()
        assert "A rejection needs a reason" in review.inner_text()
        review.get_by_test_id("aios-action-approve").click()
        review.get_by_test_id("aios-action-outcome").wait_for(timeout=30_000)
        text = review.inner_text()
        assert "approved and done by olivia" in text and "Outcome: sent to 1" in text
        assert "body:" in text and "20% more volume" in text          # the edit, as a change
        assert "20% more volume" in review.get_by_test_id("aios-action-field-body").inner_text()   # what was sent
        assert alert.get_by_test_id("aios-alert-ack").count() == 0    # decided: nothing left to do on the alert
        assert "cc" not in review.locator(".aios-action-fields").inner_text().split()   # no empty fields
        screenshot(page, "sidebar-action-approved.png")
    [mail] = inbox.wait_for(before + 1)[before:]
    assert mail["To"] == to and "20% more volume" in mail.get_payload()
    assert service.actions.show("alice", action["id"])["state"] == "executed"


def test_a_buyer_who_sees_the_address_masked_may_not_approve(chromium, env, tmp_path):
    ws, service, inbox, folder = env
    action, to = propose_outreach(service, "Alternate lanes")
    with lab_on(ws.root, tmp_path, log_name="jupyterlab-actions-dave.log", user="dave",
                settings=LAB_SETTINGS) as lab, lab_page(chromium, lab) as page:
        _, review = review_of(page, action["id"])
        text = review.inner_text()
        assert to not in text and "(masked for you" in text
        assert "You may not decide on it: you may not see all of it: payload.to" in text
        assert review.get_by_test_id("aios-action-approve").count() == 0
    assert service.actions.show("alice", action["id"])["state"] == "pending"
