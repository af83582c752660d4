"""When a job runs: a cron expression in a time zone, one moment, or only by hand.

croniter computes occurrences (in the job's zone, so "09:00 on weekdays" stays 09:00 across
daylight-saving changes); cron-descriptor says them in words for the UIs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, model_validator

from aios_workbench.core.errors import UsageError
from aios_workbench.core.models import Strict

PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r}", input=name,
                         fix="use an IANA zone name such as UTC, Europe/Berlin or America/New_York") from None


def check_cron(expression: str) -> str:
    """`expression` normalised (presets expanded); a clear error when it is not 5-field cron."""
    from croniter import croniter

    text = PRESETS.get(expression.strip().lower(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise UsageError(
            f"cron expression {expression!r} has {len(fields)} fields; 5 are needed",
            input=expression,
            fix="write MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK, e.g. '0 6 * * 1-5' (06:00 on weekdays), "
                "or a preset: " + ", ".join(PRESETS))
    if not croniter.is_valid(text):
        raise UsageError(f"cron expression {expression!r} is not valid", input=expression,
                         fix="check each field's range: minute 0-59, hour 0-23, day 1-31, month 1-12, "
                             "weekday 0-6 (Sunday=0); e.g. '*/15 9-17 * * 1-5'")
    return text


class Spec(Strict):
    """A part of a job's spec: validated when a promotion sets it, and the contract of the answers that
    show it, whose JSON Schema is what the service sends (every field present, defaults filled in)."""

    model_config = ConfigDict(json_schema_mode_override="serialization",
                              json_schema_serialization_defaults_required=True)


class Schedule(Spec):
    """kind: cron (with `cron` and `timezone`), once (at `at`), manual (only run by hand or a trigger)."""

    kind: Literal["cron", "once", "manual"] = "manual"
    cron: str | None = None
    timezone: str = "UTC"
    at: datetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        zone(self.timezone)
        if self.kind == "cron":
            if not self.cron:
                raise UsageError("a cron schedule needs an expression", fix="pass --cron '0 6 * * *'")
            object.__setattr__(self, "cron", check_cron(self.cron))
        elif self.cron:
            raise UsageError(f"a {self.kind} schedule takes no cron expression", input=self.cron,
                             fix="drop the cron expression or use kind 'cron'")
        if self.kind == "once":
            if self.at is None:
                raise UsageError("a one-off schedule needs a time", fix="pass --at 2026-12-01T06:00")
            if self.at.tzinfo is None:
                object.__setattr__(self, "at", self.at.replace(tzinfo=zone(self.timezone)))
        return self

    @classmethod
    def parse(cls, cron: str | None = None, *, tz: str = "UTC", at: str | datetime | None = None) -> Schedule:
        if cron and at:
            raise UsageError("give either a cron expression or a one-off time, not both",
                             fix="drop --at or --cron")
        if cron:
            return cls(kind="cron", cron=cron, timezone=tz)
        if at:
            when = at if isinstance(at, datetime) else _parse_time(at)
            return cls(kind="once", at=when, timezone=tz)
        return cls(kind="manual", timezone=tz)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after `moment` (UTC), or None when there is none."""
        moment = moment.astimezone(UTC)
        if self.kind == "manual":
            return None
        if self.kind == "once":
            assert self.at is not None  # a one-off schedule always has its time (`_consistent`)
            at = self.at.astimezone(UTC)
            return at if at > moment else None
        from croniter import croniter

        local = moment.astimezone(zone(self.timezone))
        return croniter(self.cron, local).get_next(datetime).astimezone(UTC)

    def upcoming(self, n: int = 5, *, after: datetime | None = None) -> list[datetime]:
        """The next `n` occurrences (UTC)."""
        out: list[datetime] = []
        moment = after or datetime.now(UTC)
        while len(out) < n:
            nxt = self.next_after(moment)
            if nxt is None:
                break
            out.append(nxt)
            moment = nxt
        return out

    def describe(self) -> str:
        """The schedule in words, e.g. "At 06:00 AM, Monday through Friday (Europe/Berlin)"."""
        if self.kind == "manual":
            return "manual only"
        if self.kind == "once":
            assert self.at is not None  # a one-off schedule always has its time (`_consistent`)
            return f"once at {self.at.isoformat(timespec='minutes')}"
        from cron_descriptor import get_description

        return f"{get_description(self.cron)} ({self.timezone})"


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a time", input=text,
                         fix="write an ISO time such as 2026-12-01T06:00 (the job's time zone applies)") from None
