"""The dashboard's own colours in Panel's light ("default") and dark themes, at WCAG AA.

Pages colour their text with CSS custom properties (`color:var(--aios-muted)`, see `TONES`), never with a
fixed hex: a colour that reads on white (#52606d, 6.5:1) is 3:1 on the dark theme's #212121. The values
are set on the main area's and the sidebar's root (`stylesheet`) for the session's theme, and custom
properties inherit into the shadow roots Panel renders each pane in. The theme comes from the page's
`?theme=dark` (the header's switch reloads the page with it), so one value per session is enough.
"""

from __future__ import annotations

import panel as pn
from panel.theme.base import Inherit
from panel.viewable import Viewable

# name -> (light, dark). Text tones are 4.5:1 or more on the theme's background and cards (light: #ffffff;
# dark: #181818 and #212121, and the sidebar's #2b3035 at 4.6:1 or more); `rule` is for borders.
TONES: dict[str, tuple[str, str]] = {
    "text": ("#1f2328", "#e5e5e5"),
    "muted": ("#52606d", "#a3aeb9"),
    "accent": ("#0b6e99", "#6cb6ff"),
    "good": ("#1a7f37", "#57ab5a"),
    "bad": ("#b42318", "#ff7b72"),
    "warn": ("#9a6700", "#d29922"),
    "rule": ("#d9dee5", "#3d444d"),
}


def tone(name: str) -> str:
    """The CSS value of tone `name` for an inline style, e.g. `var(--aios-muted, #52606d)`."""
    light, _ = TONES[name]
    return f"var(--aios-{name}, {light})"


def current_theme() -> str:
    """The theme of the session being built, "dark" or "default" (its page's `?theme=`)."""
    return "dark" if pn.config.theme == "dark" else "default"


def stylesheet(theme: str | None = None) -> str:
    """The tones of `theme` (default: the session's) as custom properties of a component's root."""
    dark = (theme or current_theme()) == "dark"
    values = "".join(f"--aios-{name}:{pair[1] if dark else pair[0]};" for name, pair in TONES.items())
    return f":host{{{values}}}"


# Every component's links in the accent tone: Fast's link colour is 2.6:1 on the dark background (#0a6288 on
# #181818) and 4.3:1 on a light table's grey rows. `:host` outranks Tabulator's `.tabulator-cell a`.
LINKS = ":host a:link,:host a:visited,a:link,a:visited{color:var(--aios-accent, #0b6e99)}"


def design_modifiers() -> dict:
    """Modifiers for the dashboard's Panel design: `LINKS` in every component's shadow root."""
    return {Viewable: {"stylesheets": [Inherit, LINKS]}}


def switch() -> pn.widgets.Button:
    """The header's theme switch: a named button (Panel's own switch has no accessible name) that reloads
    the page in the other theme, keeping the page and its other URL parameters."""
    other = "default" if current_theme() == "dark" else "dark"
    button = pn.widgets.Button(
        name="Light theme" if other == "default" else "Dark theme",
        button_type="light",
        width=120,
        align="center",
        margin=(0, 10),
    )
    button.js_on_click(
        code=f"const url = new URL(window.location.href); url.searchParams.set('theme', '{other}'); "
        "window.location.href = url.href;"
    )
    return button
