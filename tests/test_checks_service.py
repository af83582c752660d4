"""Checks from the kernel: run in the service as the caller, recorded in the ledger, shown compactly."""

from __future__ import annotations

import pytest

from aios_workbench.checks.result import CheckFailed
from aios_workbench.kernel import client as kernel_client
from tests.conftest import aios_serve
from tests.governed_fixtures import build_checked_workspace, open_governed_service

TOKEN = "checks-token-7"
SUITES = """
suites:
  people_basics:
    dataset: hr.main.people
    required: true
    rules:
      - not_null: id
      - unique: id
      - sql: {name: eu_only_expected, predicate: "region = 'EU'"}
  people_emails:
    dataset: hr.main.people
    rules:
      - regex: {column: email, pattern: "^raw"}
"""


@pytest.fixture(scope="module")
def checked_root(tmp_path_factory):
    return build_checked_workspace(tmp_path_factory.mktemp("checks") / "ws", SUITES)


@pytest.fixture(scope="module")
def as_ana(checked_root):
    import aios_workbench as wb

    with aios_serve(checked_root, token=TOKEN, user="ana") as url:
        wb.connect(url, TOKEN)
        yield wb


def test_quality_runs_in_the_service_under_the_callers_masks(as_ana):
    report = as_ana.quality()

    by_name = {r.name: r for r in report}
    assert by_name["people_basics"].passed                     # ana sees only EU rows
    emails = by_name["people_emails"]
    assert not emails.passed                                   # hashed e-mails never match the raw pattern
    examples = str(emails.items[0].detail.get("examples"))
    assert "secret.example" not in examples
    assert all(isinstance(i, int) for i in report.ledger_ids)
    html = report._repr_html_()
    assert "people_basics" in html and len(html.encode()) < 200_000
    with pytest.raises(CheckFailed, match="people_emails"):
        report.raise_on_fail()


def test_declared_suites_are_listed_for_pickers_and_progress(as_ana):
    from aios_workbench.kernel import client

    listed = client._client.get("checks/suites")

    assert [(s["name"], s["dataset"], s["rules"]) for s in listed["suites"]] == [
        ("people_basics", "hr.main.people", 3), ("people_emails", "hr.main.people", 1)]
    assert listed["monitors"] == []
    # wb.quality() runs them one request per suite, in declaration order, as one report
    assert [r.name for r in as_ana.quality()] == ["people_basics", "people_emails"]


def test_drift_and_fairness_from_the_kernel(as_ana):
    drifted = as_ana.drift("(SELECT * FROM hr.main.events WHERE id < 150000)",
                           "(SELECT * FROM hr.main.events WHERE id >= 150000)", columns=["id", "kind"])
    items = {i.name: i for i in drifted[0].items}
    assert items["id"].status == "fail" and items["kind"].status == "pass"

    fair = as_ana.fairness("(SELECT kind % 2 AS y, (kind + 1) % 2 AS p, kind % 3 AS g FROM hr.main.events)",
                           y_true="y", y_pred="p", sensitive="g")
    assert {i.name for i in fair[0].items} >= {"demographic_parity_difference", "equalized_odds_difference"}


def test_full_evidently_report_only_on_request_saved_as_a_file(as_ana, tmp_path):
    from aios_workbench.core.errors import WorkbenchError
    from tests.governed_fixtures import RAW_MARKERS

    target = tmp_path / "reports" / "people_drift.html"
    drifted = as_ana.drift("(SELECT * FROM hr.main.people WHERE id < 4)", "(SELECT * FROM hr.main.people WHERE id >= 4)",
                           columns=["email", "region"], report=str(target), sample_rows=1000)

    html = target.read_text()
    assert len(html) > 1_000_000 and "Drift Summary" in html   # Evidently's full report, inlined script
    assert not any(marker in html for marker in RAW_MARKERS)         # sampled as ana: e-mails hashed
    inline = drifted._repr_html_()
    assert drifted.report_path == str(target) and str(target) in inline and len(inline) < 200_000
    with pytest.raises(WorkbenchError, match="sample_rows must be a whole number"):
        as_ana.drift("hr.main.people", "hr.main.people", report=str(tmp_path / "x.html"), sample_rows=0)
    assert not (tmp_path / "x.html").exists()


def test_bad_check_parameters_name_the_input(as_ana):
    from aios_workbench.core.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match="unknown checks plugin 'nonsense'"):
        kernel_client._check("nonsense", {})
    with pytest.raises(WorkbenchError, match="unknown quality suite|no_such_suite"):
        as_ana.quality("no_such_suite")


def test_history_hides_other_users_examples(checked_root, as_ana):
    as_ana.quality("people_emails")
    service = open_governed_service(checked_root)
    try:
        own = service.checks.history("ana", name="people_emails", limit=1)[0]
        other = service.checks.history("otto", name="people_emails", limit=1)   # no grant on hr.main.people
        steward = service.checks.history("sam", name="people_emails", limit=1)[0]
    finally:
        service.close()
    assert own["items"][0]["detail"].get("examples")
    assert other == []                       # the whole entry, not only its examples (tests/test_ledger_governance.py)
    assert steward["items"][0]["detail"].get("examples")   # his view covers ana's: she saw less than he may


def test_explain_from_the_kernel_reads_a_governed_sample(as_ana):
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    frame = as_ana.sql("SELECT id % 7 AS a, id % 2 AS b, kind FROM hr.main.events LIMIT 5000", as_="pandas")
    model = DecisionTreeClassifier(random_state=0).fit(frame[["a", "b"]], frame["kind"])

    report = as_ana.explain(model, "(SELECT id % 7 AS a, id % 2 AS b, kind FROM hr.main.events)", target="kind",
                            sample=2000, n_repeats=2)

    ranks = [i.name for i in report[0].items]
    assert ranks[0] == "a" and np.isfinite(report[0].items[0].metrics["importance_mean"])
    assert "<svg" in report._repr_html_()


def test_model_registry_over_rest(as_ana):
    from aios_workbench.core.errors import WorkbenchError

    client = kernel_client.service_client()
    assert client.get("models") == {"versions": []}
    with pytest.raises(WorkbenchError, match="missing version"):
        client.post("models/promote", {"name": "delay-model"})
    with pytest.raises(WorkbenchError) as info:
        client.post("models/promote", {"name": "delay-model", "version": "1"})
    assert info.value.code in ("not_found", "permission_denied", "promotion_refused")
