"""Shared fixtures. Real components only: SQLite/PostgreSQL stores, DuckDB, Jupyter servers, Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
AIOS = str(VENV_BIN / "aios")
ARTIFACTS = ROOT / "test-artifacts"
REQUIRE_SERVICES = os.environ.get("AIOS_REQUIRE_SERVICES") == "1"
# Every REST answer of the test run is checked against its route's model (servers started by tests inherit
# it): a field the contract does not declare answers 500, so the test that met it fails.
os.environ.setdefault("AIOS_VALIDATE_RESPONSES", "1")
# Signed audit checkpoints (audit/witness.py) go to a throwaway folder, never ~/.local/state/aios/witness;
# servers and CLI processes started by tests inherit it.
os.environ.setdefault("AIOS_WITNESS_DIR", tempfile.mkdtemp(prefix="aios-witness-"))

pytest_plugins = ["pytest_jupyter.jupyter_server"]


def need(available: bool, reason: str) -> None:
    """Skip when a service or tool is absent; in CI (AIOS_REQUIRE_SERVICES=1) fail instead."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (required because AIOS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, *, timeout: float = 60, headers: dict | None = None, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2):
                return   # closed here: a socket left to the garbage collector warns in a later test
        except urllib.error.HTTPError as exc:
            exc.close()
            return  # it answers, even if with an error status
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def workspace(tmp_path):
    """A new, empty workspace made by `aios init`'s code path."""
    from aios_workbench.workspace import Workspace
    from aios_workbench.workspace.scaffold import init_workspace

    return Workspace.load(init_workspace(tmp_path / "ws"))


@pytest.fixture(scope="session")
def demo_workspace():
    """The repository root as the demo workspace, with its data prepared."""
    from aios_workbench.demo.prepare import prepare_demo
    from aios_workbench.workspace import Workspace

    ws = Workspace.load(ROOT)
    prepare_demo(ws, progress=False)
    return ws


def copy_demo_workspace(demo, target: Path, *, metadata_url: str | None = None):
    """A private copy of the prepared demo workspace at `target` (its own metadata store, ledger, alerts and
    MLflow store), for tests that write state. Data and DuckDB extensions are shared read-only."""
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.store import open_store
    from aios_workbench.workspace import Workspace

    target.mkdir(parents=True)
    shutil.copy(demo.root / "aios.yaml", target / "aios.yaml")
    for folder in ("connectors", "governance", "notebooks"):
        shutil.copytree(demo.root / folder, target / folder)
    state = target / ".aios"
    shutil.copytree(demo.state_dir / "demo-data", state / "demo-data")
    shutil.copytree(demo.state_dir / "mlflow", state / "mlflow")
    (state / "duckdb_extensions").symlink_to(demo.extension_dir)
    if metadata_url:
        with open(target / "aios.yaml", "a", encoding="utf-8") as config:
            config.write(f"metadata_store:\n  url: {metadata_url}\n")
    ws = Workspace.load(target)
    store = open_store(ws.metadata_url)
    try:
        scan_catalog(ws, store)
    finally:
        store.close()
    return ws


@pytest.fixture
def demo_copy(demo_workspace, tmp_path):
    """A private, prepared copy of the demo workspace (see `copy_demo_workspace`)."""
    return copy_demo_workspace(demo_workspace, tmp_path / "demo")


@pytest.fixture
def postgres_url():
    """A uniquely named PostgreSQL database on 127.0.0.1, dropped afterwards."""
    with postgres_database() as url:
        yield url


@contextlib.contextmanager
def postgres_database():
    """A uniquely named PostgreSQL database on 127.0.0.1 (its SQLAlchemy URL), dropped afterwards."""
    need(port_open(5432), "PostgreSQL is not running on 127.0.0.1:5432")
    import uuid

    import psycopg

    name = f"aios_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mariadb_database():
    """A uniquely named MariaDB database on 127.0.0.1, dropped afterwards."""
    need(port_open(3306), "MariaDB is not running on 127.0.0.1:3306")
    import uuid

    import pymysql

    name = f"aios_test_{uuid.uuid4().hex[:12]}"
    con = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    con.cursor().execute(f"CREATE DATABASE `{name}`")
    yield name
    con.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    con.close()


@pytest.fixture
def chromium():
    need(Path("/usr/bin/chromium").exists(), "Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def run_aios(*args, cwd=None, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([AIOS, *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def stop(process: subprocess.Popen) -> str:
    """Terminate `process` (SIGTERM, then SIGKILL) and return what it printed, if piped."""
    if process.poll() is None:
        process.terminate()
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return (out or "") + (err or "")


@contextlib.contextmanager
def aios_serve(root, *, token: str, user: str | None = None, log: Path | None = None):
    """`aios serve` on `root` as a real process on a free port (its stderr, the service log, into `log` when
    given); yields its base URL."""
    port = free_port()
    args = [AIOS, "--workspace", str(root), "serve", "--port", str(port)] + (["--user", user] if user else [])
    with contextlib.ExitStack() as stack:
        err = stack.enter_context(log.open("w")) if log is not None else subprocess.DEVNULL
        process = subprocess.Popen(args, env={**os.environ, "AIOS_TOKEN": token}, stdout=subprocess.DEVNULL,
                                   stderr=err)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/aios/api/status", process=process)
            yield url
        finally:
            stop(process)


def lab_settings_dir(path: Path | None = None) -> Path:
    """A JupyterLab user-settings folder for a test server (never the developer's ~/.jupyter), with
    JupyterLab's "get official news?" toast answered "no", so it covers nothing in screenshots."""
    path = Path(path or tempfile.mkdtemp(prefix="aios-lab-settings-"))
    notification = path / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return path


@contextlib.contextmanager
def aios_lab(*, log_name: str, user: str | None = None, layouts: Path | None = None):
    """`aios lab` on the demo workspace as a real process; yields (base URL, token).

    `layouts` keeps JupyterLab's saved layouts out of the developer's ~/.jupyter."""
    port, token = free_port(), f"lab-token-{log_name}"
    args = [AIOS, "--workspace", str(ROOT), "lab", "--port", str(port), "--no-browser"]
    args += ["--user", user] if user else []
    args += ["--", f"--LabApp.workspaces_dir={layouts}"] if layouts else []
    log = artifact(log_name).open("w")
    env = {**os.environ, "AIOS_LAB_TOKEN": token, "JUPYTERLAB_SETTINGS_DIR": str(lab_settings_dir())}
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", process=process, timeout=120)
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop(process)
        log.close()


@contextlib.contextmanager
def sidebar_page(chromium, lab, tab: str):
    """JupyterLab loaded in Chromium with the AI OS sidebar open on `tab`, widened as a user would;
    fails the test on any page error."""
    url, token = lab
    page = chromium.new_page(viewport={"width": 1500, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/lab?reset&token={token}", timeout=120_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=120_000)
    page.locator(".jp-SideBar [title='AI OS']").first.click()
    page.get_by_test_id(f"aios-tab-{tab}").click()
    widen_sidebar(page, 560)
    yield page
    page.close()
    assert not errors, errors


def widen_sidebar(page, width: int) -> None:
    """Drag the handle between the left area and the main area, as a user wanting a wider panel would."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    if box is None:
        return
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(width, y, steps=5)
    page.mouse.up()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


__all__ = ["AIOS", "ROOT", "aios_lab", "aios_serve", "artifact", "free_port", "lab_settings_dir", "need", "run_aios",
           "shutil", "sidebar_page", "stop", "wait_for_http", "widen_sidebar"]
