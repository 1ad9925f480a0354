"""Request and response models of the review API; personal data in lists is masked."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from subsidy_shared.events import FindingAction, Subsidy
from subsidy_shared.ids import mask_id_number, mask_name
from subsidy_shared.money import YEAR_PATTERN, Month
from subsidy_shared.text import Reason, Text
from subsidy_shared.validators import PersonKey, RegionCode, matching

from review_service.models import CampaignItem, CertificateReminder, Finding
from review_service.rules import shown_evidence

CampaignKind = Literal["annual_review", "monthly_check", "quarterly_comparison"]
CheckMethod = Literal["face_recognition", "home_visit", "video"]
InformChannel = Literal["visit", "phone", "sms", "letter", "in_person"]
# Periods share the years a Month may have (money.YEAR_PATTERN).
YEAR = f"^{YEAR_PATTERN}$"
QUARTER = f"^{YEAR_PATTERN}-Q[1-4]$"
PERIOD = f"^{YEAR_PATTERN}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
Quarter = Annotated[
    str,
    Field(json_schema_extra={"pattern": QUARTER}, examples=["2026-Q4"]),
    matching(QUARTER, "a quarter is written 2026-Q4"),
]
FieldNote = Annotated[Text, Field(max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def masked_name(name: str | None) -> str | None:
    return mask_name(name) if name else None


# ---- registry imports ------------------------------------------------------------------------------------


class RejectedLine(BaseModel):
    line: int
    reason: str


class ImportRead(BaseModel):
    """What an upload did: lines read, records kept, how many changed (and were published), bad lines."""

    received: int
    accepted: int
    changed: int
    unchanged: int
    rejected: list[RejectedLine]


# ---- comparison runs and findings ----------------------------------------------------------------------------


class ComparisonRunCreate(Body):
    region: RegionCode | None = Field(default=None, description="default: the caller's region")


class ComparisonRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    region: str
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    checked: int = Field(description="people compared (beneficiaries of the region)")
    raised: int = Field(description="new findings")
    by_rule: dict[str, int]


class FindingRead(BaseModel):
    id: uuid.UUID
    person_key: str
    name: str | None
    id_number: str
    hukou_region: str
    subsidies: list[Subsidy]
    rule_id: str
    source: str
    evidence: dict[str, Any]
    suggested_action: FindingAction
    effective_month: str
    status: Literal["open", "concluded"]
    raised_at: datetime
    conclusion: dict[str, Any] | None

    @classmethod
    def of(cls, f: Finding) -> FindingRead:
        return cls(
            id=f.id,
            person_key=f.person_key,
            name=masked_name(f.name),
            id_number=mask_id_number(f.id_number),
            hukou_region=f.hukou_region,
            subsidies=f.subsidies,
            rule_id=f.rule_id,
            source=f.record_source,
            evidence=shown_evidence(f.evidence),
            suggested_action=f.suggested_action,
            effective_month=f.effective_month,
            status=f.status,
            raised_at=f.raised_at,
            conclusion=f.conclusion,
        )


class FindingList(BaseModel):
    items: list[FindingRead]
    next_cursor: str | None


class ConclusionCreate(Body):
    """A county official's decision on a finding (县级民政 会同残联, 70号 item 8)."""

    action: FindingAction
    reason: Reason
    effective_month: Month | None = Field(default=None, description="first month not paid; default: the finding's")
    subsidies: list[Subsidy] | None = Field(default=None, min_length=1, description="default: the finding's")


# ---- campaigns ------------------------------------------------------------------------------------------------


class CampaignCreate(Body):
    kind: CampaignKind
    region: RegionCode
    period: str = Field(
        pattern=PERIOD,
        description="annual_review: 2026; monthly_check: 2026-11; quarterly_comparison: 2026-Q4",
    )


class CountyProgress(BaseModel):
    county: str
    total: int
    done: int
    completion_rate: float


class CampaignRead(BaseModel):
    id: uuid.UUID
    kind: CampaignKind
    region: str
    period: str
    created_by: str
    created_at: datetime
    total: int
    done: int
    completion_rate: float
    counties: list[CountyProgress]


class CampaignItemRead(BaseModel):
    id: int
    person_key: str
    subject: str
    county: str
    township: str | None
    name: str | None
    id_number: str
    detail: dict[str, Any]
    status: Literal["pending", "done"]
    outcome: str | None
    method: str | None
    note: str | None
    checked_by: str | None
    checked_at: datetime | None

    @classmethod
    def of(cls, item: CampaignItem) -> CampaignItemRead:
        return cls(
            id=item.id,
            person_key=item.person_key,
            subject=item.subject,
            county=item.county,
            township=item.township,
            name=masked_name(item.name),
            id_number=mask_id_number(item.id_number),
            detail=item.detail,
            status=item.status,
            outcome=item.outcome,
            method=item.method,
            note=item.note,
            checked_by=item.checked_by,
            checked_at=item.checked_at,
        )


class CampaignItemList(BaseModel):
    items: list[CampaignItemRead]
    next_cursor: str | None


class ItemCheckCreate(Body):
    outcome: Literal["confirmed", "changed", "not_found"]
    method: Literal["data_comparison", "home_visit", "phone", "video", "interview", "self_declaration"]
    note: FieldNote | None = None


class MismatchRead(BaseModel):
    subject: Literal["beneficiary", "application"]
    application_id: uuid.UUID | None
    person_key: str
    name: str | None
    id_number: str
    hukou_region: str
    subsidies: list[str]
    mismatches: list[str]
    certificate: dict[str, Any] | None


class QuarterlyReport(BaseModel):
    """民政–残联 comparison (70号 item 6): applications and beneficiaries against certificate data."""

    region: str
    quarter: str
    as_of: date
    beneficiaries_checked: int
    applications_checked: int
    mismatch_count: int
    mismatches: list[MismatchRead]


# ---- reminders, survival checks, discovery --------------------------------------------------------------------


class ReminderRead(BaseModel):
    person_key: str
    name: str | None
    id_number: str
    certificate_number: str
    township: str
    expires_on: date
    reminded_at: datetime

    @classmethod
    def of(cls, r: CertificateReminder) -> ReminderRead:
        return cls(
            person_key=r.person_key,
            name=masked_name(r.name),
            id_number=mask_id_number(r.id_number),
            certificate_number=mask_id_number(r.certificate_number),
            township=r.township,
            expires_on=r.expires_on,
            reminded_at=r.reminded_at,
        )


class ReminderList(BaseModel):
    items: list[ReminderRead]
    next_cursor: str | None


class ReminderRunRead(BaseModel):
    reminded: int


class SurvivalCheckCreate(Body):
    person_key: PersonKey
    method: CheckMethod
    result: Literal["passed", "failed"]
    checked_on: date | None = Field(default=None, description="default: today (Beijing time)")
    note: FieldNote | None = None


class SurvivalCheckRead(BaseModel):
    id: int
    person_key: str
    method: CheckMethod
    result: Literal["passed", "failed"]
    checked_on: date
    checked_by: str
    finding_id: uuid.UUID | None = Field(default=None, description="the finding a failed check raised")


class OverdueRead(BaseModel):
    person_key: str
    name: str | None
    id_number: str
    hukou_region: str
    last_passed_on: date | None
    due_on: date


class OverdueList(BaseModel):
    items: list[OverdueRead]
    next_cursor: str | None


class DiscoveryRead(BaseModel):
    person_key: str
    name: str | None
    id_number: str
    township: str
    category: int | None
    grade: int | None
    in_dibao: bool
    subsidies: list[Subsidy] = Field(description="what the person may apply for and neither gets nor applied for")
    informed_at: datetime | None


class DiscoveryList(BaseModel):
    items: list[DiscoveryRead]
    next_cursor: str | None


class InformedCreate(Body):
    channel: InformChannel
    subsidies: list[Subsidy] | None = Field(default=None, min_length=1, description="default: what discovery lists")


class InformedRead(BaseModel):
    person_key: str
    subsidies: list[Subsidy]
    township: str | None
    channel: InformChannel
    informed_by: str
    informed_at: datetime
