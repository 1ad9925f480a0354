"""Payment timing (计发 / 停发 / 补发) as pure functions of months; POLICY.md §7 names each rule.

Months are the first day of the month (`date`), as the database stores them; the API speaks `YYYY-MM`.
`payable_months` is the reference model of a run: the SQL of `runs.py` must pay exactly these months.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from subsidy_shared.policy.model import RenewalAnchor
from subsidy_shared.policy.timing import add_months, month_start
from subsidy_shared.workdays import china_date


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included (empty when last is before first)."""
    months: list[date] = []
    current = month_start(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def parse_month(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def month_text(month: date) -> str:
    return f"{month:%Y-%m}"


def first_month(submitted_at: datetime | date) -> date:
    """P1: paid from the month the application was handed in (Beijing time), not the decision month."""
    if isinstance(submitted_at, datetime):
        return month_start(china_date(submitted_at) if submitted_at.tzinfo else submitted_at.date())
    return month_start(submitted_at)


def stop_after_expiry(expires_on: date) -> date:
    """P4: 「残疾人证有效期满后，应于次月停发补贴」 — the first month not paid."""
    return add_months(month_start(expires_on), 1)


def renewal_anchor(rule: RenewalAnchor, new_certificate_issued_on: date, applied_on: date | None) -> date:
    """P5: a renewed certificate pays again from its issue month (or, where the province says so, the
    month the renewal was applied for)."""
    if rule == "application_month" and applied_on is not None:
        return month_start(applied_on)
    return month_start(new_certificate_issued_on)


class BackpayRefused(ValueError):
    """A backpay request the rules do not allow; the message says which rule."""


def backpay_months(anchor: date, gap_from: date, requested: int, cap: int, informed: bool) -> list[date]:
    """P5/P8: up to `cap` (≤ 3) months right before the anchor, inside the unpaid gap, at the new standard.

    Someone who was told of the policy and did not apply gets none (P8).
    """
    if informed:
        raise BackpayRefused("P8: the person was informed of the policy and did not apply; no backpay")
    if requested < 1:
        raise BackpayRefused("at least one month must be asked for")
    if requested > cap:
        raise BackpayRefused(f"P5: backpay is limited to {cap} months by the province's policy")
    first = max(add_months(anchor, -requested), month_start(gap_from))
    months = months_between(first, add_months(anchor, -1))
    if not months:
        raise BackpayRefused("no unpaid month lies between the old certificate's stop and the renewal")
    return months


@dataclass(frozen=True)
class Hold:
    """A stretch of months not paid: a suspension, a termination (no end), a certificate gap."""

    from_month: date
    to_month: date | None  # first month paid again; None: open-ended

    def covers(self, month: date) -> bool:
        return self.from_month <= month and (self.to_month is None or month < self.to_month)


@dataclass(frozen=True)
class Transition:
    """P7: a declared transition period (inclusive months) in which an expired certificate still pays."""

    from_month: date
    to_month: date

    def covers(self, month: date) -> bool:
        return self.from_month <= month <= self.to_month


@dataclass(frozen=True)
class Schedule:
    """What decides whether a month is paid for one person and subsidy."""

    start: date
    stop: date | None = None  # first month not paid (termination)
    certificate_expires_on: date | None = None
    reissuing: bool = False  # P6: category/grade change in progress → the old standard continues
    holds: tuple[Hold, ...] = ()
    transitions: tuple[Transition, ...] = ()

    def pays(self, month: date) -> bool:
        if month < self.start or (self.stop is not None and month >= self.stop):
            return False
        if any(h.covers(month) for h in self.holds):
            return False
        if self.certificate_expires_on is None or month < stop_after_expiry(self.certificate_expires_on):
            return True
        return self.reissuing or any(t.covers(month) for t in self.transitions)


def payable_months(schedule: Schedule, through: date, already_paid: Iterable[date] = ()) -> list[date]:
    """Every month up to `through` this schedule pays that has not been paid yet (arrears included)."""
    paid = set(already_paid)
    return [m for m in months_between(schedule.start, through) if m not in paid and schedule.pays(m)]


@dataclass(frozen=True)
class RatePeriod:
    """From `from_month`, the tier paid; its amount is the policy's for each month (or `fixed_fen`)."""

    from_month: date
    tier: str | None
    amount_fen: int  # the amount when decided: used when the month's policy has no such tier
    fixed_fen: int | None = None


@dataclass(frozen=True)
class TierRate:
    tier: str
    from_month: date
    to_month: date | None  # exclusive
    amount_fen: int


@dataclass
class RateTable:
    """The tier amounts of one province and subsidy, month by month, from its policy versions."""

    rates: Sequence[TierRate] = field(default_factory=tuple)

    def amount(self, tier: str | None, month: date) -> int | None:
        for rate in self.rates:
            if rate.tier == tier and rate.from_month <= month and (rate.to_month is None or month < rate.to_month):
                return rate.amount_fen
        return None


def rate_for(month: date, periods: Sequence[RatePeriod], table: RateTable) -> int:
    """The amount of a month: the tier of the period in force, at the policy version valid that month."""
    current = max((p for p in periods if p.from_month <= month), key=lambda p: p.from_month, default=None)
    if current is None:
        raise ValueError(f"no rate period covers {month_text(month)}")
    if current.fixed_fen is not None:
        return current.fixed_fen
    amount = table.amount(current.tier, month)
    return current.amount_fen if amount is None else amount


def first_month_of_version(effective_from: date) -> date:
    """A version pays the months whose first day it is in force on (PolicyBook.for_month)."""
    return month_start(effective_from) if effective_from.day == 1 else add_months(month_start(effective_from), 1)


def offsets(amounts: Sequence[int], outstanding: int) -> list[int]:
    """追回 by offset: take what is still owed from the payments in order, never more than each pays."""
    taken: list[int] = []
    left = outstanding
    for amount in amounts:
        take = min(amount, max(left, 0))
        taken.append(take)
        left -= take
    return taken
