"""Working days on China's real calendar (holidays and 调休), with the Monday–Friday fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from subsidy_shared.workdays import add_workdays, china_date, is_workday, workdays_between


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),
        (date(2025, 10, 1), False),
        (date(2025, 10, 6), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
        (date(2025, 10, 12), False),
        (date(2026, 9, 20), True),
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),
    ],
    ids=[
        "2025-sunday-makeup-day",
        "2025-national-day",
        "2025-mid-autumn-on-monday",
        "2025-last-holiday-day",
        "2025-saturday-makeup-day",
        "2025-ordinary-sunday-after",
        "2026-sunday-makeup-day",
        "2026-last-holiday-day",
        "2026-saturday-makeup-day",
    ],
)
def test_the_package_knows_the_national_day_schedule(day: date, working: bool) -> None:
    """The official 国庆 schedules these tests rely on (2025: Oct 1–8 off; 2026: Oct 1–7 off)."""
    assert chinese_calendar.is_workday(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),
        (date(2025, 10, 3), False),
        (date(2025, 10, 11), True),
        (date(2025, 10, 18), False),
        (date(2025, 10, 20), True),
    ],
    ids=["makeup-sunday", "holiday-friday", "makeup-saturday", "ordinary-saturday", "ordinary-monday"],
)
def test_is_workday_follows_the_official_calendar(day: date, working: bool) -> None:
    assert is_workday(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),
        (date(2025, 9, 30), 4, date(2025, 10, 13)),
        (date(2025, 9, 26), 1, date(2025, 9, 28)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2025, 10, 13), 10, date(2025, 10, 27)),
        (date(2025, 10, 17), 1, date(2025, 10, 20)),
        (date(2025, 10, 17), 0, date(2025, 10, 17)),
        (date(2025, 10, 4), 0, date(2025, 10, 4)),
    ],
    ids=[
        "2025-first-day-after-national-day",
        "2025-three-days-ends-on-makeup-saturday",
        "2025-four-days-skips-sunday-after",
        "2025-friday-to-makeup-sunday",
        "2026-three-days-ends-on-makeup-saturday",
        "2026-four-days-skips-sunday-after",
        "ten-days-in-ordinary-weeks",
        "friday-to-monday",
        "zero-days-is-the-start",
        "zero-days-from-a-holiday-is-the-start",
    ],
)
def test_add_workdays_counts_only_working_days(start: date, days: int, expected: date) -> None:
    assert add_workdays(start, days) == expected


def test_add_workdays_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        add_workdays(date(2025, 10, 13), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 9, 30), date(2025, 10, 11), 3),
        (date(2025, 9, 30), date(2025, 10, 8), 0),
        (date(2025, 10, 13), date(2025, 10, 19), 4),
        (date(2025, 10, 13), date(2025, 10, 13), 0),
        (date(2025, 10, 20), date(2025, 10, 13), 0),
    ],
    ids=["across-national-day", "inside-the-holiday", "ordinary-week", "same-day", "end-before-start"],
)
def test_workdays_between_counts_after_start_up_to_end(start: date, end: date, expected: int) -> None:
    assert workdays_between(start, end) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2031, 1, 1), True),
        (date(2031, 1, 3), True),
        (date(2031, 1, 4), False),
        (date(2031, 1, 5), False),
        (date(2031, 10, 1), True),
    ],
    ids=["new-year-wednesday", "friday", "saturday", "sunday", "national-day-wednesday"],
)
def test_an_unknown_year_falls_back_to_monday_to_friday(day: date, working: bool) -> None:
    assert is_workday(day) is working


def test_add_workdays_in_an_unknown_year_skips_only_the_weekend() -> None:
    assert add_workdays(date(2031, 1, 3), 1) == date(2031, 1, 6)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 1, 17, 0, tzinfo=UTC), date(2026, 1, 2)),
        (datetime(2026, 1, 1, 15, 59, tzinfo=UTC), date(2026, 1, 1)),
        (datetime(2026, 1, 1, 16, 0, tzinfo=UTC), date(2026, 1, 2)),
        (datetime(2026, 1, 2, 8, 0, tzinfo=timezone(timedelta(hours=8))), date(2026, 1, 2)),
    ],
    ids=["utc-evening-is-next-day", "utc-before-16h-same-day", "utc-16h-is-midnight", "already-beijing-time"],
)
def test_china_date_is_the_beijing_calendar_date(moment: datetime, expected: date) -> None:
    assert china_date(moment) == expected


known_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 1))
counts = st.integers(min_value=0, max_value=30)


@given(known_days, counts)
def test_workdays_between_undoes_add_workdays(start: date, days: int) -> None:
    assert workdays_between(start, add_workdays(start, days)) == days


@given(known_days, counts)
def test_add_workdays_lands_on_a_working_day(start: date, days: int) -> None:
    end = add_workdays(start, days)

    assert days == 0 or is_workday(end)


@given(known_days, st.integers(min_value=0, max_value=45))
def test_add_workdays_of_the_count_reaches_the_last_working_day_before_end(start: date, span: int) -> None:
    end = start + timedelta(days=span)

    reached = add_workdays(start, workdays_between(start, end))

    assert reached <= end
    assert workdays_between(reached, end) == 0
