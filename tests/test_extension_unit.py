"""The extension's unit tests (pure TypeScript: the schedule builder, time formatting) under Node's own
test runner, and the job-name rule the Promote dialog shares with the service."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from aios_workbench.errors import UsageError
from aios_workbench.jobs.promote import default_job_name

from .conftest import ROOT, need

EXTENSION = ROOT / "extension"


def test_the_extension_unit_tests_pass():
    node = shutil.which("node")
    need(node is not None, "Node.js is not installed (the extension's unit tests need it)")
    need((EXTENSION / "node_modules" / "typescript").is_dir(),
         "the extension's dev dependencies are not installed (run `jlpm install` in extension/)")
    compiled = subprocess.run([node, "node_modules/typescript/bin/tsc", "-p", "tsconfig.test.json"], cwd=EXTENSION,
                              capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    result = subprocess.run([node, "--test", "lib-test/test/"], cwd=EXTENSION, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
    assert "# pass 0" not in result.stdout  # the runner found the tests


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
