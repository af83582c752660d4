"""The extension's TypeScript is linted (ESLint with typescript-eslint, Prettier) with zero findings, and its
API types, generated from the OpenAPI document, are current."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, need

EXTENSION = ROOT / "extension"
GENERATED = EXTENSION / "src" / "generated" / "api.ts"


def test_the_extension_lint_finds_nothing():
    # jlpm lives beside the Python running the tests (.venv/bin under `./workbench test`); so does `jupyter`.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    jlpm = shutil.which("jlpm", path=path)
    need(jlpm is not None, "jlpm is not installed (JupyterLab brings it: run `./workbench setup`)")
    need(shutil.which("node") is not None, "Node.js is not installed (the extension's lint needs it)")
    need((EXTENSION / "node_modules" / "eslint").is_dir(),
         "the extension's dev dependencies are not installed (run `jlpm install` in extension/)")
    result = subprocess.run([jlpm, "lint:check"], cwd=EXTENSION, env={**os.environ, "PATH": path},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_api_types_match_the_openapi_document(tmp_path):
    node = shutil.which("node")
    need(node is not None, "Node.js is not installed (the API types are generated with it)")
    need((EXTENSION / "node_modules" / "openapi-typescript").is_dir(),
         "the extension's dev dependencies are not installed (run `jlpm install` in extension/)")
    fresh = tmp_path / "api.ts"
    # What `jlpm generate:api` runs, writing elsewhere so the committed file is compared, not replaced.
    result = subprocess.run([node, "scripts/generate-api-types.mjs", str(fresh)],
                            cwd=EXTENSION, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert GENERATED.read_text() == fresh.read_text(), (
        "extension/src/generated/api.ts is not what the OpenAPI document generates: "
        "run `jlpm generate:api` in extension/ and commit the result")
