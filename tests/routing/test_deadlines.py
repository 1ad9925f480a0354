"""The breach scan on a real database with injected times: one event per breach, withdrawn cases spared."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from routing_service import repository
from routing_service.deadlines import scan_breaches
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import (
    ApplicantNotified,
    ApplicantNotifiedData,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ApplicationWithdrawnData,
    CaseDeadlineBreached,
)

from tests.conftest import ServiceDatabase, concurrently
from tests.routing.conftest import HARBIN_WINDOW, apply, at, decided, outbox_events, submitted

# Routed on Tue 2026-09-29: push met at once; decision due Mon 10-19 (国庆 and the 调休 Saturday counted).
DECISION_DUE = date(2026, 10, 19)


async def scan(db: ServiceDatabase, now: datetime) -> int:
    async with db.sessionmaker() as session, session.begin():
        return await scan_breaches(session, now)


async def breach_events(db: ServiceDatabase) -> list[CaseDeadlineBreached]:
    return [e for e in await outbox_events(db) if isinstance(e, CaseDeadlineBreached)]


async def routed(db: ServiceDatabase, sequence: int = 1) -> ApplicationSubmitted:
    event = submitted(sequence=sequence)
    await apply(db, event, now=at("2026-09-29"))
    return event


async def test_an_open_decision_clock_is_announced_once_the_day_after_it_is_due(db: ServiceDatabase) -> None:
    case = await routed(db)

    on_due_date = await scan(db, at("2026-10-19"))
    day_after = await scan(db, at("2026-10-20"))
    again = await scan(db, at("2026-10-21"))

    assert (on_due_date, day_after, again) == (0, 1, 0)
    [breach] = await breach_events(db)
    assert breach.data.application_id == case.data.application_id
    assert (breach.data.deadline, breach.data.due_date, breach.data.region) == ("decision", DECISION_DUE, "510104")
    assert breach.data.detected_at == at("2026-10-20")


async def test_due_dates_are_china_dates(db: ServiceDatabase) -> None:
    await routed(db)

    before_midnight_in_beijing = await scan(db, at("2026-10-19", hour=15))  # 23:00 in Beijing
    after_midnight_in_beijing = await scan(db, at("2026-10-19", hour=16))  # 00:00 on 10-20

    assert (before_midnight_in_beijing, after_midnight_in_beijing) == (0, 1)


async def test_a_withdrawn_case_is_not_breached_once_its_clock_has_stopped(db: ServiceDatabase) -> None:
    case = await routed(db)
    withdrawn = ApplicationWithdrawnData(
        application_id=case.data.application_id, person_key=case.data.person_key, withdrawn_at=at("2026-10-12")
    )
    await apply(db, ApplicationWithdrawn(source="test", data=withdrawn))

    assert await scan(db, at("2026-11-30")) == 0
    assert await breach_events(db) == []


async def test_a_clock_met_late_is_recorded_once_even_if_no_scan_saw_it_open(db: ServiceDatabase) -> None:
    case = await routed(db)
    await apply(db, decided(case, when=at("2026-10-21")), now=at("2026-10-21"))  # two days late

    first, second = await scan(db, at("2026-10-22")), await scan(db, at("2026-10-23"))

    assert (first, second) == (1, 0)
    [breach] = await breach_events(db)
    assert (breach.data.deadline, breach.data.due_date) == ("decision", DECISION_DUE)


async def test_an_unnotified_result_is_a_breach_of_the_accepting_window(db: ServiceDatabase) -> None:
    case = await routed(db)
    await apply(db, decided(case, when=at("2026-10-09")), now=at("2026-10-09"))  # notify due 10-13

    assert await scan(db, at("2026-10-14")) == 1

    [breach] = await breach_events(db)
    assert (breach.data.deadline, breach.data.due_date, breach.data.region) == (
        "notify",
        date(2026, 10, 13),
        HARBIN_WINDOW,
    )


async def test_a_notified_applicant_stops_the_notify_clock(db: ServiceDatabase) -> None:
    case = await routed(db)
    await apply(db, decided(case, when=at("2026-10-09")), now=at("2026-10-09"))
    notified = ApplicantNotifiedData(
        application_id=case.data.application_id,
        person_key=case.data.person_key,
        channel="sms",
        notified_at=at("2026-10-12"),
    )
    await apply(db, ApplicantNotified(source="test", data=notified))

    assert await scan(db, at("2026-11-30")) == 0


async def test_two_replicas_scanning_at_once_announce_each_breach_once(db: ServiceDatabase) -> None:
    for sequence in range(1, 6):
        await routed(db, sequence)

    counts = await asyncio.gather(*(scan(db, at("2026-10-20")) for _ in range(3)))

    assert sum(counts) == 5
    assert len(await breach_events(db)) == 5
    assert await db.scalar("SELECT count(*) FROM deadline_breaches") == 5


async def test_a_replica_skips_the_scan_while_another_runs_it(db: ServiceDatabase) -> None:
    for sequence in range(1, 4):
        await routed(db, sequence)

    async with db.sessionmaker() as session, session.begin():
        first = await scan_breaches(session, at("2026-10-20"))
        meanwhile = await scan(db, at("2026-10-20"))  # another replica, while the first round is uncommitted
    afterwards = await scan(db, at("2026-10-20"))

    assert (first, meanwhile, afterwards) == (3, 0, 0)
    assert len({e.data.application_id for e in await breach_events(db)}) == len(await breach_events(db)) == 3
    assert await db.scalar("SELECT count(*) FROM deadline_breaches") == 3


async def test_the_unique_key_alone_records_each_breach_once_when_two_inserts_race(db: ServiceDatabase) -> None:
    for sequence in range(1, 5):
        await routed(db, sequence)
    now = at("2026-10-20")

    async def record(session: AsyncSession) -> int:  # without the round lock: the second line of defence
        return len(await repository.record_breaches(session, now.date(), now, 1000))

    counts = await concurrently(db, record, record)

    assert sorted(counts) == [0, 4]
    assert await db.scalar("SELECT count(*) FROM deadline_breaches") == 4
