"""Month arithmetic and the stop rule (P10), shared by payment (which stops) and review (which proposes)."""

from __future__ import annotations

from datetime import date

from subsidy_shared.policy.model import StopRule


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def stop_month(event_on: date, found_on: date, rule: StopRule) -> date:
    """P10: the first month not paid after death, moving away etc., by the locality's rule.

    `next_month` (衡阳: 从次月起停止发放) stops the month after the event; `month_found` (贵州: 于比对当月停止
    发放) stops the month the comparison found it — never before the event's own month.
    """
    if rule == "next_month":
        return add_months(month_start(event_on), 1)
    return max(month_start(found_on), month_start(event_on))
