"""Review's read models, kept only from events: beneficiaries, open applications (and the policy copy)."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import (
    ApplicationSubmittedData,
    ApplicationWithdrawnData,
    BenefitChangedData,
    BenefitStatusData,
    EligibilityDecidedData,
)

from review_service.repository import readmodels as repo

log = structlog.get_logger(__name__)
STATUS_OF = {
    "subsidy.benefit.suspended.v1": "suspended",
    "subsidy.benefit.resumed.v1": "active",
    "subsidy.benefit.terminated.v1": "terminated",
}


async def decided(session: AsyncSession, data: EligibilityDecidedData) -> None:
    """Each approved subsidy makes (or renews) a beneficiary; the application is no longer open."""
    for decision in data.decisions:
        if decision.outcome != "approved" or decision.start_month is None or decision.monthly_amount_fen is None:
            continue
        await repo.upsert_beneficiary(
            session,
            {
                "person_key": data.person_key,
                "subsidy": decision.subsidy,
                "application_id": data.application_id,
                "name": data.beneficiary.name,
                "id_number": data.beneficiary.id_number,
                "hukou_region": data.hukou_region,
                "certificate_number": data.certificate_number,
                "tier": decision.tier,
                "monthly_amount_fen": decision.monthly_amount_fen,
                "since_month": decision.start_month,
                "status": "active",
                "status_month": None,
            },
        )
    await repo.close_application(session, data.application_id, data.decided_at)


async def rate_changed(session: AsyncSession, data: BenefitChangedData) -> None:
    row = await repo.beneficiary(session, data.person_key, data.subsidy)
    if row is None:
        log.warning("review.benefit_changed_without_beneficiary", subsidy=data.subsidy)
        return
    row.tier, row.monthly_amount_fen = data.tier, data.monthly_amount_fen


async def status_changed(session: AsyncSession, event_type: str, data: BenefitStatusData) -> None:
    """Payment suspended, resumed or terminated a subsidy (a concluded finding, or P4 expiry)."""
    row = await repo.beneficiary(session, data.person_key, data.subsidy)
    if row is None:
        log.warning("review.benefit_status_without_beneficiary", subsidy=data.subsidy, type=event_type)
        return
    row.status, row.status_month = STATUS_OF[event_type], data.effective_month


async def submitted(session: AsyncSession, data: ApplicationSubmittedData) -> None:
    await repo.open_application(
        session,
        {
            "application_id": data.application_id,
            "person_key": data.person_key,
            "name": data.applicant.name,
            "id_number": data.applicant.id_number,
            "hukou_region": data.hukou_region,
            "certificate_number": data.certificate_number,
            "subsidies": list(data.subsidies),
            "submitted_at": data.submitted_at,
        },
    )


async def withdrawn(session: AsyncSession, data: ApplicationWithdrawnData) -> None:
    await repo.close_application(session, data.application_id, data.withdrawn_at)
