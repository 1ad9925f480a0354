"""Survival checks (生存验证): record each check and list beneficiaries overdue for one."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, require_region, require_role
from subsidy_shared.errors import NotFound, Unprocessable
from subsidy_shared.ids import mask_id_number
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.workdays import china_date

from review_service import access, policies, rules
from review_service.findings import Raised, Subject, raise_findings
from review_service.models import Beneficiary, SurvivalCheck
from review_service.repository import readmodels, work
from review_service.schemas import OverdueList, OverdueRead, SurvivalCheckCreate, SurvivalCheckRead, masked_name


async def record_check(
    session: AsyncSession, principal: Principal, body: SurvivalCheckCreate, now: datetime
) -> SurvivalCheckRead:
    """A passed check resets the clock; a failed one raises a finding (suggested: suspend)."""
    require_role(principal, *access.FIELD_WORKERS)
    rows = [b for b in await readmodels.beneficiaries_of(session, body.person_key) if b.status != "terminated"]
    missing = f"no beneficiary {body.person_key}"
    if not rows:
        raise NotFound(missing)
    require_region(principal, rows[0].hukou_region, not_found=missing)
    today = china_date(now)
    checked_on = body.checked_on or today
    if checked_on > today:
        raise Unprocessable.at(("body", "checked_on"), "a check cannot be recorded before it happened")
    check = SurvivalCheck(
        person_key=body.person_key,
        method=body.method,
        result=body.result,
        checked_on=checked_on,
        checked_by=principal.sub,
        note=body.note,
        recorded_at=now,
    )
    session.add(check)
    await session.flush()
    finding_id = await _raise_if_failed(session, check, rows, now) if body.result == "failed" else None
    after = {"method": body.method, "result": body.result, "checked_on": checked_on.isoformat()}
    await audit.record(session, principal, "survival check", "beneficiary", body.person_key, after=after)
    return SurvivalCheckRead(
        id=check.id,
        person_key=check.person_key,
        method=body.method,
        result=body.result,
        checked_on=checked_on,
        checked_by=principal.sub,
        finding_id=finding_id,
    )


async def _raise_if_failed(
    session: AsyncSession, check: SurvivalCheck, rows: list[Beneficiary], now: datetime
) -> uuid.UUID | None:
    first = rows[0]
    person = rules.Receiving(hukou_region=first.hukou_region, amounts={b.subsidy: b.monthly_amount_fen for b in rows})
    proposal = rules.survival_failed(check.method, check.checked_on, person)
    if proposal is None:
        return None
    policy = (await policies.book(session)).in_force_or_none(first.hukou_region[:2], check.checked_on)
    month = rules.effective_month(policy.stop_rule if policy else "next_month", check.checked_on, china_date(now))
    raised = Raised(
        subject=Subject(first.person_key, first.name, first.id_number, first.hukou_region),
        proposal=proposal,
        effective_month=month,
        record_source="survival_check",
        record_id=str(check.id),
        record_hash="",
    )
    kept = await raise_findings(session, [raised], now)
    return kept[0][0] if kept else None


async def overdue(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    months: int,
) -> OverdueList:
    """Active beneficiaries whose last passed check (or first month) is `months` old or more, most overdue first."""
    prefix = access.readable_region(principal, region)
    after = decode_cursor(cursor, date.fromisoformat, str) if cursor else None
    rows = await work.overdue_survival(session, prefix, china_date(now), months, limit, after)
    items = [
        OverdueRead(
            person_key=r.person_key,
            name=masked_name(r.name),
            id_number=mask_id_number(r.id_number),
            hukou_region=r.hukou_region,
            last_passed_on=r.last_on,
            due_on=r.due_on,
        )
        for r in rows
    ]
    next_cursor = encode_cursor(rows[-1].due_on, rows[-1].person_key) if len(rows) == limit else None
    return OverdueList(items=items, next_cursor=next_cursor)
