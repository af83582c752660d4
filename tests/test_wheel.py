"""The built wheel works in a fresh environment with no Node.js: both extensions load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
UV = str(Path(sys.executable).parent / "uv")


def run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([UV, "build", "--wheel", "--out-dir", str(out), str(ROOT)])
    (wheel,) = out.glob("aios_workbench-*.whl")
    return wheel


def test_wheel_ships_the_prebuilt_extension_and_server_config(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    data = "aios_workbench-" + wheel.name.split("-")[1] + ".data/data/"
    assert data + "share/jupyter/labextensions/aios-workbench/package.json" in names
    assert data + "share/jupyter/labextensions/aios-workbench/static/style.js" in names
    assert data + "etc/jupyter/jupyter_server_config.d/aios_workbench.json" in names
    assert "aios_workbench/surfaces/rest/openapi.yaml" in names
    assert "aios_workbench/store/migrations/versions/0001_initial.py" in names


def test_wheel_installs_and_both_extensions_load_without_node(wheel, tmp_path):
    venv = tmp_path / "venv"
    constraints = tmp_path / "constraints.txt"
    exported = run([UV, "export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project",
                    "--project", str(ROOT)]).stdout
    constraints.write_text(exported)
    run([UV, "venv", "--python", sys.executable, str(venv)])
    run([UV, "pip", "install", "--python", str(venv / "bin" / "python"), "-c", str(constraints), str(wheel)])

    # PATH holds only the new venv: no node, npm or jlpm can be found
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path), "JUPYTER_PLATFORM_DIRS": "1"}
    assert shutil.which("node", path=env["PATH"]) is None

    labext = run([str(venv / "bin" / "jupyter"), "labextension", "list"], env=env)
    serverext = run([str(venv / "bin" / "jupyter"), "server", "extension", "list"], env=env)

    listing = labext.stdout + labext.stderr
    assert "aios-workbench v" in listing and "enabled" in listing
    line = next(row for row in listing.splitlines() if "aios-workbench" in row)
    assert "OK" in line and "X" not in line.replace("aios-workbench", "")
    server_listing = serverext.stdout + serverext.stderr
    assert "aios_workbench enabled" in server_listing.replace("\x1b[32m", "").replace("\x1b[0m", "")
    assert "aios_workbench 0" in server_listing and "OK" in server_listing
