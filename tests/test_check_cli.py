"""`aios check drift` from the command line, on the demo data's real drift."""

from __future__ import annotations

import json

from tests.conftest import ROOT, run_aios

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


def test_wasserstein_is_exact_unless_the_histogram_estimate_is_asked_for(demo_workspace):
    def delay_days(*extra: str) -> dict:
        result = run_aios("--workspace", str(ROOT), "check", "drift", EARLY, LATE, "--columns", "delay_days",
                          "--no-record", "--json", *extra, env={"AIOS_USER": "alice"})
        assert result.returncode == 1, result.stderr
        return next(i for i in json.loads(result.stdout)["items"] if i["name"] == "delay_days")["metrics"]

    exact, estimated = delay_days(), delay_days("--wasserstein", "histogram")

    assert exact["method"] == "exact" and exact["wasserstein_error_bound"] == 0
    assert estimated["method"] == "histogram" and estimated["wasserstein_error_bound"] > 0
    assert abs(estimated["statistic"] - exact["statistic"]) <= estimated["wasserstein_error_bound"]


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


def test_explain_a_logged_model_on_governed_shipments(demo_copy):
    import mlflow
    from sklearn.linear_model import LinearRegression

    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.tracking import tracking_uri

    service = WorkbenchService(demo_copy, mode="test")
    try:
        frame = service.queries.run("SELECT lead_time_days, damaged::INT AS damaged, delay_days FROM shipments "
                                    "WHERE delay_days IS NOT NULL AND lead_time_days IS NOT NULL",
                                    user="alice", surface="test").to_arrow().to_pandas()
    finally:
        service.close()
    model = LinearRegression().fit(frame[["lead_time_days", "damaged"]], frame["delay_days"])
    mlflow.set_tracking_uri(tracking_uri(demo_copy))
    with mlflow.start_run(tags={"aios.user": "alice"}) as run:   # alice's run, as `wb.run` tags it
        mlflow.sklearn.log_model(model, name="model")
    relation = ("(SELECT lead_time_days, damaged::INT AS damaged, delay_days FROM shipments "
                "WHERE delay_days IS NOT NULL AND lead_time_days IS NOT NULL)")

    result = run_aios("--workspace", str(demo_copy.root), "check", "explain", f"runs:/{run.info.run_id}/model",
                      relation, "--target", "delay_days", "--sample", "5000", "--repeats", "2",
                      "--max-importance", "damaged=1000", "--json", env={"AIOS_USER": "alice"}, timeout=300)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [i["name"] for i in report["items"]] == ["lead_time_days", "damaged"]   # ranked by importance
    assert report["params"]["sample_rows"] == 5000 and report["recorded"] is not None

    strict = run_aios("--workspace", str(demo_copy.root), "check", "explain", f"runs:/{run.info.run_id}/model",
                      relation, "--target", "delay_days", "--sample", "2000", "--repeats", "1",
                      "--max-importance", "lead_time_days=0", "--no-record", env={"AIOS_USER": "alice"}, timeout=300)
    assert strict.returncode == 1 and "lead_time_days" in strict.stdout


def test_explain_names_a_bad_model_uri(demo_copy):
    not_uri = run_aios("--workspace", str(demo_copy.root), "check", "explain", "model.pkl", "shipments",
                       "--target", "delay_days", env={"AIOS_USER": "alice"})
    assert not_uri.returncode == 64 and "is not an MLflow model URI" in not_uri.stderr

    missing = run_aios("--workspace", str(demo_copy.root), "check", "explain", "models:/no-such-model/1", "shipments",
                       "--target", "delay_days", "--json", env={"AIOS_USER": "alice"}, timeout=300)
    assert missing.returncode == 66 and json.loads(missing.stdout)["error"] == "not_found"


def test_bad_stattest_thresholds_name_the_value_and_the_form(demo_workspace):
    for spec, problem in (("delay_days=ks:abc", "'abc' is not a number"),
                          ("delay_days=psi:-0.5", "is negative"),
                          ("delay_days=ks:2", "not a p-value between 0 and 1"),
                          ("delay_days=wasserstein:nan", "not a finite number")):
        result = run_aios("--workspace", str(ROOT), "check", "drift", EARLY, LATE, "--stattest", spec,
                          "--no-record", env={"AIOS_USER": "alice"})

        assert result.returncode == 64, (spec, result.stderr)
        assert "Traceback" not in result.stderr
        assert spec in result.stderr and problem in result.stderr and "COLUMN=TEST[:THRESHOLD]" in result.stderr


def test_relations_without_a_common_column_are_refused_before_recording(demo_copy):
    from aios_workbench.checks.ledger import Ledger
    from aios_workbench.store import open_store

    def newest_run():
        store = open_store(demo_copy.metadata_url)
        try:
            return [run["id"] for run in Ledger(store).history(limit=1)]
        finally:
            store.close()

    before = newest_run()
    result = run_aios("--workspace", str(demo_copy.root), "check", "drift", "shipments", "suppliers",
                      env={"AIOS_USER": "alice"})

    assert result.returncode == 64, result.stdout + result.stderr
    assert "shipments and suppliers share no column" in result.stderr and "fix:" in result.stderr
    assert "PASS" not in result.stdout
    assert newest_run() == before
