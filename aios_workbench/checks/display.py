"""Compact inline display of check results in notebooks (well under 200 KB per output)."""

from __future__ import annotations

from html import escape

from aios_workbench.checks.result import (
    DATASET_DRIFT,
    CheckItem,
    CheckResult,
    check_label,
    failing_first,
    verdict_sentence,
)

# Badge colours with white text at 4.5:1 or more (WCAG AA); JupyterLab's theme variables where it has them.
_COLOURS = {"pass": "#1b5e20", "warn": "#8a4b00", "fail": "#b71c1c", "error": "#6a1b9a"}
_MUTED = "var(--jp-ui-font-color2, #616161)"
MAX_ITEMS = 200


def from_dict(data: dict) -> CheckResult:
    """A `CheckResult` rebuilt from its JSON form (as the service returns it)."""
    fields = {k: data[k] for k in ("kind", "name", "inputs", "params", "required", "severity", "started_at",
                                   "duration_s", "error") if k in data}
    items = [CheckItem(i["name"], i["status"], i.get("metrics") or {}, i.get("detail") or {})
             for i in data.get("items", [])]
    return CheckResult(items=items, **fields)


def _badge(status: str) -> str:
    return (f"<span style='background:{_COLOURS.get(status, '#424242')};color:white;border-radius:3px;"
            f"padding:0 5px;font-size:11px'>{escape(status.upper())}</span>")


def _bar(value, threshold) -> str:
    """A 60 px bar of a statistic against its threshold (the threshold is the tick)."""
    if not isinstance(value, (int, float)) or not isinstance(threshold, (int, float)) or threshold <= 0:
        return ""
    scale = max(value, threshold) * 1.25 or 1
    width, tick = 60 * min(value / scale, 1), 60 * threshold / scale
    colour = _COLOURS["fail"] if value >= threshold else _COLOURS["pass"]
    return (f"<svg width='62' height='10' aria-hidden='true'><rect x='0' y='2' width='{width:.1f}' height='6' "
            f"fill='{colour}'/><line x1='{tick:.1f}' x2='{tick:.1f}' y1='0' y2='10' "
            f"stroke='var(--jp-ui-font-color1, #333)'/></svg>")


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


def _number(value) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def item_words(kind: str, item: CheckItem) -> tuple[str, str, str]:
    """(test or rule, value, verdict in words) of one item, e.g. ("Wasserstein distance (normed)", "0.186",
    "drifted: 0.186 is at or above the threshold 0.1")."""
    m, d = item.metrics, item.detail
    if item.status == "error":
        return "", "", str(d.get("error") or "could not be tested")
    if kind == "drift" and item.name == DATASET_DRIFT:
        drifted, columns = m.get("drifted_columns"), m.get("columns")
        share, needed = m.get("share"), m.get("threshold")
        if isinstance(share, (int, float)) and isinstance(needed, (int, float)):
            whole = "the dataset drifted" if item.status == "fail" else "the dataset did not drift"
            return ("share of drifted columns", f"{drifted} of {columns}",
                    f"{whole}: {share:.0%} drifted, {needed:.0%} needed")
    if kind == "drift" and "statistic" in m:
        test = str(d.get("stattest_display") or d.get("stattest") or "")
        statistic, threshold = m.get("statistic"), m.get("threshold")
        p_value = "p_value" in m
        test = test.replace(" p_value", " p-value")
        if p_value:
            rule = f"p-value {_number(statistic)} {'≤' if item.status == 'fail' else '>'} {_number(threshold)}"
        else:
            rule = f"{_number(statistic)} {'≥' if item.status == 'fail' else '<'} threshold {_number(threshold)}"
        return test, _number(statistic), ("drifted: " if item.status == "fail" else "no drift: ") + rule
    value = m.get("statistic", m.get("value", m.get("failing_rows", m.get("importance_mean"))))
    test = str(d.get("stattest_display") or d.get("rule") or d.get("test") or "")
    threshold = m.get("threshold")
    if isinstance(m.get("failing_rows"), int) and isinstance(m.get("rows"), int):
        words = f"{m['failing_rows']:,} of {m['rows']:,} rows fail"
    elif "failing_rows" in m:
        words = f"{_number(m['failing_rows'])} failing rows"
    elif isinstance(threshold, (int, float)) and value is not None:
        words = f"{_number(value)} against the threshold {_number(threshold)}"
    else:
        words = ""
    return test, _number(value), words


def result_html(result: CheckResult) -> str:
    """The result as a small HTML block: its label and verdict, a sentence saying why, then its items with
    the failing ones first, each with its test, value and verdict in words (a drifted column with its
    reference and current distributions)."""
    label = check_label(result.kind, result.name, [k for k in result.inputs if "." in str(k)])
    head = (f"<div style='margin:2px 0'><b>{escape(result.kind)}</b> "
            f"<span title='{escape(result.name, quote=True)}'>{escape(label)}</span> "
            f"{_badge(result.status)} <span style='color:{_MUTED}'>{len(result.items)} items, "
            f"{result.duration_s:.1f} s</span></div>")
    why = verdict_sentence(result.kind, result.status, result.items, severity=result.severity, error=result.error)
    head += f"<div style='margin:2px 0' data-verdict='{escape(result.status, quote=True)}'>{escape(why)}</div>"
    if result.error:
        return head + f"<div style='color:var(--jp-error-color1, #b71c1c)'>{escape(result.error)}</div>"
    rows = []
    ordered = failing_first(result.items)
    for item in ordered[:MAX_ITEMS]:
        test, shown, words = item_words(result.kind, item)
        m, d = item.metrics, item.detail
        bar = _bar(m.get("statistic"), m.get("threshold")) if "p_value" not in m else ""
        if item.status == "fail":     # a drifted column shows its distributions, reference vs current
            bar += distribution_svg(d.get("distribution"))
        rows.append(f"<tr><td style='text-align:left'>{escape(item.name)}</td><td>{_badge(item.status)}</td>"
                    f"<td style='text-align:left'>{escape(test)}</td><td>{escape(shown)}</td>"
                    f"<td style='text-align:left'>{escape(words)}</td><td>{bar}</td></tr>")
    more = (f"<tr><td colspan='6'>… {len(result.items) - MAX_ITEMS} more items</td></tr>"
            if len(result.items) > MAX_ITEMS else "")
    return (head + "<table style='font-size:12px'><tr><th style='text-align:left'>item</th><th>status</th>"
            "<th style='text-align:left'>test / rule</th><th>value</th><th style='text-align:left'>verdict</th>"
            "<th>chart</th></tr>" + "".join(rows) + more + "</table>")


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
