"""`aios dashboard --oauth`: logins through an OAuth2 identity provider (a real one, `oauth_idp.py`, started
by the test on 127.0.0.1), driven in headless Chromium. Policy users get in and read as themselves; the
provider's other users are refused with no login left behind; every outcome is audited.

Each browser test runs twice: "local" (the dashboard on the workspace) and "team" (`aios dashboard
--service-url --oauth` against `aios serve` on the workspace, acting for the signed-in user with a
delegate token of the service)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from types import SimpleNamespace

import pytest

from tests.conftest import AIOS, aios_serve, artifact, free_port, run_aios, stop, wait_for_http
from tests.oauth_idp import IdentityProvider
from tests.test_dashboard import _fresh, copy_demo, open_page, wait_text

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")]


@pytest.fixture(scope="module")
def oauth_workspace(demo_workspace, tmp_path_factory):
    from aios_workbench.demo.prepare import prepare_demo
    from aios_workbench.workspace import Workspace

    root = copy_demo(_fresh(tmp_path_factory))
    policy = root / "governance" / "policy.yaml"   # bob's provider knows him by his e-mail address
    policy.write_text(policy.read_text().replace("attributes: {region: Northern Europe}",
                                                 "attributes: {region: Northern Europe, email: bob@example.com}"))
    ws = Workspace.load(root)
    prepare_demo(ws, progress=False)
    return ws


def delegate_token(ws, name: str = "dashboard") -> dict:
    done = run_aios("--workspace", str(ws.root), "tokens", "add", name, "--delegate", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module", params=["local", "team"])
def oauth_dashboard(request, oauth_workspace):
    ws, mode = oauth_workspace, request.param
    idp = IdentityProvider().start(free_port())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = artifact(f"dashboard-oauth-{mode}-server.log")
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(log_path.open("w"))
        env = {**os.environ, **idp.environment(url)}
        if mode == "local":
            args = ["--workspace", str(ws.root), "dashboard", "--oauth"]
        else:
            service_url = stack.enter_context(aios_serve(ws.root, token="oauth-team-service-token"))
            env["AIOS_DASHBOARD_SERVICE_TOKEN"] = delegate_token(ws)["token"]
            args = ["dashboard", "--oauth", "--service-url", service_url]
        process = subprocess.Popen([AIOS, *args, "--port", str(port), "--address", "127.0.0.1", "--json"],
                                   stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ws.root.parent)
        try:
            wait_for_http(f"{url}/login", process=process, timeout=90)
            yield SimpleNamespace(url=url, ws=ws, idp=idp, log=log_path, mode=mode)
        finally:
            stop(process)
            idp.stop()


def sign_in(chromium, dashboard, idp_user: str):
    """A new browser context that opens the dashboard and signs in at the identity provider."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(dashboard.url + "/?page=data")
    assert page.url.startswith(dashboard.idp.url + "/authorize"), page.url   # sent to the provider
    page.locator("#idp-user").fill(idp_user)
    page.locator("#idp-sign-in").click()
    return context, page


def login_records(ws, user: str, action: str = "dashboard.login") -> list[dict]:
    from aios_workbench.audit import open_audit_log

    log = open_audit_log(ws)
    try:
        return log.query(action=action, user=user)
    finally:
        log.store.close()


def test_a_policy_user_signs_in_at_the_provider_and_reads_as_themselves(chromium, oauth_dashboard):
    context, page = sign_in(chromium, oauth_dashboard, "bob")
    try:
        page.get_by_test_id("current-user").wait_for()
        assert page.get_by_test_id("current-user").inner_text() == "bob"
        assert page.url.startswith(oauth_dashboard.url)
        open_page(page, oauth_dashboard, "data")
        wait_text(page, "4 datasets you can read")      # bob's grants, not anyone else's
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies["access_token"] and all(c["httpOnly"] for c in context.cookies()
                                               if c["name"] in ("user", "access_token"))
        # the provider's token is kept encrypted, not readable from the cookie
        assert not any(token in json.dumps(cookies) for token in oauth_dashboard.idp.tokens)
    finally:
        context.close()
    assert oauth_dashboard.idp.requests.count("userinfo") >= 1
    record = login_records(oauth_dashboard.ws, "bob")[0]
    if oauth_dashboard.mode == "local":
        assert record["allowed"] and record["detail"]["reason"] == "oauth: identity provider vouched for a policy user"
    else:   # the service recorded it, naming the delegate token the dashboard acted with
        assert record["allowed"] and record["detail"]["via"].startswith("dashboard (token ")


def test_a_provider_that_names_users_by_email_signs_in_the_policy_user_with_that_email(chromium, oauth_dashboard):
    context, page = sign_in(chromium, oauth_dashboard, "Bob@Example.com")
    try:
        page.get_by_test_id("current-user").wait_for()
        assert page.get_by_test_id("current-user").inner_text() == "bob"      # reads as bob, with his grants
        open_page(page, oauth_dashboard, "data")
        wait_text(page, "4 datasets you can read")
    finally:
        context.close()
    record = next(r for r in login_records(oauth_dashboard.ws, "bob") if r["detail"].get("signed_in_as"))
    assert record["allowed"] and record["detail"]["signed_in_as"] == "Bob@Example.com"


def test_the_providers_other_users_are_refused_and_keep_no_login(chromium, oauth_dashboard):
    context, page = sign_in(chromium, oauth_dashboard, "mallory")
    try:
        page.get_by_text("Not a workbench user").first.wait_for()
        # Panel had set its cookies before the refusal: none may remain
        assert not {"user", "id_token", "access_token", "refresh_token", "oauth_expiry"} & \
            {c["name"] for c in context.cookies()}
        assert page.get_by_test_id("current-user").count() == 0
        page.goto(oauth_dashboard.url + "/")
        assert page.url.startswith(oauth_dashboard.idp.url + "/authorize")   # still not logged in
    finally:
        context.close()
    if oauth_dashboard.mode == "local":
        record = login_records(oauth_dashboard.ws, "mallory")[0]
        assert not record["allowed"] and record["detail"]["reason"] == "oauth: not a policy user"
    else:   # the service refused to act for her, and recorded it
        record = login_records(oauth_dashboard.ws, "mallory", action="act_as")[0]
        assert not record["allowed"] and record["detail"]["reason"] == "not a policy user"
        assert "dashboard login refused for mallory" in oauth_dashboard.log.read_text()


def test_oauth_needs_its_settings(demo_workspace, tmp_path):
    missing = run_aios("--workspace", str(demo_workspace.root), "dashboard", "--oauth", "--json")
    assert missing.returncode == 64
    error = json.loads(missing.stdout)
    assert "PANEL_OAUTH_KEY" in error["message"] and error["input"] == "PANEL_OAUTH_KEY"


def test_team_mode_oauth_needs_a_delegate_token_of_the_service(oauth_workspace, tmp_path):
    """The dashboard refuses to start without a delegate token, with a wrong one, or with a person's own
    token (with which every user would read as that person)."""
    ws = oauth_workspace
    settings = IdentityProvider().environment("http://127.0.0.1:9")   # not started: nothing calls it here
    with aios_serve(ws.root, token="oauth-checks-service-token") as service_url:
        def start(token: str | None):
            env = {k: v for k, v in os.environ.items() if k != "AIOS_DASHBOARD_SERVICE_TOKEN"} | settings
            if token:
                env["AIOS_DASHBOARD_SERVICE_TOKEN"] = token
            return subprocess.run([AIOS, "dashboard", "--oauth", "--service-url", service_url, "--json"],
                                  capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

        def refusal(done) -> dict:
            assert done.returncode == 64, done.stderr
            return json.loads(done.stdout)

        error = refusal(start(None))
        assert error["input"] == "AIOS_DASHBOARD_SERVICE_TOKEN" and "--delegate" in error["fix"]
        error = refusal(start("aios_not-a-token"))
        assert "refused $AIOS_DASHBOARD_SERVICE_TOKEN" in error["message"]
        own = json.loads(run_aios("--workspace", str(ws.root), "tokens", "add", "bob", "--json").stdout)["token"]
        error = refusal(start(own))
        assert "is bob's own token, not a delegate token" in error["message"]
