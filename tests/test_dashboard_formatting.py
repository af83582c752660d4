"""Every dashboard page formats the same way (`pages/common.py`): one date format (the sidebar's and the job
pages', in UTC), numbers people read, yes/no, details as "key: value" text; and the Overview's daily charts
show a day without runs as a gap, never as a drop to zero."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from aios_workbench.surfaces.dashboard.pages.common import day, details_text, number, when, words
from aios_workbench.surfaces.dashboard.pages.daily_charts import count_chart, rate_chart, runs_chart


def test_one_date_format_without_microseconds_on_every_page():
    assert when("2026-03-31T23:58:12.123456+00:00") == "Tue 31 Mar 2026, 23:58 UTC"
    assert when("2026-04-01T01:58:12.5+02:00") == "Tue 31 Mar 2026, 23:58 UTC"         # said in UTC
    assert when("2026-03-31T23:58:12.123456", seconds=True) == "Tue 31 Mar 2026, 23:58:12 UTC"
    assert when(datetime(2026, 3, 1, 6, 0, tzinfo=UTC)) == "Sun 1 Mar 2026, 06:00 UTC"
    assert when(None) == when("") == "—"
    assert day("2026-03-01") == day(date(2026, 3, 1)) == "Sun 1 Mar 2026"


def test_numbers_read_as_people_write_them():
    assert number(6.315095) == "6.32"
    assert number(123456.789) == "123,457"
    assert number(1234) == "1,234"
    assert number(3.0) == "3"
    assert number(0.0421) == "0.0421"
    assert number(float("nan")) == "n/a"
    assert number(True) == "yes"


def test_details_read_as_key_value_text_never_json():
    detail = {"reason": "password verified", "rows": 1200, "masked": True, "columns": ["email", "phone"],
              "masks": {"email": "hash", "iban": None}, "took_seconds": 0.123456,
              "at": "2026-03-31T23:58:12.123456+00:00"}

    assert details_text(detail) == ("reason: password verified; rows: 1,200; masked: yes; columns: email, phone; "
                                    "masks: (email: hash, iban: —); took seconds: 0.123; "
                                    "at: Tue 31 Mar 2026, 23:58:12 UTC")
    assert details_text({}) == ""
    assert details_text({"sql": "x" * 1000}, limit=50).endswith("…")
    assert words(False) == "no" and words([]) == "none"


DAYS = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]


def _source(plot, field: str) -> list:
    from bokeh.models import ColumnDataSource

    [source] = [m for m in plot.references() if isinstance(m, ColumnDataSource) and field in m.data]
    return list(source.data[field])


def test_a_day_without_runs_is_a_gap_and_says_so_not_a_zero():
    rate = rate_chart("daily pass rate", DAYS, [0.5, None, 1.0, 0.0], [2, 0, 1, 3])
    values = _source(rate, "y")
    shaded = _source(rate, "left")

    assert values[0] == 50 and math.isnan(values[1]) and values[2] == 100 and values[3] == 0   # 0% is a value
    assert _source(rate, "shown") == ["50% of 2 runs", "no runs", "100% of 1 run", "0% of 3 runs"]
    assert shaded == [datetime(2026, 11, 21)]                          # the day without runs, shaded
    assert _source(rate, "day")[1] == "Sat 21 Nov 2026"

    runs = runs_chart("job runs per day", DAYS, [3, 0, 2, 1], [1, 0, 0, 1])
    assert _source(runs, "shown") == ["3 runs, 1 failed", "no runs", "2 runs, 0 failed", "1 run, 1 failed"]
    assert _source(runs, "left") == [datetime(2026, 11, 21)]
    assert math.isnan(_source(runs, "ok")[1]) and math.isnan(_source(runs, "failed")[1])   # no bar drawn


def test_the_charts_have_a_readable_date_axis():
    from bokeh.models import DatetimeAxis, DatetimeTickFormatter

    plot = count_chart("alerts raised per day", DAYS, [0, 2, 0, 1], noun="alert")
    [axis] = [a for a in plot.below if isinstance(a, DatetimeAxis)]

    assert axis.visible and isinstance(axis.formatter, DatetimeTickFormatter) and axis.formatter.days == "%d %b"
    assert len(axis.ticker.ticks) >= 2                                  # a few labels, not one per day
    assert _source(plot, "shown") == ["0 alerts", "2 alerts", "0 alerts", "1 alert"]
