"""Proposed actions wait for a person: an e-mail drafted from governed data is sent only after an approver
approves it, once, through a real SMTP server; a rejected or expired proposal sends nothing; who may see and
approve an action, and what they see of its values, follows the policy; every step is audited.

A private copy of the demo workspace with two approver roles: olivia (procurement_officer: approves e-mails and
job runs, sees e-mail addresses raw) and dave (buyer: approves e-mails, but e-mail addresses are masked for him).
alice (data scientist) proposes; bob (analyst) is neither proposer of alice's actions nor an approver; carol is
the steward (auditor). An aiosmtpd server in this process receives what the service sends."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from aios_workbench.service.core import WorkbenchService
from tests.approvals import CONTACT, a_contact, approvals_workspace, smtp_server
from tests.conftest import aios_serve, run_aios


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    from aios_workbench.service.tokens import ServiceTokens

    with smtp_server() as (port, inbox):
        ws = approvals_workspace(demo_workspace, tmp_path_factory.mktemp("actions") / "demo", smtp_port=port)
        service = WorkbenchService(ws, mode="local")
        tokens = {user: ServiceTokens(ws.state_dir).add(user)[1]
                  for user in ("alice", "bob", "carol", "olivia", "dave")}
        try:
            with aios_serve(ws.root, token="actions-service", user="carol") as url:
                yield SimpleNamespace(ws=ws, service=service, url=url, tokens=tokens, inbox=inbox)
        finally:
            service.close()


def rest(env, user: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{env.url}/aios/api/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {env.tokens[user]}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:   # closed here: an open error answer warns in a later test
            return exc.code, json.loads(exc.read())


def outreach(env, user: str = "alice", **extra) -> dict:
    to = a_contact(env.service)
    status, action = rest(env, user, "POST", "actions", {
        "kind": "email", "payload": {"to": [to], "subject": "Capacity for Q3", "body": "Dear supplier, ..."},
        "reason": "3 suppliers in Southeast Asia are at risk", "evidence": {"orders_at_risk": 14},
        "sources": {"to": CONTACT}, **extra})
    assert status == 200, action
    return {**action, "to": to}


def test_an_approved_email_is_sent_once_as_the_approver_edited_it(env):
    action = outreach(env)
    assert action["state"] == "pending" and action["summary"].startswith("e-mail to ")
    assert action["may_approve"] is False and "none of your roles approves" in action["why_not"]   # alice proposes only
    before = len(env.inbox.messages)

    status, seen = rest(env, "olivia", "GET", f"actions/action?id={action['id']}")
    assert status == 200, seen
    assert seen["payload"]["to"] == [action["to"]] and seen["may_approve"] is True

    edited = {**seen["payload"], "body": "Dear supplier, could you take 20% more volume in Q3?"}
    status, done = rest(env, "olivia", "POST", "actions/approve", {"id": action["id"], "payload": edited,
                                                                    "reason": "go ahead"})
    assert status == 200, done
    assert done["state"] == "executed" and done["decided_by"] == "olivia" and done["outcome"]["sent_to"] == 1
    assert [c["field"] for c in done["changes"]] == ["body"]
    [mail] = env.inbox.wait_for(before + 1)[before:]
    assert mail["To"] == action["to"] and mail["Subject"] == "Capacity for Q3"
    assert "20% more volume" in mail.get_payload()

    status, again = rest(env, "olivia", "POST", "actions/approve", {"id": action["id"]})
    assert status == 409 and "already approved by olivia" in again["message"]
    time.sleep(0.5)
    assert len(env.inbox.messages) == before + 1                 # executed once

    trail = [r for r in env.service.audit_trail.records("carol", limit=500) if r["target"] == [f"action:{action['id']}"]
             or r["target"] == f"action:{action['id']}"]
    assert {(r["action"], r["user"], r["allowed"]) for r in trail} == {
        ("action.propose", "alice", True), ("action.approve", "olivia", True), ("action.execute", "olivia", True)}
    assert action["to"] not in json.dumps(trail)                  # the audit names fields, never values


def test_who_sees_an_action_and_what_they_see_of_it_follows_the_policy(env):
    action = outreach(env)
    status, _ = rest(env, "bob", "GET", f"actions/action?id={action['id']}")
    assert status == 404                                           # neither proposer, approver nor auditor
    status, page = rest(env, "bob", "GET", "actions?state=pending")
    assert status == 200 and action["id"] not in [a["id"] for a in page["actions"]]

    status, seen = rest(env, "dave", "GET", f"actions/action?id={action['id']}")   # approves e-mails, addresses masked
    assert status == 200 and action["to"] not in json.dumps(seen)
    assert seen["payload"]["to"][0].startswith("(masked for you")
    assert seen["may_approve"] is False and "payload.to" in seen["why_not"]
    status, refused = rest(env, "dave", "POST", "actions/approve", {"id": action["id"]})
    assert status == 403 and "may not see all of it" in refused["message"] and action["to"] not in refused["message"]

    status, page = rest(env, "olivia", "GET", "actions?state=pending")
    assert page["counts"]["waiting_for_you"] >= 1 and action["id"] in [a["id"] for a in page["actions"]]
    status, seen = rest(env, "carol", "GET", f"actions/action?id={action['id']}")      # the auditor sees everything
    assert status == 200 and seen["payload"]["to"] == [action["to"]] and seen["may_approve"] is False


def test_personal_data_typed_into_a_draft_is_masked_like_its_tag(env):
    hidden = "ops.lead@example.org"
    status, action = rest(env, "alice", "POST", "actions", {
        "kind": "email", "payload": {"to": ["buyers@example.com"], "subject": "Escalation",
                                     "body": f"Please call our contact {hidden} today."}})
    assert status == 200
    status, seen = rest(env, "dave", "GET", f"actions/action?id={action['id']}")
    assert hidden not in json.dumps(seen) and seen["may_approve"] is False
    status, seen = rest(env, "olivia", "GET", f"actions/action?id={action['id']}")
    assert hidden in seen["payload"]["body"]


def test_a_rejected_or_expired_proposal_sends_nothing(env):
    before = len(env.inbox.messages)
    rejected = outreach(env)
    status, answer = rest(env, "olivia", "POST", "actions/reject", {"id": rejected["id"], "reason": ""})
    assert status == 400 and "reason" in answer["message"]
    status, answer = rest(env, "olivia", "POST", "actions/reject", {"id": rejected["id"], "reason": "supplier on hold"})
    assert status == 200 and answer["state"] == "rejected" and answer["decision_reason"] == "supplier on hold"
    status, late = rest(env, "olivia", "POST", "actions/approve", {"id": rejected["id"]})
    assert status == 409 and "already rejected" in late["message"]

    expiring = outreach(env, expires_in_hours=0.0003)              # about one second
    time.sleep(1.5)
    status, late = rest(env, "olivia", "POST", "actions/approve", {"id": expiring["id"]})
    assert status == 409 and "already expired" in late["message"]
    status, seen = rest(env, "alice", "GET", f"actions/action?id={expiring['id']}")
    assert seen["state"] == "expired"
    time.sleep(0.5)
    assert len(env.inbox.messages) == before


def test_two_approvers_at_once_execute_it_once(env):
    action = outreach(env)
    before = len(env.inbox.messages)
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(
        rest(env, "olivia", "POST", "actions/approve", {"id": action["id"]})[0])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409, 409, 409]
    time.sleep(0.5)
    assert len(env.inbox.wait_for(before + 1)) == before + 1


def test_a_proposer_without_the_approver_role_cannot_approve_their_own(env):
    status, action = rest(env, "bob", "POST", "actions", {
        "kind": "email", "payload": {"to": "team@example.com", "subject": "Hi", "body": "Hello"}})
    assert status == 200 and action["payload"]["to"] == ["team@example.com"]
    status, refused = rest(env, "bob", "POST", "actions/approve", {"id": action["id"]})
    assert status == 403 and "none of your roles approves email" in refused["message"]
    assert "procurement_officer" in refused["fix"]


@pytest.mark.parametrize(("body", "says"), [
    ({"kind": "fax", "payload": {}}, "known: dataset_write, email, job_run, webhook"),
    ({"kind": "email", "payload": {"to": ["not-an-address"], "subject": "s", "body": "b"}}, "is not an e-mail address"),
    ({"kind": "email", "payload": {"to": ["a@example.com"], "body": "b"}}, "'subject'"),
    ({"kind": "webhook", "payload": {"url": "https://evil.example.net/x", "body": {}}}, "actions.webhook_hosts"),
    ({"kind": "email", "payload": {"to": ["a@example.com"], "subject": "s", "body": "b"},
      "sources": {"to": "supplier_master.main.suppliers.nope"}}, "has no column 'nope'"),
    ({"kind": "job_run", "payload": {"job": "no_such_job"}}, "no_such_job"),
])
def test_a_bad_proposal_is_refused_with_what_to_fix(env, body, says):
    status, answer = rest(env, "alice", "POST", "actions", body)
    assert status in (400, 404) and says in answer["message"] + answer.get("fix", ""), answer
    assert "Traceback" not in json.dumps(answer)


def test_the_kernel_library_proposes_and_lists(env):
    import aios_workbench as wb
    from aios_workbench.kernel import client

    previous = client._client
    wb.connect(env.url, env.tokens["alice"])
    try:
        proposed = wb.propose("email", {"to": ["ops@example.com"], "subject": "Stock check", "body": "Please."},
                              reason="weekly")
        assert proposed.state == "pending" and "waiting for approval" in repr(proposed)
        assert proposed.id in [a.id for a in wb.actions()]
        assert "Stock check" in proposed._repr_html_()
    finally:
        client._client = previous


def test_the_cli_lists_approves_and_rejects(env):
    action = outreach(env)
    listed = run_aios("--workspace", str(env.ws.root), "actions", "ls", "--json", env={"AIOS_USER": "olivia"})
    assert listed.returncode == 0, listed.stderr
    assert action["id"] in [a["id"] for a in json.loads(listed.stdout)["actions"]]
    shown = run_aios("--workspace", str(env.ws.root), "actions", "show", str(action["id"]), env={"AIOS_USER": "olivia"})
    assert shown.returncode == 0 and "waiting for approval" in shown.stdout and action["to"] in shown.stdout
    refused = run_aios("--workspace", str(env.ws.root), "actions", "approve", str(action["id"]), env={"AIOS_USER": "bob"})
    assert refused.returncode == 66 and "no action" in refused.stderr
    rejected = run_aios("--workspace", str(env.ws.root), "actions", "reject", str(action["id"]), "--reason", "not now",
                        env={"AIOS_USER": "olivia"})
    assert rejected.returncode == 0 and "rejected" in rejected.stdout


def test_the_proposer_sees_the_approvers_edit_as_her_grants_allow(env):
    status, action = rest(env, "alice", "POST", "actions", {
        "kind": "email", "payload": {"to": ["buyers@example.com"], "subject": "Lanes", "body": "See attached."}})
    assert status == 200
    direct = "k.lindqvist@nordline-freight.se"                      # the approver adds a personal address
    edited = {**action["payload"], "body": f"See attached. Write to {direct} directly."}
    status, done = rest(env, "olivia", "POST", "actions/approve", {"id": action["id"], "payload": edited})
    assert status == 200 and done["state"] == "executed" and direct in done["approved_payload"]["body"]
    status, seen = rest(env, "alice", "GET", f"actions/action?id={action['id']}")   # e-mails are hashed for alice
    assert status == 200 and direct not in json.dumps(seen)
    assert seen["payload"]["body"] == "See attached."               # her own words, as she wrote them


def test_an_oversized_proposal_is_refused(env):
    status, answer = rest(env, "alice", "POST", "actions", {
        "kind": "email", "payload": {"to": ["a@example.com"], "subject": "s", "body": "b"},
        "evidence": {"rows": ["x" * 1000] * 1100}})
    assert status == 400 and "evidence is over 1 MB" in answer["message"]


def test_a_governed_write_happens_only_when_approved_and_as_the_approver(env):
    query = ("SELECT supplier_id, region, contact_email FROM supplier_master.main.suppliers "
             "WHERE region = 'Northern Europe'")
    status, refused = rest(env, "alice", "POST", "actions", {
        "kind": "dataset_write", "payload": {"target": "outputs.picked", "query": "SELECT * FROM no_such_table"},
        "reason": "shortlist"})
    assert status in (400, 403, 404) and "no_such_table" in refused["message"], refused   # checked when proposed

    status, action = rest(env, "alice", "POST", "actions", {
        "kind": "dataset_write", "payload": {"target": "outputs.nordic_shortlist", "query": query},
        "reason": "the Nordic suppliers to call first"})
    assert status == 200, action
    assert action["summary"] == "write dataset outputs.nordic_shortlist from a query"
    with pytest.raises(Exception, match="nordic_shortlist"):   # nothing is written before a decision
        env.service.queries.run("SELECT * FROM outputs.nordic_shortlist", user="carol", surface="api").to_arrow()

    status, done = rest(env, "olivia", "POST", "actions/approve", {"id": action["id"]})
    assert status == 200 and done["state"] == "executed", done
    assert done["outcome"]["rows"] > 0 and done["outcome"]["target"] == "outputs.main.nordic_shortlist"
    env.service.queries.refresh()
    written = env.service.queries.run("SELECT contact_email FROM outputs.nordic_shortlist", user="carol",
                                      surface="api").to_arrow()
    assert written.num_rows == done["outcome"]["rows"]
    assert all("@" in (e or "@") for e in written.column("contact_email").to_pylist())   # as olivia saw them: raw
    alice_view = env.service.queries.run("SELECT contact_email FROM outputs.nordic_shortlist", user="alice",
                                         surface="api").to_arrow()
    assert not any("@" in (e or "") for e in alice_view.column("contact_email").to_pylist())   # tags inherited
