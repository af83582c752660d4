"""The procurement story end to end, as the chief procurement officer lives it, in headless Chromium.

A private copy of the demo workspace prepared as `aios demo` prepares it (the supply-risk model, its daily job
whose run raises the risk alert, the app `switch_suppliers`), its e-mail going to an SMTP server in this process,
and `aios dashboard` with password logins. olivia (procurement officer) reads the alert, opens the app it points
to, sees the simulated alternates, has the outreach to the best two drafted, rejects one draft with a reason
(nothing is sent), edits the other and approves it: the e-mail arrives as she edited it. bob (analyst, no approver
role) may not decide on an e-mail he proposed himself; the app shows him only his region's suppliers, contacts
masked. Every step is in the audit log, every read of the app in the lineage log."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from email.header import decode_header, make_header

import pytest

from aios_workbench.core.errors import PermissionDenied
from aios_workbench.service.core import WorkbenchService
from tests.approvals import smtp_server
from tests.conftest import AIOS, artifact, free_port, stop, wait_for_http
from tests.test_browser_decisions import logged_in, text_with  # the dashboard's logins and page text
from tests.test_dashboard import add_login
from tests.test_outreach_app import APP, alternates, publish_app, story_workspace

pytestmark = pytest.mark.browser
PASSWORDS = {"olivia": "olivia-pw-1", "bob": "bob-pw-1"}
ALERT_KEY = "monitor:supply_risk"
EDIT = "PS: we could start with a trial order in the first week of next month."


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    from aios_workbench.demo.prepare import prepare_jobs

    with smtp_server() as (port, inbox):
        ws = story_workspace(demo_workspace, tmp_path_factory.mktemp("story") / "demo", smtp_port=port)
        prepared = prepare_jobs(ws, progress=False)          # as `aios demo` does: model, risk job (alert), app
        service = WorkbenchService(ws, mode="local")
        publish_app(service)                                 # (already published by the demo's preparation)
        for user, password in PASSWORDS.items():
            assert add_login(ws.root, user, password).returncode == 0
        url_port = free_port()
        log = artifact("dashboard-procurement-story.log").open("w")
        process = subprocess.Popen([AIOS, "--workspace", str(ws.root), "dashboard", "--port", str(url_port),
                                    "--address", "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{url_port}"
        try:
            wait_for_http(f"{url}/login", process=process, timeout=90)
            yield type("Env", (), {"ws": ws, "service": service, "inbox": inbox, "url": url, "prepared": prepared})
        finally:
            stop(process)
            log.close()
            service.close()


def app_page(page, *words: str, timeout: float = 120.0) -> tuple[str, str]:
    """The app's page (text, HTML) once its sandboxed frame holds `words`."""
    frame = page.frame_locator("iframe[title='Switch suppliers']")
    deadline = time.monotonic() + timeout
    while True:
        frame.locator("body").wait_for(timeout=timeout * 1000)
        text, html = frame.locator("body").inner_text(), frame.locator("body").inner_html()
        if all(w in text for w in words) or time.monotonic() > deadline:
            return text, html
        time.sleep(0.25)


def audit(env, *actions: str) -> list[dict]:
    return [r for r in env.service.audit_trail.records("carol", limit=5000) if r["action"] in actions]


def test_the_officer_goes_from_the_alert_to_a_sent_email(chromium, env):
    alert = next(a for a in env.service.alerts.list("olivia", state=None, limit=200) if a["key"] == ALERT_KEY)
    assert alert["title"].startswith("risk of > 7 days delay for ") and "Southeast Asia" in alert["title"]
    link = alert["detail"]["link"]
    assert link["app"] == APP
    before = len(env.inbox.messages)
    with logged_in(chromium, env, "olivia", "/?page=alerts") as page:
        # 1. the alert, with its evidence in words
        text = text_with(page, alert["title"])
        assert alert["title"] in text
        page.screenshot(path=str(artifact("story-1-alert.png")), full_page=True)

        # 2. the app the alert points to, with the alert's values (a shareable link answers at once)
        values = urllib.parse.quote(json.dumps(link.get("params") or {}))
        page.goto(f"{env.url}/?page=apps&app={link['app']}&values={values}")
        page.get_by_test_id("app-status").wait_for(timeout=120_000)
        assert "Ran as you in" in page.get_by_test_id("app-status").inner_text()
        shown, html = app_page(page, "Moving 40 % of the electronics bought from suppliers shipping from Southeast Asia")
        assert "on time" in shown and "Price against today's suppliers" in html           # simulated, drawn
        best = alternates(html)
        assert len(best) == 3 and all("@" in r["email"] for r in best)                    # contacts in full
        page.screenshot(path=str(artifact("story-2-app.png")), full_page=True)

        # 3. draft the outreach to the best two
        page.locator(".bk-Checkbox", has=page.get_by_text("Draft outreach", exact=True)).locator("input").check()
        page.get_by_role("button", name="Run", exact=True).click()
        shown, _ = app_page(page, "Drafted for approval")
        assert shown.count("waiting for approval") == 2, (page.get_by_test_id("app-status").inner_text(), shown)
        page.screenshot(path=str(artifact("story-3-drafted.png")), full_page=True)

    drafts = sorted((a for a in env.service.actions.page("olivia", state="pending")["actions"]
                     if a["proposed_via"] == f"app:{APP}"), key=lambda a: a["evidence"]["rank"])
    assert [a["evidence"]["rank"] for a in drafts] == [1, 2]
    first, second = drafts
    assert first["payload"]["to"] == [best[0]["email"]] and second["payload"]["to"] == [best[1]["email"]]
    assert first["payload"]["body"].startswith(f"Dear {best[0]['contact']},")

    with logged_in(chromium, env, "olivia", "/?page=actions") as page:
        # 4. review: both drafts with why and the ranking's figures
        text = text_with(page, first["title"], second["title"], "Waiting for you")
        assert "price band pct" in text and "proposed by olivia (app:switch_suppliers)" in text
        assert best[0]["email"] in text and f"Dear {best[0]['contact']}" in text
        page.screenshot(path=str(artifact("story-4-review.png")), full_page=True)
        order = page.locator("[data-testid=action-item]").evaluate_all("els => els.map(e => +e.dataset.actionId)")

        # 5. reject the second draft, with a reason: nothing is sent
        k = order.index(second["id"])
        reason = page.get_by_label("Reason (required to reject)").nth(k)
        reason.fill("We are already in talks with them")
        reason.press("Tab")
        page.get_by_role("button", name="Reject", exact=True).nth(k).click()
        deadline = time.monotonic() + 60
        while page.locator("[data-testid=action-item]").count() != 1 and time.monotonic() < deadline:
            time.sleep(0.25)
        page.screenshot(path=str(artifact("story-5-rejected.png")), full_page=True)
        assert page.locator("[data-testid=action-item]").get_attribute("data-action-id") == str(first["id"])

        # 6. edit the first and approve it: it is sent, once, as edited
        body = page.get_by_label("body")
        body.fill(first["payload"]["body"] + "\n\n" + EDIT)
        body.press("Tab")
        page.wait_for_timeout(500)   # the edit reaches the server on blur, before the click
        page.get_by_role("button", name="Approve and send").click()
        text_with(page, "Nothing waits for your decision")
        page.locator(".bk-btn-group button", has_text="executed").first.click()
        text = text_with(page, "approved and done by olivia", "Outcome", "edited body", "trial order")
        assert "approved and done by olivia" in text and "edited body" in text and "trial order" in text
        page.screenshot(path=str(artifact("story-6-approved.png")), full_page=True)

    [mail] = env.inbox.wait_for(before + 1)[before:]
    subject = " ".join(str(make_header(decode_header(mail["Subject"]))).split())      # unfolded, decoded
    body = mail.get_payload(decode=True).decode(mail.get_content_charset() or "utf-8")
    assert mail["To"] == best[0]["email"] and subject == f"Could {best[0]['name']} take on more of our orders?"
    assert EDIT in body and body.startswith(f"Dear {best[0]['contact']},")
    time.sleep(1)
    assert len(env.inbox.messages) == before + 1                                         # the rejected one: nothing
    assert env.service.actions.show("olivia", second["id"])["state"] == "rejected"

    # 7. every step in the audit log (names, never the contact's values) ...
    runs = [r for r in audit(env, "app.run") if r["user"] == "olivia"]
    assert len(runs) >= 2 and all(r["target"] in (f"app:{APP}", [f"app:{APP}"]) for r in runs)
    decided = {(r["action"], r["target"] if isinstance(r["target"], str) else r["target"][0])
               for r in audit(env, "action.propose", "action.reject", "action.approve", "action.execute")
               if r["user"] == "olivia"}
    assert {("action.propose", f"action:{first['id']}"), ("action.propose", f"action:{second['id']}"),
            ("action.reject", f"action:{second['id']}"), ("action.approve", f"action:{first['id']}"),
            ("action.execute", f"action:{first['id']}")} <= decided
    trail = json.dumps(audit(env, "action.propose", "action.approve", "action.execute", "action.reject"))
    assert best[0]["email"] not in trail and best[0]["contact"] not in trail

    # ... and every read of the app in the lineage log, as olivia's, from the app
    reads = {i["name"] for e in env.service.queries.lineage.log.events()
             if e.get("run", {}).get("facets", {}).get("aios_run", {}).get("user") == "olivia"
             and e["run"]["facets"]["aios_run"].get("surface") == "app" for i in e.get("inputs", [])}
    assert {n.rsplit(".", 1)[-1] for n in reads} >= {"suppliers", "purchase_orders", "shipments", "supplier_lanes"}


def test_an_analyst_without_the_approver_role_cannot_approve(chromium, env):
    action = env.service.actions.propose(
        "bob", kind="email", payload={"to": ["buyers@example.com"], "subject": "Northern Europe volumes",
                                      "body": "Could we review the volumes this week?"},
        reason="the risk alert", surface="api")
    with pytest.raises(PermissionDenied, match="none of your roles approves"):
        env.service.actions.approve("bob", action["id"], surface="api")
    with logged_in(chromium, env, "bob", "/?page=actions") as page:
        text = text_with(page, "Northern Europe volumes", "You may not decide on it")
        assert "none of your roles approves email actions" in text
        assert page.get_by_role("button", name="Approve and send").count() == 0
    refused = [r for r in audit(env, "action.approve") if r["user"] == "bob"]
    assert refused and refused[0]["allowed"] is False


def test_the_app_shows_the_analyst_his_own_region_with_contacts_masked(chromium, env):
    officer = env.service.apps.run("olivia", APP, {"region": "Southeast Asia"}, surface="api")
    with logged_in(chromium, env, "bob", "/?page=apps") as page:
        page.get_by_role("button", name="Switch suppliers").click()
        page.get_by_test_id("app-title").wait_for()
        text_with(page, "Region", "Draft outreach")
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_test_id("app-status").wait_for(timeout=120_000)
        shown, html = app_page(page, "which you may not read")
        page.screenshot(path=str(artifact("story-7-analyst.png")), full_page=True)
    his = alternates(html)
    assert his and all(r["region"] == "Northern Europe" and "@" not in r["email"] for r in his)
    assert not any(r["email"] in html for r in alternates(officer["html"]))
