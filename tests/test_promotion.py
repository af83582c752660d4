"""Promotion of notebooks to jobs: six gates reported together, content-addressed versions, approval.

Runs on a throwaway copy of the demo workspace (its data copied from the repository's `.aios`, so
no helper writes into the repository's state), with real kernels for the validation runs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import select

from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.jobs.notebook import InvalidNotebook, load_notebook
from aios_workbench.jobs.parameters import InvalidParameters, derive_schema, parse_assignments, validate
from aios_workbench.jobs.promote import approve, default_job_name, promote, reject
from aios_workbench.jobs.versions import rollback, versions
from aios_workbench.schemas.schedule import Schedule
from aios_workbench.store.models import Alert, Job, JobVersion
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks" / "promotion"
# A suite the demo data fails (delays reach 100+ days); added to the COPY of governance only.
STRICT_SUITE = """
  shipments_strict:
    dataset: shipment_files.main.shipments
    required: true
    rules:
      - range: {column: delay_days, min: 0, max: 2}
"""
SERVICE_USER = """
  etl_bot:
    roles: [data_scientist]
"""


def build_demo_copy(root: Path) -> Path:
    """A copy of the demo workspace at `root`: config, connectors, governance (plus a failing suite and a
    service identity), the fixture notebooks, and the generated data and stores of the repository's `.aios`."""
    from aios_workbench.demo.prepare import prepare_demo
    from aios_workbench.workspace import Workspace

    root.mkdir(parents=True)
    for name in ("connectors", "governance", "notebooks"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "aios.yaml", root / "aios.yaml")
    with (root / "aios.yaml").open("a") as config:
        config.write("jobs:\n  service_identities: [etl_bot]\n")
    checks = (root / "governance" / "checks.yaml").read_text()
    (root / "governance" / "checks.yaml").write_text(checks.replace("\nsuites:\n", "\nsuites:" + STRICT_SUITE, 1))
    policy = (root / "governance" / "policy.yaml").read_text()
    (root / "governance" / "policy.yaml").write_text(policy.replace("\nusers:\n", "\nusers:" + SERVICE_USER, 1))
    for notebook in FIXTURES.glob("*.ipynb"):
        shutil.copy(notebook, root / "notebooks" / notebook.name)
    state = root / ".aios"
    state.mkdir()
    for name in ("demo-data", "duckdb_extensions", "mlflow"):  # reuse what `aios demo` made (else made here)
        if (ROOT / ".aios" / name).is_dir():
            shutil.copytree(ROOT / ".aios" / name, state / name)
    prepare_demo(Workspace.load(root), progress=False)
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return build_demo_copy(tmp_path_factory.mktemp("promotion") / "ws")


@pytest.fixture(scope="module")
def service(root):
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    service = WorkbenchService(Workspace.load(root), mode="local")
    yield service
    service.close()


def with_jobs_config(service, **settings):
    """Another service on the same workspace whose `jobs:` config differs."""
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace.config import Jobs

    ws = service.workspace
    jobs = Jobs(**{**ws.config.jobs.model_dump(), **settings})
    return WorkbenchService(dataclasses.replace(ws, config=ws.config.model_copy(update={"jobs": jobs})),
                            mode="local")


def working_copy(root: Path, fixture: str, name: str) -> str:
    """A fresh notebook in the workspace, copied from a fixture; returns its workspace-relative path."""
    shutil.copy(FIXTURES / fixture, root / "notebooks" / name)
    return f"notebooks/{name}"


def gates(report) -> dict:
    return {g.name: g for g in report.gates}


def stored(service, job: str):
    with service.store.session() as session:
        return (session.scalar(select(Job).where(Job.name == job)),
                session.scalars(select(JobVersion).where(JobVersion.job_name == job)
                                .order_by(JobVersion.version)).all())


def audit(service, action: str, job: str) -> list[dict]:
    """Audit records of `action` on `job`, newest first."""
    return [r for r in service.audit.query(action=action, limit=200) if r["target"] == f"job:{job}"]


# -- the notebook and its parameters (no kernel) -----------------------------------------------------------------
def test_notebook_load_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(InvalidNotebook, match=r"malformed.ipynb is not valid JSON: .* line 3") as info:
        load_notebook(FIXTURES / "malformed.ipynb", "malformed.ipynb")
    assert "version control" in info.value.fix
    with pytest.raises(InvalidNotebook, match="no metadata.kernelspec.language") as info:
        load_notebook(FIXTURES / "no_language.ipynb", "no_language.ipynb")
    assert '"language": "python"' in info.value.fix and "Change Kernel" in info.value.fix
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    with pytest.raises(InvalidNotebook, match="not a Jupyter notebook"):
        load_notebook(tmp_path / "list.ipynb")
    bad = json.loads((FIXTURES / "good.ipynb").read_text())
    bad["cells"][0]["cell_type"] = "spreadsheet"
    (tmp_path / "bad.ipynb").write_text(json.dumps(bad))
    with pytest.raises(InvalidNotebook, match="not a valid nbformat 4 notebook"):
        load_notebook(tmp_path / "bad.ipynb")
    notebook = load_notebook(FIXTURES / "no_parameters.ipynb", "no_parameters.ipynb")
    with pytest.raises(InvalidNotebook, match="has no cell tagged `parameters`") as info:
        notebook.parameters_cell()
    assert "Property Inspector" in info.value.fix and '"tags": ["parameters"]' in info.value.fix


def test_digest_ignores_outputs_and_execution_counts_but_not_code(tmp_path):
    original = load_notebook(FIXTURES / "good.ipynb")
    node = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    node.cells[3].execution_count = 7
    node.cells[3].outputs = [nbformat.v4.new_output("stream", text="carrier late\n")]
    node.cells[3].metadata["execution"] = {"iopub.status.busy": "2026-11-02T10:00:00Z"}
    nbformat.write(node, tmp_path / "ran.ipynb")
    assert load_notebook(tmp_path / "ran.ipynb").digest == original.digest
    node.cells[2].source += "\nprint('edited')"
    nbformat.write(node, tmp_path / "edited.ipynb")
    assert load_notebook(tmp_path / "edited.ipynb").digest != original.digest
    assert len(original.digest) == 64


def test_parameter_schema_types_come_from_defaults_and_annotations():
    schema = derive_schema(load_notebook(FIXTURES / "typed.ipynb"))

    types = {p["name"]: (p["type"], p["nullable"]) for p in schema["parameters"]}
    assert types == {"n": ("int", False), "ratio": ("float", False), "label": ("str", False),
                     "flag": ("bool", False), "items": ("list", False), "options": ("dict", False),
                     "anything": ("any", True), "threshold": ("float", False), "regions": ("list", False),
                     "cap": ("int", True)}
    by_name = {p["name"]: p for p in schema["parameters"]}
    assert by_name["n"]["help"] == "an int" and by_name["n"]["default"] == 5
    assert by_name["cap"]["annotation"] == "int | None"   # Papermill's regex skips unions; ast reads them
    assert schema["problems"] == []


def test_supplied_values_are_checked_against_the_schema():
    schema = derive_schema(load_notebook(FIXTURES / "typed.ipynb"))

    assert validate(schema, {"ratio": 2, "cap": None, "regions": ("EU",)}) == {"ratio": 2.0, "cap": None,
                                                                                "regions": ["EU"]}
    with pytest.raises(InvalidParameters) as info:
        validate(schema, {"n": True, "ratio": "0.5", "zzz": 1, "flag": 1, "cap": 1.5})
    messages = [p["message"] for p in info.value.problems]
    assert messages == [
        "n expects int, got True",
        "ratio expects float, got '0.5'",
        "unknown parameter 'zzz' (known: anything, cap, flag, items, label, n, options, ratio, regions, "
        "threshold)",
        "flag expects bool, got 1",
        "cap expects int or None, got 1.5"]
    assert info.value.problems[0]["expected"] == "int" and info.value.problems[0]["value"] == "True"


def test_cli_strings_are_converted_by_the_declared_type():
    schema = derive_schema(load_notebook(FIXTURES / "typed.ipynb"))
    values = parse_assignments(["n=5", "ratio=1e-3", "flag=true", "items=[1, 2]", 'options={"b": 2}',
                                "label=5", "cap=null", "anything=plain text"])

    assert validate(schema, values, coerce_strings=True) == {
        "n": 5, "ratio": 0.001, "flag": True, "items": [1, 2], "options": {"b": 2}, "label": "5", "cap": None,
        "anything": "plain text"}
    with pytest.raises(InvalidParameters, match=r"n expects int, got '5.5'.*flag expects bool \(true/false"):
        validate(schema, parse_assignments(["n=5.5", "flag=maybe"]), coerce_strings=True)
    with pytest.raises(InvalidParameters, match="items expects list as JSON"):
        validate(schema, {"items": "1, 2"}, coerce_strings=True)
    with pytest.raises(UsageError, match="is not key=value"):
        parse_assignments(["n5"])


def test_job_name_defaults_to_the_file_stem():
    assert default_job_name("notebooks/02_governance_checks.ipynb") == "governance_checks"
    assert default_job_name("notebooks/daily report.ipynb") == "daily_report"
    with pytest.raises(UsageError, match="--name"):
        default_job_name("notebooks/2024.ipynb")


# -- gates ---------------------------------------------------------------------------------------------------------
def test_good_notebook_passes_every_gate_and_becomes_an_active_job(root, service):
    path = working_copy(root, "good.ipynb", "late_shipments.ipynb")
    schedule = Schedule.parse("0 6 * * 1-5", tz="Europe/Berlin")

    report = promote(service, path, user="alice", parameters={"limit": 3}, schedule=schedule, retries=2)

    verdicts = gates(report)
    assert report.status == "active" and report.version == 1, [(g.name, g.reason) for g in report.gates]
    assert all(g.passed for g in report.gates)
    assert verdicts["parameters_cell"].reason == "cell 1 is tagged `parameters`"
    assert verdicts["parameters"].reason == "2 parameters (month: str, limit: int); supplied: limit"
    assert verdicts["validation_run"].reason.startswith("ran 4 of 4 cells in ")
    assert verdicts["validation_run"].reason.endswith("in a fresh kernel as alice")
    assert verdicts["required_checks"].reason == "1 required suite passes as alice: shipments_basics"
    assert verdicts["grants"].reason == ("alice holds grants on shipment_files.main.shipments")
    assert verdicts["approval"].reason.startswith("not required: no approver is named")
    assert [g.verdict for g in report.gates] == ["passed"] * 5 + ["not_required"]
    assert report.to_dict()["summary"] == "5 passed, 1 not required" and report.to_dict()["cause"] is None
    output = verdicts["validation_run"].detail["output_path"]      # workspace-relative, like every API path
    assert output.startswith(".aios/jobs/validation/late_shipments/") and (root / output).is_file()
    job, rows = stored(service, "late_shipments")
    assert (job.version, job.identity, job.notebook, job.created_by) == (1, "alice", path, "alice")
    assert job.spec["parameters"] == {"limit": 3} and job.spec["retries"]["max"] == 2
    assert job.spec["schedule"] == {"kind": "cron", "cron": "0 6 * * 1-5", "timezone": "Europe/Berlin", "at": None}
    assert [(r.version, r.status, r.digest) for r in rows] == [(1, "active", report.digest)]
    assert rows[0].datasets_read == ["shipment_files.main.shipments"]
    snapshot = Path(rows[0].snapshot_path)
    assert snapshot == root / ".aios" / "jobs" / "snapshots" / f"{report.digest}.ipynb"
    assert all(c.get("outputs", []) == [] for c in json.loads(snapshot.read_text())["cells"])
    runs = report.to_dict()["next_runs"]
    assert len(runs) == 5 and all(r["local"][11:19] == "06:00:00" for r in runs)
    assert job.next_due_at is not None and runs[0]["utc"].startswith(
        job.next_due_at.strftime("%Y-%m-%dT%H:%M"))
    record = audit(service, "job_promote", "late_shipments")[0]
    assert record["allowed"] and record["user"] == "alice" and record["detail"]["version"] == 1
    assert record["detail"]["gates"]["validation_run"]["passed"] is True


def test_a_failing_cell_refuses_the_promotion_and_stores_nothing(root, service):
    path = working_copy(root, "raises.ipynb", "reconcile.ipynb")

    report = promote(service, path, user="alice")

    verdicts = gates(report)
    assert report.status == "refused" and report.version is None
    assert verdicts["validation_run"].reason == "cell 2 raised ValueError: the monthly total 3 does not reconcile"
    assert verdicts["validation_run"].detail["failing_cell"]["index"] == 2
    assert (root / verdicts["validation_run"].detail["output_path"]).exists()  # the evidence is kept
    # the grants gate found nothing wrong: the failed run (the one cause) kept it from finishing
    assert verdicts["grants"].reason == ("not run to the end because gate 3 failed: the run read no governed "
                                         "dataset before it stopped")
    assert [g.passed for g in report.gates] == [True, True, False, True, False, True]
    assert [g.verdict for g in report.gates] == ["passed", "passed", "failed", "passed", "not_run", "not_required"]
    data = report.to_dict()
    assert data["summary"] == "1 failed, 1 not run, 3 passed, 1 not required"
    assert data["cause"] == ("gate 3 (a validation run in a fresh kernel succeeds) failed: cell 2 raised "
                             "ValueError: the monthly total 3 does not reconcile")
    assert stored(service, "reconcile") == (None, [])
    assert not (root / ".aios" / "jobs" / "snapshots" / f"{report.digest}.ipynb").exists()
    record = audit(service, "job_promote", "reconcile")[0]
    assert record["allowed"] is False
    assert record["detail"]["gates"]["validation_run"]["reason"].startswith("cell 2 raised ValueError")


def test_every_gate_is_reported_at_once_and_bad_values_stop_before_any_kernel(root, service):
    path = working_copy(root, "failing_check.ipynb", "strict.ipynb")
    started = time.monotonic()

    report = promote(service, path, user="alice", parameters={"month": 202601, "bogus": 1}, approver="alice")

    verdicts = gates(report)
    assert report.status == "refused"
    assert [g.passed for g in report.gates] == [True, False, False, False, False, False]
    assert verdicts["parameters"].reason == ("invalid parameters: month expects str, got 202601; "
                                             "unknown parameter 'bogus' (known: month)")
    assert verdicts["validation_run"].reason == ("not run because gate 2 failed: without valid parameters "
                                                 "no kernel was started")
    assert verdicts["required_checks"].reason == ("shipments_strict failed: range(delay_days); "
                                                  "shipments_carriers warns: accepted_values(carrier)")
    # the grants gate names the gate that failed (2), not the one that did not run (3)
    assert verdicts["grants"].reason == ("not run because gate 2 failed: without a validation run what the "
                                         "notebook reads is unknown")
    assert verdicts["approval"].reason == "alice promoted this version and may not approve it: a second user must"
    assert [g.verdict for g in report.gates] == ["passed", "failed", "not_run", "failed", "not_run", "failed"]
    assert report.to_dict()["summary"] == "3 failed, 2 not run, 1 passed"
    assert not (root / ".aios" / "jobs" / "validation" / "strict").exists()   # no kernel, no output folder
    assert time.monotonic() - started < 30
    assert stored(service, "strict") == (None, [])


def test_a_missing_parameters_cell_or_kernel_language_fails_gate_one(root, service):
    for fixture, expected in [("no_parameters.ipynb", "has no cell tagged `parameters`"),
                              ("malformed.ipynb", "is not valid JSON"),
                              ("no_language.ipynb", "has no metadata.kernelspec.language")]:
        report = promote(service, f"notebooks/{fixture}", user="alice")
        first = report.gates[0]
        assert not first.passed and expected in first.reason, fixture
        assert first.detail["fix"]
        assert report.gates[1].reason.startswith("not run because gate 1 failed")
        assert report.gates[2].reason.startswith("not run because gate 1 failed")
        assert [g.verdict for g in report.gates][:3] == ["failed", "not_run", "not_run"], fixture
        assert report.gates[4].reason.startswith("not run because gate 1 failed"), fixture
        assert stored(service, Path(fixture).stem) == (None, [])


def test_unknown_required_suite_fails_the_checks_gate(root, service):
    report = promote(service, "notebooks/unknown_check.ipynb", user="alice")

    checks = gates(report)["required_checks"]
    assert not checks.passed
    assert checks.reason.startswith("no_such_suite: unknown suite (governance/checks.yaml defines ")
    suites = {s["suite"]: s["status"] for s in checks.detail["suites"]}
    assert suites == {"shipments_basics": "pass", "no_such_suite": "unknown"}
    assert gates(report)["validation_run"].passed


def test_reads_without_a_grant_fail_the_grants_gate(root, service):
    report = promote(service, "notebooks/ungranted.ipynb", user="bob")

    verdicts = gates(report)
    assert verdicts["validation_run"].passed, verdicts["validation_run"].reason  # the notebook caught the denial
    assert not verdicts["grants"].passed
    assert verdicts["grants"].reason == "bob has no grant on shipment_files.main.shipments"
    assert verdicts["grants"].detail["missing"] == ["shipment_files.main.shipments"]
    assert "supplier_master.main.suppliers" in verdicts["grants"].detail["grants"]
    assert report.status == "refused" and stored(service, "ungranted") == (None, [])


def test_typed_values_reach_the_validation_kernel(root, service):
    report = promote(service, "notebooks/typed.ipynb", user="alice", name="typed_job",
                     parameters={"n": 7, "threshold": 2, "regions": ["EU"], "flag": True, "cap": 3})

    assert report.status == "active", report.to_dict()
    output = nbformat.read(root / gates(report)["validation_run"].detail["output_path"], as_version=4)
    printed = "".join(o.get("text", "") for c in output.cells if c.cell_type == "code" for o in c.outputs)
    assert "(7, 0.5, 'x', True, [1, 2], {'a': 1}, None, 2.0, ['EU'], 3)" in printed
    assert report.parameters == {"n": 7, "threshold": 2.0, "regions": ["EU"], "flag": True, "cap": 3}


def test_another_identity_must_be_a_listed_service_identity(root, service):
    path = working_copy(root, "good.ipynb", "as_bot.ipynb")

    with pytest.raises(PermissionDenied, match="alice may not promote a job that runs as carol") as info:
        promote(service, path, user="alice", identity="carol")
    assert "jobs.service_identities (now: etl_bot)" in info.value.fix
    assert audit(service, "job_promote", "as_bot")[0]["allowed"] is False

    report = promote(service, path, user="alice", identity="etl_bot")
    assert report.status == "active" and report.identity == "etl_bot"
    assert gates(report)["validation_run"].reason.endswith("as etl_bot")
    assert gates(report)["grants"].reason.startswith("etl_bot holds grants on")
    assert stored(service, "as_bot")[0].identity == "etl_bot"


def test_paths_outside_the_workspace_are_refused(root, service, tmp_path):
    outside = tmp_path / "elsewhere.ipynb"
    shutil.copy(FIXTURES / "good.ipynb", outside)
    with pytest.raises(UsageError, match="is outside the workspace"):
        promote(service, "../elsewhere.ipynb", user="alice")
    with pytest.raises(UsageError, match="is outside the workspace"):
        promote(service, str(outside), user="alice")
    with pytest.raises(NotFound, match="notebooks/missing.ipynb does not exist"):
        promote(service, "notebooks/missing.ipynb", user="alice")


# -- versions --------------------------------------------------------------------------------------------------------
def test_snapshots_are_immutable_and_versions_roll_back(root, service):
    path = working_copy(root, "good.ipynb", "versioned.ipynb")
    first = promote(service, path, user="alice")
    snapshot = Path(stored(service, "versioned")[1][0].snapshot_path)
    frozen = snapshot.read_bytes()

    node = nbformat.read(root / path, as_version=4)
    node.cells[3].source = node.cells[3].source.replace("LIMIT {limit}", "LIMIT {limit} -- edited")
    nbformat.write(node, root / path)
    assert snapshot.read_bytes() == frozen                          # the working copy is not the job
    assert stored(service, "versioned")[0].version == 1

    second = promote(service, path, user="alice")
    assert (second.version, second.status) == (2, "active") and second.digest != first.digest
    again = promote(service, path, user="alice", retries=1)        # same content: same snapshot file
    job, rows = stored(service, "versioned")
    assert job.version == 3 and rows[2].snapshot_path == rows[1].snapshot_path != rows[0].snapshot_path
    assert again.digest == second.digest

    result = rollback(service, "versioned", 1, "carol", surface="cli")
    assert (result["previous_version"], result["version"]) == (3, 1)
    job, rows = stored(service, "versioned")
    assert job.version == 1 and Path(rows[0].snapshot_path).read_bytes() == frozen
    listing = versions(service, "versioned")
    assert listing["current_version"] == 1
    assert [(v["version"], v["current"]) for v in listing["versions"]] == [(1, True), (2, False), (3, False)]
    record = audit(service, "job_rollback", "versioned")[0]
    assert record["allowed"] and record["user"] == "carol"          # a steward (audit role) may roll back
    assert (record["detail"]["version"], record["detail"]["previous_version"]) == (1, 3)
    with pytest.raises(PermissionDenied, match="job 'versioned' belongs to alice: bob may not change it"):
        rollback(service, "versioned", 2, "bob")
    with pytest.raises(PermissionDenied, match="belongs to alice: bob may not change it"):
        promote(service, path, user="bob")                           # nor replace its notebook
    assert audit(service, "job_promote", "versioned")[0]["allowed"] is False
    assert stored(service, "versioned")[0].version == 1
    with pytest.raises(NotFound, match="has no version 9"):
        rollback(service, "versioned", 9, "carol")
    with pytest.raises(NotFound, match="job 'nope' has no versions"):
        versions(service, "nope")


# -- approval ------------------------------------------------------------------------------------------------------
def test_a_named_approver_must_approve_before_the_version_runs(root, service):
    path = working_copy(root, "good.ipynb", "approved.ipynb")

    report = promote(service, path, user="alice", approver="carol")

    approval = gates(report)["approval"]
    assert report.status == "pending_approval" and report.version == 1
    assert approval.passed and approval.pending and approval.reason == "waiting for approval by carol"
    job, rows = stored(service, "approved")
    assert job is None and rows[0].status == "pending_approval"   # nothing runs before the approval
    with service.store.session() as session:
        alert = session.scalar(select(Alert).where(Alert.key == "approval:approved:v1"))
    assert (alert.kind, alert.state) == ("approval", "open") and "carol" in alert.title

    with pytest.raises(PermissionDenied, match="alice promoted this version and may not approve it"):
        approve(service, "approved", 1, "alice")
    with pytest.raises(PermissionDenied, match="names carol as its approver, not bob"):
        approve(service, "approved", 1, "bob")
    decided = approve(service, "approved", 1, "carol", "looks right")

    assert decided["status"] == "active" and decided["job_version"] == 1
    job, rows = stored(service, "approved")
    assert job.version == 1 and rows[0].approved_by == "carol"
    assert [g for g in rows[0].gates if g["name"] == "approval"][0]["reason"] == "approved by carol: looks right"
    with service.store.session() as session:
        assert session.scalar(select(Alert).where(Alert.key == "approval:approved:v1")).state == "resolved"
    records = audit(service, "job_approve", "approved")
    assert [(r["user"], r["allowed"]) for r in records] == [("carol", True), ("bob", False), ("alice", False)]
    with pytest.raises(UsageError, match="is active: nothing to approve"):
        approve(service, "approved", 1, "carol")


def test_required_approval_with_approver_roles(root, service):
    strict = with_jobs_config(service, require_approval=True, approver_roles=("steward",))
    try:
        path = working_copy(root, "good.ipynb", "gated.ipynb")
        report = promote(strict, path, user="alice")
        assert report.status == "pending_approval"
        assert gates(report)["approval"].reason == ("waiting for approval by a second user with one of the roles "
                                                    "steward (jobs.require_approval)")
        with pytest.raises(PermissionDenied, match=r"bob has none of the approver roles \(steward\)"):
            approve(strict, "gated", 1, "bob")
        assert reject(strict, "gated", 1, "carol", "not this month")["status"] == "rejected"
        assert stored(strict, "gated")[0] is None

        assert promote(strict, path, user="alice").version == 2
        assert approve(strict, "gated", 2, "carol")["job_version"] == 2
        with pytest.raises(UsageError, match="version 1 of job 'gated' is rejected, not active"):
            rollback(strict, "gated", 1, "alice")
    finally:
        strict.close()


def test_a_one_off_time_in_the_past_is_refused_before_anything_is_stored(root, service):
    from aios_workbench.schemas.schedule import Schedule

    path = working_copy(root, "failing_check.ipynb", "late.ipynb")
    with pytest.raises(UsageError, match="the one-off time 2020-01-01T00:00\\+00:00 has passed") as refused:
        promote(service, path, user="alice", schedule=Schedule.parse(at="2020-01-01T00:00"))
    assert "aios jobs run NAME" in refused.value.fix
    assert stored(service, "late") == (None, [])
