"""The sidebar's Checks tab reads the same grouping and words as the dashboard's Quality page, over REST:
checks grouped by check with their latest verdict and history (`checks/overview`), and one run as a person
reads it (`checks/report`): a drift run's summary and columns with their distributions, not raw metrics."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import aios_serve
from tests.governed_fixtures import build_checked_workspace

TOKEN = "overview-token-5"
SUITES = """
suites:
  people_basics:
    dataset: hr.main.people
    required: true
    rules:
      - not_null: id
      - unique: id
  people_emails:
    dataset: hr.main.people
    rules:
      - regex: {column: email, pattern: "^raw"}
"""
DRIFT = {"kind": "drift", "reference": "(SELECT * FROM hr.main.events WHERE id < 500)",
         "current": "(SELECT * FROM hr.main.events WHERE id >= 500)", "columns": ["id", "kind"]}


@pytest.fixture(scope="module")
def rest(tmp_path_factory):
    root = build_checked_workspace(tmp_path_factory.mktemp("overview") / "ws", SUITES)
    with aios_serve(root, token=TOKEN, user="ana") as url:
        def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
            request = urllib.request.Request(f"{url}/aios/api/{path}", method=method,
                                             data=None if body is None else json.dumps(body).encode(),
                                             headers={"Authorization": f"Bearer {TOKEN}"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as exc:
                with exc:
                    return exc.code, json.loads(exc.read())

        for _ in range(2):
            assert rest_ok(call("POST", "checks/run", {"kind": "quality"}))
        assert rest_ok(call("POST", "checks/run", DRIFT))
        yield call


def rest_ok(answer: tuple[int, dict]) -> dict:
    status, body = answer
    assert status == 200, body
    return body


def test_the_overview_groups_runs_by_check_with_latest_verdict_history_and_words(rest):
    overview = rest_ok(rest("GET", "checks/overview"))

    by_name = {group["name"]: group for group in overview["checks"]}
    basics = by_name["people_basics"]
    assert (basics["category"], basics["status"], basics["runs"]) == ("quality", "pass", 2)
    assert [point["status"] for point in basics["history"]] == ["pass", "pass"]
    assert basics["latest"]["verdict"] == "Passed: all 2 rules passed."
    [drift] = [g for g in overview["checks"] if g["category"] == "drift"]
    assert drift["label"].startswith("Drift: events where id < 500 → events where id ≥ 500")
    assert "SELECT" not in drift["label"]
    assert overview["summary"]["sentence"].startswith("3 checks:")
    assert overview["newest_id"] == drift["latest"]["id"]


def test_the_overview_filters_by_kind_and_the_notebook_that_recorded(rest):
    drift_only = rest_ok(rest("GET", "checks/overview?kind=drift"))
    from_notebook = rest_ok(rest("GET", "checks/overview?notebook=notebooks/none.ipynb"))

    assert {g["category"] for g in drift_only["checks"]} == {"drift"}
    assert from_notebook["checks"] == [] and from_notebook["summary"]["sentence"] == "No checks yet."


def test_a_drift_report_says_per_column_the_test_statistic_threshold_and_distributions(rest):
    overview = rest_ok(rest("GET", "checks/overview?kind=drift"))
    run_id = overview["checks"][0]["latest"]["id"]

    report = rest_ok(rest("GET", f"checks/report?id={run_id}"))

    drift = report["drift"]
    assert report["rows"] is None and report["run"]["id"] == run_id
    assert drift["tested"] == 2 and drift["why"] == report["run"]["verdict"]
    columns = {c["column"]: c for c in drift["columns"]}
    assert columns["id"]["verdict"] == "drifted"    # ids 0..499 against 500..999
    assert columns["id"]["test"] and columns["id"]["why"].startswith("drifted: ")
    assert isinstance(columns["id"]["threshold"], float)
    dist = columns["id"]["distribution"]
    assert dist["kind"] in ("histogram", "categories") and len(dist["ref"]) == len(dist["cur"])
    assert "wasserstein_error_bound" not in json.dumps(drift)


def test_a_quality_report_lists_items_failing_first_in_words(rest):
    overview = rest_ok(rest("GET", "checks/overview?kind=quality"))
    emails = next(g for g in overview["checks"] if g["name"] == "people_emails")

    report = rest_ok(rest("GET", f"checks/report?id={emails['latest']['id']}"))

    assert report["drift"] is None
    [row] = report["rows"]
    assert row["status"] == "fail" and row["why"].endswith("rows fail")


def test_a_report_of_an_unknown_run_or_without_an_id_is_a_clear_error(rest):
    status, body = rest("GET", "checks/report?id=999999")
    missing_status, missing = rest("GET", "checks/report")

    assert status == 404 and "999999" in body["message"]
    assert missing_status == 400 and "id" in missing["message"] and "?id=" in missing["fix"]
