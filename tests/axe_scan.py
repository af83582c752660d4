"""axe-core in a Playwright page, for tests/test_accessibility.py: run it on parts of the page, tell findings in
libraries' markup from ours, keep every finding in a report file, fail on serious or critical ones of ours.

axe-core comes from the `axe-playwright-python` wheel (its bundled axe.min.js), so nothing is downloaded."""

from __future__ import annotations

import json

from tests.conftest import artifact

BLOCKING = {"serious", "critical"}
AXE_OPTIONS = {  # WCAG 2.1 A and AA, plus axe's best practices (landmarks, headings)
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
    "iframes": False,  # an iframe's document is a user's notebook output or app page, not our markup
}
# Findings in markup that is not ours: (rule, a component on the element's path, the element) -> why. Kept in
# the report files, not counted. Each is a library's own markup inside a widget we use; none is a colour of ours.
NOT_OURS = {
    ("list", "#sidebar", "ul.nav"): "Panel's FastListTemplate puts the sidebar's items straight into a <ul>",
    (
        "aria-required-children",
        ".bk-panel-models-tabulator-DataTabulator",
        ".tabulator",
    ): "Tabulator's grid role holds its header's buttons and scroll divs",
    (
        "aria-allowed-attr",
        ".bk-MultiChoice",
        ".choices__item",
    ): "Choices.js (Panel's MultiChoice) sets aria-selected on plain items",
    ("color-contrast", ".bk-MultiChoice", ".choices__input"): "Choices.js's search field, on Fast's dark fill",
    ("label", ".bk-Checkbox", "input[type=checkbox]"): "Bokeh's Checkbox: its text is not a <label> of the <input>",
    ("label", ".bk-DatePicker", "input[readonly]"): "flatpickr's display copy of Bokeh's DatePicker input",
    ("aria-input-field-name", ".bk-Slider", ".noUi-handle"): "noUiSlider's handle in Bokeh's Slider has no name",
}


def axe(page, include: list[str], exclude: list[str] | None = None) -> list[dict] | None:
    """axe-core's violations within the elements `include` selects (None when none is on the page)."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    result = page.evaluate(
        """async ([include, exclude, options]) => {
            const present = list => list.filter(s => document.querySelector(s)).map(s => [s]);
            const context = {include: present(include), exclude: present(exclude)};
            if (!context.include.length) return null;
            return (await axe.run(context, options)).violations;
        }""",
        [include, exclude or [], AXE_OPTIONS],
    )
    if result is not None:
        for violation in result:
            violation["not_ours"] = not_ours(page, violation)
    return result


def not_ours(page, violation: dict) -> str:
    """Why every element of `violation` is someone else's markup (NOT_OURS), or ""."""
    reasons = set()
    for node in violation["nodes"]:
        path = node["target"][0] if isinstance(node["target"][0], list) else node["target"]
        hit = [
            reason
            for (rule, within, selector), reason in NOT_OURS.items()
            if rule == violation["id"] and page.evaluate(ON_PATH, [path, within, selector])
        ]
        if not hit:
            return ""
        reasons.update(hit)
    return "; ".join(sorted(reasons))


# Whether the element at axe's target path (one selector per shadow root) matches `selector`, inside an element
# (a shadow host on the way, or one of its ancestors) that matches `within`.
ON_PATH = """([path, within, selector]) => {
    let root = document, element = null, inside = false;
    for (const step of path) {
        element = root.querySelector(step);
        if (!element) return false;
        inside = inside || !!element.closest(within);
        root = element.shadowRoot || root;
    }
    return inside && element.matches(selector);
}"""


def described(where: str, violations: list[dict]) -> list[str]:
    """One readable line per blocking violation: where, rule, impact, the first elements and why."""
    lines = []
    for v in violations:
        if v["impact"] not in BLOCKING or v.get("not_ours"):
            continue
        nodes = v["nodes"][:3]
        targets = "; ".join(" > ".join(map(str, n["target"])) for n in nodes)
        why = (nodes[0].get("failureSummary") or "").replace("\n", " ")[:240] if nodes else ""
        lines.append(f"{where}: {v['id']} ({v['impact']}, {len(v['nodes'])} elements) {v['help']} — {targets} — {why}")
    return lines


class Findings:
    """Violations of one surface and theme, kept for the report file and the final assertion."""

    def __init__(self, surface: str, theme: str):
        self.surface, self.theme = surface, theme
        self.scanned: dict[str, list[dict]] = {}

    def add(self, where: str, violations: list[dict] | None) -> None:
        assert violations is not None, f"nothing of ours to scan on {where} ({self.theme} theme)"
        self.scanned[where] = violations
        self.write()  # as it goes: a screen that fails to open later still leaves what was found

    def write(self) -> None:
        report = {
            where: [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "not_ours": v["not_ours"],
                    "elements": len(v["nodes"]),
                    "targets": [n["target"] for n in v["nodes"][:5]],
                    "html": [n["html"][:300] for n in v["nodes"][:5]],
                }
                for v in found
            ]
            for where, found in self.scanned.items()
        }
        artifact(f"a11y-{self.surface}-{self.theme}.json").write_text(json.dumps(report, indent=1))

    def assert_clean(self) -> None:
        self.write()
        problems = [line for where, found in self.scanned.items() for line in described(f"{self.theme} {where}", found)]
        assert not problems, "serious or critical accessibility violations:\n" + "\n".join(problems)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)
