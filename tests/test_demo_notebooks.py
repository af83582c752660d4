"""The demo notebooks run clean under Papermill, as a new user would run them, against a real service."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, aios_serve, artifact

TOKEN = "notebook-test-token"


@pytest.fixture(scope="module")
def demo_service(demo_workspace):
    with aios_serve(ROOT, token=TOKEN, user="alice") as url:
        yield url


def test_explore_data_notebook_runs_clean_and_shows_only_masked_pii(demo_service, monkeypatch):
    import papermill

    monkeypatch.setenv("AIOS_SERVICE_URL", demo_service)
    monkeypatch.setenv("AIOS_TOKEN", TOKEN)
    output = artifact("01_explore_data.out.ipynb")

    papermill.execute_notebook(str(ROOT / "notebooks" / "01_explore_data.ipynb"), str(output),
                               parameters={"months": 6}, cwd=str(ROOT / "notebooks"), progress_bar=False,
                               kernel_name="python3")

    notebook = json.loads(output.read_text())
    def output_of(code: str) -> str:  # papermill inserts a cell, so find cells by their code
        (cell,) = [c for c in notebook["cells"] if c["cell_type"] == "code" and code in "".join(c["source"])]
        return json.dumps(cell.get("outputs", []))

    assert not any(o.get("output_type") == "error" for c in notebook["cells"] for o in c.get("outputs", []))
    assert "Northern Europe" in output_of("GROUP BY ALL ORDER BY suppliers DESC")
    masked = output_of('wb.table("suppliers")')
    assert "contact_email" in masked and "@" not in masked  # e-mails come back hashed
    assert "mean_delay" in output_of("delays.head()")
    assert "image/png" in output_of("plt.subplots")           # the delay plot rendered
    assert "table function read_csv() is not allowed" in output_of("read_csv('/etc/passwd')")
    assert TOKEN not in output.read_text()                  # the service token never lands in an output notebook


def test_governance_checks_notebook_runs_clean_and_shows_the_demo_drift(demo_service, monkeypatch):
    import papermill

    monkeypatch.setenv("AIOS_SERVICE_URL", demo_service)
    monkeypatch.setenv("AIOS_TOKEN", TOKEN)
    output = artifact("02_governance_checks.out.ipynb")

    papermill.execute_notebook(str(ROOT / "notebooks" / "02_governance_checks.ipynb"), str(output),
                               cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3")

    notebook = json.loads(output.read_text())
    assert not any(o.get("output_type") == "error" for c in notebook["cells"] for o in c.get("outputs", []))
    text = {"".join(c["source"]): json.dumps(c.get("outputs", [])) for c in notebook["cells"] if c["cell_type"] == "code"}
    drift_out = next(v for k, v in text.items() if k.startswith("drifted ="))
    assert "delay_days" in drift_out and "carrier" in drift_out
    assert "shipments_basics" in next(v for k, v in text.items() if k.startswith("quality = wb.quality()"))
    assert "demographic_parity" in next(v for k, v in text.items() if k.startswith("fair = wb.fairness"))
    assert max(len(v.encode()) for v in text.values()) < 200_000   # compact outputs


def run_model_notebook(demo_service, monkeypatch, notebook: str, model: str):
    """Execute notebooks/`notebook` with Papermill against the demo service, registering `model`: (the output
    notebook, which raised nothing; the MLflow run behind the model's registered version)."""
    import mlflow
    import papermill

    from aios_workbench.tracking import tracking_uri
    from aios_workbench.workspace import Workspace

    monkeypatch.setenv("AIOS_SERVICE_URL", demo_service)
    monkeypatch.setenv("AIOS_TOKEN", TOKEN)
    output = artifact(notebook.replace(".ipynb", ".out.ipynb"))
    papermill.execute_notebook(str(ROOT / "notebooks" / notebook), str(output), parameters={"model_name": model},
                               cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3")
    executed = json.loads(output.read_text())
    assert not any(o.get("output_type") == "error" for c in executed["cells"] for o in c.get("outputs", []))
    assert model in json.dumps(executed["cells"][-1]["outputs"])  # {"name": ..., "version": ...}
    client = mlflow.MlflowClient(tracking_uri(Workspace.load(ROOT)))
    return executed, client.get_run(client.search_model_versions(f"name='{model}'")[0].run_id)


def test_train_model_notebook_tracks_reads_checks_and_registers_a_candidate(demo_service, monkeypatch):
    _, run = run_model_notebook(demo_service, monkeypatch, "03_train_model.ipynb", "shipment-delay-test")
    inputs = {d.dataset.name for d in run.inputs.dataset_inputs}
    assert {"shipment_files.main.shipments", "purchasing_warehouse.procurement.purchase_orders",
            "supplier_master.main.suppliers"} <= inputs
    assert "auc" in run.data.metrics and "check.shipments_basics.passed" in run.data.metrics


def test_supply_risk_notebook_learns_from_the_signals_and_registers_a_candidate(demo_service, monkeypatch):
    notebook, run = run_model_notebook(demo_service, monkeypatch, "05_supply_risk.ipynb", "supply-risk-test")
    text = {"".join(c["source"]): json.dumps(c.get("outputs", [])) for c in notebook["cells"] if c["cell_type"] == "code"}
    assert "more than 7 days late" in next(v for k, v in text.items() if k.startswith("with wb.run"))
    weights = next(v for k, v in text.items() if k.startswith("import pandas"))
    assert weights.index("port_congestion") < weights.index("severe_weather")   # the strongest signal comes first
    inputs = {d.dataset.name for d in run.inputs.dataset_inputs}
    assert {"shipment_files.main.shipments", "external_signals.main.signals",
            "external_signals.main.supplier_lanes"} <= inputs
    assert run.data.metrics["auc"] > 0.65 and "check.shipments_basics.passed" in run.data.metrics
