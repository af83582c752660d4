"""The extension's unit and component tests (Jest in jsdom: the sidebar's sections, the Promote dialog, the
schedule builder, time formatting) and the job-name rule the Promote dialog shares with the service."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from aios_workbench.core.errors import UsageError
from aios_workbench.jobs.promote import default_job_name
from tests.conftest import ROOT, need

EXTENSION = ROOT / "extension"


def test_the_extension_unit_tests_pass(tmp_path):
    node = shutil.which("node")
    need(node is not None, "Node.js is not installed (the extension's unit tests need it)")
    need((EXTENSION / "node_modules" / "jest").is_dir(),
         "the extension's dev dependencies are not installed (run `jlpm install` in extension/)")
    report = tmp_path / "jest.json"
    # What `jlpm test` runs, without needing jlpm on PATH; --ci never writes snapshots.
    result = subprocess.run([node, "node_modules/jest/bin/jest.js", "--ci", "--json", f"--outputFile={report}"],
                            cwd=EXTENSION, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(report.read_text())
    assert summary["numFailedTests"] == 0 and summary["numRuntimeErrorTestSuites"] == 0, result.stderr
    assert summary["numPassedTests"] > 0, "Jest found no tests"  # the runner found the tests


@pytest.mark.parametrize("path, name", [
    ("notebooks/02_governance_checks.ipynb", "governance_checks"),
    ("daily summary.ipynb", "daily_summary"),
    ("notebooks/sub/report-v2.ipynb", "report-v2"),
])
def test_the_dialog_proposes_the_job_name_the_service_would_choose(path, name):
    # extension/test/cronPresets.test.ts asserts the same names for defaultJobName()
    assert default_job_name(path) == name


def test_a_stem_without_letters_gets_no_default_name():
    # the dialog leaves the (required) name empty; the service refuses to guess
    with pytest.raises(UsageError):
        default_job_name("3.ipynb")
