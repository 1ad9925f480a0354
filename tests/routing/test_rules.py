"""Pure routing rules on China's real calendar: due dates, clock states, push answers, backoff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import chinese_calendar
import pytest
from routing_service import rules
from routing_service.rules import ClockState, Delivery


@pytest.mark.parametrize(
    ("day", "working"),
    [(date(2026, 9, 20), True), (date(2026, 9, 27), False), (date(2026, 10, 10), True), (date(2026, 2, 14), True)],
    ids=["sunday-0920-makeup", "sunday-0927-ordinary", "saturday-1010-makeup", "saturday-0214-makeup"],
)
def test_the_calendar_these_tests_rely_on(day: date, working: bool) -> None:
    """调休 of 2026 per the State Council notice, as the package has it (09-27 is an ordinary Sunday)."""
    assert chinese_calendar.is_workday(day) is working


DueRule = Callable[[date], date]
DUE_DATES = [
    # step, start (China date), due — each one counted by hand on the 2026 calendar
    pytest.param(rules.push_due, date(2026, 9, 29), date(2026, 10, 9), id="push-across-national-day"),
    pytest.param(rules.push_due, date(2026, 9, 30), date(2026, 10, 10), id="push-ends-on-makeup-saturday"),
    pytest.param(rules.push_due, date(2026, 9, 18), date(2026, 9, 22), id="push-counts-makeup-sunday-0920"),
    pytest.param(rules.push_due, date(2026, 2, 12), date(2026, 2, 24), id="push-across-spring-festival"),
    pytest.param(rules.push_due, date(2026, 10, 3), date(2026, 10, 10), id="push-from-inside-the-holiday"),
    pytest.param(rules.decision_due, date(2026, 9, 29), date(2026, 10, 19), id="decision-across-national-day"),
    pytest.param(rules.decision_due, date(2026, 10, 9), date(2026, 10, 22), id="decision-counts-makeup-saturday"),
    pytest.param(rules.decision_due, date(2026, 11, 2), date(2026, 11, 16), id="decision-ordinary-weeks"),
    pytest.param(rules.notify_due, date(2026, 10, 9), date(2026, 10, 13), id="notify-counts-makeup-saturday"),
    pytest.param(rules.notify_due, date(2026, 11, 20), date(2026, 11, 25), id="notify-over-a-weekend"),
    # chinesecalendar 1.11.0 does not know 2027 yet: Monday–Friday, so 2027-01-01 (元旦) counts as working.
    pytest.param(rules.push_due, date(2026, 12, 29), date(2027, 1, 1), id="push-into-unknown-2027-falls-back"),
]


@pytest.mark.parametrize(("rule", "start", "due"), DUE_DATES)
def test_due_dates_count_working_days_on_the_real_calendar(rule: DueRule, start: date, due: date) -> None:
    assert rule(start) == due


DUE = date(2026, 10, 19)  # a Monday
CLOCKS = [
    # done_on, today, withdrawn_on, expected
    pytest.param(None, date(2026, 10, 14), None, ClockState.ON_TIME, id="open-three-days-left"),
    pytest.param(None, date(2026, 10, 16), None, ClockState.AT_RISK, id="open-one-working-day-left-friday"),
    pytest.param(None, date(2026, 10, 17), None, ClockState.AT_RISK, id="open-weekend-before-due-monday"),
    pytest.param(None, DUE, None, ClockState.AT_RISK, id="open-on-the-due-date"),
    pytest.param(None, date(2026, 10, 20), None, ClockState.BREACHED, id="open-the-day-after"),
    pytest.param(DUE, date(2026, 10, 30), None, ClockState.ON_TIME, id="met-on-the-due-date"),
    pytest.param(date(2026, 10, 20), date(2026, 10, 30), None, ClockState.BREACHED, id="met-one-day-late"),
    pytest.param(None, date(2026, 10, 30), date(2026, 10, 12), ClockState.STOPPED, id="withdrawn-before-due"),
    pytest.param(None, date(2026, 10, 30), date(2026, 10, 21), ClockState.BREACHED, id="withdrawn-when-overdue"),
    pytest.param(
        date(2026, 10, 14), date(2026, 10, 30), date(2026, 10, 21), ClockState.ON_TIME, id="met-then-withdrawn"
    ),
]


@pytest.mark.parametrize(("done_on", "today", "withdrawn_on", "state"), CLOCKS)
def test_a_clock_is_on_time_at_risk_breached_or_stopped(
    done_on: date | None, today: date, withdrawn_on: date | None, state: ClockState
) -> None:
    clock = rules.clock("decision", DUE, done_on, today, withdrawn_on=withdrawn_on)

    assert clock.state is state
    assert clock.met is (done_on is not None and done_on <= DUE)


def test_a_clock_without_a_due_date_has_not_started() -> None:
    clock = rules.clock("decision", None, None, date(2026, 12, 1))

    assert (clock.state, clock.met) == (ClockState.NOT_STARTED, False)


def test_the_notify_clock_of_a_case_accepted_by_a_province_system_is_kept_there() -> None:
    dates = rules.CaseDates(
        push_due=date(2026, 10, 9),
        pushed_on=date(2026, 9, 29),
        decision_due=date(2026, 10, 19),
        decided_on=date(2026, 10, 16),
        notify_due=date(2026, 10, 21),
        notified_on=None,
        withdrawn_on=None,
        notified_elsewhere=True,
    )

    states = [c.state for c in rules.clocks(dates, today=date(2026, 11, 30))]

    assert states == [ClockState.ON_TIME, ClockState.ON_TIME, ClockState.EXTERNAL]


@pytest.mark.parametrize(
    ("status", "delivery"),
    [
        (200, Delivery.ACKNOWLEDGED),
        (201, Delivery.ACKNOWLEDGED),
        (202, Delivery.ACKNOWLEDGED),
        (400, Delivery.REJECTED),
        (401, Delivery.REJECTED),
        (409, Delivery.REJECTED),
        (422, Delivery.REJECTED),
        (408, Delivery.RETRY),
        (429, Delivery.RETRY),
        (500, Delivery.RETRY),
        (503, Delivery.RETRY),
        (302, Delivery.RETRY),
    ],
)
def test_only_a_2xx_acknowledges_and_only_a_plain_4xx_refuses_for_good(status: int, delivery: Delivery) -> None:
    assert rules.delivery_of(status) is delivery


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 5.0), (2, 10.0), (3, 20.0), (10, 2560.0), (11, 3600.0)])
def test_backoff_doubles_up_to_its_cap(attempts: int, seconds: float) -> None:
    assert rules.backoff_seconds(attempts, base=5.0, cap=3600.0) == seconds


def test_backoff_survives_a_very_long_outage() -> None:
    assert rules.backoff_seconds(5000, base=5.0, cap=3600.0) == 3600.0


def test_an_exchanged_case_has_one_id_per_province_and_external_id() -> None:
    first = rules.exchange_application_id("44", "GD-2026-0001")

    assert first == rules.exchange_application_id("44", "GD-2026-0001")
    assert first != rules.exchange_application_id("33", "GD-2026-0001")
