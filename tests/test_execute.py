"""`execute_notebook`: Papermill in a fresh kernel behind the governed job endpoint, one case per failure mode.

Real kernels, a real copy of the demo workspace, the real REST routes; fixture notebooks live in
tests/fixtures/notebooks/jobs/.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.conftest import copy_demo_workspace

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks" / "jobs"


@pytest.fixture(scope="module")
def service(demo_workspace, tmp_path_factory):
    """A WorkbenchService on a private copy of the demo workspace (alice reads all, bob no shipments)."""
    from aios_workbench.service.core import WorkbenchService

    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("execute") / "demo")
    svc = WorkbenchService(ws, mode="job")
    yield svc
    svc.close()


def run(service, tmp_path, fixture: str, **options):
    from aios_workbench.jobs.execute import execute_notebook

    options.setdefault("identity", "alice")
    options.setdefault("parameters", {})
    return execute_notebook(service, FIXTURES / f"{fixture}.ipynb", output_dir=tmp_path / fixture, **options)


def stream_text(path: Path) -> str:
    """Everything the executed notebook printed."""
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


def test_ok_notebook_reads_governed_data_with_typed_parameters_and_writes_every_output(service, tmp_path):
    progress: list[tuple[int, int]] = []
    parameters = {"months": 6, "label": "weekly", "ratio": 0.25, "flag": True, "items": [1, "two"],
                  "options": {"a": 1}, "nothing": None}

    result = run(service, tmp_path, "ok", parameters=parameters, job_run_id=41, job_name="ok-job",
                 progress=lambda done, total: progress.append((done, total)))

    assert result.ok and result.status == "succeeded" and result.error is None and result.failing_cell is None
    printed = stream_text(result.output_path)
    types = json.loads(printed.split("types: ")[1].splitlines()[0])
    assert types == {"months": "int", "label": "str", "ratio": "float", "flag": "bool", "items": "list",
                     "options": "dict", "nothing": "NoneType"}
    assert json.loads(printed.split("values: ")[1].splitlines()[0]) == parameters
    assert "identity: alice" in printed and "rows: " in printed
    assert result.datasets_read == ["shipment_files.main.shipments"] and result.datasets_denied == []
    assert result.output_path.name == "output.ipynb" and result.html_path.read_text().startswith("<!DOCTYPE html>")
    assert "identity: alice" in result.html_path.read_text()
    log = result.log_path.read_text()
    assert "rows: " in log and "code cell 3 of 7 finished in" in log and "run succeeded" in log
    # progress: announced at the start, then once per finished cell, ending at cell n of n
    assert progress[0] == (0, 7) and progress[-1] == (7, 7) == (result.cells_done, result.cells_total)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    # the governed read is audited as a job read, carrying the job run
    records = service.audit.query(user="alice", limit=5)
    job_reads = [r for r in records if r["surface"] == "job" and r["detail"].get("run_id") == "job-run:41"]
    assert job_reads and job_reads[0]["target"] == "shipment_files.main.shipments"


def test_checks_a_job_runs_are_recorded_with_its_job_run(service, tmp_path):
    from aios_workbench.checks.ledger import Ledger

    result = run(service, tmp_path, "checks", job_run_id=77, job_name="checks-job")

    assert result.ok, result.error
    [row] = Ledger(service.store).history(name="shipments_basics", limit=1)
    assert (row["job_run_id"], row["user"]) == (77, "alice")
    assert "shipment_files.main.shipments" in result.datasets_read   # the suite's reads are the job's reads


def test_the_run_token_is_refused_once_the_run_is_over(service, tmp_path):
    token_file = tmp_path / "token.json"

    result = run(service, tmp_path, "ok", parameters={"token_file": str(token_file)})

    assert result.ok
    seen = json.loads(token_file.read_text())
    request = urllib.request.Request(f"{seen['url']}/aios/api/status",
                                     headers={"Authorization": f"Bearer {seen['token']}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 401
    assert seen["token"] not in result.output_path.read_text()   # and it never reached the outputs


def test_a_failing_cell_is_extracted_with_a_clean_traceback(service, tmp_path):
    result = run(service, tmp_path, "raises")

    assert not result.ok and result.status == "failed"
    cell = result.failing_cell
    assert cell["index"] == 3 and "raise ValueError" in cell["source"]
    assert (cell["ename"], cell["evalue"]) == ("ValueError", "bad value 2")
    assert "ValueError" in cell["traceback"] and "\x1b[" not in cell["traceback"]
    assert result.error == "cell 3 raised ValueError: bad value 2"
    assert (result.cells_done, result.cells_total) == (2, 4)
    printed = stream_text(result.output_path)
    assert "before the failure" in printed and "never printed" not in printed
    assert result.html_path.is_file() and "run failed: cell 3 raised ValueError" in result.log_path.read_text()


@pytest.mark.parametrize("code, status", [(1, "failed"), (0, "succeeded")])
def test_sys_exit_1_fails_and_sys_exit_0_ends_the_notebook_as_papermill_does(service, tmp_path, code, status):
    result = run(service, tmp_path, "exits", parameters={"code": code})

    assert result.status == status
    assert "never printed" not in stream_text(result.output_path)
    if code:
        assert result.failing_cell["ename"] == "SystemExit" and result.failing_cell["evalue"] == "1"
    else:
        assert result.cells_done < result.cells_total and "ended itself (sys.exit(0))" in result.log_path.read_text()


def test_a_kernel_that_dies_fails_the_run_with_a_clear_error(service, tmp_path):
    result = run(service, tmp_path, "dies")

    assert result.status == "failed"
    assert result.error == "the kernel died while running cell 1 (os._exit, a crash, or out of memory)"
    assert result.failing_cell["ename"] == "DeadKernelError" and "os._exit" in result.failing_cell["source"]
    assert "code cell 1 of 2 started" in result.log_path.read_text() and result.output_path.is_file()


def test_the_whole_notebook_timeout_stops_a_sleeping_kernel_within_seconds(service, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    started = time.monotonic()

    result = run(service, tmp_path, "sleeps", parameters={"seconds": 120, "pid_file": str(pid_file)}, timeout=10)

    assert result.status == "timed_out" and time.monotonic() - started < 10 + 8
    assert result.error == "the notebook ran longer than its whole-notebook timeout of 10 s while running cell 3"
    assert result.failing_cell["source"] == "time.sleep(seconds)"
    wait_until(lambda: not alive(int(pid_file.read_text())), 5, "the kernel process ending")
    assert "sleeping" in stream_text(result.output_path)   # the partial output is kept


def test_the_per_cell_timeout_stops_a_long_cell(service, tmp_path):
    result = run(service, tmp_path, "sleeps", parameters={"seconds": 30}, cell_timeout=1.5)

    assert result.status == "timed_out"
    assert result.error == "cell 3 ran longer than the per-cell timeout of 1.5 s"


def test_cancel_stops_a_sleeping_kernel_within_seconds(service, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    asked: list[float] = []

    def should_cancel() -> bool:
        asked.append(time.monotonic())
        return pid_file.exists() and len(asked) >= 3

    result = run(service, tmp_path, "sleeps", parameters={"seconds": 120, "pid_file": str(pid_file)},
                 should_cancel=should_cancel)

    assert result.status == "cancelled" and result.error == "cancelled while running cell 3"
    assert time.monotonic() - asked[-1] < 6          # stopped within seconds of the cancel
    wait_until(lambda: not alive(int(pid_file.read_text())), 5, "the kernel process ending")


def test_secrets_reach_only_the_kernel_and_are_scrubbed_from_every_output(service, tmp_path, monkeypatch):
    secret = "s3cret-Value-7781"
    parent_only = {"AIOS_TOKEN": "parent-service-token-1234", "PG_PASSWORD": "pg-pass-5678",
                   "WAREHOUSE_DSN": "postgresql://etl:dsn-pass-9@db/warehouse", "UNLISTED_SETTING": "plain-4321",
                   "AIOS_SECRETS_FILE": str(tmp_path / "secrets.yaml"), "JUPYTER_TOKEN": "lab-token-2468"}
    for name, value in {**parent_only, "JOB_KEY_REF": secret}.items():
        monkeypatch.setenv(name, value)

    result = run(service, tmp_path, "secret_env", secrets={"JOB_API_KEY": "JOB_KEY_REF"}, job_run_id=7,
                 job_name="secret-job", env={"AIOS_EXPERIMENT": "notebooks/secret_env.ipynb"})

    assert result.ok
    printed = stream_text(result.output_path)
    assert "secret: ***" in printed and "token: ***" in printed
    keys = set(json.loads(printed.split("keys: ")[1].splitlines()[0]))
    assert {"AIOS_SERVICE_URL", "AIOS_TOKEN", "AIOS_JOB_NAME", "AIOS_JOB_RUN_ID", "AIOS_JOB_PARAMETERS",
            "AIOS_WORKSPACE", "AIOS_EXPERIMENT", "JOB_API_KEY", "PATH", "HOME"} <= keys
    assert not keys & {*parent_only.keys() - {"AIOS_TOKEN"}, "JOB_KEY_REF"}
    for path in (result.output_path, result.html_path, result.log_path):
        text = path.read_text()
        assert secret not in text and "s3cret" not in text
        assert not any(value in text for value in parent_only.values())


def test_a_secret_that_is_not_set_fails_the_run_naming_it(service, tmp_path, monkeypatch):
    monkeypatch.delenv("AIOS_SECRETS_FILE", raising=False)

    result = run(service, tmp_path, "ok", secrets={"API_KEY": "NOWHERE_DEFINED_SECRET"})

    assert result.status == "failed" and "secret 'NOWHERE_DEFINED_SECRET' is not set" in result.error
    assert result.cells_done == 0 and result.output_path.is_file() and result.log_path.is_file()


def test_a_denied_dataset_is_reported_and_fails_the_cell_that_read_it(service, tmp_path):
    result = run(service, tmp_path, "denied", identity="bob", job_run_id=99)

    assert result.status == "failed" and "bob may not read shipment_files.main.shipments" in result.error
    assert result.datasets_read == ["supplier_master.main.suppliers"]
    assert result.datasets_denied == ["shipment_files.main.shipments"]
    refused = service.audit.query(user="bob", allowed=False, limit=1)[0]
    assert refused["surface"] == "job" and refused["detail"]["run_id"] == "job-run:99"


def test_a_kernel_that_is_not_installed_fails_naming_the_installed_ones(service, tmp_path):
    kernel = nbformat.read(FIXTURES / "bad_kernel.ipynb", as_version=4).metadata.kernelspec.name

    result = run(service, tmp_path, "bad_kernel", kernel=kernel)

    assert result.status == "failed" and result.cells_done == 0
    assert "kernel 'no-such-kernel' is not installed here; installed kernels:" in result.error
    assert "python3" in result.error and "ipykernel install" in result.error
    assert result.output_path.is_file() and "no-such-kernel" in result.log_path.read_text()


def test_a_notebook_without_kernelspec_language_is_fixed_up_and_runs(service, tmp_path):
    assert "language" not in nbformat.read(FIXTURES / "no_language.ipynb", as_version=4).metadata.kernelspec

    result = run(service, tmp_path, "no_language", parameters={"n": 5})

    assert result.ok and "squared: 25" in stream_text(result.output_path)


def test_a_notebook_failing_once_succeeds_on_the_next_attempt(service, tmp_path):
    marker = tmp_path / "attempt.marker"

    first = run(service, tmp_path / "1", "flaky", parameters={"marker": str(marker)})
    second = run(service, tmp_path / "2", "flaky", parameters={"marker": str(marker)})

    assert (first.status, second.status) == ("failed", "succeeded")
    assert first.failing_cell["evalue"] == "the first attempt fails"


@pytest.mark.parametrize("options, message", [
    ({"parameters": {"x = 1; import os; y": 1}}, "is not a Python identifier"),
    ({"parameters": {"when": object()}}, "cannot be passed to a notebook"),
    ({"secrets": {"AIOS_TOKEN": "REF"}}, "set by the job runtime"),
    ({"secrets": {"api-key": "REF"}}, "is not an environment variable name"),
    ({"timeout": -5}, "timeout must be a positive number"),
    ({"identity": ""}, "runs as an identity"),
])
def test_bad_arguments_are_refused_before_any_kernel_starts(service, tmp_path, options, message):
    from aios_workbench.core.errors import UsageError

    with pytest.raises(UsageError) as refused:
        run(service, tmp_path, "ok", **options)
    assert message in refused.value.message and refused.value.fix


def test_a_missing_notebook_is_not_found(service, tmp_path):
    from aios_workbench.core.errors import NotFound
    from aios_workbench.jobs.execute import execute_notebook

    with pytest.raises(NotFound, match="does not exist"):
        execute_notebook(service, tmp_path / "nope.ipynb", parameters={}, identity="alice", output_dir=tmp_path)


def test_outputs_are_served_only_from_the_state_folder(tmp_path):
    """A run row names its output files; routes serve them only while they exist inside the workspace's
    state folder, so a pruned output is "gone" and a doctored path cannot read any other file."""
    from types import SimpleNamespace

    from aios_workbench.jobs.outputs import kept_output

    workspace = SimpleNamespace(root=tmp_path, state_dir=tmp_path / ".aios")
    kept = workspace.state_dir / "jobs" / "nightly" / "runs" / "3" / "output.html"
    kept.parent.mkdir(parents=True)
    kept.write_text("<html>run 3</html>")
    secret = tmp_path / "connectors" / "warehouse.yaml"
    secret.parent.mkdir()
    secret.write_text("password: hunter2")
    salt = workspace.state_dir / "mask.salt"                     # state, but no output
    salt.write_text("do-not-serve")
    (kept.parent / "output.ipynb").symlink_to(salt)              # a link dressed as an output
    (kept.parent / "salt.html").symlink_to(salt)

    assert kept_output(workspace, str(kept)) == kept.resolve()
    assert kept_output(workspace, ".aios/jobs/nightly/runs/3/output.html") == kept.resolve()   # relative to the root
    assert kept_output(workspace, str(secret)) is None
    assert kept_output(workspace, str(workspace.state_dir / ".." / "connectors" / "warehouse.yaml")) is None
    assert kept_output(workspace, str(salt)) is None
    assert kept_output(workspace, str(kept.parent / "output.ipynb")) is None
    assert kept_output(workspace, str(kept.parent / "salt.html")) is None
    assert kept_output(workspace, str(workspace.state_dir / "jobs")) is None      # a folder is no output
    assert kept_output(workspace, None) is None and kept_output(workspace, "") is None
    kept.unlink()
    assert kept_output(workspace, str(kept)) is None                                # pruned by retention


def test_the_kernel_is_reached_over_private_unix_sockets_that_go_with_the_run(service, tmp_path):
    """No TCP port on 127.0.0.1 for other local processes to try, no plain-text transport for ipykernel to
    warn about: the job's kernel listens on Unix sockets in a 0700 folder, removed after the run."""
    import tempfile

    result = run(service, tmp_path, "transport")
    assert result.status == "succeeded", result.error
    printed = stream_text(result.output_path)
    assert "transport: ipc" in printed
    folder = Path(printed.split("sockets in:")[1].strip()).parent
    assert folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith(f"aios-kernel-{os.getpid()}-")
    assert not folder.exists()
    assert "without encryption" not in result.log_path.read_text()


def test_kernel_socket_folders_of_dead_processes_are_swept(tmp_path, monkeypatch):
    import subprocess
    import tempfile

    from aios_workbench.jobs.execute import _sweep_kernel_folders

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])   # a process that has ended: its pid is free
    gone.wait()
    dead = tmp_path / f"aios-kernel-{gone.pid}-abc"
    live = tmp_path / f"aios-kernel-{os.getpid()}-def"
    other = tmp_path / "aios-kernel-notapid-x"
    for folder in (dead, live, other):
        folder.mkdir()
    _sweep_kernel_folders()
    assert not dead.exists() and live.exists() and other.exists()
