"""Certificate expiry reminders: 6 months ahead, once per card however often the job runs, per township."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from review_service import reminders, scheduler
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.events import CertificateExpiryReminder

from tests.conftest import ServiceDatabase, concurrently
from tests.review.conftest import (
    CLERK,
    FEDERATION,
    GUANGZHOU_TOWNSHIP,
    NOW,
    OTHER_CIVIL_AFFAIRS,
    PROVINCE,
    Api,
    ApiFactory,
    audit_rows,
    beneficiary,
    card,
    outbox_events,
    someone,
)

REMINDER = "subsidy.certificate.expiry_reminder.v1"  # today is 2026-11-25


async def run(api: Api) -> int:
    response = await api.post("/v1/reminders/certificate-expiry/run", FEDERATION)
    assert response.status_code == 200, response.text
    reminded: int = response.json()["reminded"]
    return reminded


async def test_a_card_expiring_in_five_months_is_reminded_once_however_often_the_job_runs(
    api: Api, db: ServiceDatabase
) -> None:
    soon, later, past = someone(1), someone(2), someone(3)
    await api.upload(
        [
            card(soon, expires_on="2027-04-25", facts={"name": "李四"}),
            card(later, expires_on="2027-06-01"),
            card(past, expires_on="2026-11-01"),
        ]
    )

    counts = [await run(api) for _ in range(3)]

    assert counts == [1, 0, 0]
    listed = (await api.get("/v1/reminders/certificate-expiry", FEDERATION)).json()["items"]
    assert [(i["person_key"], i["expires_on"], i["township"]) for i in listed] == [
        (soon.key, "2027-04-25", "230103002")
    ]
    assert listed[0]["name"] == "李*" and soon.id_number not in str(listed)
    (event,) = await outbox_events(db, REMINDER)
    assert isinstance(event, CertificateExpiryReminder)
    assert (event.data.certificate_number, event.data.township) == (f"{soon.id_number}41", "230103002")
    assert len(await audit_rows(db, "certificate expiry reminders")) == 3


async def test_a_renewed_card_is_not_reminded_of_the_old_one(api: Api, db: ServiceDatabase) -> None:
    who = someone(4)
    await api.upload([card(who, expires_on="2027-03-01"), card(who, record_id="renewed", expires_on="2037-03-01")])

    assert await run(api) == 0


async def test_a_card_renewed_with_a_new_expiry_is_reminded_again_when_that_comes(
    api_factory: ApiFactory, db: ServiceDatabase
) -> None:
    api = await api_factory()
    who = someone(5)
    await api.upload([card(who, expires_on="2027-03-01")])
    assert await run(api) == 1
    await api.upload([card(who, issued_on="2027-02-01", expires_on="2027-05-20")])  # same record, a new term

    assert await run(api) == 1
    assert len(await outbox_events(db, REMINDER)) == 2


async def test_the_list_is_per_region_and_paginated(api: Api, db: ServiceDatabase) -> None:
    people = [someone(10 + i, hukou=f"23010300{1 + i % 3}") for i in range(5)]
    await api.upload([card(p, expires_on=f"2027-0{1 + i}-10") for i, p in enumerate(people)])
    await run(api)

    first = (await api.get("/v1/reminders/certificate-expiry", FEDERATION, limit=3)).json()
    rest = (await api.get("/v1/reminders/certificate-expiry", FEDERATION, cursor=first["next_cursor"])).json()
    township = (await api.get("/v1/reminders/certificate-expiry", FEDERATION, region="230103002")).json()

    townships = [i["township"] for i in first["items"] + rest["items"]]
    assert len(townships) == 5 and townships == sorted(townships)
    assert {i["township"] for i in township["items"]} == {"230103002"}
    assert (await api.get("/v1/reminders/certificate-expiry", OTHER_CIVIL_AFFAIRS)).json()["items"] == []
    assert (await api.post("/v1/reminders/certificate-expiry/run", CLERK)).status_code == 403


async def test_the_background_loop_reminds(api_factory: ApiFactory, db: ServiceDatabase) -> None:
    api = await api_factory(reminders_every_seconds=0.05)
    await api.upload([card(someone(20), expires_on="2027-01-31")])
    task = asyncio.create_task(scheduler.remind_forever(api.app))
    try:
        for _ in range(100):
            if await db.scalar("SELECT count(*) FROM certificate_reminders"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a few more rounds
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(await outbox_events(db, REMINDER)) == 1
    (audited,) = await audit_rows(db, "certificate expiry reminders")
    assert (audited["actor_sub"], audited["after"]) == ("review-service", {"count": 1})


async def test_a_round_on_demand_reminds_only_cards_of_the_callers_region(api: Api, db: ServiceDatabase) -> None:
    mine, guangzhou, beneficiary_moved_away = someone(30), someone(31, hukou=GUANGZHOU_TOWNSHIP), someone(32)
    await api.upload([card(who, expires_on="2027-02-01") for who in (mine, guangzhou, beneficiary_moved_away)])
    await beneficiary(db, replace(beneficiary_moved_away, hukou=GUANGZHOU_TOWNSHIP))  # the hukou is Guangzhou's now

    assert await run(api) == 1
    (event,) = await outbox_events(db, REMINDER)
    assert isinstance(event, CertificateExpiryReminder) and event.data.person_key == mine.key
    province = await api.post("/v1/reminders/certificate-expiry/run", PROVINCE)
    assert province.json()["reminded"] == 0  # Heilongjiang's only card was reminded already
    assert await db.scalar("SELECT count(*) FROM certificate_reminders") == 1


async def test_two_replicas_reminding_at_once_remind_each_card_once(api: Api, db: ServiceDatabase) -> None:
    people = [someone(40 + n) for n in range(4)]
    await api.upload([card(who, expires_on="2027-03-01") for who in people])

    async def scheduled(session: AsyncSession) -> int:
        return await reminders.remind_scheduled(session, NOW, 6)

    counts = await concurrently(db, scheduled, scheduled)

    assert sorted(counts) == [0, 4]
    assert await db.scalar("SELECT count(*) FROM certificate_reminders") == 4
    events = await outbox_events(db, REMINDER)
    assert sorted(e.data.person_key for e in events if isinstance(e, CertificateExpiryReminder)) == sorted(
        who.key for who in people
    )
    assert len(events) == 4
    (audited,) = await audit_rows(db, "certificate expiry reminders")
    assert audited["after"] == {"count": 4}
