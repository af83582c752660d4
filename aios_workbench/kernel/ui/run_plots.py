"""What `wb.runs()` shows of a comparison: the parameters that differ, and small inline SVG plots of
metric histories (only of metrics logged at more than one step: one value per run is a table, not a
history). Every value is HTML-escaped; colours are JupyterLab's theme variables where it has them."""

from __future__ import annotations

import math

from aios_workbench.kernel.ui import render

# Series colours: JupyterLab's theme colours (readable in light and dark themes), then fixed ones.
COLORS = ("var(--jp-brand-color1, #1976d2)", "var(--jp-warn-color1, #e65100)", "var(--jp-success-color1, #2e7d32)",
          "var(--jp-error-color1, #c62828)", "var(--jp-info-color1, #00838f)", "#8e24aa", "#6d4c41", "#546e7a",
          "#9e9d24", "#d81b60")


def run_label(summary: dict) -> str:
    """The service's label (unique within its answer), else the name or a short id."""
    return summary.get("label") or summary.get("name") or str(summary.get("id", ""))[:8]


def params_diff_table(result: dict) -> str:
    """The parameters that differ between the compared runs: one row per key, one column per run."""
    runs = result.get("runs") or []
    diff = result.get("params_diff") or {}
    same = result.get("params_same", 0)
    if not diff:
        return render.note(f"All {same} parameters are the same in the selected runs.")
    head = "".join(f"<th>{render.esc(run_label(r))}</th>" for r in runs)
    rows = []
    for name, values in diff.items():
        cells = "".join(f"<td>{render.esc(render.short(values.get(r['id']), 40))}</td>"
                        if values.get(r["id"]) is not None else '<td class="aios-null">∅</td>' for r in runs)
        rows.append(f"<tr><th>{render.esc(name)}</th>{cells}</tr>")
    return render.box(f'<p class="aios-muted">{len(diff)} parameters differ, {same} are the same.</p>'
                      f'<table class="aios-params-diff"><thead><tr><th>parameter</th>{head}</tr></thead>'
                      f"<tbody>{''.join(rows)}</tbody></table>")


def line_plot_svg(metric: str, series: dict[str, list], labels: dict[str, str], colors: dict[str, str],
                  width: int = 280, height: int = 110) -> str:
    """A small inline SVG of one metric's history per run (step on x, value on y)."""
    pad = 6
    clean = {run: [(float(s), float(v)) for s, v in points if math.isfinite(float(v))]
             for run, points in series.items()}
    values = [p for points in clean.values() for p in points]
    title = f'<div class="aios-plot-title"><b>{render.esc(metric)}</b></div>'
    if not values:
        return title + '<p class="aios-muted">No values to plot.</p>'
    xs, ys = [p[0] for p in values], [p[1] for p in values]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def at(x: float, y: float) -> str:
        px = pad + (x - x0) / (x1 - x0 or 1) * (width - 2 * pad)
        py = height - pad - (y - y0) / (y1 - y0 or 1) * (height - 2 * pad)
        return f"{px:.1f},{py:.1f}"

    shapes = []
    for run, points in clean.items():
        color = colors.get(run, "#555")
        tip = f"<title>{render.esc(labels.get(run, run))}: last {render.esc(render.short(points[-1][1]))}</title>" \
            if points else ""
        if len(points) == 1:
            x, y = at(*points[0]).split(",")
            shapes.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{color}">{tip}</circle>')
        elif points:
            shapes.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" '
                          f'points="{" ".join(at(*p) for p in points)}">{tip}</polyline>')
    axis = (f'<span class="aios-muted">{render.esc(render.short(y0))} – {render.esc(render.short(y1))} '
            f"over steps {render.esc(render.short(x0))} – {render.esc(render.short(x1))}</span>")
    return (f'{title}<svg class="aios-lineplot" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="History of {render.esc(metric)}">'
            f'<rect class="aios-plot-frame" x="0" y="0" width="{width}" height="{height}"/>'
            f'{"".join(shapes)}</svg><br>{axis}')


def plots(result: dict, chosen: list[str]) -> str:
    """One plot per chosen metric with a shared legend of the compared runs."""
    runs = result.get("runs") or []
    labels = {r["id"]: run_label(r) for r in runs}
    colors = {r["id"]: COLORS[i % len(COLORS)] for i, r in enumerate(runs)}
    legend = " ".join(f'<span style="color:{colors[r["id"]]}">■</span> {render.esc(labels[r["id"]])}' for r in runs)
    histories = result.get("histories") or {}
    stepped = [m for m in chosen if any(len(points) > 1 for points in (histories.get(m) or {}).values())]
    single = [m for m in chosen if m not in stepped]
    cells = [f'<div style="display:inline-block;margin:4px 12px 4px 0;vertical-align:top">'
             f"{line_plot_svg(m, histories.get(m) or {}, labels, colors)}</div>" for m in stepped]
    if not chosen:
        return render.note("Choose metrics to plot.")
    values = ""
    if single:   # one value per run is no history: a table says it better than a dot
        head = "".join(f"<th>{render.esc(labels[r['id']])}</th>" for r in runs)
        rows = "".join(
            f"<tr><th>{render.esc(m)}</th>"
            + "".join(f"<td>{render.esc(render.short(((histories.get(m) or {}).get(r['id']) or [[None, None]])[-1][1]))}"
                      "</td>" for r in runs) + "</tr>" for m in single)
        values = (f'<p class="aios-muted">{render.esc(", ".join(single))}: one value per run (no history)</p>'
                  f'<table class="aios-single-values"><thead><tr><th>metric</th>{head}</tr></thead>'
                  f"<tbody>{rows}</tbody></table>")
    return render.box(f"<div>{legend}</div>{''.join(cells)}{values}")
