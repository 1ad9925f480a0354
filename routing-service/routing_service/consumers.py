"""Routing handlers: one per event type, each a plain function of the event and a session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.clock import utc_now
from subsidy_shared.events import ApplicantNotified, ApplicationSubmitted, ApplicationWithdrawn, EligibilityDecided
from subsidy_shared.topics import APPLICATIONS, DECISIONS

from routing_service import service
from routing_service.settings import Settings


def subscriptions(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Subscriptions:
    """The handlers, bound to the provinces with their own systems and to a clock (tests move it)."""
    self_built = frozenset(settings.province_systems)

    async def on_application_submitted(event: ApplicationSubmitted, session: AsyncSession) -> None:
        await service.route_application(session, event.data, self_built, clock())

    async def on_eligibility_decided(event: EligibilityDecided, session: AsyncSession) -> None:
        await service.apply_eligibility_decision(session, event.data, clock())

    async def on_application_withdrawn(event: ApplicationWithdrawn, session: AsyncSession) -> None:
        await service.withdraw(session, event.data)

    async def on_applicant_notified(event: ApplicantNotified, session: AsyncSession) -> None:
        await service.record_notified(session, event.data)

    return Subscriptions(
        topics=[APPLICATIONS.name, DECISIONS.name],
        handlers={
            "subsidy.application.submitted.v1": on_application_submitted,
            "subsidy.application.withdrawn.v1": on_application_withdrawn,
            "subsidy.applicant.notified.v1": on_applicant_notified,
            "subsidy.eligibility.decided.v1": on_eligibility_decided,
        },
    )
