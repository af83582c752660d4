"""Monitors: drift over moving windows of the demo shipments, recorded, alerting, and starting jobs."""

from __future__ import annotations

import json

import pytest

from aios_workbench.core.errors import ConfigError, NotFound, UsageError
from tests.conftest import run_aios


@pytest.fixture
def service(demo_copy):
    from aios_workbench.service.core import WorkbenchService

    svc = WorkbenchService(demo_copy, mode="test")
    yield svc
    svc.close()


def run_monitor(service, name="shipments_monthly_drift", user="alice"):
    [result] = service.checks.run(user, "monitor", {"name": name})
    return result


def test_the_newest_month_is_compared_with_the_three_before_it(service):
    result = run_monitor(service)

    windows = result["params"]["windows"]
    # The demo calendar ends 2026-03-31 23:58:33: the windows are anchored on the newest row.
    assert windows == {"ref_from": "2025-11-28T23:58:33", "ref_to": "2026-02-28T23:58:33",
                       "cur_from": "2026-02-28T23:58:33", "cur_to": "2026-03-31T23:58:33"}
    assert result["name"] == "monitor:shipments_monthly_drift" and result["kind"] == "drift"
    statuses = {i["name"]: i["status"] for i in result["items"]}
    assert set(statuses) == {"dataset drift", "delay_days", "lead_time_days", "carrier", "damaged"}
    # lead times lengthen in the demo's last months: the monitor fails on that column
    assert statuses["lead_time_days"] == "fail" and result["status"] == "fail"


def test_a_failing_monitor_raises_one_alert_and_a_passing_run_resolves_it(service, demo_copy):
    from aios_workbench.alerts import AlertFeed

    first = run_monitor(service)
    run_monitor(service)
    feed = AlertFeed(service.store)

    [alert] = feed.list(state="open")
    assert (alert["key"], alert["kind"], alert["count"]) == ("monitor:shipments_monthly_drift", "monitor_failed", 2)
    assert "lead_time_days" in alert["detail"]["drifted"] and alert["detail"]["ledger_id"] > first["ledger_id"]

    # the steward narrows the monitor to columns that are stable: the next run passes and resolves the alert
    checks = demo_copy.governance_dir / "checks.yaml"
    checks.write_text(checks.read_text().replace("columns: [delay_days, lead_time_days, carrier, damaged]",
                                                 "columns: [damaged]"))
    assert run_monitor(service)["status"] == "pass"
    assert feed.list(state="open") == []
    assert [a["state"] for a in feed.list()] == ["resolved"]


def test_a_failing_monitor_queues_the_jobs_that_retrain_on_it(service, demo_copy):
    from sqlalchemy import select

    from aios_workbench.store.models import JobRun
    from tests.test_scheduler import make_job

    retrain = make_job(demo_copy, service.store, "retrain", "record",
                       triggers={"on_monitor_failure": ["shipments_monthly_drift"]})
    unrelated = make_job(demo_copy, service.store, "unrelated", "record",
                         triggers={"on_monitor_failure": ["another_monitor"]})

    run_monitor(service)

    with service.store.session() as session:
        queued = session.execute(select(JobRun.job_id, JobRun.trigger, JobRun.status)).all()
    assert [tuple(r) for r in queued] == [(retrain, "monitor:shipments_monthly_drift", "queued")]
    assert unrelated not in [r.job_id for r in queued]


def test_monitor_runs_are_in_the_ledger_history(service):
    from aios_workbench.checks.ledger import Ledger

    recorded = run_monitor(service)

    [row] = Ledger(service.store).history(name="monitor:shipments_monthly_drift")
    assert row["id"] == recorded["ledger_id"] and row["user"] == "alice" and row["status"] == "fail"


def test_unknown_monitor_lists_the_known_ones(service):
    with pytest.raises(NotFound, match="unknown monitor 'nope'; known monitors: shipments_monthly_drift"):
        run_monitor(service, "nope")


@pytest.mark.parametrize("bad, words", [
    ("current: 1 month", "current: a month"),
    ("reference: 3 months", "reference: three"),
])
def test_a_bad_period_is_a_config_error_naming_the_file(service, demo_copy, bad, words):
    checks = demo_copy.governance_dir / "checks.yaml"
    checks.write_text(checks.read_text().replace(bad, words))

    with pytest.raises(ConfigError, match="checks.yaml") as caught:
        run_monitor(service)
    assert "is not a period" in caught.value.message


def test_period_text_never_reaches_sql_unchecked():
    from aios_workbench.checks.monitors import period

    assert period("14 Days") == "INTERVAL '14 day'"
    with pytest.raises(UsageError, match="is not a period"):
        period("1 day'; DROP TABLE x; --")


def test_cli_runs_all_monitors_and_exits_1_on_failure(demo_copy):
    result = run_aios("--workspace", str(demo_copy.root), "check", "monitor", "--json", env={"AIOS_USER": "alice"})

    assert result.returncode == 1, result.stderr
    results = {r["name"]: r for r in json.loads(result.stdout)["results"]}
    assert set(results) == {"monitor:shipments_monthly_drift", "monitor:supply_risk"}   # every declared monitor
    monitor = results["monitor:shipments_monthly_drift"]
    assert monitor["status"] == "fail"
    told = run_aios("--workspace", str(demo_copy.root), "check", "monitor", env={"AIOS_USER": "alice"}).stdout
    assert "fails: lead_time_days drifted (any drifted column fails the check" in told   # why, beside a passing
    assert "alert monitor:shipments_monthly_drift is open" in told                        # dataset-drift line


def test_a_drifted_column_shows_its_distributions_inline(service):
    from aios_workbench.checks.display import from_dict, result_html

    result = run_monitor(service)

    items = {i["name"]: i for i in result["items"]}
    lead = items["lead_time_days"]["detail"]["distribution"]
    assert lead["kind"] == "histogram" and len(lead["ref"]) == len(lead["cur"]) == 16
    assert abs(sum(lead["ref"]) - 1) < 1e-3 and abs(sum(lead["cur"]) - 1) < 1e-3
    carriers = items["carrier"]["detail"]["distribution"]
    assert carriers["kind"] == "categories" and "Nordline Freight" in carriers["labels"]
    html = result_html(from_dict(result))
    # only the failing column gets a plot: one titled SVG, and the whole output stays small
    assert html.count("reference (grey) vs current (blue)") == 2      # <title> and aria-label of one plot
    assert "0 to 47" in html and len(html) < 20_000
