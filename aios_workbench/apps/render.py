"""An executed app notebook as the page its viewer reads: the notebook's markdown and the outputs of its
cells (plots, tables, text), without code, without the cells the workbench added, without tracebacks.

The page is served in a sandboxed frame (no scripts, no same-origin access, `SANDBOXED_HTML_CSP`), so HTML a
notebook displays cannot act in the dashboard; it is still escaped where it is text.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aios_workbench.apps.runner import CONNECT_TAG

HIDDEN_TAGS = {CONNECT_TAG, "injected-parameters", "parameters", "remove-cell", "hide-cell"}
MAX_PAGE = 8_000_000   # characters: a larger page is cut with a note
STYLE = ("body{font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2933;margin:12px;}"
         "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #cbd2d9;padding:3px 6px;text-align:right}"
         "th{background:#f0f4f8}img{max-width:100%;height:auto}pre{white-space:pre-wrap;background:#f5f7fa;"
         "padding:6px;border-radius:4px}.aios-failed{border-left:4px solid #b42318;padding:6px 10px;"
         "background:#fdecea;color:#7a1a12}@media (prefers-color-scheme: dark){body{background:#111418;"
         "color:#e4e7eb}th{background:#1f2933}td,th{border-color:#3e4c59}pre{background:#1f2933}"
         ".aios-failed{background:#3b1512;color:#f9c0b9}}")


def _markdown(text: str) -> str:
    import mistune

    return str(mistune.html(text))


def _output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{escape(''.join(output.get('text', '')))}</pre>" if output.get("name") == "stdout" else ""
    if kind in ("display_data", "execute_result"):
        data = output.get("data", {})
        if "image/png" in data:
            return f'<img alt="plot" src="data:image/png;base64,{"".join(data["image/png"]).strip()}">'
        if "image/svg+xml" in data:
            return "".join(data["image/svg+xml"])
        if "text/html" in data:
            return "".join(data["text/html"])
        if "text/markdown" in data:
            return _markdown("".join(data["text/markdown"]))
        if "text/plain" in data:
            return f"<pre>{escape(''.join(data['text/plain']))}</pre>"
    return ""   # errors are reported once, in words, by `page`


def page(notebook, *, title: str, error: str | None = None) -> str:
    """The viewer's page of an executed app notebook."""
    parts: list[str] = []
    for cell in notebook.cells:
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            parts.append(_markdown(cell.source))
        elif cell.cell_type == "code":
            parts.extend(html for html in (_output(o) for o in cell.get("outputs", [])) if html)
    if error:
        parts.append(f'<div class="aios-failed" role="alert">The app stopped: {escape(error)}</div>')
    body = "\n".join(parts)
    if len(body) > MAX_PAGE:
        body = body[:MAX_PAGE] + '<div class="aios-failed">The page was cut: it is larger than 8 MB.</div>'
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")
