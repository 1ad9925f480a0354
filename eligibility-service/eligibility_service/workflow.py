"""The review workflow: 乡镇审核 → 县残联审核 → 县民政审定 (or the township alone where delegated) → 公示.

Who may act comes from the role and the region (the case's hukou region inside the caller's); where the case
stands decides what may happen next. Process rules (delegation, publicity days) are those of the policy in
force on the day of the act; eligibility and amounts stay those of the application day (the pre-check).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from subsidy_shared.events import Subsidy
from subsidy_shared.workdays import add_workdays, china_date

from eligibility_service import decisions, policies_store, precheck, repository, steps
from eligibility_service.models import Case, CaseReview
from eligibility_service.policy import PolicyVersion
from eligibility_service.schemas import BulkApprovalResult, ReviewCreate
from eligibility_service.settings import Settings

Action = Literal["review", "verify", "approve"]
_NEXT: dict[str, str] = {
    steps.TOWNSHIP_REVIEW: steps.COUNTY_VERIFICATION,
    steps.COUNTY_VERIFICATION: steps.COUNTY_APPROVAL,
}


@dataclass(frozen=True, slots=True)
class Process:
    """The process rules of the day: whether the township decides alone, and how long publicity runs."""

    delegated: bool
    publicity_days: int

    @classmethod
    def of(cls, policy: PolicyVersion | None) -> Process:
        if policy is None:
            return cls(delegated=False, publicity_days=0)
        return cls(policy.approval_delegated_to_township, policy.publicity_days)


async def act(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    action: Action,
    body: ReviewCreate,
    now: datetime,
    settings: Settings,
) -> Case:
    """One reviewer's pass or reject at the case's current step."""
    case = await _locked(session, application_id)
    process = Process.of(await policies_store.in_force_or_none(session, precheck.province_of(case), china_date(now)))
    roles, step = _who_and_where(action, process, principal)
    require_role(principal, *roles)
    require_region(principal, case.hukou_region, not_found=no_case(application_id))
    _expect(case, step, action)
    if body.outcome == "reject" and not body.reason:
        raise Unprocessable.at(("body", "reason"), "a rejection needs a reason (书面告知理由)")
    before = case.step
    await _add_review(session, case, principal, body.outcome, body.reason, body.subsidies, now)
    if body.outcome == "reject":
        await decisions.finalize(
            session, case, decisions.refuse_all(case, before, body.reason or ""), principal.sub, now
        )
    elif action == "approve" or (action == "review" and process.delegated):
        resolved = await decisions.resolve(session, case, body.subsidies, body.reason)
        await _audit_overrules(session, principal, case, resolved)
        await _approve(session, case, resolved, principal, process, now, settings)
    else:
        case.step = _NEXT[case.step]
    await _audit_step(session, principal, case, f"{action} {body.outcome}", before)
    return case


def _who_and_where(action: Action, process: Process, principal: Principal) -> tuple[tuple[Role, ...], str]:
    if action == "review":
        return (Role.TOWNSHIP_REVIEWER,), steps.TOWNSHIP_REVIEW
    if action == "verify":
        return (Role.COUNTY_DISABILITY_FEDERATION,), steps.COUNTY_VERIFICATION
    # 审定: the county's civil affairs; a township only where the province delegates (审核审定权限下放).
    if process.delegated and principal.role == Role.TOWNSHIP_REVIEWER:
        return (Role.TOWNSHIP_REVIEWER,), steps.TOWNSHIP_REVIEW
    return (Role.COUNTY_CIVIL_AFFAIRS, *((Role.TOWNSHIP_REVIEWER,) if process.delegated else ())), steps.COUNTY_APPROVAL


async def _approve(
    session: AsyncSession,
    case: Case,
    resolved: decisions.Resolved,
    principal: Principal,
    process: Process,
    now: datetime,
    settings: Settings,
) -> None:
    """Decide now, or hold the approval through publicity when it is switched on and the policy has one."""
    if settings.publicity_enabled and process.publicity_days > 0:
        case.pending_decision = decisions.pending(resolved, principal.sub, case.step, now)
        case.publicity_ends_on = add_workdays(china_date(now), process.publicity_days)
        case.step = steps.PUBLICITY
        return
    await decisions.finalize(session, case, resolved, principal.sub, now)


async def close_publicity(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, now: datetime
) -> Case:
    """After the last publicity day without objection, the held approval becomes the decision."""
    case = await _locked(session, application_id)
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS)
    require_region(principal, case.hukou_region, not_found=no_case(application_id))
    _expect(case, steps.PUBLICITY, "close publicity")
    if case.publicity_ends_on is None or china_date(now) <= case.publicity_ends_on:
        raise Conflict(f"publicity runs until {case.publicity_ends_on}; close it after that day")
    held = case.pending_decision or {}
    await _add_review(session, case, principal, "close", None, None, now)
    # The approver decided; closing publicity only confirms nobody objected.
    await decisions.finalize(session, case, decisions.from_pending(held), str(held["decided_by"]), now)
    await _audit_step(session, principal, case, "close publicity", steps.PUBLICITY)
    return case


async def object_in_publicity(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, reason: str, now: datetime
) -> Case:
    """An objection (异议) sends the case back to whoever approves it; the held approval is dropped."""
    case = await _locked(session, application_id)
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS, Role.TOWNSHIP_REVIEWER)
    require_region(principal, case.hukou_region, not_found=no_case(application_id))
    _expect(case, steps.PUBLICITY, "object")
    held = case.pending_decision or {}
    await _add_review(session, case, principal, "objection", reason, None, now)
    case.step = str(held.get("approval_step") or steps.COUNTY_APPROVAL)
    case.pending_decision, case.publicity_ends_on = None, None
    await _audit_step(session, principal, case, "publicity objection", steps.PUBLICITY)
    return case


async def approve_many(
    session: AsyncSession,
    principal: Principal,
    application_ids: list[uuid.UUID],
    reason: str | None,
    now: datetime,
    settings: Settings,
) -> list[BulkApprovalResult]:
    """Approve cases at the approval step as recommended; each in its own savepoint, so one failure skips one."""
    require_role(principal, Role.COUNTY_CIVIL_AFFAIRS)
    results = []
    for application_id in dict.fromkeys(application_ids):
        try:
            async with session.begin_nested():
                case = await _approve_recommended(session, principal, application_id, reason, now, settings)
                result = BulkApprovalResult(application_id=application_id, result="approved", step=case.step)
        except DomainError as exc:
            result = BulkApprovalResult(application_id=application_id, result="skipped", why=exc.message)
            if isinstance(exc, Forbidden):  # a denial is audited even when the call as a whole succeeds
                after = {"reason": exc.message}
                await audit.record(
                    session, principal, "bulk approve", "case", str(application_id), allowed=False, after=after
                )
        results.append(result)
    return results


async def _approve_recommended(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    reason: str | None,
    now: datetime,
    settings: Settings,
) -> Case:
    case = await _locked(session, application_id)
    require_region(principal, case.hukou_region, not_found=no_case(application_id))
    _expect(case, steps.COUNTY_APPROVAL, "approve")
    process = Process.of(await policies_store.in_force_or_none(session, precheck.province_of(case), china_date(now)))
    resolved = await decisions.resolve(session, case, None, reason)
    await _add_review(session, case, principal, "pass", reason, None, now)
    await _approve(session, case, resolved, principal, process, now, settings)
    await _audit_step(session, principal, case, "approve pass (bulk)", steps.COUNTY_APPROVAL)
    return case


async def _locked(session: AsyncSession, application_id: uuid.UUID) -> Case:
    case = await repository.lock_case(session, application_id)
    if case is None:
        raise NotFound(no_case(application_id))
    return case


def no_case(application_id: uuid.UUID) -> str:
    """The one answer for a case that does not exist and for one outside the caller's region."""
    return f"no case {application_id}"


def _expect(case: Case, step: str, what: str) -> None:
    if case.step != step:
        raise Conflict(f"the case is at step {case.step}; {what} happens at {step}", step=case.step)


async def _add_review(
    session: AsyncSession,
    case: Case,
    principal: Principal,
    outcome: str,
    reason: str | None,
    subsidies: Mapping[Subsidy, str] | None,
    now: datetime,
) -> None:
    review = CaseReview(
        application_id=case.application_id,
        step=case.step,
        outcome=outcome,
        reason=reason,
        subsidies=dict(subsidies) if subsidies else None,
        actor_sub=principal.sub,
        actor_role=principal.role.value,
        at=now,
    )
    await repository.add_review(session, review)


async def _audit_step(session: AsyncSession, principal: Principal, case: Case, action: str, before: str) -> None:
    after = {"step": case.step}
    await audit.record(
        session, principal, action, "case", str(case.application_id), before={"step": before}, after=after
    )


async def _audit_overrules(
    session: AsyncSession, principal: Principal, case: Case, resolved: decisions.Resolved
) -> None:
    """Going against the rules' recommendation is on the record, with who, why and what was recommended."""
    for overrule in resolved.overrules:
        before = {"recommended": overrule["recommended"], "rule_ids": overrule["recommended_rule_ids"]}
        after = {"subsidy": overrule["subsidy"], "decided": overrule["decided"], "reason": overrule["reason"]}
        await audit.record(session, principal, "overrule", "case", str(case.application_id), before=before, after=after)
