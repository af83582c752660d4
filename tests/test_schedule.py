"""Job schedules and specs: what `aios promote --cron/--tz/--at` and the Promote dialog accept."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.job_spec import JobSpec, Retries
from aios_workbench.schemas.schedule import Schedule

UTC = UTC


def test_cron_occurrences_follow_the_job_time_zone_across_daylight_saving():
    weekday_nine = Schedule.parse("0 9 * * 1-5", tz="Europe/Berlin")

    # Berlin leaves summer time on Sunday 2026-10-25: 09:00 local is 07:00 UTC before, 08:00 UTC after.
    runs = weekday_nine.upcoming(3, after=datetime(2026, 10, 22, 12, tzinfo=UTC))

    assert runs == [datetime(2026, 10, 23, 7, tzinfo=UTC), datetime(2026, 10, 26, 8, tzinfo=UTC),
                    datetime(2026, 10, 27, 8, tzinfo=UTC)]
    assert all(r.astimezone(ZoneInfo("Europe/Berlin")).hour == 9 for r in runs)


def test_next_occurrence_is_strictly_after_the_given_moment():
    hourly = Schedule.parse("@hourly")

    assert hourly.cron == "0 * * * *"
    assert hourly.next_after(datetime(2026, 1, 1, 5, 0, tzinfo=UTC)) == datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("expression, words", [
    ("61 * * * *", "not valid"),
    ("0 6 * *", "has 4 fields; 5 are needed"),
    ("every day", "has 2 fields"),
    ("0 25 * * *", "not valid"),
])
def test_bad_cron_names_the_expression_and_how_to_write_one(expression, words):
    with pytest.raises(UsageError) as caught:
        Schedule.parse(expression)

    assert words in str(caught.value) and caught.value.input == expression
    assert caught.value.fix


def test_unknown_time_zone_is_refused_with_examples():
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'") as caught:
        Schedule.parse("0 6 * * *", tz="Mars/Olympus")

    assert "Europe/Berlin" in caught.value.fix


def test_one_off_schedule_runs_once_in_its_zone():
    once = Schedule.parse(at="2026-12-01T06:00", tz="America/New_York")

    assert once.upcoming(5, after=datetime(2026, 11, 1, tzinfo=UTC)) == [datetime(2026, 12, 1, 11, 0, tzinfo=UTC)]
    assert once.next_after(datetime(2026, 12, 2, tzinfo=UTC)) is None


def test_manual_schedule_never_fires_and_says_so():
    manual = Schedule.parse()

    assert (manual.kind, manual.upcoming(), manual.describe()) == ("manual", [], "manual only")


def test_cron_and_one_off_time_together_are_refused():
    with pytest.raises(UsageError, match="either a cron expression or a one-off time"):
        Schedule.parse("0 6 * * *", at="2026-12-01T06:00")


def test_schedule_in_words_names_the_zone():
    assert Schedule.parse("0 6 * * 1-5", tz="Europe/Berlin").describe() == \
        "At 06:00 AM, Monday through Friday (Europe/Berlin)"


def test_spec_round_trips_through_json():
    spec = JobSpec(name="nightly-orders", parameters={"region": "EU", "n": 3},
                   schedule=Schedule.parse("30 2 * * *", tz="UTC"), retries=Retries(max=2))

    assert JobSpec.model_validate(spec.to_json()) == spec


@pytest.mark.parametrize("field, value, words", [
    ("name", "1st job", "must start with a letter"),
    ("notifications", {"webhooks": ["ftp://x"]}, "http:// or https://"),
    ("notifications", {"emails": ["not-an-address"]}, "not an e-mail address"),
    ("secrets", {"api key": "vault:x"}, "environment variable name"),
    ("retries", {"max": -1}, "greater than or equal to 0"),
    ("timeout_seconds", 0, "greater than 0"),
])
def test_bad_spec_fields_name_the_field_and_the_rule(field, value, words):
    args = {"name": "ok", field: value}

    with pytest.raises(ValidationError, match=words):
        JobSpec.model_validate(args)


def test_retry_backoff_grows_and_is_capped():
    retries = Retries(max=5, backoff_seconds=10, backoff_factor=3, max_backoff_seconds=60)

    assert [retries.delay(n) for n in (1, 2, 3, 4)] == [10, 30, 60, 60]
