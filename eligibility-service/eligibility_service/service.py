"""Eligibility use cases: receive a routed case; show it to reviewers."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import Principal, require_region
from subsidy_shared.errors import NotFound
from subsidy_shared.events import CaseRoutedData

from eligibility_service import repository
from eligibility_service.models import Case

FIRST_STEP = "township_review"  # 乡镇 审核 comes first in every flow


async def receive_case(session: AsyncSession, routed: CaseRoutedData) -> None:
    """A case reaches its locality; a redelivered case.routed changes nothing."""
    await repository.add_case(
        session,
        {
            "application_id": routed.application_id,
            "person_key": routed.person_key,
            "scope": routed.scope,
            "accepting_region": routed.accepting_region,
            "hukou_region": routed.hukou_region,
            "locality_county": routed.locality_county,
            "subsidies": list(routed.application.subsidies),
            "received_at": routed.received_at,
            "decision_due": routed.decision_due,
            "step": FIRST_STEP,
            "application": routed.application.model_dump(mode="json"),
        },
    )


async def get_case(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> Case:
    case = await repository.get_case(session, application_id)
    if case is None:
        raise NotFound(f"no case {application_id}")
    # Reviewers act for the locality; the accepting window may follow its own applications.
    require_region(principal, case.hukou_region, case.accepting_region)
    return case
