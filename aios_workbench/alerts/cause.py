"""What caused an alert, in words, and where it opens: the failed job run (its output; for a run whose checks
failed, the run with its failed checks as evidence), the check result
behind a monitor (its ledger entry), the job version or proposed action waiting for a decision.

One shape for every surface (`schemas.alerts.AlertCause`): `kind`, `id`, `label` (a sentence a person reads)
and `target` (what to open: `opens` names the view, the other keys say which one). The dashboard turns a
target into a page link, the sidebar into the section that can open it; a target is None when the caller may
not open it, and `note` then says why. `related` holds further evidence: the failed check results a failed
run recorded, the job run a monitor failed in, the decision app a threshold monitor sends people to.

Pure functions over the alert as the feed gives it (`feed.alert_dict`); the service adds what needs the store
or the policy (who may open a job's output, which checks a run failed), once per page of alerts.
"""

from __future__ import annotations

from typing import Any

# A job run's final status in words (the scheduler's titles say the same).
RUN_WORDS = {"failed": "failed", "timed_out": "timed out", "cancelled": "was cancelled", "succeeded": "succeeded",
             "checks_failed": "checks failed"}
HIDDEN_OUTPUT = "its output is shown only to the job's creator, its identity and auditors"
NO_OUTPUT = "the run kept no output"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _cause(kind: str, ident: Any, label: str, target: dict[str, Any] | None, note: str | None = None) -> dict:
    cause: dict[str, Any] = {"kind": kind, "id": str(ident), "label": label, "target": target}
    if note:
        cause["note"] = note
    return cause


def checks_failed_words(job: str, run_id: int | None, failed: int, total: int) -> tuple[str, str]:
    """(title, cause label) of a job run whose notebook succeeded while `failed` of the `total` checks it recorded
    failed, e.g. "job nightly: the notebook ran, 2 of 3 checks failed (run 41)" and "Run 41 of job nightly: the
    notebook ran to its end, 2 of 3 checks it recorded failed". The scheduler titles the alert with the first,
    every surface shows the second as its cause."""
    checks = f"{failed} of {total} check{'s' if total != 1 else ''}"
    return (f"job {job}: the notebook ran, {checks} failed (run {run_id})",
            f"Run {run_id} of job {job}: the notebook ran to its end, {checks} it recorded failed")


def run_cause(detail: dict[str, Any], key: str, *, may_open: bool) -> dict[str, Any]:
    """A failed run's cause: the run, opening on its output when the caller may open it and it kept one."""
    job = str(detail.get("job") or key.removeprefix("job:"))
    run_id = _int(detail.get("run_id") or detail.get("run"))
    words = RUN_WORDS.get(str(detail.get("status") or "failed"), str(detail.get("status")))
    attempt = _int(detail.get("attempt"))
    label = (f"Run {run_id} of job {job} {words}" if run_id else f"A run of job {job} {words}") + (
        f" (attempt {attempt})" if attempt and attempt > 1 else "")
    checks = detail.get("checks")
    if detail.get("verdict") == "checks_failed" and isinstance(checks, dict):
        _, label = checks_failed_words(job, run_id, _int(checks.get("failed")) or 0, _int(checks.get("total")) or 0)
    if run_id is None:
        return _cause("job_run", job, label, {"opens": "job", "job": job})
    if not may_open:
        return _cause("job_run", run_id, label, {"opens": "job", "job": job, "run_id": run_id}, HIDDEN_OUTPUT)
    if not detail.get("output"):
        return _cause("job_run", run_id, label, {"opens": "job", "job": job, "run_id": run_id}, NO_OUTPUT)
    return _cause("job_run", run_id, label, {"opens": "job_run_output", "job": job, "run_id": run_id,
                                             "href": f"jobs/runs/output?id={run_id}&format=html"})


def check_cause(check: dict[str, Any], words: dict[str, str]) -> dict[str, Any]:
    """A ledger entry as a cause: `check` has id, kind, name, label and status; `words` are the verdict words."""
    verdict = words.get(check["status"], check["status"])
    return _cause("check_result", check["id"], f"{check['label']} {verdict} (result #{check['id']})",
                  {"opens": "check_result", "ledger_id": check["id"], "check": check["name"], "kind": check["kind"]})


def monitor_cause(detail: dict[str, Any], key: str, severity: str, words: dict[str, str]) -> dict[str, Any]:
    """A monitor's alert: the ledger entry of the run that failed (the check as a whole when it has none); when
    the monitor failed inside a job run (`incidents.run_facts_for_monitor`), the label names that run."""
    name = str(detail.get("monitor") or key.removeprefix("monitor:"))
    verdict = words.get("error" if severity == "error" else "fail", "failed")
    ledger_id = _int(detail.get("ledger_id"))
    check = f"monitor:{name}"
    if ledger_id is None:
        return _cause("monitor", name, f"Monitor {name} {verdict}{_in_run(detail)}",
                      {"opens": "check", "check": check, "kind": "drift"})
    drifted = [str(c) for c in detail.get("drifted") or []]
    found = f": {len(drifted)} column{'s' if len(drifted) != 1 else ''} drifted ({', '.join(drifted[:3])}" \
            f"{', …' if len(drifted) > 3 else ''})" if drifted else ""
    return _cause("monitor", name, f"Monitor {name} {verdict} (result #{ledger_id}){found}{_in_run(detail)}",
                  {"opens": "check_result", "ledger_id": ledger_id, "check": check, "kind": "drift"})


def _in_run(detail: dict[str, Any]) -> str:
    """", in run 41 of job nightly" (", which failed" when the monitor failed the run), or "" outside a job run."""
    run_id, job = _int(detail.get("run_id")), detail.get("job")
    if run_id is None or not job:
        return ""
    return f", in run {run_id} of job {job}" + (", which failed" if detail.get("run_verdict") == "failed" else "")


def monitor_run(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The job run a monitor failed in, as related evidence opening the job's runs (its output stays the job's
    people's: the alert is its data's readers')."""
    run_id, job = _int(detail.get("run_id")), detail.get("job")
    if run_id is None or not job:
        return None
    did = "failed on the monitor" if detail.get("run_verdict") == "failed" else "ran the monitor"
    return _cause("job_run", run_id, f"Run {run_id} of job {job}, which {did}",
                  {"opens": "job", "job": str(job), "run_id": run_id})


def app_link(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The decision app a threshold monitor's alert sends people to (`detail.link`), as a related cause."""
    link = detail.get("link")
    if not isinstance(link, dict) or not isinstance(link.get("app"), str) or not link["app"]:
        return None
    app = link["app"]
    params = link.get("params") if isinstance(link.get("params"), dict) else {}
    return _cause("app", app, f"Open the {app.replace('_', ' ').capitalize()} app for this",
                  {"opens": "app", "app": app, "params": params})


def approval_cause(detail: dict[str, Any], key: str) -> dict[str, Any]:
    """What waits for a decision: a job's version (promotion) or a proposed action."""
    action_id = _int(detail.get("action"))
    if action_id is not None:
        who = detail.get("proposed_by")
        label = f"Proposed action #{action_id}" + (f" by {who}" if who else "")
        return _cause("action", action_id, label, {"opens": "action", "action_id": action_id})
    job = str(detail.get("job") or key.removeprefix("approval:").split(":")[0])
    version = _int(detail.get("version"))
    who = detail.get("promoted_by")
    label = f"Version {version} of job {job}" if version else f"Job {job}"
    label += f", promoted by {who}" if who else ""
    target: dict[str, Any] = {"opens": "job", "job": job}
    if version is not None:
        target["version"] = version
    return _cause("job_version", f"{job}:v{version}" if version else job, label, target)


def causes_of(alert: dict[str, Any], *, may_open_output: bool, failed_checks: list[dict[str, Any]],
              words: dict[str, str]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the cause, related evidence) of `alert`; `failed_checks`: the failed ledger entries of a failed run
    (or of a run whose checks failed) the caller may see (empty otherwise), `words`: the check verdict words."""
    detail = alert.get("detail") or {}
    kind, key = alert.get("kind"), str(alert.get("key") or "")
    related: list[dict[str, Any]] = []
    if kind in ("run_failed", "checks_failed"):
        cause = run_cause(detail, key, may_open=may_open_output)
        related = [check_cause(check, words) for check in failed_checks]
    elif kind == "monitor_failed":
        cause = monitor_cause(detail, key, str(alert.get("severity")), words)
        run = monitor_run(detail)
        related = [run] if run is not None else []
    elif kind == "approval":
        cause = approval_cause(detail, key)
    else:
        return None, []
    app = app_link(detail)
    if app is not None:
        related.append(app)
    return cause, related
