"""The governance ledger: check runs are stored, paged newest first, found per dataset and per check."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.core.errors import UsageError
from aios_workbench.store import open_store

ORDERS, SUPPLIERS = "wh.main.orders", "wh.main.suppliers"


def quality(name: str, dataset: str, status: str = "pass", *, required: bool = False, **extra) -> CheckResult:
    item = CheckItem("not_null(id)", status, {"failing_rows": 0 if status == "pass" else 3, "rows": 10},
                     {"predicate": '"id" IS NULL'})
    return CheckResult(kind="quality", name=name, items=[item], inputs={dataset: {"rows": 10}, **extra},
                       params={"dataset": dataset}, required=required, duration_s=0.25)


@pytest.fixture
def ledger(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'meta.db'}")
    yield Ledger(store)
    store.close()


def test_record_keeps_the_whole_result_and_its_context(ledger):
    result = quality("orders_basics", ORDERS, "fail", required=True)

    run_id = ledger.record(result, user="ann", notebook="notebooks/02.ipynb", job_run_id=7, mlflow_run_id="abc123")
    run = ledger.get(run_id)

    assert run["kind"] == "quality" and run["name"] == "orders_basics"
    assert (run["status"], run["passed"], run["required"], run["severity"]) == ("fail", False, True, "fail")
    assert (run["user"], run["notebook"], run["job_run_id"], run["mlflow_run_id"]) == (
        "ann", "notebooks/02.ipynb", 7, "abc123")
    assert run["items"] == [{"name": "not_null(id)", "status": "fail", "metrics": {"failing_rows": 3, "rows": 10},
                             "detail": {"predicate": '"id" IS NULL'}}]
    assert run["datasets"] == [ORDERS] and run["inputs"] == {ORDERS: {"rows": 10}}
    assert run["duration_s"] == 0.25 and run["at"] == result.started_at
    assert ledger.get(run_id + 1) is None


def test_an_errored_check_is_recorded_with_its_error(ledger):
    result = CheckResult(kind="quality", name="broken", items=[], inputs={ORDERS: {}}, error="no column 'x'")

    run = ledger.get(ledger.record(result, user="ann"))

    assert (run["status"], run["error"]) == ("error", "no column 'x'")


def test_history_filters_by_dataset_check_and_kind_newest_first(ledger):
    ids = [ledger.record(quality("orders_basics", ORDERS), user="ann"),
           ledger.record(quality("suppliers_basics", SUPPLIERS), user="ann"),
           ledger.record(quality("orders_refs", ORDERS, "fail", **{SUPPLIERS: {"role": "referenced"}}), user="bob"),
           ledger.record(CheckResult(kind="drift", name="orders_drift", items=[], inputs={ORDERS: {}}), user="bob")]

    assert [r["id"] for r in ledger.history()] == ids[::-1]
    assert [r["name"] for r in ledger.history(dataset=ORDERS)] == ["orders_drift", "orders_refs", "orders_basics"]
    assert [r["name"] for r in ledger.history(dataset="WH.Main.Suppliers")] == ["orders_refs", "suppliers_basics"]
    assert [r["id"] for r in ledger.history(name="orders_basics")] == [ids[0]]
    assert [r["name"] for r in ledger.history(kind="quality", dataset=ORDERS)] == ["orders_refs", "orders_basics"]
    assert ledger.history(dataset="wh.main.nothing") == []


def test_history_pages_by_keyset(ledger):
    ids = [ledger.record(quality("orders_basics", ORDERS), user="ann") for _ in range(7)]

    first = ledger.history(dataset=ORDERS, limit=3)
    second = ledger.history(dataset=ORDERS, limit=3, before_id=first[-1]["id"])
    third = ledger.history(dataset=ORDERS, limit=3, before_id=second[-1]["id"])

    assert [r["id"] for r in first + second + third] == ids[::-1]
    assert len(third) == 1
    with pytest.raises(UsageError, match="limit must be between 1 and 500"):
        ledger.history(limit=0)


def test_latest_is_the_newest_run_of_each_check_on_a_dataset(ledger):
    ledger.record(quality("orders_basics", ORDERS, "fail"), user="ann")
    newest_basics = ledger.record(quality("orders_basics", ORDERS, "pass"), user="ann")
    refs = ledger.record(quality("orders_refs", ORDERS, "fail"), user="ann")
    ledger.record(quality("suppliers_basics", SUPPLIERS), user="ann")

    latest = ledger.latest(ORDERS)

    assert [(r["id"], r["name"], r["status"]) for r in latest] == [
        (refs, "orders_refs", "fail"), (newest_basics, "orders_basics", "pass")]


def test_upgrade_from_0002_keeps_rows_and_adds_the_ledger(tmp_path):
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    old = open_store(url, migrate=False)
    old.migrate("0002_jobs_alerts")
    assert "check_runs" not in old.tables()
    with old.engine.begin() as con:
        con.execute(text("INSERT INTO alerts (at, kind, severity, title, detail) "
                         "VALUES ('2026-01-01 00:00:00', 'run_failed', 'warning', 'kept', '{}')"))
    old.close()

    upgraded = open_store(url)
    try:
        assert upgraded.revision() == "0009_column_descriptions"
        assert {"check_runs", "check_run_datasets"} <= upgraded.tables()
        with upgraded.engine.connect() as con:
            assert con.execute(text("SELECT title, state FROM alerts")).one() == ("kept", "open")
        ledger = Ledger(upgraded)
        run_id = ledger.record(quality("orders_basics", ORDERS), user="ann")
        assert [r["id"] for r in ledger.history(dataset=ORDERS)] == [run_id]
    finally:
        upgraded.close()


@pytest.mark.services
def test_ledger_on_postgresql(postgres_url):
    store = open_store(postgres_url)
    try:
        ledger = Ledger(store)
        first = ledger.record(quality("orders_basics", ORDERS, "fail"), user="ann", job_run_id=3)
        second = ledger.record(quality("orders_basics", ORDERS), user="bob")

        assert store.revision() == "0009_column_descriptions"
        assert [(r["id"], r["user"]) for r in ledger.history(dataset=ORDERS)] == [(second, "bob"), (first, "ann")]
        assert ledger.history(dataset=ORDERS, before_id=second)[0]["job_run_id"] == 3
        assert [r["id"] for r in ledger.latest(ORDERS)] == [second]
    finally:
        store.close()
