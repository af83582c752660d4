"""Moments and durations in words, one way for every surface (`core/humanize.py`): the dashboard, the CLI's
job commands and the kernel's runs browser say "Sun 6 Dec 2026, 19:45 UTC" for the same moment, whatever
form it arrives in (a naive or aware datetime, ISO text, another time zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from aios_workbench.core.humanize import duration_words, moment_words, utc_moment
from aios_workbench.kernel.ui.runs_browser import RunsBrowser
from aios_workbench.service.jobs import moment_words as cli_moment_words
from aios_workbench.surfaces.dashboard.pages.common import when

EVENING = "Sun 6 Dec 2026, 19:45 UTC"


@pytest.mark.parametrize("value", [
    datetime(2026, 12, 6, 19, 45, 7, 123456),                                   # naive: the store's UTC
    datetime(2026, 12, 6, 19, 45, 7, tzinfo=UTC),
    datetime(2026, 12, 6, 20, 45, 7, tzinfo=ZoneInfo("Europe/Berlin")),           # said in UTC
    datetime(2026, 12, 6, 14, 15, 7, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    "2026-12-06T19:45:07",
    "2026-12-06 19:45:07.5",
    "2026-12-06T19:45:07+00:00",
    "2026-12-06T19:45:07Z",
    "2026-12-07T04:45:07+09:00",                                                  # the next day in Tokyo
])
def test_a_moment_reads_the_same_in_any_form(value):
    assert moment_words(value) == EVENING
    assert moment_words(value, seconds=True) == "Sun 6 Dec 2026, 19:45:07 UTC"


def test_a_single_digit_day_has_no_leading_zero_and_midnight_is_a_clock_time():
    assert moment_words(datetime(2026, 3, 1)) == "Sun 1 Mar 2026, 00:00 UTC"
    assert moment_words("2026-12-31T23:59:59-01:00") == "Fri 1 Jan 2027, 00:59 UTC"


def test_no_moment_is_a_dash_and_text_that_is_none_stays_as_written():
    assert moment_words(None) == moment_words("") == "—"
    assert moment_words("tomorrow") == "tomorrow"
    assert moment_words(42) == "42"
    assert utc_moment("tomorrow") is None and utc_moment(None) is None and utc_moment(42) is None


def test_a_moment_is_aware_and_in_utc():
    found = utc_moment("2026-12-06T20:45:00+01:00")
    assert found == datetime(2026, 12, 6, 19, 45, tzinfo=UTC) and found.utcoffset() == timedelta(0)
    assert utc_moment(datetime(2026, 12, 6, 19, 45)) == datetime(2026, 12, 6, 19, 45, tzinfo=UTC)


def test_every_surface_says_a_moment_the_same_way():
    value = "2026-12-06T20:45:07+01:00"
    cell = RunsBrowser._cell(None, {"start_time": value}, "Started", "started")   # `self` unused for a cell
    assert when(value) == cli_moment_words(value) == cell == EVENING
    assert when(value, seconds=True) == "Sun 6 Dec 2026, 19:45:07 UTC"            # the audit log
    assert when(date(2026, 12, 6)) == "2026-12-06"                                 # a day is no moment


def test_durations_in_words():
    assert [duration_words(s) for s in (0.85, 6.32, 42, 125, 4200, 7200)] == [
        "850 ms", "6.3 s", "42 s", "2 min 5 s", "1 h 10 min", "2 h"]
    assert duration_words(None) == duration_words(-1) == duration_words(True) == "—"
