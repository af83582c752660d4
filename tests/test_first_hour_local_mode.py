"""`import aios_workbench as wb` outside JupyterLab (issue #20): in a plain Python process, or a notebook run
from the shell, `wb` works on the workspace in local mode as the CLI does (same governance, same user);
with $AIOS_SERVICE_URL it keeps going through that service. And the README's model commands work against
what notebooks/03_train_model.ipynb registers, and say so when it has not run yet."""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, VENV_BIN, copy_demo_workspace, free_port, run_aios

QUERY = "SELECT region, contact_email FROM suppliers ORDER BY supplier_id LIMIT 5"
SCRIPT = ("import json\nimport aios_workbench as wb\n"
          f"print(json.dumps(wb.sql({QUERY!r}).to_dicts()))\n"
          "print(wb.status()['user'], wb.status()['mode'])\n")
LOCAL_LINE = re.compile(r"^aios-workbench: local mode on workspace 'procurement-demo' \((?P<root>[^)]+)\) as user "
                        r"'(?P<user>[^']+)' \((?P<source>[^)]+)\)", re.M)


@pytest.fixture(scope="module")
def demo(demo_workspace, tmp_path_factory):
    return copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("local-mode") / "demo")


def python(code: str, *, cwd, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("AIOS_SERVICE_URL", "AIOS_TOKEN", "AIOS_WORKSPACE")}
    environ.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=180)


def test_a_plain_python_process_in_a_workspace_works_in_local_mode_with_the_users_masks(demo):
    result = python(SCRIPT, cwd=demo.root / "notebooks", AIOS_USER="bob")

    assert result.returncode == 0, result.stderr
    rows, who = result.stdout.strip().splitlines()
    rows = json.loads(rows)
    assert rows and {r["region"] for r in rows} == {"Northern Europe"}            # bob's row filter
    assert all("@" not in r["contact_email"] for r in rows)                        # e-mails hashed for him
    assert who == "bob local"
    [line] = LOCAL_LINE.findall(result.stderr)                                     # said once, on stderr
    assert line == (str(demo.root), "bob", "$AIOS_USER")
    assert "Traceback" not in result.stderr


def test_local_mode_applies_the_stewards_view_to_a_steward(demo):
    result = python(SCRIPT, cwd=demo.root, AIOS_USER="carol")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout.splitlines()[0])
    assert any("@" in r["contact_email"] for r in rows)                            # carol sees raw values
    assert len({r["region"] for r in rows}) >= 1


def test_local_mode_as_an_os_account_outside_the_policy_says_to_set_aios_user(demo):
    result = python(SCRIPT, cwd=demo.root, AIOS_USER="")

    assert result.returncode == 1
    me = getpass.getuser()
    assert f"local mode on workspace 'procurement-demo' would act as {me!r} (the OS account)" in result.stderr
    assert "`AIOS_USER=alice python script.py`" in result.stderr


def test_outside_any_workspace_the_error_names_every_way_to_a_service(tmp_path):
    result = python(SCRIPT, cwd=tmp_path, AIOS_USER="bob")

    assert result.returncode == 1
    assert f"no workspace (aios.yaml) is in {tmp_path} or a folder above it" in result.stderr
    assert "AIOS_WORKSPACE" in result.stderr and "AIOS_SERVICE_URL" in result.stderr


def test_aios_workspace_selects_the_workspace_from_anywhere(demo, tmp_path):
    result = python(SCRIPT, cwd=tmp_path, AIOS_USER="bob", AIOS_WORKSPACE=str(demo.root))

    assert result.returncode == 0, result.stderr
    assert LOCAL_LINE.search(result.stderr)


def test_team_mode_never_falls_back_to_local_mode(demo):
    url = f"http://127.0.0.1:{free_port()}"   # nothing listens there

    result = python(SCRIPT, cwd=demo.root, AIOS_USER="bob", AIOS_SERVICE_URL=url, AIOS_TOKEN="t")

    assert result.returncode == 1
    assert f"cannot reach the workbench service at {url}" in result.stderr
    assert not LOCAL_LINE.search(result.stderr + result.stdout)


def test_logging_a_scikit_learn_model_prints_no_pickle_warning(demo):
    """Notebook 03 logs its model like this; MLflow's warning about pickles showed as a red stderr block."""
    code = ("from sklearn.linear_model import LogisticRegression\n"
            "import aios_workbench as wb\n"
            "model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])\n"
            "with wb.run('pickle-warning') as run:\n"
            "    run.log_model(model, 'model', flavor='sklearn', serialization_format='cloudpickle')\n"
            "print('logged', run.id)\n")

    result = python(code, cwd=demo.root, AIOS_USER="alice")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("logged ")
    assert "pickle" not in result.stderr, result.stderr


# -- the README's model commands, against what notebook 03 registers ---------------------------------------
def readme_command(starts: str) -> str:
    """The README's shell command that starts with `starts` (continuation lines joined, comment dropped)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(starts))
    command, i = [], first
    while True:
        line = lines[i]
        command.append(line)
        quotes = "\n".join(command).count('"')
        if not line.rstrip().endswith("\\") and quotes % 2 == 0:
            break
        i += 1
    text = "\n".join(command)
    return re.sub(r"\s+#[^\n\"]*$", "", text)   # the trailing comment


def shell(command: str, *, cwd, user: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("AIOS_SERVICE_URL", "AIOS_TOKEN", "AIOS_WORKSPACE")}
    env.update({"AIOS_USER": user, "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"})
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_readme_model_commands_work_after_the_notebook_and_say_so_before(demo_workspace, tmp_path):
    ws = copy_demo_workspace(demo_workspace, tmp_path / "demo")
    train = readme_command("AIOS_USER=alice jupyter execute notebooks/03_train_model.ipynb")
    explain = readme_command("aios check explain models:/shipment-delay@champion")

    before = shell(explain, cwd=ws.root, user="alice")
    listed = run_aios("--workspace", str(ws.root), "models", "ls", "shipment-delay", env={"AIOS_USER": "alice"})

    assert before.returncode == 66, before.stdout + before.stderr
    assert ("notebooks/03_train_model.ipynb registers 'shipment-delay': run it first (`AIOS_USER=alice jupyter "
            "execute notebooks/03_train_model.ipynb`), then another user approves a version") in before.stderr
    assert "`AIOS_USER=alice jupyter execute notebooks/03_train_model.ipynb`" in listed.stdout + listed.stderr

    trained = shell(train, cwd=ws.root, user="")   # the command names its user itself
    approved = shell("aios models approve shipment-delay 1", cwd=ws.root, user="carol")
    promoted = shell("aios models promote shipment-delay 1", cwd=ws.root, user="carol")
    after = shell(explain, cwd=ws.root, user="alice")

    assert trained.returncode == 0, trained.stderr
    assert approved.returncode == 0, approved.stderr
    assert promoted.returncode == 0 and "is now 'champion'" in promoted.stdout, promoted.stderr
    assert after.returncode == 0, after.stderr
    features = [line.split()[0] for line in after.stdout.splitlines()[1:]]
    assert sorted(features) == ["lead_time_days", "month", "quantity", "small_supplier", "unit_price"]
