"""Compact inline display of check results in notebooks (well under 200 KB per output)."""

from __future__ import annotations

from html import escape

from aios_workbench.checks.result import CheckItem, CheckResult

_COLOURS = {"pass": "#2e7d32", "warn": "#ed6c02", "fail": "#c62828", "error": "#6a1b9a"}
MAX_ITEMS = 200


def from_dict(data: dict) -> CheckResult:
    """A `CheckResult` rebuilt from its JSON form (as the service returns it)."""
    fields = {k: data[k] for k in ("kind", "name", "inputs", "params", "required", "severity", "started_at",
                                   "duration_s", "error") if k in data}
    items = [CheckItem(i["name"], i["status"], i.get("metrics") or {}, i.get("detail") or {})
             for i in data.get("items", [])]
    return CheckResult(items=items, **fields)


def _badge(status: str) -> str:
    return (f"<span style='background:{_COLOURS.get(status, '#555')};color:white;border-radius:3px;"
            f"padding:0 5px;font-size:11px'>{escape(status.upper())}</span>")


def _bar(value, threshold) -> str:
    """A 60 px bar of a statistic against its threshold (the threshold is the tick)."""
    if not isinstance(value, (int, float)) or not isinstance(threshold, (int, float)) or threshold <= 0:
        return ""
    scale = max(value, threshold) * 1.25 or 1
    width, tick = 60 * min(value / scale, 1), 60 * threshold / scale
    colour = "#c62828" if value >= threshold else "#2e7d32"
    return (f"<svg width='62' height='10'><rect x='0' y='2' width='{width:.1f}' height='6' fill='{colour}'/>"
            f"<line x1='{tick:.1f}' x2='{tick:.1f}' y1='0' y2='10' stroke='#333'/></svg>")


def distribution_svg(dist: dict | None, width: int = 120, height: int = 28) -> str:
    """Reference (grey) and current (colour) shares side by side: a histogram or the top categories."""
    if not dist or not dist.get("ref"):
        return ""
    ref, cur = dist["ref"], dist["cur"]
    n, top = len(ref), max(max(ref), max(cur), 1e-9)
    step = width / n
    bars = []
    for i, (r, c) in enumerate(zip(ref, cur, strict=False)):
        for j, (share, colour) in enumerate(((r, "#9e9e9e"), (c, "#1565c0"))):
            h = height * share / top
            bars.append(f"<rect x='{i * step + j * step / 2:.1f}' y='{height - h:.1f}' width='{step / 2:.1f}' "
                        f"height='{h:.1f}' fill='{colour}'/>")
    if dist["kind"] == "histogram":
        title = f"reference (grey) vs current (blue), {dist['lo']:.4g} to {dist['hi']:.4g}"
    else:
        title = "reference (grey) vs current (blue): " + ", ".join(dist["labels"])
    return (f"<svg width='{width}' height='{height}' role='img' aria-label='{escape(title, quote=True)}'>"
            f"<title>{escape(title)}</title>{''.join(bars)}</svg>")


def result_html(result: CheckResult) -> str:
    head = (f"<div style='margin:2px 0'><b>{escape(result.kind)}</b> {escape(result.name)} "
            f"{_badge(result.status)} <span style='color:#777'>{len(result.items)} items, "
            f"{result.duration_s:.1f} s</span></div>")
    if result.error:
        return head + f"<div style='color:#6a1b9a'>{escape(result.error)}</div>"
    rows = []
    for item in result.items[:MAX_ITEMS]:
        m, d = item.metrics, item.detail
        value = m.get("statistic", m.get("value", m.get("failing_rows", m.get("importance_mean"))))
        shown = f"{value:.4g}" if isinstance(value, float) else ("" if value is None else escape(str(value)))
        test = escape(str(d.get("stattest") or d.get("rule") or d.get("test") or ""))
        bar = _bar(m.get("statistic"), m.get("threshold")) if "p_value" not in m else ""
        if item.status == "fail":     # a drifted column shows its distributions, reference vs current
            bar += distribution_svg(d.get("distribution"))
        rows.append(f"<tr><td style='text-align:left'>{escape(item.name)}</td><td>{_badge(item.status)}</td>"
                    f"<td style='text-align:left'>{test}</td><td>{shown}</td><td>{bar}</td></tr>")
    more = (f"<tr><td colspan='5'>… {len(result.items) - MAX_ITEMS} more items</td></tr>"
            if len(result.items) > MAX_ITEMS else "")
    return (head + "<table style='font-size:12px'><tr><th style='text-align:left'>item</th><th>status</th>"
            "<th style='text-align:left'>test / rule</th><th>value</th><th></th></tr>" + "".join(rows) + more
            + "</table>")


class CheckReport:
    """What `wb.quality()`, `wb.drift()` and `wb.fairness()` return: one or more results."""

    def __init__(self, results: list[CheckResult], ledger_ids: list[int | None]):
        self.results = results
        self.ledger_ids = ledger_ids
        self.chart = ""  # an inline SVG shown under the table (explain's importance bars)
        self.report_path: str | None = None   # a full Evidently report saved on request

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index):
        return self.results[index]

    def raise_on_fail(self) -> CheckReport:
        """Raise `CheckFailed` for the first required or failing result; for pipelines."""
        for result in self.results:
            result.raise_on_fail()
        return self

    def _repr_html_(self) -> str:
        link = (f"<div style='font-size:12px'>Full Evidently report: <a href='{escape(self.report_path, quote=True)}' "
                f"target='_blank'>{escape(self.report_path)}</a></div>" if self.report_path else "")
        return "".join(result_html(r) for r in self.results) + self.chart + link

    def __repr__(self) -> str:
        return "\n".join(f"{r.kind} {r.name}: {r.status}" for r in self.results)
