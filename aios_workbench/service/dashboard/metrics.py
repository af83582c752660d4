"""The Overview's figures, each with a daily trend where the stores keep history.

Catalog figures (datasets, classification coverage, owners) describe the latest
scan only: the catalog keeps no history, so they have no trend. Check, job and
alert figures come from the ledger, `job_runs` and `alerts`, bucketed by day.
Check figures count only runs over datasets the user may read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from aios_workbench.alerts.feed import alert_dict
from aios_workbench.store.database import MetadataStore
from aios_workbench.store.models import Alert, CheckRun, CheckRunDataset
from aios_workbench.tracking.registry import DECISION_KINDS

TREND_DAYS = 14


def _days(now: datetime, days: int) -> list[str]:
    start = now.date() - timedelta(days=days - 1)
    return [(start + timedelta(days=i)).isoformat() for i in range(days)]


def _day(moment: datetime) -> str:
    """The UTC day of a stored moment (aware UTC, see `store.types.UTCDateTime`)."""
    return moment.date().isoformat()


def catalog_figures(datasets: list[dict[str, Any]], catalog_size: int) -> dict[str, Any]:
    """Counts over the datasets a user may read: classified columns, datasets with owners or PII."""
    columns = [c for d in datasets for c in d["columns"]]
    classified = sum(1 for c in columns if c["classifications"])
    with_pii = sum(1 for d in datasets if any(t.startswith("pii.") for c in d["columns"] for t in c["classifications"]))
    owned = sum(1 for d in datasets if d["owners"])
    return {"readable": len(datasets), "catalog": catalog_size, "columns": len(columns), "classified": classified,
            "classified_share": classified / len(columns) if columns else None, "with_pii": with_pii,
            "owned": owned, "owned_share": owned / len(datasets) if datasets else None}


def check_figures(store: MetadataStore, readable: set[str], *, days: int = TREND_DAYS,
                  now: datetime | None = None) -> dict[str, Any]:
    """Pass rate of the latest run of each check over readable datasets, and the daily pass rate."""
    now = now or datetime.now(UTC)
    since = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), UTC)
    checks = CheckRun.kind.not_in(DECISION_KINDS)
    with store.session() as session:
        latest_ids = select(func.max(CheckRun.id)).where(checks).group_by(CheckRun.kind, CheckRun.name)
        latest = session.execute(select(CheckRun.id, CheckRun.status).where(CheckRun.id.in_(latest_ids))).all()
        recent = session.execute(select(CheckRun.id, CheckRun.at, CheckRun.status)
                                 .where(checks, CheckRun.at >= since)).all()
        ids = {r.id for r in latest} | {r.id for r in recent}
        datasets: dict[int, set[str]] = {}
        for chunk in range(0, len(ids), 900):   # SQLite's bound-parameter limit
            part = sorted(ids)[chunk:chunk + 900]
            for run_id, name in session.execute(select(CheckRunDataset.check_run_id, CheckRunDataset.dataset)
                                                .where(CheckRunDataset.check_run_id.in_(part))):
                datasets.setdefault(run_id, set()).add(name)

    def visible(run_id: int) -> bool:
        names = datasets.get(run_id, set())
        return bool(names) and names <= readable

    current = [r for r in latest if visible(r.id)]
    passed = sum(r.status in ("pass", "warn") for r in current)
    per_day = {d: [0, 0] for d in _days(now, days)}
    for r in recent:
        if visible(r.id) and _day(r.at) in per_day:
            per_day[_day(r.at)][0] += 1
            per_day[_day(r.at)][1] += r.status in ("pass", "warn")
    return {"checks": len(current), "passing": passed, "failing": len(current) - passed,
            "pass_rate": passed / len(current) if current else None,
            "trend": [{"day": d, "runs": n, "pass_rate": (p / n if n else None)} for d, (n, p) in per_day.items()]}


def alert_trend(store: MetadataStore, *, visible: Callable[[dict[str, Any]], bool], days: int = TREND_DAYS,
                now: datetime | None = None) -> list[dict[str, Any]]:
    """Alerts raised per day (first occurrences) of those `visible` lets through, oldest first."""
    now = now or datetime.now(UTC)
    since = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), UTC)
    per_day = {d: 0 for d in _days(now, days)}
    with store.session() as session:
        for alert in session.scalars(select(Alert).where(Alert.at >= since)):
            if _day(alert.at) in per_day and visible(alert_dict(alert)):
                per_day[_day(alert.at)] += 1
    return [{"day": d, "raised": n} for d, n in per_day.items()]
