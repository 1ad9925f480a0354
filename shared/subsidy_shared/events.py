"""Event contracts: CloudEvents 1.0 envelopes with typed `data`, one discriminated union per topic.

These models are the only definition of what travels on the bus. Within a `vN` type only optional
fields may be added; anything else is a new type.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from subsidy_shared.money import Fen, Month

Subsidy = Literal["living", "nursing"]
ScopeName = Literal["local", "cross_county", "cross_city", "cross_province"]
AgentRelation = Literal["guardian", "family", "village_committee", "other"]


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# ---- shared parts of payloads -------------------------------------------------------------------


class Person(Contract):
    id_number: str
    name: str
    phone: str | None = None


class BankAccount(Contract):
    bank: str
    account_number: str
    holder_name: str


class Agent(Contract):
    id_number: str
    name: str
    relation: AgentRelation
    phone: str | None = None


class Reason(Contract):
    """A rule that decided something, by id, with the human text shown to the applicant."""

    rule_id: str
    text: str


class ApplicationSnapshot(Contract):
    """What an application says, as handed in at the window."""

    application_id: uuid.UUID
    person_key: str
    applicant: Person
    hukou_region: str
    accepting_region: str
    certificate_number: str
    subsidies: tuple[Subsidy, ...]
    bank_account: BankAccount
    agent: Agent | None = None
    submitted_at: datetime
    materials_complete_at: datetime | None = None
    accepted_by: str | None = None


# ---- the envelope -------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


class Event(Contract):
    """CloudEvents 1.0 structured-mode envelope; subclasses fix `type` and `data`."""

    topic: ClassVar[str]
    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str
    type: str
    time: datetime = Field(default_factory=_now)
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    data: Any

    @property
    def person_key(self) -> str | None:
        return getattr(self.data, "person_key", None)

    @property
    def key(self) -> str | None:
        """The Kafka key: the person, so that one person's events stay in order."""
        return self.person_key


# ---- subsidy.applications ------------------------------------------------------------------------


class ApplicationSubmittedData(ApplicationSnapshot):
    pass


class ApplicationSubmitted(Event):
    topic: ClassVar[str] = "subsidy.applications"
    type: Literal["subsidy.application.submitted.v1"] = "subsidy.application.submitted.v1"
    data: ApplicationSubmittedData


class ApplicationWithdrawnData(Contract):
    application_id: uuid.UUID
    person_key: str
    reason: str | None = None
    withdrawn_at: datetime


class ApplicationWithdrawn(Event):
    topic: ClassVar[str] = "subsidy.applications"
    type: Literal["subsidy.application.withdrawn.v1"] = "subsidy.application.withdrawn.v1"
    data: ApplicationWithdrawnData


class ApplicantNotifiedData(Contract):
    application_id: uuid.UUID
    person_key: str
    channel: Literal["sms", "phone", "in_person", "letter"]
    notified_at: datetime
    notified_by: str | None = None


class ApplicantNotified(Event):
    topic: ClassVar[str] = "subsidy.applications"
    type: Literal["subsidy.applicant.notified.v1"] = "subsidy.applicant.notified.v1"
    data: ApplicantNotifiedData


# ---- subsidy.cases -------------------------------------------------------------------------------


class CaseRoutedData(Contract):
    application_id: uuid.UUID
    person_key: str
    scope: ScopeName
    locality_county: str
    locality_township: str | None = None
    accepting_region: str
    hukou_region: str
    received_at: datetime
    push_due: date | None = None
    decision_due: date
    application: ApplicationSnapshot
    external_system: str | None = Field(
        default=None, description="province code whose own system (自建系统) decides the case; ours does not review it"
    )


class CaseRouted(Event):
    topic: ClassVar[str] = "subsidy.cases"
    type: Literal["subsidy.case.routed.v1"] = "subsidy.case.routed.v1"
    data: CaseRoutedData


class CaseDeadlineBreachedData(Contract):
    application_id: uuid.UUID
    person_key: str
    deadline: Literal["push", "decision", "notify"]
    due_date: date
    region: str
    detected_at: datetime


class CaseDeadlineBreached(Event):
    topic: ClassVar[str] = "subsidy.cases"
    type: Literal["subsidy.case.deadline_breached.v1"] = "subsidy.case.deadline_breached.v1"
    data: CaseDeadlineBreachedData


class SubsidyOutcome(Contract):
    """One subsidy's result as the window sees it; an approval carries its tier, amount and first month."""

    subsidy: Subsidy
    outcome: Literal["approved", "refused"]
    reasons: tuple[Reason, ...] = ()
    tier: str | None = None
    monthly_amount_fen: Fen | None = None
    start_month: Month | None = None


class CaseResultReturnedData(Contract):
    application_id: uuid.UUID
    person_key: str
    accepting_region: str
    outcomes: tuple[SubsidyOutcome, ...]
    returned_at: datetime
    notify_due: date
    decided_at: datetime | None = None
    decided_by: str | None = None
    locality_county: str | None = None


class CaseResultReturned(Event):
    topic: ClassVar[str] = "subsidy.cases"
    type: Literal["subsidy.case.result_returned.v1"] = "subsidy.case.result_returned.v1"
    data: CaseResultReturnedData


# ---- subsidy.decisions ---------------------------------------------------------------------------


class SubsidyDecision(Contract):
    subsidy: Subsidy
    outcome: Literal["approved", "refused"]
    reasons: tuple[Reason, ...]
    tier: str | None = None
    monthly_amount_fen: Fen | None = None
    start_month: Month | None = None


class EligibilityDecidedData(Contract):
    application_id: uuid.UUID
    person_key: str
    beneficiary: Person
    hukou_region: str
    accepting_region: str
    certificate_number: str
    bank_account: BankAccount
    submitted_at: datetime
    decided_at: datetime
    decided_by: str
    policy_version: str
    decisions: tuple[SubsidyDecision, ...]


class EligibilityDecided(Event):
    topic: ClassVar[str] = "subsidy.decisions"
    type: Literal["subsidy.eligibility.decided.v1"] = "subsidy.eligibility.decided.v1"
    data: EligibilityDecidedData


class BenefitChangedData(Contract):
    person_key: str
    subsidy: Subsidy
    effective_month: Month
    tier: str | None = None
    monthly_amount_fen: Fen
    policy_version: str
    reason: Reason


class BenefitChanged(Event):
    topic: ClassVar[str] = "subsidy.decisions"
    type: Literal["subsidy.benefit.changed.v1"] = "subsidy.benefit.changed.v1"
    data: BenefitChangedData


class PolicyPublishedData(Contract):
    province: str
    version: str
    effective_from: date
    body: dict[str, Any] = Field(description="the whole PolicyVersion, as GET /v1/policies/{province} shows it")
    published_by: str
    published_at: datetime


class PolicyPublished(Event):
    """A new policy version of a province: payment and review keep their copy of the policy book by it."""

    topic: ClassVar[str] = "subsidy.decisions"
    type: Literal["subsidy.policy.published.v1"] = "subsidy.policy.published.v1"
    data: PolicyPublishedData

    @property
    def key(self) -> str | None:
        return f"policy:{self.data.province}"


# ---- subsidy.payments ----------------------------------------------------------------------------


class PaymentRunCompletedData(Contract):
    run_id: uuid.UUID
    region: str
    month: Month
    paid_count: int
    total_fen: Fen
    by_subsidy: dict[str, Fen] = Field(default_factory=dict)
    completed_at: datetime


class PaymentRunCompleted(Event):
    topic: ClassVar[str] = "subsidy.payments"
    type: Literal["subsidy.payment_run.completed.v1"] = "subsidy.payment_run.completed.v1"
    data: PaymentRunCompletedData


class PaymentFailedData(Contract):
    run_id: uuid.UUID
    person_key: str
    subsidy: Subsidy
    month: Month
    amount_fen: Fen
    reason: str


class PaymentFailed(Event):
    topic: ClassVar[str] = "subsidy.payments"
    type: Literal["subsidy.payment.failed.v1"] = "subsidy.payment.failed.v1"
    data: PaymentFailedData


class BenefitStatusData(Contract):
    person_key: str
    subsidy: Subsidy
    effective_month: Month
    reason: Reason
    finding_id: uuid.UUID | None = None


class BenefitSuspended(Event):
    topic: ClassVar[str] = "subsidy.payments"
    type: Literal["subsidy.benefit.suspended.v1"] = "subsidy.benefit.suspended.v1"
    data: BenefitStatusData


class BenefitResumed(Event):
    topic: ClassVar[str] = "subsidy.payments"
    type: Literal["subsidy.benefit.resumed.v1"] = "subsidy.benefit.resumed.v1"
    data: BenefitStatusData


class BenefitTerminated(Event):
    topic: ClassVar[str] = "subsidy.payments"
    type: Literal["subsidy.benefit.terminated.v1"] = "subsidy.benefit.terminated.v1"
    data: BenefitStatusData


class MonthAmount(Contract):
    month: Month
    amount_fen: Fen


class OverpaymentRecordedData(Contract):
    overpayment_id: uuid.UUID
    person_key: str
    subsidy: Subsidy
    months: tuple[MonthAmount, ...]
    total_fen: Fen
    reason: Reason


class OverpaymentRecorded(Event):
    topic: ClassVar[str] = "subsidy.payments"
    type: Literal["subsidy.overpayment.recorded.v1"] = "subsidy.overpayment.recorded.v1"
    data: OverpaymentRecordedData


# ---- subsidy.reviews -----------------------------------------------------------------------------

FindingAction = Literal["continue", "suspend", "terminate", "rate_change"]


class FindingRaisedData(Contract):
    finding_id: uuid.UUID
    person_key: str
    subsidies: tuple[Subsidy, ...]
    source: str
    rule_id: str
    evidence: dict[str, Any]
    suggested_action: FindingAction
    effective_month: Month
    raised_at: datetime


class FindingRaised(Event):
    topic: ClassVar[str] = "subsidy.reviews"
    type: Literal["subsidy.finding.raised.v1"] = "subsidy.finding.raised.v1"
    data: FindingRaisedData


class FindingConcludedData(Contract):
    finding_id: uuid.UUID
    person_key: str
    subsidies: tuple[Subsidy, ...]
    action: FindingAction
    effective_month: Month
    concluded_by: str
    reason: str
    concluded_at: datetime


class FindingConcluded(Event):
    topic: ClassVar[str] = "subsidy.reviews"
    type: Literal["subsidy.finding.concluded.v1"] = "subsidy.finding.concluded.v1"
    data: FindingConcludedData


class CertificateExpiryReminderData(Contract):
    person_key: str
    certificate_number: str
    expires_on: date
    township: str | None = None
    reminded_at: datetime


class CertificateExpiryReminder(Event):
    topic: ClassVar[str] = "subsidy.reviews"
    type: Literal["subsidy.certificate.expiry_reminder.v1"] = "subsidy.certificate.expiry_reminder.v1"
    data: CertificateExpiryReminderData


class PersonInformedData(Contract):
    """政策找人: someone found eligible was told of the policy; a later application gets no backpay (P8)."""

    person_key: str
    subsidies: tuple[Subsidy, ...]
    township: str | None = None
    channel: Literal["visit", "phone", "sms", "letter", "in_person"]
    informed_by: str
    informed_at: datetime


class PersonInformed(Event):
    topic: ClassVar[str] = "subsidy.reviews"
    type: Literal["subsidy.person.informed.v1"] = "subsidy.person.informed.v1"
    data: PersonInformedData


# ---- subsidy.registry ----------------------------------------------------------------------------

RecordKind = Literal[
    "certificate",
    "dibao",
    "near_dibao",
    "low_income",
    "severe_unemployed",
    "tekun",
    "orphan",
    "de_facto_unsupported_child",
    "death",
    "cremation",
    "declared_death",
    "missing",
    "hukou_moved",
    "imprisonment",
    "pension",
    "work_injury_care_allowance",
    "military_disability_care",
    "retirement_cadre",
    "elderly_care_allowance",
]


class RegistryRecordChangedData(Contract):
    source: str
    record_id: str
    record_kind: RecordKind
    change: str = Field(description="issued, changed, expired, frozen, revoked, moved, started, ended, …")
    person_key: str
    id_number: str
    region: str | None = None
    effective_date: date | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    observed_at: datetime


class RegistryRecordChanged(Event):
    topic: ClassVar[str] = "subsidy.registry"
    type: Literal["subsidy.registry.record_changed.v1"] = "subsidy.registry.record_changed.v1"
    data: RegistryRecordChangedData

    @property
    def key(self) -> str | None:
        # The topic is compacted: keyed per person and record kind, the newest record of each kind survives.
        return f"{self.data.person_key}:{self.data.record_kind}"


# ---- unions and decoding -------------------------------------------------------------------------

ApplicationsEvent = Annotated[
    ApplicationSubmitted | ApplicationWithdrawn | ApplicantNotified, Field(discriminator="type")
]
CasesEvent = Annotated[CaseRouted | CaseDeadlineBreached | CaseResultReturned, Field(discriminator="type")]
DecisionsEvent = Annotated[EligibilityDecided | BenefitChanged | PolicyPublished, Field(discriminator="type")]
PaymentsEvent = Annotated[
    PaymentRunCompleted | PaymentFailed | BenefitSuspended | BenefitResumed | BenefitTerminated | OverpaymentRecorded,
    Field(discriminator="type"),
]
ReviewsEvent = Annotated[
    FindingRaised | FindingConcluded | CertificateExpiryReminder | PersonInformed, Field(discriminator="type")
]
RegistryEvent = Annotated[RegistryRecordChanged, Field(discriminator="type")]

EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        ApplicationSubmitted,
        ApplicationWithdrawn,
        ApplicantNotified,
        CaseRouted,
        CaseDeadlineBreached,
        CaseResultReturned,
        EligibilityDecided,
        BenefitChanged,
        PolicyPublished,
        PaymentRunCompleted,
        PaymentFailed,
        BenefitSuspended,
        BenefitResumed,
        BenefitTerminated,
        OverpaymentRecorded,
        FindingRaised,
        FindingConcluded,
        CertificateExpiryReminder,
        PersonInformed,
        RegistryRecordChanged,
    )
}


class _Header(Contract):
    specversion: Literal["1.0"]
    id: uuid.UUID
    type: str


_header = TypeAdapter(_Header)


class UnknownEventType(ValueError):
    """A well-formed envelope whose type this code base does not know (a newer producer)."""


def decode_event(raw: bytes) -> Event:
    """Bytes from the bus → the typed event; raises ValueError (pydantic or UnknownEventType)."""
    header = _header.validate_json(raw)
    cls = EVENT_TYPES.get(header.type)
    if cls is None:
        raise UnknownEventType(header.type)
    return cls.model_validate_json(raw)


def encode_event(event: Event) -> bytes:
    return event.model_dump_json().encode()
