"""A job run's output on the dashboard (`/job-output/<id>`): a header saying which run this is, the executed
notebook below it.

The header is the sidebar's (extension/src/output.ts): the job, the run's number, its verdict in words, when it
ran and how long, how it started and as whom, a link back to the job's page. The notebook stays what it was
before there was a header: the output's own HTML, served by `/job-output/<id>/notebook` under the sandboxing
CSP (no scripts, an opaque origin), shown here in an `<iframe sandbox>`. This page is ours, has no script
either (`PAGE_CSP`) and reads in light and dark (`?theme=dark`, as the dashboard's pages; else the
browser's preference) in the dashboard's AA tones (`theme.TONES`).
"""

from __future__ import annotations

from aios_workbench.core.humanize import duration_words, moment_words
from aios_workbench.surfaces.dashboard.pages.common import esc
from aios_workbench.surfaces.dashboard.pages.jobs import job_link, outcome
from aios_workbench.surfaces.dashboard.theme import TONES

# Our page: no script, styles inline, the notebook framed from this origin only, framed by nobody else.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'self'")
# Each tone's light and dark value; the header's background is the page's (#ffffff / #181818, as the dashboard's).
BACKGROUNDS = ("#ffffff", "#181818")


def _tones(dark: bool) -> str:
    values = "".join(f"--aios-{name}:{pair[1] if dark else pair[0]};" for name, pair in TONES.items())
    return values + f"--aios-background:{BACKGROUNDS[1] if dark else BACKGROUNDS[0]};"


def _style(theme: str | None) -> str:
    """Light or dark tones: the dashboard's `?theme=` when given, else the browser's preference."""
    light, dark = _tones(False), _tones(True)
    if theme == "dark":
        tones = f":root{{{dark}color-scheme:dark}}"
    elif theme == "default":
        tones = f":root{{{light}color-scheme:light}}"
    else:
        tones = (f":root{{{light}color-scheme:light dark}}"
                 f"@media (prefers-color-scheme: dark){{:root{{{dark}}}}}")
    return tones + (
        "html,body{margin:0;height:100%}"
        "body{display:flex;flex-direction:column;background:var(--aios-background);color:var(--aios-text);"
        "font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif}"
        "header{padding:.6em 1.2em;border-bottom:1px solid var(--aios-rule)}"
        "header nav a{color:var(--aios-accent)}"
        "h1{font-size:1.35em;margin:.3em 0}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.3em 0}"
        "dt{color:var(--aios-muted)}dd{margin:0}"
        ".bad{color:var(--aios-bad)}.warn{color:var(--aios-warn)}.good{color:var(--aios-good)}"
        "main{flex:1;display:flex;flex-direction:column;min-height:60vh}"
        "iframe{flex:1;border:0;width:100%;background:#ffffff}"
        "main p{padding:0 1.2em}main a{color:var(--aios-accent)}"
    )


def _tone(verdict: str) -> str:
    return {"succeeded": "good", "checks_failed": "warn", "running": "", "queued": ""}.get(verdict, "bad")


def output_page(run: dict, *, html_output: bool, theme: str | None = None) -> str:
    """The page for `run` (a row of `DashboardData.job_runs`, with its verdict); `html_output`: the run kept its
    notebook as HTML (else the notebook file is offered as a download)."""
    job, number = str(run["job"]), int(run["id"])
    verdict = str(run.get("verdict") or run["status"])
    back = "../" + job_link(job) + (f"&theme={theme}" if theme in ("dark", "default") else "")
    ran = [("Verdict", f'<span class="{_tone(verdict)}" data-testid="output-verdict">{esc(outcome(run))}</span>'),
           ("Started", esc(moment_words(run.get("started_at")))),
           ("Ended", esc(moment_words(run.get("finished_at")))),
           ("Duration", esc(duration_words(run.get("duration_s")))),
           ("Started by", esc(run.get("trigger_words") or run.get("trigger") or "—")),
           ("Ran as", esc(run.get("identity") or "—")),
           ("Version", esc(run.get("version")))]
    facts = "".join(f'<dt>{label}</dt><dd data-field="{label.lower().replace(" ", "-")}">{value}</dd>'
                    for label, value in ran)
    title = f"Output of run {number} of job {job}"
    if html_output:
        body = (f'<iframe sandbox="" src="./{number}/notebook" title="{esc(title)} (the executed notebook)" '
                f'data-testid="output-frame"></iframe>')
    else:
        body = (f'<p>No HTML rendering of this output was kept. <a href="./{number}/notebook" download>'
                f"Download the output notebook</a> and open it in JupyterLab.</p>")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · AI OS dashboard</title><style>{_style(theme)}</style></head><body>"
        f'<header data-testid="output-header"><nav aria-label="Back"><a href="{esc(back)}" data-testid="output-back">'
        f"‹ Job {esc(job)} on the Jobs page</a></nav>"
        f'<h1 data-testid="output-title">{esc(job)} · run {number}</h1><dl>{facts}</dl></header>'
        f'<main aria-label="The executed notebook">{body}</main></body></html>'
    )
