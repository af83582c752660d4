"""HTML fragments of the catalog browser. Every value from the service goes through `esc`.

Pure functions of the REST payloads (see service/openapi.yaml), so what a user sees can be
checked without a browser; the JupyterLab sidebar (extension/src) renders the same payloads.
"""

from __future__ import annotations

import json
from html import escape
from numbers import Number

from aios_workbench.core.humanize import SOURCE_MARK

# JupyterLab's theme variables, so the widgets follow its light and dark themes (the fallbacks are the light
# look elsewhere); the tones are WCAG AA (4.5:1) on --jp-layout-color0..2 in either kind of theme.
STYLE = """<style>
.aios-cb{--aios-cb-pii:#8a4b00;--aios-cb-mask:#ad1457;color:var(--jp-content-font-color1,inherit)}
body[data-jp-theme-light='false'] .aios-cb{--aios-cb-pii:#ffb74d;--aios-cb-mask:#f8bbd0}
.aios-cb table{border-collapse:collapse;font-size:12px}
.aios-cb th,.aios-cb td{border-bottom:1px solid var(--jp-border-color2,#ddd);padding:2px 6px;text-align:left;
 vertical-align:top}
.aios-cb .aios-badge{display:inline-block;border-radius:8px;padding:0 6px;margin:0 2px;font-size:11px;
 background:var(--jp-layout-color2,#eee);color:var(--jp-ui-font-color1,#212121)}
.aios-cb .aios-badge-pii{color:var(--aios-cb-pii)}
.aios-cb .aios-badge-mask{color:var(--aios-cb-mask)}
.aios-cb .aios-note{background:var(--jp-layout-color2,#f5f5f5);color:var(--jp-ui-font-color1,#212121);
 border-left:3px solid var(--jp-border-color1,#90a4ae);padding:4px 8px;margin:4px 0}
.aios-cb .aios-error{background:var(--jp-rendermime-error-background,#ffebee);color:var(--jp-content-font-color1,#212121);
 border-left:3px solid var(--jp-error-color1,#c62828);padding:4px 8px;margin:4px 0}
.aios-cb .aios-muted{color:var(--jp-ui-font-color2,#616161)}
.aios-cb .aios-null{color:var(--jp-ui-font-color2,#616161);font-style:italic}
.aios-cb .aios-histogram rect{fill:var(--jp-brand-color1,#5c6bc0)}
</style>"""


def esc(value) -> str:
    """Text safe inside HTML elements and quoted attributes."""
    return escape("" if value is None else str(value), quote=True)


def box(inner: str) -> str:
    """Wrap a fragment in the browser's styling scope."""
    return f'<div class="aios-cb">{inner}</div>'


def count(value) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "—"


def short(value, width: int = 24) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, Number):
        text = f"{value:,}"
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, default=str)
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def cell_text(value) -> str:
    if value is None:
        return "∅"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def badge(text: str, kind: str = "class", title: str | None = None) -> str:
    tip = f' title="{esc(title)}"' if title else ""
    return f'<span class="aios-badge aios-badge-{esc(kind)}"{tip}>{esc(text)}</span>'


def note(text: str) -> str:
    return box(f'<p class="aios-note" role="note">{esc(text)}</p>')


def error(title: str, exc: BaseException) -> str:
    """A readable error: what failed, the service's message, and its fix when it has one."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    fix = getattr(exc, "fix", None)
    fix_html = f"<br><b>fix:</b> {esc(fix)}" if fix else ""
    return box(f'<div class="aios-error" role="alert"><b>{esc(title)}</b>: {esc(message)}{fix_html}</div>')


def header(dataset: dict) -> str:
    """Name, kind, description, owners, tags and the catalogued row count of one dataset."""
    owners = ", ".join(esc(o) for o in dataset.get("owners") or []) or '<span class="aios-muted">none listed</span>'
    tags = "".join(badge(t) for t in dataset.get("tags") or []) or '<span class="aios-muted">none</span>'
    description = dataset.get("description") or ""
    desc_html = (f'<p class="aios-description">{esc(description)}</p>' if description
                 else '<p class="aios-muted">No description.</p>')
    rows = dataset.get("row_count")
    return box(f'<h3 style="margin:4px 0">{esc(dataset.get("name"))} '
               f'<span class="aios-muted">{esc(dataset.get("kind") or "")}</span></h3>{desc_html}'
               f"<table><tr><th>Owners</th><td>{owners}</td></tr><tr><th>Tags</th><td>{tags}</td></tr>"
               f"<tr><th>Rows</th><td>{count(rows)}</td></tr></table>")


def access(view: dict) -> str:
    """The caller's view of a dataset (GET catalog/dataset): row filter, masks, schema with badges."""
    if view.get("allowed") is False:
        return box(f'<div class="aios-error" role="alert"><b>You ({esc(view.get("user"))}) may not read '
                   f'{esc(view.get("dataset"))}</b>: {esc(view.get("rule") or "no grant")}<br><b>fix:</b> '
                   "ask a data steward for a grant in governance/policy.yaml</div>")
    notes = []
    if view.get("rule"):
        notes.append(f'<p class="aios-muted">You ({esc(view.get("user"))}) may read it by the rule '
                     f"‘{esc(view['rule'])}’.</p>")
    if view.get("summary"):   # what applied to this user, in the service's words
        notes.append(f'<p class="aios-note aios-access-summary" role="note">{esc(view["summary"])}</p>')
    row_filter = view.get("row_filter")
    if row_filter:
        rule = f", by the rule ‘{esc(row_filter.get('rule'))}’" if row_filter.get("rule") else ""
        notes.append(f'<p class="aios-note aios-row-filter" role="note">You see only rows where '
                     f"<code>{esc(row_filter.get('predicate'))}</code>{rule}.</p>")
    body = []
    for column in view.get("columns") or []:
        sources = {s.get("tag"): s for s in column.get("tags") or []}
        badges = "".join(_tag_badge(t, sources.get(t)) for t in column.get("classifications") or [])
        if column.get("mask"):
            badges += badge(f"mask: {column['mask']}", "mask", mask_text(column))
        body.append(f'<tr data-name="{esc(column.get("name"))}" data-mask="{esc(column.get("mask") or "none")}">'
                    f"<th>{esc(column.get('name'))}</th><td>{esc(column.get('type'))}</td>"
                    f"<td>{_holds(column)}</td><td>{badges}</td>"
                    f"<td>{esc(mask_text(column))}</td></tr>")
    table = ("<table class='aios-schema'><thead><tr><th>Column</th><th>Type</th><th>What it holds</th>"
             f"<th>Classes / mask</th><th>What you see</th></tr></thead><tbody>{''.join(body)}</tbody></table>")
    return box("".join(notes) + table)


def _holds(column: dict) -> str:
    """What a column holds: its description (marked when it is the source's comment, not a steward's), then
    what its classifications say."""
    about = esc(column.get("about") or "")
    described = column.get("description") or ""
    if not described:
        return about
    origin = (f' <span class="aios-muted" title="the database\'s own comment on the column">{SOURCE_MARK}</span>'
              if column.get("description_origin") == "source" else "")
    return (f'<span class="aios-column-description">{esc(described)}</span>{origin}'
            + (f'<br><span class="aios-muted">{about}</span>' if about else ""))


def mask_text(column: dict) -> str:
    """What the user sees of a column, with the rule that decides it, in words."""
    if not column.get("mask"):
        return "Raw values"
    rule = f", by the rule ‘{column['rule']}’" if column.get("rule") else ""
    return f"Masked ({column['mask']}){rule}: {column.get('shows') or 'masked for you'}"


def _tag_badge(tag: str, source: dict | None) -> str:
    """A classification badge; its tooltip gives the confidence and the evidence (never a value)."""
    if not source:
        return badge(tag, "pii" if str(tag).startswith("pii") else "class")
    confidence = "confirmed" if source.get("origin") == "policy" else f"{round(source.get('confidence', 1) * 100)}%"
    return badge(f"{tag} {confidence}", "pii" if str(tag).startswith("pii") else "class",
                 f"{source.get('origin')}: {source.get('detail') or ''}")


def preview(page: dict, *, page_index: int, page_size: int, masked: set[str], order_by: str | None,
            descending: bool) -> str:
    """One page of GET catalog/preview as a table; masked columns carry a badge in the header."""
    columns = page.get("columns") or []
    rows = page.get("rows") or []
    if not columns:
        return note("This dataset has no columns you may see.")
    head = []
    for column in columns:
        name = column.get("name")
        arrow = (" ▼" if descending else " ▲") if name == order_by else ""
        flag = badge("masked", "mask") if column.get("masked") or name in masked else ""
        head.append(f'<th data-name="{esc(name)}">{esc(name)}{flag}{arrow}</th>')
    body = []
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column.get("name"))
            if column.get("name") in masked:   # shown as masked: the masked value, or "hidden" where none is left
                cells.append(f'<td class="aios-muted" data-masked="true"><i>{esc(cell_text(value) if value is not None else "hidden")}</i></td>')
                continue
            cls = ' class="aios-null"' if value is None else ""
            cells.append(f"<td{cls}>{esc(cell_text(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    first = page_index * page_size + 1
    total = f" of {count(page['row_count'])}" if isinstance(page.get("row_count"), int) else ""
    status = f"Rows {first:,}–{first + len(rows) - 1:,}{total}" if rows else "No rows"
    if page.get("applied"):
        status += f" · {page['applied']}"
    empty = '<p class="aios-muted">No rows visible to you.</p>' if not rows and page_index == 0 else ""
    return box(f'<p class="aios-preview-range aios-muted">{status}</p>'
               f'<div style="overflow-x:auto"><table class="aios-preview"><thead><tr>{"".join(head)}</tr></thead>'
               f"<tbody>{''.join(body)}</tbody></table></div>{empty}")


def histogram_svg(bins: list[dict], width: int = 96, height: int = 22) -> str:
    """A small inline SVG histogram; each bar's tooltip gives its range and count."""
    peak = max([1] + [b.get("count") or 0 for b in bins])
    bar = width / max(1, len(bins))
    rects = []
    for i, b in enumerate(bins):
        n = b.get("count") or 0
        h = max(1.0 if n > 0 else 0.0, n / peak * height)
        lo, hi = b.get("lo", b.get("low")), b.get("hi", b.get("high"))
        rects.append(f'<rect x="{i * bar + 0.5:.2f}" y="{height - h:.2f}" width="{max(0.5, bar - 1):.2f}" '
                     f'height="{h:.2f}"><title>{esc(short(lo))} – {esc(short(hi))}: {count(n)}</title></rect>')
    return (f'<svg class="aios-histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="Histogram with {len(bins)} bins">{"".join(rects)}</svg>')


def _distribution(column: dict) -> str:
    if column.get("histogram"):
        return histogram_svg(column["histogram"])
    top = column.get("top_values") or column.get("top")
    if top:
        return esc(", ".join(f"{short(t.get('value'))} ({count(t.get('count'))})" for t in top[:3]))
    return ""


def profile(result: dict) -> str:
    """GET catalog/profile: per column nulls, distinct, range and a histogram or top values.

    A masked column shows only a "masked" badge; the service sends nothing else for it."""
    rows = result.get("row_count", result.get("rows"))
    rows_text = result.get("rows_label") or f"{count(rows)} rows you can see"
    approx = "; statistics approximate" if result.get("approximate") else ""
    body = []
    for column in result.get("columns") or []:
        name = esc(column.get("name"))
        if column.get("masked"):
            label = f"masked ({column['mask']})" if column.get("mask") else "masked"
            cells = f'<td colspan="3">{badge(label, "mask")}</td>'
        else:
            has_range = "min" in column or "max" in column
            span = f"{short(column.get('min'))} … {short(column.get('max'))}" if has_range else "—"
            cells = (f"<td>{count(column.get('nulls'))} / {count(column.get('distinct'))}</td>"
                     f"<td>{esc(span)}</td><td>{_distribution(column)}</td>")
        body.append(f'<tr data-name="{name}" data-masked="{str(bool(column.get("masked"))).lower()}">'
                    f"<th>{name}</th>{cells}</tr>")
    return box(f'<p class="aios-muted aios-profile-rows">{esc(rows_text)}{approx}</p>'
               "<table class='aios-profile'><thead><tr><th>Column</th><th>Nulls / distinct</th><th>Range</th>"
               f"<th>Distribution</th></tr></thead><tbody>{''.join(body)}</tbody></table>")


def _lineage_items(part, own_id: str) -> list[str]:
    """Display lines of one direction: a graph walk ({nodes, counts}) or a plain list of names."""
    if not isinstance(part, dict):
        return [str(item.get("name", item)) if isinstance(item, dict) else str(item) for item in part or []]
    lines = []
    for node in part.get("nodes") or []:
        if node.get("id") == own_id:
            continue
        if node.get("kind") == "job":
            runs = node.get("runs")
            lines.append(f"{node.get('name')} (job{f', {runs:,} runs' if isinstance(runs, int) else ''})")
        else:
            lines.append(str(node.get("name")))
    if part.get("truncated"):
        lines.append("… more beyond this depth")
    return lines


def lineage(result: dict) -> str:
    """Upstream and downstream of one dataset (jobs and datasets), as the lineage endpoint reports them."""
    if result.get("recorded") is False:
        return note(f"No lineage recorded for {result.get('dataset')} yet: it appears once a governed query "
                    "or job reads or writes it.")
    own_id = f"dataset:{str(result.get('dataset', '')).lower()}"
    parts = []
    for direction in ("upstream", "downstream"):
        part = result.get(direction)
        lines = _lineage_items(part, own_id)
        summary = part.get("summary") if isinstance(part, dict) else None   # the service's one count
        items = "".join(f"<li>{esc(line)}</li>" for line in lines)
        lead = f'<p class="aios-muted aios-lineage-summary">{esc(summary)}</p>' if summary else ""
        if not items and not summary:
            items = '<li class="aios-muted">none recorded</li>'
        parts.append(f"<h4 style='margin:4px 0'>{direction.capitalize()}</h4>{lead}"
                     + (f"<ul>{items}</ul>" if items else ""))
    return box("".join(parts))
