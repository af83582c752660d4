"""The alert feed and the notifiers: states, dedupe by key, acknowledgement; a real HTTP server receiving
webhooks and a real SMTP server (aiosmtpd, STARTTLS + AUTH) receiving e-mail; a job's failure and
recovery notified end to end by the scheduler."""

from __future__ import annotations

import io
import json
import logging
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aios_workbench.alerts import AlertFeed
from aios_workbench.alerts.notify import EmailNotifier, WebhookNotifier
from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.store import open_store
from aios_workbench.workspace.config import Smtp
from tests.conftest import free_port


@pytest.fixture
def feed(workspace):
    store = open_store(workspace.metadata_url)
    yield AlertFeed(store)
    store.close()


# -- the feed --------------------------------------------------------------------------------------------------
def test_a_repeated_problem_is_one_alert_counted_until_it_is_resolved(feed):
    first = feed.raise_alert(key="job:nightly", kind="run_failed", severity="error", title="job nightly failed",
                             detail={"run_id": 1})
    again = feed.raise_alert(key="job:nightly", kind="run_failed", severity="error", title="job nightly failed",
                             detail={"run_id": 2})

    assert again["id"] == first["id"] and again["count"] == 2 and again["detail"] == {"run_id": 2}
    assert again["last_at"] >= first["last_at"] and again["at"] == first["at"]
    assert feed.counts() == {"open": 1, "acknowledged": 0}

    assert feed.resolve("job:nightly") == 1
    assert feed.resolve("job:nightly") == 0                        # nothing unresolved is left
    resolved = feed.list(state="resolved")[0]
    assert resolved["state"] == "resolved" and resolved["resolved_at"]

    reopened = feed.raise_alert(key="job:nightly", kind="run_failed", title="job nightly failed")
    assert reopened["id"] != first["id"] and reopened["count"] == 1 and reopened["state"] == "open"


def test_acknowledging_records_who_and_keeps_counting_repeats(feed):
    alert = feed.raise_alert(key="monitor:drift", kind="monitor_failed", title="drift on shipments")

    acked = feed.acknowledge(alert["id"], "ann")
    repeat = feed.raise_alert(key="monitor:drift", kind="monitor_failed", title="drift on shipments")

    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "ann" and acked["acknowledged_at"]
    assert repeat["id"] == alert["id"] and repeat["count"] == 2 and repeat["state"] == "acknowledged"
    assert feed.acknowledge(alert["id"], "bob")["acknowledged_by"] == "ann"   # the first one to look stays
    assert feed.counts() == {"open": 0, "acknowledged": 1}


def test_the_feed_pages_newest_first_and_filters_by_state(feed):
    ids = [feed.raise_alert(key=f"approval:job{i}:v1", kind="approval", severity="info",
                            title=f"job{i} v1 waits for approval")["id"] for i in range(5)]
    feed.acknowledge(ids[1], "ann")

    page1 = feed.list(limit=2)
    page2 = feed.list(limit=2, before_id=page1[-1]["id"])

    assert [a["id"] for a in page1 + page2] == ids[::-1][:4]
    assert [a["id"] for a in feed.list(state="acknowledged")] == [ids[1]]
    assert set(page1[0]) == {"id", "at", "last_at", "key", "kind", "severity", "state", "title", "detail", "count",
                             "acknowledged_by", "acknowledged_at", "resolved_at"}


def test_bad_inputs_name_themselves(feed):
    with pytest.raises(NotFound, match="there is no alert 999"):
        feed.acknowledge(999, "ann")
    with pytest.raises(UsageError, match="unknown alert state 'closed'") as info:
        feed.list(state="closed")
    assert "open, acknowledged, resolved" in info.value.fix
    with pytest.raises(UsageError, match="unknown alert kind 'oops'"):
        feed.raise_alert(key="k", kind="oops", title="t")
    with pytest.raises(UsageError, match="limit must be"):
        feed.list(limit=0)


# -- webhooks -------------------------------------------------------------------------------------------------
class Receiver:
    """A real HTTP server on 127.0.0.1 recording each POSTed JSON body (or answering `status`)."""

    def __init__(self, status: int = 204):
        received, self.status = [], status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805
                length = int(handler.headers.get("Content-Length", 0))
                received.append({"body": json.loads(handler.rfile.read(length)),
                                 "content_type": handler.headers.get("Content-Type")})
                handler.send_response(self.status)
                handler.end_headers()

            def log_message(handler, *args):  # noqa: N805
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/aios"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def wait(self, n: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.received


def test_a_webhook_posts_the_event_as_json():
    with Receiver() as receiver:
        ok = WebhookNotifier(receiver.url, timeout=5).notify("job nightly failed", "ValueError: boom",
                                                             event={"job": "nightly", "run_id": 7})
    assert ok is True
    [request] = receiver.received
    assert request["content_type"] == "application/json"
    assert request["body"] == {"title": "job nightly failed", "detail": "ValueError: boom",
                               "text": "job nightly failed: ValueError: boom", "job": "nightly", "run_id": 7}


def test_a_failing_webhook_is_logged_and_never_raises(caplog):
    with Receiver(status=500) as receiver, caplog.at_level(logging.WARNING, logger="aios_workbench.alerts"):
        answered_500 = WebhookNotifier(receiver.url + "/T0/B0/hunter2", timeout=5).notify("t")
    with caplog.at_level(logging.WARNING, logger="aios_workbench.alerts"):
        unreachable = WebhookNotifier(f"http://127.0.0.1:{free_port()}/", timeout=2).notify("t")

    assert answered_500 is False and unreachable is False
    assert "answered 500" in caplog.text and "failed" in caplog.text
    assert "hunter2" not in caplog.text          # webhook paths often hold a secret: only the host is logged


# -- e-mail ---------------------------------------------------------------------------------------------------
@pytest.fixture
def smtp_server(tmp_path):
    """aiosmtpd on a free port requiring STARTTLS (self-signed certificate) and AUTH as mailer/s3cret-pw."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode(),
                                  session.authenticated))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret-pw"
        return AuthResult(success=ok, handled=False)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=authenticator)
    controller.start()
    yield controller, inbox
    controller.stop()


def smtp_config(controller, **overrides) -> Smtp:
    return Smtp(**{"host": "127.0.0.1", "port": controller.port, "sender": "aios@example.com", "username": "mailer",
                   "password_secret": "AIOS_TEST_SMTP_PASSWORD", "starttls": True, **overrides})


def test_email_goes_through_starttls_and_auth_with_the_password_from_a_secret(smtp_server, monkeypatch):
    controller, inbox = smtp_server
    monkeypatch.setenv("AIOS_TEST_SMTP_PASSWORD", "s3cret-pw")

    ok = EmailNotifier(smtp_config(controller), ["ops@example.com", "ml@example.com"], timeout=10).notify(
        "job nightly failed (run 7, attempt 2)", "ValueError: boom",
        event={"job": "nightly", "run_id": 7, "link": "/aios/api/jobs/runs/output?id=7&format=html"})

    assert ok is True
    [(sender, recipients, content, authenticated)] = inbox.messages
    assert sender == "aios@example.com" and recipients == ["ops@example.com", "ml@example.com"]
    assert authenticated is True
    assert "Subject: [aios] job nightly failed (run 7, attempt 2)" in content
    assert "ValueError: boom" in content and "link: /aios/api/jobs/runs/output?id=7&format=html" in content
    assert "s3cret-pw" not in content


def test_a_refused_login_is_logged_without_the_password(smtp_server, monkeypatch, caplog):
    controller, inbox = smtp_server
    monkeypatch.setenv("AIOS_TEST_SMTP_PASSWORD", "wrong-pw-value")

    with caplog.at_level(logging.WARNING, logger="aios_workbench.alerts"):
        ok = EmailNotifier(smtp_config(controller), ["ops@example.com"], timeout=10).notify("t", "d")
    with caplog.at_level(logging.WARNING, logger="aios_workbench.alerts"):
        no_tls = EmailNotifier(smtp_config(controller, starttls=False), ["ops@example.com"], timeout=10).notify("t")

    assert ok is False and no_tls is False and inbox.messages == []
    assert "e-mail to ops@example.com" in caplog.text and "535" in caplog.text
    assert "wrong-pw-value" not in caplog.text


# -- the scheduler notifies a failure and the recovery ----------------------------------------------------------------
def test_a_job_failure_and_its_recovery_reach_the_webhook_and_the_feed(workspace, tmp_path):
    from aios_workbench.scheduler.loop import Scheduler
    from tests.test_scheduler import make_job, queue_run, rows, tick_until

    store = open_store(workspace.metadata_url)
    with Receiver() as receiver:
        job_id = make_job(workspace, store, "flaky", "flaky", parameters={"marker": str(tmp_path / "m.txt")},
                          notifications={"on": ["failure", "recovery"], "webhooks": [receiver.url]})
        scheduler = Scheduler(workspace, name="notify-test", out=io.StringIO())
        try:
            queue_run(store, job_id)
            # the worker records the failure; the scheduler follows up (alert, webhook) on a later tick
            tick_until(scheduler, lambda: rows(store, job_id)[-1].status == "failed"
                       and AlertFeed(store).counts()["open"] == 1, timeout=90, what="the failure's follow-up")
            failure = receiver.wait(1)[0]["body"]
            assert AlertFeed(store).counts() == {"open": 1, "acknowledged": 0}

            second = queue_run(store, job_id)
            tick_until(scheduler, lambda: rows(store, job_id)[-1].status == "succeeded"
                       and AlertFeed(store).counts()["open"] == 0, timeout=90, what="the recovery's follow-up")
            recovery = receiver.wait(2)[1]["body"]
        finally:
            scheduler.close()
    first = rows(store, job_id)[0].id
    assert (failure["event"], failure["job"], failure["run_id"], failure["status"]) == ("failure", "flaky", first,
                                                                                        "failed")
    assert "flaky: first attempt fails on purpose" in failure["error"]
    assert failure["link"] == f"/aios/api/jobs/runs/output?id={first}&format=html"
    assert failure["output"].startswith(".aios/jobs/flaky/runs/")
    assert "parameters" not in failure and str(tmp_path) not in json.dumps(failure)
    assert (recovery["event"], recovery["run_id"]) == ("recovery", second)
    assert recovery["title"] == f"job flaky recovered (run {second} succeeded)"
    assert AlertFeed(store).counts() == {"open": 0, "acknowledged": 0}
    assert AlertFeed(store).list(state="resolved")[0]["key"] == "job:flaky"
    store.close()
