"""The demo's daily job: notebooks/04_monitor_shipments.ipynb runs under Papermill, `aios demo` promotes it as
`monitor_shipments` (07:00 UTC, as alice) once per content, and a real `aios scheduler` runs it.

Everything happens on a private copy of the prepared demo workspace: the monitor opens its alert and the
runs write to the ledger, which must not touch the repository's own state. The demo data drifts on
`lead_time_days` in its newest month, so the monitor `shipments_monthly_drift` fails by design.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from aios_workbench.alerts import AlertFeed
from aios_workbench.jobs import runs
from aios_workbench.store import open_store
from aios_workbench.store.models import Job, JobVersion
from tests.conftest import aios_serve, artifact, copy_demo_workspace, run_aios
from tests.test_scheduler import queue_run, rows, set_due

NOTEBOOK = "notebooks/04_monitor_shipments.ipynb"
JOB = "monitor_shipments"
MONITOR_ALERT = "monitor:shipments_monthly_drift"
TOKEN = "demo-job-test-token"


@pytest.fixture(scope="module")
def demo(demo_workspace, tmp_path_factory):
    return copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("demo-job") / "demo")


@pytest.fixture(scope="module")
def promoted(demo):
    """The copy with the daily job promoted by the helper `aios demo` uses (the copy has no jobs of its own)."""
    from aios_workbench.demo.prepare import promote_demo_job

    return promote_demo_job(demo, progress=False)


@pytest.fixture(scope="module")
def store(demo):
    store = open_store(demo.metadata_url)
    yield store
    store.close()


@pytest.fixture(scope="module")
def service(demo):
    with aios_serve(demo.root, token=TOKEN, user="alice") as url:
        yield url


@pytest.fixture
def service_url(service, monkeypatch):
    """The kernels Papermill starts reach the copy's service as alice."""
    monkeypatch.setenv("AIOS_SERVICE_URL", service)
    monkeypatch.setenv("AIOS_TOKEN", TOKEN)
    return service


def run_notebook(demo, output: Path, **parameters):
    import papermill

    return papermill.execute_notebook(str(demo.root / NOTEBOOK), str(output), parameters=parameters,
                                      cwd=str(demo.root / "notebooks"), progress_bar=False, kernel_name="python3")


def outputs_of(notebook: dict) -> dict[str, str]:
    """Each code cell's outputs as JSON text, keyed by its source (papermill inserts a cell)."""
    return {"".join(c["source"]): json.dumps(c.get("outputs", [])) for c in notebook["cells"]
            if c["cell_type"] == "code"}


def open_alert(store, key: str) -> dict | None:
    return next((a for a in AlertFeed(store).list(state="open", limit=500) if a["key"] == key), None)


def job_row(store) -> Job:
    with store.session() as session:
        return session.scalar(select(Job).where(Job.name == JOB))


# -- the notebook ------------------------------------------------------------------------------------------------
def test_with_its_defaults_the_notebook_succeeds_and_reports_the_drift(demo, service_url):
    output = artifact("04_monitor_shipments.out.ipynb")

    run_notebook(demo, output)

    notebook = json.loads(output.read_text())
    assert not any(o.get("output_type") == "error" for c in notebook["cells"] for o in c.get("outputs", []))
    text = outputs_of(notebook)
    quality = next(v for k, v in text.items() if k.startswith("quality = wb.quality"))
    assert "shipments_basics" in quality and "shipments_carriers" in quality
    assert "monitor:shipments_monthly_drift" in next(v for k, v in text.items() if k.startswith("drift = wb.monitor"))
    assert "drifted columns: lead_time_days" in next(v for k, v in text.items() if k.startswith("result = drift[0]"))
    assert "monitor shipments_monthly_drift: fail" in next(v for k, v in text.items()
                                                           if k.startswith("quality.raise_on_fail()"))
    assert max(len(v.encode()) for v in text.values()) < 200_000     # compact outputs
    assert TOKEN not in output.read_text()


def test_with_fail_on_drift_the_notebook_fails_naming_the_drifted_column(demo, service_url):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as failure:
        run_notebook(demo, artifact("04_monitor_shipments.fail.out.ipynb"), fail_on_drift=True)

    assert failure.value.ename == "CheckFailed"
    assert "monitor:shipments_monthly_drift" in failure.value.evalue and "lead_time_days" in failure.value.evalue
    assert "drift.raise_on_fail()" in failure.value.source     # it stops at the verdict, not earlier


# -- the demo's job ----------------------------------------------------------------------------------------------
def test_the_prepared_demo_runs_the_notebook_as_a_daily_job(demo, promoted):
    assert promoted["status"] == "active", promoted
    assert promoted["refused_gates"] == {}

    shown = run_aios("--workspace", str(demo.root), "jobs", "show", JOB, "--json", env={"AIOS_USER": "alice"})

    assert shown.returncode == 0, shown.stderr
    job = json.loads(shown.stdout)
    assert (job["notebook"], job["identity"], job["created_by"], job["paused"]) == (NOTEBOOK, "alice", "alice", False)
    assert job["spec"]["schedule"] == {"kind": "cron", "cron": "0 7 * * *", "timezone": "UTC", "at": None}
    assert job["next_run"].endswith("T07:00:00+00:00")
    assert job["version_status"] == "active"


def test_preparing_again_keeps_the_job_when_the_notebook_is_unchanged(demo, promoted, store):
    from aios_workbench.demo.prepare import promote_demo_job

    started = time.monotonic()
    again = promote_demo_job(demo, progress=False)

    assert again["status"] == "unchanged" and again["digest"] == promoted["digest"]
    assert time.monotonic() - started < 5       # no validation run
    with store.session() as session:
        versions = session.scalars(select(JobVersion.version).where(JobVersion.job_name == JOB)).all()
    assert versions == [1]


def test_a_scheduled_run_succeeds_writes_its_output_and_the_monitor_alert_is_open(demo, promoted, store):
    job = job_row(store)
    AlertFeed(store).resolve(MONITOR_ALERT)          # opened by the validation run; the scheduled run must reopen it
    assert open_alert(store, MONITOR_ALERT) is None
    set_due(store, job.id, runs.now())

    scheduler = run_aios("--workspace", str(demo.root), "scheduler", "--once", "--json", timeout=180)

    assert scheduler.returncode == 0, scheduler.stdout + scheduler.stderr
    [run] = [r for r in rows(store, job.id) if r.trigger == "schedule"]
    assert (run.trigger, run.status) == ("schedule", "succeeded"), (run.error, scheduler.stdout)
    output = Path(run.output_path)
    output = output if output.is_absolute() else demo.root / output
    assert output.is_file()
    assert "drifted columns: lead_time_days" in output.read_text()
    alert = open_alert(store, MONITOR_ALERT)
    assert alert is not None and alert["kind"] == "monitor_failed"
    assert "lead_time_days" in alert["detail"]["drifted"]
    assert open_alert(store, f"job:{JOB}") is None    # the run itself succeeded


def test_a_run_with_fail_on_drift_is_recorded_failed_and_its_monitor_alert_names_it(demo, promoted, store):
    """The run failed because its monitor raised: one incident, the monitor's alert, naming the failed run
    (a second alert `job:JOB` would tell the same cause again; alerts/incidents.py)."""
    job = job_row(store)
    run_id = queue_run(store, job.id, parameters={"fail_on_drift": True})

    scheduler = run_aios("--workspace", str(demo.root), "scheduler", "--once", "--json", timeout=180)

    assert scheduler.returncode == 0, scheduler.stdout + scheduler.stderr
    [run] = [r for r in rows(store, job.id) if r.id == run_id]
    assert run.status == "failed", (run.error, scheduler.stdout)
    assert run.failing_cell["ename"] == "CheckFailed" and "lead_time_days" in run.failing_cell["evalue"]
    assert open_alert(store, f"job:{JOB}") is None
    alert = open_alert(store, MONITOR_ALERT)
    assert alert is not None and alert["kind"] == "monitor_failed"
    assert (alert["detail"]["job"], alert["detail"]["run_id"], alert["detail"]["run_verdict"]) == (JOB, run_id, "failed")
