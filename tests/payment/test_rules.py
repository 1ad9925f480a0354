"""Payment timing rules of POLICY.md §7, one table per rule, and hypothesis invariants of months and money."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payment_service.rules import (
    BackpayRefused,
    Hold,
    RatePeriod,
    RateTable,
    Schedule,
    TierRate,
    Transition,
    backpay_months,
    first_month,
    first_month_of_version,
    months_between,
    offsets,
    payable_months,
    rate_for,
    renewal_anchor,
    stop_after_expiry,
)
from subsidy_shared.policy.timing import add_months, stop_month

M = date  # months are first days: M(2026, 8, 1) is 2026-08


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (datetime(2026, 8, 10, 2, tzinfo=UTC), M(2026, 8, 1)),
        (datetime(2026, 8, 31, 17, tzinfo=UTC), M(2026, 9, 1)),  # 01:00 on 1 September in Beijing
        (date(2026, 12, 31), M(2026, 12, 1)),
    ],
    ids=["mid-month", "utc-evening-is-next-month-in-beijing", "a-date"],
)
def test_p1_first_month_is_the_month_handed_in(submitted_at: datetime | date, expected: date) -> None:
    assert first_month(submitted_at) == expected


@pytest.mark.parametrize(
    ("expires_on", "first_unpaid"),
    [(date(2026, 9, 30), M(2026, 10, 1)), (date(2026, 9, 1), M(2026, 10, 1)), (date(2026, 12, 15), M(2027, 1, 1))],
    ids=["end-of-month", "first-of-month", "year-end"],
)
def test_p4_payment_stops_the_month_after_expiry(expires_on: date, first_unpaid: date) -> None:
    assert stop_after_expiry(expires_on) == first_unpaid


@pytest.mark.parametrize(
    ("event_on", "found_on", "rule", "first_unpaid"),
    [
        (date(2026, 8, 15), date(2026, 11, 3), "next_month", M(2026, 9, 1)),  # 衡阳: 从次月起
        (date(2026, 8, 15), date(2026, 11, 3), "month_found", M(2026, 11, 1)),  # 贵州: 比对当月
        (date(2026, 11, 20), date(2026, 11, 3), "month_found", M(2026, 11, 1)),
        (date(2026, 12, 2), date(2026, 11, 3), "month_found", M(2026, 12, 1)),  # never before the event
    ],
    ids=["next-month", "month-found", "found-same-month", "event-after-found"],
)
def test_p10_stop_month_follows_the_localitys_rule(
    event_on: date, found_on: date, rule: str, first_unpaid: date
) -> None:
    assert stop_month(event_on, found_on, rule) == first_unpaid  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "applied_on", "anchor"),
    [
        ("new_certificate_month", date(2026, 12, 5), M(2026, 10, 1)),
        ("application_month", date(2026, 12, 5), M(2026, 12, 1)),
        ("application_month", None, M(2026, 10, 1)),
    ],
    ids=["certificate-month", "application-month", "no-application-known"],
)
def test_p5_renewal_anchor(rule: str, applied_on: date | None, anchor: date) -> None:
    assert renewal_anchor(rule, date(2026, 10, 12), applied_on) == anchor  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("requested", "cap", "gap_from", "months"),
    [
        (3, 3, M(2026, 7, 1), [M(2026, 7, 1), M(2026, 8, 1), M(2026, 9, 1)]),
        (2, 3, M(2026, 7, 1), [M(2026, 8, 1), M(2026, 9, 1)]),
        (3, 3, M(2026, 9, 1), [M(2026, 9, 1)]),  # the gap is shorter than asked: only unpaid months
    ],
    ids=["three", "two", "gap-of-one"],
)
def test_p5_backpay_is_the_months_right_before_the_anchor(
    requested: int, cap: int, gap_from: date, months: list[date]
) -> None:
    assert backpay_months(M(2026, 10, 1), gap_from, requested, cap, informed=False) == months


@pytest.mark.parametrize(
    ("requested", "cap", "informed", "rule"),
    [(4, 3, False, "P5"), (1, 0, False, "P5"), (1, 3, True, "P8"), (0, 3, False, "at least")],
    ids=["over-cap", "province-gives-none", "informed-did-not-apply", "zero"],
)
def test_backpay_refusals_name_the_rule(requested: int, cap: int, informed: bool, rule: str) -> None:
    with pytest.raises(BackpayRefused, match=rule):
        backpay_months(M(2026, 10, 1), M(2026, 1, 1), requested, cap, informed)


def test_p6_reissue_and_p7_transition_keep_an_expired_certificate_paid() -> None:
    expired = Schedule(start=M(2026, 1, 1), certificate_expires_on=date(2026, 3, 31))
    reissuing = Schedule(start=M(2026, 1, 1), certificate_expires_on=date(2026, 3, 31), reissuing=True)
    transition = Schedule(
        start=M(2026, 1, 1),
        certificate_expires_on=date(2026, 3, 31),
        transitions=(Transition(M(2026, 4, 1), M(2026, 5, 1)),),
    )
    through = M(2026, 6, 1)

    assert payable_months(expired, through)[-1] == M(2026, 3, 1)
    assert payable_months(reissuing, through)[-1] == M(2026, 6, 1)
    assert payable_months(transition, through)[-1] == M(2026, 5, 1)


def test_holds_and_a_stop_leave_their_months_unpaid() -> None:
    schedule = Schedule(start=M(2026, 1, 1), stop=M(2026, 7, 1), holds=(Hold(M(2026, 3, 1), M(2026, 5, 1)),))

    assert payable_months(schedule, M(2026, 12, 1)) == [M(2026, 1, 1), M(2026, 2, 1), M(2026, 5, 1), M(2026, 6, 1)]


@pytest.mark.parametrize(
    ("effective_from", "first"),
    [(date(2026, 1, 1), M(2026, 1, 1)), (date(2025, 7, 15), M(2025, 8, 1))],
    ids=["first-day", "mid-month-pays-from-next"],
)
def test_a_policy_version_prices_the_months_it_is_in_force_on_the_first_day(effective_from: date, first: date) -> None:
    assert first_month_of_version(effective_from) == first


TABLE = RateTable(
    [
        TierRate("living.all", M(2021, 1, 1), M(2025, 1, 1), 18100),
        TierRate("living.all", M(2025, 1, 1), M(2026, 1, 1), 20900),
        TierRate("living.all", M(2026, 1, 1), None, 21700),
    ]
)


@pytest.mark.parametrize(
    ("month", "periods", "amount"),
    [
        (M(2025, 12, 1), [RatePeriod(M(2025, 11, 1), "living.all", 20900)], 20900),
        (M(2026, 1, 1), [RatePeriod(M(2025, 11, 1), "living.all", 20900)], 21700),
        (M(2026, 1, 1), [RatePeriod(M(2025, 11, 1), "living.gone", 20900)], 20900),  # tier unknown: decided amount
        (M(2026, 1, 1), [RatePeriod(M(2025, 11, 1), "living.all", 20900, fixed_fen=15000)], 15000),
    ],
    ids=["old-version", "raise", "tier-not-in-policy", "fixed-old-standard"],
)
def test_each_month_is_priced_at_the_version_valid_that_month(
    month: date, periods: list[RatePeriod], amount: int
) -> None:
    assert rate_for(month, periods, TABLE) == amount


@pytest.mark.parametrize(
    ("amounts", "owed", "taken"),
    [([8000, 10000], 12000, [8000, 4000]), ([8000], 20000, [8000]), ([8000, 10000], 0, [0, 0])],
    ids=["partly-second", "more-than-paid", "nothing-owed"],
)
def test_offsets_never_take_more_than_owed_or_paid(amounts: list[int], owed: int, taken: list[int]) -> None:
    assert offsets(amounts, owed) == taken


# ---- invariants ------------------------------------------------------------------------------------

months_st = st.builds(lambda i: add_months(M(2020, 1, 1), i), st.integers(0, 120))


@given(start=months_st, length=st.integers(0, 60), paid=st.sets(st.integers(0, 60)))
def test_payable_months_never_repeat_or_include_a_paid_month(start: date, length: int, paid: set[int]) -> None:
    already = {add_months(start, i) for i in paid}
    months = payable_months(Schedule(start=start), add_months(start, length), already)

    assert len(months) == len(set(months)) and not already & set(months)
    assert sorted(set(months) | (already & set(months_between(start, add_months(start, length))))) == (
        months_between(start, add_months(start, length))
    )


@given(amounts=st.lists(st.integers(0, 100_000), max_size=12), owed=st.integers(0, 2_000_000))
def test_offsets_sum_to_the_smaller_of_owed_and_paid(amounts: list[int], owed: int) -> None:
    taken = offsets(amounts, owed)

    assert sum(taken) == min(owed, sum(amounts))
    assert all(0 <= t <= a for t, a in zip(taken, amounts, strict=True))


@given(first=months_st, count=st.integers(-30, 30))
def test_adding_months_is_invertible(first: date, count: int) -> None:
    assert add_months(add_months(first, count), -count) == first
    assert len(months_between(first, add_months(first, abs(count)))) == abs(count) + 1
