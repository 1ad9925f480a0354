"""Beneficiaries after approval, and what a later registry change does to them.

A change that keeps the person eligible at another tier or amount becomes `benefit.changed` from the month
after it took effect, at the policy in force on that month's first day. A change that ends eligibility is
not applied here: the beneficiary is marked `needs_review` and review-service raises the finding (复核).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import outbox
from subsidy_shared.errors import Unprocessable
from subsidy_shared.events import (
    BenefitChanged,
    BenefitChangedData,
    FindingConcludedData,
    Reason,
    RegistryRecordChangedData,
    SubsidyDecision,
)
from subsidy_shared.workdays import china_date

from eligibility_service import policies_store, registry, repository
from eligibility_service.models import Beneficiary, Case
from eligibility_service.policy import Recommendation, decide

log = structlog.get_logger(__name__)
SOURCE = "liangbu/eligibility"
_RECORD_NAMES = {"certificate": "残疾人证", "dibao": "低保", "near_dibao": "低保边缘", "tekun": "特困供养"}


async def record_approvals(
    session: AsyncSession, case: Case, decisions: list[SubsidyDecision], policy_version: str
) -> None:
    for decision in decisions:
        if decision.outcome != "approved" or decision.monthly_amount_fen is None or decision.start_month is None:
            continue
        await repository.upsert_beneficiary(
            session,
            {
                "person_key": case.person_key,
                "subsidy": decision.subsidy,
                "application_id": case.application_id,
                "hukou_region": case.hukou_region,
                "tier": decision.tier,
                "monthly_amount_fen": decision.monthly_amount_fen,
                "policy_version": policy_version,
                "since_month": decision.start_month,
                "changed_month": None,
                "needs_review": None,
                "status": "active",
                "status_month": None,
            },
        )


def month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


async def follow_registry_change(session: AsyncSession, change: RegistryRecordChangedData, now: datetime) -> None:
    """Recompute each subsidy the person gets, as of the first day of the month after the change."""
    beneficiaries = await repository.beneficiaries_of(session, change.person_key)
    if not beneficiaries:
        return
    first_day = month_after(change.effective_date or china_date(change.observed_at))
    for beneficiary in beneficiaries:
        if beneficiary.status == "terminated":
            continue
        case = await repository.get_case(session, beneficiary.application_id)
        if case is not None:
            await _recompute(session, beneficiary, case, change, first_day, now)


async def _recommend(session: AsyncSession, beneficiary: Beneficiary, case: Case, first_day: date) -> Recommendation:
    """The subsidy judged again as of `first_day`, at the policy in force then (Unprocessable: facts unreadable)."""
    province = beneficiary.hukou_region[:2]
    policy = await policies_store.in_force(session, province, first_day)
    applicant = registry.Applicant.of(case)
    facts = await registry.facts_for(session, beneficiary.person_key, first_day, province, applicant, policy)
    return decide(facts, policy, beneficiary.subsidy)  # type: ignore[arg-type]  # a stored Subsidy


async def _recompute(
    session: AsyncSession,
    beneficiary: Beneficiary,
    case: Case,
    change: RegistryRecordChangedData,
    first_day: date,
    now: datetime,
) -> None:
    try:
        recommendation = await _recommend(session, beneficiary, case, first_day)
    except Unprocessable as exc:
        await _needs_review(session, beneficiary, change, now, [], [exc.message])
        return
    if recommendation.outcome == "refused":
        reasons = [r.text for r in recommendation.reasons]
        await _needs_review(session, beneficiary, change, now, list(recommendation.rule_ids), reasons)
        return
    beneficiary.needs_review = None
    day = change.effective_date or china_date(change.observed_at)
    what = _RECORD_NAMES.get(change.record_kind, change.record_kind)
    await _change(session, beneficiary, recommendation, f"{first_day:%Y-%m}", f"{what}变更（{change.change}，{day}）后")


async def _change(
    session: AsyncSession, beneficiary: Beneficiary, recommendation: Recommendation, month: str, why: str
) -> None:
    """benefit.changed from `month` when the tier or amount differs from what the beneficiary gets."""
    if (recommendation.tier, recommendation.monthly_amount_fen) == (beneficiary.tier, beneficiary.monthly_amount_fen):
        return
    standard = next(r for r in recommendation.reasons if r.rule_id.startswith("standard."))
    reason = Reason(rule_id=standard.rule_id, text=f"{why}，{standard.text}")
    before = {"tier": beneficiary.tier, "monthly_amount_fen": beneficiary.monthly_amount_fen}
    amount = recommendation.monthly_amount_fen or 0
    data = BenefitChangedData(
        person_key=beneficiary.person_key,
        subsidy=recommendation.subsidy,
        effective_month=month,
        tier=recommendation.tier,
        monthly_amount_fen=amount,
        policy_version=recommendation.policy_version,
        reason=reason,
    )
    await outbox.add(session, BenefitChanged(source=SOURCE, subject=str(beneficiary.application_id), data=data))
    beneficiary.tier, beneficiary.monthly_amount_fen = recommendation.tier, amount
    beneficiary.policy_version, beneficiary.changed_month = recommendation.policy_version, month
    after = {"tier": recommendation.tier, "monthly_amount_fen": amount, "effective_month": month}
    await repository.audit_system(
        session,
        "benefit changed",
        "beneficiary",
        _entity(beneficiary),
        beneficiary.hukou_region,
        before=before,
        after=after,
    )


async def _needs_review(
    session: AsyncSession,
    beneficiary: Beneficiary,
    change: RegistryRecordChangedData,
    now: datetime,
    rule_ids: list[str],
    reasons: list[str],
) -> None:
    """Loss of eligibility is for the periodic review (复核) to conclude; here it is only recorded."""
    flag: dict[str, Any] = {
        "found_at": now.isoformat(),
        "record": {
            "kind": change.record_kind,
            "record_id": change.record_id,
            "change": change.change,
            "effective_date": change.effective_date.isoformat() if change.effective_date else None,
        },
        "rule_ids": rule_ids,
        "reasons": reasons,
    }
    beneficiary.needs_review = flag
    log.warning("benefit.needs_review", subsidy=beneficiary.subsidy, rule_ids=rule_ids, record_kind=change.record_kind)
    await repository.audit_system(
        session, "benefit needs review", "beneficiary", _entity(beneficiary), beneficiary.hukou_region, after=flag
    )


async def follow_finding(session: AsyncSession, finding: FindingConcludedData, now: datetime) -> None:
    """复核 concluded: a stop is recorded; a rate change is recomputed from its month at that month's policy."""
    for beneficiary in await repository.beneficiaries_of(session, finding.person_key):
        if beneficiary.subsidy not in finding.subsidies:
            continue
        before = {"status": beneficiary.status, "tier": beneficiary.tier, "needs_review": beneficiary.needs_review}
        beneficiary.needs_review = None
        if finding.action in ("terminate", "suspend"):
            beneficiary.status = "terminated" if finding.action == "terminate" else "suspended"
            beneficiary.status_month = finding.effective_month
        elif finding.action == "continue":
            beneficiary.status, beneficiary.status_month = "active", None
        else:
            await _recompute_for_finding(session, beneficiary, finding, now)
        await repository.audit_system(
            session,
            f"finding concluded: {finding.action}",
            "beneficiary",
            _entity(beneficiary),
            beneficiary.hukou_region,
            before=before,
            after={"status": beneficiary.status, "tier": beneficiary.tier, "finding_id": str(finding.finding_id)},
        )


async def _recompute_for_finding(
    session: AsyncSession, beneficiary: Beneficiary, finding: FindingConcludedData, now: datetime
) -> None:
    case = await repository.get_case(session, beneficiary.application_id)
    if case is None:
        return
    year, month = finding.effective_month.split("-")
    try:
        recommendation = await _recommend(session, beneficiary, case, date(int(year), int(month), 1))
    except Unprocessable as exc:
        beneficiary.needs_review = {"found_at": now.isoformat(), "finding_id": str(finding.finding_id),
                                    "reasons": [exc.message]}  # fmt: skip
        return
    if recommendation.outcome == "refused":
        beneficiary.needs_review = {"found_at": now.isoformat(), "finding_id": str(finding.finding_id),
                                    "reasons": [r.text for r in recommendation.reasons]}  # fmt: skip
        return
    await _change(session, beneficiary, recommendation, finding.effective_month, f"复核结论（{finding.reason}）后")


def _entity(beneficiary: Beneficiary) -> str:
    return f"{beneficiary.person_key}/{beneficiary.subsidy}"
