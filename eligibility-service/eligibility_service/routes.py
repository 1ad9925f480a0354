"""HTTP routes of the eligibility service."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.db import SessionDep

from eligibility_service import service
from eligibility_service.schemas import CaseRead

router = APIRouter(prefix="/v1", tags=["cases"])


@router.get("/cases/{application_id}")
async def get_case(application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CaseRead:
    """A case at its locality: where it is in the review and when the decision is due."""
    return CaseRead.of(await service.get_case(session, principal, application_id))
