"""A demo workspace with approvers of proposed actions, and an SMTP server that keeps what it receives
(shared by tests/test_actions.py and tests/test_browser_actions.py).

Roles added to the demo policy: procurement_officer (olivia: approves e-mails and job runs, sees e-mail
addresses raw) and buyer (dave: approves e-mails, but e-mail addresses are masked for him); both read
everything, unfiltered."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import yaml

from tests.conftest import copy_demo_workspace, free_port

CONTACT = "supplier_master.main.suppliers.contact_email"


class Inbox:
    """What the SMTP server received (an aiosmtpd handler)."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):   # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes

        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextlib.contextmanager
def smtp_server():
    """An SMTP server on a free port of 127.0.0.1; yields (port, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def approvals_workspace(demo, folder: Path, *, smtp_port: int):
    """A private copy of the demo workspace whose e-mail goes to `smtp_port`, with the approvers above."""
    from aios_workbench.workspace import Workspace

    ws = copy_demo_workspace(demo, folder)
    config = yaml.safe_load((ws.root / "aios.yaml").read_text())
    config["notifications"] = {"smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "aios@example.com"}}
    config["actions"] = {"webhook_hosts": ["hooks.example.com"]}
    (ws.root / "aios.yaml").write_text(yaml.safe_dump(config))
    policy_file = ws.root / "governance" / "policy.yaml"
    policy = yaml.safe_load(policy_file.read_text())
    policy["roles"]["procurement_officer"] = {"description": "Decides on sourcing.",
                                              "approves": ["email", "job_run", "dataset_write"]}
    policy["roles"]["buyer"] = {"description": "Buys; sees e-mail addresses masked.", "approves": ["email"]}
    policy["users"]["olivia"] = {"roles": ["procurement_officer"]}
    policy["users"]["dave"] = {"roles": ["buyer"]}
    policy["grants"] += [{"role": "procurement_officer", "scope": "*"}, {"role": "buyer", "scope": "*"},
                         {"role": "procurement_officer", "scope": "outputs", "privilege": "write"}]
    policy["row_filters"][0]["exempt_roles"] += ["procurement_officer", "buyer"]
    policy["masks"][0]["unmasked_for"] = ["steward", "procurement_officer"]   # pii.email, hashed for the rest
    policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))
    return Workspace.load(ws.root)


def a_contact(service) -> str:
    """A supplier's real contact address, read as the steward (raw)."""
    rows = service.queries.run("SELECT contact_email FROM suppliers WHERE contact_email IS NOT NULL "
                               "ORDER BY supplier_id LIMIT 1", user="carol", surface="api").to_arrow().to_pylist()
    return rows[0]["contact_email"]
