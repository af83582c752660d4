"""The dashboard's Apps and Actions pages, as decision-makers use them, in headless Chromium.

`aios dashboard` (password logins) on a copy of the demo workspace with approvers (tests/approvals.py), an
SMTP server in this process, and the `supplier_board` app (tests/test_apps.py). bob opens the app: his form
offers only his region, Run shows his suppliers in the app's page. A link with the values answers at once for
alice. olivia, a procurement officer, finds alice's drafted e-mail on the Actions page, edits it and approves
it: the e-mail arrives as she edited it and the page says it was done by her; dave (e-mail addresses masked)
is told why he may not decide."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.parse

import pytest

from aios_workbench.service.core import WorkbenchService
from tests.approvals import CONTACT, a_contact, approvals_workspace, smtp_server
from tests.conftest import AIOS, artifact, free_port, stop, wait_for_http
from tests.test_apps import BOARD, make_app_job
from tests.test_dashboard import PAGE_TEXT, add_login, try_login

pytestmark = pytest.mark.browser
PASSWORDS = {"alice": "alice-pw-1", "bob": "bob-pw-1", "olivia": "olivia-pw-1", "dave": "dave-pw-1"}


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    with smtp_server() as (port, inbox):
        ws = approvals_workspace(demo_workspace, tmp_path_factory.mktemp("decisions") / "demo", smtp_port=port)
        service = WorkbenchService(ws, mode="local")
        make_app_job(ws, service.store, "supplier_board", BOARD)
        service.apps.publish("alice", "supplier_board", description="Who to call in a region.", surface="api")
        for user, password in PASSWORDS.items():
            assert add_login(ws.root, user, password).returncode == 0
        url_port = free_port()
        log = artifact("dashboard-decisions.log").open("w")
        process = subprocess.Popen([AIOS, "--workspace", str(ws.root), "dashboard", "--port", str(url_port),
                                    "--address", "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{url_port}"
        try:
            wait_for_http(f"{url}/login", process=process, timeout=90)
            yield type("Env", (), {"ws": ws, "service": service, "inbox": inbox, "url": url})
        finally:
            stop(process)
            log.close()
            service.close()


@contextlib.contextmanager
def logged_in(chromium, env, user: str, path: str = ""):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dashboard = type("D", (), {"url": env.url})
    assert not try_login(page, dashboard, user, PASSWORDS[user])
    if path:
        page.goto(env.url + path)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def text_with(page, *words: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = page.evaluate(PAGE_TEXT)
        if all(w in text for w in words) or time.monotonic() > deadline:
            return text
        time.sleep(0.25)


def frame_text(page, timeout: float = 90.0) -> str:
    """The text of the app's page (a sandboxed iframe) once it is there."""
    frame = page.frame_locator("iframe[title='Supplier board']")
    frame.locator("body").wait_for(timeout=timeout * 1000)
    return frame.locator("body").inner_text()


def test_bob_runs_the_app_and_sees_his_own_suppliers(chromium, env):
    with logged_in(chromium, env, "bob") as page:
        page.locator(".bk-btn-group button", has_text="Apps").first.click()
        page.get_by_test_id("page-apps").wait_for()
        page.get_by_role("button", name="Supplier board").click()
        page.get_by_test_id("app-title").wait_for()
        text = text_with(page, "Region", "How many suppliers")
        assert "Northern Europe" in text and "Southern Europe" not in text     # only his region is offered
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_test_id("app-status").wait_for(timeout=90_000)
        assert "Ran as you in" in page.get_by_test_id("app-status").inner_text()
        shown = frame_text(page)
        his = [r["supplier_id"] for r in env.service.queries.run(
            "SELECT s.supplier_id, count(*) n FROM purchase_orders o JOIN suppliers s ON s.supplier_id = o.supplier_id"
            " WHERE s.region = 'Northern Europe' GROUP BY ALL ORDER BY n DESC, s.supplier_id LIMIT 5",
            user="carol", surface="api").to_arrow().to_pylist()]
        assert "rows: 5" in shown and all(s in shown for s in his)
        assert "import aios_workbench" not in shown                      # outputs, not code
        page.screenshot(path=str(artifact("dashboard-app-run.png")), full_page=True)


def test_a_shared_link_answers_with_its_values(chromium, env):
    values = urllib.parse.quote(json.dumps({"region": "Southern Europe", "top": 3}))
    with logged_in(chromium, env, "alice", f"/?page=apps&app=supplier_board&values={values}") as page:
        page.get_by_test_id("app-status").wait_for(timeout=90_000)
        assert "rows: 3" in frame_text(page)


def busiest(env, region: str, top: int) -> list[str]:
    """The app's answer for `region`, computed apart (as carol, who sees every row)."""
    return [r["supplier_id"] for r in env.service.queries.run(
        "SELECT s.supplier_id, count(*) n FROM purchase_orders o JOIN suppliers s ON s.supplier_id = o.supplier_id"
        f" WHERE s.region = '{region}' GROUP BY ALL ORDER BY n DESC, s.supplier_id LIMIT {top}",
        user="carol", surface="api").to_arrow().to_pylist()]


def test_run_clicked_right_after_a_change_runs_with_the_change(chromium, env):
    """A choice changed and Run clicked in the same instant (a quick user, a script): the run has the new
    value, never the form's previous one (Panel applies the change later, on another thread, than the click)."""
    values = urllib.parse.quote(json.dumps({"region": "Southern Europe", "top": 3}))
    with logged_in(chromium, env, "alice", f"/?page=apps&app=supplier_board&values={values}") as page:
        page.get_by_test_id("app-status").wait_for(timeout=90_000)
        assert all(s in frame_text(page) for s in busiest(env, "Southern Europe", 3))
        run = page.get_by_role("button", name="Run", exact=True).element_handle()
        page.locator("select", has=page.locator("option", has_text="Northern Europe")).evaluate("""(select, run) => {
            select.value = 'Northern Europe';
            select.dispatchEvent(new Event('input', {bubbles: true}));
            select.dispatchEvent(new Event('change', {bubbles: true}));
            run.click();
        }""", run)
        expected = busiest(env, "Northern Europe", 3)
        deadline = time.monotonic() + 90
        while not all(s in (shown := frame_text(page)) for s in expected) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert all(s in shown for s in expected), (page.get_by_test_id("app-status").inner_text(), shown[:400])


def test_the_officer_edits_and_approves_a_drafted_email_on_the_actions_page(chromium, env):
    to = a_contact(env.service)
    action = env.service.actions.propose(
        "alice", kind="email", payload={"to": [to], "subject": "Capacity for Q3", "body": "Dear supplier, ..."},
        reason="3 suppliers are at risk of long delays", evidence={"orders_at_risk": 14}, sources={"to": CONTACT},
        surface="api")
    before = len(env.inbox.messages)
    with logged_in(chromium, env, "dave", "/?page=actions") as page:
        text = text_with(page, "Capacity for Q3", "You may not decide on it")
        assert to not in text and "payload.to" in text
    with logged_in(chromium, env, "olivia", "/?page=actions") as page:
        text = text_with(page, "Capacity for Q3", "orders at risk: 14", "Waiting for you")
        assert to in text and "proposed by alice" in text
        item = page.locator(f'[data-action-id="{action["id"]}"]')
        item.wait_for()
        body = page.get_by_label("body")
        body.fill("Dear supplier, could you take 20% more volume in Q3?")
        body.press("Tab")
        page.get_by_role("button", name="Approve and send").click()
        text = text_with(page, "Nothing waits for your decision")
        page.get_by_role("radio", name="executed").check() if page.get_by_role("radio", name="executed").count() \
            else page.locator(".bk-btn-group button", has_text="executed").first.click()
        text = text_with(page, "approved and done by olivia", "Outcome")
        assert "20% more volume" in text
        page.screenshot(path=str(artifact("dashboard-action-approved.png")), full_page=True)
    [mail] = env.inbox.wait_for(before + 1)[before:]
    assert mail["To"] == to and "20% more volume" in mail.get_payload()
