"""HTTP routes of the eligibility service: thin — parse, call the use case, return a schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from subsidy_shared.auth import CurrentPrincipal
from subsidy_shared.clock import NowDep
from subsidy_shared.db import SessionDep
from subsidy_shared.pagination import Cursor
from subsidy_shared.validators import RegionCode
from subsidy_shared.workdays import china_date

from eligibility_service import policies_store, service, workflow, worklist
from eligibility_service.policy import PolicyVersion
from eligibility_service.schemas import (
    BulkApprovalCreate,
    BulkApprovalRead,
    CaseCounts,
    CaseList,
    CaseRead,
    ObjectionCreate,
    PolicyList,
    PolicyVersionRead,
    PrecheckCreate,
    ReviewCreate,
)
from eligibility_service.settings import Settings
from eligibility_service.steps import Step

router = APIRouter(prefix="/v1")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
Province = Annotated[str, Path(pattern=r"^[0-9]{2}$", description="two digits, e.g. 23 黑龙江")]


@router.get("/cases", tags=["cases"])
async def list_cases(
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    region: Annotated[RegionCode | None, Query(description="default: the caller's region")] = None,
    step: Step | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor | None = None,
) -> CaseList:
    """The worklist: a region's cases (default: open ones), soonest decision first, personal data masked."""
    return await worklist.list_cases(session, principal, region, step, limit, cursor, now)


@router.get("/cases/counts", tags=["cases"])
async def count_cases(
    session: SessionDep,
    principal: CurrentPrincipal,
    region: Annotated[RegionCode | None, Query(description="default: the caller's region")] = None,
) -> CaseCounts:
    """The worklist's counts per step: how many of a region's cases wait at each open step."""
    return await worklist.count_cases(session, principal, region)


@router.post("/cases/approvals", tags=["cases"])
async def approve_many(
    body: BulkApprovalCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep, settings: SettingsDep
) -> BulkApprovalRead:
    """审定 of many cases as recommended; each approved or skipped on its own, with why."""
    results = await workflow.approve_many(session, principal, body.application_ids, body.reason, now, settings)
    return BulkApprovalRead(results=results)


@router.get("/cases/{application_id}", tags=["cases"])
async def get_case(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> CaseRead:
    """A case at its locality: its step, the pre-check with its rules, the reviews, the decision clock."""
    return await service.get_case(session, principal, application_id, now)


@router.post("/cases/{application_id}/precheck", tags=["cases"])
async def rerun_precheck(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    body: PrecheckCreate | None = None,
) -> CaseRead:
    """Run the automatic pre-check again; optionally record the applicant's long-term-care declaration (E3)."""
    return await service.rerun_precheck(session, principal, application_id, body or PrecheckCreate(), now)


async def _act(
    action: workflow.Action,
    application_id: uuid.UUID,
    body: ReviewCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    settings: Settings,
) -> CaseRead:
    case = await workflow.act(session, principal, application_id, action, body, now, settings)
    return await service.case_view(session, case, now)


@router.post("/cases/{application_id}/review", tags=["review"])
async def review(
    application_id: uuid.UUID,
    body: ReviewCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    settings: SettingsDep,
) -> CaseRead:
    """乡镇/街道 审核 (township_reviewer); where the province delegates approval, this decides."""
    return await _act("review", application_id, body, session, principal, now, settings)


@router.post("/cases/{application_id}/verify", tags=["review"])
async def verify(
    application_id: uuid.UUID,
    body: ReviewCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    settings: SettingsDep,
) -> CaseRead:
    """县级残联 审核 of the certificate, its category and grade (county_disability_federation)."""
    return await _act("verify", application_id, body, session, principal, now, settings)


@router.post("/cases/{application_id}/approve", tags=["review"])
async def approve(
    application_id: uuid.UUID,
    body: ReviewCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    settings: SettingsDep,
) -> CaseRead:
    """县级民政 审定 (county_civil_affairs; a township_reviewer where delegated): the decision."""
    return await _act("approve", application_id, body, session, principal, now, settings)


@router.post("/cases/{application_id}/publicity/close", tags=["review"])
async def close_publicity(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> CaseRead:
    """公示 ended without objection: the held approval becomes the decision (county_civil_affairs)."""
    case = await workflow.close_publicity(session, principal, application_id, now)
    return await service.case_view(session, case, now)


@router.post("/cases/{application_id}/publicity/objection", tags=["review"])
async def object_in_publicity(
    application_id: uuid.UUID, body: ObjectionCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> CaseRead:
    """An objection during 公示 sends the case back to approval."""
    case = await workflow.object_in_publicity(session, principal, application_id, body.reason, now)
    return await service.case_view(session, case, now)


@router.get("/policies/{province}", tags=["policies"])
async def list_policies(
    province: Province, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> PolicyList:
    """Every version of a province's policy, and which is in force today (any signed-in role)."""
    return await policies_store.listing(session, province, china_date(now))


@router.put("/policies/{province}", status_code=201, tags=["policies"])
async def add_policy(
    province: Province, body: PolicyVersion, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> PolicyVersionRead:
    """A new version (provincial_admin of that province); amounts in whole 分, no start in the past."""
    row = await policies_store.add_version(session, principal, province, body, china_date(now), now)
    return PolicyVersionRead.of(row, body, in_force=None)
