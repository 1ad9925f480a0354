"""Active discovery (政策找人): who qualifies by the registry, gets nothing and did not apply; informing them."""

from __future__ import annotations

from subsidy_shared.events import PersonInformed

from tests.conftest import ServiceDatabase
from tests.review.conftest import (
    CLERK,
    FEDERATION,
    OTHER_CIVIL_AFFAIRS,
    TOWNSHIP,
    Api,
    apply,
    audit_rows,
    beneficiary,
    card,
    line,
    outbox_events,
    someone,
    submitted,
)


async def test_the_list_holds_who_qualifies_and_neither_gets_it_nor_applied(api: Api, db: ServiceDatabase) -> None:
    severe = someone(1)  # grade 1: nursing
    poor = someone(2)  # grade 3 in a 低保 household: living
    neither = someone(3)  # grade 3, no 低保
    receives = someone(4)  # grade 1, already gets nursing
    applied = someone(5)  # grade 1, applied for nursing
    dead = someone(6)
    expired = someone(7)
    elsewhere = someone(8, hukou="230102001")
    await api.upload(
        [
            card(severe, facts={"name": "赵大勇"}),
            card(poor, grade=3),
            line(poor, "dibao"),
            card(neither, grade=3),
            card(receives),
            card(applied),
            card(dead),
            line(dead, "death", "recorded", effective="2026-10-01"),
            card(expired, expires_on="2026-10-31"),
            card(elsewhere),
        ]
    )
    await beneficiary(db, receives, amounts={"nursing": 10000})
    await apply(db, submitted(applied, ("nursing",)))

    listed = (await api.get("/v1/discovery", TOWNSHIP)).json()["items"]

    assert {i["person_key"]: i["subsidies"] for i in listed} == {severe.key: ["nursing"], poor.key: ["living"]}
    first = next(i for i in listed if i["person_key"] == severe.key)
    assert (first["name"], first["township"], first["informed_at"]) == ("赵*勇", "230103002", None)
    assert severe.id_number not in str(listed)
    other_county = (await api.get("/v1/discovery", OTHER_CIVIL_AFFAIRS)).json()["items"]
    assert [i["person_key"] for i in other_county] == [elsewhere.key]


async def test_someone_who_gets_nursing_but_lives_in_a_dibao_household_is_listed_for_living(
    api: Api, db: ServiceDatabase
) -> None:
    who = someone(10)
    await api.upload([card(who), line(who, "dibao")])
    await beneficiary(db, who, amounts={"nursing": 10000})

    listed = (await api.get("/v1/discovery", TOWNSHIP)).json()["items"]

    assert [(i["person_key"], i["subsidies"]) for i in listed] == [(who.key, ["living"])]


async def test_informing_someone_is_recorded_and_published(api: Api, db: ServiceDatabase) -> None:
    who = someone(20)
    await api.upload([card(who)])

    response = await api.post(f"/v1/discovery/{who.key}/informed", TOWNSHIP, {"channel": "visit"})

    assert response.status_code == 201, response.text
    (event,) = await outbox_events(db, "subsidy.person.informed.v1")
    assert isinstance(event, PersonInformed)
    assert (event.data.person_key, event.data.subsidies, event.data.township) == (who.key, ("nursing",), "230103002")
    assert event.data.informed_by == "township-reviewer"
    listed = (await api.get("/v1/discovery", TOWNSHIP)).json()["items"]
    assert listed[0]["informed_at"] is not None
    assert len(await audit_rows(db, "person informed")) == 1


async def test_informing_needs_a_field_worker_of_the_place_and_a_known_person(api: Api, db: ServiceDatabase) -> None:
    who = someone(30)
    await api.upload([card(who)])

    clerk = await api.post(f"/v1/discovery/{who.key}/informed", CLERK, {"channel": "visit"})
    other = await api.post(f"/v1/discovery/{who.key}/informed", OTHER_CIVIL_AFFAIRS, {"channel": "phone"})
    unknown = await api.post(f"/v1/discovery/{someone(31).key}/informed", TOWNSHIP, {"channel": "phone"})

    assert (clerk.status_code, other.status_code, unknown.status_code) == (403, 404, 404)
    assert await outbox_events(db, "subsidy.person.informed.v1") == []


async def test_the_discovery_list_pages_per_township(api: Api, db: ServiceDatabase) -> None:
    people = [someone(40 + i, hukou=f"23010300{1 + i % 2}") for i in range(5)]
    await api.upload([card(p) for p in people])
    page1 = (await api.get("/v1/discovery", FEDERATION, limit=3)).json()
    page2 = (await api.get("/v1/discovery", FEDERATION, limit=3, cursor=page1["next_cursor"])).json()
    townships = [i["township"] for i in page1["items"] + page2["items"]]
    assert len(townships) == 5 and townships == sorted(townships)
