"""Review handlers: one per event type, each a plain function of the event and a session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    BenefitChanged,
    BenefitResumed,
    BenefitSuspended,
    BenefitTerminated,
    EligibilityDecided,
    PolicyPublished,
)
from subsidy_shared.topics import APPLICATIONS, DECISIONS, PAYMENTS

from review_service import policies, readmodels


def subscriptions() -> Subscriptions:
    """The handlers: each keeps a read model (none needs the clock)."""

    async def on_eligibility_decided(event: EligibilityDecided, session: AsyncSession) -> None:
        await readmodels.decided(session, event.data)

    async def on_benefit_changed(event: BenefitChanged, session: AsyncSession) -> None:
        await readmodels.rate_changed(session, event.data)

    async def on_benefit_status(
        event: BenefitSuspended | BenefitResumed | BenefitTerminated, session: AsyncSession
    ) -> None:
        await readmodels.status_changed(session, event.type, event.data)

    async def on_application_submitted(event: ApplicationSubmitted, session: AsyncSession) -> None:
        await readmodels.submitted(session, event.data)

    async def on_application_withdrawn(event: ApplicationWithdrawn, session: AsyncSession) -> None:
        await readmodels.withdrawn(session, event.data)

    async def on_policy_published(event: PolicyPublished, session: AsyncSession) -> None:
        await policies.published(session, event.data)

    return Subscriptions(
        topics=[APPLICATIONS.name, DECISIONS.name, PAYMENTS.name],
        handlers={
            "subsidy.eligibility.decided.v1": on_eligibility_decided,
            "subsidy.benefit.changed.v1": on_benefit_changed,
            "subsidy.benefit.suspended.v1": on_benefit_status,
            "subsidy.benefit.resumed.v1": on_benefit_status,
            "subsidy.benefit.terminated.v1": on_benefit_status,
            "subsidy.application.submitted.v1": on_application_submitted,
            "subsidy.application.withdrawn.v1": on_application_withdrawn,
            "subsidy.policy.published.v1": on_policy_published,
        },
    )


SUBSCRIPTIONS = subscriptions()
