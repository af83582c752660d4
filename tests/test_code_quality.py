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


def _imports_inside_functions():
    """(file, line, module, source line, line above) of every import of our own modules inside a function."""
    import ast

    for path in sorted((ROOT / "aios_workbench").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        module = inner.module if isinstance(inner, ast.ImportFrom) else inner.names[0].name
                        if (module or "").startswith("aios_workbench"):
                            yield (path.relative_to(ROOT), inner.lineno, module, lines[inner.lineno - 1],
                                   lines[inner.lineno - 2] if inner.lineno > 1 else "")


def test_every_import_inside_a_function_says_why_it_is_lazy():
    # docs/architecture.md: imports inside functions are lazy loads of heavy code, never a hidden cycle
    silent = [f"{path}:{line} {module}" for path, line, module, source, above in _imports_inside_functions()
              if "# lazy:" not in source and not above.strip().startswith("# lazy:")]
    assert not silent, "add a `# lazy: <reason>` comment (or move the import to the top):\n" + "\n".join(silent)
