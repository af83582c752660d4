"""The demo-data generator: deterministic, realistic, with drift, a fairness gap and known defects."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import sqlite3
from pathlib import Path, PurePosixPath

import duckdb
import pytest
import yaml

from aios_workbench.demo import generate as demo
from aios_workbench.demo import storage

SCALE = 0.2
REPO_ROOT = Path(__file__).resolve().parents[1]
IBAN_LENGTHS = {"DE": 22, "FR": 27, "NL": 18, "BE": 16, "AT": 20, "PL": 28, "ES": 24, "IT": 27,
                "PT": 25, "SE": 24, "DK": 18, "IE": 22, "GB": 22}


def iban_passes_mod_97(iban: str) -> bool:
    """ISO 13616, written independently of the generator: rotate 4 chars, letters to numbers, mod 97."""
    rotated = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rotated)) % 97 == 1


def sqlite_rows(root: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(root / storage.SQLITE_FILE)) as con:
        return con.execute(sql).fetchall()


@contextlib.contextmanager
def demo_connection(root: Path):
    """DuckDB over all four stores: `suppliers` (copied from SQLite), `purchase_orders`, `shipments`, `signals`
    and `supplier_lanes`."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{root / storage.DUCKDB_FILE}' AS warehouse (READ_ONLY)")
        con.execute(f"ATTACH '{root / storage.SIGNALS_FILE}' AS external (READ_ONLY)")
        con.execute("CREATE VIEW signals AS SELECT * FROM external.main.signals")
        con.execute("CREATE VIEW supplier_lanes AS SELECT * FROM external.main.supplier_lanes")
        con.execute("CREATE VIEW purchase_orders AS SELECT * FROM warehouse.procurement.purchase_orders")
        con.execute(f"CREATE VIEW shipments AS SELECT * FROM read_parquet('{root / 'shipments'}/*.parquet')")
        with contextlib.closing(sqlite3.connect(root / storage.SQLITE_FILE)) as lite:
            cursor = lite.execute("SELECT * FROM suppliers ORDER BY supplier_id")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        con.execute("CREATE TABLE suppliers AS SELECT * FROM (VALUES " + ", ".join(
            "(" + ", ".join("?" for _ in names) + ")" for _ in rows) + f") t({', '.join(names)})",
            [value for row in rows for value in row])
        yield con
    finally:
        con.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def content_digest(root: Path) -> dict[str, str]:
    """Hash of each table's rows (not file bytes for the databases, whose pages carry no meaning)."""
    with demo_connection(root) as con:
        digests = {
            table: str(scalar(con, f"SELECT hash(list(t ORDER BY {key})) FROM {table} t"))
            for table, key in (("suppliers", "supplier_id"), ("purchase_orders", "po_id"),
                               ("shipments", "shipment_id"), ("signals", "week, region"),
                               ("supplier_lanes", "supplier_id"))
        }
    for path in sorted((root / "shipments").glob("*.parquet")):
        digests[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> demo.DemoManifest:
    return demo.generate_demo_data(tmp_path_factory.mktemp("demo") / "demo-data", seed=7, scale=SCALE)


@pytest.fixture
def db(dataset: demo.DemoManifest):
    with demo_connection(dataset.root) as con:
        yield con


def fail_after_writing_shipments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the shipments writer hit a full disk after it has written its files for real."""
    real_writer = storage.write_shipments_parquet

    def writer_then_disk_full(table, folder):
        real_writer(table, folder)
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    monkeypatch.setattr(storage, "write_shipments_parquet", writer_then_disk_full)


def test_same_seed_gives_identical_data(dataset, tmp_path):
    again = demo.generate_demo_data(tmp_path / "again", seed=7, scale=SCALE)

    assert again == dataset
    assert content_digest(again.root) == content_digest(dataset.root)
    assert (again.root / demo.MANIFEST_FILE).read_bytes() == (dataset.root / demo.MANIFEST_FILE).read_bytes()


def test_different_seed_gives_different_data(dataset, tmp_path):
    other = demo.generate_demo_data(tmp_path / "other", seed=8, scale=SCALE)

    ours, theirs = content_digest(dataset.root), content_digest(other.root)
    assert all(ours[table] != theirs[table]
               for table in ("suppliers", "purchase_orders", "shipments", "signals", "supplier_lanes"))


def test_manifest_lists_every_file_and_true_row_counts(dataset, db):
    on_disk = sorted(p.relative_to(dataset.root).as_posix() for p in dataset.root.rglob("*") if p.is_file())

    assert on_disk == sorted([*dataset.files, demo.MANIFEST_FILE])
    assert dict(dataset.row_counts) == {
        table: scalar(db, f"SELECT count(*) FROM {table}")
        for table in ("suppliers", "purchase_orders", "shipments", "signals", "supplier_lanes")
    }
    assert dataset.row_counts["purchase_orders"] == round(40_000 * SCALE)
    assert 0.9 < dataset.row_counts["shipments"] / dataset.row_counts["purchase_orders"] < 1.0


def test_every_foreign_key_resolves(db):
    assert scalar(db, "SELECT count(*) FROM purchase_orders WHERE supplier_id NOT IN (SELECT supplier_id FROM suppliers)") == 0
    assert scalar(db, "SELECT count(*) FROM shipments WHERE po_id NOT IN (SELECT po_id FROM purchase_orders)") == 0
    assert scalar(db, "SELECT count(*) - count(DISTINCT po_id) FROM shipments") == 0


def test_events_happen_in_a_plausible_order(db):
    assert scalar(db, """SELECT count(*) FROM purchase_orders p JOIN suppliers s USING (supplier_id)
                         WHERE p.ordered_at::DATE < s.onboarded_on::DATE""") == 0
    assert scalar(db, """SELECT count(*) FROM shipments s JOIN purchase_orders p USING (po_id)
                         WHERE s.shipped_at < p.ordered_at OR s.delivered_at < s.shipped_at
                            OR NOT p.approved""") == 0


def test_ibans_pass_mod_97_with_the_country_length(dataset):
    rows = sqlite_rows(dataset.root, "SELECT country, iban FROM suppliers")

    assert iban_passes_mod_97("GB82WEST12345698765432")  # the registry's published example
    assert all(iban_passes_mod_97(iban) for _, iban in rows)
    assert all(iban.startswith(country) and len(iban) == IBAN_LENGTHS[country] for country, iban in rows)


def test_contact_details_look_real(dataset):
    rows = sqlite_rows(dataset.root, "SELECT contact_email, contact_phone, country FROM suppliers")

    assert all(email.count("@") == 1 and email.isascii() for email, _, _ in rows)
    phones = [phone for _, phone, _ in rows if phone is not None]
    assert all(phone.startswith("+") and phone[1:].isdigit() and len(phone) <= 16 for phone in phones)
    assert len({country for _, _, country in rows}) >= 8


def test_calendar_spans_fifteen_months_with_one_file_each(dataset, db):
    months = scalar(db, "SELECT count(DISTINCT date_trunc('month', ordered_at)) FROM purchase_orders")
    first, last = db.execute("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM purchase_orders").fetchone()
    files = sorted(PurePosixPath(f).name for f in dataset.files if f.startswith("shipments/"))

    assert months == 15
    assert str(first) >= "2025-01-01" and str(last) <= "2026-03-31"
    assert files == [f"shipments_{y}_{m:02d}.parquet" for y, ms in ((2025, range(1, 13)), (2026, range(1, 4)))
                     for m in ms]
    assert scalar(db, """SELECT count(*) FROM read_parquet(
                           '""" + str(dataset.root / "shipments") + """/*.parquet', filename = true)
                         WHERE strftime(shipped_at, 'shipments_%Y_%m.parquet') <> parse_filename(filename)""") == 0


def test_delays_carriers_and_prices_drift_from_october(db):
    delay_shift = scalar(db, """
        SELECT avg(delay_days) FILTER (WHERE shipped_at >= '2026-01-01')
             - avg(delay_days) FILTER (WHERE shipped_at < '2025-04-01') FROM shipments""")
    new_carrier_before, new_carrier_after = db.execute("""
        SELECT avg((carrier = 'Velocity Parcel')::INT) FILTER (WHERE shipped_at < '2025-10-01'),
               avg((carrier = 'Velocity Parcel')::INT) FILTER (WHERE shipped_at >= '2025-10-01')
        FROM shipments""").fetchone()
    price_ratio = dict(db.execute("""
        SELECT category, median(unit_price) FILTER (WHERE ordered_at >= '2026-01-01')
                       / median(unit_price) FILTER (WHERE ordered_at < '2025-04-01')
        FROM purchase_orders WHERE currency = 'EUR' GROUP BY category""").fetchall())

    assert delay_shift > 0.8
    assert new_carrier_before == 0 and new_carrier_after > 0.2
    assert price_ratio["raw_materials"] > 1.15
    assert all(ratio < 1.08 for category, ratio in price_ratio.items() if category != "raw_materials")


def test_minority_owned_suppliers_deliver_on_time_less_often(db):
    rates = dict(db.execute("""
        SELECT s.minority_owned = 1, avg(sh.on_time::INT)
        FROM shipments sh JOIN purchase_orders p USING (po_id) JOIN suppliers s USING (supplier_id)
        WHERE sh.on_time IS NOT NULL GROUP BY ALL""").fetchall())

    assert 0.03 < rates[False] - rates[True] < 0.15


def test_in_transit_shipments_have_no_outcome_and_label_follows_delay(db):
    assert scalar(db, "SELECT count(*) FROM shipments WHERE delivered_at IS NULL") > 0
    assert scalar(db, """SELECT count(*) FROM shipments WHERE delivered_at IS NULL AND shipped_at < '2026-03-01'""") == 0
    assert scalar(db, """SELECT count(*) FROM shipments
                         WHERE (delivered_at IS NULL) <> (delay_days IS NULL)
                            OR (delivered_at IS NULL) <> (late_delivery IS NULL)
                            OR on_time <> (delay_days <= 0)
                            OR late_delivery <> (delay_days >= 3)""") == 0
    assert 0.02 < scalar(db, "SELECT avg(late_delivery::INT) FROM shipments") < 0.2


def test_injected_quality_issues_are_present_and_documented(dataset, db):
    documented = {(issue.table, issue.column, issue.kind): issue.rows for issue in dataset.injected_issues}
    found = {
        ("suppliers", "contact_phone", "null"):
            scalar(db, "SELECT count(*) FROM suppliers WHERE contact_phone IS NULL"),
        ("suppliers", "contact_email", "duplicate"):
            scalar(db, "SELECT count(*) FROM (SELECT 1 FROM suppliers GROUP BY lower(contact_email) HAVING count(*) > 1)"),
        ("purchase_orders", "quantity", "negative"):
            scalar(db, "SELECT count(*) FROM purchase_orders WHERE quantity < 0 AND amount < 0"),
    }

    assert found == documented
    assert all(count >= 2 for count in found.values())
    assert scalar(db, "SELECT count(DISTINCT contact_email) = count(*) FROM suppliers")  # exact-match checks miss them


def test_second_call_with_same_request_rewrites_nothing(tmp_path):
    first = demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)
    stamps = {name: first.path(name).stat().st_mtime_ns for name in (*first.files, demo.MANIFEST_FILE)}

    second = demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)

    assert second == first
    assert {name: second.path(name).stat().st_mtime_ns for name in stamps} == stamps


def test_changed_request_replaces_the_dataset_whole(tmp_path):
    demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)

    replaced = demo.generate_demo_data(tmp_path / "data", seed=4, scale=0.1)

    assert demo.read_manifest(tmp_path / "data") == replaced
    assert replaced.row_counts["purchase_orders"] == 4_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_failed_first_generation_leaves_nothing_behind(tmp_path, monkeypatch):
    fail_after_writing_shipments(monkeypatch)

    with pytest.raises(OSError, match="No space left"):
        demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)

    assert list(tmp_path.iterdir()) == []


def test_failed_regeneration_keeps_the_previous_dataset(tmp_path, monkeypatch):
    before = demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)
    digest = content_digest(before.root)
    fail_after_writing_shipments(monkeypatch)

    with pytest.raises(OSError, match="No space left"):
        demo.generate_demo_data(tmp_path / "data", seed=4, scale=0.05)

    assert demo.read_manifest(tmp_path / "data") == before
    assert content_digest(before.root) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_leftovers_of_a_killed_run_are_cleaned_up(tmp_path):
    dead_pid = 2**22 + 12345  # above the kernel's pid_max default, so no such process
    leftover = tmp_path / f".data.partial-{dead_pid}-abcd1234"
    leftover.mkdir()
    (leftover / "procurement.sqlite").write_bytes(b"half")

    demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_refuses_to_replace_a_folder_that_is_not_demo_data(tmp_path):
    precious = tmp_path / "data" / "thesis.tex"
    precious.parent.mkdir()
    precious.write_text("years of work")

    with pytest.raises(FileExistsError, match="refusing to replace"):
        demo.generate_demo_data(tmp_path / "data", seed=3, scale=0.05)

    assert precious.read_text() == "years of work"


@pytest.mark.parametrize("scale", [0, -1, math.nan, math.inf, 1_000])
def test_rejects_a_scale_outside_the_supported_range(tmp_path, scale):
    with pytest.raises(ValueError, match="scale must be"):
        demo.generate_demo_data(tmp_path / "data", scale=scale)

    assert not (tmp_path / "data").exists()


def test_connector_declarations_point_at_the_generated_files(dataset):
    declared = {p.stem: yaml.safe_load(p.read_text()) for p in (REPO_ROOT / "connectors").glob("*.yaml")}
    under_data_dir = {name: PurePosixPath(c["options"]["path"]).relative_to(demo.DEMO_DATA_DIR)
                      for name, c in declared.items() if c["type"] != "datasets"}

    assert {name: c["type"] for name, c in declared.items()} == {
        "supplier_master": "sqlite", "purchasing_warehouse": "duckdb", "shipment_files": "files",
        "external_signals": "duckdb",
        "outputs": "datasets"}   # where notebooks write results back: empty until they do
    assert all(c["name"] == name for name, c in declared.items())
    assert str(under_data_dir["supplier_master"]) in dataset.files
    assert str(under_data_dir["purchasing_warehouse"]) in dataset.files
    assert str(under_data_dir["external_signals"]) in dataset.files
    shipments = declared["shipment_files"]["options"]
    matched = sorted((dataset.root / under_data_dir["shipment_files"]).glob(shipments["glob"]))
    assert len(matched) == 15 and shipments["format"] == "parquet"


# -- external signals (issue #21): a weekly feed per region, supplier lanes, a disruption building ----------
def test_the_signals_come_after_the_tables_and_leave_them_as_they_were(dataset, tmp_path, monkeypatch):
    """The signals draw from a random stream of their own: with other (empty) signals the tables are the same."""
    from aios_workbench.demo import signals

    def other_signals(seed, tables):
        built = signals.build_signals(seed + 1, tables)
        return signals.SignalTables(built.supplier_lanes.slice(0, 0), built.signals.slice(0, 0))

    monkeypatch.setattr(demo, "build_signals", other_signals)
    without = demo.generate_demo_data(tmp_path / "other-signals", seed=7, scale=SCALE)

    ours, theirs = content_digest(dataset.root), content_digest(without.root)
    assert theirs["signals"] != ours["signals"]
    assert {k: v for k, v in ours.items() if k not in ("signals", "supplier_lanes")} == \
        {k: v for k, v in theirs.items() if k not in ("signals", "supplier_lanes")}


def test_every_region_has_one_signal_a_week_across_the_calendar(db):
    weeks = db.execute("SELECT count(DISTINCT week), min(week)::VARCHAR, max(week)::VARCHAR, "
                       "bool_and(dayofweek(week) = 1) FROM signals").fetchone()
    regions = [r for (r,) in db.execute("SELECT DISTINCT region FROM signals ORDER BY region").fetchall()]

    assert weeks == (66, "2024-12-30", "2026-03-30", True)   # Mondays, from the week holding 2025-01-01
    assert regions == ["Central Europe", "East Asia", "Northern Europe", "Southeast Asia", "Southern Europe",
                       "Western Europe"]
    assert scalar(db, "SELECT count(*) FROM signals") == 66 * 6
    assert scalar(db, """SELECT count(*) FROM signals WHERE port_congestion NOT BETWEEN 0 AND 100
                         OR severe_weather NOT BETWEEN 0 AND 100 OR geopolitical_events < 0
                         OR length(headline) < 10""") == 0


def test_every_supplier_has_one_lane_and_some_ship_through_southeast_asia(db):
    assert scalar(db, "SELECT count(*) FROM suppliers s ANTI JOIN supplier_lanes l USING (supplier_id)") == 0
    assert scalar(db, "SELECT count(*) - count(DISTINCT supplier_id) FROM supplier_lanes") == 0
    sea = db.execute("""SELECT count(*), count(DISTINCT origin_port), bool_and(mode = 'sea'),
                               bool_and(s.primary_category IN ('electronics', 'raw_materials'))
                        FROM supplier_lanes l JOIN suppliers s USING (supplier_id)
                        WHERE origin_region = 'Southeast Asia'""").fetchone()
    assert sea[0] >= 10 and sea[1] == 3 and sea[2] and sea[3]   # Singapore, Port Klang, Laem Chabang
    # by road, a supplier's goods come from its own region
    assert scalar(db, """SELECT count(*) FROM supplier_lanes l JOIN suppliers s USING (supplier_id)
                         WHERE l.mode = 'road' AND l.origin_region <> s.region""") == 0


def test_a_disruption_builds_in_southeast_asia_in_the_latest_weeks(db):
    history_peak, latest = db.execute("""
        SELECT max(port_congestion) FILTER (WHERE week < DATE '2026-02-23'),
               list(port_congestion ORDER BY week) FILTER (WHERE week >= DATE '2026-02-23')
        FROM signals WHERE region = 'Southeast Asia'""").fetchone()
    elsewhere = db.execute("""
        SELECT max(port_congestion) FILTER (WHERE week >= DATE '2026-02-23')
               <= max(port_congestion) FILTER (WHERE week < DATE '2026-02-23') + 10
        FROM signals WHERE region <> 'Southeast Asia' GROUP BY region""").fetchall()
    headline = scalar(db, "SELECT headline FROM signals WHERE region = 'Southeast Asia' ORDER BY week DESC LIMIT 1")

    assert latest == sorted(latest) and len(latest) == 6          # climbing week after week
    assert min(latest[-3:]) > history_peak                         # beyond anything history showed
    assert all(ok for (ok,) in elsewhere)                          # nowhere else
    assert "Southeast Asia" in headline


def test_past_signals_follow_the_very_late_shipments_of_their_lane(db):
    """A model can learn from history: region-weeks with very late shipments (> 7 days) show more congestion."""
    late, calm = db.execute("""
        WITH weekly AS (
            SELECT l.origin_region AS region, date_trunc('week', sh.shipped_at)::DATE AS week,
                   count(*) FILTER (WHERE sh.delay_days > 7) AS very_late
            FROM shipments sh JOIN purchase_orders po USING (po_id) JOIN supplier_lanes l USING (supplier_id)
            WHERE sh.delay_days IS NOT NULL AND sh.shipped_at < TIMESTAMP '2026-02-23'
            GROUP BY ALL)
        SELECT avg(s.port_congestion) FILTER (WHERE w.very_late > 0),
               avg(s.port_congestion) FILTER (WHERE w.very_late = 0)
        FROM weekly w JOIN signals s USING (region, week)""").fetchone()

    assert late > calm + 5
