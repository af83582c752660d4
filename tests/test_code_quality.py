"""The code keeps its shape: the linters of docs/architecture.md run clean on every test run.

ruff (pyflakes, import order, bugbear, pyupgrade, naming), import-linter (the layers and the two
forbidden contracts of pyproject.toml) and mypy (strict on core/ and service/). Each test shows the
tool's own findings when it fails, so the fix is one read away.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def _run(tool: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", "aios_workbench", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_layer_imports_only_what_is_below_it():
    result = _run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_mypy_finds_nothing():
    result = _run("mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout + result.stderr
