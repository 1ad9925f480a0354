"""Intake use cases at the window: accept, show, list, withdraw, record that the applicant was told."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, outbox
from subsidy_shared.auth import CASE_READERS, Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, Forbidden, NotFound, OutsideRegion, Unprocessable
from subsidy_shared.events import (
    Agent,
    ApplicantNotified,
    ApplicantNotifiedData,
    ApplicationSubmitted,
    ApplicationSubmittedData,
    ApplicationWithdrawn,
    ApplicationWithdrawnData,
    BankAccount,
    Person,
)
from subsidy_shared.ids import mask_id_number, mask_name, person_key
from subsidy_shared.pagination import decode_cursor, encode_cursor
from subsidy_shared.regions import Level, parse_region
from subsidy_shared.workdays import china_date

from intake_service import repository, requirements, rules
from intake_service.models import Application, Notification
from intake_service.schemas import (
    ApplicationCreate,
    ApplicationList,
    ApplicationRead,
    ApplicationStatus,
    NotificationCreate,
    PersonApplications,
    WithdrawalCreate,
)

SOURCE = "liangbu/intake"
NO_PERSON = "no person with that ID number in your area"
# Once the locality has decided, withdrawing is no longer possible: the result stands and is notified.
WITHDRAWABLE = {"materials_pending", "complete", "pushed"}


async def submit_application(
    session: AsyncSession, principal: Principal, body: ApplicationCreate, person_key_secret: str, now: datetime
) -> Application:
    """受理: store the application with the checklist told to the applicant; no duplicates nationwide."""
    require_role(principal, Role.WINDOW_CLERK)
    if parse_region(principal.region).level is not Level.TOWNSHIP:
        raise Forbidden("a window clerk acts for a township (乡镇/街道): the token region must have 9 digits")
    key = person_key(body.applicant.id_number, person_key_secret)
    await _refuse_duplicates(session, key, body.subsidies)
    checklist = await requirements.checklist(
        session, body.hukou_region, body.subsidies, body.agent is not None, china_date(now)
    )
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
        status="materials_pending",
        accepted_by=principal.sub,
        submitted_at=now,
        required_materials=[item.kind for item in checklist],
    )
    await repository.add_application(session, application)
    if not await repository.claim_subsidies(session, application):
        await _refuse_duplicates(session, key, body.subsidies)  # lost a race: report the winner
        raise Conflict("an open application already exists for this person and subsidy")
    await repository.add_step(
        session,
        application.id,
        "received",
        now,
        principal.sub,
        principal.role,
        {"accepting_region": principal.region, "required_materials": application.required_materials},
    )
    await audit.record(session, principal, "application.submit", "application", str(application.id))
    return application


async def _refuse_duplicates(session: AsyncSession, key: str, subsidies: Sequence[str]) -> None:
    claims = await repository.open_claims_for(session, key, subsidies)
    if claims:
        first = claims[0]
        what = "already receives" if first.state == "receiving" else "already has an open application for"
        raise Conflict(
            f"this person {what} the {first.subsidy} subsidy (no 重复领取)",
            existing_application_id=str(first.application_id),
            existing_accepting_region=first.accepting_region,
            locality=first.hukou_region[:6],
            claim_state=first.state,
        )


async def complete_if_ready(
    session: AsyncSession, application: Application, now: datetime, principal: Principal
) -> None:
    """材料收齐: the moment the push clock starts; the application goes to routing only now."""
    if application.status != "materials_pending":
        return
    on_file = {m.kind for m in await repository.materials_for(session, application.id)}
    if rules.missing_materials(application.required_materials, on_file):
        return
    application.status = "complete"
    application.materials_complete_at = now
    await repository.add_step(session, application.id, "complete", now, principal.sub, principal.role)
    await outbox.add(session, _submitted_event(application))


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
        materials_complete_at=application.materials_complete_at,
        accepted_by=application.accepted_by,
    )
    return ApplicationSubmitted(source=SOURCE, subject=str(application.id), data=data)


async def get_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, for_update: bool = False
) -> Application:
    require_role(principal, *CASE_READERS)
    application = await repository.get_application(session, application_id, for_update=for_update)
    missing = f"no application {application_id}"
    if application is None:
        raise NotFound(missing)
    require_region(principal, application.accepting_region, application.hukou_region, not_found=missing)
    return application


async def window_application(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> Application:
    """An application the caller's window accepted, locked for a change."""
    require_role(principal, Role.WINDOW_CLERK)
    application = await get_application(session, principal, application_id, for_update=True)
    require_region(principal, application.accepting_region)
    return application


async def withdraw(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, body: WithdrawalCreate, now: datetime
) -> Application:
    application = await window_application(session, principal, application_id)
    if application.status not in WITHDRAWABLE:
        raise Conflict(f"an application that is {application.status} can no longer be withdrawn")
    before = application.status
    application.status = "withdrawn"
    application.withdrawn_at = now
    await repository.release_claims(session, application.id)
    await repository.add_step(
        session, application.id, "withdrawn", now, principal.sub, principal.role, {"reason": body.reason}
    )
    data = ApplicationWithdrawnData(
        application_id=application.id, person_key=application.person_key, reason=body.reason, withdrawn_at=now
    )
    await outbox.add(session, ApplicationWithdrawn(source=SOURCE, subject=str(application.id), data=data))
    await audit.record(
        session,
        principal,
        "application.withdraw",
        "application",
        str(application.id),
        before={"status": before},
        after={"status": "withdrawn"},
    )
    return application


async def record_notification(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, body: NotificationCreate, now: datetime
) -> Notification:
    """The applicant was told the result; the first telling meets the 3-working-day notify clock."""
    application = await window_application(session, principal, application_id)
    if application.status not in {"decided", "notified"} or application.result_returned_at is None:
        raise Conflict("the result has not come back to this window yet: there is nothing to tell")
    told_at = body.notified_at or now
    if told_at > now:
        raise Unprocessable.at(("body", "notified_at"), "a notification is recorded after it happened, not before")
    if told_at < application.result_returned_at:
        raise Unprocessable.at(("body", "notified_at"), "the applicant cannot be told before the result came back")
    notification = Notification(
        id=uuid.uuid4(),
        application_id=application.id,
        channel=body.channel,
        notified_at=told_at,
        recorded_by=principal.sub,
        recorded_at=now,
        note=body.note,
    )
    await repository.add_notification(session, notification)
    await repository.add_step(
        session, application.id, "notified", told_at, principal.sub, principal.role, {"channel": body.channel}
    )
    if application.notified_at is None:
        application.notified_at = told_at
        application.status = "notified"
        data = ApplicantNotifiedData(
            application_id=application.id,
            person_key=application.person_key,
            channel=body.channel,
            notified_at=told_at,
            notified_by=principal.sub,
        )
        await outbox.add(session, ApplicantNotified(source=SOURCE, subject=str(application.id), data=data))
    await audit.record(
        session, principal, "application.notify", "application", str(application.id), after={"channel": body.channel}
    )
    return notification


def to_read(application: Application, on_file: Sequence[str] = ()) -> ApplicationRead:
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
        missing_materials=rules.missing_materials(application.required_materials, on_file)
        if application.status == "materials_pending"
        else [],
    )


async def list_applications(
    session: AsyncSession,
    principal: Principal,
    status: ApplicationStatus | None,
    limit: int,
    cursor: str | None,
) -> ApplicationList:
    require_role(principal, *CASE_READERS)
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID) if cursor else None
    rows = await repository.list_applications(session, principal.region_prefix, status, limit, after)
    next_cursor = encode_cursor(rows[-1].submitted_at, rows[-1].id) if len(rows) == limit else None
    on_file = await repository.kinds_on_file(session, [a.id for a in rows])
    return ApplicationList(items=[to_read(a, on_file.get(a.id, [])) for a in rows], next_cursor=next_cursor)


async def lookup_person(
    session: AsyncSession, principal: Principal, id_number: str, person_key_secret: str
) -> PersonApplications:
    """查找: a person's applications in the caller's area, by ID number; every lookup that finds one is audited.

    A person known only elsewhere gets the same 404 as one unknown everywhere (the denial is audited).
    """
    require_role(principal, *CASE_READERS)
    key = person_key(id_number, person_key_secret)
    found = await repository.applications_of_person(session, key, principal.region_prefix)
    if not found:
        if await repository.person_has_applications(session, key):
            raise OutsideRegion(NO_PERSON, reason=f"person {key} has applications only outside {principal.region}")
        raise NotFound(NO_PERSON)
    await audit.record(session, principal, "person.lookup", "person", key, after={"applications": len(found)})
    on_file = await repository.kinds_on_file(session, [a.id for a in found])
    return PersonApplications(person_key=key, applications=[to_read(a, on_file.get(a.id, [])) for a in found])
