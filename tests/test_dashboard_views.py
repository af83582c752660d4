"""`dashboard/VIEW` over REST: what a team-mode dashboard reads, through a real `aios serve` with per-user
tokens, and `RemoteDashboardData`, its client. The browser tests (test_dashboard.py, team mode) drive
every page over it; these pin the contract: the caller's masks and filters, typed arguments, refusals."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request

import pytest

from aios_workbench.core.errors import AuthenticationRequired, PermissionDenied
from aios_workbench.service.dashboard.views import CSV_MAX_ROWS
from tests.conftest import aios_serve, run_aios
from tests.governed_fixtures import EU_ROWS, FILTERED_MARKER, RAW_MARKERS, UNGRANTED_MARKER, build_governed_workspace

PEOPLE = "hr.main.people"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from types import SimpleNamespace

    root = build_governed_workspace(tmp_path_factory.mktemp("views") / "ws")
    assert run_aios("--workspace", str(root), "catalog", "scan").returncode == 0
    tokens = {}
    for user in ("ana", "sam", "otto"):
        done = run_aios("--workspace", str(root), "tokens", "add", user, "--json")
        assert done.returncode == 0, done.stderr
        tokens[user] = json.loads(done.stdout)["token"]
    done = run_aios("--workspace", str(root), "tokens", "add", "dashboard", "--delegate", "--json")
    assert done.returncode == 0, done.stderr
    delegate = json.loads(done.stdout)
    assert delegate["delegate"] is True and delegate["user"] == "dashboard"
    tokens["dashboard"], tokens["dashboard-id"] = delegate["token"], delegate["id"]
    with aios_serve(root, token="views-service-token") as url:
        yield SimpleNamespace(url=url, root=root, tokens=tokens)


def as_user(served, user: str):
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    return RemoteDashboardData.connect(served.url, served.tokens[user])


def call(served, user: str, path: str, *, method: str = "GET", body: dict | None = None,
         act_as: str | None = None, api: str = "dashboard/") -> tuple[int, dict]:
    headers = {"Authorization": f"token {served.tokens[user]}"} | ({"X-AIOS-Act-As": act_as} if act_as else {})
    request = urllib.request.Request(f"{served.url}/aios/api/{api}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_each_user_reads_through_their_own_masks_and_row_filters(served):
    ana, sam = as_user(served, "ana"), as_user(served, "sam")
    assert (ana.user, ana.roles, ana.is_auditor) == ("ana", ["analyst"], False)
    assert sam.is_auditor

    page = ana.preview(PEOPLE, limit=50)
    shown = json.dumps(page.rows)
    assert len(page.rows) == EU_ROWS and FILTERED_MARKER not in shown
    assert not [m for m in RAW_MARKERS if m in shown], "raw values reached an analyst's preview"
    assert page.table.num_rows == EU_ROWS and "email" in page.table.column_names

    content, truncated = ana.csv(PEOPLE)
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert len(rows) == EU_ROWS and not truncated and not [m for m in RAW_MARKERS if m in content.decode()]
    content, truncated = ana.csv("hr.main.events")   # 300,000 rows: cut at the download limit, and says so
    assert truncated and content.count(b"\n") == CSV_MAX_ROWS + 1
    raw, _ = sam.csv(PEOPLE)
    assert "secret.example" in raw.decode() and FILTERED_MARKER in raw.decode()   # the steward: raw, all rows

    assert {d["name"] for d in ana.datasets()} == {PEOPLE, "hr.main.events"}
    figures = ana.catalog_figures()   # counted by the service over what ana reads: no one else's datasets
    assert figures["catalog"] > figures["readable"] == len(ana.datasets()) == 2
    assert UNGRANTED_MARKER not in json.dumps(ana.search("note"))


def test_audit_records_and_writes_follow_the_callers_rights(served):
    ana, sam = as_user(served, "ana"), as_user(served, "sam")
    ana.preview(PEOPLE, limit=5)
    mine = ana.audit(limit=50)
    assert mine and {r["user"] for r in mine} == {"ana"}
    with pytest.raises(PermissionDenied, match="only their own audit records"):
        ana.audit(user="sam", limit=5)
    assert {r["user"] for r in sam.audit(user="ana", limit=5)} == {"ana"}   # an auditor reads anyone's

    verdict = ana.verify_audit_chain()
    assert verdict["ok"] is True and verdict["checked"] > 0
    assert sam.audit(action="audit.verify", limit=5)[0]["user"] == "ana"


def test_a_dataset_without_a_grant_is_refused_not_empty(served):
    otto = as_user(served, "otto")
    assert otto.datasets() == []
    with pytest.raises(PermissionDenied) as refused:   # the server's class (QueryDenied), with its rule
        otto.csv(PEOPLE)
    assert refused.value.code == "query_denied" and "deny by default" in refused.value.message
    assert refused.value.rule


def test_bad_views_and_arguments_name_the_input_and_the_fix(served):
    status, body = call(served, "ana", "nope")
    assert status == 404 and "no dashboard view 'nope'" in body["message"] and "datasets" in body["fix"]
    status, body = call(served, "ana", "acknowledge")
    assert status == 404 and body["fix"] == "send it as POST"
    status, body = call(served, "ana", "audit?limit=lots")
    assert status == 400 and body["message"] == "limit must be an integer, got 'lots'"
    status, body = call(served, "ana", "audit?limit=0")
    assert status == 400 and body["message"] == "limit must be from 1 to 500, got 0"
    status, body = call(served, "ana", "datasets?dataset=x")
    assert status == 400 and "takes no argument dataset" in body["message"]
    status, body = call(served, "ana", "acknowledge", method="POST", body={"alert_id": "seven"})
    assert status == 400 and "alert_id must be an integer" in body["message"]
    status, body = call(served, "ana", "acknowledge", method="POST", body={"alert_id": True})
    assert status == 400 and "alert_id must be an integer" in body["message"]
    status, body = call(served, "ana", "audit?allowed=maybe")   # not quietly "false"
    assert status == 400 and body["message"] == "allowed must be true or false, got 'maybe'"


def test_the_dashboard_views_are_not_served_to_job_kernels():
    from aios_workbench.surfaces.rest.routes import API_PREFIX, mount
    from aios_workbench.surfaces.rest.standalone import TokenAuthBase

    served_to_jobs = [pattern for pattern, _ in mount(TokenAuthBase, "", job_runtime=True)]
    assert f"/{API_PREFIX}/sql" in served_to_jobs
    assert not [p for p in served_to_jobs if "/dashboard/" in p]


def test_a_wrong_token_is_refused(served):
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    with pytest.raises(AuthenticationRequired):
        RemoteDashboardData.connect(served.url, "aios_not-a-real-token")


def test_a_page_load_asks_the_service_about_the_token_once(served):
    """Team mode checks the token when a page loads (a revoked one must end the session); the session that
    load opens takes that answer instead of asking the service a second time, once, and only its own."""
    from aios_workbench.surfaces.dashboard.auth import TeamLoginGate, TokenSessions

    gate = TeamLoginGate(served.url, TokenSessions(ttl_seconds=600))
    sessions = {user: gate.sessions.open(user, served.tokens[user]) for user in ("ana", "sam")}

    class PageLoad:   # what the gate reads of a page load's request: its signed session cookie
        def __init__(self, user):
            self.session_id = sessions[user]

        def get_secure_cookie(self, name):
            return self.session_id.encode() if name == TokenSessions.COOKIE else None

    def cookie_of(user):
        return lambda name: sessions[user] if name == TokenSessions.COOKIE else None

    assert gate.still_allowed("ana", PageLoad("ana"))
    checked = gate._checked.peek(sessions["ana"])
    data = gate.data_for("ana", cookie_of("ana"))
    assert data is checked and data.user == "ana"
    assert data.client.timeout == data.TIMEOUT            # the check's short timeout does not stay
    assert data.datasets()                                 # and it reads as ana
    again = gate.data_for("ana", cookie_of("ana"))          # no new page load: the service is asked
    assert again is not checked and again.user == "ana"
    assert gate.data_for("sam", cookie_of("sam")).user == "sam"   # nobody takes another session's answer
    assert not gate._checked


# -- a delegate token: the team-mode dashboard with OAuth logins acts for its signed-in users ---------------------
def audit_records(served, **filters) -> list[dict]:
    from aios_workbench.audit import open_audit_log
    from aios_workbench.workspace import Workspace

    log = open_audit_log(Workspace.load(served.root))
    try:
        return log.query(**filters)
    finally:
        log.store.close()


def test_a_delegate_token_reads_as_the_user_it_names_and_the_login_says_so(served):
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    as_ana = RemoteDashboardData.connect(served.url, served.tokens["dashboard"], act_as="ana", login=True)
    assert (as_ana.user, as_ana.roles) == ("ana", ["analyst"])
    page = as_ana.preview(PEOPLE, limit=50)       # ana's row filter and masks, exactly as with her own token
    assert len(page.rows) == EU_ROWS and not [m for m in RAW_MARKERS if m in json.dumps(page.rows)]
    assert {d["name"] for d in as_ana.datasets()} == {d["name"] for d in as_user(served, "ana").datasets()}
    as_sam = RemoteDashboardData.connect(served.url, served.tokens["dashboard"], act_as="sam")
    assert "secret.example" in as_sam.csv(PEOPLE)[0].decode()

    login = audit_records(served, action="dashboard.login", user="ana")[0]
    assert login["allowed"] and login["detail"]["via"] == f"dashboard (token {served.tokens['dashboard-id']})"
    read = as_ana.audit(action="query", limit=5)[0]   # her reads are hers, and say who made them for her
    assert read["user"] == "ana" and read["detail"]["via"] == login["detail"]["via"]
    own = as_user(served, "ana")
    own.preview(PEOPLE, limit=5)
    assert "via" not in own.audit(action="query", limit=1)[0]["detail"]   # her own calls: no delegate


def test_a_delegate_token_is_nobody_alone_and_reaches_only_the_dashboards_views(served):
    status, body = call(served, "dashboard", "whoami")                         # no user named: nobody
    assert status == 403 and body["input"] == "X-AIOS-Act-As" and "acts for a user" in body["message"]
    status, body = call(served, "dashboard", "whoami", act_as="mallory")       # not a policy user
    assert status == 403 and body["message"] == "X-AIOS-Act-As names no policy user"
    refusal = audit_records(served, action="act_as", user="mallory")[0]
    assert not refusal["allowed"] and refusal["detail"]["via"] == f"dashboard (token {served.tokens['dashboard-id']})"
    for method, path, body in (("POST", "sql", {"sql": "SELECT 1"}), ("GET", "catalog/search?q=people", None),
                               ("GET", "jobs", None), ("GET", "dashboard/..%2F..%2Fsql", None),
                               ("GET", "dashboard%2F..%2Fstatus", None)):
        status, answer = call(served, "dashboard", path, method=method, body=body, act_as="sam", api="")
        assert status in (403, 404) and "result" not in answer, path
        assert status == 404 or "reaches the dashboard's views only" in answer["message"], path
    # names travel percent-encoded: one no header could carry is refused like any other stranger
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    with pytest.raises(PermissionDenied, match="names no policy user"):
        RemoteDashboardData.connect(served.url, served.tokens["dashboard"], act_as="李雷")
    assert audit_records(served, action="act_as", user="李雷")
    status, body = call(served, "dashboard", "whoami", act_as="ana, sam")      # two names: none of them
    assert status == 403 and body["message"] == "X-AIOS-Act-As names no policy user"


def test_only_a_delegate_token_may_name_another_user(served):
    status, body = call(served, "ana", "whoami", act_as="sam")
    assert status == 403 and "only for delegate tokens" in body["message"]
    status, body = call(served, "ana", "whoami")
    assert status == 200 and body["result"]["user"] == "ana"
    request = urllib.request.Request(f"{served.url}/aios/api/dashboard/whoami", headers={
        "Authorization": "token views-service-token", "X-AIOS-Act-As": "sam"})   # the service's own token
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    with refused.value:
        assert refused.value.code == 403 and "only for delegate tokens" in json.loads(refused.value.read())["message"]


def test_the_oauth_dashboard_rechecks_its_users_at_each_page_load(served):
    """Team mode with OAuth: a page load asks the service whether the signed-in name is still a policy
    user (a removed one goes back to the login), and the session that load opens takes that answer."""
    from aios_workbench.surfaces.dashboard.oauth import TeamOAuthGate

    gate = TeamOAuthGate(served.url, served.tokens["dashboard"])

    class PageLoad:
        pass

    assert gate.still_allowed("ana", PageLoad()) and gate.still_allowed("sam", PageLoad())
    assert not gate.still_allowed("mallory", PageLoad())
    checked = gate._checked.peek("sam")
    sam = gate.data_for("sam", cookie=None)
    assert sam is checked and sam.user == "sam" and gate.data_for("ana", cookie=None).user == "ana"
    assert gate.admit("ana")[0] and gate.admit("mallory") == (False, "not a policy user of the service")


def test_a_revoked_delegate_token_is_refused_at_once(served):
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    done = run_aios("--workspace", str(served.root), "tokens", "add", "portal", "--delegate", "--json")
    portal = json.loads(done.stdout)
    assert RemoteDashboardData.connect(served.url, portal["token"], act_as="ana").user == "ana"
    assert run_aios("--workspace", str(served.root), "tokens", "revoke", portal["id"]).returncode == 0
    with pytest.raises(AuthenticationRequired):
        RemoteDashboardData.connect(served.url, portal["token"], act_as="ana")


def test_delegate_tokens_name_a_front_end_not_a_person(served):
    refused = run_aios("--workspace", str(served.root), "tokens", "add", "ana", "--delegate")
    assert refused.returncode == 64 and "'ana' is a policy user" in refused.stderr
    listed = run_aios("--workspace", str(served.root), "tokens", "ls")
    assert "(delegate: acts for any policy user on the dashboard's views)" in listed.stdout
    unknown = run_aios("--workspace", str(served.root), "tokens", "add", "portal", "--delegate", "--for-role", "nope")
    assert unknown.returncode == 64 and "'nope' is not a role" in unknown.stderr
    personal = run_aios("--workspace", str(served.root), "tokens", "add", "ana", "--for-role", "analyst")
    assert personal.returncode == 64 and "only a delegate token acts for others" in personal.stderr


def test_a_delegate_token_can_be_kept_to_some_roles(served):
    """`--for-role analyst`: the analysts' dashboard cannot act for the steward (or a job identity)."""
    from aios_workbench.surfaces.dashboard.remote import RemoteDashboardData

    done = run_aios("--workspace", str(served.root), "tokens", "add", "analysts-board", "--delegate",
                    "--for-role", "analyst", "--json")
    token = json.loads(done.stdout)
    assert token["for_roles"] == ["analyst"]
    assert RemoteDashboardData.connect(served.url, token["token"], act_as="ana").user == "ana"
    with pytest.raises(PermissionDenied, match="acts only for users with the role analyst"):
        RemoteDashboardData.connect(served.url, token["token"], act_as="sam")
    refusal = audit_records(served, action="act_as", user="sam")[0]
    assert refusal["detail"]["reason"] == "no role the token may act for"
    listed = run_aios("--workspace", str(served.root), "tokens", "ls").stdout
    assert "(delegate: acts for users with role analyst on the dashboard's views)" in listed
