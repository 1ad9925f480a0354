"""HTTP routes of the routing service."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.db import SessionDep

from routing_service import service
from routing_service.schemas import CaseRead

router = APIRouter(prefix="/v1", tags=["cases"])


@router.get("/cases/{application_id}")
async def get_case(application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CaseRead:
    """Scope, locality (业务属地) and the working-day deadlines of a case."""
    return CaseRead.model_validate(await service.get_case(session, principal, application_id))
