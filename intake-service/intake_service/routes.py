"""HTTP routes of the intake service: thin — parse, authorise, call the service, return a schema."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.clock import NowDep
from subsidy_shared.db import SessionDep
from subsidy_shared.events import Subsidy
from subsidy_shared.money import Month
from subsidy_shared.openapi import problems
from subsidy_shared.pagination import Cursor
from subsidy_shared.validators import AreaCode, RegionCode
from subsidy_shared.workdays import china_date

from intake_service import materials, repository, requirements, rules, service, statistics, views
from intake_service.schemas import (
    ApplicationCreate,
    ApplicationDetail,
    ApplicationList,
    ApplicationRead,
    ApplicationStatistics,
    ApplicationStatus,
    MaterialItemRead,
    MaterialKind,
    MaterialRead,
    MaterialRuleCreate,
    MaterialRuleList,
    MaterialRuleRead,
    NotificationCreate,
    NotificationRead,
    PersonApplications,
    PersonLookup,
    RequirementsRead,
    WithdrawalCreate,
)

router = APIRouter(prefix="/v1")


@router.get("/requirements", tags=["requirements"])
async def get_requirements(
    hukou_region: Annotated[RegionCode, Query()],
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    subsidies: Annotated[list[Subsidy], Query(min_length=1)] = ["living", "nursing"],  # noqa: B006
    proxy: bool = False,
) -> RequirementsRead:
    """一次性告知: every material the hukou locality requires, in one answer."""
    today = china_date(now)
    items = await requirements.checklist(session, hukou_region, subsidies, proxy, today)
    return RequirementsRead(
        hukou_region=hukou_region,
        subsidies=sorted(set(subsidies)),
        proxy=proxy,
        as_of=today,
        materials=[MaterialItemRead(kind=i.kind, label=i.label, basis=i.basis) for i in items],
    )


@router.post("/requirements/rules", status_code=201, tags=["requirements"])
async def add_material_rule(
    body: MaterialRuleCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> MaterialRuleRead:
    """A province's or county's own addition to the checklist (provincial_admin), from a date."""
    return MaterialRuleRead.model_validate(await requirements.add_rule(session, principal, body, now))


class RuleEnd(BaseModel):
    effective_to: date


@router.post("/requirements/rules/{rule_id}/end", tags=["requirements"])
async def end_material_rule(
    rule_id: uuid.UUID, body: RuleEnd, session: SessionDep, principal: CurrentPrincipal
) -> MaterialRuleRead:
    return MaterialRuleRead.model_validate(await requirements.end_rule(session, principal, rule_id, body.effective_to))


@router.get("/requirements/rules", tags=["requirements"])
async def list_material_rules(
    session: SessionDep, principal: CurrentPrincipal, on: date | None = None
) -> MaterialRuleList:
    """The rules inside the caller's region; with `on`, only those in force that day."""
    rows = await requirements.list_rules(session, principal, on)
    return MaterialRuleList(items=[MaterialRuleRead.model_validate(r) for r in rows])


@router.post("/applications", status_code=201, tags=["applications"])
async def submit_application(
    body: ApplicationCreate, request: Request, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> ApplicationDetail:
    """Accept an application at the caller's window, whatever the applicant's hukou (跨省通办).

    The answer lists every material still to hand in; the case goes to its locality once they are all on file.
    """
    secret = request.app.state.settings.person_key_secret
    application = await service.submit_application(session, principal, body, secret, now)
    return await views.detail(session, application, now)


@router.get("/applications/{application_id}", tags=["applications"])
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> ApplicationDetail:
    """Status, timeline (every step, when, by whom), deadlines with their state, and the decision."""
    application = await service.get_application(session, principal, application_id)
    return await views.detail(session, application, now)


class MaterialUploaded(BaseModel):
    material: MaterialRead
    status: ApplicationStatus
    missing_materials: list[str]


@router.post("/applications/{application_id}/materials", status_code=201, tags=["materials"])
async def upload_material(
    application_id: uuid.UUID,
    kind: Annotated[MaterialKind, Form()],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
) -> MaterialUploaded:
    limit: int = request.app.state.settings.materials_max_bytes
    # The form was spooled before this runs, bounded by the request cap (max_upload_bytes, just above `limit`);
    # one byte past `limit` is enough to refuse the file.
    content = await file.read(limit + 1)
    material = await materials.upload(
        session, principal, application_id, kind, file.filename or "", content, limit, now
    )
    application = await service.get_application(session, principal, application_id)
    on_file = [m.kind for m in await repository.materials_for(session, application_id)]
    return MaterialUploaded(
        material=MaterialRead.model_validate(material),
        status=application.status,
        missing_materials=rules.missing_materials(application.required_materials, on_file),
    )


@router.get("/applications/{application_id}/materials/{material_id}", tags=["materials"])
async def download_material(
    application_id: uuid.UUID, material_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """The stored file, byte for byte (its SHA-256 is in the header); every download is audited."""
    material = await materials.download(session, principal, application_id, material_id)
    return Response(
        content=material.content,
        media_type=material.content_type,
        headers={"X-Content-SHA256": material.sha256, "Cache-Control": "no-store"},
    )


@router.post("/applications/{application_id}/withdraw", tags=["applications"])
async def withdraw_application(
    application_id: uuid.UUID, body: WithdrawalCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> ApplicationRead:
    return service.to_read(await service.withdraw(session, principal, application_id, body, now))


@router.post("/applications/{application_id}/notifications", status_code=201, tags=["applications"])
async def record_notification(
    application_id: uuid.UUID, body: NotificationCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> NotificationRead:
    """How and when the applicant was told the result (SMS, phone, in person, letter)."""
    notification = await service.record_notification(session, principal, application_id, body, now)
    return NotificationRead.model_validate(notification)


@router.get("/applications", tags=["applications"])
async def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Annotated[ApplicationStatus | None, Query(description="only applications of this status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor | None = None,
) -> ApplicationList:
    """Applications accepted in or belonging to the caller's region, oldest first, personal data masked."""
    return await service.list_applications(session, principal, status, limit, cursor)


@router.post("/persons/lookup", tags=["persons"], responses=problems(404))
async def lookup_person(
    body: PersonLookup, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> PersonApplications:
    """查找: a person's `person_key` and applications in the caller's area, by the ID number in the body (audited).

    The same 404 whether the person is unknown or known only outside the caller's area.
    """
    secret = request.app.state.settings.person_key_secret
    return await service.lookup_person(session, principal, body.id_number, secret)


@router.get("/statistics/applications", tags=["statistics"])
async def application_statistics(
    session: SessionDep,
    principal: CurrentPrincipal,
    region: Annotated[AreaCode | None, Query(description="a county, city or province; default: the caller's")] = None,
    from_month: Annotated[Month | None, Query(description="first month submitted, YYYY-MM")] = None,
    to_month: Annotated[Month | None, Query(description="last month submitted, YYYY-MM")] = None,
) -> ApplicationStatistics:
    """Applications received, decided, approved and refused by month, hukou county and scope (跨省通办)."""
    return await statistics.application_statistics(session, principal, region, from_month, to_month)
