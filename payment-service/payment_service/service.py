"""Use cases behind the person-level endpoints: the ledger, discretionary backpay, a corrected account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import CASE_READERS, Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound, Unprocessable
from subsidy_shared.ids import mask_account
from subsidy_shared.policy.timing import month_start
from subsidy_shared.workdays import china_date

from payment_service import policies, repository
from payment_service.ledger import guard
from payment_service.models import BackpayApproval, Entitlement
from payment_service.rules import BackpayRefused, backpay_months, month_text
from payment_service.schemas import (
    BackpayCreate,
    BackpayRead,
    BankAccountUpdate,
    EntitlementRead,
    HoldRead,
    LedgerRead,
    OverpaymentRead,
    PaymentLine,
    RatePeriodRead,
    RecoveryRead,
)


async def _entitlements(
    session: AsyncSession, principal: Principal, person_key: str, lock: bool = False
) -> list[Entitlement]:
    rows = list(await repository.entitlements_of(session, person_key, lock=lock))
    missing = f"no entitlement is recorded for person {person_key}"
    if not rows:
        raise NotFound(missing)
    require_region(principal, *(r.hukou_region for r in rows), not_found=missing)
    return rows


async def ledger(session: AsyncSession, principal: Principal, person_key: str) -> LedgerRead:
    """Everything paid and owed for one person: entitlements, rate periods, holds, payments, recovery."""
    require_role(principal, *CASE_READERS)
    rows = await _entitlements(session, principal, person_key)
    periods = await repository.rate_periods(session, person_key)
    holds = await repository.holds_of(session, person_key)
    entitlements = [
        EntitlementRead.of(
            row,
            [RatePeriodRead.of(p) for p in periods if p.subsidy == row.subsidy],
            [HoldRead.of(h) for h in holds if h.subsidy == row.subsidy],
        )
        for row in rows
    ]
    lines = [PaymentLine.of(p) for p in await repository.payments_of(session, person_key)]
    debts = await repository.overpayments_of(session, person_key)
    recoveries = await repository.recoveries_of(session, [d.id for d in debts])
    overpayments = [
        OverpaymentRead.of(d, [RecoveryRead.of(r) for r in recoveries if r.overpayment_id == d.id]) for d in debts
    ]
    backpay = [
        BackpayRead(
            subsidy=b.subsidy, months=b.months, approved_by=b.approved_by, reason=b.reason, approved_at=b.approved_at
        )
        for b in await repository.backpay_approvals_of(session, person_key)
    ]
    paid = sum(line.amount_fen for line in lines if line.status in ("issued", "paid"))
    return LedgerRead(
        person_key=person_key,
        entitlements=entitlements,
        payments=lines,
        overpayments=overpayments,
        backpay=backpay,
        total_paid_fen=paid,
    )


async def approve_backpay(
    session: AsyncSession, principal: Principal, person_key: str, body: BackpayCreate, now: datetime
) -> BackpayRead:
    """P5: reopen up to 3 months of the certificate gap before a renewal, at the new standard."""
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS)
    await guard(session, person_key)
    rows = await _entitlements(session, principal, person_key, lock=True)
    entitlement = next((r for r in rows if r.subsidy == body.subsidy), None)
    if entitlement is None:
        raise NotFound(f"person {person_key} has no {body.subsidy} entitlement")
    gaps = [h for h in await repository.holds_of(session, person_key, body.subsidy) if h.kind == "certificate_gap"]
    if not gaps:
        raise Conflict("no renewal gap to backpay: backpay applies only after a renewed certificate (P5)")
    gap = gaps[-1]
    assert gap.to_month is not None  # a certificate gap always ends at the renewal's anchor month
    approvals = await repository.backpay_approvals_of(session, person_key)
    if any(a.subsidy == body.subsidy and a.approved_at >= gap.created_at for a in approvals):
        raise Conflict("backpay for this renewal was already approved: P5 allows it once, up to the cap")
    policy = (await policies.book(session, entitlement.province)).in_force(entitlement.province, now.date())
    told = await repository.informed_at(session, person_key, body.subsidy)
    # P8: told of the policy while the card had run out, and did not renew then
    informed = told is not None and gap.from_month <= month_start(china_date(told)) < gap.to_month
    try:
        months = backpay_months(gap.to_month, gap.from_month, body.months, policy.backpay_cap_months, informed)
    except BackpayRefused as exc:
        raise Unprocessable.at(("body", "months"), str(exc)) from exc
    before = {"gap": [month_text(gap.from_month), month_text(gap.to_month)]}
    gap.to_month = months[0]
    if gap.to_month <= gap.from_month:
        await session.delete(gap)
    await repository.set_rate_period(
        session,
        {
            "person_key": person_key,
            "subsidy": body.subsidy,
            "from_month": months[0],
            "tier": entitlement.tier,
            "amount_fen": entitlement.monthly_amount_fen,
            "fixed_fen": None,
            "reason": f"补发 {len(months)} 个月（新证标准，P5）: {body.reason}",
        },
    )
    entitlement.arrears_from = min(entitlement.arrears_from or months[0], months[0])
    texts = [month_text(m) for m in months]
    approval = BackpayApproval(
        person_key=person_key,
        subsidy=body.subsidy,
        months=texts,
        approved_by=principal.sub,
        reason=body.reason,
        approved_at=now,
    )
    await repository.add(session, approval)
    await audit.record(
        session,
        principal,
        "approve backpay",
        "entitlement",
        f"{person_key}/{body.subsidy}",
        before=before,
        after={"months": texts, "reason": body.reason},
    )
    return BackpayRead(
        subsidy=body.subsidy, months=texts, approved_by=principal.sub, reason=body.reason, approved_at=now
    )


async def correct_bank_account(
    session: AsyncSession, principal: Principal, person_key: str, body: BankAccountUpdate, now: datetime
) -> list[Entitlement]:
    """A corrected account: failed lines are carried into the next run (never paid twice: same rows)."""
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS, Role.WINDOW_CLERK)
    await guard(session, person_key)
    rows = await _entitlements(session, principal, person_key, lock=True)
    account = body.bank_account
    for row in rows:
        before = {"bank": row.bank, "account_number": mask_account(row.account_number)}
        row.bank, row.account_number, row.holder_name = account.bank, account.account_number, account.holder_name
        row.account_changed_at, row.updated_at = now, now
        await audit.record(
            session,
            principal,
            "correct bank account",
            "entitlement",
            f"{person_key}/{row.subsidy}",
            before=before,
            after={"bank": row.bank, "account_number": mask_account(row.account_number), "reason": body.reason},
        )
    return rows
