"""Intake handlers: one per event type, each a plain function of the event and a session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.events import (
    BenefitTerminated,
    CaseDeadlineBreached,
    CaseResultReturned,
    CaseRouted,
    PaymentFailed,
)
from subsidy_shared.topics import CASES, PAYMENTS

from intake_service import lifecycle


async def on_case_routed(event: CaseRouted, session: AsyncSession) -> None:
    await lifecycle.on_case_routed(session, event)


async def on_result_returned(event: CaseResultReturned, session: AsyncSession) -> None:
    await lifecycle.on_result_returned(session, event)


async def on_deadline_breached(event: CaseDeadlineBreached, session: AsyncSession) -> None:
    await lifecycle.on_deadline_breached(session, event)


async def on_payment_failed(event: PaymentFailed, session: AsyncSession) -> None:
    await lifecycle.on_payment_failed(session, event)


async def on_benefit_terminated(event: BenefitTerminated, session: AsyncSession) -> None:
    await lifecycle.on_benefit_terminated(session, event)


SUBSCRIPTIONS = Subscriptions(
    topics=[CASES.name, PAYMENTS.name],
    handlers={
        "subsidy.case.routed.v1": on_case_routed,
        "subsidy.case.result_returned.v1": on_result_returned,
        "subsidy.case.deadline_breached.v1": on_deadline_breached,
        "subsidy.payment.failed.v1": on_payment_failed,
        "subsidy.benefit.terminated.v1": on_benefit_terminated,
    },
)
