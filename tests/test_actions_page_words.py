"""The Actions page says an action's evidence in words (yes/no, named parts), not as Python or JSON."""

from aios_workbench.surfaces.dashboard.pages.actions import _value


def test_evidence_values_read_as_words():
    assert _value(True) == "yes" and _value(False) == "no"
    assert _value(["SUP-1", "SUP-2"]) == "SUP-1, SUP-2"
    assert _value({"orders_at_risk": 14, "minority_owned": False}) == "orders at risk: 14; minority owned: no"
    assert _value(None) == ""
