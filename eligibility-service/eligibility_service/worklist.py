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
from eligibility_service.schemas import CaseList, CaseSummary
from eligibility_service.service import REVIEWER_ROLES, decision_clock
from eligibility_service.steps import Step


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    step: Step | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> CaseList:
    require_role(principal, *REVIEWER_ROLES)
    region = region or principal.region
    if not is_valid_region(region):
        raise Unprocessable.at(("query", "region"), "not a region code")
    if not principal.covers(region):
        raise Forbidden(f"region {region} is outside the caller's region {principal.region}")
    wanted = (step,) if step else steps.OPEN_STEPS  # by default what still waits for someone
    after = decode_cursor(cursor, date.fromisoformat, uuid.UUID) if cursor else None
    rows = await repository.list_cases(session, region_prefix(region), wanted, limit, after)
    today = china_date(now)
    next_cursor = encode_cursor(rows[-1].decision_due, rows[-1].application_id) if len(rows) == limit else None
    states = await precheck.policy_states(session, rows)
    items = [CaseSummary.of(c, decision_clock(c, today), states[c.application_id]) for c in rows]
    return CaseList(items=items, next_cursor=next_cursor)
