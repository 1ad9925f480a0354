"""The automatic pre-check: the rules' recommendation for each subsidy asked, shown to the reviewers.

It judges the day the application was handed in, with the policy in force that day for the hukou province
(E5: the locality decides by its own rules). A case the rules cannot judge (no policy for the province, a
registry record that cannot be read, no amount tier) keeps the reason instead, and reviewers decide by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.errors import Unprocessable
from subsidy_shared.events import ApplicationSnapshot, Subsidy
from subsidy_shared.workdays import china_date

from eligibility_service import policies_store, registry
from eligibility_service.models import Case
from eligibility_service.policy import (
    Certificate,
    Facts,
    NoPolicyInForce,
    PolicyVersion,
    Recommendation,
    Tier,
    evaluate,
    find_tier,
)
from eligibility_service.schemas import PolicyState

log = structlog.get_logger(__name__)
NO_POLICY_IN_FORCE = "no policy in force on the application day: no recommendation, no amount; reviewers decide by hand"


def snapshot(case: Case) -> ApplicationSnapshot:
    return ApplicationSnapshot.model_validate(case.application)


def application_day(case: Case) -> date:
    """The day judged: when the application was handed in, in Beijing time."""
    return china_date(snapshot(case).submitted_at)


def province_of(case: Case) -> str:
    return case.hukou_region[:2]


async def run(session: AsyncSession, case: Case, now: datetime) -> None:
    """Evaluate the case and keep the recommendations (or why there are none) on it."""
    on = application_day(case)
    result: dict[str, Any] = {"ran_at": now.isoformat(), "on": on.isoformat(), "policy_version": None}
    try:
        policy = await policies_store.in_force(session, province_of(case), on)
        result["policy_version"] = policy.version
        facts = await _facts(session, case, on, policy)
        chosen = [r for r in evaluate(facts, policy) if r.subsidy in case.subsidies]
        result |= {"recommendations": [r.model_dump(mode="json") for r in chosen], "error": None}
    except NoPolicyInForce as exc:
        log.info("precheck.no_policy_in_force", application_id=str(case.application_id), province=province_of(case))
        result |= {"recommendations": [], "error": f"{NO_POLICY_IN_FORCE} ({exc.message})"}
    except Unprocessable as exc:
        log.info("precheck.not_judged", application_id=str(case.application_id), reason=exc.message)
        result |= {"recommendations": [], "error": exc.message}
    case.precheck = result


async def policy_states(session: AsyncSession, cases: Sequence[Case]) -> dict[uuid.UUID, PolicyState]:
    """Whether each case's hukou province has a policy in force on its application day (one book per province)."""
    books = {p: await policies_store.book(session, p) for p in {province_of(c) for c in cases}}
    return {
        case.application_id: "in_force"
        if books[province_of(case)].in_force_or_none(province_of(case), application_day(case))
        else "none_in_force"
        for case in cases
    }


def recommendations(case: Case) -> dict[str, Recommendation]:
    """subsidy → the stored recommendation (absent when the pre-check could not judge it)."""
    stored = (case.precheck or {}).get("recommendations", [])
    return {r["subsidy"]: Recommendation.model_validate(r) for r in stored}


def precheck_error(case: Case) -> str | None:
    if case.precheck is None:
        return "the pre-check has not run"
    error = case.precheck.get("error")
    return str(error) if error else None


async def tier_for_overrule(session: AsyncSession, case: Case, subsidy: Subsidy) -> tuple[Tier, PolicyVersion]:
    """The amount row for approving against (or without) the recommendation.

    Without a registry certificate, the category and grade come from the certificate number on the
    application (its last two digits): the reviewer who overrules has seen the card.
    """
    on = application_day(case)
    policy = await policies_store.in_force(session, province_of(case), on)
    facts = await _facts(session, case, on, policy)
    if facts.certificate is None:
        facts = facts.model_copy(update={"certificate": _certificate_from_number(case, on)})
    tier = find_tier(policy, subsidy, facts)
    if tier is None:
        raise Unprocessable.at(
            ("body", "subsidies", subsidy), f"{policy.version} has no {subsidy} amount for this person: cannot approve"
        )
    return tier, policy


async def _facts(session: AsyncSession, case: Case, on: date, policy: PolicyVersion) -> Facts:
    applicant = registry.Applicant.of(case)
    return await registry.facts_for(session, case.person_key, on, province_of(case), applicant, policy)


def _certificate_from_number(case: Case, on: date) -> Certificate:
    number = snapshot(case).certificate_number
    try:
        return Certificate(generation=2, status="valid", category=int(number[18]), grade=int(number[19]), issued_on=on)
    except (ValueError, IndexError) as exc:  # intake checks the number; an old or odd one is still no 500
        raise Unprocessable("the certificate number does not say a category and grade") from exc
