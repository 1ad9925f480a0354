"""Use cases of the exchange API for provinces with their own systems (自建系统省份): cases in, decisions in."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, Role, require_role
from subsidy_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from subsidy_shared.events import Agent, ApplicationSnapshot, BankAccount, Person, SubsidyOutcome
from subsidy_shared.ids import person_key
from subsidy_shared.regions import Level, parse_region

from routing_service import repository, rules, service
from routing_service.models import Case
from routing_service.schemas import ExchangeCaseCreate, ExchangeDecisionCreate, OutcomeIn
from routing_service.settings import Settings

# A province's clock may run a little ahead of ours; a decision from further in the future is refused.
CLOCK_SKEW = timedelta(minutes=5)


def caller_province(principal: Principal) -> str:
    """The province a province system speaks for: its token region must be the province itself."""
    require_role(principal, Role.PROVINCE_SYSTEM)
    if parse_region(principal.region).level is not Level.PROVINCE:
        raise Forbidden("a province system's token region is its province, e.g. 440000")
    return rules.province_of(principal.region)


async def accept_case(
    session: AsyncSession, principal: Principal, body: ExchangeCaseCreate, settings: Settings, now: datetime
) -> tuple[Case, bool]:
    """Take a case accepted at a window of the caller's province and route it; (case, created).

    Idempotent on (province, external_id): a repeat returns the same case and emits nothing.
    """
    province = caller_province(principal)
    if settings.province_system(province) is None:
        raise Forbidden(f"no exchange is configured with province {province}: its result could not be returned")
    if rules.province_of(body.accepting_region) != province:
        raise Forbidden(f"accepting_region {body.accepting_region} is outside the caller's province {province}")
    if rules.province_of(body.hukou_region) == province:
        raise Unprocessable.at(("body", "hukou_region"), "the hukou is in the caller's own province: decide it there")
    snapshot = _snapshot(body, province, principal.sub, settings.person_key_secret)
    existing = await repository.get_case(session, snapshot.application_id)
    if existing is None:
        origin = service.Origin(province, body.external_id)
        if await service.route_application(session, snapshot, settings.province_systems.keys(), now, origin=origin):
            case = await repository.get_case(session, snapshot.application_id)
            assert case is not None
            after = {"status": case.status, "external_id": body.external_id, "locality": case.locality_county}
            await audit.record(
                session, principal, "exchange.case.accept", "case", str(case.application_id), after=after
            )
            return case, True
        existing = await repository.get_case(session, snapshot.application_id)  # an identical request won a race
        assert existing is not None
    _refuse_a_different_case(existing, snapshot)
    return existing, False


def _snapshot(body: ExchangeCaseCreate, province: str, sub: str, secret: str) -> ApplicationSnapshot:
    return ApplicationSnapshot(
        application_id=rules.exchange_application_id(province, body.external_id),
        person_key=person_key(body.applicant.id_number, secret),
        applicant=Person(**body.applicant.model_dump()),
        hukou_region=body.hukou_region,
        accepting_region=body.accepting_region,
        certificate_number=body.certificate_number,
        subsidies=tuple(body.subsidies),
        bank_account=BankAccount(**body.bank_account.model_dump()),
        agent=Agent(**body.agent.model_dump()) if body.agent else None,
        submitted_at=body.submitted_at,
        materials_complete_at=body.materials_complete_at or body.submitted_at,
        accepted_by=f"{province}:{sub}",
    )


def _refuse_a_different_case(case: Case, snapshot: ApplicationSnapshot) -> None:
    stored = ApplicationSnapshot.model_validate(case.application)
    if stored.model_copy(update={"accepted_by": None}) != snapshot.model_copy(update={"accepted_by": None}):
        raise Conflict("external_id was already used for a different case", application_id=str(case.application_id))


async def record_decision(
    session: AsyncSession, principal: Principal, body: ExchangeDecisionCreate, now: datetime
) -> Case:
    """A province system decided a case we pushed to it: record it and return the result (once)."""
    province = caller_province(principal)
    case = await repository.get_case(session, body.application_id, for_update=True)
    if case is None:
        raise NotFound(f"no case {body.application_id}")
    if rules.province_of(case.locality_county) != province:
        raise Forbidden(f"the case's locality {case.locality_county} is outside the caller's province {province}")
    if case.external_system != province:
        raise Conflict("this case is decided by the liangbu eligibility service, not by the province system")
    _check_decision(case, body, now)
    before = {"status": case.status}
    decision = service.Decision(body.decided_at, body.decided_by, tuple(_outcome(o) for o in body.outcomes))
    if await service.record_decision(session, case, decision, now):
        after = {"status": case.status, "outcomes": case.outcomes, "decided_by": case.decided_by}
        await audit.record(
            session, principal, "exchange.decision.record", "case", str(case.application_id), before=before, after=after
        )
    return case


def _check_decision(case: Case, body: ExchangeDecisionCreate, now: datetime) -> None:
    asked = set(case.application.get("subsidies", ()))
    if {o.subsidy for o in body.outcomes} != asked:
        raise Unprocessable.at(("body", "outcomes"), f"one outcome for each subsidy asked for: {sorted(asked)}")
    if body.decided_at > now + CLOCK_SKEW:
        raise Unprocessable.at(("body", "decided_at"), "decided_at is in the future")


def _outcome(outcome: OutcomeIn) -> SubsidyOutcome:
    return SubsidyOutcome.model_validate(outcome.model_dump())
