"""The decision of a case: each subsidy approved or refused with its rules, one per application, sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import outbox
from subsidy_shared.errors import Conflict, Unprocessable
from subsidy_shared.events import EligibilityDecided, EligibilityDecidedData, Reason, Subsidy, SubsidyDecision
from subsidy_shared.money import yuan

from eligibility_service import benefits, precheck, repository, steps
from eligibility_service.models import Case
from eligibility_service.policy import Recommendation, start_month

SOURCE = benefits.SOURCE
NO_POLICY = "none"  # a case refused before any policy could judge it (no version for its province)
OVERRULE_RULE = "review.overrule"
SubsidyChoice = Literal["approve", "refuse"]
_OUTCOME = {"approve": "approved", "refuse": "refused"}


def reject_rule(step: str) -> str:
    """e.g. review.township_review.reject: which level refused, as a rule id in the decision."""
    return f"review.{step}.reject"


@dataclass(frozen=True, slots=True)
class Resolved:
    """What an approval decides, and which subsidies went against the recommendation (for the audit)."""

    decisions: list[SubsidyDecision]
    policy_version: str
    overrules: list[dict[str, Any]]


def policy_version_of(case: Case) -> str:
    return str((case.precheck or {}).get("policy_version") or NO_POLICY)


def refuse_all(case: Case, step: str, reason: str) -> Resolved:
    """A rejection at any level refuses every subsidy asked, with the reviewer's reason."""
    refusal = (Reason(rule_id=reject_rule(step), text=reason),)
    decisions = [SubsidyDecision(subsidy=s, outcome="refused", reasons=refusal) for s in _asked(case)]
    return Resolved(decisions, policy_version_of(case), [])


async def resolve(
    session: AsyncSession, case: Case, choices: dict[Subsidy, SubsidyChoice] | None, reason: str | None
) -> Resolved:
    """Each subsidy follows the recommendation unless the approver chose otherwise, which needs a reason."""
    choices = choices or {}
    unasked = sorted(set(choices) - set(case.subsidies))
    if unasked:
        raise Unprocessable.at(("body", "subsidies"), f"the application does not ask for {', '.join(unasked)}")
    recommended = precheck.recommendations(case)
    start = start_month(precheck.snapshot(case).submitted_at)
    decisions, overrules = [], []
    version = policy_version_of(case)
    for subsidy in _asked(case):
        recommendation = recommended.get(subsidy)
        wanted = _OUTCOME[choices[subsidy]] if subsidy in choices else None
        if recommendation is not None and wanted in (None, recommendation.outcome):
            decisions.append(recommendation.decision(start))
            continue
        if wanted is None:
            why = precheck.precheck_error(case) or "no recommendation"
            raise Unprocessable.at(("body", "subsidies", subsidy), f"choose approve or refuse: {why}")
        if not reason:
            raise Unprocessable.at(("body", "reason"), f"deciding {subsidy} against the recommendation needs a reason")
        decision, version = await _overrule(session, case, subsidy, wanted, reason, start, version)
        decisions.append(decision)
        overrules.append(_overrule_record(subsidy, recommendation, wanted, reason))
    return Resolved(decisions, version, overrules)


def _overrule_record(
    subsidy: Subsidy, recommendation: Recommendation | None, decided: str, reason: str
) -> dict[str, Any]:
    return {
        "subsidy": subsidy,
        "recommended": recommendation.outcome if recommendation else None,
        "recommended_rule_ids": list(recommendation.rule_ids) if recommendation else [],
        "decided": decided,
        "reason": reason,
    }


async def _overrule(
    session: AsyncSession, case: Case, subsidy: Subsidy, wanted: str, reason: str, start: str, version: str
) -> tuple[SubsidyDecision, str]:
    overrule = Reason(rule_id=OVERRULE_RULE, text=reason)
    if wanted == "refused":
        return SubsidyDecision(subsidy=subsidy, outcome="refused", reasons=(overrule,)), version
    tier, policy = await precheck.tier_for_overrule(session, case, subsidy)
    standard = Reason(
        rule_id=f"standard.{tier.id}",
        text=f"按{policy.version}标准「{tier.label}」每月{yuan(tier.monthly_amount_fen)}元",
    )
    decision = SubsidyDecision(
        subsidy=subsidy,
        outcome="approved",
        reasons=(overrule, standard),
        tier=tier.id,
        monthly_amount_fen=tier.monthly_amount_fen,
        start_month=start,
    )
    return decision, policy.version


def pending(resolved: Resolved, decided_by: str, approval_step: str, now: datetime) -> dict[str, Any]:
    """An approval held during publicity (公示): decided when publicity closes, dropped on an objection."""
    return {
        "decisions": [d.model_dump(mode="json") for d in resolved.decisions],
        "policy_version": resolved.policy_version,
        "decided_by": decided_by,
        "approved_at": now.isoformat(),
        "approval_step": approval_step,
    }


def from_pending(held: dict[str, Any]) -> Resolved:
    decisions = [SubsidyDecision.model_validate(d) for d in held["decisions"]]
    return Resolved(decisions, str(held["policy_version"]), [])


async def finalize(session: AsyncSession, case: Case, resolved: Resolved, decided_by: str, now: datetime) -> None:
    """Write the one decision, close the case, queue `eligibility.decided`, and keep the beneficiaries."""
    app = precheck.snapshot(case)
    data = EligibilityDecidedData(
        application_id=case.application_id,
        person_key=case.person_key,
        beneficiary=app.applicant,
        hukou_region=app.hukou_region,
        accepting_region=app.accepting_region,
        certificate_number=app.certificate_number,
        bank_account=app.bank_account,
        submitted_at=app.submitted_at,
        decided_at=now,
        decided_by=decided_by,
        policy_version=resolved.policy_version,
        decisions=tuple(resolved.decisions),
    )
    event = EligibilityDecided(source=SOURCE, subject=str(case.application_id), data=data)
    added = await repository.add_decision(
        session,
        {
            "application_id": case.application_id,
            "person_key": case.person_key,
            "decided_at": now,
            "decided_by": decided_by,
            "policy_version": resolved.policy_version,
            "decisions": [d.model_dump(mode="json") for d in resolved.decisions],
            "event_id": event.id,
        },
    )
    if not added:
        raise Conflict(f"application {case.application_id} is already decided")
    case.step, case.decided_at, case.closed_at, case.pending_decision = steps.DECIDED, now, now, None
    await outbox.add(session, event)
    await benefits.record_approvals(session, case, resolved.decisions, resolved.policy_version)


def _asked(case: Case) -> list[Subsidy]:
    return [s for s in ("living", "nursing") if s in case.subsidies]
