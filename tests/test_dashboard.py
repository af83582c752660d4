"""`aios dashboard` as an analyst uses it: a real server process on a seeded copy of the demo workspace,
driven in headless Chromium.

Every test runs twice unless marked for one mode: "local" (`aios dashboard` on the workspace, password
logins) and "team" (`aios dashboard --service-url` against `aios serve` on the workspace, each user logging
in with their own service token), each on its own seeded copy.

The demo policy: alice (data_scientist: every dataset, PII masked), bob (analyst: purchasing and
supplier master only, suppliers of his region "Northern Europe", PII masked), carol (steward: raw
values, the whole audit log). Raw PII values are read straight from the demo files and must never
reach bob's browser: not in any page's text, not in any websocket frame, not in a CSV download.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import AIOS, ROOT, aios_serve, artifact, free_port, run_aios, stop, wait_for_http

pytestmark = [
    pytest.mark.browser,
    # importing mlflow.pyfunc (model registry) warns about MLflow's own pydantic models
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

SUPPLIERS = "supplier_master.main.suppliers"
ORDERS = "purchasing_warehouse.procurement.purchase_orders"
SHIPMENTS = "shipment_files.main.shipments"
PASSWORDS = {"alice": "alice-dashboard-pw", "bob": "bob-dashboard-pw", "carol": "carol-dashboard-pw"}
PAGES = ["overview", "data", "quality", "jobs", "experiments", "audit", "alerts"]
JOB = "nightly_spend_report"
OUTPUT_MARKER = "Spend by category, nightly"
DATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC")   # every page's

# every text node, input value and shadow root of the page (Panel renders into shadow DOM)
PAGE_TEXT = """() => {
  const out = [];
  const walk = (root) => {
    const tw = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    let n = tw.currentNode;
    while (n) {
      if (n.nodeType === 3) out.push(n.textContent);
      else {
        if (n.shadowRoot) walk(n.shadowRoot);
        if (typeof n.value === 'string' && n.value) out.push(n.value);
        if (n.title) out.push(n.title);
      }
      n = tw.nextNode();
    }
  };
  walk(document);
  return out.join('\\n');
}"""


# -- the seeded workspace --------------------------------------------------------------------------------------
def copy_demo(target: Path) -> Path:
    """A throwaway copy of the demo workspace: its generated data and DuckDB extensions are reused; the
    MLflow store is made anew by `prepare_demo` (the repository's own may hold other sessions' models)."""
    shutil.copy(ROOT / "aios.yaml", target / "aios.yaml")
    for folder in ("connectors", "governance", "notebooks"):
        shutil.copytree(ROOT / folder, target / folder)
    for folder in ("demo-data", "duckdb_extensions"):
        shutil.copytree(ROOT / ".aios" / folder, target / ".aios" / folder)
    return target


def add_login(root: Path, user: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run([AIOS, "--workspace", str(root), "dashboard", "users", "add", user, "--password-stdin",
                           "--json"], input=password + "\n", capture_output=True, text=True, timeout=120)


def raw_values(root: Path) -> SimpleNamespace:
    """Raw PII straight from the demo files (SQLite for suppliers, DuckDB for purchase orders)."""
    import duckdb

    data = root / ".aios" / "demo-data"
    with contextlib.closing(sqlite3.connect(data / "procurement.sqlite")) as con:
        rows = con.execute("SELECT supplier_id, contact_name, contact_email, contact_phone, street_address, iban, "
                           "region FROM suppliers ORDER BY supplier_id").fetchall()
    duck = duckdb.connect()
    try:
        duck.execute(f"ATTACH '{data / 'warehouse.duckdb'}' AS warehouse (READ_ONLY)")
        emails = [r[0] for r in duck.execute("SELECT DISTINCT buyer_email FROM warehouse.procurement.purchase_orders "
                                             "WHERE buyer_email IS NOT NULL").fetchall()]
    finally:
        duck.close()
    northern = [r for r in rows if r[6] == "Northern Europe"]
    pii = {v for r in northern for v in r[1:6] if v and len(str(v)) >= 6}
    return SimpleNamespace(
        pii=pii | set(emails),                       # raw values bob's rows hold behind masks
        northern_ids={r[0] for r in northern},
        other_region_ids={r[0] for r in rows if r[6] != "Northern Europe"},
        emails_of_suppliers={r[0]: r[2] for r in rows})


def seed_checks(root: Path) -> None:
    """Quality suites and one drift check, run as alice through the CLI: real ledger rows."""
    env = {"AIOS_USER": "alice"}
    result = run_aios("--workspace", str(root), "check", "quality", "--json", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    drift = run_aios("--workspace", str(root), "check", "drift",
                     "(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')",
                     "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')",
                     "--columns", "delay_days,carrier", "--name", "shipments_drift", "--json", env=env, timeout=300)
    assert drift.returncode == 1, drift.stderr   # the demo's shipments drift on purpose


def seed_runs_and_models(ws) -> dict:
    """Three MLflow runs by alice with metrics; delay_model v1 approved by carol and promoted, v2 a candidate."""
    from mlflow import MlflowClient

    from aios_workbench.audit import AuditLog
    from aios_workbench.store import open_store
    from aios_workbench.tracking import ensure_store, tracking_uri
    from aios_workbench.tracking.lineage import dataset_input
    from aios_workbench.tracking.registry import ModelRegistry

    ensure_store(ws)
    client = MlflowClient(tracking_uri(ws))
    # runs are private: this experiment is shared with analysts, and its runs read purchase orders, which bob
    # reads as alice does (the same masks, no row filter), so he sees their values
    experiment = client.create_experiment("late-delivery", tags={"aios.readers": "role:analyst"})
    orders = dataset_input(ws.name, "purchasing_warehouse.procurement.purchase_orders",
                           {"digest": "seed", "rows": 40_000, "schema": [{"name": "po_id", "type": "BIGINT"}]},
                           "training")
    model_dir = ws.state_dir / "seed-model"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("flavors: {}\n")   # the registry only needs the model's location
    runs = {}
    for name, f1 in (("gbm-depth-4", 0.71), ("gbm-depth-6", 0.78), ("logreg-baseline", 0.64)):
        run = client.create_run(experiment, run_name=name, tags={"aios.user": "alice", "mlflow.user": "alice"})
        client.log_inputs(run.info.run_id, datasets=[orders])
        client.log_metric(run.info.run_id, "f1", f1)
        client.log_metric(run.info.run_id, "auc", f1 + 0.1)
        client.log_param(run.info.run_id, "model", name.split("-")[0])
        client.log_artifacts(run.info.run_id, str(model_dir), "model")
        client.set_terminated(run.info.run_id)
        runs[name] = run.info.run_id
    store = open_store(ws.metadata_url)
    try:
        registry = ModelRegistry(ws, store, AuditLog(store, ws.state_dir / "audit.head"))
        v1 = registry.register(runs["gbm-depth-6"], name="delay_model", user="alice")
        registry.approve("delay_model", v1, "carol", "looks good")
        registry.promote("delay_model", v1, "carol")
        registry.register(runs["gbm-depth-4"], name="delay_model", user="alice")
    finally:
        store.close()
    return runs


def seed_jobs(ws) -> dict:
    """A scheduled job owned by alice with three successful runs and one failed run that kept an HTML output."""
    from aios_workbench.store import open_store
    from aios_workbench.store.models import Job, JobRun

    now = datetime.now(UTC)
    output = ws.state_dir / "jobs" / JOB / "runs" / "seed" / "output.html"
    output.parent.mkdir(parents=True)
    output.write_text(f"<html><body><h1>{OUTPUT_MARKER}</h1><p>total 1,234,567 EUR</p></body></html>")
    store = open_store(ws.metadata_url)
    try:
        with store.session() as session, session.begin():
            job = Job(name=JOB, notebook="notebooks/spend_report.ipynb", version=1, identity="alice",
                      created_by="alice", paused=False, next_due_at=now + timedelta(hours=3),
                      spec={"name": JOB, "schedule": {"kind": "cron", "cron": "0 6 * * *", "timezone": "UTC"}})
            session.add(job)
            session.flush()
            for days_ago, status in ((3, "succeeded"), (2, "succeeded"), (1, "failed"), (0, "succeeded")):
                started = now - timedelta(days=days_ago, minutes=5)
                session.add(JobRun(job_id=job.id, version=1, trigger="schedule", status=status,
                                   requested_by="scheduler", created_at=started, not_before=started,
                                   started_at=started, finished_at=started + timedelta(seconds=40 + days_ago),
                                   error="cell 4: ZeroDivisionError" if status == "failed" else None,
                                   html_path=str(output) if status == "failed" else None))
        with store.session() as session:
            failed = session.query(JobRun).filter(JobRun.status == "failed").one().id
    finally:
        store.close()
    return {"failed_run": failed}


def seed_alerts(ws) -> list[dict]:
    """Alerts as the scheduler and promotion raise them: the failed run of JOB (when seeded), with the quality
    suite it failed on shipments as a real ledger entry, and a job version waiting for approval."""
    from aios_workbench.alerts import AlertFeed
    from aios_workbench.checks.ledger import Ledger
    from aios_workbench.checks.result import CheckItem, CheckResult
    from aios_workbench.store import open_store
    from aios_workbench.store.models import JobRun

    store = open_store(ws.metadata_url)
    try:
        with store.session() as session:
            failed = session.query(JobRun).filter(JobRun.status == "failed").first()
            run_id, output = (failed.id, failed.html_path) if failed else (None, None)
        if run_id is not None:
            suite = CheckResult(kind="quality", name="shipments_basics", required=True,
                                items=[CheckItem("not_null(shipment_id)", "pass"),
                                       CheckItem("delivered_after_shipped", "fail", {"failing_rows": 4})],
                                inputs={SHIPMENTS: {"digest": "seed", "rows": 5000}})
            Ledger(store).record(suite, user="alice", job_run_id=run_id, datasets=[SHIPMENTS])
        relative = str(Path(output).relative_to(ws.root)) if output else None
        feed = AlertFeed(store)
        return [feed.raise_alert(key=f"job:{JOB}", kind="run_failed", severity="error",
                                 title=f"job {JOB} failed (run {run_id}, attempt 1)",
                                 detail={"job": JOB, "run_id": run_id, "status": "failed", "attempt": 1,
                                         "error": "cell 4: ZeroDivisionError", "output": relative}),
                feed.raise_alert(key=f"approval:{JOB}:v2", kind="approval", severity="info",
                                 title=f"Job {JOB} v2 waits for approval by a second user",
                                 detail={"job": JOB, "version": 2, "notebook": "notebooks/spend_report.ipynb",
                                         "promoted_by": "alice", "approver": None, "digest": None})]
    finally:
        store.close()


LOCAL_ONLY = pytest.mark.parametrize("seeded", ["local"], indirect=True)
TEAM_ONLY = pytest.mark.parametrize("seeded", ["team"], indirect=True)


@pytest.fixture(scope="module", params=["local", "team"])
def seeded(request, demo_workspace, tmp_path_factory):
    """A copy of the demo workspace with logins, ledger runs, MLflow runs, models, a job and alerts."""
    from aios_workbench.demo.prepare import prepare_demo
    from aios_workbench.workspace import Workspace

    root = copy_demo(_fresh(tmp_path_factory))
    ws = Workspace.load(root)
    prepare_demo(ws, progress=False)
    for user, password in PASSWORDS.items():
        added = add_login(root, user, password)
        assert added.returncode == 0, added.stderr
    raw = raw_values(root)
    seed_checks(root)
    runs = seed_runs_and_models(ws)
    jobs = seed_jobs(ws)
    alerts = seed_alerts(ws)
    return SimpleNamespace(root=root, ws=ws, raw=raw, runs=runs, jobs=jobs, alerts=alerts, mode=request.param)


def _fresh(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("dashboard") / "ws"
    target.mkdir()
    return target


def add_token(root: Path, user: str) -> dict:
    done = run_aios("--workspace", str(root), "tokens", "add", user, "--label", "dashboard test", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def dashboard(seeded):
    """`aios dashboard --json` as a real process, on the seeded workspace (local) or against `aios serve` on it
    (team); yields its base URL and each user's secret (password, or service token)."""
    port = free_port()
    log_path = artifact(f"dashboard-server-{seeded.mode}.log")
    log = log_path.open("w")
    with contextlib.ExitStack() as stack:
        if seeded.mode == "local":
            args, secrets = ["--workspace", str(seeded.root), "dashboard"], dict(PASSWORDS)
        else:
            service_url = stack.enter_context(aios_serve(seeded.root, token="team-dashboard-service-token"))
            tokens = {user: add_token(seeded.root, user) for user in PASSWORDS}
            args, secrets = ["dashboard", "--service-url", service_url], {u: t["token"] for u, t in tokens.items()}
        started = time.monotonic()
        process = subprocess.Popen([AIOS, *args, "--port", str(port), "--address", "127.0.0.1",
                                    "--json"], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/login", process=process, timeout=90)
            startup = time.monotonic() - started
            yield SimpleNamespace(url=url, startup=startup, log=log_path, process=process, mode=seeded.mode,
                                  secrets=secrets)
        finally:
            stop(process)
            log.close()


# -- browser helpers ----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def session(chromium, dashboard, user: str, *, password: str | None = None):
    """A fresh browser context logged in as `user`; records websocket frames, outside requests and page errors."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    record = SimpleNamespace(frames=[], outside=[], errors=[])
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: record.frames.append(
        frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))))
    page.on("request", lambda r: r.url.startswith(dashboard.url) or r.url.startswith("data:")
            or r.url.startswith("blob:") or record.outside.append(r.url))
    page.on("pageerror", lambda exc: record.errors.append(str(exc)))
    refused = try_login(page, dashboard, user, password or dashboard.secrets[user])
    assert not refused, f"{user} could not log in: {refused}"
    page.record = record
    try:
        yield page
    finally:
        context.close()
    assert not record.errors, record.errors
    assert not record.outside, f"the dashboard fetched outside resources: {record.outside}"


def open_page(page, dashboard, name: str) -> None:
    """Click the page's entry in the sidebar, as a user would, and wait for it to render."""
    label = {"overview": "Overview", "data": "Data", "quality": "Quality & drift", "jobs": "Jobs",
             "experiments": "Experiments & models", "audit": "Audit", "alerts": "Alerts"}[name]
    page.locator(".bk-btn-group button", has_text=label).first.click()
    page.get_by_test_id(f"page-{name}").wait_for()


def text_of(page) -> str:
    return page.evaluate(PAGE_TEXT)


def wait_text(page, text: str, timeout: float = 60_000):
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)


def text_with(page, *words: str, timeout: float = 60.0) -> str:
    """The page's text once every word is in it (Panel re-renders a page's parts as their data arrive)."""
    deadline = time.monotonic() + timeout
    while True:
        text = text_of(page)
        if all(w in text for w in words) or time.monotonic() > deadline:
            return text
        time.sleep(0.25)


def shoot(page, name: str) -> None:
    path = artifact(f"dashboard-{name}.png")
    page.screenshot(path=str(path), full_page=True)   # docs/images/ holds copies made by hand


def assert_no_raw_values(page, raw, where: str) -> None:
    seen = text_of(page) + "\n".join(page.record.frames)
    leaked = sorted(v for v in raw.pii if v in seen)
    assert not leaked, f"raw masked values reached the browser on {where}: {leaked[:5]}"


def open_dataset(page, name: str, tab: str | None = None) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_test_id("dataset-title").filter(has_text=name).wait_for()
    if tab:
        page.locator(".bk-tab", has_text=tab).click()


def try_login(page, dashboard, user: str, secret: str) -> str:
    """Submit the login form; the error shown, or "" once logged in."""
    page.goto(dashboard.url + "/login")
    page.locator("#username").fill(user)
    page.locator("#password").fill(secret)
    page.locator("#login-submit").click()
    page.locator("[data-testid=login-error], [data-testid=current-user]").first.wait_for(timeout=60_000)
    error = page.get_by_test_id("login-error")
    return error.inner_text() if error.count() else ""


def download_csv(page) -> list[dict]:
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download CSV (as you see it)").click()
    content = Path(info.value.path()).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(content)))


# -- the tests ----------------------------------------------------------------------------------------------------
def test_server_starts_quickly_and_announces_its_url_as_json(dashboard):
    first_line = dashboard.log.read_text().splitlines()[0]
    announced = json.loads(first_line)
    assert announced["url"] == dashboard.url + "/"
    assert announced["login"] == dashboard.url + "/login"
    # a real process: imports Panel, opens the governed service; generous for a loaded 2-core machine
    assert dashboard.startup < 30, f"aios dashboard took {dashboard.startup:.1f} s to answer"


def test_pages_need_a_login(dashboard):
    request = urllib.request.Request(dashboard.url + "/?page=audit")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(request, timeout=30)
    refused.value.close()
    assert refused.value.code == 302
    assert "/login" in refused.value.headers["Location"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@LOCAL_ONLY
def test_wrong_password_and_unknown_users_are_refused_and_audited(chromium, dashboard, seeded):
    from aios_workbench.surfaces.dashboard.users import DashboardUsers

    # mallory has a valid password hash in the logins file but is not a policy user: still refused
    DashboardUsers(seeded.ws.state_dir).set_password("mallory", "mallory-password", policy_users={"mallory"})
    context = chromium.new_context()
    page = context.new_page()
    try:
        for user, password in (("bob", "not-bobs-password"), ("nobody", "whatever-pw"),
                               ("mallory", "mallory-password")):
            page.goto(dashboard.url + "/login")
            page.locator("#username").fill(user)
            page.locator("#password").fill(password)
            page.locator("#login-submit").click()
            page.get_by_test_id("login-error").wait_for(timeout=30_000)
            assert "Invalid username or password" in page.get_by_test_id("login-error").inner_text()
            page.goto(dashboard.url + "/")
            assert page.locator("#username").is_visible(), f"{user} got past the login page"
    finally:
        context.close()
        DashboardUsers(seeded.ws.state_dir).remove("mallory")

    from aios_workbench.audit import open_audit_log
    from aios_workbench.surfaces.dashboard.auth import unknown_name

    log = open_audit_log(seeded.ws)
    try:
        refused = {r["user"]: r["detail"]["reason"] for r in log.query(action="dashboard.login", allowed=False)}
    finally:
        log.store.close()
    assert refused["bob"] == "wrong password or no dashboard login"
    # names that are no policy user are recorded by digest only: people type passwords into the name field
    assert refused[unknown_name("nobody")] == "not a policy user"
    assert refused[unknown_name("mallory")] == "not a policy user"
    assert not {"nobody", "mallory"} & set(refused)


def test_bob_sees_every_page_with_its_facts_and_no_raw_masked_value(chromium, dashboard, seeded):
    with session(chromium, dashboard, "bob") as page:
        assert page.get_by_test_id("current-user").inner_text() == "bob"

        open_page(page, dashboard, "overview")
        assert page.get_by_test_id("overview-datasets-value").inner_text() == "4"   # his two sources and the signals (no personal data)
        assert "of 5 in the catalog" in page.get_by_test_id("overview-datasets").inner_text()   # with the signals
        assert page.get_by_test_id("overview-owners-value").inner_text() == "100%"
        # bob's checks: purchase_orders_basics, purchase_orders_quantities (warn), suppliers_contacts
        assert page.get_by_test_id("overview-checks-value").inner_text() == "100%"
        assert "3 of 3 checks" in page.get_by_test_id("overview-checks").inner_text()
        assert page.get_by_test_id("overview-jobs-value").inner_text() == "75%"
        assert page.get_by_test_id("overview-alerts-value").inner_text() == "2"
        shoot(page, "overview")
        assert_no_raw_values(page, seeded.raw, "overview")

        open_page(page, dashboard, "data")
        wait_text(page, "4 datasets you can read")
        assert page.get_by_role("button", name=SHIPMENTS).count() == 0   # no grant: not even listed
        open_dataset(page, SUPPLIERS, "Preview")
        page.get_by_test_id("preview-page").wait_for()
        assert "region = 'Northern Europe'" in page.get_by_test_id("dataset-row-filter").inner_text()
        assert page.get_by_test_id("dataset-owners").inner_text() == "procurement-data@example.com"
        text = text_of(page)
        shown = {i for i in seeded.raw.northern_ids if i in text}
        assert shown, "the preview shows none of bob's suppliers"
        assert not {i for i in seeded.raw.other_region_ids if i in text}, "rows of other regions shown"
        shoot(page, "data")
        page.locator(".bk-tab", has_text="Profile").click()
        wait_text(page, "73 rows")
        assert "yes (hash)" in text_of(page)
        page.locator(".bk-tab", has_text="Lineage").click()
        wait_text(page, "times through the governed path")
        rows = download_csv(page)
        assert {r["region"] for r in rows} == {"Northern Europe"}
        assert {r["supplier_id"] for r in rows} == seeded.raw.northern_ids
        content = json.dumps(rows)
        assert not sorted(v for v in seeded.raw.pii if v in content), "raw values in bob's CSV"
        assert all(len(r["contact_email"]) == 16 and "@" not in r["contact_email"] for r in rows)
        open_dataset(page, ORDERS, "Preview")
        page.get_by_test_id("preview-page").wait_for()
        assert_no_raw_values(page, seeded.raw, "data")

        open_page(page, dashboard, "quality")
        summary = page.get_by_test_id("quality-summary").inner_text()
        # shipments' checks are not bob's to see: the latest verdict of each of the three others
        # (+ the monitor supply_risk, whose dataset outputs.supply_risk no job wrote in this copy: service/checks.py
        # lists a check over a dataset the catalog does not know to everyone)
        assert summary.startswith("4 checks: 2 passed, 1 passed with warnings, 1 not run yet."), summary
        assert "shipments" not in text_with(page, "purchase_orders_quantities")
        shoot(page, "quality")
        page.locator("select").first.select_option(label=ORDERS)      # one dataset: its rules, column by column
        wait_text(page, "2 checks: ")                                  # the summary of that dataset's checks
        summary = page.get_by_test_id("quality-summary").inner_text()
        assert summary.startswith("2 checks: 1 passed, 1 passed with warnings."), summary
        page.locator(".bk-tab", has_text="Over time").click()
        page.get_by_text("Quality rules per column over time").wait_for()
        shoot(page, "quality-dataset")
        page.locator(".bk-tab", has_text="All runs").click()
        wait_text(page, "purchase_orders_basics")
        assert "shipments_drift" not in text_of(page)
        assert_no_raw_values(page, seeded.raw, "quality")
        page.locator(".bk-tab", has_text="Open a check").click()
        page.get_by_test_id("quality-drill-title").wait_for()
        assert "purchase_orders_quantities" in page.get_by_test_id("quality-drill-title").inner_text()
        wait_text(page, "range(quantity)")                   # the failing run's items
        shoot(page, "quality-drill")
        assert "shipments_drift" not in text_of(page)
        assert_no_raw_values(page, seeded.raw, "quality")

        open_page(page, dashboard, "jobs")
        wait_text(page, JOB)
        assert page.get_by_test_id("jobs-failure-rate-value").inner_text() == "25%"
        assert "At 06:00 AM (UTC)" in text_of(page)
        assert page.get_by_test_id("jobs-upcoming").inner_text() == "Upcoming runs, next 7 days (5)"
        page.locator(".bk-tab", has_text="Run history").click()
        wait_text(page, "Output notebooks")
        assert "(hidden)" in text_of(page) and "ZeroDivisionError" not in text_of(page)   # not bob's job
        # the job runs as alice: bob did not create it, is not its identity and is no auditor
        assert page.get_by_test_id("job-output-link").count() == 0
        shoot(page, "jobs")

        open_page(page, dashboard, "experiments")
        wait_text(page, "gbm-depth-6")
        title = page.get_by_test_id("leaderboard-title").inner_text()
        assert title == "Leaderboard by auc (highest first) among all 3 runs"
        assert page.get_by_test_id("models-champions-value").inner_text() == "1"
        assert "delay_model v1" in page.get_by_test_id("models-champions").inner_text()
        assert page.get_by_test_id("models-pending-value").inner_text() == "1"
        board = text_of(page)
        assert board.index("gbm-depth-6") < board.index("gbm-depth-4") < board.index("logreg-baseline")
        shoot(page, "experiments")

        open_page(page, dashboard, "audit")
        wait_text(page, "You see your own records")
        page.get_by_role("button", name="Verify chain").click()
        verdict = page.get_by_test_id("audit-verdict")
        verdict.wait_for()
        assert verdict.inner_text().startswith("Chain intact")
        audit_text = text_of(page)
        assert "dashboard.login" in audit_text and "alice" not in audit_text.split("records on this page")[-1]
        shoot(page, "audit")

        open_page(page, dashboard, "alerts")
        assert page.get_by_test_id("alerts-open-value").inner_text() == "2"
        wait_text(page, f"{JOB} v2 waits for approval")
        shoot(page, "alerts")
        assert_no_raw_values(page, seeded.raw, "every page")


def test_bob_and_alice_see_different_rows_of_the_same_dataset(chromium, dashboard, seeded):
    with session(chromium, dashboard, "alice") as page:
        open_page(page, dashboard, "data")
        wait_text(page, "5 datasets you can read")
        open_dataset(page, SUPPLIERS, "Preview")
        page.get_by_test_id("preview-page").wait_for()
        alice_rows = download_csv(page)
    with session(chromium, dashboard, "bob") as page:
        open_page(page, dashboard, "data")
        open_dataset(page, SUPPLIERS)
        bob_rows = download_csv(page)

    assert len(alice_rows) == 600 and len(bob_rows) == len(seeded.raw.northern_ids) < 600
    assert len({r["region"] for r in alice_rows}) > 1 and {r["region"] for r in bob_rows} == {"Northern Europe"}
    other = next(iter(seeded.raw.other_region_ids))
    assert other in {r["supplier_id"] for r in alice_rows} and other not in {r["supplier_id"] for r in bob_rows}
    # alice is no steward either: masked the same way
    assert not sorted(v for v in seeded.raw.pii if v in json.dumps(alice_rows))


def test_a_steward_sees_raw_values_everyones_audit_and_job_outputs(chromium, dashboard, seeded):
    with session(chromium, dashboard, "carol") as page:
        open_page(page, dashboard, "data")
        open_dataset(page, SUPPLIERS)
        rows = download_csv(page)
        supplier = rows[0]["supplier_id"]
        assert rows[0]["contact_email"] == seeded.raw.emails_of_suppliers[supplier]  # the masks do depend on role

        open_page(page, dashboard, "audit")
        wait_text(page, "You are an auditor")
        page.locator("input[placeholder='source.schema.dataset']").fill(SUPPLIERS)
        page.get_by_role("button", name="Apply filters").click()
        wait_text(page, "query")
        records = text_with(page, "bob", "alice")
        assert "bob" in records and "alice" in records     # everyone's reads of the suppliers

        open_page(page, dashboard, "jobs")
        page.locator(".bk-tab", has_text="Run history").click()
        wait_text(page, "ZeroDivisionError")   # an auditor sees why runs failed
        link = page.get_by_test_id("job-output-link")
        link.first.wait_for()
        with page.context.expect_page() as opened:
            link.first.click()
        output = opened.value
        output.wait_for_load_state()
        assert output_notebook_shows(output, OUTPUT_MARKER)
        output.close()


def output_notebook_shows(output, text: str) -> bool:
    """Whether the output page's sandboxed frame (the executed notebook) shows `text`."""
    output.frame_locator('[data-testid="output-frame"]').get_by_text(text).wait_for(timeout=30_000)
    return True


def test_job_outputs_are_refused_to_users_who_may_not_see_them(chromium, dashboard, seeded):
    run_id = seeded.jobs["failed_run"]
    with session(chromium, dashboard, "bob") as page:
        for path in (f"job-output/{run_id}", f"job-output/{run_id}/notebook"):
            response = page.request.get(f"{dashboard.url}/{path}")
            assert response.status == 403, path
            assert OUTPUT_MARKER not in response.text() and JOB not in response.text()
    with session(chromium, dashboard, "alice") as page:   # alice is the job's identity and creator
        response = page.request.get(f"{dashboard.url}/job-output/{run_id}/notebook")
        assert response.status == 200 and OUTPUT_MARKER in response.text()
        assert "sandbox" in response.headers["content-security-policy"]
        framing = page.request.get(f"{dashboard.url}/job-output/{run_id}")
        assert framing.status == 200 and OUTPUT_MARKER not in framing.text()    # the notebook is only framed
        assert "script-src" not in framing.headers["content-security-policy"]   # and the page runs no script
        assert "default-src 'none'" in framing.headers["content-security-policy"]


@pytest.mark.parametrize("theme", ["default", "dark"])
def test_a_job_output_opens_under_a_header_saying_which_run_it_is(chromium, dashboard, seeded, theme):
    from tests.axe_scan import axe

    run_id = seeded.jobs["failed_run"]
    with session(chromium, dashboard, "alice") as page:
        page.goto(f"{dashboard.url}/job-output/{run_id}?theme={theme}")
        header = page.get_by_role("banner")
        assert page.get_by_role("heading", level=1).inner_text() == f"{JOB} · run {run_id}"
        facts = {label: header.locator(f'dd[data-field="{label}"]').inner_text()
                 for label in ("verdict", "started", "duration", "started-by", "ran-as", "version")}
        assert facts["verdict"] == "failed" and facts["ran-as"] == "alice" and facts["started-by"] == "on schedule"
        assert DATE.match(facts["started"]) and facts["duration"] == "41 s" and facts["version"] == "1"
        assert page.get_by_role("main").count() == 1
        frame = page.locator('iframe[data-testid="output-frame"]')
        assert frame.get_attribute("sandbox") == ""                            # no scripts, an opaque origin
        assert frame.get_attribute("title") == f"Output of run {run_id} of job {JOB} (the executed notebook)"
        assert output_notebook_shows(page, OUTPUT_MARKER)
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(24, 24, 24)" if theme == "dark" else "rgb(255, 255, 255)")
        found = axe(page, ["html"])
        assert found is not None
        problems = [(v["id"], v["impact"]) for v in found if v["impact"] in ("serious", "critical")
                    or v["id"] in ("landmark-one-main", "page-has-heading-one", "region")]
        assert not problems, problems
        shoot(page, f"job-output-{theme}")
        page.get_by_test_id("output-back").click()      # back to the job's page on the dashboard
        page.get_by_test_id("page-jobs").wait_for()
        assert f"job={JOB}" in page.url


def alert_item(page, alert_id: int):
    item = page.locator(f'[data-testid="alert-item"][data-alert-id="{alert_id}"]')
    item.wait_for()
    return item


def test_an_alert_links_to_the_failed_run_and_to_the_check_it_failed(chromium, dashboard, seeded):
    run_id, alert_id = seeded.jobs["failed_run"], seeded.alerts[0]["id"]
    with session(chromium, dashboard, "alice") as page:   # alice created the job: she may open its output
        open_page(page, dashboard, "alerts")
        item = alert_item(page, alert_id)
        assert DATE.match(item.get_by_test_id("alert-at").inner_text())
        cause = item.get_by_test_id("alert-cause")
        assert item.inner_text().count("Cause: ") == 1
        assert cause.inner_text() == f"Run {run_id} of job {JOB} failed"
        assert cause.get_attribute("href") == f"./job-output/{run_id}"
        with page.context.expect_page() as opened:
            cause.click()
        output = opened.value
        output.wait_for_load_state()
        assert output_notebook_shows(output, OUTPUT_MARKER)
        output.close()

        evidence = item.get_by_test_id("alert-related")
        said = evidence.inner_text()
        assert said.startswith("shipments_basics failed (result #"), said
        ledger_id = int(said.rsplit("#", 1)[1].rstrip(")"))
        assert evidence.get_attribute("href") == f"?page=quality&run={ledger_id}"
        evidence.click()   # lands on the Quality page, that check result opened
        page.get_by_test_id("quality-drill-title").filter(has_text="shipments_basics").wait_for()
        assert "delivered_after_shipped" in page.get_by_test_id("quality-drill-why").inner_text()
        assert f"Run #{ledger_id} by alice" in text_with(page, f"Run #{ledger_id} by alice")
        shoot(page, "alert-cause-landing")


def test_an_alert_names_its_cause_without_opening_what_the_user_may_not_see(chromium, dashboard, seeded):
    run_id = seeded.jobs["failed_run"]
    with session(chromium, dashboard, "bob") as page:   # bob does not control the job
        open_page(page, dashboard, "alerts")
        item = alert_item(page, seeded.alerts[0]["id"])
        cause = item.get_by_test_id("alert-cause")
        assert cause.inner_text() == f"Run {run_id} of job {JOB} failed"
        assert cause.get_attribute("href") == f"?page=jobs&job={JOB}"     # the job, not its output
        assert "its output is shown only to the job's creator, its identity and auditors" in item.inner_text()
        assert item.get_by_test_id("alert-related").count() == 0       # nor the checks it failed on shipments
        approval = alert_item(page, seeded.alerts[1]["id"]).get_by_test_id("alert-cause")
        assert approval.inner_text() == f"Version 2 of job {JOB}, promoted by alice"
        assert approval.get_attribute("href") == f"?page=jobs&job={JOB}"
        shoot(page, "alerts-causes")
        assert_no_raw_values(page, seeded.raw, "alerts")


def test_the_failing_checks_figure_opens_the_quality_page_filtered_to_failures(chromium, dashboard, seeded):
    with session(chromium, dashboard, "alice") as page:
        open_page(page, dashboard, "overview")
        drill = page.get_by_test_id("overview-checks-drill")
        found = re.fullmatch(r"See the (\d+) failing checks? →", drill.inner_text().strip())
        assert found, drill.inner_text()
        failing = int(found.group(1))
        assert failing >= 2                   # shipments_drift and the job's shipments_basics at least
        assert drill.get_attribute("href") == "?page=quality&status=failing"
        drill.click()
        note = page.get_by_test_id("quality-filter")
        note.wait_for()
        assert note.inner_text().startswith(f"Showing the {failing} checks failing now, of ")
        rows = page.locator('[data-testid="quality-check"]')
        statuses = rows.evaluate_all("rows => rows.map(r => r.dataset.status)")
        names = rows.evaluate_all("rows => rows.map(r => r.dataset.name)")
        assert len(statuses) == failing and set(statuses) <= {"fail", "error"}, statuses
        assert "shipments_basics" in names
        # the other figures drill down too: open alerts to the Alerts page
        open_page(page, dashboard, "overview")
        assert page.get_by_test_id("overview-alerts-drill").get_attribute("href") == "?page=alerts"
        assert page.get_by_test_id("overview-jobs-drill").inner_text().startswith("See the 1 failed run")


def test_audit_rows_read_as_words_with_one_date_format(chromium, dashboard, seeded):
    with session(chromium, dashboard, "bob") as page:
        open_page(page, dashboard, "audit")
        cells = page.locator('.tabulator-cell[tabulator-field="details"]')
        cells.first.wait_for()
        details = [c for c in cells.all_inner_texts() if c.strip()]
        moments = page.locator('.tabulator-cell[tabulator-field="at"]').all_inner_texts()
        outcomes = set(page.locator('.tabulator-cell[tabulator-field="outcome"]').all_inner_texts())
        headers = page.locator(".tabulator-col-title").all_inner_texts()

    assert any(d.startswith("reason: ") for d in details), details[:5]     # details as "key: value" text
    assert not [d for d in details if '{"' in d or '\\"' in d or re.search(r"\b(true|false)\b", d)], details[:5]
    assert moments and all(re.fullmatch(DATE.pattern.replace(" UTC", r":\d{2} UTC"), m) for m in moments), moments[:3]
    assert outcomes <= {"allowed", "DENIED"} and "details" in headers and "outcome" in headers


def test_acknowledging_an_alert_records_who_did_it(chromium, dashboard, seeded):
    alert_id = seeded.alerts[0]["id"]
    with session(chromium, dashboard, "bob") as page:
        open_page(page, dashboard, "alerts")
        item = page.locator(f'[data-testid="alert-item"][data-alert-id="{alert_id}"]')
        item.wait_for()
        page.get_by_role("button", name=f"Acknowledge #{alert_id}").click()
        page.get_by_test_id("alerts-open-value").filter(has_text="1").wait_for()
        assert page.locator(f'[data-testid="alert-item"][data-alert-id="{alert_id}"]').count() == 0

    from aios_workbench.alerts import AlertFeed
    from aios_workbench.audit import open_audit_log
    from aios_workbench.store import open_store

    store = open_store(seeded.ws.metadata_url)
    try:
        alert = AlertFeed(store).get(alert_id)
    finally:
        store.close()
    assert alert["state"] == "acknowledged" and alert["acknowledged_by"] == "bob"
    log = open_audit_log(seeded.ws)
    try:
        acks = log.query(action="alert_ack", user="bob")
    finally:
        log.store.close()
    assert acks and acks[0]["target"] == f"alert:{alert_id}"


@LOCAL_ONLY
def test_a_removed_login_ends_the_session(chromium, dashboard, seeded):
    context = chromium.new_context()
    page = context.new_page()
    try:
        assert try_login(page, dashboard, "alice", PASSWORDS["alice"]) == ""
        removed = run_aios("--workspace", str(seeded.root), "dashboard", "users", "remove", "alice", "--json")
        assert removed.returncode == 0, removed.stderr
        page.goto(dashboard.url + "/?page=data")
        page.locator("#username").wait_for(timeout=30_000)   # back at the login form
    finally:
        context.close()
        assert add_login(seeded.root, "alice", PASSWORDS["alice"]).returncode == 0


def test_logging_out_ends_the_session(chromium, dashboard):
    context = chromium.new_context()
    page = context.new_page()
    try:
        assert try_login(page, dashboard, "carol", dashboard.secrets["carol"]) == ""
        page.get_by_test_id("logout").click(timeout=60_000)
        page.get_by_test_id("logged-out").wait_for(timeout=30_000)
        page.goto(dashboard.url + "/?page=audit")
        page.locator("#username").wait_for(timeout=30_000)
    finally:
        context.close()


# -- team mode only -----------------------------------------------------------------------------------------------
@TEAM_ONLY
def test_team_logins_need_the_users_own_service_token(chromium, dashboard, seeded):
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(dashboard.url + "/login")
        assert page.locator("label[for=password]").inner_text() == "Service token"
        assert "Invalid username or token" in try_login(page, dashboard, "bob", dashboard.secrets["alice"])
        assert "Invalid username or token" in try_login(page, dashboard, "bob", "aios_not-a-token")
        page.goto(dashboard.url + "/")
        assert page.locator("#username").is_visible(), "a refused login got past the login page"
        assert try_login(page, dashboard, "bob", dashboard.secrets["bob"]) == ""
        assert page.get_by_test_id("current-user").inner_text() == "bob"
    finally:
        context.close()
    # the service records the login where every other record of bob lives; the dashboard logs the refusals
    from aios_workbench.audit import open_audit_log

    log = open_audit_log(seeded.ws)
    try:
        logins = log.query(action="dashboard.login", user="bob")
    finally:
        log.store.close()
    assert logins and logins[0]["allowed"] and logins[0]["detail"]["reason"] == "service token verified"
    refusals = dashboard.log.read_text()
    assert "the token is another user's" in refusals and "the service refused the token" in refusals
    assert dashboard.secrets["alice"] not in refusals and dashboard.secrets["bob"] not in refusals


@TEAM_ONLY
def test_a_revoked_token_ends_the_team_session(chromium, dashboard, seeded):
    token = add_token(seeded.root, "alice")
    context = chromium.new_context()
    page = context.new_page()
    try:
        assert try_login(page, dashboard, "alice", token["token"]) == ""
        revoked = run_aios("--workspace", str(seeded.root), "tokens", "revoke", token["id"], "--json")
        assert revoked.returncode == 0, revoked.stderr
        page.goto(dashboard.url + "/?page=data")
        page.locator("#username").wait_for(timeout=30_000)   # the service refused the token: back to the login
        assert page.get_by_test_id("current-user").count() == 0
    finally:
        context.close()
