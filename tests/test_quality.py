"""Data-quality suites: every rule passes and fails through the governed path, masked and filtered."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta

import duckdb
import pytest
from click.testing import CliRunner

from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.quality import (
    AcceptedValues,
    Freshness,
    NotNull,
    Range,
    References,
    Regex,
    RowCount,
    SqlPredicate,
    Unique,
    UnknownColumn,
    governed_runner,
)
from aios_workbench.checks.result import CheckFailed
from aios_workbench.checks.suites import Suite, load_suites, select_suites
from aios_workbench.core.errors import ConfigError, NotFound, UsageError
from aios_workbench.surfaces.cli.check_commands import check
from tests.governed_fixtures import (
    EU_ROWS,
    FILTERED_MARKER,
    RAW_MARKERS,
    build_governed_workspace,
    open_governed_service,
)

DELIVERIES = "hr.main.deliveries"
PEOPLE = "hr.main.people"


def _add_deliveries(root) -> None:
    """20 deliveries (steward-only): one NULL weight, one unknown carrier, one bad code, one dangling person,
    one delivered before it shipped; the newest shipped an hour ago."""
    now = datetime.now().replace(microsecond=0)
    rows = []
    for i in range(20):
        shipped = now - timedelta(hours=1 + i)
        rows.append((i, 99 if i == 3 else i % 12, "Unknown" if i == 4 else ("UPS", "DHL")[i % 2],
                     "bad" if i == 6 else f"D-{i:04d}", None if i == 5 else 1.5 * i,
                     shipped, shipped - timedelta(hours=2) if i == 7 else shipped + timedelta(days=2)))
    con = duckdb.connect(str(root / "hr.duckdb"))
    con.execute("CREATE TABLE deliveries (id INTEGER, person_id INTEGER, carrier VARCHAR, code VARCHAR, "
                "weight DOUBLE, shipped_at TIMESTAMP, delivered_at TIMESTAMP)")
    con.executemany("INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    root = build_governed_workspace(tmp_path_factory.mktemp("quality") / "ws")
    _add_deliveries(root)
    service = open_governed_service(root)
    yield root, service
    service.close()


def runner_for(service, user):
    return governed_runner(service.queries, user=user)


# (passing rule, failing rule, failing rows of the failing rule) on hr.main.deliveries, as the steward
RULE_CASES = {
    "not_null": (NotNull("id"), NotNull("weight"), 1),
    "unique": (Unique("id"), Unique("carrier"), 17),
    "accepted_values": (AcceptedValues("carrier", values=["UPS", "DHL", "Unknown"]),
                        AcceptedValues("carrier", values=["UPS", "DHL"]), 1),
    "range": (Range("weight", min=0, max=28.5), Range("weight", min=0, max=10.5, max_inclusive=False), 13),
    "range_inclusive": (Range("weight", min=0, max=28.5, min_inclusive=True),
                        Range("weight", min=0, max=10.5), 12),
    "regex": (Regex("carrier", pattern="^[A-Z]"), Regex("code", pattern="^D-[0-9]{4}$"), 1),
    "references": (References("id", dataset="hr.main.events"),
                   References("person_id", dataset=PEOPLE, to="id"), 1),
    "sql": (SqlPredicate("weight >= 0", name="weight_not_negative"),
            SqlPredicate("delivered_at >= shipped_at", name="delivered_after_shipped"), 1),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_each_row_rule_passes_and_fails_with_its_failing_count(governed, case):
    _, service = governed
    passing, failing, expected = RULE_CASES[case]

    rules = [dataclasses.replace(passing, name="good"), dataclasses.replace(failing, name="bad")]
    result = Suite(DELIVERIES, rules, name=case).run(runner_for(service, "sam"))

    good, bad = result.items
    assert (good.status, good.metrics["failing_rows"], good.metrics["rows"]) == ("pass", 0, 20)
    assert (bad.status, bad.metrics["failing_rows"]) == ("fail", expected)
    assert bad.metrics["failing_fraction"] == pytest.approx(expected / 20)
    assert 1 <= len(bad.detail["examples"]) <= 5 and "examples" not in good.detail
    assert bad.detail["predicate"] and result.status == "fail" and not result.passed


def test_row_count_and_freshness_pass_and_fail_on_observations(governed):
    _, service = governed
    suite = Suite(DELIVERIES, [RowCount(min=20, max=20, name="exactly_20"), RowCount(min=21, name="at_least_21"),
                               Freshness("shipped_at", max_age="1d", name="fresh_1d"),
                               Freshness("shipped_at", max_age="30m", name="fresh_30m")])

    items = {i.name: i for i in suite.run(runner_for(service, "sam")).items}

    assert items["exactly_20"].status == "pass" and items["at_least_21"].status == "fail"
    assert items["at_least_21"].metrics["rows"] == 20
    assert items["fresh_1d"].status == "pass" and items["fresh_30m"].status == "fail"
    assert items["fresh_1d"].metrics["age_hours"] == pytest.approx(1.0, abs=0.2)
    assert items["fresh_30m"].metrics["max_age_hours"] == 0.5


def test_failing_examples_come_back_masked_and_row_filtered(governed):
    _, service = governed
    suite = Suite(PEOPLE, [Range("id", max=3, name="small_ids"), NotNull("email")], name="people")

    as_analyst = suite.run(runner_for(service, "ana"))
    as_steward = suite.run(runner_for(service, "sam"))

    item = as_analyst.items[0]
    assert item.metrics == {"failing_rows": EU_ROWS - 4, "rows": EU_ROWS, "failing_fraction": 0.5}
    shown = json.dumps(as_analyst.to_dict())
    assert not any(marker in shown for marker in RAW_MARKERS + (FILTERED_MARKER,))
    assert {row["ssn"] for row in item.detail["examples"]} == {"***"}
    assert all(row["region"] == "EU" for row in item.detail["examples"])
    # the steward sees every row raw: the difference is the policy, applied by the governed path
    assert as_steward.items[0].metrics["failing_rows"] == 12 - 4
    assert "secret.example" in json.dumps(as_steward.items[0].detail["examples"])


def test_rules_check_what_the_identity_sees(governed):
    _, service = governed
    # salary is masked to NULL for analysts: a not_null rule fails for them and passes for the steward
    suite = Suite(PEOPLE, [NotNull("salary")])

    assert suite.run(runner_for(service, "ana")).items[0].metrics["failing_rows"] == EU_ROWS
    assert suite.run(runner_for(service, "sam")).passed


def test_tolerance_by_mostly_or_max_failing(governed):
    _, service = governed
    suite = Suite(DELIVERIES, [Range("weight", max=10.5, max_inclusive=False, mostly=0.3, name="mostly_30"),
                               Range("weight", max=10.5, max_inclusive=False, mostly=0.4, name="mostly_40"),
                               Range("weight", max=10.5, max_inclusive=False, max_failing=13, name="max_13"),
                               Range("weight", max=10.5, max_inclusive=False, max_failing=12, name="max_12")])

    status = {i.name: i.status for i in suite.run(runner_for(service, "sam")).items}

    assert status == {"mostly_30": "pass", "mostly_40": "fail", "max_13": "pass", "max_12": "fail"}


def test_severity_warn_reports_without_blocking_and_required_fail_raises(governed):
    _, service = governed
    warn = Suite(DELIVERIES, [NotNull("weight")], severity="warn").run(runner_for(service, "sam"))
    fail = Suite(DELIVERIES, [NotNull("weight")], required=True).run(runner_for(service, "sam"))

    assert (warn.status, warn.passed) == ("warn", True)
    assert fail.required and fail.status == "fail"
    with pytest.raises(CheckFailed, match="not_null"):
        fail.raise_on_fail()


def test_all_rules_share_one_aggregate_statement_plus_one_per_failing_rule(governed):
    _, service = governed
    statements = []
    run = runner_for(service, "sam")

    def counting(sql):
        statements.append(sql)
        return run(sql)

    suite = Suite(DELIVERIES, [NotNull("id"), Unique("id"), NotNull("weight"), Regex("code", pattern="^D-"),
                               RowCount(min=1), Freshness("shipped_at", max_age="1d")])
    suite.run(counting)

    probe, aggregate, *examples = statements
    assert "LIMIT 0" in probe and "FILTER" in aggregate
    assert len(examples) == 2  # weight and code fail


def test_unknown_column_names_the_suite_rule_and_column(governed):
    _, service = governed
    with pytest.raises(UnknownColumn, match=r"suite 'deliv', rule 'not_null\(wieght\)'.*'wieght'") as caught:
        Suite(DELIVERIES, [NotNull("wieght")], name="deliv").run(runner_for(service, "sam"))
    assert "weight" in caught.value.fix
    with pytest.raises(UnknownColumn, match=r"rule 'late'.*'shiped_at'"):
        Suite(DELIVERIES, [SqlPredicate("delivered_at >= shiped_at", name="late")]).run(runner_for(service, "sam"))
    with pytest.raises(UnknownColumn, match="hr.main.people has no column 'person'"):
        Suite(DELIVERIES, [References("person_id", dataset=PEOPLE, to="person")]).run(runner_for(service, "sam"))


def test_identifiers_and_literals_are_quoted_not_pasted(governed):
    _, service = governed
    tricky = "x' OR '1'='1"

    result = Suite(DELIVERIES, [AcceptedValues("carrier", values=["UPS", "DHL", "Unknown", tricky])]) \
        .run(runner_for(service, "sam"))

    assert result.passed and "'x'' OR ''1''=''1'" in result.items[0].detail["predicate"]
    with pytest.raises(UsageError, match="one boolean SQL expression"):
        SqlPredicate("1) FROM hr.main.people, (SELECT 1", name="escape")


def test_a_rule_that_breaks_in_the_engine_is_an_error_item_and_the_others_still_run(governed):
    _, service = governed
    suite = Suite(DELIVERIES, [NotNull("weight"), Regex("code", pattern="(?=lookahead)", name="bad_regex")])

    result = suite.run(runner_for(service, "sam"))

    assert [i.status for i in result.items] == ["fail", "error"]
    assert result.items[0].metrics["failing_rows"] == 1 and result.status == "error"


def test_denied_dataset_is_a_permission_error_naming_the_suite(governed):
    _, service = governed
    from aios_workbench.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="quality suite 'deliveries'"):
        Suite(DELIVERIES, [NotNull("id")], name="deliveries").run(runner_for(service, "ana"))


# -- YAML suites -----------------------------------------------------------------------------------------------

GOOD_YAML = """\
suites:
  deliveries_basics:
    dataset: hr.main.deliveries
    required: true
    rules:
      - not_null: id
      - unique: {column: id}
      - range: {column: weight, min: 0, max: 30}
      - accepted_values: {column: carrier, values: [UPS, DHL, Unknown]}
      - regex: {column: code, pattern: "^(D-[0-9]{4}|bad)$"}
      - row_count: {min: 10}
      - freshness: {column: shipped_at, max_age: 2d}
      - references: {column: person_id, dataset: hr.main.people, to: id, max_failing: 1}
      - sql: {name: weight_not_negative, predicate: "weight >= 0"}
  deliveries_strict:
    dataset: hr.main.deliveries
    severity: warn
    rules:
      - not_null: weight
"""


def test_yaml_suites_load_into_rules_and_run(governed, tmp_path):
    _, service = governed
    path = tmp_path / "checks.yaml"
    path.write_text(GOOD_YAML)

    suites = load_suites(path)
    result = suites["deliveries_basics"].run(runner_for(service, "sam"))

    assert [type(r).__name__ for r in suites["deliveries_basics"].rules] == [
        "NotNull", "Unique", "Range", "AcceptedValues", "Regex", "RowCount", "Freshness", "References",
        "SqlPredicate"]
    assert result.required and result.passed, [(i.name, i.status, i.metrics) for i in result.items]
    assert suites["deliveries_strict"].severity == "warn"
    assert [s.name for s in select_suites(suites, ["deliveries_strict"])] == ["deliveries_strict"]


@pytest.mark.parametrize("rules, line, expected", [
    ("      - not_nul: id\n", 5, "rules.0.not_nul`: unknown key"),
    ("      - not_null: id\n      - range: {column: weight, minimum: 0}\n", 6, "rules.1.range.minimum`: unknown key"),
    ("      - range: {column: weight}\n", 5, "range needs min, max or both"),
    ("      - freshness: {column: shipped_at, max_age: soon}\n", 5, "max_age must be a duration"),
    ("      - {not_null: id, unique: id}\n", 5, "got not_null, unique"),
    ("      - range: {column: weight, min: 0, mostly: 1.5}\n", 5, "rules.0.range.mostly"),
    ("      - sql: {predicate: weight > 0}\n", 5, "rules.0.sql.name`: required key is missing"),
])
def test_invalid_yaml_is_a_config_error_with_file_line_and_key(tmp_path, rules, line, expected):
    path = tmp_path / "checks.yaml"
    path.write_text(f"suites:\n  s:\n    dataset: hr.main.deliveries\n    rules:\n{rules}")

    with pytest.raises(ConfigError) as caught:
        load_suites(path)

    assert f"checks.yaml line {line}:" in caught.value.message and expected in caught.value.message
    assert caught.value.fix.startswith("edit checks.yaml")


def test_invalid_sql_predicate_and_duplicate_rule_names_in_yaml_name_the_line(tmp_path):
    path = tmp_path / "checks.yaml"
    path.write_text("suites:\n  s:\n    dataset: d\n    rules:\n      - not_null: id\n"
                    "      - sql: {name: broken, predicate: 'weight >'}\n")
    with pytest.raises(ConfigError, match=r"line 6: suite 's': rule 'broken': the predicate is not valid SQL"):
        load_suites(path)
    path.write_text("suites:\n  s:\n    dataset: d\n    rules:\n      - not_null: id\n      - not_null: ID\n"
                    "      - not_null: id\n")
    with pytest.raises(ConfigError, match=r"line 2: suite 's' has two rules named 'not_null\(id\)'"):
        load_suites(path)


def test_unknown_suite_name_lists_the_known_ones(tmp_path):
    path = tmp_path / "checks.yaml"
    path.write_text(GOOD_YAML)
    with pytest.raises(NotFound, match="unknown quality suite 'nope'; known suites: deliveries_basics, "
                                       "deliveries_strict"):
        select_suites(load_suites(path), ["nope"])
    assert load_suites(tmp_path / "absent.yaml") == {}


# -- CLI -----------------------------------------------------------------------------------------------------

def _invoke(root, *args, user="sam"):
    return CliRunner().invoke(check, ["quality", *args], obj={"workspace": str(root)}, env={"AIOS_USER": user})


def test_cli_runs_suites_prints_a_table_records_and_exits_by_required_status(governed):
    root, service = governed
    (root / "governance" / "checks.yaml").write_text(GOOD_YAML)
    try:
        passing = _invoke(root, "deliveries_basics")
        warning = _invoke(root, "deliveries_strict", "--json", "--no-record")
        (root / "governance" / "checks.yaml").write_text(GOOD_YAML.replace("max_failing: 1", "max_failing: 0"))
        failing = _invoke(root)
        unknown = _invoke(root, "nope")
    finally:
        (root / "governance" / "checks.yaml").unlink()

    assert passing.exit_code == 0, passing.output
    assert "deliveries_basics" in passing.output and "weight_not_negative" in passing.output
    assert "all required checks passed" in passing.output
    report = json.loads(warning.output)
    assert warning.exit_code == 0 and report["results"][0]["status"] == "warn" and report["recorded"] == []
    assert failing.exit_code == 1 and "a required check failed" in failing.output
    assert isinstance(unknown.exception, NotFound) and "deliveries_basics" in str(unknown.exception)
    runs = Ledger(service.store).history(dataset=DELIVERIES)
    assert [(r["name"], r["status"], r["user"]) for r in runs[:3]] == [
        ("deliveries_strict", "warn", "sam"), ("deliveries_basics", "fail", "sam"),
        ("deliveries_basics", "pass", "sam")]


def test_cli_reports_a_broken_suite_as_an_error_and_fails_when_it_is_required(governed):
    root, _ = governed
    (root / "governance" / "checks.yaml").write_text(
        "suites:\n  typo:\n    dataset: hr.main.deliveries\n    required: true\n    rules:\n      - not_null: wieght\n")
    try:
        result = _invoke(root, "--no-record")
    finally:
        (root / "governance" / "checks.yaml").unlink()

    assert result.exit_code == 1
    assert "ERROR" in result.output and "no column 'wieght'" in result.output
