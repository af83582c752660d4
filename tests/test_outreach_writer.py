"""Drafted outreach and the optional writer: an e-mail drafted from a template filled with governed values,
optionally reworded by an OpenAI-compatible endpoint (`actions.writer` in aios.yaml) that never sees the values.

A private copy of the demo workspace with approvers (tests/approvals.py) and a real HTTP server in this process
speaking the chat-completions API (`POST /v1/chat/completions`), which records every request it receives. The
writer's answer replaces the template's wording only when it keeps every placeholder; an endpoint that is
unreachable, slow or unfaithful leaves the template's wording, and the action tells its reviewer why. Every call
is audited with names, never values; a template that itself holds personal data is never sent."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import yaml

from aios_workbench.core.errors import ConfigError, UsageError
from aios_workbench.service.core import WorkbenchService
from aios_workbench.workspace import Workspace
from tests.approvals import CONTACT, approvals_workspace, smtp_server
from tests.conftest import free_port

NAME = "supplier_master.main.suppliers.contact_name"
TEMPLATE = {"to": ["{{contact_email}}"], "subject": "Capacity for {{supplier}} in Q3",
            "body": "Dear {{contact_name}},\n\nwe would like to move about 20% of our volume to {{supplier}} from "
                    "next month. Could you confirm your capacity?\n\nKind regards,\nProcurement"}


class Writer:
    """A chat-completions endpoint: `mode` says how it answers; `requests` keeps what it was sent."""

    def __init__(self):
        self.mode = "faithful"
        self.requests: list[dict] = []
        writer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                writer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if writer.mode == "slow":
                    time.sleep(3)
                fields = json.loads(body["messages"][-1]["content"].split("\n\n", 1)[1])
                if writer.mode == "unfaithful":
                    fields = {k: v.replace("{{contact_name}}", "Sir or Madam") for k, v in fields.items()}
                else:
                    fields = {k: "Rephrased: " + v for k, v in fields.items()}
                content = "```json\n" + json.dumps(fields) + "\n```"
                answer = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                                     "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": content}}]}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):   # the slow case: the service stopped waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    writer = Writer()
    with smtp_server() as (port, inbox):
        ws = approvals_workspace(demo_workspace, tmp_path_factory.mktemp("outreach") / "demo", smtp_port=port)
        policy_file = ws.root / "governance" / "policy.yaml"
        policy = yaml.safe_load(policy_file.read_text())   # olivia also reads contact names in full
        policy["masks"] = [{**m, "unmasked_for": m["unmasked_for"] + ["procurement_officer"]}
                           if m.get("tag") == "pii.person_name" else m for m in policy["masks"]]
        policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))
        try:
            yield SimpleNamespace(ws=ws, writer=writer, inbox=inbox)
        finally:
            writer.close()


def service_with(env, writer: dict | None) -> WorkbenchService:
    """The workspace's service after aios.yaml got `actions.writer: writer` (None: no writer)."""
    config_file = env.ws.root / "aios.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["actions"] = {k: v for k, v in config.get("actions", {}).items() if k != "writer"}
    if writer is not None:
        config["actions"]["writer"] = writer
    config_file.write_text(yaml.safe_dump(config))
    return WorkbenchService(Workspace.load(env.ws.root), mode="local")


def contact(service) -> dict:
    return service.queries.run("SELECT supplier_name, contact_name, contact_email FROM suppliers WHERE contact_email "
                               "IS NOT NULL AND contact_name IS NOT NULL ORDER BY supplier_id LIMIT 1", user="carol",
                               surface="api").to_arrow().to_pylist()[0]


def draft(service, row: dict, *, rephrase: bool = True) -> dict:
    return service.actions.propose(
        "olivia", kind="email", payload=dict(TEMPLATE), reason="Southeast Asia is disrupted", rephrase=rephrase,
        fill={"contact_email": row["contact_email"], "contact_name": row["contact_name"],
              "supplier": row["supplier_name"]},
        evidence={"expected_cost_change_pct": 1.8}, sources={"to": CONTACT, "body": NAME}, surface="api",
        via="app:switch_suppliers")


def audited(service) -> list[dict]:
    """The writer's calls in the audit log, newest first."""
    return [r for r in service.audit_trail.records("carol", limit=500) if r["action"] == "action.rephrase"]


def test_the_writer_rewords_the_template_and_never_sees_the_values(env, monkeypatch):
    monkeypatch.setenv("HOUSE_WRITER_KEY", "k-123")
    service = service_with(env, {"url": env.writer.url, "model": "house-writer", "timeout_seconds": 5,
                                 "api_key_env": "HOUSE_WRITER_KEY"})
    try:
        env.writer.mode, before = "faithful", len(env.writer.requests)
        row = contact(service)
        action = draft(service, row)
        [sent] = env.writer.requests[before:]
        assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "house-writer"
        assert sent["auth"] == "Bearer k-123"
        told = json.dumps(sent)
        assert "{{contact_name}}" in told and "{{supplier}}" in told
        assert not any(row[k] in told for k in ("contact_name", "contact_email", "supplier_name"))
        assert "{{contact_email}}" not in told                    # only the texts go, not the recipients
        assert action["payload"]["body"].startswith("Rephrased: Dear " + row["contact_name"] + ",")
        assert action["payload"]["subject"] == f"Rephrased: Capacity for {row['supplier_name']} in Q3"
        assert action["payload"]["to"] == [row["contact_email"]]
        assert action["evidence"]["drafting"].startswith("rephrased by house-writer at 127.0.0.1:")
        call = audited(service)[0]
        assert call["target"] in (f"writer:127.0.0.1:{env.writer.server.server_port}",
                                  [f"writer:127.0.0.1:{env.writer.server.server_port}"])
        assert call["user"] == "olivia" and call["detail"]["ok"] is True and call["detail"]["sent"] is True
        assert call["detail"]["placeholders"] == ["contact_name", "supplier"]
        assert not any(row[k] in json.dumps(call) for k in ("contact_name", "contact_email", "supplier_name"))
    finally:
        service.close()


def test_alice_sees_the_drafted_values_masked_and_olivia_approves_what_arrives(env):
    service = service_with(env, None)
    try:
        row = contact(service)
        action = draft(service, row, rephrase=False)
        assert action["evidence"]["drafting"] == "written from the template"
        assert action["payload"]["body"].startswith(f"Dear {row['contact_name']},")
        seen = service.actions.show("dave", action["id"])          # approves e-mails; addresses and names masked
        assert row["contact_email"] not in json.dumps(seen) and row["contact_name"] not in json.dumps(seen)
        assert seen["may_approve"] is False
        before = len(env.inbox.messages)
        done = service.actions.approve("olivia", action["id"], surface="api")
        assert done["state"] == "executed"
        [mail] = env.inbox.wait_for(before + 1)[before:]
        assert mail["To"] == row["contact_email"] and f"Dear {row['contact_name']}," in mail.get_payload()
    finally:
        service.close()


@pytest.mark.parametrize("case", ["unreachable", "slow", "unfaithful", "keyless"])
def test_a_writer_that_fails_leaves_the_template_and_the_reviewer_is_told(env, case, monkeypatch):
    monkeypatch.delenv("HOUSE_WRITER_KEY", raising=False)
    url = f"http://127.0.0.1:{free_port()}/v1" if case == "unreachable" else env.writer.url
    service = service_with(env, {"url": url, "model": "house-writer", "timeout_seconds": 1,
                                 **({"api_key_env": "HOUSE_WRITER_KEY"} if case == "keyless" else {})})
    try:
        env.writer.mode = case
        row = contact(service)
        started = time.monotonic()
        action = draft(service, row)
        assert time.monotonic() - started < 10
        assert action["state"] == "pending"
        assert action["payload"]["body"].startswith(f"Dear {row['contact_name']},")   # the template's wording
        expected = {"unreachable": "could not be reached", "slow": "did not answer within 1 s",
                    "unfaithful": "changed the placeholders of the body (dropped contact_name)",
                    "keyless": "needs an API key, and $HOUSE_WRITER_KEY is not set"}[case]
        assert action["evidence"]["drafting"].startswith("the template's wording: the writer at 127.0.0.1:")
        assert expected in action["evidence"]["drafting"]
        olivia = service.actions.show("olivia", action["id"])        # what the reviewer reads on the action
        assert expected in olivia["evidence"]["drafting"] and olivia["may_approve"] is True
        call = audited(service)[0]
        assert call["detail"]["ok"] is False and expected.split(" (")[0] in call["detail"]["problem"]
        assert call["detail"]["sent"] is (case != "keyless")
    finally:
        service.close()


def test_a_template_holding_personal_data_is_not_sent(env):
    service = service_with(env, {"url": env.writer.url, "model": "house-writer"})
    try:
        env.writer.mode, before = "faithful", len(env.writer.requests)
        row = contact(service)
        action = service.actions.propose(
            "olivia", kind="email", payload={**TEMPLATE, "body": "Dear {{contact_name}}, please call "
                                             "maria.rossi@example.it about the volume."},
            fill={"contact_email": row["contact_email"], "contact_name": row["contact_name"], "supplier": "them"},
            rephrase=True, sources={"to": CONTACT, "body": NAME}, surface="api")
        assert len(env.writer.requests) == before                   # nothing left
        assert "holds personal data (pii.email)" in action["evidence"]["drafting"]
        assert audited(service)[0]["detail"]["sent"] is False
    finally:
        service.close()


def test_a_draft_names_every_placeholder_and_only_prose_is_rephrased(env):
    service = service_with(env, None)
    try:
        with pytest.raises(UsageError, match="placeholders without a value: supplier"):
            service.actions.propose("olivia", kind="email", payload=dict(TEMPLATE),
                                    fill={"contact_email": "a@example.com", "contact_name": "A"}, surface="api")
        with pytest.raises(UsageError, match="a job run has no text a writer could rephrase"):
            service.actions.propose("carol", kind="job_run", payload={"job": "nope"}, rephrase=True, surface="api")
    finally:
        service.close()


@pytest.mark.parametrize(("writer", "words"), [
    ({"url": "ftp://models.example.com", "model": "m"}, "must start with http:// or https://"),
    ({"url": "https://user:secret@models.example.com/v1", "model": "m"}, "holds credentials"),
    ({"url": "https://models.example.com/v1"}, "model"),
    ({"url": "https://models.example.com/v1", "model": "m", "timeout_seconds": 0}, "timeout_seconds"),
])
def test_a_wrong_writer_setting_is_named(env, writer, words):
    config_file = env.ws.root / "aios.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["actions"] = {**config.get("actions", {}), "writer": writer}
    config_file.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as refused:
        Workspace.load(env.ws.root)
    assert "actions.writer" in str(refused.value) and words in str(refused.value)
