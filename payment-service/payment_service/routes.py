"""HTTP routes of the payment service: thin — parse, call the use case, return a schema."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.clock import NowDep
from subsidy_shared.db import SessionDep
from subsidy_shared.validators import PersonKey
from subsidy_shared.workdays import china_date

from payment_service import recovery, runs, service
from payment_service.rules import parse_month
from payment_service.schemas import (
    BackpayCreate,
    BackpayRead,
    BankAccountUpdate,
    LedgerRead,
    OverpaymentRead,
    PaymentRunCreate,
    PaymentRunRead,
    RepaymentCreate,
)

router = APIRouter(prefix="/v1")


@router.post("/payment-runs", status_code=201, tags=["runs"])
async def start_run(
    body: PaymentRunCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> PaymentRunRead:
    """Pay a county's (or a province's) month: arrears included, nobody twice (a rerun pays 0)."""
    run = await runs.run_month(session, principal, body.region, parse_month(body.month), now, china_date(now))
    return PaymentRunRead.of(run)


@router.get("/payment-runs/{run_id}", tags=["runs"])
async def get_run(run_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> PaymentRunRead:
    return PaymentRunRead.of(await runs.get_run(session, principal, run_id))


@router.get("/beneficiaries/{person_key}/ledger", tags=["ledger"])
async def get_ledger(person_key: PersonKey, session: SessionDep, principal: CurrentPrincipal) -> LedgerRead:
    """One person's entitlements, rate periods, holds, payments and overpayments (personal data masked)."""
    return await service.ledger(session, principal, person_key)


@router.post("/beneficiaries/{person_key}/backpay", status_code=201, tags=["ledger"])
async def approve_backpay(
    person_key: PersonKey, body: BackpayCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> BackpayRead:
    """P5: discretionary backpay of up to 3 months before a renewal (county civil affairs; reason recorded)."""
    return await service.approve_backpay(session, principal, person_key, body, now)


@router.put("/beneficiaries/{person_key}/bank-account", tags=["ledger"])
async def correct_bank_account(
    person_key: PersonKey, body: BankAccountUpdate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> LedgerRead:
    """A corrected account; failed payments go into the next run."""
    await service.correct_bank_account(session, principal, person_key, body, now)
    return await service.ledger(session, principal, person_key)


@router.post("/overpayments/{overpayment_id}/repayments", status_code=201, tags=["recovery"])
async def record_repayment(
    overpayment_id: uuid.UUID, body: RepaymentCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> OverpaymentRead:
    debt = await recovery.record_repayment(session, principal, overpayment_id, body.amount_fen, body.reference, now)
    return OverpaymentRead.of(debt)
