"""What each gateway tool does, over the service façade, as the agent's policy user. Results are plain data
(JSON-able); `server.py` describes the tools to the model, checks identity and limits and audits the call."""

from __future__ import annotations

import datetime as dt
import decimal
import html.parser
from typing import TYPE_CHECKING, Any

from aios_workbench.core.agents import AGENT_SURFACE
from aios_workbench.core.errors import NotFound, UsageError

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.surfaces.mcp.identity import Agent

SURFACE = AGENT_SURFACE
TEXT_LIMIT = 20_000   # characters of an app page's text an agent gets


def _cell(value: Any) -> Any:
    """A value as JSON carries it: dates as ISO text, decimals as numbers, bytes as a size."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {k: _cell(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cell(v) for v in value]
    return value


def search_catalog(svc: WorkbenchService, agent: Agent, text: str, limit: int) -> dict[str, Any]:
    if not text.strip():
        found = svc.catalog.readable(agent.user)[:limit]
    else:
        found = svc.catalog.search(agent.user, text, limit=limit)
    return {"datasets": found, "count": len(found)}


def describe_dataset(svc: WorkbenchService, agent: Agent, dataset: str) -> dict[str, Any]:
    shown = svc.catalog.show(agent.user, dataset, agent=True)
    access = shown.get("access", {})
    lineage = svc.catalog.lineage(agent.user, access.get("dataset", dataset), depth=1)
    return {**shown, "lineage": {"upstream": _names(lineage.get("upstream")),
                                 "downstream": _names(lineage.get("downstream"))},
            "freshness": _freshness(lineage.get("upstream"))}


def _freshness(graph: Any) -> dict[str, Any]:
    """When the workbench last wrote the dataset (its latest write in lineage), or that it never did."""
    nodes = graph.get("nodes", []) if isinstance(graph, dict) else []
    writes = [n for n in nodes if isinstance(n, dict) and n.get("kind") == "job" and n.get("last_run")]
    if not writes:
        return {"last_written": None, "note": "not written through the workbench: a source whose data changes "
                                              "outside it (see row_count and the source's own timestamps)"}
    latest = max(writes, key=lambda n: str(n["last_run"]))
    return {"last_written": latest["last_run"], "status": latest.get("last_status"), "by": latest.get("name")}


def _names(graph: Any) -> list[str]:
    """The datasets of one direction of a lineage graph (`{"nodes": [...]}`), the dataset itself left out."""
    nodes = graph.get("nodes", []) if isinstance(graph, dict) else []
    root = graph.get("dataset") if isinstance(graph, dict) else None
    return sorted({str(n["name"]) for n in nodes
                   if isinstance(n, dict) and n.get("kind") == "dataset" and n.get("name") and n["name"] != root})


def query(svc: WorkbenchService, agent: Agent, sql: str, max_rows: int) -> dict[str, Any]:
    cap = min(max_rows, agent.max_rows)
    result = svc.queries.run(sql, user=agent.user, surface=SURFACE, max_rows=cap)
    table = result.to_arrow()
    return {"columns": table.column_names, "rows": [[_cell(v) for v in row.values()] for row in table.to_pylist()],
            "row_count": table.num_rows, "truncated": result.truncated, "row_cap": cap,
            "datasets": list(result.datasets)}


def preview_dataset(svc: WorkbenchService, agent: Agent, dataset: str, rows: int) -> dict[str, Any]:
    page = svc.catalog.preview(agent.user, dataset, limit=min(rows, agent.max_rows), surface=SURFACE)
    return _cell(page.to_dict())


def profile_dataset(svc: WorkbenchService, agent: Agent, dataset: str) -> dict[str, Any]:
    return _cell(svc.catalog.profile(agent.user, dataset, surface=SURFACE))


def explain_policy(svc: WorkbenchService, agent: Agent, dataset: str) -> dict[str, Any]:
    return svc.catalog.explain(agent.user, dataset, agent=True)


def run_quality(svc: WorkbenchService, agent: Agent, suites: list[str]) -> dict[str, Any]:
    return svc.checks.quality(agent.user, suites, surface=SURFACE)


def check_drift(svc: WorkbenchService, agent: Agent, reference: str, current: str,
                columns: list[str] | None) -> dict[str, Any]:
    return _cell(svc.checks.drift(agent.user, reference, current, columns=columns or None,
                                  surface=SURFACE))


def list_alerts(svc: WorkbenchService, agent: Agent, state: str | None, limit: int) -> dict[str, Any]:
    alerts = svc.alerts.list(agent.user, state=state or None, limit=limit)
    return {"alerts": _cell(alerts), "count": len(alerts)}


def explain_alert(svc: WorkbenchService, agent: Agent, alert_id: int) -> dict[str, Any]:
    """One alert with its cause in words and what to look at next: an alert the agent's user may not see is
    as unknown."""
    for alert in svc.alerts.list(agent.user, limit=500):
        if alert.get("id") == alert_id:
            return {"alert": _cell(alert), "cause": cause_in_words(alert), "next": _next_steps(alert)}
    raise NotFound(f"no alert {alert_id}", fix="call list_alerts for the alerts you may see", input=str(alert_id))


def cause_in_words(alert: dict[str, Any]) -> str:
    """The alert's cause and evidence (`alerts/cause.py`, as the service gave them to this caller) as sentences."""
    cause = alert.get("cause")
    if not cause:
        return "The workbench records no cause for this alert; its title and detail are all there is."
    words = f"Caused by: {cause['label']}."
    if cause.get("note"):
        words += f" Its output is not open to you: {cause['note']}."
    evidence = [r["label"] for r in alert.get("related") or [] if r.get("kind") == "check_result"]
    if evidence:
        words += " Failed checks: " + "; ".join(evidence) + "."
    return words


def _next_steps(alert: dict[str, Any]) -> list[str]:
    """The calls that investigate `alert`: the run and the checks behind it, its datasets, its job, the app it
    links to."""
    detail = alert.get("detail") or {}
    steps = []
    cause = alert.get("cause") or {}
    target = cause.get("target") or {}
    if cause.get("kind") == "job_run" and target.get("run_id"):
        steps.append(f"job_run(run_id={target['run_id']}) for the run's status, verdict, error and checks")
    suites = [r["target"]["check"] for r in alert.get("related") or []
              if r.get("kind") == "check_result" and (r.get("target") or {}).get("kind") == "quality"
              and r["target"].get("check")]
    if suites:
        steps.append(f"run_quality(suites={suites!r}) to see whether the failed suites still fail")
    steps += [f"describe_dataset(dataset={dataset!r}) for its columns, lineage and freshness, then query it"
              for dataset in detail.get("datasets") or alert.get("datasets") or []]
    job = detail.get("job") or alert.get("job")
    if job:
        steps.append(f"job_status(job={job!r}) for the runs behind it")
    link = detail.get("link") or {}
    if isinstance(link, dict) and link.get("app"):
        steps.append(f"run_app(app={link['app']!r}, parameters={link.get('params') or {}!r}): the decision app "
                     "this alert is for")
    if not suites and str(alert.get("kind", "")).startswith(("monitor", "check", "quality")):
        steps.append("run_quality() to see whether the failing checks still fail")
    return steps or ["list_alerts() for related alerts"]


def job_status(svc: WorkbenchService, agent: Agent, job: str, runs: int) -> dict[str, Any]:
    shown = svc.jobs.show(agent.user, job)
    history = svc.jobs.history(agent.user, job, limit=runs)
    return _cell({"job": shown, "runs": history.get("runs", history)})


def job_run(svc: WorkbenchService, agent: Agent, run_id: int) -> dict[str, Any]:
    return _cell(svc.jobs.run(agent.user, run_id))


def list_apps(svc: WorkbenchService, agent: Agent) -> dict[str, Any]:
    return {"apps": _cell(svc.apps.list(agent.user))}


def run_app(svc: WorkbenchService, agent: Agent, app: str, parameters: dict[str, Any]) -> dict[str, Any]:
    result = svc.apps.run(agent.user, app, parameters or {}, surface=SURFACE)
    page = result.pop("html", "")
    text = page_text(page)
    return _cell({**result, "text": text[:TEXT_LIMIT],
                  "text_truncated": len(text) > TEXT_LIMIT})


def propose_action(svc: WorkbenchService, agent: Agent, kind: str, payload: dict[str, Any], reason: str,
                   title: str | None, evidence: dict[str, Any] | None, sources: dict[str, str] | None) -> dict[str, Any]:
    if not reason.strip():
        raise UsageError("a proposal needs a reason", fix="say in `reason` why the action should happen",
                         input="reason")
    return _cell(svc.actions.propose(agent.user, kind=kind, payload=payload, title=title,
                                     reason=reason, evidence=evidence, sources=sources, surface=SURFACE,
                                     via=agent.via))


def action_status(svc: WorkbenchService, agent: Agent, action_id: int) -> dict[str, Any]:
    return _cell(svc.actions.show(agent.user, action_id))


def check_definitions(svc: WorkbenchService, agent: Agent, suite: str) -> dict[str, Any]:
    defined = _cell(svc.checks.suites(agent.user))
    if suite == "all":
        return defined
    for found in defined.get("suites", []):
        if found.get("name") == suite:
            return found
    raise NotFound(f"no quality suite {suite!r} that you may run", fix="read aios://checks/all for the list",
                   input=suite)


class _Text(html.parser.HTMLParser):
    """An app page's words and table cells, in reading order; scripts and styles left out."""

    SKIP = {"script", "style", "head", "title"}
    BREAK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "pre", "section"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(data.strip() + " ")


def page_text(page: str) -> str:
    parser = _Text()
    parser.feed(page or "")
    lines = ("".join(parser.parts)).splitlines()
    return "\n".join(line.strip() for line in lines if line.strip())
