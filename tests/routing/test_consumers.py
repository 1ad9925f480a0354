"""Routing handlers called with an event and a real database session — no broker needed."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from routing_service.consumers import subscriptions
from subsidy_shared.app import Subscriptions
from subsidy_shared.bus import ConsumerRunner
from subsidy_shared.events import (
    ApplicantNotified,
    ApplicantNotifiedData,
    ApplicationWithdrawn,
    ApplicationWithdrawnData,
    CaseResultReturned,
    Event,
    encode_event,
)

from tests.conftest import ServiceDatabase
from tests.routing.conftest import (
    CHENGDU_HUKOU,
    GUANGZHOU_HUKOU,
    REFUSAL,
    ProvinceSystemStub,
    apply,
    at,
    decided,
    outbox_events,
    settings_for,
    submitted,
)

ROUTED_AT = at("2026-09-29")


def handlers(db: ServiceDatabase, now: datetime = ROUTED_AT, stub: ProvinceSystemStub | None = None) -> Subscriptions:
    return subscriptions(settings_for(db, stub), clock=lambda: now)


def _record(event: Event, offset: int) -> ConsumerRecord[bytes, bytes]:
    value = encode_event(event)
    return ConsumerRecord(event.topic, 0, offset, 0, 0, None, value, None, 0, len(value), ())


def runner(db: ServiceDatabase, now: datetime) -> ConsumerRunner:
    wiring = handlers(db, now)
    return ConsumerRunner(settings_for(db), db.sessionmaker, None, wiring.handlers, list(wiring.topics))


async def test_cross_province_case_goes_to_the_hukou_county_with_calendar_due_dates(db: ServiceDatabase) -> None:
    event = submitted(complete=ROUTED_AT)  # Tuesday before 国庆 2026

    await apply(db, event)

    async with db.engine.connect() as conn:
        case = (
            await conn.exec_driver_sql(
                "SELECT scope, locality_county, locality_township, push_due, decision_due, status, pushed_at FROM cases"
            )
        ).one()
    # 9-30 works; 10-1…10-7 are the holiday; 10-8 (Thu) and 10-9 (Fri) work: the third working day is 10-9.
    assert case == (
        "cross_province",
        "510104",
        CHENGDU_HUKOU,
        date(2026, 10, 9),
        date(2026, 10, 19),
        "routed",
        ROUTED_AT,
    )
    [routed] = await outbox_events(db)
    assert routed.type == "subsidy.case.routed.v1"
    assert routed.data.application.application_id == event.data.application_id
    assert routed.data.external_system is None and routed.data.received_at == ROUTED_AT


async def test_locality_comes_from_hukou_region_not_from_the_id_number(db: ServiceDatabase) -> None:
    event = submitted(hukou="230103002")
    assert event.data.applicant.id_number.startswith("230103")
    moved = event.model_copy(update={"data": event.data.model_copy(update={"hukou_region": "440106003"})})

    await apply(db, moved)

    assert await db.scalar("SELECT locality_county FROM cases") == "440106"


async def test_a_case_for_a_province_with_its_own_system_waits_for_the_push(
    db: ServiceDatabase, province_system: ProvinceSystemStub
) -> None:
    event = submitted(hukou=GUANGZHOU_HUKOU)

    await apply(db, event, stub=province_system)

    async with db.engine.connect() as conn:
        row = (await conn.exec_driver_sql("SELECT status, external_system, decision_due, pushed_at FROM cases")).one()
    assert row == ("push_pending", "44", None, None)
    assert await outbox_events(db) == []  # case.routed only once Guangdong acknowledges


async def test_the_same_event_delivered_twice_has_one_effect(db: ServiceDatabase) -> None:
    consumer = runner(db, ROUTED_AT)
    event = submitted()

    await consumer.process(_record(event, 0))
    await consumer.process(_record(event, 1))

    assert await db.scalar("SELECT count(*) FROM cases") == 1
    assert await db.scalar("SELECT count(*) FROM outbox") == 1
    assert await db.scalar("SELECT count(*) FROM inbox") == 1


async def test_a_decision_returns_the_result_to_the_window_once(db: ServiceDatabase) -> None:
    application = submitted()
    await apply(db, application)
    returned_at = at("2026-10-09")  # Friday: 10-10 (调休 Saturday), 10-12, 10-13
    decision = decided(application, when=at("2026-10-09", hour=1))
    consumer = runner(db, returned_at)

    await consumer.process(_record(decision, 0))
    await consumer.process(_record(decision, 1))  # redelivered

    results = [e for e in await outbox_events(db) if isinstance(e, CaseResultReturned)]
    assert len(results) == 1
    result = results[0].data
    assert result.notify_due == date(2026, 10, 13)
    assert result.returned_at == returned_at and result.accepting_region == application.data.accepting_region
    assert [(o.subsidy, o.outcome) for o in result.outcomes] == [("living", "refused"), ("nursing", "approved")]
    assert result.outcomes[0].reasons[0].text == REFUSAL
    assert result.locality_county == "510104" and result.decided_by == "county-civil-affairs-510104"
    assert await db.scalar("SELECT status FROM cases") == "decided"


async def test_the_result_returned_carries_the_approvals_tier_amount_and_start_month(db: ServiceDatabase) -> None:
    application = submitted()
    await apply(db, application)
    amount = {"tier": "grade1", "monthly_amount_fen": 12000, "start_month": "2026-09"}

    await apply(db, decided(application, when=at("2026-10-09"), nursing_amount=amount), now=at("2026-10-09"))

    [result] = [e for e in await outbox_events(db) if isinstance(e, CaseResultReturned)]
    living, nursing = result.data.outcomes
    assert (nursing.tier, nursing.monthly_amount_fen, nursing.start_month) == ("grade1", 12000, "2026-09")
    assert (living.tier, living.monthly_amount_fen, living.start_month) == (None, None, None)
    stored = await db.scalar("SELECT outcomes FROM cases")
    assert stored[1]["monthly_amount_fen"] == 12000  # kept with the case, so a redelivery compares equal


async def test_a_second_decision_event_for_a_decided_case_changes_nothing(db: ServiceDatabase) -> None:
    application = submitted()
    await apply(db, application)
    await apply(db, decided(application, when=at("2026-10-09")), now=at("2026-10-09"))

    await apply(db, decided(application, when=at("2026-10-12"), nursing="refused"), now=at("2026-10-12"))

    assert await db.scalar("SELECT count(*) FROM outbox WHERE topic = 'subsidy.cases'") == 2  # routed + one result
    assert await db.scalar("SELECT decided_at FROM cases") == at("2026-10-09")


async def test_a_decision_for_an_unknown_case_is_ignored(db: ServiceDatabase) -> None:
    await apply(db, decided(submitted(), when=at("2026-10-09")))

    assert await db.scalar("SELECT count(*) FROM outbox") == 0


async def test_withdrawal_and_notification_move_the_case(db: ServiceDatabase) -> None:
    kept, dropped = submitted(sequence=1), submitted(sequence=2)
    for event in (kept, dropped):
        await apply(db, event)
    await apply(db, decided(kept, when=at("2026-10-09")), now=at("2026-10-09"))
    notified = ApplicantNotifiedData(
        application_id=kept.data.application_id,
        person_key=kept.data.person_key,
        channel="sms",
        notified_at=at("2026-10-12"),
    )
    withdrawn = ApplicationWithdrawnData(
        application_id=dropped.data.application_id, person_key=dropped.data.person_key, withdrawn_at=at("2026-10-08")
    )

    await apply(db, ApplicantNotified(source="test", data=notified))
    await apply(db, ApplicationWithdrawn(source="test", data=withdrawn))

    sql = "SELECT status, notified_at, withdrawn_at FROM cases WHERE application_id = :id"
    async with db.engine.connect() as conn:
        kept_row = (await conn.execute(sa.text(sql), {"id": kept.data.application_id})).one()
        dropped_row = (await conn.execute(sa.text(sql), {"id": dropped.data.application_id})).one()
    assert tuple(kept_row) == ("notified", at("2026-10-12"), None)
    assert tuple(dropped_row) == ("withdrawn", None, at("2026-10-08"))
