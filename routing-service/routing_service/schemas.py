"""Request and response models of the routing API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator
from subsidy_shared.events import ScopeName, Subsidy, SubsidyOutcome
from subsidy_shared.inputs import AgentIn, ApplicantIn, BankAccountIn, Strict, SubsidyList
from subsidy_shared.money import Month
from subsidy_shared.text import Line, Text
from subsidy_shared.validators import CertificateNumber, RegionCode, TownshipCode

from routing_service.rules import ClockState

CaseStatus = Literal[
    "routed",  # with our own locality since routing
    "push_pending",  # waiting for a province system (自建系统) to acknowledge it
    "push_failed",  # the province system refused it for good (a 4xx); its push clock still runs
    "pushed",  # acknowledged by the province system
    "decided",  # result returned to the accepting window
    "result_push_pending",  # decided; the province system that accepted the case has not acknowledged it
    "result_pushed",
    "result_push_failed",
    "notified",  # the applicant has been told
    "withdrawn",
]
ClockName = Literal["push", "decision", "notify"]
MAX_MONTHLY_FEN = 10_000_000  # 100 000 元 a month: far above any standard, a typo's guard


class DeadlineRead(BaseModel):
    """One statutory clock: due date (working days), when it was met, and how it stands today."""

    name: ClockName
    due: date | None = Field(description="null until the step starts")
    done_on: date | None
    state: ClockState
    met: bool


class DeliveryRead(BaseModel):
    """The delivery to a province system under way: retried with backoff until acknowledged."""

    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


class CaseRead(BaseModel):
    application_id: uuid.UUID
    status: CaseStatus
    scope: ScopeName
    accepting_region: str
    hukou_region: str
    locality_county: str
    locality_township: str | None
    external_system: str | None = Field(description="province whose own system decides the case")
    origin_system: str | None = Field(description="province system that accepted the case")
    materials_complete_at: datetime
    push_due: date
    received_at: datetime = Field(description="when routing received the case")
    pushed_at: datetime | None = Field(description="when the locality received the case")
    decision_due: date | None
    decided_at: datetime | None
    decided_by: str | None
    outcomes: list[SubsidyOutcome] | None
    result_returned_at: datetime | None
    notify_due: date | None
    notified_at: datetime | None
    withdrawn_at: datetime | None
    delivery: DeliveryRead | None
    deadlines: list[DeadlineRead]


class OverdueCase(BaseModel):
    application_id: uuid.UUID
    status: CaseStatus
    scope: ScopeName
    accepting_region: str
    locality_county: str
    applicant_name: str = Field(description="masked")
    applicant_id_number: str = Field(description="masked")
    overdue_since: date = Field(description="the earliest due date among its breached clocks")
    breached: list[ClockName]
    deadlines: list[DeadlineRead]


class OverdueList(BaseModel):
    region: str
    as_of: date = Field(description="China date the clocks were evaluated on")
    items: list[OverdueCase]
    next_cursor: str | None = None


class ClockCountyRow(BaseModel):
    county: str = Field(description="answerable: the locality for push and decision, the window's county for notify")
    clock: ClockName
    due: int = Field(description="clocks due in the range")
    met: int = Field(description="done on or before the due date")
    breached: int = Field(description="done late, or past due and still open")
    open: int = Field(description="not done and not yet past due")
    share_met: float | None = Field(description="met / (met + breached); null when neither")


class ClockWeekRow(BaseModel):
    week: str = Field(description="ISO week of the due date, e.g. 2026-W47", examples=["2026-W47"])
    clock: ClockName
    due: int
    met: int
    share_met: float | None = Field(description="met / (met + breached); null when neither")


class ClockStatistics(BaseModel):
    """How the three clocks of an area's cases were kept, counted by their due dates."""

    region: str
    by_county: list[ClockCountyRow]
    by_week: list[ClockWeekRow]


# ---- the province exchange (自建系统) -------------------------------------------------------------


class ExchangeCaseCreate(Strict):
    """A case accepted at a window of the caller's province for a person whose hukou is elsewhere."""

    external_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
    accepting_region: TownshipCode
    submitted_at: AwareDatetime
    materials_complete_at: AwareDatetime | None = Field(default=None, description="defaults to submitted_at")
    applicant: ApplicantIn
    hukou_region: RegionCode
    certificate_number: CertificateNumber
    subsidies: SubsidyList
    bank_account: BankAccountIn
    agent: AgentIn | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ExchangeCaseCreate:
        if self.certificate_number[:18] != self.applicant.id_number:
            raise ValueError("certificate_number must begin with the applicant's ID number")
        if self.materials_complete_at is not None and self.materials_complete_at < self.submitted_at:
            raise ValueError("materials_complete_at cannot be before submitted_at")
        return self


class ReasonIn(Strict):
    rule_id: Annotated[Line, Field(min_length=1, max_length=100)]
    text: Annotated[Text, Field(min_length=1, max_length=500)]


class OutcomeIn(Strict):
    """One subsidy's outcome; an approval may say its tier, monthly amount and first month (for the window)."""

    subsidy: Subsidy
    outcome: Literal["approved", "refused"]
    reasons: list[ReasonIn] = Field(default_factory=list, max_length=20)
    tier: Annotated[Line, Field(min_length=1, max_length=60)] | None = None
    monthly_amount_fen: Annotated[int, Field(ge=0, le=MAX_MONTHLY_FEN, description="in 分")] | None = None
    start_month: Month | None = None

    @model_validator(mode="after")
    def _refusal_says_why(self) -> OutcomeIn:
        if self.outcome == "refused" and not self.reasons:
            raise ValueError("a refusal names at least one reason")
        if self.outcome == "refused" and (self.tier, self.monthly_amount_fen, self.start_month) != (None, None, None):
            raise ValueError("a refusal has no tier, amount or start month")
        return self


class ExchangeDecisionCreate(Strict):
    """The decision a province system took on a case we pushed to it."""

    application_id: uuid.UUID
    decided_at: AwareDatetime
    decided_by: Annotated[Line, Field(min_length=1, max_length=100)]
    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=2)

    @field_validator("outcomes")
    @classmethod
    def _one_per_subsidy(cls, value: list[OutcomeIn]) -> list[OutcomeIn]:
        if len({o.subsidy for o in value}) != len(value):
            raise ValueError("one outcome per subsidy")
        return value
