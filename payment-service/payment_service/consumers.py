"""Payment handlers: one per event type, each a plain function of the event and a session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.clock import utc_now
from subsidy_shared.events import (
    BenefitChanged,
    EligibilityDecided,
    FindingConcluded,
    PersonInformed,
    PolicyPublished,
    RegistryRecordChanged,
)
from subsidy_shared.policy import PolicyVersion
from subsidy_shared.topics import DECISIONS, REGISTRY, REVIEWS

from payment_service import ledger, policies


def subscriptions(clock: Callable[[], datetime] = utc_now) -> Subscriptions:
    """The handlers, bound to a clock (tests move it)."""

    async def on_eligibility_decided(event: EligibilityDecided, session: AsyncSession) -> None:
        await ledger.open_entitlements(session, event.data, clock())

    async def on_benefit_changed(event: BenefitChanged, session: AsyncSession) -> None:
        await ledger.change_rate(session, event.data, clock())

    async def on_policy_published(event: PolicyPublished, session: AsyncSession) -> None:
        await policies.ensure_seeded(session)
        await policies.add_version(session, PolicyVersion.model_validate(event.data.body))

    async def on_registry_record_changed(event: RegistryRecordChanged, session: AsyncSession) -> None:
        await ledger.follow_certificate(session, event.data, clock())

    async def on_finding_concluded(event: FindingConcluded, session: AsyncSession) -> None:
        await ledger.conclude_finding(session, event.data, clock())

    async def on_person_informed(event: PersonInformed, session: AsyncSession) -> None:
        await ledger.note_informed(session, event.data)

    return Subscriptions(
        topics=[DECISIONS.name, REGISTRY.name, REVIEWS.name],
        handlers={
            "subsidy.eligibility.decided.v1": on_eligibility_decided,
            "subsidy.benefit.changed.v1": on_benefit_changed,
            "subsidy.policy.published.v1": on_policy_published,
            "subsidy.registry.record_changed.v1": on_registry_record_changed,
            "subsidy.finding.concluded.v1": on_finding_concluded,
            "subsidy.person.informed.v1": on_person_informed,
        },
    )


SUBSCRIPTIONS = subscriptions()
