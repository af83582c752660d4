"""A first hour with the `aios` command line, as a new user meets it (issue #20): who the commands act as,
SQL errors in words, drift that leaves identifiers out, documented exit codes, `aios init`, `aios lab`."""

from __future__ import annotations

import getpass
import json
import re

import pytest

from tests.conftest import AIOS, ROOT, copy_demo_workspace, free_port, run_aios, stop, wait_for_http

ME = getpass.getuser()
DRIFT = ("(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')",
         "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')")


@pytest.fixture(scope="module")
def demo(demo_workspace, tmp_path_factory):
    """A private copy of the demo workspace (its OS account is not one of the policy's users)."""
    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("first-hour") / "demo")
    assert ME not in ws.policy.users
    return ws


def aios(demo, *args, user: str | None = None, timeout: int = 180):
    return run_aios("--workspace", str(demo.root), *args, env={"AIOS_USER": user or ""}, timeout=timeout)


# -- who the commands act as -------------------------------------------------------------------------------
def test_a_command_run_as_the_os_account_says_how_to_act_as_a_policy_user(demo):
    result = aios(demo, "sql", "SELECT 1")

    assert result.returncode == 77, result.stderr
    assert f"user {ME!r} is not in the policy" in result.stderr
    assert "with $AIOS_USER unset you act as the OS account" in result.stderr
    assert "`AIOS_USER=alice aios sql ...`" in result.stderr and "alice, bob, carol" in result.stderr


def test_a_wrong_aios_user_is_named_as_coming_from_the_variable(demo):
    result = aios(demo, "sql", "SELECT 1", user="ghost")

    assert result.returncode == 77
    assert "$AIOS_USER names 'ghost', who is not a policy user" in result.stderr


def test_lab_refuses_to_start_for_a_user_outside_the_policy_and_names_aios_user(demo):
    as_os_account = aios(demo, "lab", "--no-browser", "--port", str(free_port()), timeout=60)
    from_variable = aios(demo, "lab", "--no-browser", "--port", str(free_port()), user="ghost", timeout=60)

    assert as_os_account.returncode == 64, as_os_account.stdout + as_os_account.stderr
    assert f"JupyterLab would act as {ME!r} (the OS account)" in as_os_account.stderr
    assert "`AIOS_USER=alice aios lab`" in as_os_account.stderr and "--user" in as_os_account.stderr
    assert from_variable.returncode == 64
    assert "JupyterLab would act as 'ghost' ($AIOS_USER)" in from_variable.stderr


def test_lab_acts_as_aios_user(demo):
    import os
    import subprocess
    import urllib.request

    port, token = free_port(), "first-hour-lab"
    process = subprocess.Popen([AIOS, "--workspace", str(demo.root), "lab", "--no-browser", "--port", str(port)],
                               env={**os.environ, "AIOS_USER": "bob", "AIOS_LAB_TOKEN": token},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/api/status?token={token}", process=process, timeout=120)
        request = urllib.request.Request(f"{url}/aios/api/status", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            status = json.loads(response.read())
    finally:
        output = stop(process)

    assert status["user"] == "bob"
    assert "acting as policy user 'bob'" in output


def test_status_reports_aios_user(demo):
    result = aios(demo, "status", "--json", user="carol")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["user"] == "carol"


# -- SQL syntax errors in words ----------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "said"), [
    ("SELECT 1 * FROM suppliers", "at line 1, column 15, near `SELECT 1 * FROM`: `*` has nothing on its right"),
    ("SELECT region,\n  count(* FROM suppliers",
     "at line 2, column 14, near `SELECT region, count(* FROM`: a `)` is missing"),
    ("SELECT region FROM suppliers WHERE",
     "at line 1, column 34, near `…region FROM suppliers WHERE`: WHERE needs a condition after it"),
    ("SELECT 'Northern Europe FROM suppliers", "at line 1, column 8, near `'Northern Europe FROM…`: a text in "
                                               "single quotes starts here and is never closed"),
])
def test_sql_syntax_errors_say_where_and_what_in_words(demo, query, said):
    result = aios(demo, "sql", query, user="alice")

    assert result.returncode == 64, result.stderr
    assert f"error: the query is not valid SQL {said}" in result.stderr
    assert "fix:" in result.stderr
    assert not re.search(r"sqlglot|<class|Required keyword|Traceback", result.stderr), result.stderr


# -- drift leaves identifiers out ------------------------------------------------------------------------------
def test_the_readme_drift_example_leaves_identifiers_out_and_says_so(demo):
    result = aios(demo, "check", "drift", *DRIFT, "--no-record", user="alice")

    assert result.returncode == 1, result.stderr   # the demo's shipments do drift
    tested = [line.split()[0] for line in result.stdout.splitlines()[2:] if line.startswith("  ") and
              len(line.split()) >= 2 and line.split()[1] in ("pass", "fail", "error")]
    assert "shipment_id" not in tested and "po_id" not in tested
    assert {"carrier", "delay_days", "lead_time_days"} <= set(tested)
    assert ("not tested: shipment_id, po_id (identifiers: most rows hold their own value, so two periods share "
            "few values); name them in --columns to test them") in result.stdout


def test_identifiers_named_in_columns_are_tested(demo):
    result = aios(demo, "check", "drift", *DRIFT, "--columns", "po_id,carrier", "--no-record", "--json", user="alice")

    body = json.loads(result.stdout)
    assert [i["name"] for i in body["items"]] == ["dataset drift", "po_id", "carrier"]
    assert body["params"]["identifiers"] == []


def test_a_foreign_key_with_few_values_is_still_tested(demo):
    """supplier_id of purchase orders: a few hundred suppliers over thousands of orders; its mix can drift."""
    result = aios(demo, "check", "drift", "purchase_orders", "purchase_orders", "--no-record", "--json", user="alice")

    body = json.loads(result.stdout)
    assert "supplier_id" in [i["name"] for i in body["items"]]
    assert body["params"]["identifiers"] == ["po_id"]


# -- exit codes, as documented -----------------------------------------------------------------------------
def documented_exit_codes() -> dict[int, str]:
    text = " ".join((ROOT / "README.md").read_text().split())
    paragraph = text[text.index("Exit codes say what went wrong"):]
    paragraph = paragraph[:paragraph.index("78 invalid config") + len("78 invalid config")]
    return {int(code): paragraph for code in re.findall(r"(?:^|[;:] )(\d{1,2}) ", paragraph)}


def test_every_exit_code_the_cli_uses_is_documented_in_the_readme_and_in_help():
    from aios_workbench.core.errors import EXIT_CODE
    from aios_workbench.surfaces.cli.main import EXIT_CODES

    used = {0, 1, 2, *EXIT_CODE.values()}
    help_text = run_aios("--help").stdout

    assert set(documented_exit_codes()) == used == set(EXIT_CODES)
    for code, meaning in EXIT_CODES.items():
        assert f"{code:>2}  {meaning}" in help_text


def test_a_wrong_command_line_exits_2_and_a_refused_value_64(demo):
    unknown_option = aios(demo, "sql", "--bogus", "SELECT 1", user="alice")
    bad_value = aios(demo, "check", "drift", *DRIFT, "--stattest", "carrier", user="alice")

    assert unknown_option.returncode == 2 and "No such option" in unknown_option.stderr
    assert bad_value.returncode == 64 and "is not COLUMN=TEST[:THRESHOLD]" in bad_value.stderr


# -- aios init ---------------------------------------------------------------------------------------------------
def test_init_refuses_a_folder_that_holds_files_unless_forced(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "analysis.py").write_text("print('mine')\n")

    refused = run_aios("init", str(folder))
    left_alone = sorted(p.name for p in folder.iterdir())
    forced = run_aios("init", str(folder), "--force")

    assert refused.returncode == 64
    assert f"{folder} is not empty (it holds analysis.py)" in refused.stderr and "--force" in refused.stderr
    assert left_alone == ["analysis.py"]
    assert forced.returncode == 0, forced.stderr
    assert "kept what was there: analysis.py" in forced.stdout
    assert (folder / "analysis.py").read_text() == "print('mine')\n"


def test_init_takes_a_folder_holding_only_a_git_repository(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)

    result = run_aios("init", str(tmp_path / "repo"))

    assert result.returncode == 0, result.stderr
    assert "kept what was there" not in result.stdout


def test_a_new_workspaces_admin_writes_a_dataset_without_editing_anything(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    created = run_aios("init", str(tmp_path / "ws"))
    pq.write_table(pa.table({"sku": ["a-1", "b-2"], "qty": [3, 4]}), tmp_path / "stock.parquet")

    written = run_aios("catalog", "write", str(tmp_path / "stock.parquet"), "outputs.stock", cwd=tmp_path / "ws",
                       env={"AIOS_USER": ""})
    read = run_aios("sql", "SELECT sum(qty) AS total FROM outputs.stock", "--format", "csv", cwd=tmp_path / "ws",
                    env={"AIOS_USER": ""})

    assert created.returncode == 0 and f"{ME} is its admin" in created.stdout
    assert written.returncode == 0, written.stderr
    assert read.returncode == 0, read.stderr
    assert "7" in read.stdout


# -- aios promote -----------------------------------------------------------------------------------------------
def test_a_successful_promotion_prints_no_kernel_noise(demo):
    """jupyter_client interrupts a kernel before shutting it down; the finished validation run's kernel then
    logged "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" on the terminal of a successful promote."""
    notebook = demo.root / "notebooks" / "02_governance_checks.ipynb"
    result = aios(demo, "promote", str(notebook), "--name", "first_hour_checks", "-p", "current_from=2026-01-01",
                  user="alice", timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "job first_hour_checks version 1: ACTIVE" in result.stdout
    assert "KeyboardInterrupt" not in result.stderr and "ERROR" not in result.stderr, result.stderr
