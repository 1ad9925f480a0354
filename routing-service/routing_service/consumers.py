"""Routing handlers: one per event type, each a plain function of the event and a session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.events import ApplicationSubmitted
from subsidy_shared.topics import APPLICATIONS

from routing_service import service


async def on_application_submitted(event: ApplicationSubmitted, session: AsyncSession) -> None:
    await service.route_application(session, event.data)


SUBSCRIPTIONS = Subscriptions(
    topics=[APPLICATIONS.name],
    handlers={"subsidy.application.submitted.v1": on_application_submitted},
)
