"""Request and response models of the intake API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from subsidy_shared.events import ScopeName, Subsidy, SubsidyOutcome
from subsidy_shared.inputs import AgentIn, ApplicantIn, BankAccountIn, Strict, SubsidyList
from subsidy_shared.money import Month
from subsidy_shared.regions import InvalidRegion, parse_region
from subsidy_shared.text import Line, Note, Text
from subsidy_shared.validators import CertificateNumber, IdNumber, RegionCode
from subsidy_shared.workdays import DeadlineState


class ApplicationCreate(Strict):
    """An application handed in at the caller's window (the window comes from the token)."""

    applicant: ApplicantIn
    hukou_region: RegionCode
    certificate_number: CertificateNumber
    subsidies: SubsidyList
    bank_account: BankAccountIn
    agent: AgentIn | None = None

    @model_validator(mode="after")
    def _certificate_is_the_applicants(self) -> ApplicationCreate:
        if self.certificate_number[:18] != self.applicant.id_number:
            raise ValueError("certificate_number must begin with the applicant's ID number")
        if self.agent is not None and self.agent.id_number == self.applicant.id_number:
            raise ValueError("the agent (代办人) is someone other than the applicant")
        return self


MaterialKind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$", description="e.g. id_card, dibao_certificate")]


class MaterialItemRead(BaseModel):
    kind: str
    label: str
    basis: str = Field(description="national, or the local rule (id@region) that added it")


class RequirementsRead(BaseModel):
    """The complete checklist, told once (一次性告知)."""

    hukou_region: str
    subsidies: list[Subsidy]
    proxy: bool
    as_of: date
    materials: list[MaterialItemRead]


ApplicationStatus = Literal["materials_pending", "complete", "pushed", "decided", "notified", "withdrawn"]


class ApplicationRead(BaseModel):
    id: uuid.UUID
    status: ApplicationStatus
    submitted_at: datetime
    subsidies: list[Subsidy]
    hukou_region: str
    accepting_region: str
    applicant_name: str = Field(description="masked")
    applicant_id_number: str = Field(description="masked")
    agent: bool
    missing_materials: list[str] = Field(description="kinds still to hand in before the case is pushed")


class StepRead(BaseModel):
    step: str
    at: datetime
    actor: str
    actor_role: str | None
    detail: dict[str, Any]


class DeadlineRead(BaseModel):
    name: Literal["push", "decision", "notify"]
    due: date
    done_on: date | None
    state: DeadlineState
    met: bool


class MaterialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class DecisionRead(BaseModel):
    decided_at: datetime | None
    returned_at: datetime
    outcomes: list[SubsidyOutcome]


class ApplicationDetail(ApplicationRead):
    """One application: where it stands, how it got there, what is due, what was decided."""

    required_materials: list[MaterialItemRead]
    materials: list[MaterialRead]
    locality_county: str | None
    deadlines: list[DeadlineRead]
    decision: DecisionRead | None
    timeline: list[StepRead]


class ApplicationList(BaseModel):
    items: list[ApplicationRead]
    next_cursor: str | None = None


class PersonLookup(Strict):
    """Who to find: the ID number travels in the body only (never in a URL, a log or an event key)."""

    id_number: IdNumber


class PersonApplications(BaseModel):
    """A person's applications inside the caller's area; `person_key` is what payment's ledger is keyed by."""

    person_key: str
    applications: list[ApplicationRead]


class ApplicationCounts(BaseModel):
    month: Month = Field(description="the month submitted, China time")
    county: str = Field(description="the hukou county (业务属地)")
    scope: ScopeName = Field(description="跨省通办 scope between the accepting window and the hukou")
    received: int
    decided: int = Field(description="the result has come back to the window")
    approved: int = Field(description="decided, at least one subsidy approved")
    refused: int = Field(description="decided, every subsidy refused")


class ApplicationStatistics(BaseModel):
    region: str
    rows: list[ApplicationCounts]


class NotificationCreate(Strict):
    channel: Literal["sms", "phone", "in_person", "letter"]
    notified_at: AwareDatetime | None = Field(default=None, description="when the applicant was told; default now")
    note: Note | None = None


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: str
    notified_at: datetime
    recorded_by: str
    recorded_at: datetime


class WithdrawalCreate(Strict):
    reason: Annotated[Text, Field(min_length=1, max_length=200)]


class MaterialRuleCreate(Strict):
    """A local addition to the checklist, e.g. 低保证明 for `living` in Heilongjiang (region 23)."""

    region: str = Field(pattern=r"^[0-9]{2}([0-9]{2}){0,2}$", description="2-digit province, 4 city, 6 county")
    kind: MaterialKind
    label: Annotated[Line, Field(min_length=1, max_length=60)]
    subsidy: Subsidy | None = None
    proxy_only: bool = False
    effective_from: date
    effective_to: date | None = None

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        try:
            parse_region(value.ljust(6, "0"))
        except InvalidRegion as exc:
            raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _dates(self) -> MaterialRuleCreate:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must come after effective_from")
        return self


class MaterialRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    region: str
    kind: str
    label: str
    subsidy: str | None
    proxy_only: bool
    effective_from: date
    effective_to: date | None
    created_by: str
    created_at: datetime


class MaterialRuleList(BaseModel):
    items: list[MaterialRuleRead]
