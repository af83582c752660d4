"""Experiment tracking: the workspace MLflow store, runs with provenance, batched metrics, lineage, checks."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.core.errors import ConnectorError
from aios_workbench.kernel.run import active_run, run
from aios_workbench.tracking import digest_sql, ensure_store, governed_describer, tracking_uri
from aios_workbench.tracking.store import artifact_root
from aios_workbench.workspace import Workspace
from tests.governed_fixtures import build_governed_workspace, open_governed_service

pytestmark = [
    # MLflow's SqlAlchemyStore calls sqlalchemy.orm.configure_mappers() on import, and its models
    # still use the `noload` loader strategy that SQLAlchemy 2.x deprecates. Not our code; nothing to fix here.
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy is deprecated:sqlalchemy.exc.SADeprecationWarning"),
    # Importing mlflow.pyfunc (done by mlflow.sklearn.log_model) infers schemas for MLflow's own
    # chat-agent pydantic models at import time and warns that their `Any` fields become AnyType.
    # The message starts with an ANSI colour code, hence the leading `.*`.
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

UNREACHABLE = "http://127.0.0.1:1"


def mlflow_client(ws):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri(ws))


@pytest.fixture(scope="module")
def template_store(tmp_path_factory):
    """One real store creation for the module (MLflow's migrations take seconds); workspaces copy it."""
    from aios_workbench.workspace.scaffold import init_workspace

    ws = Workspace.load(init_workspace(tmp_path_factory.mktemp("template") / "ws"))
    started = time.perf_counter()
    ensure_store(ws)
    return ws, time.perf_counter() - started


def with_store(ws, template_store):
    """`ws` with a copy of the template's MLflow store, as `aios init` would have left it."""
    template, _ = template_store
    target = ws.state_dir / "mlflow"
    shutil.copytree(template.state_dir / "mlflow", target, dirs_exist_ok=True)
    return ws


@pytest.fixture
def tracked(workspace, template_store):
    return with_store(workspace, template_store)


@pytest.fixture(autouse=True)
def no_runs_left_open():
    yield
    from aios_workbench.kernel.run import end_open_runs

    end_open_runs()


def set_tracking(ws, *, uri: str, required: bool) -> Workspace:
    config = ws.root / "aios.yaml"
    text = config.read_text().replace("tracking:\n  uri: null",
                                      f"tracking:\n  required: {str(required).lower()}\n  uri: {uri}")
    config.write_text(text)
    return Workspace.load(ws.root)


# -- store -----------------------------------------------------------------------------------------
def test_import_aios_workbench_does_not_import_mlflow():
    code = "import sys, aios_workbench, aios_workbench.tracking; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_store_lives_in_the_state_folder_and_a_second_ensure_is_fast(template_store):
    ws, first_seconds = template_store
    db = ws.state_dir / "mlflow" / "mlflow.db"
    assert tracking_uri(ws) == f"sqlite:///{db}"
    assert artifact_root(ws) == ws.state_dir / "mlflow" / "artifacts"
    assert db.exists()

    started = time.perf_counter()
    assert ensure_store(ws) == tracking_uri(ws)
    again = time.perf_counter() - started

    assert again < 0.5, f"second ensure_store took {again:.2f} s (first {first_seconds:.1f} s)"
    assert mlflow_client(ws).get_experiment("0") is not None   # the store is usable


# -- runs ------------------------------------------------------------------------------------------
def test_run_logs_params_provenance_and_batches_metrics(tracked, monkeypatch):
    from mlflow import MlflowClient

    ws = tracked
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=ws.root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=ws.root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=ws.root, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ws.root, capture_output=True, text=True).stdout.strip()
    notebook = ws.notebooks_dir / "train.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    monkeypatch.setenv("AIOS_NOTEBOOK_PATH", str(notebook))
    calls = []
    original = MlflowClient.log_batch

    def counting(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        calls.append((len(metrics), len(params), len(tags)))
        return original(self, run_id, metrics=metrics, params=params, tags=tags, **kwargs)

    with run("baseline", params={"alpha": 0.1, "model": {"depth": 4, "features": ["a", "b"]}},
             tags={"team": "ops"}, workspace=ws) as tracked_run:
        monkeypatch.setattr(MlflowClient, "log_batch", counting)
        for i in range(100):
            tracked_run.log_metric(f"m{i:03d}", i * 0.5, step=1)
        assert active_run() is tracked_run
    assert active_run() is None

    logged = mlflow_client(ws).get_run(tracked_run.id)
    assert logged.info.status == "FINISHED"
    assert len(logged.data.metrics) == 100 and logged.data.metrics["m099"] == 49.5
    assert sum(m for m, _, _ in calls) == 100 and len(calls) == 1, calls   # one store write, not 100
    assert logged.data.params == {"alpha": "0.1", "model.depth": "4", "model.features": '["a", "b"]'}
    tags = logged.data.tags
    assert tags["team"] == "ops"
    assert tags["aios.notebook.path"] == "notebooks/train.ipynb"
    assert tags["aios.notebook.sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert tags["aios.git.commit"] == head and tags["aios.git.dirty"] == "false"
    assert tags["aios.user"] and tags["mlflow.source.name"] == "notebooks/train.ipynb"
    packages = (ws.state_dir / "mlflow" / "artifacts").glob("*/*/artifacts/environment/packages.txt")
    listing = next(packages).read_text()
    assert "mlflow==" in listing
    assert tags["aios.env.sha256"] == hashlib.sha256(listing.rstrip("\n").encode()).hexdigest()
    experiment = mlflow_client(ws).get_experiment(logged.info.experiment_id)
    assert experiment.name == "notebooks/train.ipynb"   # one experiment per notebook
    assert experiment.artifact_location.startswith(artifact_root(ws).as_uri())


def test_metrics_flush_every_batch_size_items(tracked, monkeypatch):
    from mlflow import MlflowClient

    calls = []
    original = MlflowClient.log_batch
    monkeypatch.setattr(MlflowClient, "log_batch",
                        lambda self, run_id, **kw: calls.append(len(kw.get("metrics", ()))) or original(self, run_id, **kw))
    with run("steps", workspace=tracked, batch_size=25, params={}) as tracked_run:
        for step in range(60):
            tracked_run.log_metric("loss", 1 / (step + 1), step=step)
        assert calls == [25, 25]   # two full batches written while the run is open
    history = mlflow_client(tracked).get_metric_history(tracked_run.id, "loss")
    assert calls == [25, 25, 10] and [m.step for m in history] == list(range(60))


def test_nested_runs_and_decorator_forms(tracked):
    @run("decorated", workspace=tracked)
    def train(x):
        return x * 2, active_run()

    @run
    def evaluate():
        return active_run()

    with run("parent", workspace=tracked) as parent:
        result, inner = train(21)
        assert active_run() is parent
    client = mlflow_client(tracked)
    assert result == 42 and inner.name == "decorated"
    assert client.get_run(inner.id).data.tags["mlflow.parentRunId"] == parent.id

    @run("broken", workspace=tracked)
    def broken():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        broken()
    failed = client.search_runs([client.get_run(inner.id).info.experiment_id],
                                filter_string="attributes.run_name = 'broken'")
    assert [r.info.status for r in failed] == ["FAILED"]
    assert evaluate.__name__ == "evaluate"


def test_bare_decorator_uses_the_function_name(tracked, monkeypatch):
    monkeypatch.chdir(tracked.root)   # found like git finds a repo: from the current folder

    @run
    def nightly_training():
        return active_run()

    finished = nightly_training()
    assert mlflow_client(tracked).get_run(finished.id).info.run_name == "nightly_training"


# -- lineage and checks -----------------------------------------------------------------------------
def test_governed_reads_become_dataset_inputs_without_data_in_python(tmp_path, template_store):
    import mlflow

    root = build_governed_workspace(tmp_path / "governed")
    service = open_governed_service(root)
    ws = with_store(service.workspace, template_store)

    def describer(user):
        return governed_describer(lambda sql: service.queries.run(sql, user=user, surface="lineage").to_arrow())

    with run("lineage", workspace=ws) as tracked_run:
        tracked_run.record_read(["hr.main.people", "hr.main.events"], describer("ana"))
        tracked_run.record_read(["hr.main.people"], describer("ana"))   # once per run
    raw_digest = describer("sam")("hr.main.people")["digest"]

    inputs = {i.dataset.name: i for i in mlflow_client(ws).get_run(tracked_run.id).inputs.dataset_inputs}
    assert sorted(inputs) == ["hr.main.events", "hr.main.people"]
    people = inputs["hr.main.people"]
    assert people.dataset.source_type == "aios"
    assert json.loads(people.dataset.source) == {"uri": "aios://governed/hr.main.people"}
    assert mlflow.data.get_source(people).uri == "aios://governed/hr.main.people"   # the source is registered
    assert json.loads(people.dataset.profile) == {"num_rows": 8}          # ana sees the EU rows only
    assert people.dataset.digest == tracked_run.datasets["hr.main.people"] != raw_digest
    columns = json.loads(people.dataset.schema)["mlflow_colspec"]
    assert [(c["name"], c["type"]) for c in columns][:3] == [("id", "integer"), ("name", "string"),
                                                             ("email", "string")]
    assert [t.value for t in people.tags if t.key == "mlflow.data.context"] == ["training"]
    assert json.loads(inputs["hr.main.events"].dataset.profile) == {"num_rows": 300_000}


def test_digest_sql_is_order_independent_and_sees_duplicates():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE a AS SELECT * FROM (VALUES (1, 'x'), (2, 'y'), (3, 'z')) t(id, s)")
    con.execute("CREATE TABLE b AS SELECT * FROM a ORDER BY id DESC")
    con.execute("CREATE TABLE c AS SELECT * FROM a UNION ALL SELECT * FROM a WHERE id = 1 "
                "UNION ALL SELECT * FROM a WHERE id = 1")
    digests = [con.execute(digest_sql(name)).fetchone() for name in ("a", "b", "c")]
    assert digests[0] == digests[1]
    assert digests[2][1:] != digests[0][1:]   # XOR alone would not see the added pair of duplicates
    with pytest.raises(Exception, match="not a dataset name"):
        digest_sql("a; DROP TABLE a")


def test_check_results_are_metrics_and_a_json_artifact(tracked, tmp_path):
    result = CheckResult(kind="quality", name="orders not null", params={"columns": ["id"]}, items=[
        CheckItem("id not null", "pass", metrics={"failing_rows": 0}),
        CheckItem("amount not null", "fail", metrics={"failing_rows": 3}),
        CheckItem("region known", "warn"),
    ])
    with run("checked", workspace=tracked) as tracked_run:
        tracked_run.record_check(result)

    logged = mlflow_client(tracked).get_run(tracked_run.id)
    metrics = logged.data.metrics
    assert metrics["check.orders not null.passed"] == 0
    assert (metrics["check.orders not null.items"], metrics["check.orders not null.failed_items"],
            metrics["check.orders not null.warned_items"]) == (3, 1, 1)
    assert logged.data.tags["check.orders not null.status"] == "fail"
    local = mlflow_client(tracked).download_artifacts(tracked_run.id, "checks/orders not null.json", str(tmp_path))
    stored = json.loads(Path(local).read_text())
    assert stored["status"] == "fail" and stored["items"][1]["metrics"] == {"failing_rows": 3}


# -- tracking server unreachable ---------------------------------------------------------------------
def test_optional_tracking_with_an_unreachable_server_is_a_logged_noop(workspace, caplog):
    ws = set_tracking(workspace, uri=UNREACHABLE, required=False)

    with caplog.at_level(logging.WARNING, logger="aios_workbench.tracking"):
        with run("offline", workspace=ws) as tracked_run:
            assert active_run() is tracked_run and not tracked_run.enabled
            tracked_run.log_metric("loss", 0.1)
            tracked_run.record_read(["hr.main.people"], lambda dataset: pytest.fail("describe must not run"))
    assert tracked_run.id is None and active_run() is None
    assert any(UNREACHABLE in r.getMessage() and "tracking.required is false" in r.getMessage()
               for r in caplog.records)


def test_required_tracking_with_an_unreachable_server_names_the_uri_and_the_fix(workspace):
    ws = set_tracking(workspace, uri=UNREACHABLE, required=True)

    with pytest.raises(ConnectorError) as caught:
        with run("offline", workspace=ws):
            pytest.fail("the run must not start")
    assert UNREACHABLE in caught.value.message
    assert "tracking.required: false" in caught.value.fix
    assert active_run() is None


# -- models ------------------------------------------------------------------------------------------
def test_log_model_passes_through_to_the_mlflow_flavor(tracked):
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
    with run("model", workspace=tracked) as tracked_run:
        info = tracked_run.log_model(model, "regressor", pip_requirements=["scikit-learn"])
    assert info.run_id == tracked_run.id
    import mlflow

    loaded = mlflow.sklearn.load_model(info.model_uri)
    assert loaded.predict([[3.0]])[0] == pytest.approx(3.0)


def test_aios_mlflow_backend_listens_on_a_private_socket_only(workspace):
    """`aios mlflow` starts MLflow's server on a Unix socket (no TCP port); its proxy is the only way in
    (tests/test_mlflow_governance.py drives the whole thing)."""
    from aios_workbench.core.errors import UsageError
    from aios_workbench.tracking.ui_server import backend_command

    argv = backend_command(workspace, "/tmp/aios-mlflow-x/mlflow.sock")
    assert argv[1:4] == ["-m", "mlflow", "server"]
    assert argv[argv.index("--backend-store-uri") + 1] == tracking_uri(workspace)
    assert argv[argv.index("--default-artifact-root") + 1] == artifact_root(workspace).as_uri()
    assert "--no-serve-artifacts" in argv
    assert argv[argv.index("--uvicorn-opts") + 1] == "--uds /tmp/aios-mlflow-x/mlflow.sock"
    with pytest.raises(UsageError, match="own UI"):
        backend_command(set_tracking(workspace, uri=UNREACHABLE, required=False), "/tmp/x.sock")
