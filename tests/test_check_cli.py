"""`aios check drift` from the command line, on the demo data's real drift."""

from __future__ import annotations

import json

from .conftest import ROOT, run_aios

EARLY = "(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')"
LATE = "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')"


def test_drift_between_early_and_late_shipments_fails_with_exit_1(demo_workspace):
    result = run_aios("--workspace", str(ROOT), "check", "drift", EARLY, LATE, "--columns", "delay_days,damaged",
                      "--no-record", "--json", env={"AIOS_USER": "alice"})

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    verdicts = {i["name"]: i["status"] for i in report["items"]}
    assert verdicts["delay_days"] == "fail" and verdicts["damaged"] == "pass"
    assert report["recorded"] is None


def test_stable_period_passes_and_is_recorded(demo_workspace):
    first = "(SELECT * FROM shipments WHERE shipped_at < DATE '2025-03-01')"
    second = "(SELECT * FROM shipments WHERE shipped_at >= DATE '2025-03-01' AND shipped_at < DATE '2025-05-01')"

    result = run_aios("--workspace", str(ROOT), "check", "drift", first, second, "--columns", "damaged",
                      "--json", env={"AIOS_USER": "alice"})

    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout)["recorded"], int)


def test_an_unknown_column_is_named(demo_workspace):
    result = run_aios("--workspace", str(ROOT), "check", "drift", EARLY, LATE, "--columns", "quantity_x",
                      env={"AIOS_USER": "alice"})

    assert result.returncode != 0 and "quantity_x" in result.stderr


def test_bad_stattest_override_is_a_usage_error(demo_workspace):
    result = run_aios("--workspace", str(ROOT), "check", "drift", EARLY, LATE, "--stattest", "delay_days",
                      env={"AIOS_USER": "alice"})

    assert result.returncode == 64 and "COLUMN=TEST" in result.stderr


def test_fairness_across_the_supplier_attribute(demo_workspace):
    relation = ("(SELECT s.minority_owned, CASE WHEN sh.on_time THEN 0 ELSE 1 END AS late, "
                "CASE WHEN s.size_band = 'small' THEN 1 ELSE 0 END AS flagged FROM shipments sh "
                "JOIN purchase_orders USING (po_id) JOIN suppliers s USING (supplier_id) WHERE sh.on_time IS NOT NULL)")

    result = run_aios("--workspace", str(ROOT), "check", "fairness", relation, "--y-true", "late", "--y-pred",
                      "flagged", "--sensitive", "minority_owned", "--threshold", "demographic_parity_difference=0.05",
                      "--no-record", "--json", env={"AIOS_USER": "alice"})

    report = json.loads(result.stdout)
    dpd = next(i for i in report["items"] if i["name"] == "demographic_parity_difference")
    assert result.returncode == (0 if report["passed"] else 1)
    assert dpd["metrics"]["threshold"] == 0.05
    assert {g["group"]["minority_owned"] for g in report["params"]["groups"]} == {0, 1}
