"""HTTP routes of the intake service: thin — parse, authorise, call the service, return a schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.db import SessionDep

from intake_service import service
from intake_service.schemas import ApplicationCreate, ApplicationList, ApplicationRead

router = APIRouter(prefix="/v1", tags=["applications"])


@router.post("/applications", status_code=201)
async def submit_application(
    body: ApplicationCreate, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationRead:
    """Accept an application at the caller's window, whatever the applicant's hukou (跨省通办)."""
    secret = request.app.state.settings.person_key_secret
    application = await service.submit_application(session, principal, body, secret)
    return service.to_read(application)


@router.get("/applications/{application_id}")
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationRead:
    return service.to_read(await service.get_application(session, principal, application_id))


@router.get("/applications")
async def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ApplicationList:
    """Applications accepted in or belonging to the caller's region, personal data masked."""
    return await service.list_applications(session, principal, limit, cursor)
