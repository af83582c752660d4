"""Built-in notifiers: the log, webhooks and e-mail. Each is registered in the `notifiers` registry, as
third-party notifiers (Slack, PagerDuty, ...) are through the `aios_workbench.notifiers` entry-point group.

A notifier has one method, `notify(title, detail="", *, event=None) -> bool`. It never raises: a webhook
that is down must not stop the scheduler, so failures are logged (without credentials) and reported
as False. `event` is the JSON-friendly facts of what happened (job, run id, status, error summary,
output link); callers never put parameters or secrets in it.
"""

from __future__ import annotations

import json
import logging

from aios_workbench.core.logs import redact
from aios_workbench.core.registry import notifiers

log = logging.getLogger("aios_workbench.alerts")


class LogNotifier:
    """Writes each notification to the `aios_workbench.alerts` logger."""

    def __init__(self, level: str = "WARNING"):
        self.level = logging.getLevelName(level.upper())

    def notify(self, title: str, detail: str = "", *, event: dict | None = None) -> bool:
        log.log(self.level, "%s%s", title, f": {detail}" if detail else "")
        return True


class WebhookNotifier:
    """POSTs the event as JSON to `url` (Slack-compatible: the text is also in a `text` field)."""

    def __init__(self, url: str, *, timeout: float = 10.0):
        self.url = url
        self.timeout = timeout

    def notify(self, title: str, detail: str = "", *, event: dict | None = None) -> bool:
        import urllib.error
        import urllib.request

        body = {**(event or {}), "title": title, "detail": detail,
                "text": f"{title}: {detail}" if detail else title}
        request = urllib.request.Request(self.url, data=json.dumps(body, default=str).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "aios-workbench-scheduler"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
            return True
        except urllib.error.HTTPError as exc:
            exc.close()
            log.warning("webhook %s answered %s %s for %r", self.where, exc.code, exc.reason, title)
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, a malformed URL
            reason = redact(str(exc)).replace(self.url, self.where)
            log.warning("webhook %s failed for %r: %s", self.where, title, reason)
        return False

    @property
    def where(self) -> str:
        """The URL's scheme and host only: webhook paths and queries often embed a secret (Slack, Teams)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/..."


class EmailNotifier:
    """Sends a plain-text e-mail through the workspace's SMTP server (`notifications.smtp` in aios.yaml).

    The password is resolved from the secret named by `password_secret` when sending, never stored here
    and never logged."""

    def __init__(self, smtp, recipients, *, timeout: float = 10.0):
        self.smtp = smtp
        self.recipients = tuple(recipients)
        self.timeout = timeout

    def message(self, title: str, detail: str, event: dict | None):
        from email.message import EmailMessage

        message = EmailMessage()
        message["Subject"] = f"[aios] {title}"
        message["From"] = self.smtp.sender
        message["To"] = ", ".join(self.recipients)
        lines = [title, ""] + ([detail, ""] if detail else [])
        lines += [f"{key}: {value}" for key, value in (event or {}).items() if value not in (None, "")]
        message.set_content("\n".join(lines) + "\n")
        return message

    def notify(self, title: str, detail: str = "", *, event: dict | None = None) -> bool:
        if not self.recipients:
            return True
        try:
            send_email(self.smtp, self.message(title, detail, event), timeout=self.timeout)
            return True
        except Exception as exc:  # noqa: BLE001 - SMTP, socket and secret errors alike must not escape
            log.warning("e-mail to %s through %s:%s failed for %r: %s", ", ".join(self.recipients),
                        self.smtp.host, self.smtp.port, title, scrubbed(str(exc)))
            return False



def send_email(smtp, message, *, timeout: float = 10.0) -> None:
    """Send `message` (an EmailMessage) through the workspace's SMTP server `smtp` (`notifications.smtp`);
    raises what smtplib, the socket or the secret raises. The password is resolved now, never kept."""
    import smtplib

    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, _password(smtp))
        client.send_message(message)


def _password(smtp) -> str:
    # lazy: connectors.secrets runs the connectors package, which loads DuckDB; only SMTP with a password pays
    from aios_workbench.connectors.secrets import resolve_secret

    return resolve_secret(smtp.password_secret) if smtp.password_secret else ""


def scrubbed(text: str) -> str:
    """`text` (an error's message) without secrets or credentials in it."""
    # lazy: connectors.secrets runs the connectors package, which loads DuckDB; notify stays light for the scheduler
    from aios_workbench.connectors.secrets import scrub

    return redact(scrub(text))


def notifiers_for(workspace, notifications) -> list:
    """The notifiers a job's `notifications` spec names, built with the workspace's settings:
    the log always, one webhook notifier per URL, one e-mail notifier for all addresses."""
    settings = workspace.config.notifications
    out = [notifiers.get("log")()]
    out += [notifiers.get("webhook")(url, timeout=settings.timeout_seconds) for url in notifications.webhooks]
    if notifications.emails:
        if settings.smtp is None:
            log.warning("job notifications name e-mail addresses but aios.yaml has no notifications.smtp: "
                        "e-mail is not sent (add notifications: {smtp: {host: ..., sender: ...}})")
        else:
            out.append(notifiers.get("email")(settings.smtp, notifications.emails, timeout=settings.timeout_seconds))
    return out


notifiers.register("log", LogNotifier)
notifiers.register("webhook", WebhookNotifier)
notifiers.register("email", EmailNotifier)
