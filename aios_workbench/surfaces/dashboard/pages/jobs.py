"""Jobs: what runs next (a timeline), run history with durations, failure rates, and links to
output notebooks rendered as HTML (for those allowed to open them). `?page=jobs&job=NAME` (every job
name and every run's job links there) puts that job and its runs first. Words and formats are the
sidebar's: "checks failed", "2 min 5 s", "Sun 6 Dec 2026, 06:00 UTC", "on schedule"."""

from __future__ import annotations

import panel as pn
import param

from aios_workbench.surfaces.dashboard.pages.common import (
    card,
    esc,
    guarded,
    heading,
    percent,
    seconds_text,
    table,
    when,
)
from aios_workbench.surfaces.dashboard.pages.plots import events_plot, scatter_plot
from aios_workbench.surfaces.dashboard.theme import current_theme

HISTORY_LIMIT = 200
VERDICTS = {"succeeded": "succeeded", "checks_failed": "checks failed", "failed": "failed", "timed_out": "timed out",
            "cancelled": "cancelled", "running": "running", "queued": "queued"}


def outcome(run: dict) -> str:
    """A run's verdict (decided by the service) in words: "checks failed: the notebook succeeded, 2 of 3 checks
    it recorded failed (drift, fairness)" for a run whose notebook succeeded while its checks did not."""
    verdict = run.get("verdict") or run["status"]
    checks = run.get("checks") or {}
    if verdict == "checks_failed":
        kinds = ", ".join(checks.get("failed_kinds") or [])
        return (f"checks failed: the notebook succeeded, {checks['failed']} of {checks['total']} checks it "
                f"recorded failed" + (f" ({kinds})" if kinds else ""))
    return VERDICTS.get(verdict, str(verdict).replace("_", " "))


def job_link(name: str) -> str:
    """Where a job's name leads: the Jobs page with that job first."""
    return f"?page=jobs&job={name}"


# A job name in a table is a link to the Jobs page with that job first (names are URL-safe: JOB_NAME).
JOB_LINKS = {"job": {"type": "link", "urlPrefix": "?page=jobs&job=", "target": "_self"}}


def state_words(job: dict) -> str:
    """paused, scheduled, or by hand only (a job with no next run)."""
    if job["paused"]:
        return "paused"
    return "scheduled" if job.get("next_run") else "by hand or trigger only"


def run_rows(runs: list[dict]) -> list[dict]:
    """Runs as the history table says them: verdict in words, dates in the one format, durations read."""
    return [{"run": r["id"], "job": r["job"], "version": r["version"], "outcome": outcome(r),
             "trigger": r.get("trigger_words") or r["trigger"], "started": when(r["started_at"]),
             "duration": seconds_text(r["duration_s"]), "cells": r["cells"], "error": r["error"]} for r in runs]


def timeline_plot(upcoming: list[dict]):
    """Upcoming occurrences: time across, job down."""
    return events_plot(upcoming, row="job", marker="diamond", size=12)


def duration_plot(runs: list[dict]):
    """Duration of each finished run over time, coloured by outcome (hover names the job)."""
    finished = [r for r in runs if r["duration_s"] is not None]
    if not finished:
        return None
    return scatter_plot([{**r, "outcome": VERDICTS.get(r.get("verdict") or r["status"], r["status"])}
                         for r in finished], x="started_at", y="duration_s", color="outcome", y_label="seconds",
                        hover=("job", "id"))


class JobsPage(param.Parameterized):
    """Scheduled jobs, their health, upcoming runs and history."""

    def __init__(self, data, **params):
        super().__init__(**params)
        self.data = data

    @guarded
    def _jobs(self):
        jobs = self.data.jobs()
        if not jobs:
            return pn.pane.Markdown("No jobs yet. Promote a notebook to a job from JupyterLab or with "
                                    "`aios promote`.", sizing_mode="stretch_width")
        finished = sum(j["runs_30d"] for j in jobs)
        failed = sum(j["failed_30d"] for j in jobs)
        checks_failed = sum(j.get("last_verdict") == "checks_failed" for j in jobs)
        figures = pn.FlexBox(
            card("Jobs", len(jobs), "jobs-count", f"{sum(j['paused'] for j in jobs)} paused"),
            card("Failure rate (30 days)", percent(failed / finished) if finished else "n/a", "jobs-failure-rate",
                 f"{failed} of {finished} finished runs failed", tone="bad" if failed else "good"),
            card("Last run: checks failed", checks_failed, "jobs-checks-failed",
                 "jobs whose notebook succeeded while its checks failed", tone="warn" if checks_failed else "good"))
        rows = [{"job": j["name"], "state": state_words(j), "schedule": j["schedule"], "next run": when(j["next_run"]),
                 "last run": VERDICTS.get(j.get("last_verdict") or "", j["last_status"] or "never run"),
                 "failure rate 30d": percent(j["failure_rate"]),
                 "runs 30d": j["runs_30d"], "runs as": j["identity"]} for j in jobs]
        parts = [figures, table(rows, name="jobs", formatters=JOB_LINKS)]
        soon = self.data.upcoming()
        if soon:
            parts[1:1] = [pn.pane.HTML(f'<h2 style="font-size:1.17em;margin:.3em 0" data-testid="jobs-upcoming">Upcoming runs, next 7 '
                                       f'days ({len(soon)})</h2>'),
                          pn.pane.Bokeh(timeline_plot(soon), sizing_mode="stretch_width")]
        return pn.Column(*parts, sizing_mode="stretch_width")

    @guarded
    def _history(self):
        runs = self.data.job_runs(limit=HISTORY_LIMIT)
        if not runs:
            return pn.pane.Markdown("No runs recorded yet.")
        plot = duration_plot(runs)
        links = []
        shade = "?theme=dark" if current_theme() == "dark" else ""   # the output page in this page's theme
        for run in runs:
            if run["has_output"] and self.data.may_open_output(run):
                links.append(f'<a href="./job-output/{run["id"]}{shade}" target="_blank" rel="noopener" '
                             f'data-testid="job-output-link">run #{run["id"]} of {esc(run["job"])} '
                             f'({esc(VERDICTS.get(run["verdict"], run["status"]))}, {esc(when(run["started_at"]))})</a>')
        parts: list[pn.viewable.Viewable] = []
        if plot is not None:
            parts += [pn.pane.HTML("<b>Run durations</b>"), pn.pane.Bokeh(plot, sizing_mode="stretch_width")]
        parts.append(table(run_rows(runs), name="job runs", formatters=JOB_LINKS))
        parts.append(pn.pane.HTML("<b>Output notebooks</b> (rendered as HTML; shown for jobs you run, created, "
                                  "or audit):<br>" + ("<br>".join(links[:30]) or "<i>none you may open</i>"),
                                  sizing_mode="stretch_width"))
        return pn.Column(*parts, sizing_mode="stretch_width")

    @guarded
    def _focus(self, name: str):
        """Job `name` first: its state, schedule, next and last run in words, and its latest runs."""
        job = next((j for j in self.data.jobs() if j["name"] == name), None)
        if job is None:
            return pn.pane.Alert(f"There is no job {esc(name)} (it may have been deleted).", alert_type="warning",
                                 sizing_mode="stretch_width")
        runs = self.data.job_runs(job=name, limit=20)
        facts = [("State", state_words(job)), ("Schedule", job["schedule"]), ("Next run", when(job["next_run"])),
                 ("Last run", VERDICTS.get(job.get("last_verdict") or "", job["last_status"] or "never run")),
                 ("Failure rate (30 days)", percent(job["failure_rate"])), ("Runs as", job["identity"]),
                 ("Notebook", job["notebook"]), ("Version", job["version"])]
        rows = "".join(f"<dt>{esc(k)}</dt><dd data-field=\"{esc(k.lower())}\">{esc(v)}</dd>" for k, v in facts)
        summary = pn.pane.HTML(
            f'<section data-testid="jobs-focus" aria-label="Job {esc(name)}"><h2 style="font-size:1.17em;margin:.3em 0">Job '
            f'{esc(name)} <a href="?page=jobs" style="font-size:.8em;font-weight:normal">all jobs</a></h2>'
            f'<dl style="display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:0">{rows}</dl>'
            "</section>", sizing_mode="stretch_width")
        parts: list[pn.viewable.Viewable] = [summary]
        if runs:
            parts.append(table(run_rows(runs), page_size=10))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def __panel__(self):
        # the history (a plot and a long table) is drawn when its tab is opened: a faster first render
        history = pn.param.ParamMethod(self._history, lazy=True)
        tabs = pn.Tabs(("Jobs and upcoming runs", self._jobs()), ("Run history", history), dynamic=True,
                       sizing_mode="stretch_width")
        location = pn.state.location
        focused = location.query_params.get("job") if location is not None else None
        parts = [heading("Jobs", "page-jobs")]
        if isinstance(focused, str) and focused:
            parts.append(self._focus(focused))
        return pn.Column(*parts, tabs, sizing_mode="stretch_width")
