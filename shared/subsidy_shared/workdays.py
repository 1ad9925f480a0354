"""Working days on China's real calendar (statutory holidays and 调休 make-up Saturdays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar
import structlog

log = structlog.get_logger(__name__)
_warned_years: set[int] = set()


def is_workday(day: date) -> bool:
    """Official working day; for a year the calendar package does not know, Monday–Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("calendar.year_unknown", year=day.year, fallback="monday-friday")
        return day.weekday() < 5


def add_workdays(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must be non-negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current):
            count += 1
    return count


CHINA = ZoneInfo("Asia/Shanghai")


def china_date(moment: datetime) -> date:
    """The calendar date in China of an instant: deadlines count in Beijing time."""
    return moment.astimezone(CHINA).date()


class DeadlineState(StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"  # one working day or less left
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class DeadlineStatus:
    """One statutory clock of a case: when it is due, when it was met, and how it stands."""

    name: str
    due: date
    done_on: date | None
    state: DeadlineState

    @property
    def met(self) -> bool:
        return self.done_on is not None and self.done_on <= self.due


def deadline_state(name: str, due: date, done_on: date | None, today: date) -> DeadlineStatus:
    """A clock met on or before its due date is on time; late or still open past it, breached."""
    if done_on is not None:
        state = DeadlineState.ON_TIME if done_on <= due else DeadlineState.BREACHED
    elif today > due:
        state = DeadlineState.BREACHED
    elif workdays_between(today, due) <= 1:
        state = DeadlineState.AT_RISK
    else:
        state = DeadlineState.ON_TIME
    return DeadlineStatus(name, due, done_on, state)
