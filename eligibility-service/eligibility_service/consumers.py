"""Eligibility handlers: one per event type, each a plain function of the event and a session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.clock import utc_now
from subsidy_shared.events import ApplicationWithdrawn, CaseRouted, FindingConcluded, RegistryRecordChanged
from subsidy_shared.topics import APPLICATIONS, CASES, REGISTRY, REVIEWS

from eligibility_service import benefits, service


def subscriptions(clock: Callable[[], datetime] = utc_now) -> Subscriptions:
    """The handlers, bound to a clock (tests move it)."""

    async def on_case_routed(event: CaseRouted, session: AsyncSession) -> None:
        await service.receive_case(session, event.data, clock())

    async def on_registry_record_changed(event: RegistryRecordChanged, session: AsyncSession) -> None:
        await service.registry_changed(session, event.data, clock())

    async def on_application_withdrawn(event: ApplicationWithdrawn, session: AsyncSession) -> None:
        await service.withdraw(session, event.data)

    async def on_finding_concluded(event: FindingConcluded, session: AsyncSession) -> None:
        await benefits.follow_finding(session, event.data, clock())

    return Subscriptions(
        topics=[CASES.name, REGISTRY.name, APPLICATIONS.name, REVIEWS.name],
        handlers={
            "subsidy.case.routed.v1": on_case_routed,
            "subsidy.registry.record_changed.v1": on_registry_record_changed,
            "subsidy.application.withdrawn.v1": on_application_withdrawn,
            "subsidy.finding.concluded.v1": on_finding_concluded,
        },
    )


SUBSCRIPTIONS = subscriptions()
