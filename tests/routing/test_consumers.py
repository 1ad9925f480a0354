"""Routing handlers called with an event and a real database session — no broker needed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from aiokafka import ConsumerRecord
from routing_service.consumers import SUBSCRIPTIONS, on_application_submitted
from routing_service.settings import Settings
from subsidy_shared.bus import ConsumerRunner
from subsidy_shared.events import ApplicationSubmitted, ApplicationSubmittedData, decode_event, encode_event

from tests.conftest import ServiceDatabase, application_body, truncate_all


@pytest.fixture
async def db(routing_db: ServiceDatabase) -> ServiceDatabase:
    yield routing_db  # type: ignore[misc]
    await truncate_all(routing_db.engine)


def submitted(
    accepting: str = "230102001", hukou: str = "510104001", at: datetime | None = None
) -> ApplicationSubmitted:
    body = application_body(hukou=hukou)
    moment = at or datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
    data = ApplicationSubmittedData.model_validate(
        {
            **body,
            "application_id": uuid.uuid4(),
            "person_key": "pk-" + body["applicant"]["id_number"][-6:],
            "accepting_region": accepting,
            "submitted_at": moment,
            "materials_complete_at": moment,
        }
    )
    return ApplicationSubmitted(source="test", subject=str(data.application_id), data=data)


async def test_cross_province_case_goes_to_the_hukou_county_with_calendar_due_dates(db: ServiceDatabase) -> None:
    event = submitted(at=datetime(2026, 9, 29, 2, 0, tzinfo=UTC))  # Tuesday before 国庆 2026

    async with db.sessionmaker() as session, session.begin():
        await on_application_submitted(event, session)

    async with db.engine.connect() as conn:
        case = (
            await conn.exec_driver_sql("SELECT scope, locality_county, locality_township, push_due FROM cases")
        ).one()
        payload = (await conn.exec_driver_sql("SELECT payload FROM outbox")).scalar_one()
    # 9-30 works; 10-1…10-7 are the holiday; 10-8 (Thu) and 10-9 (Fri) work: the third working day is 10-9.
    assert case == ("cross_province", "510104", "510104001", date(2026, 10, 9))
    routed = decode_event(payload)
    assert routed.type == "subsidy.case.routed.v1"
    assert routed.data.application.application_id == event.data.application_id


async def test_locality_comes_from_hukou_region_not_from_the_id_number(db: ServiceDatabase) -> None:
    event = submitted(hukou="230103002")
    assert event.data.applicant.id_number.startswith("230103")
    moved = event.model_copy(update={"data": event.data.model_copy(update={"hukou_region": "440106003"})})

    async with db.sessionmaker() as session, session.begin():
        await on_application_submitted(moved, session)

    assert await db.scalar("SELECT locality_county FROM cases") == "440106"


def _record(event: ApplicationSubmitted, offset: int) -> ConsumerRecord[bytes, bytes]:
    value = encode_event(event)
    return ConsumerRecord("subsidy.applications", 0, offset, 0, 0, None, value, None, 0, len(value), ())


async def test_the_same_event_delivered_twice_has_one_effect(db: ServiceDatabase) -> None:
    settings = Settings(env="test", database_url=db.url)
    runner = ConsumerRunner(settings, db.sessionmaker, None, SUBSCRIPTIONS.handlers, list(SUBSCRIPTIONS.topics))  # type: ignore[arg-type]
    event = submitted()

    await runner.process(_record(event, 0))
    await runner.process(_record(event, 1))

    assert await db.scalar("SELECT count(*) FROM cases") == 1
    assert await db.scalar("SELECT count(*) FROM outbox") == 1
    assert await db.scalar("SELECT count(*) FROM inbox") == 1
