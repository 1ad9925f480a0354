"""The monthly payment run (按月发放) of a county or a whole province: set-based, idempotent, in one transaction.

The run pays every payable month up to its month that nobody has paid yet — the month itself, the arrears of
new approvals (P1), reopened months (renewals, backpay) — and carries failed lines whose account has been
corrected. `uq_payments_person_subsidy_month` makes a second run of the same month pay nobody twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import CASE_READERS, Principal, Role, require_region, require_role
from subsidy_shared.errors import NotFound, Unprocessable
from subsidy_shared.events import (
    BenefitStatusData,
    BenefitSuspended,
    PaymentRunCompleted,
    PaymentRunCompletedData,
)
from subsidy_shared.policy.timing import add_months, month_start
from subsidy_shared.regions import region_prefix

from payment_service import policies, recovery, repository
from payment_service.ledger import expiry_reason
from payment_service.models import PaymentRun
from payment_service.rules import month_text, stop_after_expiry

log = structlog.get_logger(__name__)
SOURCE = "liangbu/payment"
COUNTIES_PER_STEP = 8  # progress granularity; one statement per step keeps memory flat
Progress = Callable[[int, int], None]


def check_month(month: date, today: date) -> None:
    """A run pays a month that has begun, never a future one."""
    if month > month_start(today):
        raise Unprocessable.at(("body", "month"), f"{month_text(month)} has not begun yet (today is {today})")
    if month < add_months(month_start(today), -120):
        raise Unprocessable.at(("body", "month"), f"{month_text(month)} is more than ten years ago")


async def run_month(
    session: AsyncSession,
    principal: Principal,
    region: str,
    month: date,
    now: datetime,
    today: date,
    progress: Progress | None = None,
) -> PaymentRun:
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS, Role.PROVINCIAL_ADMIN, Role.OPS)
    require_region(principal, region)
    check_month(month, today)
    prefix = region_prefix(region)
    if len(prefix) > 6:
        raise Unprocessable.at(("body", "region"), "a run pays a county or a province, not a township")
    await repository.lock_region(session, prefix)
    await policies.ensure_seeded(session)
    run = PaymentRun(
        id=uuid.uuid4(),
        region=region,
        prefix=prefix,
        month=month,
        status="running",
        requested_by=principal.sub,
        started_at=now,
        paid_count=0,
        arrears_count=0,
        carried_count=0,
        total_fen=0,
        offset_fen=0,
        by_subsidy={},
    )
    await repository.add(session, run)
    counties = await repository.counties_in(session, prefix)
    last = await repository.last_runs(session, counties)
    for done in range(0, len(counties), COUNTIES_PER_STEP):
        step = counties[done : done + COUNTIES_PER_STEP]
        await repository.pay(session, run.id, month, step, last)
        await repository.close_arrears(session, step, month)
        await _announce_expired(session, await repository.suspend_expired(session, step, month))
        if progress is not None:
            progress(min(done + COUNTIES_PER_STEP, len(counties)), len(counties))
    run.carried_count = await repository.carry_failed(session, run.id, prefix)
    run.offset_fen = await recovery.offset_in_run(session, run.id, now)
    await _complete(session, run, now)
    await audit.record(
        session,
        principal,
        "payment run",
        "payment_run",
        str(run.id),
        after={"region": region, "month": month_text(month), "paid_count": run.paid_count, "total_fen": run.total_fen},
    )
    log.info(
        "payment.run_completed",
        run_id=str(run.id),
        region=region,
        month=month_text(month),
        paid=run.paid_count,
        total_fen=run.total_fen,
    )
    return run


async def _announce_expired(session: AsyncSession, rows: Sequence[Any]) -> None:
    """The run found cards that ran out with no `expired` record: each stop is announced (P4), once."""
    events = []
    for row in rows:
        month = month_text(stop_after_expiry(row.certificate_expires_on))
        reason = expiry_reason(row.certificate_expires_on)
        data = BenefitStatusData(person_key=row.person_key, subsidy=row.subsidy, effective_month=month, reason=reason)
        events.append(BenefitSuspended(source=SOURCE, subject=str(row.application_id), data=data))
    await outbox.add_many(session, events)


async def _complete(session: AsyncSession, run: PaymentRun, now: datetime) -> None:
    totals = await repository.run_totals(session, run.id, run.month)
    run.paid_count = sum(int(t.lines) for t in totals)
    run.arrears_count = sum(int(t.arrears) for t in totals)
    run.total_fen = sum(int(t.net) for t in totals)
    run.by_subsidy = {t.subsidy: int(t.net) for t in totals}
    run.status, run.completed_at = "completed", now
    data = PaymentRunCompletedData(
        run_id=run.id,
        region=run.region,
        month=month_text(run.month),
        paid_count=run.paid_count,
        total_fen=run.total_fen,
        by_subsidy=run.by_subsidy,
        completed_at=now,
    )
    await outbox.add(session, PaymentRunCompleted(source=SOURCE, subject=str(run.id), data=data))


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> PaymentRun:
    require_role(principal, *CASE_READERS)
    run = await repository.get_run(session, run_id)
    missing = f"no payment run {run_id}"
    if run is None:
        raise NotFound(missing)
    require_region(principal, run.region, not_found=missing)
    return run
