"""The clocks seen across cases: breaches recorded and announced once, overdue lists and figures for supervisors."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import locks, outbox
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Forbidden, Unprocessable
from subsidy_shared.events import CaseDeadlineBreached, CaseDeadlineBreachedData
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.regions import region_prefix
from subsidy_shared.workdays import china_date

from routing_service import repository, views
from routing_service.schemas import ClockCountyRow, ClockStatistics, ClockWeekRow, OverdueList
from routing_service.service import SOURCE

SUPERVISORS = (
    Role.COUNTY_CIVIL_AFFAIRS,
    Role.COUNTY_DISABILITY_FEDERATION,
    Role.PROVINCIAL_ADMIN,
    Role.AUDITOR,
    Role.OPS,
)
BREACH_SCAN = "routing:breach-scan"


async def scan_breaches(session: AsyncSession, now: datetime, *, limit: int = 1000) -> int:
    """Record every clock breached by `now` not recorded before and queue `case.deadline_breached` for it.

    The region of a push or decision breach is the locality (it missed the step); of a notify breach,
    the accepting window. Returns how many breaches were new (at most `limit`). One replica scans at a time
    (the others skip the round); the unique key on (application, deadline) keeps a breach once regardless.
    """
    if not await locks.try_round_lock(session, BREACH_SCAN):
        return 0
    found = await repository.record_breaches(session, china_date(now), now, limit)
    events = [
        CaseDeadlineBreached(
            source=SOURCE,
            subject=str(breach.application_id),
            data=CaseDeadlineBreachedData(
                application_id=breach.application_id,
                person_key=breach.person_key,
                deadline=cast(Literal["push", "decision", "notify"], breach.deadline),
                due_date=breach.due_date,
                region=breach.region,
                detected_at=now,
            ),
        )
        for breach in found
    ]
    await outbox.add_many(session, events)
    return len(events)


async def list_overdue(
    session: AsyncSession, principal: Principal, region: str | None, limit: int, cursor: str | None, now: datetime
) -> OverdueList:
    """Cases of `region` (accepting or locality) with a breached clock, oldest due date first."""
    require_role(principal, *SUPERVISORS)
    region = region or principal.region
    if not principal.covers(region):
        raise Forbidden(f"region {region} is outside the caller's region {principal.region}")
    today = china_date(now)
    after = decode_cursor(cursor, date.fromisoformat, uuid.UUID) if cursor else None
    rows = await repository.overdue_cases(session, today, region_prefix(region), limit, after)
    items = [views.overdue_item(case, since, today) for case, since in rows]
    next_cursor = encode_cursor(rows[-1][1], rows[-1][0].application_id) if len(rows) == limit else None
    return OverdueList(region=region, as_of=today, items=items, next_cursor=next_cursor)


def share_met(met: int, breached: int) -> float | None:
    """The share of decided clocks kept: met / (met + breached); None when none is decided yet."""
    return round(met / (met + breached), 4) if met + breached else None


async def clock_statistics(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    from_date: date | None,
    to_date: date | None,
    now: datetime,
) -> ClockStatistics:
    """The clocks of `region`'s cases (accepting or locality) due in [from_date, to_date], per county and ISO week."""
    require_role(principal, *SUPERVISORS)
    region = region or principal.region
    require_region(principal, region)
    if from_date is not None and to_date is not None and from_date > to_date:
        raise Unprocessable.at(("query", "to_date"), "to_date comes before from_date")
    today, prefix = china_date(now), region_prefix(region)
    by_county = await repository.clock_counts_by_county(session, today, prefix, from_date, to_date)
    by_week = await repository.clock_counts_by_week(session, today, prefix, from_date, to_date)
    return ClockStatistics(
        region=region,
        by_county=[ClockCountyRow(**row, share_met=share_met(row["met"], row["breached"])) for row in by_county],
        by_week=[
            ClockWeekRow(
                week=row["week"],
                clock=row["clock"],
                due=row["due"],
                met=row["met"],
                share_met=share_met(row["met"], row["breached"]),
            )
            for row in by_week
        ],
    )
