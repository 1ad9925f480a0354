"""Cases that do not end in a decision by review: withdrawn, another province's, redelivered; and 公示."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
from subsidy_shared.events import ApplicationWithdrawn, ApplicationWithdrawnData, EligibilityDecided, Event

from tests.conftest import ServiceDatabase, concurrently, while_uncommitted
from tests.eligibility.conftest import (
    CIVIL_AFFAIRS,
    FEDERATION,
    ROUTED,
    TOWNSHIP,
    Api,
    ApiFactory,
    apply,
    arrive,
    at,
    audit_rows,
    certificate,
    dibao,
    handled,
    outbox_events,
    person,
    routed,
)

PASS = {"outcome": "pass"}


def withdrawal(application_id: str, key: str) -> ApplicationWithdrawn:
    data = ApplicationWithdrawnData(
        application_id=uuid.UUID(application_id), person_key=key, reason="本人撤回", withdrawn_at=at("2026-11-24", 6)
    )
    return ApplicationWithdrawn(source="test", subject=application_id, data=data)


async def decided(db: ServiceDatabase) -> list[EligibilityDecided]:
    return [e for e in await outbox_events(db) if isinstance(e, EligibilityDecided)]


async def test_a_withdrawn_application_closes_its_case_without_a_decision(api: Api, db: ServiceDatabase) -> None:
    who = person(71)
    case_id = await arrive(db, who, certificate(who), dibao(who))

    await apply(db, withdrawal(case_id, who.key))

    case = (await api.get(f"/v1/cases/{case_id}", TOWNSHIP)).json()
    assert case["step"] == "withdrawn" and case["decision"] is None
    assert (await api.post(f"/v1/cases/{case_id}/review", TOWNSHIP, PASS)).status_code == 409
    assert await decided(db) == []


async def test_a_withdrawal_that_overtakes_its_case_closes_the_case_on_arrival(db: ServiceDatabase) -> None:
    who = person(72)
    case = routed(who)
    await apply(db, withdrawal(str(case.data.application_id), who.key))

    await apply(db, case)

    assert await db.scalar("SELECT step FROM cases") == "withdrawn"


async def test_a_case_decided_by_another_provinces_system_is_not_kept(db: ServiceDatabase) -> None:
    await apply(db, routed(person(73), external_system="44"))

    assert await db.scalar("SELECT count(*) FROM cases") == 0


async def test_a_redelivered_case_changes_nothing(api: Api, db: ServiceDatabase) -> None:
    who = person(74)
    case = routed(who)
    await apply(db, case)
    await api.post(f"/v1/cases/{case.data.application_id}/review", TOWNSHIP, PASS)

    await apply(db, case)

    assert await db.scalar("SELECT step FROM cases") == "county_verification"


async def _publicity(api_factory: ApiFactory, db: ServiceDatabase, sequence: int) -> tuple[Api, str]:
    api = await api_factory(publicity_enabled=True)
    who = person(sequence)
    case_id = await arrive(db, who, certificate(who), dibao(who))
    for path, token in (("review", TOWNSHIP), ("verify", FEDERATION), ("approve", CIVIL_AFFAIRS)):
        assert (await api.post(f"/v1/cases/{case_id}/{path}", token, PASS)).status_code == 200
    return api, case_id


async def test_with_publicity_on_an_approval_waits_out_five_working_days(
    api_factory: ApiFactory, db: ServiceDatabase
) -> None:
    api, case_id = await _publicity(api_factory, db, 75)
    case = (await api.get(f"/v1/cases/{case_id}", CIVIL_AFFAIRS)).json()
    assert (case["step"], case["publicity_ends_on"]) == ("publicity", "2026-12-02")  # 11-25 + 5 working days
    assert await decided(db) == []

    early = await api.post(f"/v1/cases/{case_id}/publicity/close", CIVIL_AFFAIRS)
    api.clock.now = at("2026-12-03")
    closed = await api.post(f"/v1/cases/{case_id}/publicity/close", CIVIL_AFFAIRS)

    assert early.status_code == 409
    assert closed.status_code == 200, closed.text
    [event] = await decided(db)
    assert event.data.decided_by == "county-civil-affairs" and event.data.decided_at == at("2026-12-03")
    assert {d.monthly_amount_fen for d in event.data.decisions} == {8000, 10000}


async def test_an_objection_in_publicity_sends_the_case_back_to_approval(
    api_factory: ApiFactory, db: ServiceDatabase
) -> None:
    api, case_id = await _publicity(api_factory, db, 76)

    bare = await api.post(f"/v1/cases/{case_id}/publicity/objection", TOWNSHIP, {})
    objected = await api.post(
        f"/v1/cases/{case_id}/publicity/objection", TOWNSHIP, {"reason": "群众反映家庭有经营收入"}
    )

    assert bare.status_code == 422
    assert objected.json()["step"] == "county_approval" and objected.json()["publicity_ends_on"] is None
    assert objected.json()["reviews"][-1]["outcome"] == "objection"
    assert await decided(db) == []


async def _one_by_one(db: ServiceDatabase, first: Event, second: Event) -> None:
    await apply(db, first)
    await apply(db, second)


async def _second_while_first_uncommitted(db: ServiceDatabase, first: Event, second: Event) -> None:
    await while_uncommitted(db, handled(first), lambda: apply(db, second))


async def _at_once(db: ServiceDatabase, first: Event, second: Event) -> None:
    await concurrently(db, handled(first), handled(second))


@pytest.mark.parametrize("withdrawal_first", [True, False], ids=["withdrawal-first", "case-first"])
@pytest.mark.parametrize("timing", [_one_by_one, _second_while_first_uncommitted, _at_once])
async def test_a_withdrawal_and_its_case_on_two_replicas_end_the_same_whatever_the_timing(
    db: ServiceDatabase,
    timing: Callable[[ServiceDatabase, Event, Event], Awaitable[None]],
    withdrawal_first: bool,
) -> None:
    who = person(76)
    case = routed(who)
    withdrawn = withdrawal(str(case.data.application_id), who.key)
    first, second = (withdrawn, case) if withdrawal_first else (case, withdrawn)

    await timing(db, first, second)

    async with db.engine.connect() as conn:
        row = (await conn.exec_driver_sql("SELECT step, closed_at, pending_decision, precheck FROM cases")).one()
    assert (row.step, row.closed_at, row.pending_decision) == ("withdrawn", withdrawn.data.withdrawn_at, None)
    assert row.precheck is not None and row.precheck["ran_at"] == ROUTED.isoformat()
    assert await db.scalar("SELECT count(*) FROM withdrawals") == 1
    assert await db.scalar("SELECT count(*) FROM decisions") == 0
    audited = [(r["action"], r["before"], r["after"]) for r in await audit_rows(db)]
    assert audited == [("withdrawn", {"step": "township_review"}, {"step": "withdrawn"})]
    assert await outbox_events(db) == []
