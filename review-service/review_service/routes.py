"""HTTP routes of the review service: thin — parse, call the use case, return a schema."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from subsidy_shared.auth import CurrentPrincipal, require_role
from subsidy_shared.clock import NowDep
from subsidy_shared.db import SessionDep
from subsidy_shared.openapi import problems
from subsidy_shared.pagination import Cursor
from subsidy_shared.text import Line
from subsidy_shared.validators import PersonKey, RegionCode

from review_service import access, campaigns, comparison, discovery, findings, imports, reminders, survival, uploads
from review_service.schemas import (
    CampaignCreate,
    CampaignItemList,
    CampaignItemRead,
    CampaignRead,
    ComparisonRunCreate,
    ComparisonRunRead,
    ConclusionCreate,
    DiscoveryList,
    FindingList,
    FindingRead,
    ImportRead,
    InformedCreate,
    InformedRead,
    ItemCheckCreate,
    OverdueList,
    Quarter,
    QuarterlyReport,
    ReminderList,
    ReminderRunRead,
    SurvivalCheckCreate,
    SurvivalCheckRead,
)
from review_service.settings import Settings

router = APIRouter(prefix="/v1")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
Limit = Annotated[int, Query(ge=1, le=500)]
Region = Annotated[RegionCode | None, Query(description="default: the caller's region")]
_LINES = {"type": "string", "description": "one record per line"}
_UPLOAD: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": _LINES},
            "text/csv": {"schema": _LINES},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}


# ---- registry -------------------------------------------------------------------------------------------


@router.post("/registry/records", tags=["registry"], openapi_extra=_UPLOAD)
async def import_records(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: NowDep, settings: SettingsDep
) -> ImportRead:
    """Import registry records (JSON lines or CSV): good lines kept, bad ones reported by number and reason;
    only records new or different from the stored ones are published as registry.record_changed."""
    require_role(principal, *access.IMPORTERS)  # before reading a large body
    text, fmt = await uploads.read_upload(request, settings.import_max_bytes)
    return await imports.import_upload(session, principal, text, fmt, settings.person_key_secret, now)


# ---- comparison runs and findings -------------------------------------------------------------------------


@router.post("/comparison-runs", status_code=201, tags=["findings"])
async def run_comparison(
    session: SessionDep, principal: CurrentPrincipal, now: NowDep, body: ComparisonRunCreate | None = None
) -> ComparisonRunRead:
    """Compare a region's beneficiaries with the registry now; raises findings (idempotent)."""
    run = await comparison.run_requested(session, principal, (body or ComparisonRunCreate()).region, now)
    return ComparisonRunRead.model_validate(run)


@router.get("/comparison-runs/{run_id}", tags=["findings"])
async def get_comparison_run(run_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> ComparisonRunRead:
    return ComparisonRunRead.model_validate(await comparison.get_run(session, principal, run_id))


@router.get("/findings", tags=["findings"])
async def list_findings(
    session: SessionDep,
    principal: CurrentPrincipal,
    region: Region = None,
    status: Literal["open", "concluded"] | None = None,
    rule_id: Annotated[Line | None, Query(max_length=100, examples=["death.recorded"])] = None,
    limit: Limit = 50,
    cursor: Cursor | None = None,
) -> FindingList:
    """A region's findings, oldest first, personal data masked."""
    return await findings.list_findings(session, principal, region, status, rule_id, limit, cursor)


@router.get("/findings/{finding_id}", tags=["findings"])
async def get_finding(finding_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> FindingRead:
    return FindingRead.of(await findings.get_finding(session, principal, finding_id))


@router.post("/findings/{finding_id}/conclude", tags=["findings"])
async def conclude_finding(
    finding_id: uuid.UUID, body: ConclusionCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> FindingRead:
    """County civil affairs concludes: continue, suspend, terminate or rate change (→ finding.concluded)."""
    return FindingRead.of(await findings.conclude(session, principal, finding_id, body, now))


# ---- campaigns and the quarterly comparison ---------------------------------------------------------------


@router.post("/review-campaigns", status_code=201, tags=["campaigns"])
async def create_campaign(
    body: CampaignCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> CampaignRead:
    """The yearly provincial review, a monthly village check or a quarterly 民政–残联 comparison."""
    return await campaigns.create(session, principal, body, now)


@router.get("/review-campaigns/{campaign_id}", tags=["campaigns"])
async def get_campaign(campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CampaignRead:
    """Progress and completion rate, per county."""
    return await campaigns.get(session, principal, campaign_id)


@router.get("/review-campaigns/{campaign_id}/items", tags=["campaigns"])
async def list_campaign_items(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    region: Region = None,
    status: Literal["pending", "done"] | None = None,
    limit: Limit = 50,
    cursor: Cursor | None = None,
) -> CampaignItemList:
    return await campaigns.items(session, principal, campaign_id, region, status, limit, cursor)


@router.post("/review-campaigns/{campaign_id}/items/{item_id}/check", tags=["campaigns"])
async def check_campaign_item(
    campaign_id: uuid.UUID,
    item_id: int,
    body: ItemCheckCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
) -> CampaignItemRead:
    return await campaigns.check_item(session, principal, campaign_id, item_id, body, now)


@router.get("/reports/quarterly-comparison", tags=["campaigns"])
async def quarterly_comparison(
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    region: Region = None,
    quarter: Annotated[Quarter | None, Query(description="e.g. 2026-Q4; default: this quarter")] = None,
) -> QuarterlyReport:
    """Applications and beneficiaries against certificate data: every mismatch listed."""
    return await campaigns.quarterly_report(session, principal, region, quarter, now)


# ---- reminders, survival checks, discovery ----------------------------------------------------------------


@router.get("/reminders/certificate-expiry", tags=["reminders"])
async def list_expiry_reminders(
    session: SessionDep,
    principal: CurrentPrincipal,
    region: Region = None,
    limit: Limit = 50,
    cursor: Cursor | None = None,
) -> ReminderList:
    """Certificates reminded of their expiry, per township, soonest expiry first."""
    return await reminders.list_reminders(session, principal, region, limit, cursor)


@router.post("/reminders/certificate-expiry/run", tags=["reminders"])
async def run_expiry_reminders(
    session: SessionDep, principal: CurrentPrincipal, now: NowDep, settings: SettingsDep
) -> ReminderRunRead:
    """Remind every card expiring within 6 months that was not reminded yet (the background job, on demand)."""
    return ReminderRunRead(reminded=await reminders.run_requested(session, principal, now, settings.reminder_months))


@router.post("/survival-checks", status_code=201, tags=["survival"], responses=problems(404))
async def record_survival_check(
    body: SurvivalCheckCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> SurvivalCheckRead:
    """A face-recognition, home-visit or video check; a failed one raises a finding."""
    return await survival.record_check(session, principal, body, now)


@router.get("/survival-checks/overdue", tags=["survival"])
async def list_overdue_survival_checks(
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    settings: SettingsDep,
    region: Region = None,
    limit: Limit = 50,
    cursor: Cursor | None = None,
) -> OverdueList:
    return await survival.overdue(session, principal, region, limit, cursor, now, settings.survival_check_months)


@router.get("/discovery", tags=["discovery"])
async def list_discovery(
    session: SessionDep,
    principal: CurrentPrincipal,
    now: NowDep,
    region: Region = None,
    limit: Limit = 50,
    cursor: Cursor | None = None,
) -> DiscoveryList:
    """政策找人: who the registry says qualifies and neither gets the subsidy nor applied, per township."""
    return await discovery.listing(session, principal, region, limit, cursor, now)


@router.post("/discovery/{person_key}/informed", status_code=201, tags=["discovery"])
async def record_informed(
    person_key: PersonKey, body: InformedCreate, session: SessionDep, principal: CurrentPrincipal, now: NowDep
) -> InformedRead:
    """Someone was told of the policy (P8: a later application gets no backpay)."""
    return await discovery.informed(session, principal, person_key, body, now)
