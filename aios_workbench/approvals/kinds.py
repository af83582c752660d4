"""The built-in kinds of proposed actions: an e-mail, a webhook call, a job run, a governed dataset write.

A kind is registered in the `actions` registry (third-party kinds through the `aios_workbench.actions`
entry-point group) and has three methods:

- `check(payload, context) -> payload`: the payload validated and normalised, or a UsageError naming the
  field and the fix; called when the action is proposed and again on an approver's edit;
- `summary(payload) -> str`: one line a person reads in a list ("e-mail to 2 recipients: Supply from ...");
- `execute(payload, context) -> dict`: do it, once, after approval; the outcome's facts (no payload values);
  raises a WorkbenchError when it did not happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError

from aios_workbench.alerts.notify import scrubbed, send_email
from aios_workbench.catalog.pii_values import is_email
from aios_workbench.core.errors import ConfigError, ConnectorError, UsageError
from aios_workbench.core.models import Strict
from aios_workbench.core.registry import actions


@dataclass(frozen=True)
class ActionContext:
    """What a kind may use: the service (settings, jobs), who acts and the action's id."""

    service: Any   # the WorkbenchService, a layer above this one
    user: str
    action_id: int | None = None


M = TypeVar("M", bound=Strict)


def _validated(model: type[M], payload: dict[str, Any], kind: str) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        known = ", ".join(model.model_fields)
        raise UsageError(f"the {kind} action's payload field {where!r} is not valid: {first['msg']}",
                         fix=f"a {kind} payload has the fields {known}", input=where) from None


class EmailPayload(Strict):
    to: list[str] = Field(min_length=1, max_length=50)
    cc: list[str] = Field([], max_length=50)
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=100_000)
    reply_to: str | None = None


class EmailAction:
    """A plain-text e-mail sent through the workspace's SMTP server (`notifications.smtp` in aios.yaml)."""

    description = "send an e-mail through the workspace's SMTP server"
    prose_fields = ("subject", "body")   # what a writer may rephrase (approvals/writer.py)

    def check(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        if isinstance(payload.get("to"), str):
            payload = {**payload, "to": [payload["to"]]}
        email = _validated(EmailPayload, payload, "email")
        for field, addresses in (("to", email.to), ("cc", email.cc), ("reply_to", [email.reply_to] if email.reply_to else [])):
            for address in addresses:
                if not is_email(address):
                    raise UsageError(f"{address!r} in the e-mail's {field!r} is not an e-mail address",
                                     fix="write name@domain.tld", input=field)
        if context.service.workspace.config.notifications.smtp is None:
            raise ConfigError("e-mail actions need an SMTP server, and aios.yaml has none",
                              fix="add notifications: {smtp: {host: ..., port: ..., sender: ...}} to aios.yaml",
                              input="notifications.smtp")
        return email.model_dump(exclude_none=True)

    def summary(self, payload: dict[str, Any]) -> str:
        to = payload.get("to") or []
        whom = to[0] if len(to) == 1 else f"{len(to)} recipients"
        return f"e-mail to {whom}: {payload.get('subject', '')}"

    def execute(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        from email.message import EmailMessage

        smtp = context.service.workspace.config.notifications.smtp
        if smtp is None:
            raise ConfigError("aios.yaml no longer names an SMTP server", fix="add notifications.smtp to aios.yaml",
                              input="notifications.smtp")
        message = EmailMessage()
        message["Subject"] = payload["subject"]
        message["From"] = smtp.sender
        message["To"] = ", ".join(payload["to"])
        if payload.get("cc"):
            message["Cc"] = ", ".join(payload["cc"])
        if payload.get("reply_to"):
            message["Reply-To"] = payload["reply_to"]
        message["X-AIOS-Action"] = str(context.action_id or "")
        message.set_content(payload["body"])
        try:
            send_email(smtp, message, timeout=context.service.workspace.config.notifications.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - SMTP, socket and secret errors alike become one clear failure
            raise ConnectorError(f"the SMTP server {smtp.host}:{smtp.port} did not take the e-mail: "
                                 f"{scrubbed(str(exc))}", fix="check notifications.smtp in aios.yaml and the "
                                 "server, then propose the e-mail again", input="notifications.smtp") from None
        return {"sent_to": len(payload["to"]) + len(payload.get("cc", [])), "smtp": f"{smtp.host}:{smtp.port}"}


class WebhookPayload(Strict):
    url: str = Field(min_length=1, max_length=2000)
    body: dict[str, Any] = {}


class WebhookAction:
    """A JSON POST to a host the workspace allows (`actions.webhook_hosts` in aios.yaml)."""

    description = "POST a JSON body to an allowed host"

    def check(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        hook = _validated(WebhookPayload, payload, "webhook")
        parts = urlsplit(hook.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"{hook.url!r} is not an http(s) URL", fix="write https://host/path", input="url")
        allowed = context.service.workspace.config.actions.webhook_hosts
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        if parts.hostname not in allowed and host not in allowed:
            raise UsageError(f"webhook actions may not call {host}: it is not in actions.webhook_hosts",
                             fix=f"ask an administrator to add {host!r} to actions.webhook_hosts in aios.yaml",
                             input="url")
        if len(json.dumps(hook.body, default=str)) > 1_000_000:
            raise UsageError("the webhook's body is over 1 MB", fix="send less, or a link to it", input="body")
        return hook.model_dump()

    def summary(self, payload: dict[str, Any]) -> str:
        return f"call {urlsplit(payload.get('url', '')).hostname or '?'}"

    def execute(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        self.check(payload, context)   # the allowed hosts may have changed since the proposal
        timeout = context.service.workspace.config.notifications.timeout_seconds
        request = urllib.request.Request(payload["url"], data=json.dumps(payload["body"], default=str).encode(),
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 "User-Agent": "aios-workbench-actions"})
        host = urlsplit(payload["url"]).hostname
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return {"status": response.status, "host": host}
        except urllib.error.HTTPError as exc:
            with exc:
                raise ConnectorError(f"{host} answered {exc.code} {exc.reason}", fix="check the endpoint, then "
                                     "propose the call again", input="url") from None
        except (OSError, ValueError) as exc:
            raise ConnectorError(f"{host} could not be reached: {getattr(exc, 'reason', exc)}",
                                 fix="check the endpoint, then propose the call again", input="url") from None


class JobRunPayload(Strict):
    job: str = Field(min_length=1, max_length=128)
    parameters: dict[str, Any] = {}


class JobRunAction:
    """A run of a promoted job with parameters, queued as the approver's decision."""

    description = "run a promoted job with parameters"

    def check(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        run = _validated(JobRunPayload, payload, "job_run")
        context.service.jobs.show(context.user, run.job)   # NotFound naming the job when there is none
        return run.model_dump()

    def summary(self, payload: dict[str, Any]) -> str:
        given = len(payload.get("parameters") or {})
        return f"run job {payload.get('job')}" + (f" with {given} parameter{'s' if given != 1 else ''}" if given else "")

    def execute(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        run = context.service.jobs.run_now(context.user, payload["job"], surface="action",
                                           parameters=payload.get("parameters") or None)
        return {"job": payload["job"], "run_id": run.get("id")}


class DatasetWritePayload(Strict):
    target: str = Field(min_length=3, max_length=300, pattern=r"^[^.\s]+(\.[^.\s]+){1,2}$")
    query: str = Field(min_length=1, max_length=100_000)
    mode: str = Field("replace", pattern="^(replace|append)$")


class DatasetWriteAction:
    """A governed write: the result of a read-only query written as a dataset, when approved. The query runs
    at execution, as the approver: her grants, masks and row filters decide what is written, and her write
    grant where; the proposal holds the query, never rows."""

    description = "write the result of a query as a dataset (outputs.NAME)"

    def check(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        write = _validated(DatasetWritePayload, payload, "dataset_write")
        # the query must run for who proposes or edits it (grants, syntax): planned, not read
        context.service.queries.run(f"SELECT * FROM ({write.query}) AS proposed LIMIT 0", user=context.user,
                                    surface="action").to_arrow()
        return write.model_dump()

    def summary(self, payload: dict[str, Any]) -> str:
        verb = "append to" if payload.get("mode") == "append" else "write"
        return f"{verb} dataset {payload.get('target')} from a query"

    def execute(self, payload: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        result = context.service.queries.run(payload["query"], user=context.user, surface="action")
        table = result.to_arrow()
        written = context.service.catalog.write(context.user, payload["target"], table, mode=payload["mode"],
                                                inputs=list(result.datasets), surface="action",
                                                queries=[payload["query"]])
        return {"target": written.get("dataset", payload["target"]), "rows": table.num_rows,
                "mode": payload["mode"], "truncated": result.truncated}


actions.register("email", EmailAction())
actions.register("webhook", WebhookAction())
actions.register("job_run", JobRunAction())
actions.register("dataset_write", DatasetWriteAction())
