"""HTTP routes of the routing service: thin — parse, authorise, call the use case, return a schema."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.clock import NowDep
from subsidy_shared.db import SessionDep
from subsidy_shared.openapi import problems
from subsidy_shared.pagination import Cursor
from subsidy_shared.validators import AreaCode
from subsidy_shared.workdays import china_date

from routing_service import deadlines, exchange_service, service, views
from routing_service.schemas import CaseRead, ClockStatistics, ExchangeCaseCreate, ExchangeDecisionCreate, OverdueList

router = APIRouter(prefix="/v1", tags=["cases"])
exchange_router = APIRouter(prefix="/v1/exchange", tags=["exchange"])


# Declared before /cases/{application_id}, which would otherwise take "overdue" for an id.
@router.get("/cases/overdue")
async def list_overdue(
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    region: Annotated[AreaCode | None, Query(description="a county, city or province; default: the caller's")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor | None = None,
) -> OverdueList:
    """Cases with a breached clock in `region` (default: the caller's), oldest due date first; masked."""
    return await deadlines.list_overdue(session, principal, region, limit, cursor, now)


@router.get("/statistics/clocks", tags=["statistics"])
async def clock_statistics(
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    region: Annotated[AreaCode | None, Query(description="a county, city or province; default: the caller's")] = None,
    from_date: Annotated[date | None, Query(description="first due date counted")] = None,
    to_date: Annotated[date | None, Query(description="last due date counted")] = None,
) -> ClockStatistics:
    """Push, decision and notify clocks due in the range: met, breached, open and the share met, by county and week."""
    return await deadlines.clock_statistics(session, principal, region, from_date, to_date, now)


@router.get("/cases/{application_id}")
async def get_case(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> CaseRead:
    """Scope, locality (业务属地), status and the three working-day clocks of a case."""
    case = await service.get_case(session, principal, application_id)
    return views.case_read(case, china_date(now))


@exchange_router.post("/cases", status_code=201, responses={200: {"description": "a repeat: the same case"}})
async def accept_exchange_case(
    body: ExchangeCaseCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
) -> CaseRead:
    """A province system hands over a case accepted at one of its windows for a hukou elsewhere."""
    settings = request.app.state.settings
    case, created = await exchange_service.accept_case(session, principal, body, settings, now)
    if not created:
        response.status_code = 200
    return views.case_read(case, china_date(now))


@exchange_router.post("/decisions", responses=problems(404))
async def record_exchange_decision(
    body: ExchangeDecisionCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> CaseRead:
    """A province system's decision on a case we pushed to it; the same decision again is a no-op."""
    case = await exchange_service.record_decision(session, principal, body, now)
    return views.case_read(case, china_date(now))
