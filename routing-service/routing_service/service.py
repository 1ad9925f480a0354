"""Routing use cases: send each case to its locality, feed the decision back, follow it to the end."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import outbox
from subsidy_shared.auth import CASE_READERS, Principal, require_region, require_role
from subsidy_shared.errors import Conflict, NotFound
from subsidy_shared.events import (
    ApplicantNotifiedData,
    ApplicationSnapshot,
    ApplicationWithdrawnData,
    CaseResultReturned,
    CaseResultReturnedData,
    CaseRouted,
    CaseRoutedData,
    EligibilityDecidedData,
    SubsidyDecision,
    SubsidyOutcome,
)
from subsidy_shared.workdays import china_date

from routing_service import repository, rules
from routing_service.models import Case

SOURCE = "liangbu/routing"
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Origin:
    """The province system that accepted a case at one of its windows, and its id for it."""

    province: str
    external_id: str


async def route_application(
    session: AsyncSession,
    application: ApplicationSnapshot,
    self_built: Collection[str],
    now: datetime,
    *,
    origin: Origin | None = None,
) -> bool:
    """Route to the hukou county (业务属地); False when the case exists already (a repeat is a no-op).

    Our own localities have the case at once (`case.routed` now); a province with its own system
    (自建系统) has it only when it acknowledges our push, so `case.routed` waits for that.
    """
    locality = rules.locality_of(application.hukou_region)
    complete_at = application.materials_complete_at or application.submitted_at
    province = rules.province_of(locality.county)
    external = province if province in self_built else None
    values: dict[str, object] = {
        "application_id": application.application_id,
        "person_key": application.person_key,
        "scope": rules.scope_of(application.accepting_region, application.hukou_region).value,
        "accepting_region": application.accepting_region,
        "hukou_region": application.hukou_region,
        "locality_county": locality.county,
        "locality_township": locality.township,
        "materials_complete_at": complete_at,
        "push_due": rules.push_due(china_date(complete_at)),
        "received_at": now,
        "decision_due": None if external else rules.decision_due(china_date(now)),
        "pushed_at": None if external else now,
        "status": "push_pending" if external else "routed",
        "next_push_at": now if external else None,
        "external_system": external,
        "origin_system": origin.province if origin else None,
        "origin_external_id": origin.external_id if origin else None,
        "application": application.model_dump(mode="json"),
    }
    if not await repository.add_case(session, values):
        return False
    if external is None:
        await outbox.add(session, _routed_event(Case(**values)))
    return True


def _routed_event(case: Case) -> CaseRouted:
    data = CaseRoutedData.model_validate(
        {
            "application_id": case.application_id,
            "person_key": case.person_key,
            "scope": case.scope,
            "locality_county": case.locality_county,
            "locality_township": case.locality_township,
            "accepting_region": case.accepting_region,
            "hukou_region": case.hukou_region,
            "received_at": case.pushed_at,  # when the locality has it
            "push_due": case.push_due,
            "decision_due": case.decision_due,
            "application": case.application,
            "external_system": case.external_system,
        }
    )
    return CaseRouted(source=SOURCE, subject=str(case.application_id), data=data)


async def mark_pushed(session: AsyncSession, case: Case, acknowledged_at: datetime) -> None:
    """A province system has the case: its decision clock starts, and everyone learns where it went."""
    case.status = "pushed"
    case.pushed_at = acknowledged_at
    case.decision_due = rules.decision_due(china_date(acknowledged_at))
    case.next_push_at = None
    case.last_push_error = None
    await session.flush()
    await outbox.add(session, _routed_event(case))


def mark_result_pushed(case: Case, acknowledged_at: datetime) -> None:
    case.status = "result_pushed"
    case.result_pushed_at = acknowledged_at
    case.next_push_at = None
    case.last_push_error = None


@dataclass(frozen=True, slots=True)
class Decision:
    decided_at: datetime
    decided_by: str
    outcomes: tuple[SubsidyOutcome, ...]

    def normalised(self) -> Decision:
        return Decision(self.decided_at, self.decided_by, tuple(sorted(self.outcomes, key=lambda o: o.subsidy)))


def _recorded_decision(case: Case) -> Decision | None:
    if case.decided_at is None or case.decided_by is None:
        return None
    outcomes = tuple(SubsidyOutcome.model_validate(o) for o in case.outcomes or ())
    return Decision(case.decided_at, case.decided_by, outcomes)


async def record_decision(
    session: AsyncSession, case: Case, decision: Decision, now: datetime, *, stands_after_withdrawal: bool = False
) -> bool:
    """Record the locality's decision and return it to the accepting window (`case.result_returned`).

    Once only: False when this same decision is already recorded; Conflict for a different one.
    The caller holds the case row lock, so two deliveries of one decision cannot both pass.
    """
    decision = decision.normalised()
    # Our eligibility service decides before it sees a late withdrawal, and then its decision stands (it
    # is paid): the window must learn it. Another province's system is told of nothing after a withdrawal.
    if case.withdrawn_at is not None and not stands_after_withdrawal:
        raise Conflict("the application was withdrawn; a decision is no longer taken")
    recorded = _recorded_decision(case)
    if recorded is not None:
        if recorded == decision:
            return False
        raise Conflict("this case already has a different decision", decided_at=recorded.decided_at.isoformat())
    if case.status in ("push_pending", "push_failed"):
        await mark_pushed(session, case, now)  # a decision proves the province has the case; its ack was lost
    case.decided_at = decision.decided_at
    case.decided_by = decision.decided_by
    case.outcomes = [o.model_dump(mode="json") for o in decision.outcomes]
    case.result_returned_at = now
    case.notify_due = rules.notify_due(china_date(now))
    case.status = "decided"
    if case.origin_system is not None:  # accepted by a province system: it needs the result too
        case.status = "result_push_pending"
        case.next_push_at = now
        case.push_attempts = 0
        case.last_push_error = None
    await session.flush()
    await outbox.add(session, _result_event(case))
    return True


def _result_event(case: Case) -> CaseResultReturned:
    assert case.result_returned_at is not None and case.notify_due is not None
    data = CaseResultReturnedData(
        application_id=case.application_id,
        person_key=case.person_key,
        accepting_region=case.accepting_region,
        outcomes=tuple(SubsidyOutcome.model_validate(o) for o in case.outcomes or ()),
        returned_at=case.result_returned_at,
        notify_due=case.notify_due,
        decided_at=case.decided_at,
        decided_by=case.decided_by,
        locality_county=case.locality_county,
    )
    return CaseResultReturned(source=SOURCE, subject=str(case.application_id), data=data)


async def apply_eligibility_decision(session: AsyncSession, data: EligibilityDecidedData, now: datetime) -> None:
    """Our eligibility service decided: feed the result back to the accepting window."""
    bound = log.bind(correlation_id=str(data.application_id))
    case = await repository.get_case(session, data.application_id, for_update=True)
    if case is None:
        bound.warning("routing.decision_for_unknown_case")
        return
    if case.external_system is not None:  # never sent to our eligibility service: not its decision
        bound.warning("routing.decision_for_external_case", external_system=case.external_system)
        return
    outcomes = tuple(_outcome(d) for d in data.decisions)
    try:
        decision = Decision(data.decided_at, data.decided_by, outcomes)
        await record_decision(session, case, decision, now, stands_after_withdrawal=True)
    except Conflict as exc:
        bound.warning("routing.decision_ignored", reason=exc.message)


def _outcome(decision: SubsidyDecision) -> SubsidyOutcome:
    """What the window is told of one subsidy: the outcome, its reasons and, for an approval, tier, amount, start."""
    approved = decision.outcome == "approved"
    return SubsidyOutcome(
        subsidy=decision.subsidy,
        outcome=decision.outcome,
        reasons=decision.reasons,
        tier=decision.tier if approved else None,
        monthly_amount_fen=decision.monthly_amount_fen if approved else None,
        start_month=decision.start_month if approved else None,
    )


async def withdraw(session: AsyncSession, data: ApplicationWithdrawnData) -> None:
    """撤回: the case stops; its open clocks stop with it."""
    case = await repository.get_case(session, data.application_id, for_update=True)
    if case is None:
        log.warning("routing.withdrawal_for_unknown_case", correlation_id=str(data.application_id))
        return
    if case.withdrawn_at is not None:
        return
    case.withdrawn_at = data.withdrawn_at
    case.status = "withdrawn"
    case.next_push_at = None


async def record_notified(session: AsyncSession, data: ApplicantNotifiedData) -> None:
    """The window told the applicant the result: the notify clock is met."""
    case = await repository.get_case(session, data.application_id, for_update=True)
    if case is None:
        log.warning("routing.notice_for_unknown_case", correlation_id=str(data.application_id))
        return
    if case.notified_at is not None:
        return
    case.notified_at = data.notified_at
    if case.status == "decided":
        case.status = "notified"


async def get_case(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> Case:
    """A case file: for officials of its regions; another province's system reads only through the exchange."""
    require_role(principal, *CASE_READERS)
    case = await repository.get_case(session, application_id)
    missing = f"no case {application_id}"
    if case is None:
        raise NotFound(missing)
    require_region(principal, case.accepting_region, case.hukou_region, not_found=missing)
    return case
