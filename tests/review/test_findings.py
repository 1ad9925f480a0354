"""Comparison runs raise findings from registry facts; a county official concludes each."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

from review_service import comparison, scheduler
from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared.auth import Role
from subsidy_shared.events import (
    BenefitStatusData,
    BenefitSuspended,
    BenefitTerminated,
    FindingConcluded,
    FindingRaised,
    PolicyPublished,
    PolicyPublishedData,
    Reason,
)
from subsidy_shared.policy import example_book

from tests.conftest import ServiceDatabase, concurrently, token_for
from tests.review.conftest import (
    CIVIL_AFFAIRS,
    FEDERATION,
    GUANGZHOU_TOWNSHIP,
    NOW,
    OPS,
    OTHER_CIVIL_AFFAIRS,
    Api,
    ApiFactory,
    Someone,
    apply,
    at,
    audit_rows,
    beneficiary,
    card,
    line,
    outbox_events,
    someone,
)

RAISED = "subsidy.finding.raised.v1"
CONCLUDED = "subsidy.finding.concluded.v1"


async def compare(api: Api, headers: dict[str, str] = CIVIL_AFFAIRS, region: str | None = None) -> dict[str, object]:
    response = await api.post("/v1/comparison-runs", headers, {"region": region} if region else None)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def dead(api: Api, who: Someone, day: str = "2026-09-15", headers: dict[str, str] = OPS) -> None:
    report = (await api.upload([card(who), line(who, "death", "recorded", effective=day)], headers)).json()
    assert report["rejected"] == []


async def test_a_death_record_of_a_beneficiary_raises_a_terminate_finding_from_the_next_month(
    api: Api, db: ServiceDatabase
) -> None:
    who = someone(1)
    await beneficiary(db, who)
    await dead(api, who)

    run = await compare(api)

    assert (run["checked"], run["raised"], run["by_rule"]) == (1, 1, {"death.recorded": 1})
    (event,) = await outbox_events(db, RAISED)
    assert isinstance(event, FindingRaised)
    data = event.data
    assert (data.person_key, data.subsidies, data.suggested_action) == (who.key, ("living", "nursing"), "terminate")
    assert data.effective_month == "2026-10"  # Heilongjiang stops the month after (next_month)
    assert data.evidence["effective_date"] == "2026-09-15" and data.rule_id == "death.recorded"


async def test_comparison_runs_are_idempotent(api: Api, db: ServiceDatabase) -> None:
    who = someone(2)
    await beneficiary(db, who)
    await dead(api, who)

    first, second = await compare(api), await compare(api)

    assert (first["raised"], second["raised"]) == (1, 0)
    assert await db.scalar("SELECT count(*) FROM findings") == 1
    assert len(await outbox_events(db, RAISED)) == 1


async def test_people_who_get_nothing_or_were_terminated_raise_nothing(api: Api, db: ServiceDatabase) -> None:
    stranger, ended = someone(3), someone(4)
    await beneficiary(db, ended)
    status = BenefitStatusData(
        person_key=ended.key, subsidy="living", effective_month="2026-06", reason=Reason(rule_id="x", text="x")
    )
    await apply(db, BenefitTerminated(source="test", data=status))
    await apply(db, BenefitTerminated(source="test", data=status.model_copy(update={"subsidy": "nursing"})))
    await dead(api, stranger)
    await dead(api, ended)

    run = await compare(api)

    assert (run["checked"], run["raised"]) == (0, 0)


async def test_a_dibao_exit_ends_living_only(api: Api, db: ServiceDatabase) -> None:
    who = someone(5)
    await beneficiary(db, who)
    await api.upload([card(who), line(who, "dibao", "ended", effective="2026-10-31")])

    await compare(api)

    (event,) = await outbox_events(db, RAISED)
    assert isinstance(event, FindingRaised)
    assert (event.data.subsidies, event.data.effective_month) == (("living",), "2026-11")


async def test_a_province_that_stops_in_the_month_found_gets_that_month(api: Api, db: ServiceDatabase) -> None:
    guangdong = example_book().in_force("44", date(2026, 1, 1))
    version = guangdong.model_copy(
        update={"version": "44-2026-06", "effective_from": date(2026, 6, 1), "stop_rule": "month_found"}
    )
    published = PolicyPublishedData(
        province="44",
        version="44-2026-06",
        effective_from=date(2026, 6, 1),
        body=version.model_dump(mode="json"),
        published_by="gd-admin",
        published_at=NOW,
    )
    await apply(db, PolicyPublished(source="test", data=published))
    who = someone(6, hukou=GUANGZHOU_TOWNSHIP)
    await beneficiary(db, who)
    await dead(api, who, "2026-08-03", headers=token_for(Role.OPS, "440000"))

    await compare(api, headers=token_for(Role.PROVINCIAL_ADMIN, "440000"))

    (event,) = await outbox_events(db, RAISED)
    assert isinstance(event, FindingRaised)
    assert event.data.effective_month == "2026-11"  # 贵州-style 「于比对当月停止发放」


async def test_findings_are_listed_masked_and_paginated(api: Api, db: ServiceDatabase) -> None:
    people = [someone(10 + i, name="王小明") for i in range(3)]
    for who in people:
        await beneficiary(db, who)
        await dead(api, who)
    await compare(api)

    first = (await api.get("/v1/findings", FEDERATION, limit=2, status="open")).json()
    second = (await api.get("/v1/findings", FEDERATION, limit=2, cursor=first["next_cursor"])).json()

    items = first["items"] + second["items"]
    assert len(items) == 3 and second["next_cursor"] is None
    assert {i["person_key"] for i in items} == {p.key for p in people}
    assert items[0]["name"] == "王*明"
    assert items[0]["id_number"].startswith("2301") and "*" in items[0]["id_number"]
    assert all(p.id_number not in str(first) for p in people)


async def test_another_county_sees_none_of_them(api: Api, db: ServiceDatabase) -> None:
    who = someone(20)
    await beneficiary(db, who)
    await dead(api, who)
    await compare(api)

    assert (await api.get("/v1/findings", OTHER_CIVIL_AFFAIRS)).json()["items"] == []
    assert (await api.get("/v1/findings", OTHER_CIVIL_AFFAIRS, region="230103")).status_code == 403
    assert (await api.post("/v1/comparison-runs", OTHER_CIVIL_AFFAIRS, {"region": "230103"})).status_code == 403


async def _one_finding(api: Api, db: ServiceDatabase, sequence: int) -> tuple[Someone, str]:
    who = someone(sequence)
    await beneficiary(db, who)
    await dead(api, who)
    await compare(api)
    (item,) = (await api.get("/v1/findings", CIVIL_AFFAIRS)).json()["items"]
    return who, item["id"]


async def test_civil_affairs_concludes_a_finding_as_terminate(api: Api, db: ServiceDatabase) -> None:
    who, finding_id = await _one_finding(api, db, 30)

    response = await api.post(
        f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, {"action": "terminate", "reason": "火化记录核实"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "concluded"
    (event,) = await outbox_events(db, CONCLUDED)
    assert isinstance(event, FindingConcluded)
    data = event.data
    assert (data.person_key, data.action, data.effective_month) == (who.key, "terminate", "2026-10")
    assert (data.subsidies, data.concluded_by) == (("living", "nursing"), "county-civil-affairs")
    (audit,) = await audit_rows(db, "conclude finding")
    assert audit["after"]["action"] == "terminate" and audit["before"]["status"] == "open"


async def test_a_concluded_finding_cannot_be_concluded_again(api: Api, db: ServiceDatabase) -> None:
    _, finding_id = await _one_finding(api, db, 31)
    body = {"action": "terminate", "reason": "核实"}
    await api.post(f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, body)

    again = await api.post(f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, body | {"action": "continue"})

    assert again.status_code == 409
    assert len(await outbox_events(db, CONCLUDED)) == 1


async def test_only_civil_affairs_of_the_county_concludes(api: Api, db: ServiceDatabase) -> None:
    _, finding_id = await _one_finding(api, db, 32)
    body = {"action": "terminate", "reason": "核实"}

    federation = await api.post(f"/v1/findings/{finding_id}/conclude", FEDERATION, body)
    other = await api.post(f"/v1/findings/{finding_id}/conclude", OTHER_CIVIL_AFFAIRS, body)

    assert (federation.status_code, other.status_code) == (403, 404)  # another county's finding: as unknown
    assert await outbox_events(db, CONCLUDED) == []
    assert len([r for r in await audit_rows(db) if r["allowed"] is False]) == 2


async def test_a_conclusion_may_narrow_the_subsidies_and_move_the_month(api: Api, db: ServiceDatabase) -> None:
    _, finding_id = await _one_finding(api, db, 33)
    body = {"action": "suspend", "reason": "待核实", "subsidies": ["nursing"], "effective_month": "2026-12"}

    response = await api.post(f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, body)
    outside = await api.post(
        f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, {"action": "continue", "reason": "x"}
    )

    assert response.status_code == 200 and outside.status_code == 409
    (event,) = await outbox_events(db, CONCLUDED)
    assert isinstance(event, FindingConcluded)
    assert (event.data.subsidies, event.data.effective_month, event.data.action) == (("nursing",), "2026-12", "suspend")


async def test_a_record_once_concluded_is_not_raised_again(api: Api, db: ServiceDatabase) -> None:
    _, finding_id = await _one_finding(api, db, 34)
    await api.post(f"/v1/findings/{finding_id}/conclude", CIVIL_AFFAIRS, {"action": "continue", "reason": "误报"})

    run = await compare(api)

    assert run["raised"] == 0


async def test_a_run_is_read_back(api: Api, db: ServiceDatabase) -> None:
    run = await compare(api)
    response = await api.get(f"/v1/comparison-runs/{run['id']}", CIVIL_AFFAIRS)
    assert response.status_code == 200 and response.json()["region"] == "230103"
    assert (await api.get(f"/v1/comparison-runs/{run['id']}", OTHER_CIVIL_AFFAIRS)).status_code == 404


async def test_the_background_loop_compares_every_region(api_factory: ApiFactory, db: ServiceDatabase) -> None:
    api = await api_factory(comparison_every_seconds=0.05)
    who = someone(40)
    await beneficiary(db, who)
    await dead(api, who)
    task = asyncio.create_task(scheduler.compare_forever(api.app))
    try:
        for _ in range(100):
            if await db.scalar("SELECT count(*) FROM findings"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a few more rounds
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(await outbox_events(db, RAISED)) == 1
    runs = [r for r in await audit_rows(db, "comparison run") if r["actor_sub"] == "review-service"]
    assert runs and runs[0]["after"]["raised"] == 1


async def test_a_missing_person_is_suspended_first_and_terminated_after_six_months(
    api: Api, db: ServiceDatabase
) -> None:
    who = someone(50)
    await beneficiary(db, who)
    await api.upload([line(who, "missing", "started", effective="2026-06-01")])
    first = await compare(api)
    api.clock.now = at("2026-12-02")

    later, again = await compare(api), await compare(api)

    assert (first["by_rule"], later["by_rule"], again["raised"]) == (
        {"missing.reported": 1},
        {"missing.six_months": 1},
        0,
    )


async def test_a_release_from_prison_proposes_to_continue_what_was_suspended(api: Api, db: ServiceDatabase) -> None:
    who = someone(40)
    await beneficiary(db, who)
    status = BenefitStatusData(
        person_key=who.key, subsidy="nursing", effective_month="2026-07", reason=Reason(rule_id="x", text="服刑")
    )
    await apply(db, BenefitSuspended(source="test", data=status))
    await api.upload([card(who), line(who, "imprisonment", "ended", effective="2026-10-12")])

    await compare(api)

    (event,) = await outbox_events(db, RAISED)
    assert isinstance(event, FindingRaised)
    data = event.data
    assert (data.rule_id, data.subsidies, data.suggested_action) == ("imprisonment.released", ("nursing",), "continue")
    assert data.effective_month == "2026-11"


async def test_findings_show_no_personal_facts_of_the_registry_record(api: Api, db: ServiceDatabase) -> None:
    who = someone(60)
    await beneficiary(db, who)
    private = {"relative_id_number": "11010519491231002X", "phone": "13800000000", "address": "某街1号"}
    revoked = card(who, "revoked", facts=private)
    assert (await api.upload([revoked])).json()["rejected"] == []

    await compare(api)

    (event,) = await outbox_events(db, RAISED)
    assert isinstance(event, FindingRaised)
    (listed,) = (await api.get("/v1/findings", CIVIL_AFFAIRS)).json()["items"]
    for evidence in (event.data.evidence, listed["evidence"]):
        assert evidence["facts"] == {"issued_on": "2020-01-01", "expires_on": "2030-01-01"}
        shown = json.dumps(evidence, ensure_ascii=False)
        assert not any(value in shown for value in private.values()) and "grade" not in shown


async def test_a_finding_stored_with_every_fact_is_listed_without_them(api: Api, db: ServiceDatabase) -> None:
    who = someone(61)
    await beneficiary(db, who)
    await dead(api, who)
    await compare(api)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            "UPDATE findings SET evidence = jsonb_set(evidence, '{facts}', '{\"phone\": \"13800000000\"}')"
        )

    (listed,) = (await api.get("/v1/findings", CIVIL_AFFAIRS)).json()["items"]

    assert listed["evidence"]["facts"] == {}


async def test_two_replicas_comparing_at_once_run_once_and_raise_each_finding_once(
    api: Api, db: ServiceDatabase
) -> None:
    people = [someone(60 + n) for n in range(3)]
    for who in people:
        await beneficiary(db, who)
        await dead(api, who)

    async def scheduled(session: AsyncSession) -> int | None:
        run = await comparison.compare_all(session, NOW, timedelta(hours=1))
        return None if run is None else run.raised

    outcomes = await concurrently(db, scheduled, scheduled)

    assert sorted(outcomes, key=str) == [3, None]
    assert await db.scalar("SELECT count(*) FROM comparison_runs") == 1
    assert await db.scalar("SELECT count(*) FROM findings") == 3
    assert sorted(e.data.person_key for e in await outbox_events(db, RAISED)) == sorted(w.key for w in people)
    assert len([r for r in await audit_rows(db, "comparison run") if r["actor_sub"] == "review-service"]) == 1


async def test_a_replica_skips_the_comparison_while_another_runs_it(db: ServiceDatabase) -> None:
    async with db.sessionmaker() as first, first.begin():
        running = await comparison.compare_all(first, NOW)
        async with db.sessionmaker() as second, second.begin():
            meanwhile = await comparison.compare_all(second, NOW)

    assert running is not None and meanwhile is None


async def test_the_scheduled_comparison_runs_once_per_period_whichever_replica_asks(db: ServiceDatabase) -> None:
    every = timedelta(hours=1)

    async def round_at(minutes: int) -> bool:
        async with db.sessionmaker() as session, session.begin():
            return await comparison.compare_all(session, NOW + timedelta(minutes=minutes), every) is not None

    ran = [await round_at(minutes) for minutes in (0, 20, 59, 61)]

    assert ran == [True, False, False, True]
    assert await db.scalar("SELECT count(*) FROM comparison_runs") == 2
