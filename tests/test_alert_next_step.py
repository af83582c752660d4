"""An alert that names the decision app to act on it (`detail.link`) says so on the Alerts page, with a link that
opens the app with the alert's values (the Apps page's shareable link)."""

from __future__ import annotations

import json
import urllib.parse

from aios_workbench.surfaces.dashboard.pages.alerts import _next_step


def test_an_alert_pointing_to_an_app_links_to_it_with_its_values():
    html = _next_step({"detail": {"link": {"app": "switch_suppliers", "params": {"region": "Southeast Asia"}}}})
    assert "Open the Switch suppliers app for this" in html
    href = html.split('href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    query = urllib.parse.parse_qs(href)
    assert query["page"] == ["apps"] and query["app"] == ["switch_suppliers"]
    assert json.loads(query["values"][0]) == {"region": "Southeast Asia"}


def test_alerts_without_an_app_or_with_a_malformed_link_show_no_link():
    assert _next_step({"detail": {}}) == ""
    assert _next_step({"detail": None}) == ""
    assert _next_step({"detail": {"link": {"app": ["x"]}}}) == ""
    assert "&lt;script" in _next_step({"detail": {"link": {"app": "<script>", "params": {}}}})   # escaped
