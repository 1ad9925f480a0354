"""Eligibility fixtures: its real test database, the app over ASGI with a movable clock, event builders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from eligibility_service.app import create_app
from eligibility_service.consumers import subscriptions
from eligibility_service.settings import Settings
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import Role
from subsidy_shared.events import (
    ApplicationSnapshot,
    CaseRouted,
    CaseRoutedData,
    Event,
    RegistryRecordChanged,
    RegistryRecordChangedData,
)
from subsidy_shared.ids import person_key
from subsidy_shared.settings import DEV_PERSON_KEY_SECRET
from subsidy_shared.workdays import add_workdays, china_date

from tests.conftest import ServiceDatabase, application_body, token_for, truncate_all
from tests.service_api import Clock, ServiceApi, app_factory
from tests.service_api import at as at  # re-exported: the tests of this service import it from here
from tests.service_api import outbox_events as outbox_events  # re-exported for this service's tests

HARBIN_WINDOW = "230102001"  # 道里区: accepts applications
HARBIN_TOWNSHIP = "230103002"  # 南岗区: the hukou locality of most test cases
HARBIN_COUNTY = "230103"
OTHER_COUNTY = "230102"
SHANGHAI_TOWNSHIP = "310101002"
CHENGDU_TOWNSHIP = "510104001"

TOWNSHIP = token_for(Role.TOWNSHIP_REVIEWER, HARBIN_TOWNSHIP, sub="township-reviewer")
FEDERATION = token_for(Role.COUNTY_DISABILITY_FEDERATION, HARBIN_COUNTY, sub="county-federation")
CIVIL_AFFAIRS = token_for(Role.COUNTY_CIVIL_AFFAIRS, HARBIN_COUNTY, sub="county-civil-affairs")


SUBMITTED = at("2026-11-23")  # a Monday
ROUTED = at("2026-11-24")
NOW = at("2026-11-25")


@pytest.fixture
async def db(eligibility_db: ServiceDatabase) -> AsyncIterator[ServiceDatabase]:
    yield eligibility_db
    await truncate_all(eligibility_db.engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


class Api(ServiceApi):
    """The eligibility app over ASGI."""


ApiFactory = Callable[..., Awaitable[Api]]


@pytest.fixture
async def api_factory(db: ServiceDatabase, clock: Clock) -> AsyncIterator[ApiFactory]:
    async with app_factory(create_app, Settings, Api, db, clock) as build:
        yield build


@pytest.fixture
async def api(api_factory: ApiFactory) -> Api:
    return await api_factory()


# ---- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id_number: str
    key: str
    body: dict[str, Any]


def person(sequence: int, hukou: str = HARBIN_TOWNSHIP, category: int = 4, grade: int = 1) -> Person:
    body = application_body(hukou=hukou, sequence=sequence, category=category, grade=grade)
    id_number = body["applicant"]["id_number"]
    return Person(id_number, person_key(id_number, DEV_PERSON_KEY_SECRET), body)


def routed(
    who: Person,
    *,
    subsidies: tuple[str, ...] = ("living", "nursing"),
    submitted_at: datetime = SUBMITTED,
    received_at: datetime = ROUTED,
    accepting: str = HARBIN_WINDOW,
    external_system: str | None = None,
) -> CaseRouted:
    hukou = who.body["hukou_region"]
    snapshot = ApplicationSnapshot.model_validate(
        {
            **who.body,
            "subsidies": list(subsidies),
            "application_id": uuid.uuid4(),
            "person_key": who.key,
            "accepting_region": accepting,
            "submitted_at": submitted_at,
            "materials_complete_at": submitted_at,
        }
    )
    data = CaseRoutedData(
        application_id=snapshot.application_id,
        person_key=who.key,
        scope="cross_county" if accepting[:6] != hukou[:6] else "local",
        locality_county=hukou[:6],
        locality_township=hukou[:9],
        accepting_region=accepting,
        hukou_region=hukou,
        received_at=received_at,
        decision_due=add_workdays(china_date(received_at), 10),
        application=snapshot,
        external_system=external_system,
    )
    return CaseRouted(source="test", subject=str(snapshot.application_id), data=data)


def record(
    who: Person,
    kind: str,
    change: str = "issued",
    *,
    facts: dict[str, Any] | None = None,
    effective: date | None = None,
    observed: datetime | None = None,
    record_id: str | None = None,
) -> RegistryRecordChanged:
    data = RegistryRecordChangedData.model_validate(
        {
            "source": "test-registry",
            "record_id": record_id or f"{kind}-{who.id_number[-4:]}",
            "record_kind": kind,
            "change": change,
            "person_key": who.key,
            "id_number": who.id_number,
            "effective_date": effective,
            "facts": facts or {},
            "observed_at": observed or at("2026-01-05"),
        }
    )
    return RegistryRecordChanged(source="test", data=data)


def certificate(
    who: Person, category: int = 4, grade: int = 1, change: str = "issued", **kw: Any
) -> RegistryRecordChanged:
    facts = {
        "category": category,
        "grade": grade,
        "generation": 2,
        "issued_on": "2020-01-01",
        "expires_on": "2030-01-01",
    } | kw.pop("facts", {})
    return record(who, "certificate", change, facts=facts, effective=kw.pop("effective", date(2020, 1, 1)), **kw)


def dibao(who: Person, **kw: Any) -> RegistryRecordChanged:
    return record(who, "dibao", "started", effective=date(2024, 1, 1), **kw)


async def apply(db: ServiceDatabase, event: Event, now: datetime = ROUTED) -> None:
    """Run the eligibility handler for `event` in one transaction, as the consumer runner would."""
    wiring = subscriptions(clock=lambda: now)
    async with db.sessionmaker() as session, session.begin():
        await wiring.handlers[event.type](event, session)


def handled(event: Event, now: datetime = ROUTED) -> Callable[[AsyncSession], Awaitable[None]]:
    """The handler of `event` as a replica's consumer runs it, in the session it is given (see `concurrently`)."""
    handler = subscriptions(clock=lambda: now).handlers[event.type]

    async def handle(session: AsyncSession) -> None:
        await handler(event, session)

    return handle


async def arrive(db: ServiceDatabase, who: Person, *registry: RegistryRecordChanged, **routing: Any) -> str:
    """Registry records first, then the case: returns the application id."""
    for event in registry:
        await apply(db, event)
    case = routed(who, **routing)
    await apply(db, case)
    return str(case.data.application_id)


async def audit_rows(db: ServiceDatabase, entity_id: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT actor_sub, actor_role, action, entity, entity_id, allowed, before, after FROM audit_log ORDER BY id"
    async with db.engine.connect() as conn:
        rows = (await conn.exec_driver_sql(sql)).mappings().all()
    return [dict(r) for r in rows if entity_id is None or (r["entity_id"] or "").endswith(entity_id)]
