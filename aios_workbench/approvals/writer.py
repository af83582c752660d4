"""Drafts written from a template, optionally rephrased by a writer model (`actions.writer` in aios.yaml).

A draft's texts hold placeholders, `{{contact_name}}`, where governed values go; the values come separately
and are filled in here, last. The writer is an exit of data, so it receives the template only: never the
values, and not a template that itself holds personal data. Its answer must keep every placeholder and add
none; otherwise, or when it cannot be reached, the template's wording stands and the reviewer is told why.
Any endpoint speaking OpenAI's chat-completions API serves (a local model server, a hosted one).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aios_workbench.catalog.pii_text import kinds_in
from aios_workbench.core.errors import UsageError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
MAX_ANSWER = 200_000   # bytes of a writer's answer read
INSTRUCTIONS = (
    "You rephrase business e-mails so that they read clearly, warmly and professionally. You receive a JSON "
    "object of fields (for example subject and body) and answer with a JSON object of exactly the same fields, "
    "nothing else. Keep every placeholder written in double braces, such as {{contact_name}}, exactly as "
    "written: each must appear in your answer as often as it is needed and you must not invent new ones. Keep "
    "every figure, date and commitment as stated; do not add facts. Keep the language of the draft.")


@dataclass(frozen=True)
class Draft:
    """What a template became: its texts (placeholders still in them), and how they were written."""

    texts: dict[str, str]
    rephrased: bool
    note: str            # for the reviewer, e.g. "rephrased by llama3 at 127.0.0.1:8000"
    audit: dict[str, Any]   # facts of the writer's call for the audit log (no values); empty without a call


def placeholders(value: Any) -> set[str]:
    """The placeholder names in every text inside `value`."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    return set()


def filled(value: Any, values: dict[str, str]) -> Any:
    """`value` with every placeholder of its texts replaced by its value (all must have one)."""
    missing = placeholders(value) - values.keys()
    if missing:
        raise UsageError(f"the draft has placeholders without a value: {', '.join(sorted(missing))}",
                         fix="pass a value for each in fill={...}, or remove the placeholder", input="fill")
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, dict):
        return {k: filled(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, values) for v in value]
    return value


def rephrase(settings: Any, texts: dict[str, str], *, purpose: str) -> Draft:
    """`texts` (field -> template text) rephrased by the writer of `settings` (`actions.writer`; None: no
    writer), or as they are with a note saying why."""
    if settings is None:
        return Draft(texts, False, "written from the template (no writer is configured: actions.writer)", {})
    host = urlsplit(settings.url).netloc
    facts: dict[str, Any] = {"writer": host, "model": settings.model, "fields": sorted(texts),
                             "placeholders": sorted(placeholders(texts))}
    personal = sorted(set().union(*(kinds_in(t) for t in texts.values())))
    if personal:   # the template itself names someone: it does not leave
        return Draft(texts, False, f"the template's wording: it holds personal data ({', '.join(personal)}), so "
                     "it was not sent to the writer; use placeholders for such values",
                     {**facts, "sent": False, "ok": False, "problem": "personal data in the template"})
    key = os.environ.get(settings.api_key_env) if settings.api_key_env else None
    if settings.api_key_env and not key:
        keyless = f"needs an API key, and ${settings.api_key_env} is not set where the service runs"
        return Draft(texts, False, f"the template's wording: the writer at {host} {keyless}",
                     {**facts, "sent": False, "ok": False, "problem": keyless})
    started = time.monotonic()
    problem: str | None
    try:
        answer = _ask(settings, key, texts, purpose)
        problem = _unfaithful(texts, answer)
    except _WriterFailed as failed:
        answer, problem = {}, str(failed)
    seconds = round(time.monotonic() - started, 3)
    facts.update(sent=True, ok=problem is None, seconds=seconds)
    if problem is not None:
        return Draft(texts, False, f"the template's wording: the writer at {host} {problem}",
                     {**facts, "problem": problem})
    return Draft(answer, True, f"rephrased by {settings.model} at {host}; check it before you approve", facts)


class _WriterFailed(Exception):
    """The writer did not answer usefully; the message completes "the writer at HOST ..."."""


def _ask(settings: Any, key: str | None, texts: dict[str, str], purpose: str) -> dict[str, str]:
    body = {"model": settings.model, "temperature": 0.3,
            "messages": [{"role": "system", "content": INSTRUCTIONS},
                         {"role": "user", "content": f"Purpose: {purpose}\n\n" + json.dumps(texts, ensure_ascii=False)}]}
    headers = {"Content-Type": "application/json", "User-Agent": "aios-workbench-writer"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(f"{settings.url}/chat/completions", data=json.dumps(body).encode(),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:
            raw = response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        with exc:
            raise _WriterFailed(f"answered {exc.code} {exc.reason}") from None
    except TimeoutError:
        raise _WriterFailed(f"did not answer within {settings.timeout_seconds:g} s") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise _WriterFailed(f"did not answer within {settings.timeout_seconds:g} s") from None
        raise _WriterFailed(f"could not be reached ({reason})") from None
    try:
        content = json.loads(raw)["choices"][0]["message"]["content"]
        return _fields(content)
    except (ValueError, KeyError, IndexError, TypeError):
        raise _WriterFailed("answered in a shape other than chat-completions with a JSON object of the fields") \
            from None


def _fields(content: str) -> dict[str, str]:
    """The JSON object in a model's message (models like to wrap it in a code fence)."""
    text = content.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.DOTALL)
    parsed = json.loads(fence.group(1) if fence else text)
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise ValueError("not an object of texts")
    return parsed


def _unfaithful(template: dict[str, str], answer: dict[str, str]) -> str | None:
    """Why the writer's answer cannot replace the template (None: it can)."""
    if set(answer) != set(template):
        return f"answered other fields ({', '.join(sorted(answer)) or 'none'}) than it was given"
    for field, text in template.items():
        if not answer[field].strip():
            return f"left the {field} empty"
        if placeholders(answer[field]) != placeholders(text):
            lost = placeholders(text) - placeholders(answer[field])
            added = placeholders(answer[field]) - placeholders(text)
            what = f"dropped {', '.join(sorted(lost))}" if lost else f"invented {', '.join(sorted(added))}"
            return f"changed the placeholders of the {field} ({what})"
    return None
