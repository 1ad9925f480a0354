"""Eligibility use cases driven by events (a case arrives, a registry record changes, a withdrawal) and
the case view for reviewers."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit, locks
from subsidy_shared.auth import CASE_READERS, Principal, Role, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound
from subsidy_shared.events import ApplicationWithdrawnData, CaseRoutedData, RegistryRecordChangedData
from subsidy_shared.workdays import DeadlineStatus, china_date, deadline_state

from eligibility_service import benefits, precheck, registry, repository, steps
from eligibility_service.models import Case
from eligibility_service.schemas import CaseRead, PrecheckCreate

log = structlog.get_logger(__name__)
REVIEWER_ROLES = (Role.TOWNSHIP_REVIEWER, Role.COUNTY_DISABILITY_FEDERATION, Role.COUNTY_CIVIL_AFFAIRS)


def person_lock(person_key: str) -> str:
    """The lock one person's events take first: a case, its withdrawal and a registry change of the person come
    on three topics, so two replicas may hold them at once; they are applied one after the other instead."""
    return f"eligibility:person:{person_key}"


async def receive_case(session: AsyncSession, routed: CaseRoutedData, now: datetime) -> None:
    """A case reaches its locality and is pre-checked; a redelivered case.routed changes nothing.

    A withdrawal that came first closes it on arrival, as it would have closed it had it come second.
    """
    if routed.external_system is not None:  # another province's own system (自建系统) decides it
        return
    await locks.hold(session, person_lock(routed.person_key))
    added = await repository.add_case(
        session,
        {
            "application_id": routed.application_id,
            "person_key": routed.person_key,
            "scope": routed.scope,
            "accepting_region": routed.accepting_region,
            "hukou_region": routed.hukou_region,
            "locality_county": routed.locality_county,
            "subsidies": list(routed.application.subsidies),
            "received_at": routed.received_at,
            "decision_due": routed.decision_due,
            "step": steps.TOWNSHIP_REVIEW,
            "application": routed.application.model_dump(mode="json"),
        },
    )
    if not added:
        return
    case = await repository.lock_case(session, routed.application_id)
    if case is None:  # inserted just above; this only narrows the type
        return
    await precheck.run(session, case, now)
    withdrawal = await repository.get_withdrawal(session, case.application_id)
    if withdrawal is not None:  # the withdrawal overtook the case
        await _close_withdrawn(session, case, withdrawal.withdrawn_at)


async def withdraw(session: AsyncSession, withdrawn: ApplicationWithdrawnData) -> None:
    """A withdrawn application closes its open case without a decision (or, not here yet, on its arrival)."""
    await locks.hold(session, person_lock(withdrawn.person_key))
    await repository.add_withdrawal(
        session,
        {
            "application_id": withdrawn.application_id,
            "person_key": withdrawn.person_key,
            "withdrawn_at": withdrawn.withdrawn_at,
            "reason": withdrawn.reason,
        },
    )
    case = await repository.lock_case(session, withdrawn.application_id)
    if case is None or case.step in steps.CLOSED_STEPS:
        return
    await _close_withdrawn(session, case, withdrawn.withdrawn_at)


async def _close_withdrawn(session: AsyncSession, case: Case, withdrawn_at: datetime) -> None:
    before = case.step
    case.step, case.closed_at, case.pending_decision = steps.WITHDRAWN, withdrawn_at, None
    await repository.audit_system(
        session,
        "withdrawn",
        "case",
        str(case.application_id),
        case.hukou_region,
        before={"step": before},
        after={"step": case.step},
    )


async def registry_changed(session: AsyncSession, change: RegistryRecordChangedData, now: datetime) -> None:
    """Keep the newest record; re-check the person's open cases and follow their approved subsidies."""
    await locks.hold(session, person_lock(change.person_key))  # a case arriving now is pre-checked with it
    if not await registry.record(session, change):
        log.info("registry.older_observation_ignored", record_kind=change.record_kind)
        return
    for case in await repository.open_cases_of(session, change.person_key, steps.OPEN_STEPS):
        await precheck.run(session, case, now)
    await benefits.follow_registry_change(session, change, now)


async def get_case(session: AsyncSession, principal: Principal, application_id: uuid.UUID, now: datetime) -> CaseRead:
    require_role(principal, *CASE_READERS)
    case = await repository.get_case(session, application_id)
    missing = f"no case {application_id}"
    if case is None:
        raise NotFound(missing)
    # Reviewers act for the locality; the accepting window may follow its own applications.
    require_region(principal, case.hukou_region, case.accepting_region, not_found=missing)
    return await case_view(session, case, now)


async def rerun_precheck(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, body: PrecheckCreate, now: datetime
) -> CaseRead:
    """Run the pre-check again (after a registry correction, or to record the E3 declaration)."""
    require_role(principal, *REVIEWER_ROLES)
    case = await repository.lock_case(session, application_id)
    missing = f"no case {application_id}"
    if case is None:
        raise NotFound(missing)
    require_region(principal, case.hukou_region, not_found=missing)
    if case.step in steps.CLOSED_STEPS:
        raise Conflict(f"the case is {case.step}; its pre-check is final", step=case.step)
    before = {"precheck": case.precheck, "long_term_care_declared": case.long_term_care_declared}
    if body.long_term_care is not None:
        case.long_term_care_declared = body.long_term_care
    await precheck.run(session, case, now)
    after = {"precheck": case.precheck, "long_term_care_declared": case.long_term_care_declared}
    await audit.record(session, principal, "precheck", "case", str(application_id), before=before, after=after)
    return await case_view(session, case, now)


async def case_view(session: AsyncSession, case: Case, now: datetime) -> CaseRead:
    reviews = await repository.reviews_of(session, case.application_id)
    decision = await repository.get_decision(session, case.application_id)
    states = await precheck.policy_states(session, [case])
    return CaseRead.build(case, decision_clock(case, china_date(now)), states[case.application_id], reviews, decision)


def decision_clock(case: Case, today: date) -> DeadlineStatus:
    """The 10-working-day decision clock from case.routed; a decided or withdrawn case has stopped it."""
    done_on = china_date(case.closed_at) if case.closed_at else None
    return deadline_state("decision", case.decision_due, done_on, today)
