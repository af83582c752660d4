"""First render of each dashboard page in headless Chromium, on a workspace seeded with 10,000 MLflow
runs, 100,000 audit records and 1,000 datasets, against a bare Panel page served the same way.

Candidate: `aios dashboard` (a real process) on that workspace, logged in once as an auditor (who sees
everything: the heaviest view). Each sample opens a new browser tab at `/?page=<page>` (a new Panel
session: the page's queries run afresh) and stops the clock when the page's heading is shown; a page
is placed only once all its parts are built, so the heading means its figures and tables arrived.
Team mode (`... (team mode)`): the same, with `aios dashboard --service-url` reading through `aios serve`
on the workspace over REST, logged in with the auditor's own service token.
Baseline: a minimal Panel app (the same template with one Markdown pane) served by `pn.serve` in its
own process, timed the same way: what any Panel page costs on this machine.

The workspace is built once into `.aios/bench/dashboard_v1/` and kept between runs (the 1,000-table
scan and the seeding take a minute or two). The runs, audit records and jobs are bulk-inserted; the
audit records form a valid hash chain. Target (issue): <= 2 s per page in the browser.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import random
import secrets
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import Comparison, benchmark, cached_workspace, interleave
from bench.servers import REPO, Endpoint, free_port, running

VERSION = 1
DATA = REPO / ".aios" / "bench" / f"dashboard_v{VERSION}"
DATASETS, RUNS, AUDIT_RECORDS = 1_000, 10_000, 100_000
PAGES = ("overview", "data", "quality", "jobs", "experiments", "audit", "alerts")
USER, PASSWORD = "audrey", "bench-dashboard-pw"
TARGET = 2.0
BASELINE = "bare Panel page (same template)"
POLICY = """\
roles:
  analyst: {description: reads the lake with PII masked}
  auditor: {description: reads everything and the whole audit log, audit: true}
users:
  ana: {roles: [analyst]}
  audrey: {roles: [auditor]}
grants:
  - {role: analyst, scope: lake}
  - {role: auditor, scope: "*"}
masks:
  - {tag: pii.email, method: hash, unmasked_for: [auditor]}
"""
BARE_APP = """
import sys, panel as pn
def app():
    return pn.template.FastListTemplate(title="bare", main=[pn.pane.HTML('<h2 id="ready">ready</h2>')])
port = int(sys.argv[1])
pn.serve({"/": app}, port=port, address="127.0.0.1", websocket_origin=[f"127.0.0.1:{port}"], show=False,
         verbose=False)
"""


# -- the seeded workspace ----------------------------------------------------------------------------------------
def _lake(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for i in range(DATASETS):
            con.execute(f"CREATE TABLE ds_{i:04d} AS SELECT range AS id, 'buyer' || range || '@example.com' AS "
                        f"buyer_email, ['EU','US','APAC'][1 + range % 3] AS region, range * 1.5 AS amount "
                        f"FROM range(50)")
    finally:
        con.close()


def _runs(ws) -> None:
    """RUNS finished runs with two metrics and two params each, inserted into MLflow's SQLite store."""
    from mlflow import MlflowClient

    from aios_workbench.tracking import ensure_store, tracking_uri

    ensure_store(ws)
    experiment = MlflowClient(tracking_uri(ws)).create_experiment("bench-dashboard")
    db = next((ws.state_dir / "mlflow").glob("*.db"))
    rng = random.Random(7)
    start = int(time.time() * 1000) - RUNS * 60_000
    runs, tags, params, metrics = [], [], [], []
    for i in range(RUNS):
        run_id, began = uuid.uuid4().hex, start + i * 60_000
        runs.append((run_id, f"run-{i:05d}", "UNKNOWN", "", "", "ana", "FINISHED", began, began + 30_000, "",
                     "active", str(ws.state_dir / "mlflow" / "artifacts" / run_id), int(experiment)))
        tags += [("aios.user", "ana", run_id), ("mlflow.runName", f"run-{i:05d}", run_id)]
        params += [("depth", str(i % 8), run_id), ("learning_rate", str(0.01 * (1 + i % 10)), run_id)]
        for key in ("f1", "auc"):
            metrics.append((key, rng.random(), began + 30_000, 0, 0, run_id))
    with sqlite3.connect(db) as con:
        con.executemany("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
                        "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, "
                        "experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", runs)
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tags)
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", params)
        con.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                        "VALUES (?,?,?,?,?,?)", metrics)
        con.executemany("INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,?,?)",
                        metrics)


def _audit(ws, store) -> None:
    """AUDIT_RECORDS query records over the lake, as one valid hash chain, and the head anchor."""
    from sqlalchemy import insert

    from aios_workbench.audit.chain import GENESIS, HeadAnchor, advance_head, record_hash
    from aios_workbench.store.models import AuditEvent

    at = datetime.now(UTC) - timedelta(seconds=AUDIT_RECORDS)
    previous, batch = GENESIS, []
    with store.engine.begin() as connection:
        for i in range(1, AUDIT_RECORDS + 1):
            dataset = f"lake.main.ds_{i % DATASETS:04d}"
            record = {"id": i, "at": at + timedelta(seconds=i), "user": ("ana", "audrey")[i % 2],
                      "surface": "kernel", "action": "query", "target": dataset, "allowed": i % 50 != 0,
                      "detail": {"sql": f"SELECT * FROM {dataset} LIMIT 10", "rows": 10}, "prev_hash": previous}
            record["hash"] = previous = record_hash(record)
            batch.append(record)
            if len(batch) == 5_000:
                connection.execute(insert(AuditEvent.__table__), batch)
                batch = []
        if batch:
            connection.execute(insert(AuditEvent.__table__), batch)
    advance_head(ws.state_dir / "audit.head", HeadAnchor(AUDIT_RECORDS, previous))


def _ledger_jobs_alerts(ws, store) -> None:
    from aios_workbench.alerts import AlertFeed
    from aios_workbench.checks.ledger import Ledger
    from aios_workbench.checks.result import CheckItem, CheckResult
    from aios_workbench.store.models import Job, JobRun

    ledger = Ledger(store)
    for i in range(300):
        status = "fail" if i % 9 == 0 else "pass"
        ledger.record(CheckResult(kind="quality", name=f"suite_{i % 30:02d}", items=[CheckItem("not_null(id)", status)],
                                  inputs={f"lake.main.ds_{i % DATASETS:04d}": {}}), user="ana")
    now = datetime.now(UTC)
    with store.session() as session, session.begin():
        for j in range(20):
            job = Job(name=f"job_{j:02d}", notebook=f"notebooks/job_{j:02d}.ipynb", version=1, identity="ana",
                      created_by="ana", next_due_at=now + timedelta(hours=j),
                      spec={"name": f"job_{j:02d}", "schedule": {"kind": "cron", "cron": f"{j} * * * *"}})
            session.add(job)
            session.flush()
            session.add_all(JobRun(job_id=job.id, version=1, trigger="schedule", requested_by="scheduler",
                                   status="failed" if k % 10 == 0 else "succeeded",
                                   created_at=now - timedelta(hours=k), not_before=now - timedelta(hours=k),
                                   started_at=now - timedelta(hours=k),
                                   finished_at=now - timedelta(hours=k) + timedelta(seconds=30 + k % 60))
                            for k in range(100))
    feed = AlertFeed(store)
    for a in range(30):
        feed.raise_alert(key=f"job:job_{a:02d}", kind="run_failed", severity="error", title=f"job_{a:02d} failed")


def workspace() -> Path:
    """The seeded workspace, built once."""
    return cached_workspace(DATA, "bench-dashboard", policy=POLICY, populate=_populate)


def _populate(root: Path) -> None:
    from aios_workbench.catalog import scan_catalog
    from aios_workbench.store import open_store
    from aios_workbench.surfaces.dashboard.users import DashboardUsers
    from aios_workbench.workspace import Workspace

    _lake(DATA / "lake.duckdb")
    (root / "connectors" / "lake.yaml").write_text(
        f"name: lake\ntype: duckdb\noptions:\n  path: '{DATA / 'lake.duckdb'}'\n")
    ws = Workspace.load(root)
    store = open_store(ws.metadata_url)
    try:
        scanned = scan_catalog(ws, store)
        if scanned.failed:
            raise RuntimeError(f"the benchmark workspace's scan failed: {scanned.failed}")
        _audit(ws, store)
        _ledger_jobs_alerts(ws, store)
    finally:
        store.close()
    _runs(ws)
    DashboardUsers(ws.state_dir).set_password(USER, PASSWORD, policy_users={"ana", "audrey"})


# -- the browser ---------------------------------------------------------------------------------------------------
_browser = None


def browser():
    """One headless Chromium for the process (closed at exit)."""
    global _browser
    if _browser is None:
        from playwright.sync_api import sync_playwright

        if not Path("/usr/bin/chromium").exists():
            raise RuntimeError("no Chromium at /usr/bin/chromium: `./workbench test` installs Debian's chromium")
        playwright = sync_playwright().start()
        try:
            _browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        except Exception:
            playwright.stop()  # else every later benchmark meets a running Playwright loop
            raise
        atexit.register(playwright.stop)
        atexit.register(_browser.close)
    return _browser


def first_render(context, url: str, marker: str) -> float:
    """Seconds from opening `url` in a new tab to `marker` (a CSS selector) being visible."""
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(url)
        page.locator(marker).first.wait_for(timeout=120_000)
        return time.perf_counter() - started
    finally:
        page.close()


def _login(context, port: int, secret: str) -> None:
    login = context.new_page()
    login.goto(f"http://127.0.0.1:{port}/login")
    login.locator("#username").fill(USER)
    login.locator("#password").fill(secret)
    login.locator("#login-submit").click()
    login.locator('[data-testid="current-user"]').wait_for(timeout=120_000)
    login.close()


@contextlib.contextmanager
def dashboard(root: Path, port: int, mode: str):
    """`aios dashboard` on the workspace (local), or against `aios serve` on it (team); yields the secret
    USER logs in with (a password, or a service token made for this run and revoked after it)."""
    aios = str(Path(sys.executable).with_name("aios"))
    if mode == "local":
        with running([aios, "--workspace", str(root), "dashboard", "--port", str(port)], Endpoint(port, "/login")):
            yield PASSWORD
        return
    service_port, service_token = free_port(), secrets.token_urlsafe(24)
    added = json.loads(subprocess.run([aios, "--workspace", str(root), "tokens", "add", USER, "--label", "bench",
                                       "--json"], capture_output=True, text=True, check=True).stdout)
    try:
        with running([aios, "--workspace", str(root), "serve", "--port", str(service_port)],
                     Endpoint(service_port, "/aios/api/status", {"Authorization": f"token {service_token}"}),
                     env={"AIOS_TOKEN": service_token}), \
             running([aios, "dashboard", "--service-url", f"http://127.0.0.1:{service_port}", "--port", str(port)],
                     Endpoint(port, "/login")):
            yield added["token"]
    finally:
        subprocess.run([aios, "--workspace", str(root), "tokens", "revoke", added["id"]], capture_output=True)


def measure_page(name: str, repeat: int, mode: str = "local") -> Comparison:
    root = workspace()
    port, bare_port = free_port(), free_port()
    bare_args = [sys.executable, "-c", BARE_APP, str(bare_port)]
    with dashboard(root, port, mode) as secret, running(bare_args, Endpoint(bare_port, "/")):
        context = browser().new_context(viewport={"width": 1440, "height": 1000})
        try:
            _login(context, port, secret)
            time.sleep(3)   # let the server's background imports (plotting, MLflow) finish, as in use
            cand, base = interleave(
                lambda: first_render(context, f"http://127.0.0.1:{port}/?page={name}", f'[data-testid="page-{name}"]'),
                lambda: first_render(context, f"http://127.0.0.1:{bare_port}/", "#ready"), repeat=repeat)
        finally:
            context.close()
    title = f"dashboard {name} page, first render" + (" (team mode)" if mode == "team" else "")
    result = Comparison(title, BASELINE, cand, base)
    result.notes.append(f"{DATASETS:,} datasets, {RUNS:,} MLflow runs, {AUDIT_RECORDS:,} audit records seeded; "
                        f"viewed as an auditor (sees all); target <= {TARGET:.0f} s per page; "
                        f"median {result.candidate.median:.2f} s "
                        f"({'meets' if result.candidate.median <= TARGET else 'misses'} it)")
    if mode == "team":
        result.notes.append("team mode: `aios dashboard --service-url` reading through `aios serve` over REST "
                            "with the user's own token")
    return result


def _register(name: str, mode: str) -> None:
    suffix = " (team mode)" if mode == "team" else ""

    @benchmark(f"dashboard {name} page, first render{suffix}", baseline=BASELINE, repeat=5)
    def run(repeat: int) -> Comparison:
        return measure_page(name, repeat, mode)
    run.__doc__ = f"First render of the dashboard's {name} page{suffix} in Chromium, against a bare Panel page."


for _page in PAGES:
    for _mode in ("local", "team"):
        _register(_page, _mode)


if __name__ == "__main__":   # python -m bench.bench_dashboard: every page once, as JSON lines
    for _mode in ("local", "team"):
        for _page in PAGES:
            print(json.dumps(measure_page(_page, 3, _mode).to_dict()))
