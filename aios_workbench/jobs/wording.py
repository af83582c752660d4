"""Jobs in words, once for every surface (sidebar, job page, dashboard, CLI): how a run started, how long
it took, and a job's settings (retries, time limits, who hears of an outcome, what starts it).

No surface shows `paused false`, `6.315095` seconds or a webhook's path (a webhook URL often carries its
token): a webhook is named by its host only.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from aios_workbench.schemas.job_spec import JobSpec

NONE = "none"
OUTCOMES = ("failure", "success", "recovery")


def limit_words(seconds: float | None) -> str:
    """A configured limit or delay: "1 h", "30 min", "45 s"; "none" when unset."""
    if not seconds:
        return NONE
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def trigger_words(trigger: str | None, *, attempt: int = 1) -> str:
    """How a run started: "on schedule", "run now", "re-run of run 12", "after job etl succeeded",
    "monitor sales_drift failed"; a retry says which attempt it is."""
    kind, _, subject = (trigger or "").partition(":")
    words = {"schedule": "on schedule", "manual": "run now", "": "unknown"}.get(kind)
    if words is None:
        words = {"rerun": f"re-run of run {subject}", "after": f"after job {subject} succeeded",
                 "monitor": f"monitor {subject} failed"}.get(kind, (trigger or "").replace("_", " "))
    return f"{words}, attempt {attempt}" if attempt > 1 else words


def webhook_words(url: str) -> str:
    """A webhook named by its host: "a webhook to hooks.example.com" (its path may hold a token)."""
    host = urlsplit(url).hostname or "an unnamed host"
    return f"a webhook to {host}"


def webhook_redacted(url: str) -> str:
    """A webhook URL without its path and query (those may hold a token): "https://hooks.example.com/…"."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def listing(items: Iterable[str], *, empty: str = NONE) -> str:
    """ "a", "a and b", "a, b and c" """
    items = list(items)
    if not items:
        return empty
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def backoff_words(spec: JobSpec) -> str:
    r = spec.retries
    return f"{r.backoff_seconds:g} s, ×{r.backoff_factor:g} each time, at most {limit_words(r.max_backoff_seconds)}"


def catch_up_words(spec: JobSpec) -> str:
    policy = spec.catch_up.policy
    return {"skip": "skipped", "once": "the latest runs once"}.get(policy, f"each runs (at most {spec.catch_up.max_runs})")


def retention_words(spec: JobSpec) -> str:
    kept = [f"the last {spec.retention.keep_last} runs" if spec.retention.keep_last else "",
            f"{spec.retention.keep_days:g} days" if spec.retention.keep_days else ""]
    return " and ".join(k for k in kept if k) or "every run"


def recipients(spec: JobSpec, outcome: str) -> str:
    """Who hears of a run's `outcome` (failure, success, recovery): the alert feed always hears of
    failures; e-mails and webhooks when the outcome is listed. Never a webhook's path."""
    notes = spec.notifications
    who = ["the alert feed"] if outcome == "failure" else []
    if outcome in notes.on:
        who += [*notes.emails, *(webhook_words(u) for u in notes.webhooks)]
    return listing(who, empty="nobody")


def settings_words(spec: JobSpec) -> list[dict[str, str]]:
    """A job's settings besides its schedule, parameters and identity, each {section, label, value} in words."""
    retries = spec.retries
    rows = [("Retries", "Retries", f"up to {retries.max} more attempt{'s' if retries.max != 1 else ''}"
             if retries.max else "none: a failed run stays failed")]
    if retries.max:
        rows.append(("Retries", "Wait between attempts", backoff_words(spec)))
    rows += [("Time limits", "Whole notebook", limit_words(spec.timeout_seconds) if spec.timeout_seconds else "no limit"),
             ("Time limits", "Each cell",
              limit_words(spec.cell_timeout_seconds) if spec.cell_timeout_seconds else "no limit")]
    rows += [("Notifications", f"On {outcome}", recipients(spec, outcome)) for outcome in OUTCOMES]
    triggers = spec.triggers
    rows += [("Triggers", "Also runs after", listing([f"job {j} succeeds" for j in triggers.after_success])),
             ("Triggers", "Also runs when",
              listing([f"monitor {m} fails" for m in triggers.on_monitor_failure]))]
    rows += [("Running", "Approver", spec.approver or NONE),
             ("Running", "At once", f"{spec.max_concurrent} run{'s' if spec.max_concurrent != 1 else ''} at a time"),
             ("Running", "Missed runs", catch_up_words(spec)),
             ("Running", "Keeps outputs of", retention_words(spec)),
             ("Running", "Executor", f"{spec.executor}, kernel {spec.kernel}"),
             ("Running", "Secrets", listing(sorted(spec.secrets)) if spec.secrets else NONE)]
    return [{"section": s, "label": label, "value": value} for s, label, value in rows]
