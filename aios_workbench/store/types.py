"""Column types of the metadata store that mean the same on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps the zone (`timestamp with time zone`) but answers in the session's zone; SQLite
    keeps no zone at all and hands back naive datetimes. Values are converted to UTC on the way in (a
    naive value is taken to be UTC already, as every writer here means it) and marked UTC on the way
    out, so no reader has to re-attach the zone. The column stays `DateTime(timezone=True)`: the
    schema, and so the migrations, are unchanged."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value)


def as_utc(moment: datetime | None) -> datetime | None:
    """`moment` as an aware UTC datetime (a naive one is taken to be UTC); None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
