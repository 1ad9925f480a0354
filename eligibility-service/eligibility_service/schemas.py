"""Request and response models of the eligibility API."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from subsidy_shared.events import Reason, ScopeName, Subsidy, SubsidyDecision
from subsidy_shared.ids import mask_id_number, mask_name
from subsidy_shared.text import Reason as ReasonText  # a reviewer's words; events.Reason is a rule's
from subsidy_shared.workdays import DeadlineStatus

from eligibility_service.models import Case, CaseReview, Decision, Policy
from eligibility_service.policy import PolicyVersion, Recommendation
from eligibility_service.steps import Step

# Whether the hukou province has a policy version in force on the application day; without one the pre-check
# gives no recommendation and no amount, and the reviewers decide by hand.
PolicyState = Literal["in_force", "none_in_force"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests -------------------------------------------------------------------------------------


class ReviewCreate(Body):
    """A reviewer's act at the case's step: pass it on (or decide, at approval) or reject it."""

    outcome: Literal["pass", "reject"]
    reason: ReasonText | None = None
    subsidies: dict[Subsidy, Literal["approve", "refuse"]] | None = Field(
        default=None, description="at approval: each subsidy's outcome; left out = the recommendation"
    )


class PrecheckCreate(Body):
    long_term_care: bool | None = Field(default=None, description="E3 as the applicant declared it; null: derive")


class ObjectionCreate(Body):
    reason: ReasonText


class BulkApprovalCreate(Body):
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    reason: ReasonText | None = None


# ---- responses ------------------------------------------------------------------------------------


class RecommendationRead(BaseModel):
    subsidy: Subsidy
    outcome: Literal["approved", "refused"]
    rule_ids: list[str]
    reasons: list[Reason]
    tier: str | None
    monthly_amount_fen: int | None
    policy_version: str
    facts_used: dict[str, Any]

    @classmethod
    def of(cls, recommendation: Recommendation) -> RecommendationRead:
        return cls(**recommendation.model_dump(), rule_ids=list(recommendation.rule_ids))


class PrecheckRead(BaseModel):
    ran_at: datetime
    on: date
    policy_version: str | None
    error: str | None
    recommendations: list[RecommendationRead]


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: str
    outcome: str
    reason: str | None
    subsidies: dict[str, str] | None
    actor_sub: str
    actor_role: str
    at: datetime


class DeadlineRead(BaseModel):
    name: str
    due: date
    done_on: date | None
    state: str

    @classmethod
    def of(cls, status: DeadlineStatus) -> DeadlineRead:
        return cls(name=status.name, due=status.due, done_on=status.done_on, state=status.state.value)


class DecisionRead(BaseModel):
    decided_at: datetime
    decided_by: str
    policy_version: str
    decisions: list[SubsidyDecision]

    @classmethod
    def of(cls, decision: Decision) -> DecisionRead:
        return cls(
            decided_at=decision.decided_at,
            decided_by=decision.decided_by,
            policy_version=decision.policy_version,
            decisions=[SubsidyDecision.model_validate(d) for d in decision.decisions],
        )


class CaseSummary(BaseModel):
    """A case in a worklist: personal data masked."""

    application_id: uuid.UUID
    scope: ScopeName
    accepting_region: str
    hukou_region: str
    locality_county: str
    subsidies: list[Subsidy]
    received_at: datetime
    decision_due: date
    decision_clock: DeadlineRead
    step: Step
    applicant_name: str
    applicant_id_number: str
    recommended: dict[str, str] = Field(description="subsidy → approved/refused, from the pre-check")
    publicity_ends_on: date | None = None
    policy_state: PolicyState = Field(description="a policy of the hukou province in force on the application day")

    @classmethod
    def of(cls, case: Case, clock: DeadlineStatus, policy_state: PolicyState) -> CaseSummary:
        applicant = case.application["applicant"]
        stored = (case.precheck or {}).get("recommendations", [])
        return cls(
            application_id=case.application_id,
            scope=case.scope,
            accepting_region=case.accepting_region,
            hukou_region=case.hukou_region,
            locality_county=case.locality_county,
            subsidies=case.subsidies,
            received_at=case.received_at,
            decision_due=case.decision_due,
            decision_clock=DeadlineRead.of(clock),
            step=case.step,
            applicant_name=mask_name(applicant["name"]),
            applicant_id_number=mask_id_number(applicant["id_number"]),
            recommended={r["subsidy"]: r["outcome"] for r in stored},
            publicity_ends_on=case.publicity_ends_on,
            policy_state=policy_state,
        )


class CaseRead(CaseSummary):
    """One case for its reviewers: the pre-check with its rules, the reviews so far, the decision."""

    precheck: PrecheckRead | None
    long_term_care_declared: bool | None
    reviews: list[ReviewRead]
    decision: DecisionRead | None
    closed_at: datetime | None

    @classmethod
    def build(
        cls,
        case: Case,
        clock: DeadlineStatus,
        policy_state: PolicyState,
        reviews: Sequence[CaseReview],
        decision: Decision | None,
    ) -> CaseRead:
        summary = CaseSummary.of(case, clock, policy_state)
        stored = case.precheck
        check = None
        if stored is not None:
            recommendations = [
                RecommendationRead.of(Recommendation.model_validate(r)) for r in stored["recommendations"]
            ]
            check = PrecheckRead.model_validate(stored | {"recommendations": recommendations})
        return cls(
            **summary.model_dump(),
            precheck=check,
            long_term_care_declared=case.long_term_care_declared,
            reviews=[ReviewRead.model_validate(r) for r in reviews],
            decision=DecisionRead.of(decision) if decision else None,
            closed_at=case.closed_at,
        )


class CaseList(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = None


class StepCounts(BaseModel):
    """How many cases wait at each open step, zero included."""

    township_review: int
    county_verification: int
    county_approval: int
    publicity: int


class CaseCounts(BaseModel):
    """The worklist's counts per step: a region's open cases, by the step they wait at."""

    region: str
    counts: StepCounts


class BulkApprovalResult(BaseModel):
    application_id: uuid.UUID
    result: Literal["approved", "skipped"]
    step: Step | None = None
    why: str | None = None


class BulkApprovalRead(BaseModel):
    results: list[BulkApprovalResult]


class PolicyVersionRead(BaseModel):
    version: str
    effective_from: date
    in_force: bool
    created_by: str
    created_at: datetime
    body: PolicyVersion

    @classmethod
    def of(cls, row: Policy, body: PolicyVersion, in_force: str | None) -> PolicyVersionRead:
        return cls(
            version=row.version,
            effective_from=row.effective_from,
            in_force=row.version == in_force,
            created_by=row.created_by,
            created_at=row.created_at,
            body=body,
        )


class PolicyList(BaseModel):
    province: str
    today: date
    in_force: str | None = Field(description="the version in force today; null before the first starts")
    versions: list[PolicyVersionRead]
