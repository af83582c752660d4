"""Check verdicts say what happened, on every screen: the Quality & drift page lists every kind of check
(quality, drift, monitors, fairness) with its latest verdict and counts them all; a drift run reads as a
summary and per column in words; a job run whose notebook succeeded while its checks failed says "checks
failed"; a check's header and its items agree, failing items first, with a sentence saying why.

A private copy of the prepared demo workspace: the demo data drifts on `lead_time_days` in its newest
month, so the monitor `shipments_monthly_drift` fails by design while its "dataset drift" item passes.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest

from aios_workbench.service.dashboard.views import DashboardData
from tests.conftest import copy_demo_workspace, run_aios
from tests.test_scheduler import queue_run, rows

# pages.common.table passes Tabulator a `name` (its label in the page); Panel 1.x warns it will become
# `label` in 2.0. The browser tests never see it (the pages render in the dashboard's process).
pytestmark = pytest.mark.filterwarnings("ignore:Widget.name is deprecated:PendingDeprecationWarning")

DRIFT_SQL = ("(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')",
             "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')")
FAIRNESS_SQL = """(SELECT s.minority_owned, CASE WHEN sh.on_time THEN 0 ELSE 1 END AS late,
                          CASE WHEN s.size_band = 'small' THEN 1 ELSE 0 END AS flagged_late
                   FROM shipments sh JOIN purchase_orders USING (po_id) JOIN suppliers s USING (supplier_id)
                   WHERE sh.on_time IS NOT NULL)"""


def text_of(html: str) -> str:
    """What a screen reader or a person reads of `html`: its text, entities decoded, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def demo(demo_workspace, tmp_path_factory):
    return copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("verdicts") / "demo")


@pytest.fixture(scope="module")
def service(demo):
    from aios_workbench.service.core import WorkbenchService

    svc = WorkbenchService(demo, mode="test")
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def checked(service):
    """Every kind of check run once as alice: the quality suites, the failing monitor, a drift and a fairness."""
    service.checks.quality("alice")
    [monitor] = service.checks.run("alice", "monitor", {"name": "shipments_monthly_drift"})
    drift = service.checks.drift("alice", *DRIFT_SQL, columns=["delay_days", "carrier", "on_time"])
    fairness = service.checks.fairness("alice", FAIRNESS_SQL, y_true="late", y_pred="flagged_late",
                                       sensitive=["minority_owned"])
    assert monitor["status"] == "fail"
    return {"monitor": monitor, "drift": drift, "fairness": fairness}


def quality_page(service, user="alice"):
    from aios_workbench.surfaces.dashboard.pages.quality import QualityPage

    page = QualityPage(DashboardData(service, user))
    page.__panel__()
    return page


def test_the_quality_page_lists_every_kind_of_check_and_counts_the_failing_monitor(service, checked):
    page = quality_page(service)

    summary = text_of(page._summary().object)
    checks = page._checks().object
    listed = {html_lib.unescape(m.group(2)): m.group(1) for m in
              re.finditer(r'data-category="(\w+)" data-status="\w+" data-name="([^"]+)"', checks)}

    assert listed["monitor:shipments_monthly_drift"] == "monitor"
    assert listed[checked["drift"]["name"]] == "drift" and listed[checked["fairness"]["name"]] == "fairness"
    assert listed["shipments_basics"] == "quality"
    failing = sum(1 for c in (checked["monitor"], checked["drift"], checked["fairness"]) if c["status"] == "fail")
    assert f"{failing} failed" in summary and "1 monitor" in summary, summary
    assert "0 failed" not in summary
    shown = text_of(checks)
    assert "Monitor shipments_monthly_drift failed Failed: 1 of 4 columns drifted (lead_time_days)" in shown
    # check names are labels, not SQL; the SQL stays in the tooltip
    assert "Drift: shipments where shipped_at before 2025-07-01 → shipments where shipped_at from 2026-01-01" in shown
    assert "SELECT" not in shown and "Fairness by minority_owned of a query over" in shown


def test_a_drift_run_reads_as_a_summary_and_per_column_in_words(service, checked):
    page = quality_page(service)
    page.check = "drift:monitor:shipments_monthly_drift"

    detail = page._detail()
    html = " ".join(str(getattr(p, "object", "")) for p in detail.objects)
    columns = next(p for p in detail.objects if type(p).__name__ == "Tabulator").value

    said = text_of(html)
    assert "1 of 4 columns drifted (25%; the dataset drifts at 50%). The dataset as a whole did not drift." in said
    assert "Failed: 1 of 4 columns drifted (lead_time_days)" in said
    assert list(columns["column"])[0] == "lead_time_days"                    # the drifted column first
    lead = columns.iloc[0]
    assert (lead["verdict"], lead["test"], lead["threshold"]) == ("drifted", "Wasserstein distance (normed)", "0.1")
    assert lead["why"].startswith("drifted: 0.18") and "≥ threshold 0.1" in lead["why"]
    assert set(columns.iloc[1:]["verdict"]) == {"no drift"}
    assert not {"wasserstein_error_bound", "ref_nulls", "p_value"} & set(said.split())
    plots = [p for p in detail.objects if type(p).__name__ == "FlexBox"]
    assert plots and len(plots[0].objects) == 1                               # one overlay: the drifted column
    assert plots[0].objects[0].object.title.text == "lead_time_days"


def test_a_user_who_may_not_read_the_data_sees_none_of_its_checks(service, checked):
    page = quality_page(service, user="bob")   # an analyst: purchasing and suppliers only

    shown = text_of(page._checks().object)

    assert "shipments_monthly_drift" not in shown and "shipments" not in shown
    assert "purchase_orders_basics" in shown


def test_a_checks_header_says_why_it_failed_and_lists_the_failing_items_first(checked):
    from aios_workbench.checks.display import from_dict, result_html

    html = result_html(from_dict(checked["monitor"]))

    said = text_of(html)
    assert "FAIL" in said and ("Failed: 1 of 4 columns drifted (lead_time_days). The dataset as a whole did not "
                               "drift: 25% of its columns drifted, 50% are needed.") in said
    names = re.findall(r"<tr><td style='text-align:left'>([^<]+)</td>", html)
    assert names[0] == "lead_time_days" and names[1] == "dataset drift"
    assert "drifted: 0.18" in said and "no drift: 0.09" in said


def test_the_ledger_gives_every_surface_the_label_and_the_sentence(service, checked):
    runs = {r["name"]: r for r in service.checks.history("alice", limit=50)}

    monitor = runs["monitor:shipments_monthly_drift"]
    assert monitor["label"] == "Monitor shipments_monthly_drift"
    assert monitor["verdict"].startswith("Failed: 1 of 4 columns drifted (lead_time_days).")
    warned = runs["shipments_carriers"]
    assert warned["status"] == "warn" and "severity is warn: it reports, it does not block" in warned["verdict"]


@pytest.fixture(scope="module")
def job_run(demo, service, checked):
    """The demo's daily job (notebook 04: quality suites and the monitor, `fail_on_drift` off) run once by a
    real scheduler: its notebook succeeds while the monitor it records fails."""
    from aios_workbench.demo.prepare import promote_demo_job

    promote_demo_job(demo, progress=False)
    job = service.jobs.show("alice", "monitor_shipments")
    run_id = queue_run(service.store, job_id_of(service, "monitor_shipments"))
    done = run_aios("--workspace", str(demo.root), "scheduler", "--once", "--json", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = [r for r in rows(service.store) if r.id == run_id]
    assert run.status == "succeeded", run.error
    assert job["name"] == "monitor_shipments"
    return run_id


def job_id_of(service, name: str) -> int:
    from sqlalchemy import select

    from aios_workbench.store.models import Job

    with service.store.session() as session:
        return session.scalar(select(Job.id).where(Job.name == name))


def test_a_job_run_whose_checks_failed_says_so_wherever_it_is_shown(service, job_run):
    from aios_workbench.surfaces.dashboard.pages.jobs import JobsPage

    run = service.jobs.run("alice", job_run)
    page = JobsPage(DashboardData(service, "alice"))
    history = next(p for p in page._history().objects if type(p).__name__ == "Tabulator").value
    jobs = page._jobs()

    assert (run["status"], run["verdict"]) == ("succeeded", "checks_failed")
    assert run["checks"]["failed"] >= 1 and "monitor" in run["checks"]["failed_kinds"]
    [page_run] = [r for r in service.jobs.history("bob", "monitor_shipments")["runs"] if r["id"] == job_run]
    assert page_run["verdict"] == "checks_failed"            # a run's verdict is as public as its status
    said = history.set_index("run").loc[job_run, "outcome"]
    assert said.startswith("checks failed: the notebook succeeded, ") and "(monitor)" in said, said
    assert "succeeded" != said
    table = next(p for p in jobs.objects if type(p).__name__ == "Tabulator").value
    assert table.set_index("job").loc["monitor_shipments", "last run"] == "checks failed"
    assert text_of(jobs.objects[0].objects[2].object).startswith("Last run: checks failed 1")
