"""The reviewers' worklist: a region's cases at a step, soonest decision first, personal data masked."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import Principal, require_role
from subsidy_shared.errors import Forbidden, Unprocessable
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.regions import is_valid_region, region_prefix
from subsidy_shared.workdays import china_date

from eligibility_service import precheck, repository, steps
from eligibility_service.schemas import CaseCounts, CaseList, CaseSummary, StepCounts
from eligibility_service.service import REVIEWER_ROLES, decision_clock
from eligibility_service.steps import Step


def _worklist_region(principal: Principal, region: str | None) -> str:
    """The region asked for (default: the caller's), once the caller is a reviewer who covers it."""
    require_role(principal, *REVIEWER_ROLES)
    region = region or principal.region
    if not is_valid_region(region):
        raise Unprocessable.at(("query", "region"), "not a region code")
    if not principal.covers(region):
        raise Forbidden(f"region {region} is outside the caller's region {principal.region}")
    return region


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    step: Step | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> CaseList:
    region = _worklist_region(principal, region)
    wanted = (step,) if step else steps.OPEN_STEPS  # by default what still waits for someone
    after = decode_cursor(cursor, date.fromisoformat, uuid.UUID) if cursor else None
    rows = await repository.list_cases(session, region_prefix(region), wanted, limit, after)
    today = china_date(now)
    next_cursor = encode_cursor(rows[-1].decision_due, rows[-1].application_id) if len(rows) == limit else None
    states = await precheck.policy_states(session, rows)
    items = [CaseSummary.of(c, decision_clock(c, today), states[c.application_id]) for c in rows]
    return CaseList(items=items, next_cursor=next_cursor)


async def count_cases(session: AsyncSession, principal: Principal, region: str | None) -> CaseCounts:
    """The counts per step shown above the worklist: the same region and roles as the list."""
    region = _worklist_region(principal, region)
    found = await repository.count_cases_by_step(session, region_prefix(region), steps.OPEN_STEPS)
    return CaseCounts(region=region, counts=StepCounts(**{step: found.get(step, 0) for step in steps.OPEN_STEPS}))
