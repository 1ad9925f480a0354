"""What the accepting window learns from the bus: pushed, decided, breached, a payment failed, no longer receiving."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import (
    BenefitTerminated,
    CaseDeadlineBreached,
    CaseResultReturned,
    CaseRouted,
    PaymentFailed,
)

from intake_service import repository

log = structlog.get_logger(__name__)
SYSTEM = "system"


async def on_case_routed(session: AsyncSession, event: CaseRouted) -> None:
    data = event.data
    application = await repository.get_application(session, data.application_id, for_update=True)
    if application is None:  # a case accepted by another province's own system
        return
    application.locality_county = data.locality_county
    application.external_system = data.external_system
    application.decision_due = data.decision_due
    application.pushed_at = data.received_at
    if application.status == "complete":
        application.status = "pushed"
    detail = {
        "locality_county": data.locality_county,
        "scope": data.scope,
        "decision_due": data.decision_due.isoformat(),
    }
    if data.external_system:
        detail["external_system"] = data.external_system
    await repository.add_step(session, application.id, "pushed", data.received_at, event.source, SYSTEM, detail)


async def on_result_returned(session: AsyncSession, event: CaseResultReturned) -> None:
    """办理结果 back at the window: the notify clock starts; approved subsidies now count as received."""
    data = event.data
    application = await repository.get_application(session, data.application_id, for_update=True)
    if application is None:
        return
    if application.result_returned_at is not None:
        log.warning("intake.result_repeated", application_id=str(application.id))
        return
    application.result_returned_at = data.returned_at
    application.decided_at = data.decided_at or data.returned_at
    application.outcomes = [o.model_dump(mode="json") for o in data.outcomes]
    application.notify_due = data.notify_due
    approved = [o.subsidy for o in data.outcomes if o.outcome == "approved"]
    refused = [o.subsidy for o in data.outcomes if o.outcome == "refused"]
    if application.status == "withdrawn" and approved:
        # The locality decided before the withdrawal reached it: the approval stands and will be paid, so
        # the person receives it and a new application for it would be 重复领取.
        log.warning("intake.decided_after_withdrawal", application_id=str(application.id))
        await repository.restore_receiving(session, application, approved)
    if application.status != "withdrawn" or approved:
        application.status = "decided"
    await repository.mark_receiving(session, application.id, approved)
    await repository.release_claims(session, application.id, refused)
    await repository.add_step(
        session,
        application.id,
        "decided",
        data.returned_at,
        data.decided_by or event.source,
        SYSTEM,
        {"approved": approved, "refused": refused, "notify_due": data.notify_due.isoformat()},
    )


async def on_deadline_breached(session: AsyncSession, event: CaseDeadlineBreached) -> None:
    data = event.data
    if await repository.get_application(session, data.application_id) is None:
        return
    await repository.add_step(
        session,
        data.application_id,
        "deadline_breached",
        data.detected_at,
        event.source,
        SYSTEM,
        {"deadline": data.deadline, "due_date": data.due_date.isoformat()},
    )


async def on_payment_failed(session: AsyncSession, event: PaymentFailed) -> None:
    """A month the bank did not pay (e.g. an account to correct) shows on the approved application's timeline."""
    data = event.data
    detail = {"subsidy": data.subsidy, "month": data.month, "amount_fen": data.amount_fen, "reason": data.reason}
    for application_id in await repository.approved_applications(session, data.person_key, data.subsidy):
        await repository.add_step(session, application_id, "payment_failed", event.time, event.source, SYSTEM, detail)


async def on_benefit_terminated(session: AsyncSession, event: BenefitTerminated) -> None:
    """A terminated benefit frees the person to apply again (a suspended one does not)."""
    await repository.end_receiving(session, event.data.person_key, event.data.subsidy)
