"""Intake use cases: accept an application at a window, show it, list it."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from subsidy_shared.events import (
    Agent,
    ApplicationSubmitted,
    ApplicationSubmittedData,
    BankAccount,
    Person,
)
from subsidy_shared.ids import mask_id_number, mask_name, person_key
from subsidy_shared.regions import Level, parse_region

from intake_service import repository
from intake_service.models import Application
from intake_service.schemas import ApplicationCreate, ApplicationList, ApplicationRead

SOURCE = "liangbu/intake"


async def submit_application(
    session: AsyncSession, principal: Principal, body: ApplicationCreate, person_key_secret: str
) -> Application:
    """受理: store the application and queue `application.submitted` in one transaction."""
    require_role(principal, Role.WINDOW_CLERK)
    if parse_region(principal.region).level is not Level.TOWNSHIP:
        raise Forbidden("a window clerk acts for a township (乡镇/街道): the token region must have 9 digits")
    key = person_key(body.applicant.id_number, person_key_secret)
    await _refuse_duplicates(session, key, body.subsidies)
    application = Application(
        id=uuid.uuid4(),
        person_key=key,
        id_number=body.applicant.id_number,
        name=body.applicant.name,
        phone=body.applicant.phone,
        hukou_region=body.hukou_region,
        accepting_region=principal.region,
        certificate_number=body.certificate_number,
        subsidies=list(body.subsidies),
        bank_account=body.bank_account.model_dump(),
        agent=body.agent.model_dump() if body.agent else None,
        status="received",
        accepted_by=principal.sub,
        submitted_at=datetime.now(UTC),
    )
    await repository.add_application(session, application)
    if not await repository.claim_subsidies(session, application):
        await _refuse_duplicates(session, key, body.subsidies)  # lost a race: report the winner
        raise Conflict("an open application already exists for this person and subsidy")
    await outbox.add(session, _submitted_event(application))
    await audit.record(session, principal, "application.submit", "application", str(application.id))
    return application


async def _refuse_duplicates(session: AsyncSession, key: str, subsidies: Sequence[str]) -> None:
    claims = await repository.open_claims_for(session, key, subsidies)
    if claims:
        first = claims[0]
        raise Conflict(
            f"this person already has an open application for {first.subsidy}",
            existing_application_id=str(first.application_id),
            existing_accepting_region=first.accepting_region,
            locality=first.hukou_region[:6],
        )


def _submitted_event(application: Application) -> ApplicationSubmitted:
    data = ApplicationSubmittedData(
        application_id=application.id,
        person_key=application.person_key,
        applicant=Person(id_number=application.id_number, name=application.name, phone=application.phone),
        hukou_region=application.hukou_region,
        accepting_region=application.accepting_region,
        certificate_number=application.certificate_number,
        subsidies=tuple(application.subsidies),
        bank_account=BankAccount(**application.bank_account),
        agent=Agent(**application.agent) if application.agent else None,
        submitted_at=application.submitted_at,
        materials_complete_at=application.submitted_at,
        accepted_by=application.accepted_by,
    )
    return ApplicationSubmitted(source=SOURCE, subject=str(application.id), data=data)


async def get_application(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> Application:
    application = await repository.get_application(session, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}")
    require_region(principal, application.accepting_region, application.hukou_region)
    return application


def to_read(application: Application) -> ApplicationRead:
    return ApplicationRead(
        id=application.id,
        status=application.status,
        submitted_at=application.submitted_at,
        subsidies=application.subsidies,
        hukou_region=application.hukou_region,
        accepting_region=application.accepting_region,
        applicant_name=mask_name(application.name),
        applicant_id_number=mask_id_number(application.id_number),
        agent=application.agent is not None,
    )


async def list_applications(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> ApplicationList:
    after = _decode_cursor(cursor) if cursor else None
    rows = await repository.list_applications(session, principal.region_prefix, limit, after)
    next_cursor = _encode_cursor(rows[-1]) if len(rows) == limit else None
    return ApplicationList(items=[to_read(a) for a in rows], next_cursor=next_cursor)


def _encode_cursor(application: Application) -> str:
    raw = f"{application.submitted_at.isoformat()}|{application.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        moment, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), uuid.UUID(ident)
    except ValueError as exc:
        raise Unprocessable.at(("query", "cursor"), "not a cursor returned by this list") from exc
