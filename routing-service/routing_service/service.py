"""Routing use cases: send each case to its locality, with its deadlines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import outbox
from subsidy_shared.auth import Principal, require_region
from subsidy_shared.errors import NotFound
from subsidy_shared.events import ApplicationSnapshot, CaseRouted, CaseRoutedData
from subsidy_shared.workdays import china_date

from routing_service import repository, rules
from routing_service.models import Case

SOURCE = "liangbu/routing"


async def route_application(session: AsyncSession, application: ApplicationSnapshot) -> None:
    """Route to the hukou county (业务属地) and queue `case.routed`; a second call is a no-op."""
    now = datetime.now(UTC)
    locality = rules.locality_of(application.hukou_region)
    complete_at = application.materials_complete_at or application.submitted_at
    values: dict[str, object] = {
        "application_id": application.application_id,
        "person_key": application.person_key,
        "scope": rules.scope_of(application.accepting_region, application.hukou_region).value,
        "accepting_region": application.accepting_region,
        "hukou_region": application.hukou_region,
        "locality_county": locality.county,
        "locality_township": locality.township,
        "materials_complete_at": complete_at,
        "push_due": rules.push_due(china_date(complete_at)),
        "received_at": now,
        "decision_due": rules.decision_due(china_date(now)),
        "status": "routed",
        "application": application.model_dump(mode="json"),
    }
    if not await repository.add_case(session, values):
        return
    await outbox.add(session, _routed_event(values, application))


def _routed_event(values: dict[str, object], application: ApplicationSnapshot) -> CaseRouted:
    data = CaseRoutedData.model_validate({**values, "application": application})
    return CaseRouted(source=SOURCE, subject=str(application.application_id), data=data)


async def get_case(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> Case:
    case = await repository.get_case(session, application_id)
    if case is None:
        raise NotFound(f"no case {application_id}")
    require_region(principal, case.accepting_region, case.hukou_region)
    return case
