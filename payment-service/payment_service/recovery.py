"""追回 (P9, P10): overpayments from stops found late, repayments, and offsets against later payments."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import NotFound, Unprocessable
from subsidy_shared.events import MonthAmount, OverpaymentRecorded, OverpaymentRecordedData, Reason

from payment_service import repository
from payment_service.models import Entitlement, Overpayment, Recovery
from payment_service.rules import month_text, offsets

SOURCE = "liangbu/payment"


async def record_overpayment(
    session: AsyncSession,
    entitlement: Entitlement,
    stop: date,
    reason: Reason,
    finding_id: uuid.UUID | None,
    now: datetime,
) -> Overpayment | None:
    """Every month from `stop` on that was already sent becomes one overpayment, month by month."""
    sent = await repository.paid_from(session, entitlement.person_key, entitlement.subsidy, stop)
    if not sent:
        return None
    months = [MonthAmount(month=month_text(row.month), amount_fen=row.amount_fen) for row in sent]
    total = sum(m.amount_fen for m in months)
    row = Overpayment(
        id=uuid.uuid4(),
        person_key=entitlement.person_key,
        subsidy=entitlement.subsidy,
        county=entitlement.county,
        months=[m.model_dump() for m in months],
        total_fen=total,
        recovered_fen=0,
        rule_id=reason.rule_id,
        reason=reason.text,
        finding_id=finding_id,
        recorded_at=now,
    )
    await repository.add(session, row)
    await repository.mark_overpaid(session, [r.id for r in sent], row.id)
    data = OverpaymentRecordedData(
        overpayment_id=row.id,
        person_key=row.person_key,
        subsidy=entitlement.subsidy,
        months=tuple(months),
        total_fen=total,
        reason=reason,
    )
    await outbox.add(session, OverpaymentRecorded(source=SOURCE, subject=str(entitlement.application_id), data=data))
    return row


async def waive_from(session: AsyncSession, entitlement: Entitlement, month: date, reason: str, now: datetime) -> int:
    """A suspension concluded as `continue` from `month`: what it recorded as owed from then on is waived.

    Only what is still outstanding can be waived (an offset already taken stays taken); the months become
    countable again for a later stop. Returns the 分 waived.
    """
    waived_total = 0
    for debt in await repository.overpayments_of(session, entitlement.person_key, lock=True):
        if debt.subsidy != entitlement.subsidy:
            continue
        dropped = sum(m["amount_fen"] for m in debt.months if m["month"] >= month_text(month))
        waived = min(dropped, debt.total_fen - debt.recovered_fen)
        await repository.mark_overpaid(session, await repository.payments_owed_back(session, debt.id, month), None)
        if waived <= 0:
            continue
        await repository.add(session, Recovery(overpayment_id=debt.id, kind="waived", amount_fen=waived,
                                               reference=reason[:200], recorded_by="system:finding-continue",
                                               recorded_at=now))  # fmt: skip
        debt.recovered_fen += waived
        waived_total += waived
    return waived_total


async def offset_in_run(session: AsyncSession, run_id: uuid.UUID, now: datetime) -> int:
    """Take what payees of this run still owe from what the run pays them; returns the total taken."""
    taken_total = 0
    debtors = await repository.run_payees_with_debts(session, run_id)
    if not debtors:
        return 0
    debts = await repository.outstanding_overpayments(session, debtors)
    for person_key in debtors:
        lines = list(await repository.run_payments_of(session, run_id, person_key))
        available = [line.amount_fen - line.offset_fen for line in lines]
        for debt in (d for d in debts if d.person_key == person_key):
            taken = offsets(available, debt.total_fen - debt.recovered_fen)
            for index, take in enumerate(taken):
                if take == 0:
                    continue
                line = lines[index]
                available[index] -= take
                await repository.set_offset(session, line.id, line.amount_fen - available[index])
                await repository.add(
                    session,
                    Recovery(
                        overpayment_id=debt.id,
                        kind="offset",
                        amount_fen=take,
                        payment_id=line.id,
                        recorded_by="system:payment-run",
                        recorded_at=now,
                        reference=str(run_id),
                    ),
                )
                debt.recovered_fen += take
                taken_total += take
    return taken_total


async def record_repayment(
    session: AsyncSession,
    principal: Principal,
    overpayment_id: uuid.UUID,
    amount_fen: int,
    reference: str,
    now: datetime,
) -> Overpayment:
    """The person (or family) paid back: never more than is still owed."""
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS)
    debt = await repository.overpayment(session, overpayment_id, lock=True)
    missing = f"no overpayment {overpayment_id}"
    if debt is None:
        raise NotFound(missing)
    require_region(principal, debt.county, not_found=missing)
    outstanding = debt.total_fen - debt.recovered_fen
    if amount_fen > outstanding:
        raise Unprocessable.at(("body", "amount_fen"), f"only {outstanding} 分 is still owed")
    before = {"recovered_fen": debt.recovered_fen}
    await repository.add(
        session,
        Recovery(
            overpayment_id=debt.id,
            kind="repayment",
            amount_fen=amount_fen,
            reference=reference,
            recorded_by=principal.sub,
            recorded_at=now,
        ),
    )
    debt.recovered_fen += amount_fen
    await audit.record(
        session,
        principal,
        "record repayment",
        "overpayment",
        str(debt.id),
        before=before,
        after={"recovered_fen": debt.recovered_fen, "reference": reference},
    )
    return debt
