"""Figures behind the supervisors' dashboard: applications received, decided, approved, refused by month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Unprocessable
from subsidy_shared.regions import region_prefix
from subsidy_shared.workdays import CHINA

from intake_service import repository
from intake_service.schemas import ApplicationCounts, ApplicationStatistics

READERS = (Role.PROVINCIAL_ADMIN, Role.COUNTY_CIVIL_AFFAIRS, Role.AUDITOR)


def month_start(month: str) -> datetime:
    """The first instant of a `YYYY-MM` month in China."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=CHINA)


def next_month_start(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CHINA)


async def application_statistics(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    from_month: str | None,
    to_month: str | None,
) -> ApplicationStatistics:
    """Counts per month submitted (China time), hukou county and scope, for the applications of `region`.

    An application belongs to the area when its accepting window or its hukou lies inside it (so a county
    sees the cases its windows accepted for other places too, each under its hukou county). `decided` = the
    result has come back to the window; of those, `approved` = at least one subsidy approved and `refused` =
    every subsidy refused, so approved + refused = decided. Withdrawn applications count as received.
    """
    require_role(principal, *READERS)
    region = region or principal.region
    require_region(principal, region)
    if from_month is not None and to_month is not None and from_month > to_month:
        raise Unprocessable.at(("query", "to_month"), "to_month comes before from_month")
    since = month_start(from_month) if from_month else None
    before = next_month_start(to_month) if to_month else None
    rows = await repository.application_counts(session, region_prefix(region), since, before)
    return ApplicationStatistics(region=region, rows=[ApplicationCounts.model_validate(row) for row in rows])
