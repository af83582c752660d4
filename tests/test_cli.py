"""The `aios` command line: help everywhere, JSON output, meaningful exit codes, fast import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from aios_workbench.surfaces.cli.main import cli
from tests.conftest import run_aios

COMMANDS = sorted(cli.commands)


def test_every_command_has_help():
    runner = CliRunner()
    for name in [None, *COMMANDS]:
        result = runner.invoke(cli, [name, "--help"] if name else ["--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.output and len(result.output.splitlines()) > 3, name


def test_this_issues_commands_are_all_there():
    assert {"init", "demo", "lab", "serve", "status"} <= set(COMMANDS)


def test_init_then_status_as_json(tmp_path):
    created = run_aios("init", str(tmp_path / "w"), "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["workspace"] == "w"

    status = run_aios("status", "--json", cwd=tmp_path / "w" / "notebooks")

    assert status.returncode == 0, status.stderr
    body = json.loads(status.stdout)
    assert body["workspace"]["path"] == str(tmp_path / "w")
    assert body["store"]["ok"] is True


def test_status_exits_69_when_a_source_is_down(workspace):
    (workspace.root / "connectors" / "gone.yaml").write_text("name: gone\ntype: duckdb\noptions: {path: gone.duckdb}\n")

    result = run_aios("--workspace", str(workspace.root), "status")

    assert result.returncode == 69
    assert "gone" in result.stdout and "FAILED" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["status"], 66, "no workspace found"),
        (["--workspace", "/nonexistent/place", "status"], 66, "is not a workspace"),
        (["init", "{ws}"], 64, "already a workspace"),
    ],
)
def test_errors_name_the_input_and_the_fix_with_their_exit_code(tmp_path, workspace, args, code, message):
    args = [a.replace("{ws}", str(workspace.root)) for a in args]
    result = run_aios(*args, cwd=tmp_path, env={"AIOS_WORKSPACE": ""})

    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "fix:" in result.stderr


def test_broken_config_exits_78_and_names_the_line(workspace):
    (workspace.root / "aios.yaml").write_text("name: w\npaths:\n  state: [unclosed\n")

    result = run_aios("--workspace", str(workspace.root), "status")

    assert result.returncode == 78
    assert "aios.yaml line 4" in result.stderr and "not valid YAML" in result.stderr


def test_bad_option_value_is_a_usage_error():
    result = run_aios("demo", "--scale", "lots", "--prepare-only")

    assert result.returncode == 2
    assert "'lots' is not a valid float" in result.stderr


def test_import_loads_no_heavy_library():
    heavy = ["duckdb", "mlflow", "pandas", "polars", "pyarrow", "sqlalchemy", "evidently", "panel", "dask",
             "papermill", "tornado", "jupyter_server", "pydantic", "yaml", "click"]
    code = ("import sys, aios_workbench; "
            f"print([m for m in {heavy!r} if m in sys.modules])")

    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert loaded.strip() == "[]"


def test_sql_out_in_a_missing_folder_is_refused_and_writes_nothing(workspace, tmp_path):
    missing = tmp_path / "nodir" / "x.parquet"
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")

    for out, fmt, expected in ((missing, "parquet", "mkdir -p"), (missing.with_suffix(".csv"), "csv", "mkdir -p"),
                               (not_a_folder / "x.csv", "csv", "is a file, not a folder")):
        result = run_aios("--workspace", str(workspace.root), "sql", "SELECT 1 AS x", "--format", fmt,
                          "--out", str(out))

        assert result.returncode == 64, result.stderr
        assert "Traceback" not in result.stderr
        assert str(out) in result.stderr and expected in result.stderr and "fix:" in result.stderr
    assert not missing.parent.exists() and not_a_folder.read_text() == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "ws"]


def test_sql_out_files_are_created_like_any_file_and_two_formats_are_refused(workspace, tmp_path):
    import os
    import stat

    out = tmp_path / "x.csv"
    done = run_aios("--workspace", str(workspace.root), "sql", "SELECT 1 AS x", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask     # not a private 0600 temporary file's mode
    assert out.read_text().splitlines() == ["x", "1"]

    both = run_aios("--workspace", str(workspace.root), "sql", "SELECT 1 AS x", "--json", "--format", "csv")
    assert both.returncode == 64 and "--json and --format csv ask for two formats" in both.stderr
