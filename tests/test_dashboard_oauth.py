"""`aios dashboard --oauth`: logins through an OAuth2 identity provider (a real one, `oauth_idp.py`, started
by the test on 127.0.0.1), driven in headless Chromium. Policy users get in and read as themselves; the
provider's other users are refused with no login left behind; every outcome is audited."""

from __future__ import annotations

import json
import os
import subprocess
from types import SimpleNamespace

import pytest

from .conftest import AIOS, artifact, free_port, run_aios, stop, wait_for_http
from .oauth_idp import IdentityProvider
from .test_dashboard import _fresh, copy_demo, open_page, wait_text

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")]


@pytest.fixture(scope="module")
def oauth_dashboard(demo_workspace, tmp_path_factory):
    from aios_workbench.demo.prepare import prepare_demo
    from aios_workbench.workspace import Workspace

    root = copy_demo(_fresh(tmp_path_factory))
    ws = Workspace.load(root)
    prepare_demo(ws, progress=False)
    idp = IdentityProvider().start(free_port())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = artifact("dashboard-oauth-server.log")
    with log_path.open("w") as log:
        process = subprocess.Popen([AIOS, "--workspace", str(root), "dashboard", "--oauth", "--port", str(port),
                                    "--address", "127.0.0.1", "--json"], stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **idp.environment(url)})
        try:
            wait_for_http(f"{url}/login", process=process, timeout=90)
            yield SimpleNamespace(url=url, ws=ws, idp=idp, log=log_path)
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


def login_records(ws, user: str) -> list[dict]:
    from aios_workbench.audit import open_audit_log

    log = open_audit_log(ws)
    try:
        return log.query(action="dashboard.login", user=user)
    finally:
        log.store.close()


def test_a_policy_user_signs_in_at_the_provider_and_reads_as_themselves(chromium, oauth_dashboard):
    context, page = sign_in(chromium, oauth_dashboard, "bob")
    try:
        page.get_by_test_id("current-user").wait_for()
        assert page.get_by_test_id("current-user").inner_text() == "bob"
        assert page.url.startswith(oauth_dashboard.url)
        open_page(page, oauth_dashboard, "data")
        wait_text(page, "2 datasets you can read")      # bob's grants, not anyone else's
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies["access_token"] and all(c["httpOnly"] for c in context.cookies()
                                               if c["name"] in ("user", "access_token"))
        # the provider's token is kept encrypted, not readable from the cookie
        assert not any(token in json.dumps(cookies) for token in oauth_dashboard.idp.tokens)
    finally:
        context.close()
    assert oauth_dashboard.idp.requests.count("userinfo") >= 1
    record = login_records(oauth_dashboard.ws, "bob")[0]
    assert record["allowed"] and record["detail"]["reason"] == "oauth: identity provider vouched for a policy user"


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
    record = login_records(oauth_dashboard.ws, "mallory")[0]
    assert not record["allowed"] and record["detail"]["reason"] == "oauth: not a policy user"


def test_oauth_needs_its_settings_and_a_local_workspace(demo_workspace, tmp_path):
    missing = run_aios("--workspace", str(demo_workspace.root), "dashboard", "--oauth", "--json")
    assert missing.returncode == 64
    error = json.loads(missing.stdout)
    assert "PANEL_OAUTH_KEY" in error["message"] and error["input"] == "PANEL_OAUTH_KEY"

    team = run_aios("dashboard", "--oauth", "--service-url", "http://127.0.0.1:9", cwd=tmp_path)
    assert team.returncode == 64 and "--oauth works with a local workspace only" in team.stderr
