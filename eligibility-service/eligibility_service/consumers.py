"""Eligibility handlers: one per event type."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.app import Subscriptions
from subsidy_shared.events import CaseRouted
from subsidy_shared.topics import CASES

from eligibility_service import service


async def on_case_routed(event: CaseRouted, session: AsyncSession) -> None:
    await service.receive_case(session, event.data)


SUBSCRIPTIONS = Subscriptions(topics=[CASES.name], handlers={"subsidy.case.routed.v1": on_case_routed})
